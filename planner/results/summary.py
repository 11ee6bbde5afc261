"""The run's summary: headline figures, shortfalls, binding limits, the plan rule.

Everything here is computed from the results Dataset (inputs used + solution) alone, so a
summary can be rebuilt from ``results.nc``: :func:`assemble_results` joins the inputs and
the extracted solution, :func:`summarise` writes what ``summary.json`` holds,
:func:`has_plan` is the one rule for "the solve returned a plan" that the CLI, the
pipeline, sweeps and the report all use.
"""

from __future__ import annotations

import importlib.metadata
import platform
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from planner import schema

if TYPE_CHECKING:
    from planner.model_file import ModelFile

# A shortfall of at most this fraction of the year's national figure in its unit
# (compute in service, energy, emissions), plus this absolute amount, is round-off, not
# a missed target: an integer module costs more than the penalty of so small a
# shortfall (1e11 CNY/EFLOPS x 3e-4 EFLOPS against ~4e7 CNY/year for a 500-rack module).
SHORTFALL_TOL = 1e-6
SHORTFALL_TOL_FRAC = 1e-6
# A limit counts as binding when the solution is within this fraction of it.
BINDING_TOL_FRAC = 1e-4
# Inputs the extracted solution writes out in more detail (by time step), replacing them.
SOLUTION_REPLACES = tuple(n for n, q in schema.QUANTITIES.items() if q.result_dims is not None)
# Solver statuses that may come with a plan (a time limit may also stop a solve with none).
PLAN_STATUSES = ("optimal", "feasible", "time_limit")


def has_plan(summary: dict[str, Any]) -> bool:
    """Whether a run's summary holds a plan: a status that may have one, and an objective."""
    return summary.get("status") in PLAN_STATUSES and summary.get("objective_cny") is not None


def assemble_results(inputs: xr.Dataset, solution: xr.Dataset | None) -> xr.Dataset:
    """Inputs used + solution + derived totals, in one Dataset."""
    ds = inputs.copy()
    if solution is None:
        return ds
    # Extraction replaces an input only where it writes the input out in full detail
    # (the grid factor per time step); any other name in both is a mistake, not silently
    # dropped as xr.merge(compat="override") would.
    both = set(solution.data_vars) & set(inputs.data_vars)
    unexpected = both - set(SOLUTION_REPLACES)
    if unexpected:
        raise ValueError(f"the solution would overwrite inputs {sorted(unexpected)}")
    ds = xr.merge([ds.drop_vars(sorted(both)), solution], compat="no_conflicts", join="outer")
    w = ds["timestep_weight_h"]
    mix = {
        "grid": ds["grid_import_mw"],
        # Output actually used: available output less its share of curtailment.
        "solar": ds.get("solar_used_mw", ds["solar_mw"]),
        "wind": ds.get("wind_used_mw", ds["wind_mw"]),
        "hydro": ds["hydro_mw"],
        "battery_net": ds["battery_discharge_mw"] - ds["battery_charge_mw"],
    }
    energy = xr.concat(
        [(da * w).sum("timestep") for da in mix.values()],
        dim=xr.DataArray(list(mix), dims="source", name="source"),
    )
    ds["energy_mix_mwh"] = energy.assign_attrs(
        units="MWh/year", long_name="energy consumed by source"
    )
    return ds


def _year_float(da: xr.DataArray, year: int) -> float:
    return float(da.sel(year=year).sum())


def _green_share_by_hub(results: xr.Dataset, year: int) -> dict[str, float]:
    """Green share of each hub's new capacity in ``year``, for hubs that have new capacity.

    Clean supply at a hub site serves its older racks too; the share of the new
    capacity's energy that it covers is at most 1 (``extract``'s ``green_share``).
    """
    share = results["green_share_frac"].sel(year=year)
    return {
        str(h): float(v)
        for h, v in zip(share["hub"].values, share.values, strict=True)
        if np.isfinite(v)
    }


def binding_limits(results: xr.Dataset) -> list[dict[str, Any]]:
    """Site limits the plan presses against, found from the results alone."""
    out: list[dict[str, Any]] = []

    def near(value: xr.DataArray, limit: xr.DataArray) -> xr.DataArray:
        return (limit > 0) & (value >= limit * (1 - BINDING_TOL_FRAC) - 1e-6)

    checks = [
        ("rack_limit_std", results["racks_total_std"].sum("rack_class"), "racks"),
        ("solar_limit_mw", results.get("solar_capacity_mw"), "solar capacity"),
        ("wind_limit_mw", results.get("wind_capacity_mw"), "wind capacity"),
        ("hydro_limit_mw", results.get("hydro_contract_mw"), "hydro contract"),
        ("grid_limit_mw", results["grid_import_mw"].max("timestep"), "grid connection"),
    ]
    years = [int(y) for y in results["year"].values]
    prev = {y: (years[i - 1] if i else int(results["base_year"])) for i, y in enumerate(years)}
    gap = xr.DataArray([y - prev[y] for y in years], coords={"year": years}, dims="year")
    build_limit = results["build_limit_std_per_year"] * gap
    built = results["racks_new_std"].sum("rack_class")
    checks.append(("build_limit_std_per_year", built, "build rate"))
    for limit_name, value, label in checks:
        if value is None:
            continue
        limit = build_limit if limit_name == "build_limit_std_per_year" else results[limit_name]
        hit = near(value, limit)
        for site in results["site"].values:
            for year in years:
                if bool(hit.sel(site=site, year=year)):
                    out.append(
                        {
                            "limit": limit_name,
                            "what": label,
                            "site": str(site),
                            "year": year,
                            "value": float(value.sel(site=site, year=year)),
                            "bound": float(limit.sel(site=site, year=year))
                            if "year" in limit.dims
                            else float(limit.sel(site=site)),
                        }
                    )
    return out


def summarise(
    results: xr.Dataset,
    model: ModelFile,
    result: Any,
    marginals: dict[str, Any],
    timings: dict[str, float],
) -> dict[str, Any]:
    """Headline figures of a run, computed from the results Dataset alone."""
    years = [int(y) for y in results["year"].values]
    summary: dict[str, Any] = {
        "scenario": model.scenario,
        "description": model.description,
        "status": str(result.status),
        "mip_gap": result.mip_gap,
        "objective_cny": result.objective_cny,
        "solver": {"name": result.solver_name, "message": result.message},
        "time_slices": results.attrs.get("time_slices", ""),
        "years": years,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "versions": _versions(),
    }
    if "compute_eflops" not in results:
        summary["shortfall"] = {}
        summary["explanation"] = (
            f"The solver returned '{result.status}' with no plan: {result.message}"
        )
        if result.status == "time_limit":
            summary["explanation"] += (
                f". HiGHS found no plan within {model.solver.time_limit_s:g} s: raise "
                "--time-limit, or use fewer time steps (--hours N-days; the full 8760-hour "
                "year takes far longer than representative days)."
            )
        return summary

    per_year: dict[str, Any] = {}
    shortfall: dict[str, dict[str, float]] = {}
    fp16_per_fp32 = float(results["fp16_per_fp32_intelligent"])
    for y in years:
        total = _year_float(results["compute_eflops"], y)
        intelligent = float(results["compute_eflops"].sel(year=y, rack_class="intelligent").sum())
        green_by_hub = _green_share_by_hub(results, y)
        lowest = min(green_by_hub, key=green_by_hub.get) if green_by_hub else None
        per_year[str(y)] = {
            "total_eflops": total,
            "intelligent_eflops": intelligent,
            # Official reporting since 2025 quotes intelligent compute in FP16; the model
            # counts FP32-equivalent EFLOPS (MIIT infrastructure basis): params.csv
            # converts, for reporting only.
            "intelligent_eflops_fp16": intelligent * fp16_per_fp32,
            "intelligent_share": intelligent / total if total else None,
            "racks_total_std": _year_float(results["racks_total_std"], y),
            "racks_new_std": _year_float(results["racks_new_std"], y),
            "emissions_tco2": _year_float(results["emissions_tco2"], y),
            "energy_mwh": float(results["energy_mix_mwh"].sel(year=y).sum()),
            # The rule applies to every hub: the headline is the lowest hub's share, so it
            # is never above any hub's (hubs with no new capacity have no share).
            "green_share": green_by_hub[lowest] if lowest is not None else None,
            "green_share_hub": lowest,
            "green_share_by_hub": green_by_hub,
            "cost_cny": {
                str(c): float(results["cost_cny"].sel(year=y, component=c))
                for c in results["component"].values
            },
            "target_total_eflops": float(results["target_total_eflops"].sel(year=y)),
            "target_intelligent_share": float(results["target_intelligent_share_frac"].sel(year=y)),
            "target_green_share": float(results["target_green_share_frac"].sel(year=y)),
        }
    national = {  # the year's national figure in each shortfall's unit
        "EFLOPS": lambda y: per_year[str(y)]["total_eflops"],
        "MWh": lambda y: per_year[str(y)]["energy_mwh"],
        "tCO2": lambda y: per_year[str(y)]["emissions_tco2"],
    }
    for name, var, unit, kind in (
        ("total_eflops", "shortfall_total_eflops", "EFLOPS", "EFLOPS"),
        ("intelligent_share", "shortfall_intelligent_eflops", "EFLOPS of intelligent compute",
         "EFLOPS"),
        ("demand", "unserved_eflops", "EFLOPS of demand", "EFLOPS"),
        ("occupancy", "idle_stock_eflops", "EFLOPS of existing racks below their occupancy",
         "EFLOPS"),
        ("green_share", "green_shortfall_mwh", "MWh of green supply", "MWh"),
        ("hourly_cfe", "cfe_shortfall_mwh", "MWh of hourly-matched clean supply", "MWh"),
        ("carbon_cap", "carbon_excess_tco2", "tCO2 above the cap", "tCO2"),
    ):  # fmt: skip
        if var not in results:
            continue
        by_year = {}
        for y in years:
            amount = float(results[var].sel(year=y).sum())
            if amount > SHORTFALL_TOL + SHORTFALL_TOL_FRAC * abs(national[kind](y)):
                by_year[str(y)] = amount
        if by_year:
            shortfall[name] = {"unit": unit, **by_year}
    summary["per_year"] = per_year
    summary["shortfall"] = shortfall
    summary["marginal_costs"] = marginals
    summary["binding_limits"] = binding_limits(results)
    summary["explanation"] = explain(summary)
    return summary


def explain(summary: dict[str, Any]) -> str:
    """The run's outcome in plain words."""
    if not summary["shortfall"]:
        return "All targets are met."
    parts = []
    for name, entry in summary["shortfall"].items():
        unit = entry["unit"]
        for year, amount in entry.items():
            if year == "unit":
                continue
            parts.append(f"{year}: {name.replace('_', ' ')} fell short by {amount:,.3g} {unit}")
    limits = sorted({f"{b['what']} at {b['site']}" for b in summary["binding_limits"]})
    text = "; ".join(parts) + "."
    if limits:
        text += " Limits the plan presses against: " + ", ".join(limits) + "."
    return text


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("planner", "pyomo", "highspy", "tsam", "pvlib", "xarray", "pandas", "numpy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out
