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
            "exponentformat": "none",
            "separatethousands": True,
        },
        "yaxis": {
            "gridcolor": "#EBF0F8",
            "linecolor": "#C8D4E3",
            "zerolinecolor": "#C8D4E3",
            "ticks": "",
            "automargin": True,
            "exponentformat": "none",
            "separatethousands": True,
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


def site_labels(ds: xr.Dataset, lang: str, short: bool = False) -> list[str]:
    """Display names of the sites in ``lang`` (escaped), falling back to the site ids.

    ``short``: the names bar charts and the map use (``Zhangjiakou``, ``张家口``), from
    :func:`planner.report.text.short_name`.
    """
    ids = _strings(ds["site"])
    names = ids
    for name in (f"site_name_{lang}", "site_name_en"):
        if name in ds:
            names = [
                n if n and n != "nan" else i for n, i in zip(_strings(ds[name]), ids, strict=True)
            ]
            break
    if short:
        names = [text.short_name("site", i, n, lang) for i, n in zip(ids, names, strict=True)]
    return [_esc(n) for n in names]


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


def hub_labels(ds: xr.Dataset, lang: str, short: bool = False) -> dict[str, str]:
    labels = _dim_labels(ds, "hub", lang) if "hub" in ds.coords else {}
    for h in _hub_order(ds):
        labels.setdefault(h, _esc(text.category("hub", h, lang)))
    if short:
        labels = {
            h: _esc(text.short_name("hub", h, html.unescape(v), lang)) for h, v in labels.items()
        }
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


# --- horizontal bars, one panel per year, the outside aggregate apart --------------------


def _axis_id(kind: str, i: int) -> tuple[str, str]:
    """Layout key and trace reference of axis number ``i`` (1-based): xaxis/x, xaxis2/x2."""
    return (f"{kind}axis" if i == 1 else f"{kind}axis{i}"), (kind if i == 1 else f"{kind}{i}")


def outside_mask(ds: xr.Dataset, dim: str = "site") -> np.ndarray:
    """Which sites (or hubs) are the aggregate of capacity outside the national clusters."""
    if dim == "site":
        if "site_in_national_hub" in ds:
            return ~np.asarray(ds["site_in_national_hub"].values, dtype=bool)
        hubs = site_hubs(ds)
        return np.asarray([h == "outside" for h in hubs])
    ids = _strings(ds[dim]) if dim in ds.coords else []
    return np.asarray([h == "outside" for h in ids])


def _sig(x: float) -> str:
    """d3 format of a value shown to three significant digits, never in e-notation."""
    return ",.3~r"


def facet_bars(
    title: str,
    lang: str,
    labels: list[str],
    outside: np.ndarray,
    years: list[int],
    series: list[dict[str, Any]],
    units: str,
    *,
    outside_label: str | None = None,
    row_px: int = 26,
    stacked: bool = True,
    markers: list[dict[str, Any]] | None = None,
    x_range: list[float] | None = None,
    percent: bool = False,
    what: str = "",
) -> Spec:
    """Horizontal bars: a row per site or hub, a panel per year, the outside aggregate below
    on its own scale (it would dwarf every cluster on theirs).

    ``series`` are ``{"name", "colour", "values" (row, year), "hover"?}``; ``markers`` are
    the same, drawn as diamonds over the bars. Values are in ``units`` (a results unit) and
    are scaled for the reader (万吨, 亿元...) separately in each of the two panels.
    """
    inside = ~np.asarray(outside, dtype=bool)
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    ny = len(years)

    def size(mask: np.ndarray) -> float:
        if not mask.any():
            return 0.0
        total = sum(np.clip(np.nan_to_num(s["values"][mask]), 0, None) for s in series)
        return float(np.nanmax(total, initial=0.0))

    if percent:
        scales = {True: (0.01, "%"), False: (0.01, "%")}
    else:
        scales = {
            True: text.scale_for(units, size(inside), lang),
            False: text.scale_for(units, size(~inside), lang),
        }
    t_px, b_px, gap_px = 120, 60, 110 if n_out else 0
    top_px, out_px = max(n_in, 1) * row_px, n_out * row_px + (14 if n_out else 0)
    plot_px = top_px + gap_px + out_px
    layout = _layout(
        title,
        lang,
        height=t_px + b_px + plot_px,
        barmode="relative" if stacked else "overlay",
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 - 44 / (t_px + b_px + plot_px),
            "yref": "container",
            "yanchor": "top",
            "traceorder": "normal",
        },
    )
    layout["title"].update(
        {"y": 1 - 10 / (t_px + b_px + plot_px), "yref": "container", "yanchor": "top"}
    )
    layout["margin"] = {"l": 10, "r": 30, "t": t_px, "b": b_px}
    gap = 0.06
    width = (1 - gap * (ny - 1)) / max(ny, 1)
    top_domain = [(out_px + gap_px) / plot_px, 1.0]
    annotations = []
    axis_common = {"exponentformat": "none", "separatethousands": True, "zeroline": True}
    for j, year in enumerate(years):
        domain = [j * (width + gap), j * (width + gap) + width]
        key, _ref = _axis_id("x", j + 1)
        div, label = scales[True]
        layout[key] = {
            **axis_common,
            "domain": domain,
            "anchor": "y",
            "title": {"text": text.with_unit(what, label, lang) if what else label},
            "matches": "x" if j else None,
            "range": x_range,
            "ticksuffix": "%" if percent else None,
        }
        annotations.append(
            {
                "text": f"<b>{_esc(t('summary.per_year', lang, year=year))}</b>",
                "xref": "paper",
                "yref": "paper",
                "x": (domain[0] + domain[1]) / 2,
                "y": 1.0,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 14},
            }
        )
        if n_out:
            key, _ref = _axis_id("x", ny + j + 1)
            div, label = scales[False]
            layout[key] = {
                **axis_common,
                "domain": domain,
                "anchor": "y2",
                "title": {"text": text.with_unit(what, label, lang) if what else label},
                "matches": f"x{ny + 1}" if j else None,
                "range": x_range,
                "ticksuffix": "%" if percent else None,
            }
    layout["yaxis"] = {
        "domain": top_domain,
        "autorange": "reversed",
        "type": "category",
        "automargin": True,
        "ticksuffix": " ",
    }
    if n_out:
        layout["yaxis2"] = {
            "domain": [0.0, out_px / plot_px],
            "autorange": "reversed",
            "type": "category",
            "automargin": True,
            "ticksuffix": " ",
        }
        annotations.append(
            {
                "text": _esc(outside_label or t("fig.outside_apart", lang)),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "xanchor": "left",
                "y": out_px / plot_px + 22 / plot_px,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12, "color": "#555"},
            }
        )
    layout["annotations"] = annotations
    data: list[dict[str, Any]] = []
    groups = [(True, "y", 0)] + ([(False, "y2", ny)] if n_out else [])
    for kind, items in (("bar", series), ("marker", markers or [])):
        for s in items:
            for is_in, yref, offset in groups:
                mask = inside if is_in else ~inside
                div, label = scales[is_in]
                for j, year in enumerate(years):
                    _key, xref = _axis_id("x", offset + j + 1)
                    values = np.asarray(s["values"], dtype=float)[mask, j] / div
                    hover = (
                        f"%{{y}} · {year}: %{{x:{_sig(0)}}}{'' if percent else ' '}{label}"
                        + (s.get("hover") or "")
                        + f"<extra>{s['name']}</extra>"
                    )
                    trace: dict[str, Any] = {
                        "y": [lab for lab, m in zip(labels, mask, strict=True) if m],
                        "x": np.round(values, 6),
                        "xaxis": xref,
                        "yaxis": yref,
                        "name": s["name"],
                        "legendgroup": s["name"],
                        "showlegend": bool(is_in and j == 0),
                        "hovertemplate": hover,
                    }
                    if s.get("customdata") is not None:
                        trace["customdata"] = np.asarray(s["customdata"], dtype=object)[
                            mask, j
                        ].tolist()
                    if kind == "bar":
                        colour = s["colour"]
                        if isinstance(colour, np.ndarray):
                            colour = colour[mask, j].tolist()
                        trace.update(
                            type="bar",
                            orientation="h",
                            marker={"color": colour, **(s.get("marker") or {})},
                        )
                    else:
                        trace.update(
                            type="scatter",
                            mode="markers",
                            marker={
                                "symbol": s.get("symbol", "diamond"),
                                "size": 10,
                                "color": s["colour"],
                                "line": {"width": 1, "color": "#222"},
                            },
                        )
                    data.append(trace)
    return {"data": data, "layout": layout}


# --- where the racks go -------------------------------------------------------------------

# The site map is drawn for the print width (the narrowest it is shown at): labels placed
# apart there stay apart on a wider screen, where the sites are further apart still.
MAP_RANGE_LON = (73.0, 136.0)
MAP_RANGE_LAT = (14.0, 54.5)
MAP_PX_PER_DEG = (6.0, 8.0, 10.0, 12.5, 16.0)  # print (A4) to a wide screen
MAP_LABEL_FONT = 12


def text_width_px(label: str, size: float = MAP_LABEL_FONT) -> float:
    """Rough width of ``label`` in px: CJK characters are square, Latin ones about half."""
    wide = sum(1 for ch in label if ord(ch) > 0x2E80)
    return size * (wide + 0.56 * (len(label) - wide))


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(
    lonlat: np.ndarray,
    radii: np.ndarray,
    labels: list[str],
    order: list[int],
    scales: tuple[float, ...] = MAP_PX_PER_DEG,
) -> list[tuple[float, float]]:
    """Label offsets (px, y down) that keep every label clear of the others and the dots
    at every map scale in ``scales`` (px per degree: print to wide screen).

    Greedy: the sites in ``order`` (largest first) each take the first of a ring of
    candidate positions around their bubble whose box meets no label placed so far and no
    other site's dot at any scale; farther rings follow (a leader line then joins label
    and site).
    """
    placed: list[tuple[int, float, float, float, float]] = []  # site, dx, dy, w, h
    out: list[tuple[float, float]] = [(0.0, 0.0)] * len(labels)
    h = MAP_LABEL_FONT + 5

    def box(k: float, i: int, dx: float, dy: float, w: float, hh: float):
        x, y = lonlat[i][0] * k, -lonlat[i][1] * k
        return (x + dx - w / 2, y + dy - hh / 2, x + dx + w / 2, y + dy + hh / 2)

    def clear(i: int, dx: float, dy: float, w: float) -> bool:
        for k in scales:
            mine = box(k, i, dx, dy, w, h)
            for j, pdx, pdy, pw, ph in placed:
                if _overlaps(mine, box(k, j, pdx, pdy, pw, ph)):
                    return False
            for j in range(len(labels)):
                if j != i and _overlaps(mine, box(k, j, 0, 0, 9, 9)):
                    return False
        return True

    for i in order:
        w = text_width_px(labels[i]) + 8
        r = float(radii[i]) + 3
        chosen = None
        for reach in (1.0, 1.6, 2.4, 3.4, 4.6):
            d = r * reach + 6 * (reach - 1)
            for dx, dy in (
                (d + w / 2, 0), (-d - w / 2, 0), (0, -d - h / 2), (0, d + h / 2),
                (d * 0.75 + w / 2, -d * 0.75 - h / 2), (d * 0.75 + w / 2, d * 0.75 + h / 2),
                (-d * 0.75 - w / 2, -d * 0.75 - h / 2), (-d * 0.75 - w / 2, d * 0.75 + h / 2),
            ):  # fmt: skip
                if clear(i, dx, dy, w):
                    chosen = (dx, dy)
                    break
            if chosen:
                break
        if chosen is None:
            chosen = (r + w / 2, 0.0)
        out[i] = chosen
        placed.append((i, chosen[0], chosen[1], w, h))
    return out


def _nice(value: float) -> float:
    """A round number at or below ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 0.0
    p = 10 ** math.floor(math.log10(value))
    return max(m * p for m in (1, 2, 5) if m * p <= value)


def site_map_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`site_map`."""
    from planner.report import china_outline

    text.check_lang(lang)
    outside = outside_mask(ds)
    keep = np.flatnonzero(~outside)
    lon = ds["site_lon_deg"].values.astype(float)[keep]
    lat = ds["site_lat_deg"].values.astype(float)[keep]
    names = [site_labels(ds, lang)[i] for i in keep]
    short = [site_labels(ds, lang, short=True)[i] for i in keep]
    new_all = _values(ds["racks_new_std"].sum("year"), "site", "rack_class")
    new = new_all[keep]
    per_site = new.sum(axis=1)
    max_new = float(new.max()) if new.size else 0.0
    max_px = 56.0
    sizeref = 2.0 * max_new / max_px**2 if max_new > 0 else 1.0
    ew = _strings(ds["site_east_west"]) if "site_east_west" in ds else ["none"] * ds.sizes["site"]
    ew_names = [text.category("ew", ew[i], lang) for i in keep]
    div, unit_label = text.scale_for("std_rack", max_new, lang)
    classes = _strings(ds["rack_class"])
    totals = new.sum(axis=0)
    data: list[dict[str, Any]] = []
    xs, ys = [], []
    for ring_lon, ring_lat in china_outline.rings():
        xs += [*ring_lon, None]
        ys += [*ring_lat, None]
    data.append(
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "fill": "toself",
            "fillcolor": "rgba(228,233,238,0.6)",
            "line": {"color": "#9AA7B4", "width": 1},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "",
        }
    )
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
                    [n, e, text.number(v / div, 3, lang)]
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
            "mode": "markers",
            "marker": {"size": 4, "color": "#222"},
            "showlegend": False,
            "hoverinfo": "skip",
            "name": "",
        }
    )
    # Labels: placed apart at the print scale, joined to their site when moved away.
    xy = np.column_stack([lon, lat])
    radii = np.sqrt(np.maximum(per_site, 0) / sizeref) / 2 if max_new > 0 else np.zeros(len(keep))
    order = sorted(range(len(keep)), key=lambda i: -float(per_site[i]))
    offsets = place_labels(xy, radii, [html.unescape(s) for s in short], order)
    annotations = []
    for i, (dx, dy) in enumerate(offsets):
        far = math.hypot(dx, dy) > float(radii[i]) + text_width_px(html.unescape(short[i])) / 2 + 12
        annotations.append(
            {
                "x": float(lon[i]),
                "y": float(lat[i]),
                "xref": "x",
                "yref": "y",
                "text": short[i],
                "showarrow": True,
                "arrowhead": 0,
                "arrowwidth": 0.8,
                "arrowcolor": "#888" if far else "rgba(0,0,0,0)",
                "ax": round(dx, 1),
                "ay": round(dy, 1),
                "font": {"size": MAP_LABEL_FONT, "color": "#222"},
                "bgcolor": "rgba(255,255,255,0.7)",
                "borderpad": 1,
                "name": "site-label",
            }
        )
    # A bubble-size legend in the sea east of the coast, and the outside aggregate in words.
    legend_values = [v for v in dict.fromkeys((_nice(max_new), _nice(max_new / 4))) if v > 0]
    lx, ly = 129.5, 24.5
    for j, v in enumerate(legend_values):
        data.append(
            {
                "type": "scatter",
                "x": [lx],
                "y": [ly - 3.2 * j],
                "mode": "markers+text",
                "text": [f"{text.number(v / div, 3, lang)} {unit_label}"],
                "textposition": "middle right",
                "textfont": {"size": 11, "color": "#444"},
                "marker": {
                    "size": [v],
                    "sizemode": "area",
                    "sizeref": sizeref,
                    "color": "rgba(0,0,0,0)",
                    "line": {"width": 1, "color": "#555"},
                },
                "showlegend": False,
                "hoverinfo": "skip",
                "name": "",
                "cliponaxis": False,
            }
        )
    notes = [china_outline.SOURCE[lang]]
    if outside.any():
        out_new = float(new_all[outside].sum())
        notes.insert(0, t("fig.map.outside", lang, racks=text.quantity(out_new, "std_rack", lang)))
    annotations.append(
        {
            "text": _esc(t("fig.map.size_legend", lang)),
            "xref": "x",
            "yref": "y",
            "x": lx - 1.5,
            "y": ly + 3.4,
            "xanchor": "left",
            "showarrow": False,
            "font": {"size": 11, "color": "#444"},
        }
    )
    annotations.append(
        {
            "text": "<br>".join(_esc(n) for n in notes),
            "showarrow": False,
            "xref": "x",
            "yref": "y",
            "x": MAP_RANGE_LON[0] + 0.5,
            "y": MAP_RANGE_LAT[0] + 0.3,
            "xanchor": "left",
            "yanchor": "bottom",
            "align": "left",
            "font": {"size": 11, "color": "#666"},
        }
    )
    layout = _layout(
        t("fig.map.title", lang),
        lang,
        height=640,
        annotations=annotations,
        legend={
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
            "xanchor": "left",
            "itemsizing": "constant",
        },
        xaxis=_axis(
            text.with_unit(t("axis.longitude", lang), text.unit("degree_east", lang), lang),
            range=list(MAP_RANGE_LON),
            zeroline=False,
            showgrid=False,
        ),
        yaxis=_axis(
            text.with_unit(t("axis.latitude", lang), text.unit("degree_north", lang), lang),
            range=list(MAP_RANGE_LAT),
            scaleanchor="x",
            scaleratio=1,
            zeroline=False,
            showgrid=False,
        ),
    )
    layout["margin"] = {"l": 60, "r": 20, "t": 90, "b": 60}
    return {"data": data, "layout": layout}


def site_map(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Sites at their longitude/latitude over China's outline, bubble area = new racks over
    the plan, by class; the outside aggregate (spread over every province) in words.

    A cartesian scatter with equal aspect: the outline is shipped with planner
    (:mod:`planner.report.china_outline`), nothing is fetched.
    """
    return to_figure(site_map_spec(ds, lang))


def racks_by_hub_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`racks_by_hub`."""
    text.check_lang(lang)
    new = by_hub(ds["racks_new_std"], ds)
    hubs = _strings(new["hub"])
    labels = hub_labels(ds, lang, short=True)
    years = _years(ds)
    values = _values(new.sel(year=years), "hub", "rack_class", "year")
    series = [
        {
            "name": text.category("class", cls, lang),
            "colour": CLASS_COLOURS.get(cls),
            "values": values[:, k, :],
        }
        for k, cls in enumerate(_strings(new["rack_class"]))
    ]
    return facet_bars(
        t("fig.racks_hub.title", lang),
        lang,
        [labels[h] for h in hubs],
        outside_mask(new.to_dataset(name="v"), "hub"),
        years,
        series,
        _unit_of(ds, "racks_new_std", "std_rack"),
        outside_label=t("fig.outside_apart_hub", lang),
        what=t("var.racks_new_std", lang),
    )


def racks_by_hub(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """New racks by hub, rack class and year: a panel per year, bars stacked by class."""
    return to_figure(racks_by_hub_spec(ds, lang))


def utilisation_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`utilisation_figure`."""
    text.check_lang(lang)
    years = _years(ds)
    in_service = _values(ds["compute_eflops"].sel(year=years), "site", "rack_class", "year")
    served = _values(ds["served_site_eflops"].sel(year=years), "site", "rack_class", "year")
    idle = np.clip(in_service - served, 0, None).sum(axis=1)
    floor = occupancy_floor(ds).sel(year=years).transpose("site", "year").values
    total = in_service.sum(axis=1)
    occ = np.divide(served.sum(axis=1), total, out=np.full_like(total, np.nan), where=total > 0)
    custom = [
        [[text.percent(occ[i, j], lang)] for j in range(len(years))] for i in range(len(total))
    ]
    hover = "<br>" + t("fig.util.occupancy", lang) + text.colon(lang) + "%{customdata[0]}"
    series = [
        {
            "name": t("fig.util.served", lang, cls=text.category("class", cls, lang)),
            "colour": CLASS_COLOURS.get(cls),
            "values": served[:, k, :],
            "customdata": custom,
            "hover": hover,
        }
        for k, cls in enumerate(_strings(ds["rack_class"]))
    ]
    series.append(
        {
            "name": t("fig.util.idle", lang),
            "colour": "#D5DBE1",
            "values": idle,
            "marker": {"pattern": {"shape": "/", "fgcolor": "#9AA7B4", "size": 6}},
            "customdata": custom,
            "hover": hover,
        }
    )
    markers = [
        {
            "name": t("fig.util.rule", lang),
            "colour": "#111",
            "symbol": "line-ns-open",
            "values": floor * total,
        }
    ]
    return facet_bars(
        t("fig.util.title", lang),
        lang,
        site_labels(ds, lang, short=True),
        outside_mask(ds),
        years,
        series,
        "EFLOPS",
        markers=markers,
        what=t("var.compute_eflops", lang),
    )


def occupancy_floor(ds: xr.Dataset) -> xr.DataArray:
    """The share of each site's compute in service its occupancy rules require (site, year):
    new racks at ``occupancy_min_frac``, existing ones at ``stock_occupancy_frac``."""
    total = ds["compute_eflops"].sum("rack_class")
    new = ds["compute_new_eflops"].sum("rack_class") if "compute_new_eflops" in ds else 0 * total
    rule_new = ds["occupancy_min_frac"] if "occupancy_min_frac" in ds else 0.0
    rule_old = ds["stock_occupancy_frac"] if "stock_occupancy_frac" in ds else rule_new
    need = new * rule_new + (total - new) * rule_old
    return (need / total.where(total > 0)).fillna(0.0)


def utilisation_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Compute served against compute in service by site, class and year.

    Bars are the compute in service: served demand by class, and the idle rest hatched;
    the tick marks the occupancy the site's rules require (上架率).
    """
    return to_figure(utilisation_spec(ds, lang))


# --- how they are powered -------------------------------------------------------------------


def energy_mix_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`energy_mix`."""
    text.check_lang(lang)
    years = _years(ds)
    mix = _values(ds["energy_mix_mwh"].sel(year=years), "site", "source", "year")
    series = [
        {
            "name": text.category("source", src, lang),
            "colour": SOURCE_COLOURS.get(src),
            "values": mix[:, k, :],
        }
        for k, src in enumerate(_strings(ds["source"]))
    ]
    markers = []
    if "gec_mwh" in ds:
        markers.append(
            {
                "name": text.category("source", "certificates", lang),
                "colour": SOURCE_COLOURS["certificates"],
                "values": _values(ds["gec_mwh"].sel(year=years), "site", "year"),
            }
        )
    return facet_bars(
        t("fig.mix.title", lang),
        lang,
        site_labels(ds, lang, short=True),
        outside_mask(ds),
        years,
        series,
        _unit_of(ds, "energy_mix_mwh", "MWh/year"),
        markers=markers,
        what=t("var.energy_mix_mwh", lang),
    )


def energy_mix(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Energy by source per site and year (horizontal stacked bars, a panel per year).

    Green certificates are not energy consumed, so they are drawn as markers beside the
    bars, in the same unit; the outside aggregate is drawn apart, on its own scale.
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

    # One unit for every site (the menu switches sites, not axes): MW, or 万千瓦.
    power_div, power_unit = (1.0, text.unit("MW", lang)) if lang == "en" else (10.0, "万千瓦")

    def series(name: str, sign: float = 1.0) -> np.ndarray:
        """(site, timestep) values of the drawn year and window, as float32."""
        if name not in ds:
            return np.zeros((len(sites), len(x)), dtype=np.float32)
        values = _values(window(name), "site", "timestep")
        return (sign * np.round(values / power_div, DISPATCH_DECIMALS)).astype(np.float32)

    # The first site shown: the one with the most new racks (where the plan builds most).
    new_racks = ds["racks_new_std"].sum(("rack_class", "year")).values.astype(float)
    new_racks = np.where(outside_mask(ds), -1.0, new_racks)
    start = int(np.argmax(new_racks)) if sites else 0
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
                "hovertemplate": f"%{{y:,.1f}} {power_unit}<extra>{label}</extra>",
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
        yaxis=_axis(text.with_unit(t("var.facility_load_mw", lang), power_unit, lang)),
    )
    layout["margin"]["t"] = 120
    # The menu sits above the plot: the title moves to the top of the figure.
    layout["title"].update({"y": 0.98, "yanchor": "top", "yref": "container"})
    return {"data": data, "layout": layout}


def dispatch_print_specs(spec: Spec, lang: str, per_page: int = 4) -> list[Spec]:
    """The dispatch figure for paper: every site's hourly balance, ``per_page`` sites to a
    figure (a 2 x 2 grid), from the screen figure's own traces (its menu shows one site)."""
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    names = [b["label"] for b in buttons]
    n_sites = len(names)
    per_site = len(spec["data"]) // max(n_sites, 1)
    base_title = spec["layout"]["title"]["text"].split(text.colon(lang))[0]
    y_title = spec["layout"]["yaxis"]["title"]["text"]
    x_axis = spec["layout"]["xaxis"]
    out = []
    for first in range(0, n_sites, per_page):
        sites = list(range(first, min(first + per_page, n_sites)))
        cols, rows = 2, (len(sites) + 1) // 2
        layout = _layout(
            f"{base_title} ({first // per_page + 1}/{math.ceil(n_sites / per_page)})",
            lang,
            height=150 + 300 * rows,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": -0.06, "yanchor": "top"},
            annotations=[],
        )
        layout["margin"] = {"l": 70, "r": 20, "t": 70, "b": 90}
        data = []
        for k, i in enumerate(sites):
            r, c = divmod(k, cols)
            n = k + 1
            xkey, xref = _axis_id("x", n)
            ykey, yref = _axis_id("y", n)
            x0 = c * 0.53
            y1 = 1 - r * (1 / rows)
            y0 = y1 - 1 / rows + 0.12
            layout[xkey] = {
                **{key: x_axis[key] for key in ("tickmode", "tickvals", "ticktext", "range")},
                "domain": [x0, x0 + 0.47],
                "anchor": yref,
                "tickfont": {"size": 9},
            }
            layout[ykey] = {
                "domain": [max(y0, 0), y1],
                "anchor": xref,
                "title": {"text": y_title if c == 0 else ""},
            }
            layout["annotations"].append(
                {
                    "text": f"<b>{names[i]}</b>",
                    "xref": "paper",
                    "yref": "paper",
                    "x": x0,
                    "y": y1,
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "showarrow": False,
                }
            )
            for trace in spec["data"][i * per_site : (i + 1) * per_site]:
                copy = {**trace, "visible": True, "xaxis": xref, "yaxis": yref}
                copy["showlegend"] = k == 0
                if "stackgroup" in copy:
                    copy["stackgroup"] = f"{trace['stackgroup']}{k}"
                data.append(copy)
        out.append({"data": data, "layout": layout})
    return out


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
    title = t("fig.green.title", lang)
    if "green_share_frac" in ds:
        share = ds["green_share_frac"]
    elif "green_supply_mwh" in ds and "new_capacity_energy_mwh" in ds:
        denom = ds["new_capacity_energy_mwh"]
        share = (ds["green_supply_mwh"] / denom.where(denom > 0)).assign_attrs(units="1")
    else:
        return _no_data(_layout(title, lang), "–")
    if "hub" not in share.dims:
        share = share.expand_dims(hub=["all"])
        labels = {"all": t("axis.hub_all", lang)}
    else:
        labels = hub_labels(ds, lang, short=True)
    values_hy = _values(share.sel(year=years), "hub", "year")
    keep = [k for k in range(values_hy.shape[0]) if np.isfinite(values_hy[k]).any()]
    hubs = [str(share["hub"].values[k]) for k in keep]
    values = values_hy[keep]
    rule = None
    if "target_green_share_frac" in ds:
        rule = np.asarray(ds["target_green_share_frac"].sel(year=years).values, dtype=float)
    ok = np.ones_like(values, dtype=bool) if rule is None else values >= rule[None, :] - 1e-9
    colours = np.where(ok, "#2CA02C", "#D62728").astype(object)
    series = [
        {"name": t("var.green_share", lang), "colour": colours, "values": values},
    ]
    spec = facet_bars(
        title,
        lang,
        [labels.get(h, _esc(h)) for h in hubs],
        np.zeros(len(hubs), dtype=bool),
        years,
        series,
        "1",
        percent=True,
        x_range=[0, 105],
        stacked=False,
        what=t("var.green_share", lang),
    )
    spec["layout"]["showlegend"] = False
    if rule is not None:
        shapes = []
        for j, r in enumerate(rule):
            _key, ref = _axis_id("x", j + 1)
            shapes.append(
                {
                    "type": "line",
                    "xref": ref,
                    "x0": 100 * r,
                    "x1": 100 * r,
                    "yref": "y domain",
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#111", "dash": "dash", "width": 2},
                }
            )
            spec["layout"]["annotations"].append(
                {
                    "text": _esc(t("fig.green.rule", lang, value=text.percent(r, lang, 0))),
                    "xref": ref,
                    "x": 100 * r,
                    "yref": "y domain",
                    "y": 1,
                    "yanchor": "bottom",
                    "xanchor": "left",
                    "showarrow": False,
                    "font": {"size": 11},
                    "bgcolor": "rgba(255,255,255,0.8)",
                }
            )
        spec["layout"]["shapes"] = shapes
    return spec


def green_share_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Green power share of new hub capacity per hub and year, against the policy rule."""
    return to_figure(green_share_spec(ds, lang))


def emissions_spec(ds: xr.Dataset, lang: str = "en") -> Spec:
    """Plain-data form of :func:`emissions_figure`."""
    text.check_lang(lang)
    years = _years(ds)
    em = _values(ds["emissions_tco2"].sel(year=years), "site", "year")
    spec = facet_bars(
        t("fig.emissions.title", lang),
        lang,
        site_labels(ds, lang, short=True),
        outside_mask(ds),
        years,
        [{"name": t("var.emissions_tco2", lang), "colour": "#4292C6", "values": em}],
        _unit_of(ds, "emissions_tco2", "tCO2/year"),
        what=t("var.emissions_tco2", lang),
    )
    spec["layout"]["showlegend"] = False
    return spec


def emissions_figure(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Emissions by site and year (horizontal bars; the outside aggregate on its own scale)."""
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
        # At most what an A4 landscape page holds (zoomed to 0.9), so print keeps it whole.
        height=min(max(420, 40 * (len(sites) + len(regions)) + 160), 720),
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
    hubs = _strings(cost["hub"])
    labels = hub_labels(ds, lang, short=True)
    years = _years(ds)
    values = _values(cost.sel(year=years), "hub", "component", "year")
    series = [
        {
            "name": text.category("component", comp, lang),
            "colour": COMPONENT_COLOURS[i % len(COMPONENT_COLOURS)],
            "values": values[:, i, :],
        }
        for i, comp in enumerate(_strings(cost["component"]))
        if np.any(np.abs(values[:, i, :]) > 0)
    ]
    return facet_bars(
        title,
        lang,
        [labels[h] for h in hubs],
        outside_mask(cost.to_dataset(name="v"), "hub"),
        years,
        series,
        _unit_of(ds, name, "CNY/year"),
        outside_label=t("fig.outside_apart_hub", lang),
        what=t("var.cost_cny", lang),
    )


def cost_by_hub(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Annual cost per hub and year, stacked by component (a panel per year).

    From ``site_cost_cny(site, component, year)``, every component the model adds up
    site by site (the penalties of national targets belong to no site).
    """
    return to_figure(cost_by_hub_spec(ds, lang))


# The report's figures in page order: (section, figure id, function of (ds, lang)).
FIGURES: list[tuple[str, str, Callable[[xr.Dataset, str], go.Figure]]] = [
    ("summary", "targets", targets_figure),
    ("racks", "site_map", site_map),
    ("racks", "racks_by_hub", racks_by_hub),
    ("racks", "utilisation", utilisation_figure),
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
    ("racks", "utilisation", utilisation_spec),
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
        f"{_esc(text.aggregate_quantity(a, u, lang, max(abs(a), abs(b))))} – "
        f"{_esc(text.aggregate_quantity(b, u, lang, max(abs(a), abs(b))))}</span>"
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
                    _esc(text.aggregate_quantity(v, u, lang, max(abs(a), abs(b))))
                    for v, u, a, b in zip(values[i], units, lo, hi, strict=True)
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
