"""Does the data set reproduce the published figures it was built from?

Two checks, both as tidy tables for ``planner data check`` and the data README:

1. national: each row of ``calibration.csv`` (published racks and EFLOPS at the end of the
   base year) against the same figure summed from ``stock.csv``;
2. per site: the full-load hours of the solar and wind profiles in ``profiles.nc`` against
   the published full-load hours in ``site_energy.csv`` they were calibrated to.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner.errors import InputError
from planner.inputs.checks import PROFILES_FILE, check_profiles
from planner.inputs.load import load_tables, tflops_to_eflops

FLH_TOLERANCE_FRAC = 0.02  # profiles must reproduce published full-load hours within 2 %
_FLH = {"solar": ("solar_cf", "solar_flh_target_h"), "wind": ("wind_cf", "wind_flh_target_h")}


def _stock_value(stock: pd.DataFrame, metric: str, year: int) -> float:
    """A national figure from the stock table: racks in use built up to ``year``."""
    rows = stock[stock["vintage"] <= year]
    if metric == "racks_std":
        return float(rows["racks_std"].sum())
    if metric == "intelligent_eflops":
        rows = rows[rows["rack_class"] == "intelligent"]
    return float(tflops_to_eflops(rows["racks_std"] * rows["tflops_per_std_rack"]).sum())


def _relative_error(achieved: float, target: float) -> float:
    return (achieved - target) / target if target != 0 else (0.0 if achieved == 0 else np.inf)


def calibration_report(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Published figures against the data set's own.

    Returns
    -------
    national
        One row per row of ``calibration.csv``: ``metric``, ``year``, ``published``,
        ``data`` (from ``stock.csv``: racks, or sum of racks x TFLOPS / 1e6 for EFLOPS),
        ``rel_error_frac`` ((data - published) / published), ``tolerance_frac``, ``ok``.
    full_load_hours
        One row per site and technology (solar, wind): ``target_h`` (site_energy.csv),
        ``achieved_h`` (sum over the 8760 hours of the capacity factor in profiles.nc),
        ``rel_error_frac``, ``tolerance_frac`` (2 %), ``ok``. A target of 0 h is met only by
        a profile of 0 h.

    Raises
    ------
    InputError
        If the tables or the profile file have problems.
    """
    data_dir = Path(data_dir)
    tables = load_tables(data_dir)
    profiles_path = data_dir / PROFILES_FILE
    problems = check_profiles(profiles_path, list(tables["sites"]["site"]))
    if problems:
        raise InputError(problems)

    rows = []
    for _line, row in tables["calibration"].iterrows():
        value = _stock_value(tables["stock"], row["metric"], int(row["year"]))
        error = _relative_error(value, float(row["value"]))
        rows.append(
            {
                "metric": row["metric"],
                "year": int(row["year"]),
                "published": float(row["value"]),
                "data": value,
                "rel_error_frac": error,
                "tolerance_frac": float(row["tolerance_frac"]),
                "ok": bool(abs(error) <= row["tolerance_frac"]),
            }
        )
    national = pd.DataFrame(
        rows,
        columns=["metric", "year", "published", "data", "rel_error_frac", "tolerance_frac", "ok"],
    )

    profiles = xr.load_dataset(profiles_path)
    energy = tables["site_energy"].set_index("site")
    rows = []
    for site in tables["sites"]["site"]:
        for tech, (variable, column) in _FLH.items():
            achieved = float(profiles[variable].sel(site=site).sum())
            target = float(energy.loc[site, column])
            error = _relative_error(achieved, target)
            rows.append(
                {
                    "site": site,
                    "tech": tech,
                    "target_h": target,
                    "achieved_h": achieved,
                    "rel_error_frac": error,
                    "tolerance_frac": FLH_TOLERANCE_FRAC,
                    "ok": bool(abs(error) <= FLH_TOLERANCE_FRAC),
                }
            )
    flh = pd.DataFrame(rows)
    return national, flh
