"""Assemble the report: one self-contained HTML file from a run folder.

The page reads only the run folder (``results.nc``, ``summary.json``, ``model.yaml``) and,
for the appendix, the data folder recorded in ``results.attrs["data_dir"]`` when it is
still there. A caller that holds the run in memory (``planner plan``) passes the results
Dataset and summary instead, and the folder is read for ``model.yaml`` only. plotly.js is
embedded once; each figure is its JSON in a ``<script type="application/json">`` block
drawn by ``Plotly.newPlot``. Nothing is fetched: no CDN, no web font, no map tiles, so
the file opens offline from disk and prints to PDF (one section per page, figures never
cut).

Every piece of user text (scenario, description, model file, site names, sources) is
escaped; numbers in the executive summary carry their raw value in ``data-value`` with
a ``data-key`` naming where in summary.json it comes from.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import math
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from planner.errors import InputError, Problem
from planner.report import figures as F
from planner.report import tables as TABLES
from planner.report import text
from planner.report.text import t
from planner.results import (
    MODEL_FILE,
    RESULTS_FILE,
    SHORTFALL_TOL,
    SHORTFALL_TOL_FRAC,
    SUMMARY_FILE,
    has_plan,
    jsonable,
    read_run,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

log = logging.getLogger(__name__)

SECTIONS = ("summary", "racks", "power", "flows", "costs", "appendix")

# plotly.js config: no logo, no cloud/link buttons, nothing that reaches the network.
PLOT_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": False,  # the page's own resize handler, which leaves printing alone
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "plotlyServerURL": "",
    "topojsonURL": "",
    "typesetMath": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

# The widest the page draws a figure (main's max-width less its padding), in CSS px, and
# the zoom that fits it on A4 landscape (297 mm less 2 x 10 mm margins = 1047 px).
SCREEN_WIDTH_PX = 1160
PRINT_ZOOM = 0.9

CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --line: #d9dee4; --accent: #b3261e;
  --ok: #1e7a34; --bad: #b3261e; --bg: #f6f7f9; }
* { box-sizing: border-box; }
html { font-family: FONT; color: var(--ink); background: #fff; }
body { margin: 0; line-height: 1.55; font-size: 15px; }
header.top { background: #14212e; color: #fff; padding: 28px 40px 22px; }
header.top h1 { margin: 0 0 4px; font-size: 28px; font-weight: 600; }
header.top .subtitle { color: #c9d3dd; margin: 0 0 14px; }
header.top dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
  margin: 0; font-size: 14px; }
header.top dt { color: #9fb0c0; } header.top dd { margin: 0; }
nav.toc { background: var(--bg); border-bottom: 1px solid var(--line); padding: 10px 40px; }
nav.toc a { margin-right: 18px; color: var(--ink); text-decoration: none; font-weight: 500; }
main { max-width: 1240px; margin: 0 auto; padding: 0 40px 60px; }
section { padding-top: 26px; border-bottom: 1px solid var(--line); padding-bottom: 18px; }
h2 { font-size: 23px; margin: 10px 0 6px; border-left: 5px solid var(--accent);
  padding-left: 10px; }
h3 { font-size: 17px; margin: 22px 0 8px; }
p.intro { color: var(--muted); margin-top: 0; }
.explanation { background: var(--bg); border-left: 4px solid var(--muted); padding: 10px 14px; }
.explanation.short { border-left-color: var(--bad); }
.explanation.met { border-left-color: var(--ok); }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left;
  vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; }
.badge { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 8px;
  margin-left: 6px; color: #fff; white-space: nowrap; }
.badge.met { background: var(--ok); } .badge.short { background: var(--bad); }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
.kpi { background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
  padding: 10px 14px; min-width: 200px; }
.kpi .label { color: var(--muted); font-size: 13px; }
.kpi .value { font-size: 21px; font-weight: 600; }
.figure { margin: 16px 0; page-break-inside: avoid; break-inside: avoid; }
.plot { width: 100%; }
pre.model { background: var(--bg); border: 1px solid var(--line); padding: 12px;
  font-size: 12.5px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.url { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px;
  word-break: break-all; color: var(--muted); }
.note { color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 12px; padding: 20px 40px; }
.print-only { position: absolute; left: -20000px; top: 0; width: SCREENpx; }
@media print {
  /* Paper holds what the screen holds: the figures keep the width they were drawn at
     (SCREENpx, the widest the page draws them) and the page is zoomed to A4 landscape,
     so nothing is redrawn (a redraw would catch the Sankey mid-transition) and the map
     keeps its shape; the dispatch shows every site, not only the menu's. */
  @page { size: A4 landscape; margin: 10mm; }
  html, body { font-size: 14px; }
  header.top { background: none; color: var(--ink); padding: 0 0 8px;
    border-bottom: 2px solid var(--ink); }
  header.top .subtitle, header.top dt { color: var(--muted); }
  nav.toc, .modebar-container, .updatemenu-container, .legend .scrollbar,
    #figure-dispatch { display: none !important; }
  main { max-width: none; width: SCREENpx; padding: 0; margin: 0; zoom: ZOOM; }
  header.top, footer { zoom: ZOOM; }
  section { border-bottom: none; padding-top: 10px; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .figure, tr, .kpis, .explanation { break-inside: avoid; page-break-inside: avoid; }
  .print-only { position: static; left: auto; width: auto; }
  footer { padding: 10px 0; }
}
"""

SCRIPT = """
(function () {
  var config = CONFIG;
  var plots = [];
  document.querySelectorAll('script[type="application/json"][data-plot]').forEach(function (el) {
    var target = document.getElementById(el.getAttribute('data-plot'));
    var fig = JSON.parse(el.textContent);
    var cfg = Object.assign({}, config, {toImageButtonOptions: Object.assign({},
      config.toImageButtonOptions, {filename: el.getAttribute('data-plot')})});
    Plotly.newPlot(target, fig.data, fig.layout, cfg);
    plots.push(target);
  });
  // Follow the window's width on screen, never while printing: paper keeps the figures as
  // drawn (the print CSS zooms the page), so the Sankey is not caught mid-redraw.
  var timer = null;
  window.addEventListener('resize', function () {
    if (window.matchMedia && window.matchMedia('print').matches) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      plots.forEach(function (p) {
        if (p.offsetParent !== null && !p.closest('.print-only')) { Plotly.Plots.resize(p); }
      });
    }, 150);
  });
})();
"""


NO_TRANSLATE = ' translate="no"'  # names (software, files, sources): not for translation


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# --- run folder ---------------------------------------------------------------------------


def check_run_dir(run_dir: Path) -> Path:
    """Raise InputError unless ``run_dir`` is a run folder (results.nc and summary.json)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(
            [
                Problem(
                    str(run_dir),
                    None,
                    None,
                    "is not a folder; give the run folder written by 'planner solve' "
                    f"(it holds {RESULTS_FILE} and {SUMMARY_FILE})",
                )
            ]
        )
    missing = [f for f in (RESULTS_FILE, SUMMARY_FILE) if not (run_dir / f).is_file()]
    if missing:
        raise InputError(
            [
                Problem(
                    str(run_dir),
                    None,
                    None,
                    f"is not a run folder: {' and '.join(missing)} missing; give the folder "
                    "written by 'planner solve' or 'planner plan'",
                )
            ]
        )
    return run_dir


def load_run(
    run_dir: Path,
    *,
    results: xr.Dataset | None = None,
    summary: dict[str, Any] | None = None,
) -> tuple[xr.Dataset, dict[str, Any], str | None]:
    """The run's Dataset, summary and model file text (None when absent).

    Parameters
    ----------
    run_dir
        The run folder written by ``planner solve`` or ``planner plan``.
    results, summary
        The run's results Dataset and summary when the caller already holds them (as
        :func:`planner.results.read_run` returns them, or as the run wrote them): reading
        ``results.nc`` again costs about a second in a fresh process. Whichever is None
        is read from ``run_dir``.

    Returns
    -------
    tuple
        ``(results, summary, model_yaml)``. ``results`` is a shallow copy, so the
        report's additions (display names) never reach the caller's Dataset; ``summary``
        is as ``summary.json`` holds it (string keys, no NaN).

    Raises
    ------
    InputError
        ``run_dir`` is not a run folder, or cannot be read.
    """
    run_dir = Path(run_dir)
    if results is None or summary is None:
        check_run_dir(run_dir)
    try:
        if results is None:
            results, on_disk = read_run(run_dir)
            summary = on_disk if summary is None else summary
        elif summary is None:
            summary = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            [Problem(str(run_dir), None, None, f"the run folder cannot be read: {exc}")]
        ) from exc
    # The summary as summary.json holds it (the conversion write_summary applies): the
    # run's in-memory one has tuple and integer keys and NaN that the page, written
    # against the file, does not expect.
    summary = json.loads(json.dumps(jsonable(summary)))
    model_path = run_dir / MODEL_FILE
    model_yaml = model_path.read_text(encoding="utf-8") if model_path.is_file() else None
    return results.copy(deep=False), summary, model_yaml


# --- executive summary --------------------------------------------------------------------


def _num(key: str, value: Any, shown: str) -> str:
    """A number shown to readers, with its raw value and summary.json key for checking."""
    raw = json.dumps(value if value is None or math.isfinite(float(value)) else None)
    return f'<span data-key="{_esc(key)}" data-value="{_esc(raw)}">{_esc(shown)}</span>'


def _cell(key: str, value: Any, shown: str) -> str:
    return f'<td class="num">{_num(key, value, shown)}</td>'


def _badge(ok: bool | None, lang: str) -> str:
    if ok is None:
        return ""
    cls, key = ("met", "summary.met") if ok else ("short", "summary.missed")
    return f'<span class="badge {cls}">{_esc(t(key, lang))}</span>'


def _site_names(ds: xr.Dataset, lang: str) -> dict[str, str]:
    if "site" not in ds.coords:
        return {}
    ids = [str(s) for s in ds["site"].values]
    # figures.site_labels already escapes; unescape here so that _esc is applied once.
    return dict(zip(ids, (html.unescape(n) for n in F.site_labels(ds, lang)), strict=True))


def _status(summary: dict[str, Any], lang: str) -> str:
    status = str(summary.get("status", ""))
    return t(f"status.{status}", lang, default=status)


def _summary_section(ds: xr.Dataset, summary: dict[str, Any], lang: str) -> str:
    per_year: dict[str, dict[str, Any]] = summary.get("per_year") or {}
    years = [str(y) for y in summary.get("years", per_year.keys())]
    years = [y for y in years if y in per_year] or list(per_year)
    out = [f'<section id="summary"><h2>{_esc(t("section.summary", lang))}</h2>']

    # Plain words first: met, or which target fell short and by how much.
    shortfall = summary.get("shortfall") or {}
    lines = []
    for name, entry in shortfall.items():
        entry = entry if isinstance(entry, dict) else {}
        unit_id = entry.get("unit")
        for year, amount in entry.items():
            if year == "unit":
                continue
            what = t(f"shortfall.{name}", lang, default=name.replace("_", " "))
            amount_text = _num(
                f"shortfall.{name}.{year}",
                amount,
                f"{text.number(amount, 3, lang)} {text.unit(unit_id, lang)}".strip(),
            )
            lines.append(
                _esc(
                    t("summary.shortfall_line", lang, year=year, what=what, amount="\x00")
                ).replace("\x00", amount_text)
            )
    if "per_year" not in summary:
        lines = [_esc(t("report.no_plan", lang, status=_status(summary, lang)))]
        cls = "short"
    elif lines:
        cls = "short"
    else:
        lines = [_esc(t("summary.all_met", lang))]
        cls = "met"
    out.append(f'<div class="explanation {cls}">' + "<br>".join(lines) + "</div>")

    if per_year:
        last = years[-1]
        cost_total = {y: sum((per_year[y].get("cost_cny") or {}).values()) for y in years}
        kpis = [
            (
                _in_year(t("summary.total_eflops", lang), last, lang),
                _num(
                    f"per_year.{last}.total_eflops",
                    per_year[last].get("total_eflops"),
                    text.quantity(per_year[last].get("total_eflops"), "EFLOPS", lang),
                ),
            ),
            (
                _in_year(t("summary.cost", lang), last, lang),
                _num(
                    f"per_year.{last}.cost_cny.total",
                    cost_total[last],
                    text.quantity(cost_total[last], "CNY/year", lang),
                ),
            ),
            (
                _in_year(t("summary.emissions", lang), last, lang),
                _num(
                    f"per_year.{last}.emissions_tco2",
                    per_year[last].get("emissions_tco2"),
                    _tonnes(per_year[last].get("emissions_tco2"), lang),
                ),
            ),
        ]
        if summary.get("objective_cny") is not None:
            kpis.append(
                (
                    t("summary.objective", lang),
                    _num(
                        "objective_cny",
                        summary["objective_cny"],
                        text.quantity(summary["objective_cny"], "CNY", lang),
                    ),
                )
            )
        out.append('<div class="kpis">')
        for label, value in kpis:
            out.append(
                f'<div class="kpi"><div class="label">{_esc(label)}</div>'
                f'<div class="value">{value}</div></div>'
            )
        out.append("</div>")

        out.append(f"<h3>{_esc(t('summary.targets', lang))}</h3>")
        hub_names = {
            lang_: {
                str(h): str(n)
                for h, n in zip(ds["hub"].values, ds[f"hub_name_{lang_}"].values, strict=True)
            }
            for lang_ in ("en", "zh")
            if f"hub_name_{lang_}" in ds
        }
        out.append(_targets_table(per_year, years, cost_total, lang, hub_names))
        if "fp16_per_fp32_intelligent" in ds:
            ratio = float(ds["fp16_per_fp32_intelligent"])
            note = _esc(t("summary.basis", lang, ratio=ratio)).replace(
                "data/params.csv", '<span translate="no">data/params.csv</span>'
            )
            out.append(f'<p class="note">{note}</p>')
    out.append(_marginal_table(ds, summary, years, lang))
    out.append(_binding_table(ds, summary, lang))
    # summary["explanation"] says again what the banner above and the table of binding
    # limits say, in English only: the report shows those instead.
    return "\n".join(out)


def _in_year(label: str, year: str, lang: str) -> str:
    return f"{year}年{label}" if lang == "zh" else f"{label} {year}"


def _tonnes(value: Any, lang: str) -> str:
    """Annual emissions in the reader's units: million t CO₂, or 万吨 / 亿吨."""
    if value is None:
        return "–"
    return text.quantity(value, "tCO2/year", lang)


def _hub_name(hub: str | None, hub_names: dict[str, dict[str, str]], lang: str) -> str:
    """A hub's name in ``lang`` (its id when the run has no name for it; '' for none)."""
    if hub is None:
        return ""
    return hub_names.get(lang, {}).get(hub, hub)


def _targets_table(
    per_year: dict[str, Any],
    years: list[str],
    cost_total: dict[str, float],
    lang: str,
    hub_names: dict[str, dict[str, str]],
) -> str:
    head = "".join(
        f'<th class="num">{_esc(t("summary.per_year", lang, year=y))}<br>'
        f"{_esc(t('summary.target', lang))}</th>"
        f'<th class="num">{_esc(t("summary.per_year", lang, year=y))}<br>'
        f"{_esc(t('summary.achieved', lang))}</th>"
        for y in years
    )
    rows = []

    def row(
        label_key: str,
        key: str,
        target_key: str | None,
        fmt,
        higher_is_ok: bool = True,
        note=None,
    ):
        cells = []
        for y in years:
            entry = per_year[y]
            value = entry.get(key)
            target = entry.get(target_key) if target_key else None
            if target_key:
                cells.append(_cell(f"per_year.{y}.{target_key}", target, fmt(target)))
            else:
                cells.append('<td class="num"></td>')
            ok = None
            if target is not None and value is not None and target_key:
                # the run's own tolerance: a shortfall this small is module round-off
                slack = SHORTFALL_TOL + SHORTFALL_TOL_FRAC * abs(target)
                ok = value >= target - slack if higher_is_ok else value <= target + slack
            extra = f'<br><span class="note">{_esc(note(entry))}</span>' if note else ""
            cells.append(
                f'<td class="num">{_num(f"per_year.{y}.{key}", value, fmt(value))}'
                f"{_badge(ok, lang)}{extra}</td>"
            )
        rows.append(f"<tr><th>{_esc(t(label_key, lang))}</th>{''.join(cells)}</tr>")

    row(
        "summary.total_eflops",
        "total_eflops",
        "target_total_eflops",
        lambda v: text.quantity(v, "EFLOPS", lang),
    )
    row(
        "summary.intelligent_share",
        "intelligent_share",
        "target_intelligent_share",
        lambda v: text.percent(v, lang),
    )
    if all("intelligent_eflops_fp16" in per_year[y] for y in years):
        row(
            "summary.intelligent_fp16",
            "intelligent_eflops_fp16",
            None,
            lambda v: text.quantity(v, "EFLOPS", lang),
        )
    row(
        "summary.green_share",
        "green_share",
        "target_green_share",
        lambda v: text.percent(v, lang),
        note=lambda entry: _hub_name(entry.get("green_share_hub"), hub_names, lang),
    )
    row(
        "summary.racks_total_std",
        "racks_total_std",
        None,
        lambda v: text.quantity(v, "std_rack", lang),
    )
    row(
        "summary.racks_new_std", "racks_new_std", None, lambda v: text.quantity(v, "std_rack", lang)
    )
    row(
        "summary.energy",
        "energy_mwh",
        None,
        lambda v: "–" if v is None else text.quantity(float(v) / 1e6, "TWh/year", lang),
    )
    row("summary.emissions", "emissions_tco2", None, lambda v: _tonnes(v, lang))
    cells = "".join(
        '<td class="num"></td><td class="num">'
        + _num(
            f"per_year.{y}.cost_cny.total",
            cost_total[y],
            text.quantity(cost_total[y], "CNY/year", lang),
        )
        + "</td>"
        for y in years
    )
    rows.append(f"<tr><th>{_esc(t('summary.cost', lang))}</th>{cells}</tr>")
    return (
        f'<table class="targets"><thead><tr><th>{_esc(t("summary.indicator", lang))}</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


_PAIR_KEY = re.compile(r"""^\(\s*['"]?([^'",]+?)['"]?\s*,\s*['"]?(\d{4})['"]?\s*\)$""")


def _marginal_rows(entry: Any) -> dict[str, dict[str, tuple[str, float]]]:
    """``{group: {year: (raw key, value)}}`` of one marginal-cost entry; group '' is national.

    Tolerates ``{year: v}``, ``{"(hub, year)": v}`` (tuple keys as JSON writes them),
    ``{hub: {year: v}}`` and a bare number; drops non-numbers (e.g. the LP's status).
    """
    rows: dict[str, dict[str, tuple[str, float]]] = {}

    def put(group: str, year: str, raw: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return
        if math.isfinite(value):
            rows.setdefault(group, {})[year] = (raw, float(value))

    if not isinstance(entry, dict):
        put("", "", "", entry)
        return rows
    for key, value in entry.items():
        key = str(key)
        if key == "unit":
            continue
        pair = _PAIR_KEY.match(key)
        if pair:
            put(pair.group(1), pair.group(2), key, value)
        elif isinstance(value, dict):
            for year, v in value.items():
                put(key, str(year), f"{key}.{year}", v)
        else:
            put("", key, key, value)
    return rows


def _marginal_table(ds: xr.Dataset, summary: dict[str, Any], years: list[str], lang: str) -> str:
    marginals = summary.get("marginal_costs") or {}
    out = [f"<h3>{_esc(t('summary.marginal', lang))}</h3>"]
    order = [n for n in text.MARGINAL_ORDER if n in marginals]
    order += [n for n in marginals if n not in order]
    hubs = {k: html.unescape(v) for k, v in F.hub_labels(ds, lang).items()} if "site" in ds else {}
    rows = []
    for name in order:
        entry = marginals[name]
        unit_id = (entry.get("unit") if isinstance(entry, dict) else None) or text.marginal_unit(
            name
        )
        label = t(f"marginal.{name}", lang, default=name.replace("_", " "))

        def shown(v: float, unit_id: str = unit_id) -> str:
            return text.money_per(v, unit_id, lang)

        for group, values in _marginal_rows(entry).items():
            row_label = f"{label} · {hubs.get(group, group)}" if group else label
            if "" in values:  # one value for the whole horizon
                _raw, v = values[""]
                cells = (
                    f'<td class="num" colspan="{len(years)}">'
                    + _num(f"marginal_costs.{name}", v, shown(v))
                    + "</td>"
                )
            else:
                cells = "".join(
                    _cell(f"marginal_costs.{name}.{values[y][0]}", values[y][1],
                          shown(values[y][1]))
                    if y in values
                    else '<td class="num">–</td>'
                    for y in years
                )  # fmt: skip
            rows.append(f"<tr><th>{_esc(row_label)}</th>{cells}</tr>")
    if not rows:
        out.append(f'<p class="note">{_esc(t("summary.marginal_none", lang))}</p>')
        return "\n".join(out)
    head = "".join(
        f'<th class="num">{_esc(t("summary.per_year", lang, year=y))}</th>' for y in years
    )
    out.append(
        f"<table><thead><tr><th>{_esc(t('col.constraint', lang))}</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return "\n".join(out)


def _binding_table(ds: xr.Dataset, summary: dict[str, Any], lang: str) -> str:
    limits = summary.get("binding_limits") or []
    out = [f"<h3>{_esc(t('summary.binding', lang))}</h3>"]
    if not limits:
        out.append(f'<p class="note">{_esc(t("summary.binding_none", lang))}</p>')
        return "\n".join(out)
    names = _site_names(ds, lang)
    rows = []
    for i, item in enumerate(limits):
        limit = str(item.get("limit", ""))
        units = str(ds[limit].attrs.get("units", "")) if limit in ds else ""
        if units.endswith("/year"):  # build rate: the bound is racks over the period
            units = units.removesuffix("/year")
        label = t(f"limit.{limit}", lang, default=str(item.get("what", limit)))
        site = str(item.get("site", ""))
        rows.append(
            "<tr>"
            f"<td>{_esc(label)}</td><td>{_esc(names.get(site, site))}</td>"
            f'<td class="num">{_esc(item.get("year", ""))}</td>'
            + "".join(
                _cell(f"binding_limits.{i}.{k}", v, text.quantity(v, units, lang))
                for k, v in (("value", item.get("value")), ("bound", item.get("bound")))
            )
            + "</tr>"
        )
    head = "".join(
        f"<th>{_esc(t(k, lang))}</th>" for k in ("col.limit", "col.site", "col.year")
    ) + "".join(f'<th class="num">{_esc(t(k, lang))}</th>' for k in ("col.value", "col.bound"))
    out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return "\n".join(out)


# --- figures ----------------------------------------------------------------------------------


def _figure_html(fig_id: str, spec: F.Spec) -> str:
    # F.to_json escapes <, > and / so the block cannot close its <script> early.
    height = spec["layout"].get("height") or 450
    return (
        f'<div class="figure" id="figure-{fig_id}">'
        f'<div class="plot" id="plot-{fig_id}" style="height:{int(height)}px"></div>'
        f'<script type="application/json" data-plot="plot-{fig_id}">{F.to_json(spec)}</script>'
        "</div>"
    )


def build_figure_specs(ds: xr.Dataset, lang: str) -> dict[str, list[tuple[str, F.Spec]]]:
    """The report's figures by section, as plain data (see :mod:`planner.report.figures`).

    A figure whose variables are missing is left out.
    """
    out: dict[str, list[tuple[str, F.Spec]]] = {}
    for section, fig_id, func in F.FIGURE_SPECS:
        try:
            spec = func(ds, lang)
        except KeyError as exc:
            log.warning("figure %s left out: variable %s not in the results", fig_id, exc)
            continue
        out.setdefault(section, []).append((fig_id, spec))
    return out


def build_figures(ds: xr.Dataset, lang: str) -> dict[str, list[tuple[str, go.Figure]]]:
    """The report's figures by section as plotly Figures; missing variables leave one out."""
    return {
        section: [(fig_id, F.to_figure(spec)) for fig_id, spec in specs]
        for section, specs in build_figure_specs(ds, lang).items()
    }


def _section(
    section: str, figs: list[tuple[str, F.Spec]], lang: str, extra: str = "", title: str = ""
) -> str:
    heading = title or t("section." + section, lang)
    parts = [f'<section id="{section}"><h2>{_esc(heading)}</h2>']
    if text.has(f"intro.{section}"):
        parts.append(f'<p class="intro">{_esc(t("intro." + section, lang))}</p>')
    for fig_id, fig in figs:
        parts.append(_figure_html(fig_id, fig))
        if fig_id == "dispatch":
            parts.append(_print_dispatch(fig, lang))
    if extra:
        parts.append(extra)
    parts.append("</section>")
    return "\n".join(parts)


def _print_dispatch(spec: F.Spec, lang: str) -> str:
    """Every site's dispatch, for paper: the screen shows one site at a time (a menu)."""
    figures = F.dispatch_print_specs(spec, lang)
    inner = "\n".join(_figure_html(f"dispatch_print_{i}", f) for i, f in enumerate(figures))
    return f'<div class="print-only">{inner}</div>'


SECTION_TABLES = {"racks": TABLES.utilisation_table, "costs": TABLES.site_cost_table}


# --- appendix -----------------------------------------------------------------------------------


def _provenance(ds: xr.Dataset) -> dict[str, Any] | None:
    """The data provenance the run carries (``planner.inputs.load.provenance``), if any."""
    text_ = ds.attrs.get("provenance")
    if not text_:
        return None
    try:
        value = json.loads(text_)
    except (TypeError, ValueError):
        log.warning("the run's provenance is not valid JSON; the appendix leaves it out")
        return None
    return value if isinstance(value, dict) else None


def _appendix(ds: xr.Dataset, summary: dict[str, Any], model_yaml: str | None, lang: str) -> str:
    out = [
        f'<section id="appendix"><h2>{_esc(t("section.appendix", lang))}</h2>',
        f'<p class="intro">{_esc(t("intro.appendix", lang))}</p>',
    ]
    out.append(f"<h3>{_esc(t('appendix.tables', lang))}</h3>")
    record = _provenance(ds)
    if record is None:
        out.append(f'<p class="note">{_esc(t("appendix.no_provenance", lang))}</p>')
    else:
        rows = []
        for entry in record.get("tables", []):
            conf = ", ".join(
                f"{_esc(t('confidence.' + str(k), lang, default=str(k)))} {int(v)}"
                for k, v in (entry.get("confidence") or {}).items()
            )
            srcs = ", ".join(_esc(s) for s in entry.get("sources", []))
            # File names and source ids are names: not for translation.
            rows.append(
                f"<tr><td translate='no'>{_esc(entry.get('file', ''))}</td>"
                f"<td class='num'>{int(entry.get('rows', 0))}</td>"
                f"<td>{conf}</td><td translate='no'>{srcs}</td></tr>"
            )
        head = "".join(
            f"<th>{_esc(t(k, lang))}</th>"
            for k in (
                "appendix.table",
                "appendix.rows",
                "appendix.confidence",
                "appendix.sources_used",
            )
        )
        out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        sources = record.get("sources") or []
        if sources:
            out.append(f"<h3>{_esc(t('appendix.bibliography', lang))}</h3>")
            cols = [("source_id", "appendix.source_id"), ("issuer", "appendix.issuer"),
                    ("document", "appendix.document"), ("date", "appendix.date"),
                    ("url", "appendix.url")]  # fmt: skip
            head = "".join(f"<th>{_esc(t(k, lang))}</th>" for _c, k in cols)
            body = []
            for rec in sources:
                cells = []
                for col, _k in cols:
                    # Addresses as plain text: nothing in the report links out or loads.
                    cls = ' class="url"' if col == "url" else ""
                    value = str(rec.get(col, "") or "")
                    if col == "issuer":
                        value = text.issuer(value, lang)
                    elif col == "document":
                        value = text.document(value, lang)
                    cells.append(f"<td{cls}>{_esc(value)}</td>")
                body.append(f"<tr>{''.join(cells)}</tr>")
            # Titles and issuers are names: a translating browser should leave them be.
            out.append(
                f'<table class="sources" translate="no"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>"
            )

    out.append(f"<h3>{_esc(t('appendix.model_file', lang))}</h3>")
    if model_yaml is None:
        out.append(f'<p class="note">{_esc(t("appendix.no_model_file", lang))}</p>')
    else:
        out.append(f'<pre class="model" translate="no">{_esc(model_yaml)}</pre>')

    out.append(f"<h3>{_esc(t('appendix.solver', lang))}</h3>")
    solver = summary.get("solver") or {}
    gap = summary.get("mip_gap")
    facts = [
        (t("appendix.solver", lang), solver.get("name", "")),
        (t("appendix.status", lang), _status(summary, lang)),
        (t("appendix.gap", lang), "–" if gap is None else text.percent(gap, lang, 3)),
        (t("appendix.message", lang), text.solver_message(solver.get("message", ""), lang)),
        (t("appendix.time_slices", lang), text.time_slices(summary.get("time_slices", ""), lang)),
    ]
    out.append(
        "<table><tbody>"
        + "".join(
            f"<tr><th>{_esc(k)}</th><td{NO_TRANSLATE if i == 0 else ''}>{_esc(v)}</td></tr>"
            for i, (k, v) in enumerate(facts)
        )
        + "</tbody></table>"
    )
    timings = summary.get("timings_s") or {}
    if timings:
        out.append(f"<h3>{_esc(t('appendix.timings', lang))}</h3>")
        rows = "".join(
            f"<tr><td>{_esc(t('timing.' + k, lang, default=k))}</td>"
            f'<td class="num">{_num(f"timings_s.{k}", v, text.number(v, 3, lang))}</td></tr>'
            for k, v in timings.items()
            if isinstance(v, int | float)
        )
        out.append(
            f"<table><thead><tr><th>{_esc(t('appendix.step', lang))}</th>"
            f'<th class="num">{_esc(t("appendix.seconds", lang))}</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    versions = summary.get("versions") or {}
    if versions:
        out.append(f"<h3>{_esc(t('appendix.versions', lang))}</h3>")
        rows = "".join(
            f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in versions.items()
        )
        out.append(
            f"<table translate='no'><thead><tr><th>{_esc(t('appendix.package', lang))}</th>"
            f"<th>{_esc(t('appendix.version', lang))}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    out.append("</section>")
    return "\n".join(out)


# --- page -------------------------------------------------------------------------------------


def _sweep_section(sweep: xr.Dataset, lang: str) -> str:
    """The sweep's (or frontier's) own views and its case table, first in its report."""
    from planner.report import sweep_views as SV

    kind = "frontier" if SV.is_frontier(sweep) else "sweep"
    figures = SV.view_specs(sweep, lang)
    parts = [f'<section id="sweep"><h2>{_esc(t("section." + kind, lang))}</h2>']
    parts.append(f'<p class="intro">{_esc(t("intro." + kind, lang))}</p>')
    parts.append(_figure_html(*figures[0]))
    parts.append(SV.case_table(sweep, lang))
    parts.extend(_figure_html(fig_id, spec) for fig_id, spec in figures[1:])
    parts.append("</section>")
    return "\n".join(parts)


def _whatif(run_dir: Path, summary: dict[str, Any], lang: str) -> str:
    """What a what-if run set, read from its folder's name (``<scenario>--<key>=<value>``)."""
    scenario = str(summary.get("scenario", ""))
    name = Path(run_dir).name
    if not scenario or not name.startswith(f"{scenario}--"):
        return ""
    from planner.report import sweep_views as SV

    shown = []
    for part in name[len(scenario) + 2 :].split("--"):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        label = SV.key_label(key, lang)
        shown.append(f"{label}{text.colon(lang)}{SV.value_text(key, value, lang)}")
    return ("；" if lang == "zh" else "; ").join(shown)


def _generated_at() -> str:
    """When the report is made, to the minute, in local time."""
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def render_report(
    run_dir: Path,
    lang: str = "en",
    *,
    sweep: xr.Dataset | None = None,
    results: xr.Dataset | None = None,
    summary: dict[str, Any] | None = None,
    alternatives: xr.Dataset | None = None,
) -> str:
    """The report of ``run_dir`` as one self-contained HTML string.

    Parameters
    ----------
    run_dir
        The run folder written by ``planner solve`` or ``planner plan``.
    lang
        ``"en"`` or ``"zh"``.
    sweep
        A sweep or Pareto Dataset drawn by :func:`planner.report.figures.sweep_figure`
        (and the other sweep views) in its own section.
    results, summary
        The run's results Dataset and summary, when the caller already holds them (as
        :func:`planner.results.read_run` returns them, or the in-memory ones the run
        wrote): the page is the same, without reading ``results.nc`` again. Whichever
        is None is read from ``run_dir``; ``model.yaml`` always is.
    alternatives
        The Dataset of a folder of near-optimal alternatives (``alternatives.nc``) whose
        least-cost plan ``run_dir`` is: its section
        (:func:`planner.report.alternatives.alternatives_section`) comes first.

    Returns
    -------
    str
        The HTML page.
    """
    text.check_lang(lang)
    ds, summary, model_yaml = load_run(run_dir, results=results, summary=summary)
    figs = build_figure_specs(ds, lang) if has_plan(summary) and "compute_eflops" in ds else {}

    sections = [_summary_section(ds, summary, lang)]
    sections[0] += "\n" + "\n".join(_figure_html(i, f) for i, f in figs.get("summary", []))
    sections[0] += "\n</section>"
    shown = ["summary"]
    if alternatives is not None:  # what the reader came for, before the least-cost plan
        from planner.report.alternatives import alternatives_section

        sections.insert(0, alternatives_section(alternatives, ds, lang))
        shown.insert(0, "alternatives")
    for section in ("racks", "power", "flows", "costs"):
        if figs.get(section):
            extra = SECTION_TABLES[section](ds, lang) if section in SECTION_TABLES else ""
            sections.append(_section(section, figs[section], lang, extra))
            shown.append(section)
    if sweep is not None:  # first: what the folder is about; the base case follows
        sections.insert(0, _sweep_section(sweep, lang))
        shown.insert(0, "sweep")
    sections.append(_appendix(ds, summary, model_yaml, lang))
    shown.append("appendix")

    def toc_name(section: str) -> str:
        if section == "sweep" and sweep is not None:
            from planner.report import sweep_views as SV

            return t("section.frontier" if SV.is_frontier(sweep) else "section.sweep", lang)
        return t("section." + section, lang)

    scenario = summary.get("scenario", "")
    generated = _generated_at()
    header = [("report.scenario", scenario)]
    if sweep is not None:
        from planner.report import sweep_views as SV

        kind = "report.kind_frontier" if SV.is_frontier(sweep) else "report.kind_sweep"
        header.append(("report.kind", t(kind, lang, n=sweep.sizes["case"])))
    whatif = _whatif(run_dir, summary, lang)
    if whatif:
        header.append(("report.whatif", whatif))
    header += [("summary.status", _status(summary, lang)), ("report.generated", generated)]
    # The scenario is a name (a file name): not for translation.
    return page_html(
        lang=lang,
        title=f"{t('report.title', lang)} · {scenario}",
        heading=t("report.title", lang),
        subtitle=t("report.subtitle", lang),
        header=[(t(k, lang), v, k == "report.scenario") for k, v in header],
        description=_description(summary, model_yaml, lang),
        toc=[(s, toc_name(s)) for s in shown],
        sections=sections,
        version=(summary.get("versions") or {}).get("planner", ""),
        generated=generated,
    )


def page_html(
    *,
    lang: str,
    title: str,
    heading: str,
    subtitle: str,
    header: list[tuple[str, str, bool]],
    description: str,
    toc: list[tuple[str, str]],
    sections: list[str],
    version: str,
    generated: str,
) -> str:
    """One self-contained report page around its ``sections`` (HTML): the style, plotly.js
    inlined, the header, the table of contents and the script that draws the figures.

    Parameters
    ----------
    header
        ``(label, value, is_name)`` rows of the header; a name (a scenario, a folder) is
        marked not for translation.
    toc
        ``(section id, title)`` of the sections, in order.
    version, generated
        The planner version (in the generator tag that marks the file as planner's) and
        when the page is made.
    """
    font = F.FONT_ZH if lang == "zh" else F.FONT_EN
    css = (
        CSS.replace("FONT", font)
        .replace("SCREENpx", f"{SCREEN_WIDTH_PX}px")
        .replace("ZOOM", str(PRINT_ZOOM))
    )
    script = SCRIPT.replace("CONFIG", json.dumps(PLOT_CONFIG))
    dl = "".join(
        f"<dt>{_esc(k)}</dt><dd{NO_TRANSLATE if is_name else ''}>{_esc(v)}</dd>"
        for k, v, is_name in header
    )
    nav = "".join(f'<a href="#{_esc(i)}">{_esc(name)}</a>' for i, name in toc)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="planner {_esc(version)}">
<title>{_esc(title)}</title>
<style>{css}</style>
<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>
<script>{_plotly_js()}</script>
</head>
<body>
<header class="top">
<h1>{_esc(heading)}</h1>
<p class="subtitle">{_esc(subtitle)}</p>
<dl>{dl}</dl>
{f'<p class="description">{_esc(description)}</p>' if description else ""}
</header>
<nav class="toc">{nav}</nav>
<main>
{chr(10).join(sections)}
</main>
<footer>planner {_esc(version)} · {_esc(generated)}</footer>
<script>{script}</script>
</body>
</html>
"""


def _description(summary: dict[str, Any], model_yaml: str | None, lang: str) -> str:
    """The scenario's description in ``lang``: ``description_zh`` of the run's model file
    for Chinese, when it has one (the report reads the run folder's model.yaml)."""
    if lang == "zh" and model_yaml:
        import yaml

        try:
            raw = yaml.safe_load(model_yaml)
        except yaml.YAMLError:
            raw = None
        zh = raw.get("description_zh") if isinstance(raw, dict) else None
        if isinstance(zh, str) and zh.strip():
            return zh.strip()
    return summary.get("description") or ""


def _plotly_js() -> str:
    """plotly.js, embedded once; plotly.py is imported only when a page is made."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def safe_stem(name: str) -> str:
    """A file-name-safe version of a scenario name."""
    stem = re.sub(r"[^\w.=-]+", "_", str(name)).strip("._=")
    return stem or "report"


def write_report(
    run_dir: Path,
    out_file: Path,
    lang: str = "en",
    *,
    sweep: xr.Dataset | None = None,
    results: xr.Dataset | None = None,
    summary: dict[str, Any] | None = None,
    alternatives: xr.Dataset | None = None,
) -> Path:
    """Write the report of ``run_dir`` to ``out_file`` atomically and return its path.

    The HTML goes to a temporary file in the same folder that replaces ``out_file`` in
    one rename, so a reader never sees a half-written report.

    Parameters
    ----------
    run_dir
        The run folder written by ``planner solve`` or ``planner plan``.
    out_file
        The HTML file to write; its folder is made if needed.
    lang
        ``"en"`` or ``"zh"``.
    sweep
        A sweep or Pareto Dataset to add the sweep views of.
    results, summary
        The run's results Dataset and summary when the caller already holds them, e.g.
        ``planner plan`` right after writing the run folder: skips reading
        ``results.nc`` again (see :func:`render_report`).
    alternatives
        The Dataset of a folder of near-optimal alternatives (see :func:`render_report`).

    Returns
    -------
    Path
        ``out_file``.
    """
    page = render_report(
        Path(run_dir), lang, sweep=sweep, results=results, summary=summary,
        alternatives=alternatives,
    )  # fmt: skip
    return write_page(page, out_file)


def write_page(page: str, out_file: Path) -> Path:
    """Write the HTML ``page`` to ``out_file`` atomically and return its path.

    The page goes to a temporary file in the same folder (made if needed) that replaces
    ``out_file`` in one rename, so a reader never sees a half-written report.
    """
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_file.name}.", suffix=".tmp", dir=out_file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_file
