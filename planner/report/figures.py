"""Report figures: pure functions from a run's results Dataset to a plotly Figure.

Every function takes the Dataset read from a run folder (``results.nc``) and a language
(``"en"`` or ``"zh"``) and returns a :class:`plotly.graph_objects.Figure`; none reads a
file or touches the solver, so each can be tested alone. Axis labels come from the
variables' ``long_name``/``units`` attrs, translated through :mod:`planner.report.text`.

Optional variables are tolerated: ``green_share`` with or without a ``hub`` dimension
(or derived from ``green_supply_mwh``/``new_capacity_energy_mwh``), ``gec_mwh``,
``site_cost_cny(site, component, year)`` for costs by hub, ``hub_name_en``/``hub_name_zh``
and ``region_name_en``/``region_name_zh`` for display names.

User text that reaches a figure (site, hub and region names) is HTML-escaped, because
plotly renders a subset of HTML in labels.

Names in plotly.js "map" traces would fetch topojson from a CDN, so the site map is a
plain cartesian scatter of longitude and latitude with equal aspect.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import xarray as xr

from planner.report import text
from planner.report.text import t

FONT_EN = (
    '"Segoe UI", "Helvetica Neue", Arial, "Noto Sans CJK SC", "Source Han Sans SC", '
    '"PingFang SC", "Microsoft YaHei", sans-serif'
)
FONT_ZH = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "Heiti SC", SimHei, sans-serif'
)

CLASS_COLOURS = {"general": "#4C78A8", "intelligent": "#E45756", "supercomputing": "#54A24B"}
SOURCE_COLOURS = {
    "grid": "#8C8C8C",
    "solar": "#F2B701",
    "wind": "#4C9BE8",
    "hydro": "#1F4E9A",
    "battery_net": "#9467BD",
    "battery": "#9467BD",
    "certificates": "#2CA02C",
}
SERVICE_COLOURS = ["#D62728", "#FF7F0E", "#2CA02C", "#17BECF", "#9467BD", "#8C564B"]
YEAR_COLOURS = ["#9ECAE1", "#4292C6", "#08519C", "#08306B", "#6BAED6", "#2171B5"]
COMPONENT_COLOURS = [
    "#4C78A8", "#72B7B2", "#F58518", "#E45756", "#54A24B", "#EECA3B",
    "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC", "#1F77B4", "#D62728",
]  # fmt: skip

# Beyond this many timesteps (a full-year run) the dispatch view shows sample weeks.
MAX_DISPATCH_STEPS = 24 * 28
# Significant digits kept for the hourly dispatch series (keeps the report small).
DISPATCH_DECIMALS = 1

Figure = go.Figure

# A small template (plotly_white's look): the full built-in templates carry styles for
# every trace type, which would be copied into each figure of the report.
TEMPLATE = go.layout.Template(
    layout={
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": COMPONENT_COLOURS,
        "xaxis": {
            "gridcolor": "#EBF0F8",
            "linecolor": "#C8D4E3",
            "zerolinecolor": "#C8D4E3",
            "ticks": "",
            "automargin": True,
        },
        "yaxis": {
            "gridcolor": "#EBF0F8",
            "linecolor": "#C8D4E3",
            "zerolinecolor": "#C8D4E3",
            "ticks": "",
            "automargin": True,
        },
        "hoverlabel": {"align": "left"},
        "title": {"font": {"size": 17}},
    }
)


# --- helpers ---------------------------------------------------------------------------


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _font(lang: str) -> str:
    return FONT_ZH if lang == "zh" else FONT_EN


def _layout(fig: go.Figure, title: str, lang: str, **kw) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left"},
        font={"family": _font(lang), "size": 13},
        separators=".,",
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
        legend={"orientation": "v", "yanchor": "top", "y": 1, "x": 1.02, "xanchor": "left"},
        hoverlabel={"font": {"family": _font(lang)}},
        **kw,
    )
    return fig


def _strings(da: xr.DataArray) -> list[str]:
    return [str(v) for v in np.asarray(da.values).ravel()]


def site_labels(ds: xr.Dataset, lang: str) -> list[str]:
    """Display names of the sites in ``lang`` (escaped), falling back to the site ids."""
    for name in (f"site_name_{lang}", "site_name_en"):
        if name in ds:
            names = _strings(ds[name])
            ids = _strings(ds["site"])
            return [_esc(n if n and n != "nan" else i) for n, i in zip(names, ids, strict=True)]
    return [_esc(s) for s in _strings(ds["site"])]


def _dim_labels(ds: xr.Dataset, dim: str, lang: str) -> dict[str, str]:
    """Display names for the values of ``dim`` (hub, region): ``<dim>_name_<lang>`` if present."""
    values = _strings(ds[dim]) if dim in ds.coords else []
    for name in (f"{dim}_name_{lang}", f"{dim}_name_en"):
        if name in ds and dim in ds[name].dims:
            names = dict(zip(_strings(ds[dim]), _strings(ds[name]), strict=True))
            return {v: _esc(names.get(v) or text.category(dim, v, lang)) for v in values}
    return {v: _esc(text.category(dim, v, lang)) for v in values}


def site_hubs(ds: xr.Dataset) -> list[str]:
    """Hub id of each site (the site itself when the run has no ``site_hub``)."""
    if "site_hub" in ds:
        return _strings(ds["site_hub"])
    return _strings(ds["site"])


def _hub_order(ds: xr.Dataset) -> list[str]:
    hubs = site_hubs(ds)
    if "hub" in ds.coords:
        order = [h for h in _strings(ds["hub"]) if h in hubs]
        return order + [h for h in dict.fromkeys(hubs) if h not in order]
    return list(dict.fromkeys(hubs))


def hub_labels(ds: xr.Dataset, lang: str) -> dict[str, str]:
    labels = _dim_labels(ds, "hub", lang) if "hub" in ds.coords else {}
    for h in _hub_order(ds):
        labels.setdefault(h, _esc(text.category("hub", h, lang)))
    return labels


def by_hub(da: xr.DataArray, ds: xr.Dataset) -> xr.DataArray:
    """Sum a variable with a ``site`` dimension over the sites of each hub."""
    hubs = xr.DataArray(site_hubs(ds), dims="site", coords={"site": ds["site"].values})
    out = da.groupby(hubs.rename("hub")).sum()
    return out.reindex(hub=[h for h in _hub_order(ds) if h in out["hub"].values])


def _years(ds: xr.Dataset) -> list[int]:
    return [int(y) for y in ds["year"].values]


def _unit_of(ds: xr.Dataset, name: str, default: str = "") -> str:
    return str(ds[name].attrs.get("units", default)) if name in ds else default


def _energy_scale(max_mwh: float) -> tuple[float, str]:
    """Plot energy in TWh when national-sized, else MWh."""
    return (1e6, "TWh/year") if max_mwh >= 1e6 else (1.0, "MWh/year")


def _emission_scale(max_t: float) -> tuple[float, str]:
    return (1e6, "MtCO2/year") if max_t >= 1e6 else (1.0, "tCO2/year")


def _no_data(fig: go.Figure, lang: str, what: str) -> go.Figure:
    fig.add_annotation(
        text=_esc(what),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 15, "color": "#666"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


# --- executive summary -------------------------------------------------------------------


def targets_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Computing power in use per year, stacked by rack class, against the national target."""
    text.check_lang(lang)
    years = [str(y) for y in _years(ds)]
    fig = go.Figure()
    compute = ds["compute_eflops"].sum("site")
    for cls in _strings(ds["rack_class"]):
        values = compute.sel(rack_class=cls).values
        fig.add_bar(
            x=years,
            y=np.round(values, 3),
            name=text.category("class", cls, lang),
            marker_color=CLASS_COLOURS.get(cls),
            hovertemplate="%{x}: %{y:,.1f} EFLOPS<extra>%{fullData.name}</extra>",
        )
    if "target_total_eflops" in ds:
        fig.add_scatter(
            x=years,
            y=ds["target_total_eflops"].values,
            mode="markers+lines",
            name=t("legend.target", lang),
            line={"color": "#111", "dash": "dash", "width": 2},
            marker={"symbol": "line-ew-open", "size": 40, "line": {"width": 3}},
        )
    _layout(fig, t("fig.targets.title", lang), lang, barmode="stack", height=420)
    fig.update_xaxes(title_text=t("axis.year", lang), type="category")
    fig.update_yaxes(
        title_text=text.axis_title("compute_eflops", ds["compute_eflops"].attrs, lang),
        tickformat=",~s",
    )
    return fig


# --- where the racks go -------------------------------------------------------------------


def site_map(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Sites at their longitude/latitude, bubble area = new racks over the plan, by class.

    A cartesian scatter with equal aspect: no basemap, no outlines, nothing fetched.
    """
    text.check_lang(lang)
    lon = ds["site_lon_deg"].values.astype(float)
    lat = ds["site_lat_deg"].values.astype(float)
    names = site_labels(ds, lang)
    new = ds["racks_new"].sum("year").transpose("site", "rack_class")
    max_new = float(new.max()) if new.size else 0.0
    max_px = 60.0
    sizeref = 2.0 * max_new / max_px**2 if max_new > 0 else 1.0
    ew = _strings(ds["site_east_west"]) if "site_east_west" in ds else ["none"] * len(names)
    unit_label = text.unit("std_rack", lang)
    fig = go.Figure()
    # Largest class first so that smaller bubbles stay on top and visible.
    classes = sorted(_strings(ds["rack_class"]), key=lambda c: -float(new.sel(rack_class=c).sum()))
    for cls in classes:
        values = new.sel(rack_class=cls).values
        custom = [
            [n, text.category("ew", e, lang), text.number(v, 3, lang)]
            for n, e, v in zip(names, ew, values, strict=True)
        ]
        fig.add_scatter(
            x=lon,
            y=lat,
            mode="markers",
            name=text.category("class", cls, lang),
            marker={
                "size": np.round(values, 0),
                "sizemode": "area",
                "sizeref": sizeref,
                "sizemin": 0,
                "color": CLASS_COLOURS.get(cls),
                "opacity": 0.55,
                "line": {"width": 1, "color": "#333"},
            },
            customdata=custom,
            hovertemplate="<b>%{customdata[0]}</b> (%{customdata[1]})<br>%{fullData.name}: "
            f"%{{customdata[2]}} {unit_label}<extra></extra>",
        )
    fig.add_scatter(
        x=lon,
        y=lat,
        mode="markers+text",
        text=names,
        textposition="bottom center",
        textfont={"size": 12, "color": "#222"},
        marker={"size": 5, "color": "#222"},
        showlegend=False,
        hoverinfo="skip",
        name="",
    )
    finite = np.isfinite(lon) & np.isfinite(lat)
    if finite.any():
        x0, x1 = float(lon[finite].min()) - 4, float(lon[finite].max()) + 4
        y0, y1 = float(lat[finite].min()) - 3, float(lat[finite].max()) + 3
    else:
        x0, x1, y0, y1 = 73.0, 135.0, 18.0, 54.0
    _layout(fig, t("fig.map.title", lang), lang, height=560)
    fig.add_annotation(
        text=t("fig.map.note", lang),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=1,
        y=1.02,
        xanchor="right",
        yanchor="bottom",
        font={"size": 11, "color": "#666"},
    )
    fig.update_xaxes(
        title_text=text.with_unit(t("axis.longitude", lang), text.unit("degree_east", lang), lang),
        range=[x0, x1],
        zeroline=False,
    )
    fig.update_yaxes(
        title_text=text.with_unit(t("axis.latitude", lang), text.unit("degree_north", lang), lang),
        range=[y0, y1],
        scaleanchor="x",
        scaleratio=1,
        zeroline=False,
    )
    return fig


def racks_by_hub(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """New racks by hub, rack class and year (stacked by class, grouped by year)."""
    text.check_lang(lang)
    new = by_hub(ds["racks_new"], ds)
    hubs = _strings(new["hub"])
    labels = hub_labels(ds, lang)
    years = _years(ds)
    x = [[str(y) for y in years for _ in hubs], [labels[h] for _ in years for h in hubs]]
    fig = go.Figure()
    for cls in _strings(ds["rack_class"]):
        values = [float(new.sel(hub=h, rack_class=cls, year=y)) for y in years for h in hubs]
        fig.add_bar(
            x=x,
            y=np.round(values, 0),
            name=text.category("class", cls, lang),
            marker_color=CLASS_COLOURS.get(cls),
            hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>",
        )
    _layout(fig, t("fig.racks_hub.title", lang), lang, barmode="stack", height=460)
    fig.update_xaxes(title_text=t("axis.hub", lang))
    fig.update_yaxes(
        title_text=text.axis_title("racks_new", ds["racks_new"].attrs, lang), tickformat=",~s"
    )
    return fig


# --- how they are powered -------------------------------------------------------------------


def _site_rows(ds: xr.Dataset, lang: str) -> tuple[list[list[str]], int]:
    """Row labels [year, site] for horizontal bars, and a height that fits them."""
    names = site_labels(ds, lang)
    years = _years(ds)
    rows = [[str(y) for y in years for _ in names], [n for _ in years for n in names]]
    return rows, 150 + 24 * len(names) * len(years)


def energy_mix(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Energy by source per site and year (horizontal stacked bars).

    Green certificates are not energy consumed, so they are drawn as markers beside the
    bars, in the same unit.
    """
    text.check_lang(lang)
    mix = ds["energy_mix_mwh"].transpose("site", "year", "source")
    years = _years(ds)
    sites = ds["site"].values
    scale, units = _energy_scale(float(abs(mix).sum("source").max()))
    rows, height = _site_rows(ds, lang)
    fig = go.Figure()
    for src in _strings(ds["source"]):
        values = [float(mix.sel(site=s, year=y, source=src)) for y in years for s in sites]
        fig.add_bar(
            y=rows,
            x=np.round(np.array(values) / scale, 4),
            orientation="h",
            name=text.category("source", src, lang),
            marker_color=SOURCE_COLOURS.get(src),
            hovertemplate="%{y}: %{x:,.3~f}<extra>%{fullData.name}</extra>",
        )
    if "gec_mwh" in ds:
        gec = ds["gec_mwh"].transpose("site", "year")
        values = [float(gec.sel(site=s, year=y)) for y in years for s in sites]
        fig.add_scatter(
            y=rows,
            x=np.round(np.array(values) / scale, 4),
            mode="markers",
            name=text.category("source", "certificates", lang),
            marker={"symbol": "diamond", "size": 11, "color": SOURCE_COLOURS["certificates"]},
            hovertemplate="%{y}: %{x:,.3~f}<extra>%{fullData.name}</extra>",
        )
    _layout(fig, t("fig.mix.title", lang), lang, barmode="relative", height=height)
    fig.update_yaxes(title_text=t("axis.site", lang), autorange="reversed")
    fig.update_xaxes(title_text=text.axis_title("energy_mix_mwh", {}, lang, units=units))
    return fig


def _dispatch_window(ds: xr.Dataset) -> np.ndarray:
    """Indices of the timesteps to draw: all, or four sample weeks of a full year."""
    n = ds.sizes["timestep"]
    if n <= MAX_DISPATCH_STEPS:
        return np.arange(n)
    week = 24 * 7
    starts = np.linspace(0, n - week, 4).astype(int)
    return np.concatenate([np.arange(s, s + week) for s in starts])


def dispatch_figure(ds: xr.Dataset, lang: str = "en", year: int | None = None) -> go.Figure:
    """Hourly power balance of one site over the representative days; a menu picks the site.

    Supply (grid, hydro, wind, solar, battery discharge) is stacked above zero, battery
    charging and curtailment below, and the facility load is a line on top.
    """
    text.check_lang(lang)
    year = _years(ds)[-1] if year is None else int(year)
    idx = _dispatch_window(ds)
    full = len(idx) == ds.sizes["timestep"]
    sel = ds.sel(year=year).isel(timestep=idx)
    names = site_labels(ds, lang)
    sites = _strings(ds["site"])
    if "timestep_day" in ds and full:
        day = sel["timestep_day"].values.astype(int)
    else:
        day = np.arange(len(idx)) // 24
    weight = sel["timestep_weight_h"].values if "timestep_weight_h" in sel else None
    x = np.arange(len(idx))
    supply = [
        ("grid_import_mw", "source.grid", SOURCE_COLOURS["grid"]),
        ("hydro_mw", "source.hydro", SOURCE_COLOURS["hydro"]),
        ("wind_mw", "source.wind", SOURCE_COLOURS["wind"]),
        ("solar_mw", "source.solar", SOURCE_COLOURS["solar"]),
        ("battery_discharge_mw", "legend.discharge", SOURCE_COLOURS["battery"]),
    ]
    sinks = [
        ("battery_charge_mw", "legend.charge", "#C5B0D5"),
        ("curtailment_mw", "legend.curtailment", "#F7B6D2"),
    ]
    load_name = "facility_load_mw"

    def series(name: str, sign: float = 1.0) -> list[np.ndarray]:
        if name not in sel:
            return [np.zeros(len(x), dtype=np.float32) for _ in sites]
        da = sel[name].transpose("site", "timestep")
        return [
            (sign * np.round(da.sel(site=s).values.astype(float), DISPATCH_DECIMALS)).astype(
                np.float32
            )
            for s in sites
        ]

    # The first site shown: the one with the most new racks (where the plan builds most).
    start = int(np.argmax(ds["racks_new"].sum(("rack_class", "year")).values)) if sites else 0
    fig = go.Figure()
    per_site = len(supply) + len(sinks) + 1
    blocks = []
    for name, key, colour in supply:
        blocks.append((series(name), t(key, lang), colour, "supply", None))
    for name, key, colour in sinks:
        blocks.append((series(name, -1.0), t(key, lang), colour, "sinks", None))
    blocks.append((series(load_name), t("legend.load", lang), "#111111", None, "line"))
    for i, _site in enumerate(sites):
        for values, label, colour, group, kind in blocks:
            common = {
                "x": x,
                "y": values[i],
                "name": label,
                "visible": i == start,
                "legendgroup": label,
                "hovertemplate": "%{y:,.1f} MW<extra>" + label + "</extra>",
            }
            if kind == "line":
                fig.add_scatter(mode="lines", line={"color": colour, "width": 2}, **common)
            else:
                fig.add_scatter(
                    mode="lines",
                    stackgroup=group,
                    line={"width": 0.5, "color": colour},
                    fillcolor=colour,
                    **common,
                )
    title_key = "fig.dispatch.title" if full else "fig.dispatch.window"
    title = t(title_key, lang, year=year)
    buttons = []
    for i, name in enumerate(names):
        visible = [False] * (per_site * len(sites))
        visible[i * per_site : (i + 1) * per_site] = [True] * per_site
        buttons.append(
            {
                "label": name,
                "method": "update",
                "args": [{"visible": visible}, {"title.text": f"{title}{text.colon(lang)}{name}"}],
            }
        )
    # Day boundaries and labels: representative day number and the days it stands for.
    ticks, labels = [], []
    for d in dict.fromkeys(day.tolist()):
        first = int(np.flatnonzero(day == d)[0])
        ticks.append(first)
        if weight is not None and full:
            labels.append(
                t(
                    "fig.dispatch.day_weight",
                    lang,
                    day=d + 1,
                    weight=text.number(weight[first], 3, lang),
                )
            )
        else:
            labels.append(t("fig.dispatch.day", lang, day=d + 1))
        if first:
            fig.add_vline(x=first - 0.5, line={"color": "#BBB", "width": 1, "dash": "dot"})
    _layout(
        fig,
        f"{title}{text.colon(lang)}{names[start]}" if names else title,
        lang,
        height=500,
        hovermode="x unified",
        updatemenus=[
            {
                "buttons": buttons,
                "direction": "down",
                "showactive": True,
                "active": start,
                "x": 0.0,
                "xanchor": "left",
                "y": 1.02,
                "yanchor": "bottom",
                "bgcolor": "#FFF",
            }
        ],
    )
    fig.update_layout(margin={"t": 120}, title={"y": 0.98, "yanchor": "top", "yref": "container"})
    fig.update_xaxes(
        title_text=t("axis.hour", lang),
        tickmode="array",
        tickvals=ticks,
        ticktext=labels,
        range=[-0.5, len(x) - 0.5],
    )
    fig.update_yaxes(
        title_text=text.axis_title(
            "facility_load_mw", {}, lang, units=_unit_of(ds, load_name, "MW")
        )
    )
    return fig


def green_share_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Green power share of new hub capacity per hub and year, against the policy rule."""
    text.check_lang(lang)
    years = _years(ds)
    if "green_share" in ds:
        share = ds["green_share"]
    elif "green_supply_mwh" in ds and "new_capacity_energy_mwh" in ds:
        denom = ds["new_capacity_energy_mwh"]
        share = (ds["green_supply_mwh"] / denom.where(denom > 0)).assign_attrs(units="1")
    else:
        return _no_data(_layout(go.Figure(), t("fig.green.title", lang), lang), lang, "–")
    if "hub" not in share.dims:
        share = share.expand_dims(hub=["all"])
        labels = {"all": t("axis.hub", lang)}
    else:
        labels = hub_labels(ds, lang)
    hubs = [
        str(h)
        for h in share["hub"].values
        if np.isfinite(share.sel(hub=h).values.astype(float)).any()
    ]
    x = [
        [str(y) for y in years for _ in hubs],
        [labels.get(h, _esc(h)) for _ in years for h in hubs],
    ]
    values = [float(share.sel(hub=h, year=y)) for y in years for h in hubs]
    rule = None
    if "target_green_share_frac" in ds:
        rule = [float(ds["target_green_share_frac"].sel(year=y)) for y in years]
    colours = [
        (
            "#2CA02C"
            if rule is None or (np.isfinite(v) and v >= rule[i // max(len(hubs), 1)] - 1e-9)
            else "#D62728"
        )
        for i, v in enumerate(values)
    ]
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=np.round(values, 4),
        name=t("var.green_share", lang),
        marker_color=colours,
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    )
    if rule is not None:
        # One dashed segment per year across that year's hubs.
        rx: list[list[str | None]] = [[], []]
        ry: list[float | None] = []
        for y, r in zip(years, rule, strict=True):
            for h in hubs:
                rx[0].append(str(y))
                rx[1].append(labels.get(h, _esc(h)))
                ry.append(r)
            rx[0].append(None)
            rx[1].append(None)
            ry.append(None)
        fig.add_scatter(
            x=rx,
            y=ry,
            mode="lines+markers",
            name=t("fig.green.rule", lang, value=text.percent(rule[-1], lang, 0)),
            line={"color": "#111", "dash": "dash", "width": 2},
            marker={"size": 6, "color": "#111"},
            connectgaps=False,
        )
    _layout(fig, t("fig.green.title", lang), lang, height=440)
    fig.update_xaxes(title_text=t("axis.hub", lang))
    fig.update_yaxes(
        title_text=text.axis_title("green_share", {}, lang, units="%"),
        tickformat=".0%",
        range=[0, 1.05],
    )
    return fig


def emissions_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Emissions by site and year (horizontal bars)."""
    text.check_lang(lang)
    em = ds["emissions_tco2"].transpose("site", "year")
    scale, units = _emission_scale(float(em.max()))
    rows, height = _site_rows(ds, lang)
    years = _years(ds)
    values = [float(em.sel(site=s, year=y)) for y in years for s in ds["site"].values]
    colours = [YEAR_COLOURS[i % len(YEAR_COLOURS)] for i, _ in enumerate(years) for _ in ds["site"]]
    fig = go.Figure()
    fig.add_bar(
        y=rows,
        x=np.round(np.array(values) / scale, 4),
        orientation="h",
        name=t("var.emissions_tco2", lang),
        marker_color=colours,
        hovertemplate="%{y}: %{x:,.3~f}<extra></extra>",
    )
    _layout(fig, t("fig.emissions.title", lang), lang, height=height, showlegend=False)
    fig.update_yaxes(title_text=t("axis.site", lang), autorange="reversed")
    fig.update_xaxes(title_text=text.axis_title("emissions_tco2", {}, lang, units=units))
    return fig


# --- east-west flows ---------------------------------------------------------------------


def service_tiers(ds: xr.Dataset, lang: str) -> dict[str, str]:
    """Service name with its latency tier, e.g. 'Real-time (≤ 5 ms)'."""
    out = {}
    for s in _strings(ds["service"]):
        name = text.category("service", s, lang)
        limit = (
            float(ds["service_max_latency_ms"].sel(service=s))
            if "service_max_latency_ms" in ds
            else math.inf
        )
        if math.isfinite(limit):
            out[s] = t("service.tier", lang, service=name, ms=text.number(limit, 3, lang))
        else:
            out[s] = t("service.tier_none", lang, service=name)
    return out


def flows_sankey(ds: xr.Dataset, lang: str = "en", year: int | None = None) -> go.Figure:
    """Demand by origin region and service to the sites that serve it (a Sankey).

    Regions on the left, sites on the right, one link per region, service and site,
    coloured by the service's latency tier; demand left unserved flows to its own node.
    """
    text.check_lang(lang)
    year = _years(ds)[-1] if year is None else int(year)
    served = ds["served_eflops"].sel(year=year)
    if "rack_class" in served.dims:
        served = served.sum("rack_class")
    served = served.transpose("region", "service", "site")
    regions = _strings(ds["region"])
    services = _strings(ds["service"])
    sites = _strings(ds["site"])
    region_names = _dim_labels(ds, "region", lang)
    names = site_labels(ds, lang)
    tiers = service_tiers(ds, lang)
    colours = {s: SERVICE_COLOURS[i % len(SERVICE_COLOURS)] for i, s in enumerate(services)}
    unserved = None
    if "unserved_eflops" in ds:
        unserved = ds["unserved_eflops"].sel(year=year)
        extra = [d for d in unserved.dims if d not in ("region", "service")]
        unserved = unserved.sum(extra).transpose("region", "service")
    labels = [region_names[r] for r in regions] + names
    node_colours = ["#4C78A8"] * len(regions) + [
        "#E45756" if e == "west" else "#72B7B2" if e == "east" else "#BAB0AC"
        for e in (
            _strings(ds["site_east_west"]) if "site_east_west" in ds else ["none"] * len(sites)
        )
    ]
    unserved_node = None
    if unserved is not None and float(unserved.sum()) > 1e-9:
        unserved_node = len(labels)
        labels.append(t("fig.flows.unserved", lang))
        node_colours.append("#555555")
    src, tgt, val, col, custom = [], [], [], [], []
    latency = ds["latency_ms"] if "latency_ms" in ds else None
    for i, r in enumerate(regions):
        for s in services:
            for j, site in enumerate(sites):
                v = float(served.sel(region=r, service=s, site=site))
                if v <= 1e-9:
                    continue
                src.append(i)
                tgt.append(len(regions) + j)
                val.append(round(v, 4))
                col.append(_rgba(colours[s], 0.45))
                ms = float(latency.sel(region=r, site=site)) if latency is not None else math.nan
                custom.append([tiers[s], text.number(ms, 2, lang)])
            if unserved_node is not None:
                v = float(unserved.sel(region=r, service=s))
                if v > 1e-9:
                    src.append(i)
                    tgt.append(unserved_node)
                    val.append(round(v, 4))
                    col.append("rgba(80,80,80,0.55)")
                    custom.append([tiers[s], "–"])
    ms_unit = text.unit("ms", lang)
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.2f",
            valuesuffix=" EFLOPS",
            node={
                "label": labels,
                "color": node_colours,
                "pad": 18,
                "thickness": 18,
                "line": {"color": "#444", "width": 0.5},
            },
            link={
                "source": src,
                "target": tgt,
                "value": val,
                "color": col,
                "customdata": custom,
                "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata[0]}<br>"
                f"%{{value}}<br>%{{customdata[1]}} {ms_unit}<extra></extra>",
            },
        )
    )
    unit_label = text.unit(_unit_of(ds, "served_eflops", "EFLOPS"), lang)
    title = text.with_unit(t("fig.flows.title", lang, year=year), unit_label, lang)
    _layout(fig, title, lang, height=max(420, 40 * (len(sites) + len(regions)) + 160))
    legend = "   ".join(f'<span style="color:{colours[s]}">■</span> {tiers[s]}' for s in services)
    fig.add_annotation(
        text=legend, showarrow=False, xref="paper", yref="paper", x=0, y=-0.08, xanchor="left"
    )
    fig.update_layout(margin={"b": 80})
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[k : k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# --- costs ---------------------------------------------------------------------------------


def cost_by_component(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Annual cost (undiscounted) per year, stacked by component."""
    text.check_lang(lang)
    cost = ds["cost_cny"].transpose("component", "year")
    units = _unit_of(ds, "cost_cny", "CNY/year")
    scale, unit_label = text.money_axis(units if units in ("CNY", "CNY/year") else "CNY/year", lang)
    years = [str(y) for y in _years(ds)]
    fig = go.Figure()
    for i, comp in enumerate(_strings(ds["component"])):
        values = cost.sel(component=comp).values / scale
        if not np.any(np.abs(values) > 0):
            continue
        fig.add_bar(
            x=years,
            y=np.round(values, 4),
            name=text.category("component", comp, lang),
            marker_color=COMPONENT_COLOURS[i % len(COMPONENT_COLOURS)],
            hovertemplate="%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>",
        )
    _layout(fig, t("fig.cost_component.title", lang), lang, barmode="relative", height=440)
    fig.update_xaxes(title_text=t("axis.year", lang), type="category")
    fig.update_yaxes(title_text=text.with_unit(t("var.cost_cny", lang), unit_label, lang))
    return fig


def site_costs(ds: xr.Dataset) -> tuple[xr.DataArray | None, bool]:
    """Annual cost by site, component and year, and whether it is complete.

    ``site_cost_cny(site, component, year)`` when the run has it (complete). Otherwise
    the components that the results price site by site, with the same formulas as the
    model's cost family: electricity (grid import x weight x tariff x time-of-use
    multiplier, plus hydro contract energy), certificates, carbon price and rack O&M.
    Investment is annualised over vintages in the model and is not split here.
    """
    if "site_cost_cny" in ds:
        return ds["site_cost_cny"], True
    parts: dict[str, xr.DataArray] = {}
    if "grid_import_mw" in ds and "electricity_price_cny_per_mwh" in ds:
        weight = ds["timestep_weight_h"] if "timestep_weight_h" in ds else 1.0
        mult = ds["price_multiplier"] if "price_multiplier" in ds else 1.0
        if isinstance(mult, xr.DataArray) and "timestep" not in mult.dims:
            mult = 1.0
        grid = (ds["grid_import_mw"] * weight * mult).sum("timestep")
        energy = grid * ds["electricity_price_cny_per_mwh"]
        if "hydro_mw" in ds and "hydro_price_cny_per_mwh" in ds:
            hydro = (ds["hydro_mw"] * weight).sum("timestep") * ds["hydro_price_cny_per_mwh"]
            energy = energy + hydro
        parts["energy"] = energy
    if "gec_mwh" in ds and "gec_price_cny_per_mwh" in ds:
        parts["certificates"] = ds["gec_mwh"] * ds["gec_price_cny_per_mwh"]
    if "emissions_tco2" in ds and "carbon_price_cny_per_tco2" in ds:
        parts["carbon"] = ds["emissions_tco2"] * ds["carbon_price_cny_per_tco2"]
    if "racks_total" in ds and "om_cny_per_std_rack_year" in ds:
        parts["om"] = (ds["racks_total"] * ds["om_cny_per_std_rack_year"]).sum("rack_class")
    if not parts:
        return None, False
    cost = xr.concat(
        [
            da.transpose("site", "year").drop_vars(
                [c for c in da.coords if c not in ("site", "year")]
            )
            for da in parts.values()
        ],
        dim=xr.DataArray(list(parts), dims="component", name="component"),
    )
    return cost.assign_attrs(units="CNY/year"), False


def cost_by_hub(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Annual cost per hub and year, stacked by component.

    Complete with ``site_cost_cny(site, component, year)`` in the run; otherwise the
    components that can be priced site by site from the results (see
    :func:`site_costs`), and the title says which.
    """
    text.check_lang(lang)
    site_cost, complete = site_costs(ds)
    title = t("fig.cost_hub.title" if complete else "fig.cost_hub.partial", lang)
    if site_cost is None:
        return _no_data(_layout(go.Figure(), title, lang, height=300), lang, "–")
    name = "site_cost_cny"
    ds = ds.assign({name: site_cost})
    cost = by_hub(ds[name], ds)
    units = _unit_of(ds, name, "CNY/year")
    scale, unit_label = text.money_axis(units if units in ("CNY", "CNY/year") else "CNY/year", lang)
    hubs = _strings(cost["hub"])
    labels = hub_labels(ds, lang)
    years = _years(ds)
    x = [[str(y) for y in years for _ in hubs], [labels[h] for _ in years for h in hubs]]
    fig = go.Figure()
    components = _strings(cost["component"])
    for i, comp in enumerate(components):
        values = (
            np.array([float(cost.sel(hub=h, component=comp, year=y)) for y in years for h in hubs])
            / scale
        )
        if not np.any(np.abs(values) > 0):
            continue
        fig.add_bar(
            x=x,
            y=np.round(values, 4),
            name=text.category("component", comp, lang),
            marker_color=COMPONENT_COLOURS[i % len(COMPONENT_COLOURS)],
            hovertemplate="%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>",
        )
    _layout(fig, title, lang, barmode="relative", height=460)
    fig.update_xaxes(title_text=t("axis.hub", lang))
    fig.update_yaxes(title_text=text.with_unit(t("var.cost_cny", lang), unit_label, lang))
    return fig


# --- sweeps (extension point) --------------------------------------------------------------


def sweep_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """Cost against emissions across the points of a sweep or Pareto run.

    Extension point for the sweep/Pareto reports: ``sweep`` holds one value per point
    along its first dimension of ``objective_cny`` and ``emissions_tco2`` (summed over
    any other dimension). Richer sweep views belong here, each a function of the sweep
    Dataset like the run figures above.
    """
    text.check_lang(lang)
    if "objective_cny" not in sweep or "emissions_tco2" not in sweep:
        raise ValueError("a sweep Dataset needs 'objective_cny' and 'emissions_tco2'")
    point = sweep["objective_cny"].dims[0]
    cost = sweep["objective_cny"]
    emissions = sweep["emissions_tco2"]
    cost = cost.sum([d for d in cost.dims if d != point])
    emissions = emissions.sum([d for d in emissions.dims if d != point])
    e_scale, e_units = _emission_scale(float(emissions.max()))
    scale, unit_label = text.money_axis("CNY", lang)
    labels = [_esc(v) for v in _strings(sweep[point])] if point in sweep.coords else None
    fig = go.Figure(
        go.Scatter(
            x=np.round(emissions.values / e_scale, 4),
            y=np.round(cost.values / scale, 4),
            mode="lines+markers+text" if labels else "lines+markers",
            text=labels,
            textposition="top right",
            marker={"size": 9, "color": "#4C78A8"},
            name="",
        )
    )
    _layout(fig, t("fig.sweep.title", lang), lang, height=440)
    fig.update_xaxes(title_text=text.axis_title("emissions_tco2", {}, lang, units=e_units))
    fig.update_yaxes(title_text=text.with_unit(t("var.objective_cny", lang), unit_label, lang))
    return fig


def varied_keys(sweep: xr.Dataset) -> list[str]:
    """The model-file keys a sweep varied: coordinates along ``case`` with more than one value."""
    keys = []
    for name, coord in sweep.coords.items():
        if name in ("case", "case_index") or coord.dims != ("case",):
            continue
        if len(np.unique(np.asarray(coord.values).astype(str))) > 1:
            keys.append(str(name))
    return keys


def _case_cost(sweep: xr.Dataset) -> xr.DataArray:
    """Each case's discounted cost; failed cases count as missing."""
    if "failed" not in sweep:
        return sweep["objective_cny"]
    return sweep["objective_cny"].where(~sweep["failed"].astype(bool))


def sweep_lines_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """Discounted cost against the first varied key, one line per value of the second."""
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if not keys:
        raise ValueError("the sweep varies no key")
    x_key = keys[0]
    cost = _case_cost(sweep)
    scale, unit_label = text.money_axis("CNY", lang)
    groups = sorted(set(_strings(sweep[keys[1]]))) if len(keys) > 1 else [None]
    fig = go.Figure()
    for group in groups:
        mask = np.ones(sweep.sizes["case"], bool)
        if group is not None:
            mask = np.asarray(_strings(sweep[keys[1]])) == group
        x = np.asarray(sweep[x_key].values)[mask]
        y = np.asarray(cost.values)[mask] / scale
        order = np.argsort(x, kind="stable")
        name = f"{_esc(keys[1])} = {_esc(group)}" if group is not None else ""
        fig.add_trace(
            go.Scatter(x=x[order], y=np.round(y[order], 4), mode="lines+markers", name=name)
        )
    _layout(fig, t("fig.sweep_lines.title", lang), lang, height=420)
    fig.update_xaxes(title_text=_esc(x_key))
    fig.update_yaxes(title_text=text.with_unit(t("var.objective_cny", lang), unit_label, lang))
    return fig


def sweep_heatmap_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """Discounted cost over the grid of the first two varied keys."""
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if len(keys) < 2:
        raise ValueError("a heat map needs two varied keys")
    a, b = keys[0], keys[1]
    cost = _case_cost(sweep)
    scale, unit_label = text.money_axis("CNY", lang)
    xs = sorted(set(np.asarray(sweep[a].values).tolist()))
    ys = sorted(set(np.asarray(sweep[b].values).tolist()))
    z = np.full((len(ys), len(xs)), np.nan)
    for va, vb, c in zip(sweep[a].values, sweep[b].values, cost.values, strict=True):
        z[ys.index(vb), xs.index(va)] = c / scale
    fig = go.Figure(
        go.Heatmap(
            x=[str(v) for v in xs],
            y=[str(v) for v in ys],
            z=np.round(z, 4),
            colorscale="Blues",
            colorbar={"title": {"text": unit_label}},
        )
    )
    _layout(fig, t("fig.sweep_heatmap.title", lang), lang, height=420)
    fig.update_xaxes(title_text=_esc(a), type="category")
    fig.update_yaxes(title_text=_esc(b), type="category")
    return fig


def sweep_tornado_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """How far each varied key alone moves the cost from the first case (tornado).

    For each key, the cases that differ from case 0 only in that key give the range of
    the cost change; bars are sorted by their span, widest on top.
    """
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if not keys:
        raise ValueError("the sweep varies no key")
    cost = np.asarray(_case_cost(sweep).values, dtype=float)
    scale, unit_label = text.money_axis("CNY", lang)
    base = {k: str(sweep[k].values[0]) for k in keys}
    rows = []
    for key in keys:
        others = [k for k in keys if k != key]
        alone = [
            i
            for i in range(sweep.sizes["case"])
            if all(str(sweep[k].values[i]) == base[k] for k in others)
        ]
        delta = (cost[alone] - cost[0]) / scale
        delta = delta[np.isfinite(delta)]
        if delta.size:
            rows.append((key, float(delta.min()), float(delta.max())))
    rows.sort(key=lambda r: r[2] - r[1])
    fig = go.Figure()
    for label, sign, color in (("low", 1, "#4C78A8"), ("high", 2, "#E45756")):
        fig.add_trace(
            go.Bar(
                y=[_esc(r[0]) for r in rows],
                x=[round(r[sign], 4) for r in rows],
                orientation="h",
                name=t(f"legend.tornado_{label}", lang),
                marker={"color": color},
            )
        )
    _layout(fig, t("fig.sweep_tornado.title", lang), lang, height=360, barmode="overlay")
    fig.update_xaxes(title_text=text.with_unit(t("axis.cost_change", lang), unit_label, lang))
    return fig


# The report's figures in page order: (section, figure id, function of (ds, lang)).
FIGURES: list[tuple[str, str, Callable[[xr.Dataset, str], go.Figure]]] = [
    ("summary", "targets", targets_figure),
    ("racks", "site_map", site_map),
    ("racks", "racks_by_hub", racks_by_hub),
    ("power", "energy_mix", energy_mix),
    ("power", "dispatch", dispatch_figure),
    ("power", "green_share", green_share_figure),
    ("power", "emissions", emissions_figure),
    ("flows", "flows", flows_sankey),
    ("costs", "cost_by_component", cost_by_component),
    ("costs", "cost_by_hub", cost_by_hub),
]
