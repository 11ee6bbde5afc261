"""Does the data set reproduce the figures it was built from?

Two reports, both as tidy tables for ``planner data calibration`` and the data README:

1. national: each row of ``calibration.csv`` (published racks and EFLOPS at the end of the
   base year) against the same figure summed from ``stock.csv``;
2. per site, from ``profiles.nc``:

   - checked: the annual mean GHI behind the solar profile (``ghi_w_m2``) against that of
     the site's MERRA-2 cell, looked up again here from ``sites.csv`` (the profile
     reproduces MERRA-2); the wind full-load hours against ``wind_flh_target_h`` (the
     wind generator is calibrated to it);
   - compared only: the solar full-load hours against the published provincial figure
     ``solar_flh_published_h`` (the solar generator does not aim at it; the difference
     is what MERRA-2 and the plant model say against the literature).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner.errors import InputError
from planner.inputs.load import load_tables, tflops_to_eflops
from planner.inputs.merra2 import cell_of_site, describe_cell
from planner.inputs.tables import PROFILES_FILE, check_profiles

FLH_TOLERANCE_FRAC = 0.02  # the wind profile must reproduce its full-load hours within 2 %
# The solar profile's annual mean GHI must reproduce its MERRA-2 cell's within 1 %: the
# generator keeps every daily mean except where the hourly clearness cap (0.85) cannot hold
# a day's energy, which costs at most 0.4 % a year at the shipped sites.
GHI_TOLERANCE_FRAC = 0.01
SITE_COLUMNS = [
    "site",
    "quantity",
    "unit",
    "reference",
    "reference_source",
    "profile",
    "rel_diff_frac",
    "checked",
    "tolerance_frac",
    "ok",
]


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
    sites
        Per site, one row per ``quantity`` (columns :data:`SITE_COLUMNS`):
        ``solar_ghi`` (W/m2; ``reference`` the MERRA-2 cell's annual mean daily GHI,
        ``profile`` the mean of ``ghi_w_m2``; checked within 1 %; absent if the profile
        file has no ``ghi_w_m2``, i.e. was not made by ``planner data profiles``),
        ``solar_flh`` (h; ``reference`` = ``solar_flh_published_h``; not checked, ``ok``
        True and ``tolerance_frac`` NaN) and ``wind_flh`` (h; ``reference`` =
        ``wind_flh_target_h``; checked within 2 %). ``profile`` is the sum over the
        8760 hours of the capacity factor for full-load hours. ``rel_diff_frac`` =
        profile / reference - 1; a reference of 0 is met only by a profile of 0.

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
    return national, _site_rows(tables, profiles)


def _site_row(
    site: str,
    quantity: str,
    unit: str,
    reference: float,
    reference_source: str,
    profile: float,
    tolerance_frac: float | None,
) -> dict[str, object]:
    error = _relative_error(profile, reference)
    checked = tolerance_frac is not None
    return {
        "site": site,
        "quantity": quantity,
        "unit": unit,
        "reference": reference,
        "reference_source": reference_source,
        "profile": profile,
        "rel_diff_frac": error,
        "checked": checked,
        "tolerance_frac": tolerance_frac if checked else np.nan,
        "ok": bool(abs(error) <= tolerance_frac) if checked else True,
    }


def _site_rows(tables: dict[str, pd.DataFrame], profiles: xr.Dataset) -> pd.DataFrame:
    """The per-site rows of :func:`calibration_report`."""
    energy = tables["site_energy"].set_index("site")
    coords = tables["sites"].set_index("site")
    rows = []
    for site in tables["sites"]["site"]:
        if "ghi_w_m2" in profiles:
            cell = cell_of_site(
                float(coords.loc[site, "lat_deg"]), float(coords.loc[site, "lon_deg"])
            )
            rows.append(
                _site_row(
                    site,
                    "solar_ghi",
                    "W/m2",
                    cell.annual_mean_w_m2(),
                    describe_cell(cell),
                    float(profiles["ghi_w_m2"].sel(site=site).mean()),
                    GHI_TOLERANCE_FRAC,
                )
            )
        rows.append(
            _site_row(
                site,
                "solar_flh",
                "h",
                float(energy.loc[site, "solar_flh_published_h"]),
                "site_energy.csv solar_flh_published_h",
                float(profiles["solar_cf"].sel(site=site).sum()),
                None,
            )
        )
        rows.append(
            _site_row(
                site,
                "wind_flh",
                "h",
                float(energy.loc[site, "wind_flh_target_h"]),
                "site_energy.csv wind_flh_target_h",
                float(profiles["wind_cf"].sel(site=site).sum()),
                FLH_TOLERANCE_FRAC,
            )
        )
    return pd.DataFrame(rows, columns=SITE_COLUMNS)
