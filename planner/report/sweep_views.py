"""The views of a sweep or a cost-carbon frontier: figures and the case table.

Pure functions of the sweep Dataset (``sweep.nc``, :func:`planner.sweep.assemble_sweep`),
like :mod:`planner.report.figures`. Every view says which years it counts, and names
the varied keys by their own name and unit in the reader's language
(:data:`KEY_NAMES`; the unit is the key's own, from :func:`planner.model_file.settable_keys`).
A sweep shows cost against emissions, cost along each varied key, and, when two keys vary
over a grid, the sensitivity of each and the grid itself; a frontier shows the frontier
and the cost of each tonne cut. Both have the case table, each case against the base case
(the model as given; for a frontier, its least-cost end).
"""

from __future__ import annotations

import functools
import html
import json
import math
from typing import Any

import numpy as np
import xarray as xr

from planner.report import figures as F
from planner.report import text
from planner.report.text import t

Spec = dict[str, Any]

# Varied keys by their own name, in both languages; ``{member}`` is a year, east/west or
# a rack class. Units are the key's own (settable_keys); these are the names.
KEY_NAMES: dict[str, dict[str, str]] = {
    "carbon_price_cny_per_tco2": {"en": "Carbon price", "zh": "碳价"},
    "target.total_eflops": {"en": "Compute target {member}", "zh": "{member}年算力总规模目标"},
    "target.intelligent_share": {
        "en": "Intelligent share target {member}",
        "zh": "{member}年智能算力占比目标",
    },
    "target.green_share_new_hub": {
        "en": "Green power rule {member}",
        "zh": "{member}年枢纽新增算力绿电占比要求",
    },
    "target.hourly_cfe_share": {
        "en": "Hourly-matched clean power {member}",
        "zh": "{member}年逐时清洁能源匹配比例",
    },
    "carbon_cap_tco2": {"en": "Carbon cap {member}", "zh": "{member}年碳排放上限"},
    "price_scale": {"en": "Grid price multiplier, {member}", "zh": "{member}电价系数"},
    "capex_scale": {"en": "Rack cost multiplier, {member}", "zh": "{member}机架投资系数"},
    "demand_scale": {"en": "Demand multiplier, {member}", "zh": "{member}需求系数"},
    "campus_phases": {"en": "Campus phases", "zh": "园区分期建设"},
    "time.representative_days": {"en": "Representative days", "zh": "典型日数"},
    "solver.mip_gap": {"en": "MIP gap", "zh": "混合整数间隙"},
    "solver.time_limit_s": {"en": "Solver time limit", "zh": "求解时间上限"},
    "cap_frac": {
        "en": "Cap, share of the way from the least-carbon to the least-cost end",
        "zh": "排放上限（由最低碳端到最低成本端的位置）",
    },
}
MEMBERS = {
    "east": {"en": "east", "zh": "东部"},
    "west": {"en": "west", "zh": "西部"},
}


# --- what a sweep is ----------------------------------------------------------------------


def is_frontier(sweep: xr.Dataset) -> bool:
    """A cost-carbon frontier (``planner pareto``) rather than a what-if sweep."""
    return sweep.attrs.get("mode") == "pareto" or "cap_frac" in sweep.coords


def varied_keys(sweep: xr.Dataset) -> list[str]:
    """The model-file keys a sweep varied: coordinates along ``case`` with more than one
    value (a frontier's ``cap_frac`` is its position, not a key)."""
    keys = []
    for name, coord in sweep.coords.items():
        if name in ("case", "case_index", "cap_frac") or coord.dims != ("case",):
            continue
        if len(np.unique(np.asarray(coord.values).astype(str))) > 1:
            keys.append(str(name))
    return keys


def _years(sweep: xr.Dataset) -> list[int]:
    return [int(y) for y in sweep["year"].values] if "year" in sweep.coords else []


def _span(years: list[int], lang: str) -> str:
    if not years:
        return ""
    if len(years) == 1:
        return t("summary.per_year", lang, year=years[0])
    return f"{years[0]}–{years[-1]}" + ("年" if lang == "zh" else "")


def _failed(sweep: xr.Dataset) -> np.ndarray:
    if "failed" not in sweep:
        return np.zeros(sweep.sizes["case"], dtype=bool)
    return np.asarray(sweep["failed"].values, dtype=bool)


def case_cost(sweep: xr.Dataset) -> np.ndarray:
    """Each case's discounted total cost [CNY]; failed cases are NaN."""
    cost = np.asarray(sweep["objective_cny"].values, dtype=float).copy()
    cost[_failed(sweep)] = np.nan
    return cost


def _per_year(sweep: xr.Dataset, name: str, year: int | None) -> np.ndarray:
    """``name`` (case, year) in ``year``, or summed over the years (None); NaN if failed."""
    if name not in sweep:
        return np.full(sweep.sizes["case"], np.nan)
    da = sweep[name]
    if "year" in da.dims:
        da = da.sum("year", min_count=1) if year is None else da.sel(year=year)
    out = np.asarray(da.values, dtype=float).copy()
    out[_failed(sweep)] = np.nan
    return out


def base_case(sweep: xr.Dataset) -> int | None:
    """Position of the base case: for a frontier its least-cost end (no binding cap);
    for a sweep the case whose varied values are the model's own (``base_values``), when
    the sweep has one. None when it has none."""
    n = sweep.sizes["case"]
    if n == 0:
        return None
    if is_frontier(sweep):
        if "cap_frac" in sweep.coords:
            return int(np.nanargmax(np.asarray(sweep["cap_frac"].values, dtype=float)))
        return n - 1
    try:
        base = json.loads(sweep.attrs.get("base_values") or "{}")
    except (TypeError, ValueError):
        base = {}
    keys = varied_keys(sweep) or [k for k in base if k in sweep.coords]
    if not keys or any(base.get(k) is None for k in keys):
        return None
    for i in range(n):
        if all(_same(sweep[k].values[i], base[k]) for k in keys):
            return i
    return None


def _same(a: Any, b: Any) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


# --- names of keys and values ------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _key_units() -> dict[str, str]:
    """Each settable key's own unit (``CNY/tCO2``), from the model file's definition."""
    from planner.model_file import settable_keys

    # settable_keys speaks to a command line ("fraction", "tCO2 per year"); the report's
    # unit ids are the results' ("1", "tCO2/year").
    words = {"fraction": "1", "tCO2 per year": "tCO2/year", "s": "s"}
    out = {}
    for k in settable_keys():
        unit = str(k.unit).split(",")[0].strip()
        out[k.key.split(".<")[0]] = words.get(unit, "" if unit.startswith("times") else unit)
    return out


def _key_parts(key: str) -> tuple[str, str]:
    """``target.total_eflops.2025`` -> (``target.total_eflops``, ``2025``)."""
    units = _key_units()
    if key in units or key in KEY_NAMES:
        return key, ""
    head, _sep, member = key.rpartition(".")
    return (head, member) if head else (key, "")


def key_unit(key: str) -> str:
    """The key's own unit id (``CNY/tCO2``, ``1`` for a share), from settable_keys."""
    base, _member = _key_parts(key)
    return _key_units().get(base, "")


def key_name(key: str, lang: str) -> str:
    """A varied key by its own name: 'Carbon price', '2025年算力总规模目标'."""
    base, member = _key_parts(key)
    entry = KEY_NAMES.get(base)
    if member in MEMBERS:
        member = MEMBERS[member][lang]
    elif member in ("general", "intelligent", "supercomputing"):
        member = text.category("class", member, lang)
    if entry is None:
        if lang == "en":
            from planner.model_file import KEY_MEANINGS

            meaning = KEY_MEANINGS.get(base) or KEY_MEANINGS.get(base.split(".")[0])
            return f"{meaning} {member}".strip() if meaning else key
        return key
    return entry[lang].format(member=member).strip()


def key_label(key: str, lang: str) -> str:
    """The key's name with its unit: 'Carbon price (yuan per t CO₂)'."""
    unit = key_unit(key)
    if unit == "1":
        return text.with_unit(key_name(key, lang), "%", lang)
    if unit in ("tCO2", "tCO2/year"):
        return key_name(key, lang)  # values carry their own scale (万吨, million t)
    return text.with_unit(key_name(key, lang), text.unit(unit, lang), lang)


def value_text(key: str, value: Any, lang: str) -> str:
    """A varied value for readers: 35 % for a share, 66.7 million t CO₂ for a cap."""
    unit = key_unit(key)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if unit == "1":
        return text.percent(x, lang, 0 if abs(100 * x - round(100 * x)) < 1e-9 else 1)
    if unit in ("tCO2", "tCO2/year"):
        return text.quantity(x, "tCO2", lang)
    return text.number(x, 4, lang)


def _in_sentence(name: str, lang: str) -> str:
    """A key's name inside an English sentence: 'the carbon price', but 'the AI share'."""
    if lang != "en" or not name or name[:2].isupper():
        return name
    return name[0].lower() + name[1:]


def case_label(sweep: xr.Dataset, i: int, lang: str, short: bool = False) -> str:
    """What makes case ``i`` a case, in words: 'Carbon price 200' (short) or with units;
    a frontier point by its place between the two ends."""
    if is_frontier(sweep) and "cap_frac" in sweep.coords:
        f = float(sweep["cap_frac"].values[i])
        if f <= 1e-9:
            return t("sweep.least_carbon", lang)
        if f >= 1 - 1e-9:
            return t("sweep.least_cost", lang)
        return t("sweep.point", lang, share=text.percent(f, lang, 0))  # e.g. "33 % of the way"
    keys = varied_keys(sweep)
    if not keys:
        return t("sweep.case", lang, n=i + 1)
    parts = []
    for k in keys:
        v = value_text(k, sweep[k].values[i], lang)
        name = key_name(k, lang)
        parts.append(f"{name} {v}" if short else f"{name}{text.colon(lang)}{v}")
    return ", ".join(parts) if lang == "en" else "，".join(parts)


# --- figures -----------------------------------------------------------------------------------


def _money(lang: str, values: np.ndarray) -> tuple[float, str]:
    finite = values[np.isfinite(values)]
    return text.scale_for("CNY", float(np.abs(finite).max()) if finite.size else 0, lang)


def cost_emissions_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """Discounted cost against emissions, one point per case, labelled by what was varied.

    A sweep counts emissions in its last plan year (the year its targets are for); a
    frontier counts them over every plan year, as its caps do. Both axes say so.
    """
    text.check_lang(lang)
    years = _years(sweep)
    frontier = is_frontier(sweep)
    year = None if frontier else (years[-1] if years else None)
    emissions = _per_year(sweep, "emissions_tco2", year)
    cost = case_cost(sweep)
    div, money_unit = _money(lang, cost)
    finite = emissions[np.isfinite(emissions)]
    e_div, e_unit = text.scale_for(
        "tCO2" if frontier else "tCO2/year", float(finite.max()) if finite.size else 0, lang
    )
    base = base_case(sweep)
    n = sweep.sizes["case"]
    order = np.argsort(np.where(np.isfinite(emissions), emissions, np.inf), kind="stable")
    # Points carry the number of their row in the case table (and a frontier's ends their
    # name): whole labels of two keys would crowd the chart and run off its edge.
    labels = [str(i + 1) for i in range(n)]
    if frontier:
        labels = [
            f"{i + 1} · {case_label(sweep, i, lang)}" if i in (int(order[0]), int(order[-1]))
            else str(i + 1)
            for i in range(n)
        ]  # fmt: skip
    elif len(varied_keys(sweep)) == 1:
        key = varied_keys(sweep)[0]
        labels = [_esc_html(value_text(key, sweep[key].values[i], lang)) for i in range(n)]
    positions = ["top right", "bottom left", "top left", "bottom right"]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": np.round(emissions[order] / e_div, 4),
            "y": np.round(cost[order] / div, 4),
            "mode": ("lines+" if frontier else "") + "markers+text",
            "text": [labels[i] for i in order],
            "textposition": [positions[k % len(positions)] for k in range(n)]
            if not frontier
            else "top right",
            "cliponaxis": False,
            "marker": {"size": 10, "color": "#4C78A8"},
            "line": {"color": "#4C78A8"},
            "name": t("sweep.points" if frontier else "sweep.cases", lang),
            "customdata": [_esc_html(case_label(sweep, i, lang)) for i in order],
            "hovertemplate": "%{customdata}<br>%{x:,.4~r} " + e_unit + "<br>%{y:,.4~r} "
            + money_unit + "<extra></extra>",
        }
    ]  # fmt: skip
    if base is not None and np.isfinite(cost[base]):
        data.append(
            {
                "type": "scatter",
                "x": [round(float(emissions[base] / e_div), 4)],
                "y": [round(float(cost[base] / div), 4)],
                "mode": "markers",
                "marker": {"size": 16, "symbol": "circle-open", "color": "#B3261E",
                           "line": {"width": 3}},
                "name": t("sweep.base_legend", lang),
                "hoverinfo": "skip",
            }
        )  # fmt: skip
    x_name = t("sweep.emissions_total" if frontier else "sweep.emissions_year", lang,
               years=_span(years, lang), year=year)  # fmt: skip
    y_name = t("sweep.cost_axis", lang, years=_span(years, lang))
    title = t("fig.frontier.title" if frontier else "fig.sweep.title", lang)
    layout = F._layout(
        title,
        lang,
        height=480,
        xaxis=F._axis(text.with_unit(x_name, e_unit, lang)),
        yaxis=F._axis(text.with_unit(y_name, money_unit, lang)),
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
    )
    layout["margin"] = {"l": 90, "r": 160, "t": 100, "b": 70}
    return {"data": data, "layout": layout}


def _esc_html(value: str) -> str:
    return html.escape(value, quote=True)


def lines_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """Discounted cost along the first varied key, one line per value of the second."""
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if not keys:
        raise ValueError("the sweep varies no key")
    x_key = keys[0]
    cost = case_cost(sweep)
    div, money_unit = _money(lang, cost)
    x_all = np.asarray(sweep[x_key].values)
    numeric = x_all.dtype.kind in "fiu"
    scale = 100.0 if key_unit(x_key) == "1" else 1.0
    groups: list[Any] = sorted(set(sweep[keys[1]].values.tolist())) if len(keys) > 1 else [None]
    data = []
    for group in groups:
        mask = np.ones(sweep.sizes["case"], bool)
        if group is not None:
            mask = np.asarray(sweep[keys[1]].values) == group
        x = x_all[mask]
        y = cost[mask] / div
        order = np.argsort(x, kind="stable")
        name = (
            f"{key_name(keys[1], lang)} {value_text(keys[1], group, lang)}"
            if group is not None
            else t("sweep.cases", lang)
        )
        data.append(
            {
                "type": "scatter",
                "x": (x[order] * scale) if numeric else [str(v) for v in x[order]],
                "y": np.round(y[order], 4),
                "mode": "lines+markers",
                "name": _esc_html(name),
                "hovertemplate": "%{x}: %{y:,.4~r} "
                + money_unit
                + "<extra>%{fullData.name}</extra>",
            }
        )
    years = _years(sweep)
    layout = F._layout(
        t("fig.sweep_lines.title", lang, option=_in_sentence(key_name(x_key, lang), lang)),
        lang,
        height=440,
        showlegend=len(groups) > 1,
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis=F._axis(_esc_html(key_label(x_key, lang)), type="linear" if numeric else "category"),
        yaxis=F._axis(
            text.with_unit(t("sweep.cost_axis", lang, years=_span(years, lang)), money_unit, lang)
        ),
    )
    layout["margin"]["t"] = 100
    return {"data": data, "layout": layout}


def _grid(sweep: xr.Dataset, keys: list[str]) -> bool:
    """Whether the first two keys vary over a full grid (every pair once)."""
    if len(keys) < 2:
        return False
    a = [str(v) for v in sweep[keys[0]].values]
    b = [str(v) for v in sweep[keys[1]].values]
    pairs = set(zip(a, b, strict=True))
    return len(set(a)) > 1 and len(set(b)) > 1 and len(pairs) == len(set(a)) * len(set(b))


def heatmap_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """Discounted cost over the grid of the first two varied keys."""
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if not _grid(sweep, keys):
        raise ValueError("a heat map needs two keys varied over a grid")
    a, b = keys[0], keys[1]
    cost = case_cost(sweep)
    div, money_unit = _money(lang, cost)
    xs = sorted(set(np.asarray(sweep[a].values).tolist()))
    ys = sorted(set(np.asarray(sweep[b].values).tolist()))
    z = np.full((len(ys), len(xs)), np.nan)
    for va, vb, c in zip(sweep[a].values, sweep[b].values, cost, strict=True):
        z[ys.index(vb), xs.index(va)] = c / div
    trace = {
        "type": "heatmap",
        "x": [value_text(a, v, lang) for v in xs],
        "y": [value_text(b, v, lang) for v in ys],
        "z": np.round(z, 4),
        "colorscale": F.BLUES,
        "colorbar": {
            "title": {"text": money_unit},
            "exponentformat": "none",
            "separatethousands": True,
        },
        "texttemplate": "%{z:,.4~r}",
        "hovertemplate": "%{x}, %{y}: %{z:,.4~r} " + money_unit + "<extra></extra>",
    }
    years = _years(sweep)
    layout = F._layout(
        t("fig.sweep_heatmap.title", lang, years=_span(years, lang)),
        lang,
        height=440,
        xaxis=F._axis(_esc_html(key_label(a, lang)), type="category"),
        yaxis=F._axis(_esc_html(key_label(b, lang)), type="category"),
    )
    return {"data": [trace], "layout": layout}


def tornado_spec(sweep: xr.Dataset, lang: str = "en") -> Spec:
    """How far each varied key alone moves the cost from the base case (tornado)."""
    text.check_lang(lang)
    keys = varied_keys(sweep)
    if not keys:
        raise ValueError("the sweep varies no key")
    cost = case_cost(sweep)
    base = base_case(sweep)
    base = 0 if base is None else base
    div, money_unit = _money(lang, cost - cost[base])
    values = {k: [str(v) for v in np.asarray(sweep[k].values)] for k in keys}
    rows = []
    for key in keys:
        others = [k for k in keys if k != key]
        alone = [
            i
            for i in range(sweep.sizes["case"])
            if all(values[k][i] == values[k][base] for k in others)
        ]
        delta = (cost[alone] - cost[base]) / div
        delta = delta[np.isfinite(delta)]
        if delta.size:
            rows.append((key, float(delta.min()), float(delta.max())))
    rows.sort(key=lambda r: r[2] - r[1])
    names = [_esc_html(key_name(r[0], lang)) for r in rows]
    data = [
        {
            "type": "bar",
            "y": names,
            "x": [round(r[sign], 4) for r in rows],
            "orientation": "h",
            "name": t(f"legend.tornado_{label}", lang),
            "marker": {"color": color},
            "hovertemplate": "%{y}: %{x:,.4~r} " + money_unit + "<extra>%{fullData.name}</extra>",
        }
        for label, sign, color in (("low", 1, "#4C78A8"), ("high", 2, "#E45756"))
    ]
    layout = F._layout(
        t("fig.sweep_tornado.title", lang, base=case_label(sweep, base, lang, short=True)),
        lang,
        height=200 + 60 * len(rows),
        barmode="overlay",
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis=F._axis(text.with_unit(t("axis.cost_change", lang), money_unit, lang)),
        yaxis={"ticksuffix": "  ", "automargin": True},
    )
    layout["margin"]["t"] = 100
    return {"data": data, "layout": layout}


def view_specs(sweep: xr.Dataset, lang: str) -> list[tuple[str, Spec]]:
    """The views that mean something for this folder: a frontier draws its frontier; a
    sweep its cost and emissions, cost along each key, and with two keys over a grid the
    sensitivity of each and the grid."""
    views = [("sweep" if not is_frontier(sweep) else "frontier", cost_emissions_spec(sweep, lang))]
    if is_frontier(sweep):
        return views
    keys = varied_keys(sweep)
    if keys:
        views.append(("sweep_lines", lines_spec(sweep, lang)))
    if len(keys) >= 2:
        views.append(("sweep_tornado", tornado_spec(sweep, lang)))
    if _grid(sweep, keys):
        views.append(("sweep_heatmap", heatmap_spec(sweep, lang)))
    return views


# --- the case table -------------------------------------------------------------------------------


def _cell(value: float, shown: str) -> str:
    raw = json.dumps(value if math.isfinite(value) else None)
    return f'<td class="num"><span data-value="{_esc_html(raw)}">{_esc_html(shown)}</span></td>'


def _signed(value: float, units: str, lang: str) -> str:
    if not math.isfinite(value):
        return "–"
    if abs(value) < 1e-9:
        return "0"
    return ("+" if value > 0 else "−") + text.quantity(abs(value), units, lang)


def case_table(sweep: xr.Dataset, lang: str) -> str:
    """One row per case: what was varied, status, discounted cost, emissions and compute in
    the last plan year (over every year for a frontier), and the change against the base
    case; for a frontier, also the cost of each tonne cut against the least-cost end."""
    frontier = is_frontier(sweep)
    years = _years(sweep)
    last = years[-1] if years else None
    keys = varied_keys(sweep)
    cost = case_cost(sweep)
    emissions = _per_year(sweep, "emissions_tco2", None if frontier else last)
    compute = _per_year(sweep, "total_eflops", last)
    base = base_case(sweep)
    status = [str(s) for s in sweep["status"].values] if "status" in sweep else [""] * len(cost)
    failed = _failed(sweep)
    e_units = "tCO2" if frontier else "tCO2/year"
    span = _span(years, lang)
    in_year = t("summary.per_year", lang, year=last) if last is not None else ""
    head = (
        ["#", *(key_label(k, lang) for k in keys)]
        if not frontier
        else ["#", t("sweep.point_col", lang)]
    )
    if frontier:
        head += [key_name(k, lang) for k in keys]
    shortfalls = {
        str(name).removeprefix("shortfall_"): np.nan_to_num(
            np.asarray(sweep[name].values, dtype=float).reshape(len(cost), -1)
        ).max(axis=1)
        for name in sweep.data_vars
        if str(name).startswith("shortfall_")
    }

    # One unit per column, in its header, scaled to the column's largest value.
    def scale(values: np.ndarray, units: str) -> tuple[float, str]:
        finite = np.abs(values[np.isfinite(values)])
        return text.scale_for(units, float(finite.max()) if finite.size else 0.0, lang)

    base_i = base if base is not None else 0
    d_cost_all = cost - cost[base_i]
    d_em_all = emissions - emissions[base_i]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_all = np.where(d_em_all < -1e-6, d_cost_all / -d_em_all, np.nan)
    scales = {
        "cost": scale(cost, "CNY"),
        "emissions": scale(emissions, e_units),
        "d_cost": scale(d_cost_all, "CNY"),
        "d_em": scale(d_em_all, e_units.removesuffix("/year")),
        "per": scale(per_all, "CNY"),
    }
    per_label = text.money_per(1.0, "CNY/tCO2", lang).removeprefix("1").strip()
    per_label = per_label.replace("yuan", scales["per"][1]).replace("元", scales["per"][1])
    head += [
        t("appendix.status", lang),
        t("sweep.targets", lang),
        text.with_unit(t("sweep.cost_axis", lang, years=span), scales["cost"][1], lang),
        text.with_unit(
            t("sweep.emissions_total", lang, years=span) if frontier
            else t("sweep.emissions_year", lang, year=in_year),
            scales["emissions"][1],
            lang,
        ),
        text.with_unit(f"{t('summary.total_eflops', lang)} {in_year}", "EFLOPS", lang),
        text.with_unit(t("sweep.delta_cost", lang), scales["d_cost"][1], lang),
        text.with_unit(t("sweep.delta_emissions", lang), scales["d_em"][1], lang),
    ]  # fmt: skip
    if frontier:
        head.append(text.with_unit(t("sweep.per_tonne", lang), per_label, lang))
    rows = []
    order = (
        np.argsort(np.where(np.isfinite(emissions), emissions, np.inf), kind="stable")
        if frontier
        else range(len(cost))
    )
    for i in order:
        cells = [f'<td class="num">{i + 1}</td>']
        if frontier:
            cells.append(f"<td>{_esc_html(case_label(sweep, i, lang))}</td>")
        for k in keys:
            cells.append(
                f'<td class="num">{_esc_html(value_text(k, sweep[k].values[i], lang))}</td>'
            )
        badge = (
            f' <span class="badge met">{_esc_html(t("sweep.base", lang))}</span>'
            if i == base
            else ""
        )
        state = t(f"status.{status[i]}", lang, default=status[i])
        if failed[i]:
            state = f'<span class="badge short">{_esc_html(state)}</span>'
        else:
            state = _esc_html(state)
        cells.append(f"<td>{state}{badge}</td>")
        short = [
            t(f"shortfall.{name}", lang, default=name.replace("_", " "))
            for name, amount in shortfalls.items()
            if amount[i] > 1e-6 and not failed[i]
        ]
        if failed[i]:
            cells.append("<td>–</td>")
        elif short:
            cells.append(
                f'<td><span class="badge short">{_esc_html(t("summary.missed", lang))}</span> '
                f"{_esc_html(('、' if lang == 'zh' else ', ').join(short))}</td>"
            )
        else:
            cells.append(
                f'<td><span class="badge met">{_esc_html(t("summary.met", lang))}</span></td>'
            )

        def shown(value: float, which: str, signed: bool = False) -> str:
            if not math.isfinite(value):
                return "–"
            v = value / scales[which][0]
            out = text.number(abs(v) if signed else v, 4, lang)
            if signed and abs(value) > 1e-9:
                out = ("+" if value > 0 else "−") + out
            return out

        cells.append(_cell(cost[i], shown(cost[i], "cost")))
        cells.append(_cell(emissions[i], shown(emissions[i], "emissions")))
        cells.append(_cell(compute[i], text.number(compute[i], 4, lang)))
        other = base is not None and i != base
        d_cost = d_cost_all[i] if other else math.nan
        d_em = d_em_all[i] if other else math.nan
        cells.append(_cell(d_cost, shown(d_cost, "d_cost", signed=True)))
        cells.append(_cell(d_em, shown(d_em, "d_em", signed=True)))
        if frontier:
            per = per_all[i] if other else math.nan
            cells.append(_cell(per, shown(per, "per")))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    th = "".join(f"<th>{_esc_html(h)}</th>" for h in head)
    note = (
        t("sweep.base_note", lang, base=case_label(sweep, base, lang))
        if base is not None
        else t("sweep.no_base", lang)
    )
    reasons = [
        f"<li>{_esc_html(case_label(sweep, i, lang))}{text.colon(lang)}"
        f'<span translate="no">{_esc_html(str(sweep["reason"].values[i]))}</span></li>'
        for i in range(len(cost))
        if failed[i] and "reason" in sweep
    ]
    return (
        f"<h3>{_esc_html(t('sweep.table_frontier' if frontier else 'sweep.table', lang))}</h3>"
        f'<p class="note">{_esc_html(note)}</p>'
        f'<table class="cases"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        + (f'<ul class="note">{"".join(reasons)}</ul>' if reasons else "")
    )
