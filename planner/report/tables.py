"""Report tables that answer "why this site?": utilisation and cost by site.

Pure functions from a run's results Dataset to an HTML fragment, like the figures; every
number carries its raw value in ``data-value`` (and, where it comes from results.nc, the
variable in ``data-var``) so tests can check what a reader sees against the run.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np
import xarray as xr

from planner.report import figures as F
from planner.report import text
from planner.report.text import t

# Below its rules by more than this share of its compute in service, a site is flagged
# as holding idle capacity (the rest is round-off of whole build modules).
IDLE_TOL_FRAC = 0.01

# Cost components by what a reader asks of a site: what it takes to build, to power, to
# run, and to reach its users.
COST_GROUPS: dict[str, tuple[str, ...]] = {
    "investment": ("capex_racks", "capex_energy", "campus"),
    "energy": ("energy", "certificates", "carbon"),
    "om": ("om",),
    "transfer": ("transfer",),
}


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, shown: str, var: str = "") -> str:
    raw = value if value is None or math.isfinite(float(value)) else None
    attr = f' data-var="{_esc(var)}"' if var else ""
    return (
        f'<td class="num"><span data-value="{_esc(json.dumps(raw))}"{attr}>{_esc(shown)}</span>'
        "</td>"
    )


def _site_names(ds: xr.Dataset, lang: str) -> list[str]:
    return [html.unescape(n) for n in F.site_labels(ds, lang)]


def idle_flags(ds: xr.Dataset) -> xr.DataArray:
    """Sites and years whose compute in service is used less than their rules require."""
    total = ds["compute_eflops"].sum("rack_class")
    served = ds["served_site_eflops"].sum("rack_class")
    floor = F.occupancy_floor(ds) * total
    return served < floor - IDLE_TOL_FRAC * total


def utilisation_table(ds: xr.Dataset, lang: str) -> str:
    """Compute in service, served and idle by site in the last plan year, occupancy by year,
    and a flag where a site's racks stand idle beyond its occupancy rules."""
    if "served_site_eflops" not in ds or "compute_eflops" not in ds:
        return ""
    years = [int(y) for y in ds["year"].values]
    last = years[-1]
    total = ds["compute_eflops"].sum("rack_class")
    served = ds["served_site_eflops"].sum("rack_class")
    occupancy = (served / total.where(total > 0)).transpose("site", "year")
    floor = F.occupancy_floor(ds).transpose("site", "year")
    flags = idle_flags(ds).transpose("site", "year")
    names = _site_names(ds, lang)
    rows = []
    for i, name in enumerate(names):
        cells = [f"<th>{_esc(name)}</th>"]
        for var, da in (
            ("compute_eflops", total),
            ("served_site_eflops", served),
            ("", total - served),
        ):
            v = float(da.isel(site=i).sel(year=last))
            cells.append(_num(v, text.number(v, 3, lang), var))
        for j, _y in enumerate(years):
            v = float(occupancy.values[i, j])
            cells.append(_num(v, text.percent(v, lang)))
        v = float(floor.values[i, -1])
        cells.append(_num(v, text.percent(v, lang)))
        flagged = [y for j, y in enumerate(years) if bool(flags.values[i, j])]
        flag = (
            f'<span class="badge short">{_esc(t("table.util.idle_flag", lang))}</span> '
            + _esc(", ".join(str(y) for y in flagged))
            if flagged
            else ""
        )
        cells.append(f"<td>{flag}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = [t("col.site", lang)]
    head += [
        text.with_unit(f"{t(k, lang)} {t('summary.per_year', lang, year=last)}", "EFLOPS", lang)
        for k in ("table.util.in_service", "table.util.served", "table.util.idle")
    ]
    head += [
        f"{t('fig.util.occupancy', lang)} {t('summary.per_year', lang, year=y)}" for y in years
    ]
    head += [t("table.util.rule", lang), t("table.util.flag", lang)]
    th = "".join(
        f'<th class="{"num" if 0 < k < len(head) - 1 else ""}">{_esc(h)}</th>'
        for k, h in enumerate(head)
    )
    return (
        f"<h3>{_esc(t('table.util.title', lang))}</h3>"
        f'<p class="note">{_esc(t("table.util.note", lang))}</p>'
        f'<table class="utilisation"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def site_cost_table(ds: xr.Dataset, lang: str) -> str:
    """Annual cost by site in the last plan year, by what it pays for, and per EFLOPS of
    compute in service there: why the plan builds where it does.

    Each column has one unit, in its header; the money columns share one (the largest
    total's), so that a row adds up by eye.
    """
    if "site_cost_cny" not in ds or "compute_eflops" not in ds:
        return ""
    last = int(ds["year"].values[-1])
    cost = ds["site_cost_cny"].sel(year=last)
    components = [str(c) for c in cost["component"].values]
    groups = {g: [c for c in members if c in components] for g, members in COST_GROUPS.items()}
    groups = {g: m for g, m in groups.items() if m}
    compute = np.asarray(ds["compute_eflops"].sum("rack_class").sel(year=last).values, float)
    in_year = f"{t('table.util.in_service', lang)} {t('summary.per_year', lang, year=last)}"
    columns: list[tuple[str, str, np.ndarray]] = []  # header, unit, values by site
    if "racks_new_std" in ds:
        new = np.asarray(ds["racks_new_std"].sum(("rack_class", "year")).values, float)
        columns.append((t("table.cost.new_racks", lang), "std_rack", new))
    columns.append((in_year, "EFLOPS", compute))
    totals = np.zeros(len(compute))
    for g, members in groups.items():
        values = np.asarray(cost.sel(component=members).sum("component").values, float)
        totals = totals + values
        columns.append((t(f"table.cost.{g}", lang), "CNY/year", values))
    columns.append((t("table.cost.total", lang), "CNY/year", totals))
    per = np.divide(totals, compute, out=np.full_like(totals, np.nan), where=compute > 0)
    columns.append((t("table.cost.per_eflops", lang), "CNY/EFLOPS", per))
    scales = {
        "CNY/year": text.scale_for("CNY/year", float(np.nanmax(totals, initial=0)), lang),
        "CNY/EFLOPS": text.scale_for("CNY", float(np.nanmax(per, initial=0)), lang),
        "EFLOPS": (1.0, "EFLOPS"),
    }
    if "racks_new_std" in ds:
        scales["std_rack"] = text.scale_for("std_rack", float(np.nanmax(new, initial=0)), lang)
    names = _site_names(ds, lang)
    rows = []
    for i, name in enumerate(names):
        cells = [f"<th>{_esc(name)}</th>"]
        for _h, unit_id, values in columns:
            v = float(values[i])
            cells.append(_num(v, text.number(v / scales[unit_id][0], 3, lang)))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = [t("col.site", lang)]
    for h, unit_id, _values in columns:
        label = scales[unit_id][1]
        if unit_id == "CNY/EFLOPS":
            label = text.money_per(1.0, unit_id, lang).removeprefix("1").strip()
            label = label.replace("yuan", scales[unit_id][1]).replace("元", scales[unit_id][1])
        head.append(text.with_unit(h, label, lang))
    th = "".join(f'<th class="{"num" if k else ""}">{_esc(h)}</th>' for k, h in enumerate(head))
    return (
        f"<h3>{_esc(t('table.cost.title', lang, year=last))}</h3>"
        f'<table class="site-cost"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
