"""The report's section on a folder of near-optimal alternatives (``planner alternatives``).

Reads the alternatives Dataset (``alternatives.nc``, :mod:`planner.alternatives_folder`)
and the least-cost run's results (for hub and site names) only. The section says, for
each aggregate, the range across the plans beside the least-cost value ("Western hubs'
share of new racks: 0.0 % to 35.4 % within 1.0 % of the least cost"), draws each plan on
a strip per aggregate (:func:`planner.report.figures.alternatives_strip_spec`), lists the
plans with their cost and proof, and which targets and limits bind in each.
"""

from __future__ import annotations

import html
import json

import numpy as np
import xarray as xr

from planner.report import figures as F
from planner.report import text
from planner.report.page import _esc, _figure_html, _site_names
from planner.report.text import t


def hub_names(ds: xr.Dataset, lang: str) -> dict[str, str]:
    """Display names of the hubs in ``lang`` (unescaped), from the run's results."""
    return {k: html.unescape(v) for k, v in F.hub_labels(ds, lang).items()}


def _constraint_label(name: str, ds: xr.Dataset, lang: str, hubs: dict[str, str]) -> str:
    parts = name.split("|")
    if parts[0] == "cost":
        return t("alt.cost_slack", lang)
    if parts[0] == "target" and parts[1] == "green_share":
        return t("alt.target.green_share", lang, hub=hubs.get(parts[2], parts[2]), year=parts[3])
    if parts[0] == "target":
        return t(f"alt.target.{parts[1]}", lang, default=name, year=parts[-1])
    if parts[0] == "limit":
        limit = t(f"limit.{parts[1]}", lang, default=parts[1])
        site = _site_names(ds, lang).get(parts[2], parts[2])
        return t("alt.limit", lang, limit=limit, site=site, year=parts[3])
    return name


def _table(head: list[tuple[str, bool]], rows: list[list[tuple[str, bool]]]) -> str:
    """An HTML table; each cell is (escaped html, numeric)."""

    def cell(tag: str, content: str, num: bool) -> str:
        return f"<{tag}{' class=num' if num else ''}>{content}</{tag}>"

    thead = "".join(cell("th", c, n) for c, n in head)
    body = "".join("<tr>" + "".join(cell("td", c, n) for c, n in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{thead}</tr></thead><tbody>{body}</tbody></table>"


def alternatives_section(alt: xr.Dataset, ds: xr.Dataset, lang: str) -> str:
    """The section's HTML: ``alt`` the alternatives Dataset, ``ds`` the least-cost run's
    results."""
    hubs = hub_names(ds, lang)
    slack = float(alt.attrs.get("slack", np.nan))
    slack_text = text.percent(slack, lang, digits=2 if slack < 0.01 else 1)
    limit = text.quantity(float(alt.attrs.get("cost_limit_cny", np.nan)), "CNY", lang)
    points = int(alt.attrs.get("points", 0))
    spores = t("alt.spores", lang, n=points) if points else ""
    optimised = json.loads(alt.attrs.get("objectives", "[]"))
    ok = ~alt["failed"].values.astype(bool)
    labels = F.plan_labels(alt, lang, hubs)
    intro = t("alt.intro", lang, slack=slack_text, limit=limit, spores=spores)
    out = [
        f'<section id="alternatives"><h2>{_esc(t("section.alternatives", lang))}</h2>',
        f'<p class="intro">{_esc(intro)}</p>',
        f"<h3>{_esc(t('alt.ranges', lang))}</h3>",
    ]
    keys = F.strip_aggregates(alt)
    values = alt["aggregate_value"].sel(aggregate=keys)
    sentences, rows = [], []
    for key in keys:
        v = np.where(ok, values.sel(aggregate=key).values, np.nan)
        unit = str(alt["aggregate_unit"].sel(aggregate=key).values)
        if np.all(np.isnan(v)):
            continue
        size = float(np.nanmax(np.abs(v)))  # one unit across the row
        shown = {
            "what": text.aggregate_label(key, lang, hubs),
            "low": text.aggregate_quantity(np.nanmin(v), unit, lang, size),
            "high": text.aggregate_quantity(np.nanmax(v), unit, lang, size),
            "least": text.aggregate_quantity(v[0], unit, lang, size),
        }
        how = t("alt.optimised" if key in optimised else "alt.observed", lang)
        if key in optimised:
            sentences.append(t("alt.range_line", lang, slack=slack_text, **shown))
        rows.append(
            [(_esc(shown["what"]), False), (_esc(shown["least"]), True),
             (_esc(shown["low"]), True), (_esc(shown["high"]), True), (_esc(how), False)]
        )  # fmt: skip
    if sentences:
        out.append("<ul>" + "".join(f"<li>{_esc(s)}</li>" for s in sentences) + "</ul>")
    head = [(_esc(t(k, lang)), k not in ("alt.col.aggregate", "alt.col.how"))
            for k in ("alt.col.aggregate", "alt.col.least", "alt.col.low", "alt.col.high",
                      "alt.col.how")]  # fmt: skip
    out.append(_table(head, rows))
    out.append(_figure_html("alternatives_strip", F.alternatives_strip_spec(alt, lang, hubs)))

    out.append(f"<h3>{_esc(t('alt.plans', lang))}</h3>")
    head = [
        (_esc(t("alt.col.plan", lang)), False),
        (_esc(t("summary.status", lang)), False),
        (_esc(t("alt.col.gap", lang)), True),
        (_esc(t("alt.col.cost", lang)), True),
    ]
    head += [(_esc(text.aggregate_label(k, lang, hubs)), True) for k in optimised]  # fmt: skip
    rows = []
    for i, label in enumerate(labels):
        status = str(alt["status"].values[i])
        gap = float(alt["objective_gap"].values[i])
        cost = float(alt["cost_vs_least_cost_frac"].values[i])
        row = [
            (_esc(label), False),
            (_esc(t(f"status.{status}", lang, default=status)), False),
            (_esc(text.percent(gap, lang, digits=3) if np.isfinite(gap) else "–"), True),
            (_esc(text.percent(cost, lang, digits=3) if np.isfinite(cost) else "–"), True),
        ]
        for key in optimised:
            unit = str(alt["aggregate_unit"].sel(aggregate=key).values)
            column = alt["aggregate_value"].sel(aggregate=key).values
            shown_values = np.abs(column[ok])
            size = float(shown_values.max()) if shown_values.size else None  # one unit a column
            value = float(column[i])
            row.append((_esc(text.aggregate_quantity(value, unit, lang, size)), True))
        rows.append(row)
    out.append(_table(head, rows))
    for i, label in enumerate(labels):
        if not ok[i]:
            reason = str(alt["reason"].values[i])
            out.append(
                f'<p class="note">{_esc(t("alt.failed", lang, plan=label, reason=reason))}</p>'
            )

    out.append(f"<h3>{_esc(t('alt.binding', lang))}</h3>")
    constraints = [str(c) for c in alt["constraint"].values]
    binds = alt["binds"].values
    head = [(_esc(t("col.constraint", lang)), False)]
    head += [(f'<span title="{_esc(label)}">P{i}</span>', True) for i, label in enumerate(labels)]
    rows = [
        [(_esc(_constraint_label(c, ds, lang, hubs)), False)]
        + [("●" if binds[i, j] else "", True) for i in range(len(labels))]
        for j, c in enumerate(constraints)
    ]
    out.append(_table(head, rows))
    out.append(f'<p class="note">{_esc(t("alt.binding_note", lang))}</p>')
    out.append("</section>")
    return "\n".join(out)
