"""Report figures: pure functions from a run's results Dataset to a plotly figure.

Each figure comes in two forms that draw the same thing:

- ``<name>_spec(ds, lang)`` returns the figure as plain data, ``{"data": [...], "layout":
  {...}}`` with numpy arrays for the long series. The page serialises these directly
  (:func:`to_json`): building and validating plotly objects for every trace costs about
  a second per report and adds nothing to the JSON.
- the public ``<name>(ds, lang)`` (e.g. :func:`targets_figure`) returns a validated
  :class:`plotly.graph_objects.Figure` built from the spec, for tests and interactive use.

Every function takes the Dataset read from a run folder (``results.nc``) and a language
(``"en"`` or ``"zh"``); none reads a file or touches the solver, so each can be tested
alone. Axis labels come from the variables' ``long_name``/``units`` attrs, translated
through :mod:`planner.report.text`.

Optional variables are tolerated: ``green_share_frac`` with or without a ``hub`` dimension
(or derived from ``green_supply_mwh``/``new_capacity_energy_mwh``), ``gec_mwh``,
``site_cost_cny(site, component, year)`` for costs by hub, ``hub_name_en``/``hub_name_zh``
and ``region_name_en``/``region_name_zh`` for display names.

User text that reaches a figure (site, hub and region names) is HTML-escaped, because
plotly renders a subset of HTML in labels.

Names in plotly.js "map" traces would fetch topojson from a CDN, so the site map is a
plain cartesian scatter of longitude and latitude with equal aspect.

plotly itself is imported only when a :class:`~plotly.graph_objects.Figure` is asked
for, so importing this module (and the report page) stays cheap.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from planner.report import text
from planner.report.text import t

if TYPE_CHECKING:
    import plotly.graph_objects as go

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

# plotly.py's "Blues" (ColorBrewer) spelt out: plotly.js has its own, different "Blues",
# and plotly.py only expands the name when it validates a figure.
BLUES = [
    [0.0, "rgb(247,251,255)"], [0.125, "rgb(222,235,247)"], [0.25, "rgb(198,219,239)"],
    [0.375, "rgb(158,202,225)"], [0.5, "rgb(107,174,214)"], [0.625, "rgb(66,146,198)"],
    [0.75, "rgb(33,113,181)"], [0.875, "rgb(8,81,156)"], [1.0, "rgb(8,48,107)"],
]  # fmt: skip

# A figure as plain data: {"data": [trace dicts], "layout": {...}}.
Spec = dict[str, Any]

# A small template (plotly_white's look), as plain data: the full built-in templates
# carry styles for every trace type, which would be copied into each figure of the report.
TEMPLATE: dict[str, Any] = {
    "layout": {
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
}


# --- plain data to plotly ------------------------------------------------------------------

# numpy dtypes that plotly.js reads as typed arrays ({"dtype", "bdata"}), as plotly.py
# writes them.
_TYPED_ARRAYS = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float32": "f4",
    "float64": "f8",
}
# plotly.js has no 64-bit integer arrays: narrow them to the first type that holds them.
_NARROW_INTS = {
    "int64": ("int8", "int16", "int32"),
    "uint64": ("uint8", "uint16", "uint32"),
}
# A key whose array value plotly.js must see as a plain list (plotly.py's rule).
_LIST_KEYS = frozenset({"geojson", "layer", "layers", "range"})


def _array(values: np.ndarray) -> Any:
    """A numpy array as plotly.js reads it: a base64 typed array, else a plain list."""
    dtype = values.dtype.name
    if values.size and dtype in _NARROW_INTS:
        lo, hi = values.min(), values.max()
        for candidate in _NARROW_INTS[dtype]:
            info = np.iinfo(candidate)
            if info.min <= lo and hi <= info.max:
                values, dtype = values.astype(candidate), candidate
                break
    if values.size == 0 or dtype not in _TYPED_ARRAYS:
        return _plain(values.tolist())
    out = {
        "dtype": _TYPED_ARRAYS[dtype],
        "bdata": base64.b64encode(np.ascontiguousarray(values).tobytes()).decode("ascii"),
    }
    if values.ndim > 1:
        out["shape"] = ", ".join(str(n) for n in values.shape)
    return out


def _plain(value: Any, key: str = "") -> Any:
    """``value`` as JSON-ready data the way plotly.py serialises a figure.

    numpy arrays become typed arrays, numpy scalars Python numbers, NaN and infinity
    null, and a dict entry set to None is left out (plotly's "not set").
    """
    if isinstance(value, dict):
        return {k: _plain(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist()) if key in _LIST_KEYS else _array(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(spec: Spec) -> str:
    """The figure's JSON, safe to place inside a ``<script>`` element.

    ``<``, ``>`` and ``/`` are escaped (as plotly.py does) so that user text cannot close
    the element early.
    """
    out = json.dumps(_plain(spec), separators=(",", ":"), allow_nan=False)
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("/", "\\u002f")


def to_figure(spec: Spec) -> go.Figure:
    """The validated :class:`plotly.graph_objects.Figure` of a figure spec."""
    import plotly.graph_objects as go

    return go.Figure(spec)


# --- helpers ---------------------------------------------------------------------------


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _font(lang: str) -> str:
    return FONT_ZH if lang == "zh" else FONT_EN


def _component_bar(x, y: np.ndarray, i: int, component: str, lang: str) -> dict:
    """One cost component as a stacked bar trace (billion CNY), coloured by its index."""
    return {
        "type": "bar",
        "x": x,
        "y": np.round(y, 4),
        "name": text.category("component", component, lang),
        "marker": {"color": COMPONENT_COLOURS[i % len(COMPONENT_COLOURS)]},
        "hovertemplate": "%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>",
    }


def _layout(title: str, lang: str, **kw: Any) -> dict[str, Any]:
    """The common layout of every figure; keyword arguments are added on top."""
    layout: dict[str, Any] = {
        "template": TEMPLATE,
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": {"family": _font(lang), "size": 13},
        "separators": ".,",
        "margin": {"l": 70, "r": 30, "t": 70, "b": 60},
        "legend": {"orientation": "v", "yanchor": "top", "y": 1, "x": 1.02, "xanchor": "left"},
        "hoverlabel": {"font": {"family": _font(lang)}},
    }
    layout.update(kw)
    return layout


def _axis(title: str, **kw: Any) -> dict[str, Any]:
    return {"title": {"text": title}, **kw}


def _strings(da: xr.DataArray) -> list[str]:
    return [str(v) for v in np.asarray(da.values).ravel()]


def _values(da: xr.DataArray, *dims: str) -> np.ndarray:
    """The values of ``da`` with its dimensions in the order ``dims``, as floats.

    One array per figure instead of a ``.sel`` per bar: the variables of a Dataset share
    its coordinates, so position i along a dimension is the i-th label of the Dataset.
    """
    return np.asarray(da.transpose(*dims).values, dtype=float)


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


def _no_data(layout: dict[str, Any], what: str) -> Spec:
    """An empty figure that says ``what`` in its middle, without axes."""
    layout["annotations"] = [
        {
            "text": _esc(what),
            "showarrow": False,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "font": {"size": 15, "color": "#666"},
        }
    ]
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    return {"data": [], "layout": layout}


# --- executive summary -------------------------------------------------------------------


def targets_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`targets_figure`."""
    text.check_lang(lang)
    years = [str(y) for y in _years(ds)]
    compute = _values(ds["compute_eflops"].sum("site"), "rack_class", "year")
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": years,
            "y": np.round(compute[k], 3),
            "name": text.category("class", cls, lang),
            "marker": {"color": CLASS_COLOURS.get(cls)},
            "hovertemplate": "%{x}: %{y:,.1f} EFLOPS<extra>%{fullData.name}</extra>",
        }
        for k, cls in enumerate(_strings(ds["rack_class"]))
    ]
    if "target_total_eflops" in ds:
        data.append(
            {
                "type": "scatter",
                "x": years,
                "y": ds["target_total_eflops"].values,
                "mode": "markers+lines",
                "name": t("legend.target", lang),
                "line": {"color": "#111", "dash": "dash", "width": 2},
                "marker": {"symbol": "line-ew-open", "size": 40, "line": {"width": 3}},
            }
        )
    layout = _layout(
        t("fig.targets.title", lang),
        lang,
        barmode="stack",
        height=420,
        xaxis=_axis(t("axis.year", lang), type="category"),
        yaxis=_axis(
            text.axis_title("compute_eflops", ds["compute_eflops"].attrs, lang), tickformat=",~s"
        ),
    )
    return {"data": data, "layout": layout}


def targets_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Computing power in use per year, stacked by rack class, against the national target."""
    return to_figure(targets_spec(ds, lang))


# --- where the racks go -------------------------------------------------------------------


def site_map_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`site_map`."""
    text.check_lang(lang)
    lon = ds["site_lon_deg"].values.astype(float)
    lat = ds["site_lat_deg"].values.astype(float)
    names = site_labels(ds, lang)
    new = _values(ds["racks_new_std"].sum("year"), "site", "rack_class")
    max_new = float(new.max()) if new.size else 0.0
    max_px = 60.0
    sizeref = 2.0 * max_new / max_px**2 if max_new > 0 else 1.0
    ew = _strings(ds["site_east_west"]) if "site_east_west" in ds else ["none"] * len(names)
    ew_names = [text.category("ew", e, lang) for e in ew]
    unit_label = text.unit("std_rack", lang)
    classes = _strings(ds["rack_class"])
    totals = new.sum(axis=0)
    data: list[dict[str, Any]] = []
    # Largest class first so that smaller bubbles stay on top and visible.
    for k in sorted(range(len(classes)), key=lambda k: -float(totals[k])):
        values = new[:, k]
        data.append(
            {
                "type": "scatter",
                "x": lon,
                "y": lat,
                "mode": "markers",
                "name": text.category("class", classes[k], lang),
                "marker": {
                    "size": np.round(values, 0),
                    "sizemode": "area",
                    "sizeref": sizeref,
                    "sizemin": 0,
                    "color": CLASS_COLOURS.get(classes[k]),
                    "opacity": 0.55,
                    "line": {"width": 1, "color": "#333"},
                },
                "customdata": [
                    [n, e, text.number(v, 3, lang)]
                    for n, e, v in zip(names, ew_names, values, strict=True)
                ],
                "hovertemplate": "<b>%{customdata[0]}</b> (%{customdata[1]})<br>"
                f"%{{fullData.name}}: %{{customdata[2]}} {unit_label}<extra></extra>",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": lon,
            "y": lat,
            "mode": "markers+text",
            "text": names,
            "textposition": "bottom center",
            "textfont": {"size": 12, "color": "#222"},
            "marker": {"size": 5, "color": "#222"},
            "showlegend": False,
            "hoverinfo": "skip",
            "name": "",
        }
    )
    finite = np.isfinite(lon) & np.isfinite(lat)
    if finite.any():
        x0, x1 = float(lon[finite].min()) - 4, float(lon[finite].max()) + 4
        y0, y1 = float(lat[finite].min()) - 3, float(lat[finite].max()) + 3
    else:
        x0, x1, y0, y1 = 73.0, 135.0, 18.0, 54.0
    layout = _layout(
        t("fig.map.title", lang),
        lang,
        height=560,
        annotations=[
            {
                "text": t("fig.map.note", lang),
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1.02,
                "xanchor": "right",
                "yanchor": "bottom",
                "font": {"size": 11, "color": "#666"},
            }
        ],
        xaxis=_axis(
            text.with_unit(t("axis.longitude", lang), text.unit("degree_east", lang), lang),
            range=[x0, x1],
            zeroline=False,
        ),
        yaxis=_axis(
            text.with_unit(t("axis.latitude", lang), text.unit("degree_north", lang), lang),
            range=[y0, y1],
            scaleanchor="x",
            scaleratio=1,
            zeroline=False,
        ),
    )
    return {"data": data, "layout": layout}


def site_map(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Sites at their longitude/latitude, bubble area = new racks over the plan, by class.

    A cartesian scatter with equal aspect: no basemap, no outlines, nothing fetched.
    """
    return to_figure(site_map_spec(ds, lang))


def _hub_year_x(ds: xr.Dataset, hubs: list[str], lang: str) -> list[list[str]]:
    """Two-level category axis [year, hub], years outer, for bars by hub and year."""
    labels = hub_labels(ds, lang)
    years = _years(ds)
    return [[str(y) for y in years for _ in hubs], [labels[h] for _ in years for h in hubs]]


def racks_by_hub_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`racks_by_hub`."""
    text.check_lang(lang)
    new = by_hub(ds["racks_new_std"], ds)
    hubs = _strings(new["hub"])
    x = _hub_year_x(ds, hubs, lang)
    # Years outer, hubs inner: the order of the category axis.
    values = _values(new.sel(year=_years(ds)), "year", "hub", "rack_class")
    data = [
        {
            "type": "bar",
            "x": x,
            "y": np.round(values[:, :, k].ravel(), 0),
            "name": text.category("class", cls, lang),
            "marker": {"color": CLASS_COLOURS.get(cls)},
            "hovertemplate": "%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>",
        }
        for k, cls in enumerate(_strings(new["rack_class"]))
    ]
    layout = _layout(
        t("fig.racks_hub.title", lang),
        lang,
        barmode="stack",
        height=460,
        xaxis=_axis(t("axis.hub", lang)),
        yaxis=_axis(
            text.axis_title("racks_new_std", ds["racks_new_std"].attrs, lang), tickformat=",~s"
        ),
    )
    return {"data": data, "layout": layout}


def racks_by_hub(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """New racks by hub, rack class and year (stacked by class, grouped by year)."""
    return to_figure(racks_by_hub_spec(ds, lang))


# --- how they are powered -------------------------------------------------------------------


def _site_rows(ds: xr.Dataset, lang: str) -> tuple[list[list[str]], int]:
    """Row labels [year, site] for horizontal bars, and a height that fits them."""
    names = site_labels(ds, lang)
    years = _years(ds)
    rows = [[str(y) for y in years for _ in names], [n for _ in years for n in names]]
    return rows, 150 + 24 * len(names) * len(years)


def energy_mix_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`energy_mix`."""
    text.check_lang(lang)
    # Years outer, sites inner: the order of the bars' rows.
    mix = _values(ds["energy_mix_mwh"], "year", "site", "source")
    scale, units = _energy_scale(float(np.nanmax(np.nansum(np.abs(mix), axis=2), initial=0)))
    rows, height = _site_rows(ds, lang)
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "y": rows,
            "x": np.round(mix[:, :, k].ravel() / scale, 4),
            "orientation": "h",
            "name": text.category("source", src, lang),
            "marker": {"color": SOURCE_COLOURS.get(src)},
            "hovertemplate": "%{y}: %{x:,.3~f}<extra>%{fullData.name}</extra>",
        }
        for k, src in enumerate(_strings(ds["source"]))
    ]
    if "gec_mwh" in ds:
        gec = _values(ds["gec_mwh"], "year", "site")
        data.append(
            {
                "type": "scatter",
                "y": rows,
                "x": np.round(gec.ravel() / scale, 4),
                "mode": "markers",
                "name": text.category("source", "certificates", lang),
                "marker": {
                    "symbol": "diamond",
                    "size": 11,
                    "color": SOURCE_COLOURS["certificates"],
                },
                "hovertemplate": "%{y}: %{x:,.3~f}<extra>%{fullData.name}</extra>",
            }
        )
    layout = _layout(
        t("fig.mix.title", lang),
        lang,
        barmode="relative",
        height=height,
        yaxis=_axis(t("axis.site", lang), autorange="reversed"),
        xaxis=_axis(text.axis_title("energy_mix_mwh", {}, lang, units=units)),
    )
    return {"data": data, "layout": layout}


def energy_mix(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Energy by source per site and year (horizontal stacked bars).

    Green certificates are not energy consumed, so they are drawn as markers beside the
    bars, in the same unit.
    """
    return to_figure(energy_mix_spec(ds, lang))


def _dispatch_window(ds: xr.Dataset) -> np.ndarray:
    """Indices of the timesteps to draw: all, or four sample weeks of a full year."""
    n = ds.sizes["timestep"]
    if n <= MAX_DISPATCH_STEPS:
        return np.arange(n)
    week = 24 * 7
    starts = np.linspace(0, n - week, 4).astype(int)
    return np.concatenate([np.arange(s, s + week) for s in starts])


def dispatch_spec(ds: xr.Dataset, lang: str = "en", year: int | None = None) -> Spec:
    """Plain-data form of :func:`dispatch_figure`."""
    text.check_lang(lang)
    year = _years(ds)[-1] if year is None else int(year)
    idx = _dispatch_window(ds)
    full = len(idx) == ds.sizes["timestep"]
    names = site_labels(ds, lang)
    sites = _strings(ds["site"])

    def window(name: str) -> xr.DataArray:
        """Variable ``name`` in the drawn year (when it has years) and time window."""
        da = ds[name]
        return (da.sel(year=year) if "year" in da.dims else da).isel(timestep=idx)

    if "timestep_day" in ds and full:
        day = window("timestep_day").values.astype(int)
    else:
        day = np.arange(len(idx)) // 24
    weight = window("timestep_weight_h").values if "timestep_weight_h" in ds else None
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

    def series(name: str, sign: float = 1.0) -> np.ndarray:
        """(site, timestep) values of the drawn year and window, as float32."""
        if name not in ds:
            return np.zeros((len(sites), len(x)), dtype=np.float32)
        values = _values(window(name), "site", "timestep")
        return (sign * np.round(values, DISPATCH_DECIMALS)).astype(np.float32)

    # The first site shown: the one with the most new racks (where the plan builds most).
    start = int(np.argmax(ds["racks_new_std"].sum(("rack_class", "year")).values)) if sites else 0
    per_site = len(supply) + len(sinks) + 1
    blocks = []
    for name, key, colour in supply:
        blocks.append((series(name), t(key, lang), colour, "supply", None))
    for name, key, colour in sinks:
        blocks.append((series(name, -1.0), t(key, lang), colour, "sinks", None))
    blocks.append((series(load_name), t("legend.load", lang), "#111111", None, "line"))
    data: list[dict[str, Any]] = []
    for i in range(len(sites)):
        for values, label, colour, group, kind in blocks:
            trace = {
                "type": "scatter",
                "x": x,
                "y": values[i],
                "name": label,
                "visible": i == start,
                "legendgroup": label,
                "hovertemplate": "%{y:,.1f} MW<extra>" + label + "</extra>",
                "mode": "lines",
            }
            if kind == "line":
                trace["line"] = {"color": colour, "width": 2}
            else:
                trace["stackgroup"] = group
                trace["line"] = {"width": 0.5, "color": colour}
                trace["fillcolor"] = colour
            data.append(trace)
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
    ticks, labels, shapes = [], [], []
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
            shapes.append(
                {
                    "type": "line",
                    "x0": first - 0.5,
                    "x1": first - 0.5,
                    "xref": "x",
                    "y0": 0,
                    "y1": 1,
                    "yref": "y domain",
                    "line": {"color": "#BBB", "width": 1, "dash": "dot"},
                }
            )
    layout = _layout(
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
        shapes=shapes,
        xaxis=_axis(
            t("axis.hour", lang),
            tickmode="array",
            tickvals=ticks,
            ticktext=labels,
            range=[-0.5, len(x) - 0.5],
        ),
        yaxis=_axis(
            text.axis_title("facility_load_mw", {}, lang, units=_unit_of(ds, load_name, "MW"))
        ),
    )
    layout["margin"]["t"] = 120
    # The menu sits above the plot: the title moves to the top of the figure.
    layout["title"].update({"y": 0.98, "yanchor": "top", "yref": "container"})
    return {"data": data, "layout": layout}


def dispatch_figure(ds: xr.Dataset, lang: str = "en", year: int | None = None) -> go.Figure:
    """Hourly power balance of one site over the representative days; a menu picks the site.

    Supply (grid, hydro, wind, solar, battery discharge) is stacked above zero, battery
    charging and curtailment below, and the facility load is a line on top.
    """
    return to_figure(dispatch_spec(ds, lang, year))


def green_share_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`green_share_figure`."""
    text.check_lang(lang)
    years = _years(ds)
    if "green_share_frac" in ds:
        share = ds["green_share_frac"]
    elif "green_supply_mwh" in ds and "new_capacity_energy_mwh" in ds:
        denom = ds["new_capacity_energy_mwh"]
        share = (ds["green_supply_mwh"] / denom.where(denom > 0)).assign_attrs(units="1")
    else:
        return _no_data(_layout(t("fig.green.title", lang), lang), "–")
    if "hub" not in share.dims:
        share = share.expand_dims(hub=["all"])
        labels = {"all": t("axis.hub", lang)}
    else:
        labels = hub_labels(ds, lang)
    values_hy = _values(share.sel(year=years), "hub", "year")
    keep = [k for k in range(values_hy.shape[0]) if np.isfinite(values_hy[k]).any()]
    hubs = [str(share["hub"].values[k]) for k in keep]
    x = [
        [str(y) for y in years for _ in hubs],
        [labels.get(h, _esc(h)) for _ in years for h in hubs],
    ]
    # Years outer, hubs inner: the order of the category axis.
    values = values_hy[keep].T.ravel().tolist()
    rule = None
    if "target_green_share_frac" in ds:
        rule = [float(v) for v in ds["target_green_share_frac"].sel(year=years).values]
    colours = [
        (
            "#2CA02C"
            if rule is None or (np.isfinite(v) and v >= rule[i // max(len(hubs), 1)] - 1e-9)
            else "#D62728"
        )
        for i, v in enumerate(values)
    ]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": x,
            "y": np.round(values, 4),
            "name": t("var.green_share", lang),
            "marker": {"color": colours},
            "hovertemplate": "%{x}: %{y:.1%}<extra></extra>",
        }
    ]
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
        data.append(
            {
                "type": "scatter",
                "x": rx,
                "y": ry,
                "mode": "lines+markers",
                "name": t("fig.green.rule", lang, value=text.percent(rule[-1], lang, 0)),
                "line": {"color": "#111", "dash": "dash", "width": 2},
                "marker": {"size": 6, "color": "#111"},
                "connectgaps": False,
            }
        )
    layout = _layout(
        t("fig.green.title", lang),
        lang,
        height=440,
        xaxis=_axis(t("axis.hub", lang)),
        yaxis=_axis(
            text.axis_title("green_share", {}, lang, units="%"),
            tickformat=".0%",
            range=[0, 1.05],
        ),
    )
    return {"data": data, "layout": layout}


def green_share_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Green power share of new hub capacity per hub and year, against the policy rule."""
    return to_figure(green_share_spec(ds, lang))


def emissions_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`emissions_figure`."""
    text.check_lang(lang)
    # Years outer, sites inner: the order of the bars' rows.
    em = _values(ds["emissions_tco2"], "year", "site")
    scale, units = _emission_scale(float(np.nanmax(em, initial=-np.inf)))
    rows, height = _site_rows(ds, lang)
    n_sites = ds.sizes["site"]
    colours = [
        YEAR_COLOURS[i % len(YEAR_COLOURS)] for i in range(em.shape[0]) for _ in range(n_sites)
    ]
    data = [
        {
            "type": "bar",
            "y": rows,
            "x": np.round(em.ravel() / scale, 4),
            "orientation": "h",
            "name": t("var.emissions_tco2", lang),
            "marker": {"color": colours},
            "hovertemplate": "%{y}: %{x:,.3~f}<extra></extra>",
        }
    ]
    layout = _layout(
        t("fig.emissions.title", lang),
        lang,
        height=height,
        showlegend=False,
        yaxis=_axis(t("axis.site", lang), autorange="reversed"),
        xaxis=_axis(text.axis_title("emissions_tco2", {}, lang, units=units)),
    )
    return {"data": data, "layout": layout}


def emissions_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Emissions by site and year (horizontal bars)."""
    return to_figure(emissions_spec(ds, lang))


# --- east-west flows ---------------------------------------------------------------------


def service_tiers(ds: xr.Dataset, lang: str) -> dict[str, str]:
    """Service name with its latency tier, e.g. 'Real-time (≤ 5 ms)'."""
    services = _strings(ds["service"])
    if "service_max_latency_ms" in ds:
        limits = _values(ds["service_max_latency_ms"], "service")
    else:
        limits = np.full(len(services), math.inf)
    out = {}
    for s, limit in zip(services, limits, strict=True):
        name = text.category("service", s, lang)
        if math.isfinite(limit):
            out[s] = t("service.tier", lang, service=name, ms=text.number(limit, 3, lang))
        else:
            out[s] = t("service.tier_none", lang, service=name)
    return out


def flows_sankey_spec(ds: xr.Dataset, lang: str = "en", year: int | None = None) -> Spec:
    """Plain-data form of :func:`flows_sankey`."""
    text.check_lang(lang)
    year = _years(ds)[-1] if year is None else int(year)
    served_da = ds["served_eflops"].sel(year=year)
    if "rack_class" in served_da.dims:
        served_da = served_da.sum("rack_class")
    served = _values(served_da, "region", "service", "site")
    regions = _strings(ds["region"])
    services = _strings(ds["service"])
    sites = _strings(ds["site"])
    region_names = _dim_labels(ds, "region", lang)
    names = site_labels(ds, lang)
    tiers = service_tiers(ds, lang)
    colours = {s: SERVICE_COLOURS[i % len(SERVICE_COLOURS)] for i, s in enumerate(services)}
    unserved = None
    if "unserved_eflops" in ds:
        unserved_da = ds["unserved_eflops"].sel(year=year)
        extra = [d for d in unserved_da.dims if d not in ("region", "service")]
        unserved = _values(unserved_da.sum(extra), "region", "service")
    labels = [region_names[r] for r in regions] + names
    node_colours = ["#4C78A8"] * len(regions) + [
        "#E45756" if e == "west" else "#72B7B2" if e == "east" else "#BAB0AC"
        for e in (
            _strings(ds["site_east_west"]) if "site_east_west" in ds else ["none"] * len(sites)
        )
    ]
    unserved_node = None
    if unserved is not None and float(np.nansum(unserved)) > 1e-9:
        unserved_node = len(labels)
        labels.append(t("fig.flows.unserved", lang))
        node_colours.append("#555555")
    latency = _values(ds["latency_ms"], "region", "site") if "latency_ms" in ds else None
    link_colours = {s: _rgba(colours[s], 0.45) for s in services}
    src, tgt, val, col, custom = [], [], [], [], []
    for i in range(len(regions)):
        for k, s in enumerate(services):
            for j in range(len(sites)):
                v = float(served[i, k, j])
                if v <= 1e-9:
                    continue
                src.append(i)
                tgt.append(len(regions) + j)
                val.append(round(v, 4))
                col.append(link_colours[s])
                ms = float(latency[i, j]) if latency is not None else math.nan
                custom.append([tiers[s], text.number(ms, 2, lang)])
            if unserved_node is not None and unserved is not None:
                v = float(unserved[i, k])
                if v > 1e-9:
                    src.append(i)
                    tgt.append(unserved_node)
                    val.append(round(v, 4))
                    col.append("rgba(80,80,80,0.55)")
                    custom.append([tiers[s], "–"])
    ms_unit = text.unit("ms", lang)
    sankey = {
        "type": "sankey",
        "arrangement": "snap",
        "valueformat": ",.2f",
        "valuesuffix": " EFLOPS",
        "node": {
            "label": labels,
            "color": node_colours,
            "pad": 18,
            "thickness": 18,
            "line": {"color": "#444", "width": 0.5},
        },
        "link": {
            "source": src,
            "target": tgt,
            "value": val,
            "color": col,
            "customdata": custom,
            "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata[0]}<br>"
            f"%{{value}}<br>%{{customdata[1]}} {ms_unit}<extra></extra>",
        },
    }
    unit_label = text.unit(_unit_of(ds, "served_eflops", "EFLOPS"), lang)
    title = text.with_unit(t("fig.flows.title", lang, year=year), unit_label, lang)
    legend = "   ".join(f'<span style="color:{colours[s]}">■</span> {tiers[s]}' for s in services)
    layout = _layout(
        title,
        lang,
        height=max(420, 40 * (len(sites) + len(regions)) + 160),
        annotations=[
            {
                "text": legend,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.08,
                "xanchor": "left",
            }
        ],
    )
    layout["margin"]["b"] = 80
    return {"data": [sankey], "layout": layout}


def flows_sankey(ds: xr.Dataset, lang: str = "en", year: int | None = None) -> go.Figure:
    """Demand by origin region and service to the sites that serve it (a Sankey).

    Regions on the left, sites on the right, one link per region, service and site,
    coloured by the service's latency tier; demand left unserved flows to its own node.
    """
    return to_figure(flows_sankey_spec(ds, lang, year))


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[k : k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# --- costs ---------------------------------------------------------------------------------


def cost_by_component_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`cost_by_component`."""
    text.check_lang(lang)
    cost = _values(ds["cost_cny"], "component", "year")
    units = _unit_of(ds, "cost_cny", "CNY/year")
    scale, unit_label = text.money_axis(units if units in ("CNY", "CNY/year") else "CNY/year", lang)
    years = [str(y) for y in _years(ds)]
    data = []
    for i, comp in enumerate(_strings(ds["component"])):
        values = cost[i] / scale
        if not np.any(np.abs(values) > 0):
            continue
        data.append(_component_bar(years, values, i, comp, lang))
    layout = _layout(
        t("fig.cost_component.title", lang),
        lang,
        barmode="relative",
        height=440,
        xaxis=_axis(t("axis.year", lang), type="category"),
        yaxis=_axis(text.with_unit(t("var.cost_cny", lang), unit_label, lang)),
    )
    return {"data": data, "layout": layout}


def cost_by_component(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Annual cost (undiscounted) per year, stacked by component."""
    return to_figure(cost_by_component_spec(ds, lang))


def site_costs(ds: xr.Dataset) -> tuple[xr.DataArray | None, bool]:
    """Annual cost by site, component and year (``site_cost_cny``, as the model adds it up),
    and whether the run has it: runs of earlier versions of planner do not."""
    if "site_cost_cny" not in ds:
        return None, False
    return ds["site_cost_cny"].transpose("site", "component", "year"), True


def cost_by_hub_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`cost_by_hub`."""
    text.check_lang(lang)
    site_cost, complete = site_costs(ds)
    title = t("fig.cost_hub.title" if complete else "fig.cost_hub.partial", lang)
    if site_cost is None:
        return _no_data(_layout(title, lang, height=300), "–")
    name = "site_cost_cny"
    ds = ds.assign({name: site_cost})
    cost = by_hub(ds[name], ds)
    units = _unit_of(ds, name, "CNY/year")
    scale, unit_label = text.money_axis(units if units in ("CNY", "CNY/year") else "CNY/year", lang)
    hubs = _strings(cost["hub"])
    x = _hub_year_x(ds, hubs, lang)
    # Years outer, hubs inner: the order of the category axis.
    values = _values(cost.sel(year=_years(ds)), "year", "hub", "component") / scale
    data = []
    for i, comp in enumerate(_strings(cost["component"])):
        y = values[:, :, i].ravel()
        if not np.any(np.abs(y) > 0):
            continue
        data.append(_component_bar(x, y, i, comp, lang))
    layout = _layout(
        title,
        lang,
        barmode="relative",
        height=460,
        xaxis=_axis(t("axis.hub", lang)),
        yaxis=_axis(text.with_unit(t("var.cost_cny", lang), unit_label, lang)),
    )
    return {"data": data, "layout": layout}


def cost_by_hub(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Annual cost per hub and year, stacked by component.

    From ``site_cost_cny(site, component, year)``, every component the model adds up
    site by site (the penalties of national targets belong to no site).
    """
    return to_figure(cost_by_hub_spec(ds, lang))


# --- sweeps (extension point) --------------------------------------------------------------


def sweep_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`sweep_figure`."""
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
    trace = {
        "type": "scatter",
        "x": np.round(emissions.values / e_scale, 4),
        "y": np.round(cost.values / scale, 4),
        "mode": "lines+markers+text" if labels else "lines+markers",
        "text": labels,
        "textposition": "top right",
        "marker": {"size": 9, "color": "#4C78A8"},
        "name": "",
    }
    layout = _layout(
        t("fig.sweep.title", lang),
        lang,
        height=440,
        xaxis=_axis(text.axis_title("emissions_tco2", {}, lang, units=e_units)),
        yaxis=_axis(text.with_unit(t("var.objective_cny", lang), unit_label, lang)),
    )
    return {"data": [trace], "layout": layout}


def sweep_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """Cost against emissions across the points of a sweep or Pareto run.

    Extension point for the sweep/Pareto reports: ``sweep`` holds one value per point
    along its first dimension of ``objective_cny`` and ``emissions_tco2`` (summed over
    any other dimension). Richer sweep views belong here, each a function of the sweep
    Dataset like the run figures above.
    """
    return to_figure(sweep_spec(sweep, lang))


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


def sweep_lines_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`sweep_lines_figure`."""
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if not keys:
        raise ValueError("the sweep varies no key")
    x_key = keys[0]
    cost = _case_cost(sweep)
    scale, unit_label = text.money_axis("CNY", lang)
    groups = sorted(set(_strings(sweep[keys[1]]))) if len(keys) > 1 else [None]
    data = []
    for group in groups:
        mask = np.ones(sweep.sizes["case"], bool)
        if group is not None:
            mask = np.asarray(_strings(sweep[keys[1]])) == group
        x = np.asarray(sweep[x_key].values)[mask]
        y = np.asarray(cost.values)[mask] / scale
        order = np.argsort(x, kind="stable")
        name = f"{_esc(keys[1])} = {_esc(group)}" if group is not None else ""
        data.append(
            {
                "type": "scatter",
                "x": x[order],
                "y": np.round(y[order], 4),
                "mode": "lines+markers",
                "name": name,
            }
        )
    layout = _layout(
        t("fig.sweep_lines.title", lang),
        lang,
        height=420,
        xaxis=_axis(_esc(x_key)),
        yaxis=_axis(text.with_unit(t("var.objective_cny", lang), unit_label, lang)),
    )
    return {"data": data, "layout": layout}


def sweep_lines_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """Discounted cost against the first varied key, one line per value of the second."""
    return to_figure(sweep_lines_spec(sweep, lang))


def sweep_heatmap_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`sweep_heatmap_figure`."""
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
    trace = {
        "type": "heatmap",
        "x": [str(v) for v in xs],
        "y": [str(v) for v in ys],
        "z": np.round(z, 4),
        "colorscale": BLUES,
        "colorbar": {"title": {"text": unit_label}},
    }
    layout = _layout(
        t("fig.sweep_heatmap.title", lang),
        lang,
        height=420,
        xaxis=_axis(_esc(a), type="category"),
        yaxis=_axis(_esc(b), type="category"),
    )
    return {"data": [trace], "layout": layout}


def sweep_heatmap_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """Discounted cost over the grid of the first two varied keys."""
    return to_figure(sweep_heatmap_spec(sweep, lang))


def sweep_tornado_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`sweep_tornado_figure`."""
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if not keys:
        raise ValueError("the sweep varies no key")
    cost = np.asarray(_case_cost(sweep).values, dtype=float)
    scale, unit_label = text.money_axis("CNY", lang)
    values = {k: [str(v) for v in np.asarray(sweep[k].values)] for k in keys}
    base = {k: values[k][0] for k in keys}
    rows = []
    for key in keys:
        others = [k for k in keys if k != key]
        alone = [
            i for i in range(sweep.sizes["case"]) if all(values[k][i] == base[k] for k in others)
        ]
        delta = (cost[alone] - cost[0]) / scale
        delta = delta[np.isfinite(delta)]
        if delta.size:
            rows.append((key, float(delta.min()), float(delta.max())))
    rows.sort(key=lambda r: r[2] - r[1])
    data = [
        {
            "type": "bar",
            "y": [_esc(r[0]) for r in rows],
            "x": [round(r[sign], 4) for r in rows],
            "orientation": "h",
            "name": t(f"legend.tornado_{label}", lang),
            "marker": {"color": color},
        }
        for label, sign, color in (("low", 1, "#4C78A8"), ("high", 2, "#E45756"))
    ]
    layout = _layout(
        t("fig.sweep_tornado.title", lang),
        lang,
        height=360,
        barmode="overlay",
        xaxis=_axis(text.with_unit(t("axis.cost_change", lang), unit_label, lang)),
    )
    return {"data": data, "layout": layout}


def sweep_tornado_figure(sweep: xr.Dataset, lang: str = "en") -> go.Figure:
    """How far each varied key alone moves the cost from the first case (tornado).

    For each key, the cases that differ from case 0 only in that key give the range of
    the cost change; bars are sorted by their span, widest on top.
    """
    return to_figure(sweep_tornado_spec(sweep, lang))


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

# The same figures as plain data, which the page serialises without building plotly objects.
FIGURE_SPECS: list[tuple[str, str, Callable[[xr.Dataset, str], Spec]]] = [
    ("summary", "targets", targets_spec),
    ("racks", "site_map", site_map_spec),
    ("racks", "racks_by_hub", racks_by_hub_spec),
    ("power", "energy_mix", energy_mix_spec),
    ("power", "dispatch", dispatch_spec),
    ("power", "green_share", green_share_spec),
    ("power", "emissions", emissions_spec),
    ("flows", "flows", flows_sankey_spec),
    ("costs", "cost_by_component", cost_by_component_spec),
    ("costs", "cost_by_hub", cost_by_hub_spec),
]


# --- near-optimal alternatives ---------------------------------------------------------------

ALTERNATIVE_COLOURS = ["#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2",
                       "#EECA3B", "#9D755D", "#BAB0AC", "#FF9DA6"]  # fmt: skip


def plan_labels(alt: xr.Dataset, lang: str, hub_names: dict[str, str] | None = None) -> list[str]:
    """``P<i> <what the plan is>`` for each alternative of an alternatives Dataset."""
    points = alt["point"].values if "point" in alt.coords else np.zeros(alt.sizes["alternative"])
    return [
        f"P{i} {text.alternative_label(str(k), str(o), int(p), lang, hub_names)}"
        for i, (k, o, p) in enumerate(
            zip(alt["kind"].values, alt["objective"].values, points, strict=True)
        )
    ]


def strip_aggregates(alt: xr.Dataset) -> list[str]:
    """The aggregates the strip view shows: the optimised ones, then every national one
    (per-hub aggregates only when optimised)."""
    optimised = json.loads(alt.attrs.get("objectives", "[]"))
    rest = [str(a) for a in alt["aggregate"].values if "." not in str(a)]
    return optimised + [a for a in rest if a not in optimised]


def alternatives_strip_spec(
    alt: xr.Dataset, lang: str = "en", hub_names: dict[str, str] | None = None
) -> Spec:
    """Plain-data form of :func:`alternatives_strip_figure`."""
    text.check_lang(lang)
    keys = strip_aggregates(alt)
    ok = ~alt["failed"].values.astype(bool)
    values = alt["aggregate_value"].sel(aggregate=keys).values  # (alternative, aggregate)
    units = [str(u) for u in alt["aggregate_unit"].sel(aggregate=keys).values]
    lo = np.nanmin(np.where(ok[:, None], values, np.nan), axis=0)
    hi = np.nanmax(np.where(ok[:, None], values, np.nan), axis=0)
    span = hi - lo
    flat = ~(span > 1e-9 * np.maximum(np.abs(hi), 1.0))
    position = np.where(flat, 0.5, (values - lo) / np.where(flat, 1.0, span))
    rows = [
        f"{_esc(text.aggregate_label(k, lang, hub_names))}<br><span style='color:#666'>"
        f"{_esc(text.aggregate_quantity(a, u, lang))} – {_esc(text.aggregate_quantity(b, u, lang))}"
        "</span>"
        for k, a, b, u in zip(keys, lo, hi, units, strict=True)
    ]
    labels = plan_labels(alt, lang, hub_names)
    data = []
    for i, label in enumerate(labels):
        if not ok[i]:
            continue
        least = str(alt["kind"].values[i]) == "least_cost"
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": np.round(position[i], 4),
                "y": rows,
                "name": _esc(label),
                "text": [
                    _esc(text.aggregate_quantity(v, u, lang))
                    for v, u in zip(values[i], units, strict=True)
                ],
                "hovertemplate": "%{text}<extra>%{fullData.name}</extra>",
                "marker": {
                    "size": 15 if least else 11,
                    "symbol": "diamond" if least else "circle",
                    "color": "#14212e" if least else ALTERNATIVE_COLOURS[i % 10],
                    "line": {"width": 1, "color": "#fff"},
                    "opacity": 1.0 if least else 0.85,
                },
            }
        )
    layout = _layout(
        t("fig.alt_strip.title", lang),
        lang,
        height=140 + 62 * len(keys),
        margin={"l": 330, "r": 30, "t": 70, "b": 60},
        xaxis=_axis(
            t("axis.alt_position", lang), range=[-0.05, 1.05], tickformat=".0%", zeroline=False
        ),
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
        legend={
            "orientation": "h",
            "y": -0.12 - 0.3 / max(len(keys), 1),
            "x": 0,
            "yanchor": "top",
        },
    )
    return {"data": data, "layout": layout}


def alternatives_strip_figure(
    alt: xr.Dataset, lang: str = "en", hub_names: dict[str, str] | None = None
) -> go.Figure:
    """Each plan of an alternatives folder on a strip per aggregate.

    A row per aggregate (:func:`strip_aggregates`), its lowest and highest value across
    the plans under its name; each plan is a marker at its place between them (0: the
    lowest, 1: the highest), the least-cost plan a dark diamond. Hovering shows the value.
    """
    return to_figure(alternatives_strip_spec(alt, lang, hub_names))
