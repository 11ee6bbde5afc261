"""Check a solved run's answers against the published record (``planner validate``).

``planner data calibration`` checks the data against the figures they were built from;
this module checks what the *model* answers. Two kinds of check, each a row of one table:

outcomes
    every row of ``outcomes.csv``: the run's figure for the metric (compute in service,
    intelligent compute, racks, compute in the hub sites, electricity, emission
    intensity) in the plan year nearest the outcome's year, against the published range
    ``[published_low, published_high]``. A figure is within tolerance when it lies in
    ``[low x (1 - tol), high x (1 + tol)]``; a tolerance of ``inf`` marks a row that is
    shown for comparison only (another scope or year, said in its note).
migration cases
    every row of ``migration_cases.csv``: moving a fixed IT load from the origin to the
    destination site changes its location-based emissions by
    :math:`\\frac{\\sum_t w_t\\, \\mathrm{PUE}_{d,t}\\, \\phi_t\\, \\mathrm{EF}_{d,t}}
    {\\sum_t w_t\\, \\mathrm{PUE}_{o,t}\\, \\phi_t\\, \\mathrm{EF}_o} - 1`
    with the run's own time slices :math:`w_t`, hourly PUE, the load shape :math:`\\phi`
    of general racks and grid factors (the origin's factor is the origin province's,
    given in the row). Within tolerance when the sign matches and the size is within
    ``tolerance_frac`` of the published change.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from planner.errors import InputError, Problem
from planner.inputs.load import load_tables

COLUMNS = (
    "check",
    "year",
    "model_year",
    "model",
    "published_low",
    "published_high",
    "unit",
    "tolerance_frac",
    "within",
    "source",
    "note",
)

UNITS = {
    "total_eflops": "EFLOPS",
    "intelligent_eflops": "EFLOPS",
    "racks_std": "std_rack",
    "hub_node_eflops": "EFLOPS",
    "electricity_twh": "TWh/year",
    "emission_intensity_tco2_per_mwh": "tCO2/MWh",
}


def model_figure(results: xr.Dataset, summary: dict[str, Any], metric: str, year: int) -> float:
    """The run's figure for an ``outcomes.csv`` metric in plan year ``year``."""
    row = summary["per_year"][str(year)]
    if metric == "total_eflops":
        return float(row["total_eflops"])
    if metric == "intelligent_eflops":
        return float(row["intelligent_eflops"])
    if metric == "racks_std":
        return float(row["racks_total_std"])
    if metric == "hub_node_eflops":
        in_hub = results["site_in_national_hub"].astype(bool)
        return float(results["compute_eflops"].sel(year=year).where(in_hub, 0.0).sum())
    if metric == "electricity_twh":
        return float(row["energy_mwh"]) / 1e6
    if metric == "emission_intensity_tco2_per_mwh":
        return float(row["emissions_tco2"]) / float(row["energy_mwh"])
    raise ValueError(f"unknown outcome metric {metric!r}")


def migration_change(
    results: xr.Dataset, origin_site: str, origin_ef_tco2_per_mwh: float, destination_site: str
) -> float:
    """Relative change of a fixed IT load's emissions when it moves (see the module doc).

    Uses the first plan year's grid factors of the destination and the load shape of
    general racks; the IT load itself cancels out.
    """
    year = int(results["year"].values[0])
    weight = results["timestep_weight_h"]
    shape = results["load_shape_rel"].sel(rack_class="general")
    pue = results["pue"]
    ef = results["grid_ef_tco2_per_mwh"].sel(site=destination_site, year=year)
    origin = float((weight * pue.sel(site=origin_site) * shape).sum()) * origin_ef_tco2_per_mwh
    destination = float((weight * pue.sel(site=destination_site) * shape * ef).sum())
    return destination / origin - 1.0


def _within(value: float, low: float, high: float, tolerance: float) -> bool | None:
    if math.isinf(tolerance):
        return None
    return low * (1 - tolerance) - 1e-12 <= value <= high * (1 + tolerance) + 1e-12


def validation_table(results: xr.Dataset, summary: dict[str, Any], data_dir: Path) -> pd.DataFrame:
    """Every published outcome and migration case against the run (one row each).

    Raises
    ------
    InputError
        If the run has no plan, or the data folder's tables have problems.
    """
    if "compute_eflops" not in results or not summary.get("per_year"):
        raise InputError(
            [Problem(summary.get("scenario", "run"), None, None,
                     "the run has no plan to validate (its solve ended without one)")]
        )  # fmt: skip
    tables = load_tables(data_dir)
    years = [int(y) for y in results["year"].values]
    rows = []
    for _line, r in tables["outcomes"].iterrows():
        year = int(r["year"])
        model_year = min(years, key=lambda y: (abs(y - year), y))
        value = model_figure(results, summary, r["metric"], model_year)
        low, high, tol = (
            float(r["published_low"]),
            float(r["published_high"]),
            float(r["tolerance_frac"]),
        )
        rows.append(
            {
                "check": r["metric"],
                "year": year,
                "model_year": model_year,
                "model": value,
                "published_low": low,
                "published_high": high,
                "unit": UNITS[r["metric"]],
                "tolerance_frac": tol,
                "within": _within(value, low, high, tol),
                "source": r["source"],
                "note": r.get("note", ""),
            }
        )
    for _line, r in tables["migration_cases"].iterrows():
        change = migration_change(
            results, r["origin_site"], float(r["origin_grid_ef_tco2_per_mwh"]),
            r["destination_site"],
        )  # fmt: skip
        published = float(r["published_change_frac"])
        tol = float(r["tolerance_frac"])
        same_sign = np.sign(change) == np.sign(published)
        rows.append(
            {
                "check": f"migration: {r['case']}",
                "year": years[0],
                "model_year": years[0],
                "model": change,
                "published_low": published,
                "published_high": published,
                "unit": "1",
                "tolerance_frac": tol,
                "within": bool(same_sign and abs(change - published) <= tol * abs(published)),
                "source": r["source"],
                "note": r.get("note", ""),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))
