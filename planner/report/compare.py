"""``planner compare RUN_A RUN_B``: one self-contained report of what changed between runs.

The question every what-if asks. The inputs that differ come first (the model files'
keys as each run resolved them, the data tables whose contents differ by their sha256
fingerprints, the time slices), then what they changed: targets and what the plans
achieve, costs by component, builds by site and class, the energy mix, emissions by site
and the marginal costs of the targets, each as A, B and the change. Like the run report
it reads the two run folders only (``results.nc``, ``summary.json``, ``model.yaml``) and
writes one offline page with the same look and the same English and Chinese text.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np
import xarray as xr

from planner.errors import InputError, OutputError, Problem
from planner.report import figures as F
from planner.report import page as P
from planner.report import text
from planner.report.text import t

STRINGS: dict[str, dict[str, str]] = {
    "cmp.title": {"en": "What changed between two runs", "zh": "两次运行的对比"},
    "cmp.subtitle": {
        "en": "Run B against run A: the inputs that differ, and what they changed",
        "zh": "运行B相对运行A：不同的输入及其带来的变化",
    },
    "cmp.a": {"en": "Run A", "zh": "运行A"},
    "cmp.b": {"en": "Run B", "zh": "运行B"},
    "cmp.change": {"en": "B − A", "zh": "B − A"},
    "cmp.inputs": {"en": "Inputs that differ", "zh": "不同的输入"},
    "cmp.inputs_none": {
        "en": "The two runs have the same model file, data and time slices.",
        "zh": "两次运行的模型文件、数据和时间切片均相同。",
    },
    "cmp.key": {"en": "Model-file key", "zh": "模型文件参数"},
    "cmp.data": {
        "en": "Data tables whose contents differ (sha256 fingerprint, first 12 digits)",
        "zh": "内容不同的数据表（sha256指纹前12位）",
    },
    "cmp.file": {"en": "File", "zh": "文件"},
    "cmp.not_used": {"en": "(not read)", "zh": "（未读取）"},
    "cmp.unset": {"en": "(not set)", "zh": "（未设置）"},
    "cmp.yes": {"en": "yes", "zh": "是"},
    "cmp.no": {"en": "no", "zh": "否"},
    "cmp.targets": {"en": "Targets and what the plans achieve", "zh": "目标与规划完成情况"},
    "cmp.target_of": {"en": "{label} (target)", "zh": "{label}（目标）"},
    "cmp.costs": {"en": "Annual cost by component", "zh": "分项年度成本"},
    "cmp.builds": {
        "en": "New racks by site and class, over the plan",
        "zh": "规划期内各站点分类别新建机架",
    },
    "cmp.mix": {"en": "Energy by source, national", "zh": "全国分电源用电量"},
    "cmp.emissions": {"en": "Emissions by site", "zh": "各站点碳排放"},
    "cmp.site_in": {"en": "Site, {year}", "zh": "站点（{year}年）"},
    "cmp.marginal": {"en": "What the targets cost at the margin", "zh": "目标的边际成本"},
    "cmp.marginal_zero": {
        "en": "The other targets and rules ({n}) cost nothing at the margin in either run.",
        "zh": "其余{n}项目标和规则在两次运行中的边际成本均为零。",
    },
    "cmp.fig.builds": {
        "en": "Change in new racks by site and class (B − A), over the plan",
        "zh": "规划期内各站点分类别新建机架的变化（B − A）",
    },
    "cmp.fig.costs": {
        "en": "Change in annual cost by component (B − A)",
        "zh": "分项年度成本的变化（B − A）",
    },
    "cmp.indicator": {"en": "Indicator", "zh": "指标"},
    "cmp.total": {"en": "Total", "zh": "合计"},
    "cmp.builds_same": {
        "en": "Both plans build the same racks at every site.",
        "zh": "两个方案在各站点新建的机架相同。",
    },
    "cmp.points": {"en": " percentage points", "zh": "个百分点"},
}

SECTIONS = ("inputs", "targets", "costs", "builds", "mix", "emissions", "marginal")

# Keys that name or describe a run rather than set what it solves; the data folder's
# path is one too: what it holds is compared by the tables' fingerprints.
_NAMES = {"scenario", "description", "description_zh", "data_dir"}

Run = tuple[xr.Dataset, dict[str, Any], str | None]


def _t(key: str, lang: str, **fields: Any) -> str:
    entry = STRINGS.get(key)
    if entry:
        return entry[lang].format(**fields) if fields else entry[lang]
    return t(key, lang, **fields)


_esc = P._esc


# --- the inputs ---------------------------------------------------------------------------


def _flat(raw: Any, prefix: str = "") -> dict[str, Any]:
    """A model file's keys as ``--set`` names them (``target.total_eflops.2025``); an
    empty mapping (``price_scale: {}``) sets nothing and gives no key."""
    if not isinstance(raw, dict):
        return {prefix.rstrip("."): raw}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _model(model_yaml: str | None) -> dict[str, Any]:
    import yaml

    try:
        raw = yaml.safe_load(model_yaml or "") or {}
    except yaml.YAMLError:
        raw = {}
    return _flat(raw) if isinstance(raw, dict) else {}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    except (TypeError, ValueError):
        return a == b


def input_differences(a: Run, b: Run) -> dict[str, Any]:
    """What differs between the inputs of two runs.

    Parameters
    ----------
    a, b
        ``(results, summary, model_yaml)`` of each run, as
        :func:`planner.report.page.load_run` returns them.

    Returns
    -------
    dict
        ``model``: ``(key, value in A, value in B)`` for each model-file key whose
        resolved value differs (None where a run does not set it); ``tables``:
        ``(file, sha256 in A, sha256 in B)`` for each data table whose contents differ
        (None where a run did not read it); ``time_slices``: both runs' time-slice lines.
    """
    ma, mb = _model(a[2]), _model(b[2])
    keys = [k for k in dict.fromkeys([*ma, *mb]) if k not in _NAMES]
    model = [(k, ma.get(k), mb.get(k)) for k in keys if not _same(ma.get(k), mb.get(k))]
    ha = _fingerprints(a[0])
    hb = _fingerprints(b[0])
    tables = [
        (f, ha.get(f), hb.get(f)) for f in sorted(set(ha) | set(hb)) if ha.get(f) != hb.get(f)
    ]
    slices = (a[1].get("time_slices"), b[1].get("time_slices"))
    return {"model": model, "tables": tables, "time_slices": slices}


def _fingerprints(ds: xr.Dataset) -> dict[str, str]:
    try:
        raw = json.loads(ds.attrs.get("input_sha256") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _value(key: str, value: Any, lang: str) -> str:
    from planner.report import sweep_views as SV

    if value is None:
        return _t("cmp.unset", lang)
    if isinstance(value, bool):
        return _t("cmp.yes" if value else "cmp.no", lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return SV.value_text(key, value, lang)


def _inputs_section(diff: dict[str, Any], lang: str) -> str:
    from planner.report import sweep_views as SV

    out = [f'<section id="inputs"><h2>{_esc(_t("cmp.inputs", lang))}</h2>']
    slices_a, slices_b = diff["time_slices"]
    if not diff["model"] and not diff["tables"] and slices_a == slices_b:
        out.append(f'<p class="note">{_esc(_t("cmp.inputs_none", lang))}</p></section>')
        return "\n".join(out)
    head = (
        f"<th class='num'>{_esc(_t('cmp.a', lang))}</th>"
        f"<th class='num'>{_esc(_t('cmp.b', lang))}</th>"
    )
    if diff["model"]:
        rows = "".join(
            f"<tr><th>{_esc(SV.key_label(k, lang))}<br><span class='note' translate='no'>"
            f"{_esc(k)}</span></th><td class='num'>{_esc(_value(k, va, lang))}</td>"
            f"<td class='num'>{_esc(_value(k, vb, lang))}</td></tr>"
            for k, va, vb in diff["model"]
        )
        out.append(
            f"<table class='inputs'><thead><tr><th>{_esc(_t('cmp.key', lang))}</th>{head}"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    if diff["tables"]:

        def short(sha: str | None) -> str:
            return _esc(sha[:12]) if sha else _esc(_t("cmp.not_used", lang))

        rows = "".join(
            f"<tr><th translate='no'>{_esc(f)}</th><td class='num' translate='no'>{short(ha)}"
            f"</td><td class='num' translate='no'>{short(hb)}</td></tr>"
            for f, ha, hb in diff["tables"]
        )
        out.append(f"<h3>{_esc(_t('cmp.data', lang))}</h3>")
        out.append(
            f"<table><thead><tr><th>{_esc(_t('cmp.file', lang))}</th>{head}"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    if slices_a != slices_b:
        rows = "".join(
            f"<tr><th>{_esc(_t(k, lang))}</th><td>{_esc(text.time_slices(v or '', lang))}</td></tr>"
            for k, v in (("cmp.a", slices_a), ("cmp.b", slices_b))
        )
        out.append(
            f"<h3>{_esc(t('appendix.time_slices', lang))}</h3><table><tbody>{rows}</tbody></table>"
        )
    out.append("</section>")
    return "\n".join(out)


# --- A, B and the change ------------------------------------------------------------------

Fmt = Callable[[float], str]


def _minus(shown: str) -> str:
    """A negative number with the minus sign the change column uses (−, not -)."""
    return "−" + shown[1:] if shown.startswith("-") else shown


def _fmt_of(units: str, lang: str) -> Fmt:
    return lambda v: _minus(text.quantity(v, units, lang))


def _delta_fmt_of(units: str, lang: str) -> Fmt:
    if units == "1":  # the change of a share is in percentage points
        return lambda d: f"{text.number(100 * d, 3, lang)}{_t('cmp.points', lang)}"
    return lambda d: text.quantity(d, units, lang)


def _change(a: float | None, b: float | None, fmt: Fmt) -> tuple[float | None, str]:
    """B − A, signed, in ``fmt``; '0' for a change within round-off, '–' without both."""
    if a is None or b is None:
        return None, "–"
    d = b - a
    if abs(d) <= 1e-9 * max(1.0, abs(a), abs(b)):
        return 0.0, "0"
    return d, ("+" if d > 0 else "−") + fmt(abs(d))


def _cell(value: float | None, shown: str) -> str:
    raw = value if value is not None and math.isfinite(value) else None
    return f'<td class="num"><span data-value="{_esc(json.dumps(raw))}">{_esc(shown)}</span></td>'


def _abc_row(label: str, a: float | None, b: float | None, fmt: Fmt, delta: Fmt) -> str:
    d, shown = _change(a, b, delta)
    fa = fmt(a) if a is not None else "–"
    fb = fmt(b) if b is not None else "–"
    return f"<tr><th>{_esc(label)}</th>{_cell(a, fa)}{_cell(b, fb)}{_cell(d, shown)}</tr>"


def _abc_table(
    rows: list[tuple[str, float | None, float | None, str]], lang: str, head: str
) -> str:
    """Rows of ``(label, A, B, units)``: A, B and the change, each in readable units."""
    body = "".join(
        _abc_row(label, a, b, _fmt_of(units, lang), _delta_fmt_of(units, lang))
        for label, a, b, units in rows
    )
    return _table(body, lang, head)


def _table(body: str, lang: str, head: str) -> str:
    return (
        f"<table><thead><tr><th>{_esc(head)}</th><th class='num'>{_esc(_t('cmp.a', lang))}</th>"
        f"<th class='num'>{_esc(_t('cmp.b', lang))}</th>"
        f"<th class='num'>{_esc(_t('cmp.change', lang))}</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


# --- the sections -------------------------------------------------------------------------

# (label, summary key, target key, units) of the targets table, for each year.
_INDICATORS = (
    ("summary.total_eflops", "total_eflops", "target_total_eflops", "EFLOPS"),
    ("summary.intelligent_share", "intelligent_share", "target_intelligent_share", "1"),
    ("summary.green_share", "green_share", "target_green_share", "1"),
    ("summary.racks_total_std", "racks_total_std", None, "std_rack"),
    ("summary.racks_new_std", "racks_new_std", None, "std_rack"),
    ("summary.energy", "energy_mwh", None, "MWh/year"),
    ("summary.emissions", "emissions_tco2", None, "tCO2/year"),
)


def _per_year(summary: dict[str, Any], year: str) -> dict[str, Any]:
    return (summary.get("per_year") or {}).get(year) or {}


def _targets(sa: dict[str, Any], sb: dict[str, Any], years: list[str], lang: str) -> str:
    rows: list[tuple[str, float | None, float | None, str]] = []
    for y in years:
        pa, pb = _per_year(sa, y), _per_year(sb, y)
        for label_key, key, target_key, units in _INDICATORS:
            label = t(label_key, lang)
            if target_key and (pa.get(target_key) is not None or pb.get(target_key) is not None):
                target = _t("cmp.target_of", lang, label=label)
                rows.append(
                    (P._in_year(target, y, lang), _num(pa.get(target_key)),
                     _num(pb.get(target_key)), units)
                )  # fmt: skip
            rows.append((P._in_year(label, y, lang), _num(pa.get(key)), _num(pb.get(key)), units))
        ca = sum((pa.get("cost_cny") or {}).values()) if pa else None
        cb = sum((pb.get("cost_cny") or {}).values()) if pb else None
        rows.append((P._in_year(t("summary.cost", lang), y, lang), ca, cb, "CNY/year"))
    rows.append(
        (
            t("summary.objective", lang),
            _num(sa.get("objective_cny")),
            _num(sb.get("objective_cny")),
            "CNY",
        )
    )
    return _abc_table(rows, lang, _t("cmp.indicator", lang))


def _costs(
    sa: dict[str, Any], sb: dict[str, Any], years: list[str], lang: str
) -> tuple[str, F.Spec | None]:
    """The cost table (A, B, change by component and year) and a bar chart of the change."""
    comps: list[str] = []
    for s in (sa, sb):
        for y in years:
            for c in _per_year(s, y).get("cost_cny") or {}:
                if c not in comps:
                    comps.append(c)
    rows = []
    deltas = np.zeros((len(comps), len(years)))
    for j, y in enumerate(years):
        ca = _per_year(sa, y).get("cost_cny") or {}
        cb = _per_year(sb, y).get("cost_cny") or {}
        for i, c in enumerate(comps):
            a, b = _num(ca.get(c, 0.0)), _num(cb.get(c, 0.0))
            if not a and not b:
                continue
            rows.append(
                (P._in_year(text.category("component", c, lang), y, lang), a, b, "CNY/year")
            )
            deltas[i, j] = (b or 0.0) - (a or 0.0)
    table = _abc_table(rows, lang, _t("cmp.indicator", lang))
    if not np.any(deltas):
        return table, None
    div, unit = text.scale_for("CNY/year", float(np.abs(deltas).max(initial=0)), lang)
    data = [
        {
            "type": "bar",
            "x": [str(y) for y in years],
            "y": np.round(deltas[i] / div, 4),
            "name": text.category("component", c, lang),
            "marker": {"color": F.COMPONENT_COLOURS[i % len(F.COMPONENT_COLOURS)]},
            "hovertemplate": "%{x}: %{y:,.4~r} " + unit + "<extra>%{fullData.name}</extra>",
        }
        for i, c in enumerate(comps)
        if np.any(deltas[i])
    ]
    layout = F._layout(
        _t("cmp.fig.costs", lang),
        lang,
        barmode="relative",
        height=420,
        xaxis=F._axis(t("axis.year", lang), type="category"),
        yaxis=F._axis(text.with_unit(t("var.cost_cny", lang), unit, lang)),
    )
    return table, {"data": data, "layout": layout}


def _site_names(ra: xr.Dataset, rb: xr.Dataset, lang: str, short: bool) -> dict[str, str]:
    """Display names (unescaped) of the sites of both runs, run A's first."""
    names: dict[str, str] = {}
    for ds in (ra, rb):
        for sid, name in zip(
            [str(s) for s in ds["site"].values], F.site_labels(ds, lang, short=short), strict=True
        ):
            names.setdefault(sid, html.unescape(name))
    return names


def _aligned(da_a: xr.DataArray, da_b: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Both on the union of their coordinates, missing as 0 (a site one run lacks)."""
    a, b = xr.align(da_a, da_b, join="outer", fill_value=0.0)
    return a, b


def _builds(ra: xr.Dataset, rb: xr.Dataset, lang: str) -> tuple[str, F.Spec | None]:
    """New racks by site and class over the plan: a table of A, B and the change, and a bar
    chart of the change at the sites where there is one (None if there is none)."""
    a, b = _aligned(ra["racks_new_std"].sum("year"), rb["racks_new_std"].sum("year"))
    a, b = a.transpose("site", "rack_class"), b.transpose("site", "rack_class")
    long = _site_names(ra, rb, lang, short=False)
    short = _site_names(ra, rb, lang, short=True)
    sites = [str(s) for s in a["site"].values]
    classes = [str(c) for c in a["rack_class"].values]
    rows = []
    for s in sites:
        for c in classes:
            va, vb = float(a.sel(site=s, rack_class=c)), float(b.sel(site=s, rack_class=c))
            if va == 0 and vb == 0:
                continue
            rows.append(
                (f"{long.get(s, s)} · {text.category('class', c, lang)}", va, vb, "std_rack")
            )
    rows.append((_t("cmp.total", lang), float(a.sum()), float(b.sum()), "std_rack"))
    table = _abc_table(rows, lang, t("col.site", lang))
    delta = (b - a).values
    changed = [i for i, _ in enumerate(sites) if np.any(np.abs(delta[i]) > 1e-6)]
    if not changed:
        return table, None
    div, unit = text.scale_for("std_rack", float(np.abs(delta).max(initial=0)), lang)
    labels = [_esc(short.get(sites[i], sites[i])) for i in changed]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": np.round(delta[changed, k] / div, 4),
            "name": text.category("class", c, lang),
            "marker": {"color": F.CLASS_COLOURS.get(c)},
            "hovertemplate": "%{y}: %{x:,.4~r} " + unit + "<extra>%{fullData.name}</extra>",
        }
        for k, c in enumerate(classes)
        if np.any(delta[changed, k])
    ]
    layout = F._layout(
        _t("cmp.fig.builds", lang),
        lang,
        barmode="relative",
        height=200 + 32 * len(changed),
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis=F._axis(text.with_unit(t("var.racks_new_std", lang), unit, lang)),
        yaxis={"autorange": "reversed", "automargin": True, "ticksuffix": " "},
    )
    layout["margin"]["t"] = 100
    return table, {"data": data, "layout": layout}


def _mix(ra: xr.Dataset, rb: xr.Dataset, lang: str) -> str:
    a, b = _aligned(ra["energy_mix_mwh"].sum("site"), rb["energy_mix_mwh"].sum("site"))
    rows = []
    for y in [int(v) for v in a["year"].values]:
        for src in [str(s) for s in a["source"].values]:
            va, vb = float(a.sel(year=y, source=src)), float(b.sel(year=y, source=src))
            if va == 0 and vb == 0:
                continue
            rows.append(
                (P._in_year(text.category("source", src, lang), str(y), lang), va, vb, "MWh/year")
            )
    return _abc_table(rows, lang, _t("cmp.indicator", lang))


def _emissions(ra: xr.Dataset, rb: xr.Dataset, lang: str) -> str:
    """Emissions by site in the last year both runs plan, and their total."""
    last = int(min(ra["year"].values[-1], rb["year"].values[-1]))
    a, b = _aligned(ra["emissions_tco2"].sel(year=last), rb["emissions_tco2"].sel(year=last))
    names = _site_names(ra, rb, lang, short=False)
    rows: list[tuple[str, float | None, float | None, str]] = [
        (names.get(str(s), str(s)), float(a.sel(site=s)), float(b.sel(site=s)), "tCO2/year")
        for s in a["site"].values
    ]
    rows.append((_t("cmp.total", lang), float(a.sum()), float(b.sum()), "tCO2/year"))
    return _abc_table(rows, lang, _t("cmp.site_in", lang, year=last))


def _marginal(
    sa: dict[str, Any],
    sb: dict[str, Any],
    years: list[str],
    hubs: dict[str, str],
    lang: str,
) -> str:
    """The marginal cost of each target and rule in A and B and the change; those zero in
    both runs are counted in one line under the table, not listed."""
    ma, mb = sa.get("marginal_costs") or {}, sb.get("marginal_costs") or {}
    names = [n for n in text.MARGINAL_ORDER if n in ma or n in mb]
    names += [n for n in dict.fromkeys([*ma, *mb]) if n not in names and n != "status"]
    body = []
    zero = 0
    for name in names:
        entry_a, entry_b = ma.get(name), mb.get(name)
        unit_id = next(
            (e["unit"] for e in (entry_a, entry_b) if isinstance(e, dict) and e.get("unit")),
            text.marginal_unit(name),
        )

        def fmt(v: float, unit_id: str = unit_id) -> str:
            return _minus(text.money_per(v, unit_id, lang))

        label = t(f"marginal.{name}", lang, default=name.replace("_", " "))
        rows_a, rows_b = P._marginal_rows(entry_a), P._marginal_rows(entry_b)
        for group in dict.fromkeys([*rows_a, *rows_b]):
            ga, gb = rows_a.get(group) or {}, rows_b.get(group) or {}
            row = f"{label} · {hubs.get(group, group)}" if group else label
            for y in [y for y in ["", *years] if y in ga or y in gb]:
                a = ga[y][1] if y in ga else None
                b = gb[y][1] if y in gb else None
                if not a and not b and (a is not None or b is not None):
                    zero += 1
                    continue
                body.append(_abc_row(P._in_year(row, y, lang) if y else row, a, b, fmt, fmt))
    if not body:
        return f'<p class="note">{_esc(t("summary.marginal_none", lang))}</p>'
    out = _table("".join(body), lang, t("col.constraint", lang))
    if zero:
        out += f'<p class="note">{_esc(_t("cmp.marginal_zero", lang, n=zero))}</p>'
    return out


def render_compare(run_a: Path, run_b: Path, lang: str = "en") -> str:
    """The comparison of run B against run A as one self-contained HTML page.

    Parameters
    ----------
    run_a, run_b
        Run folders written by ``planner solve`` or ``planner plan`` (a sweep's case
        folder is one), each with a plan.
    lang
        ``"en"`` or ``"zh"``.

    Raises
    ------
    InputError
        A folder is not a run folder, cannot be read, or holds a run without a plan.
    """
    text.check_lang(lang)
    a, b = P.load_run(run_a), P.load_run(run_b)
    for path, (ds, summary, _yaml) in ((run_a, a), (run_b, b)):
        if not summary.get("per_year") or "racks_new_std" not in ds:
            raise InputError(
                [
                    Problem(
                        str(path),
                        None,
                        None,
                        f"holds a run without a plan ({P._status(summary, 'en')}): nothing to "
                        "compare; give a run folder whose solve found a plan",
                    )
                ]
            )
    ra, sa, _ = a
    rb, sb, _ = b
    years = [y for y in sa["per_year"] if y in sb["per_year"]]
    hubs = {k: html.unescape(v) for k, v in F.hub_labels(ra, lang).items()}
    hubs.update({k: html.unescape(v) for k, v in F.hub_labels(rb, lang).items() if k not in hubs})

    def section(sid: str, *parts: str) -> str:
        body = "\n".join(p for p in parts if p)
        return f'<section id="{sid}"><h2>{_esc(_t(f"cmp.{sid}", lang))}</h2>{body}</section>'

    cost_table, cost_fig = _costs(sa, sb, years, lang)
    build_table, build_fig = _builds(ra, rb, lang)
    builds_same = f'<p class="note">{_esc(_t("cmp.builds_same", lang))}</p>'
    sections = [
        _inputs_section(input_differences(a, b), lang),
        section("targets", _targets(sa, sb, years, lang)),
        section("costs", P._figure_html("cmp_costs", cost_fig) if cost_fig else "", cost_table),
        section(
            "builds",
            P._figure_html("cmp_builds", build_fig) if build_fig else builds_same,
            build_table,
        ),
        section("mix", _mix(ra, rb, lang)),
        section("emissions", _emissions(ra, rb, lang)),
        section("marginal", _marginal(sa, sb, years, hubs, lang)),
    ]
    name_a, name_b = display_name(Path(run_a)), display_name(Path(run_b))
    generated = P._generated_at()
    return P.page_html(
        lang=lang,
        title=f"{_t('cmp.title', lang)} · {name_a} / {name_b}",
        heading=_t("cmp.title", lang),
        subtitle=_t("cmp.subtitle", lang),
        header=[
            (_t("cmp.a", lang), f"{name_a} · {P._status(sa, lang)}", True),
            (_t("cmp.b", lang), f"{name_b} · {P._status(sb, lang)}", True),
            (t("report.generated", lang), generated, False),
        ],
        description="",
        toc=[(s, _t(f"cmp.{s}", lang)) for s in SECTIONS],
        sections=sections,
        version=(sa.get("versions") or {}).get("planner", ""),
        generated=generated,
    )


def display_name(run: Path) -> str:
    """A run folder's name for readers: its own, or for a sweep's case its sweep's and
    its own (``sweep-national_2025/0003-1a2b3c4d``)."""
    run = Path(run).resolve()
    if run.parent.name == "cases" and run.parent.parent.name:
        return f"{run.parent.parent.name}/{run.name}"
    return run.name


# A file name stays well within the 255 bytes file systems allow.
_MAX_STEM = 180


def default_out(run_a: Path, run_b: Path) -> Path:
    """``reports/compare-<A>--vs--<B>.html``, from the two folders' names; names too long
    for one file name are cut, with a digest of both so that two comparisons stay apart."""
    a, b = (P.safe_stem(display_name(r).replace("/", "-")) for r in (run_a, run_b))
    stem = f"compare-{a}--vs--{b}"
    if len(stem.encode()) > _MAX_STEM:
        digest = hashlib.sha256(f"{a}\n{b}".encode()).hexdigest()[:8]
        keep = (_MAX_STEM - len("compare---vs----") - len(digest)) // 2
        stem = f"compare-{a[:keep]}--vs--{b[:keep]}--{digest}"
    return Path("reports") / f"{stem}.html"


@click.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Report language: English or Chinese.")  # fmt: skip
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML file to write [default: reports/compare-<RUN_A>--vs--<RUN_B>.html].",
)
def compare_command(run_a: Path, run_b: Path, lang: str, out_file: Path | None) -> None:
    """Write one self-contained HTML report of what changed from run RUN_A to RUN_B.

    The inputs that differ come first (model-file keys, data tables, time slices), then
    targets, costs by component, builds by site and class, the energy mix, emissions and
    the marginal costs, each as A, B and the change.
    """
    from planner.outputs import check_report_out

    for run in (run_a, run_b):
        if (run / "sweep.nc").is_file():
            raise InputError(
                [
                    Problem(
                        str(run),
                        None,
                        None,
                        "is a sweep or frontier folder, which holds many runs; give one of "
                        f"its case folders, {run / 'cases' / '<case>'}: case 1 of its table "
                        "is the folder starting 0000, and each folder's case.json names the "
                        "values it varied",
                    )
                ]
            )
        P.check_run_dir(run)
    if out_file is None:
        out_file = default_out(run_a, run_b)
    check_report_out(out_file)
    replacing = out_file.is_file()
    page = render_compare(run_a, run_b, lang)
    try:
        path = P.write_page(page, out_file)
    except OSError as exc:
        raise OutputError.from_exception(out_file, "could not write the comparison", exc) from exc
    said = "; it replaced the earlier report planner wrote there" if replacing else ""
    click.echo(f"comparison: {path} ({path.stat().st_size / 1e6:.1f} MB{said})")
