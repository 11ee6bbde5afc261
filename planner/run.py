"""The pipeline: model file -> inputs -> time slices -> build -> solve -> results.

The one path the CLI, the sweeps and notebooks all call::

    from planner.run import run_model
    run = run_model("models/national_2025.yaml", overrides=["carbon_price_cny_per_t=100"])
    run.results            # xarray Dataset: inputs used + solution, units in attrs
    run.summary            # headline figures (what summary.json holds)
    run.write("runs/my_case")
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from planner.errors import OutputError
from planner.model_file import ModelFile, load_model, resolved_yaml
from planner.outputs import failed_beside, run_has_plan, summary_has_plan
from planner.results import SHORTFALL_TOL, SHORTFALL_TOL_FRAC, write_run, write_summary

log = logging.getLogger(__name__)

# A limit counts as binding when the solution is within this fraction of it.
BINDING_TOL_FRAC = 1e-4


@dataclass
class Run:
    """A solved model: its results Dataset, summary and resolved model file."""

    model: ModelFile
    results: xr.Dataset
    summary: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def has_plan(self) -> bool:
        """Whether the solve returned a plan (a time limit may stop it with none)."""
        return summary_has_plan(self.summary)

    def write(self, out_dir: Path | str, *, force: bool = False) -> Path | None:
        """Write the run folder atomically; the write time goes into its summary.

        Only a run folder (or a new or empty folder) is replaced, or any folder with
        ``force`` (:func:`planner.results.write_run`). A run without a plan never replaces
        a run with one: it goes beside it, to ``<out_dir>.failed``
        (:func:`planner.outputs.failed_beside`), or nowhere if that is taken.

        Returns
        -------
        Path or None
            Where the run was written (``out_dir`` or the folder beside it), or None
            if it was not written.
        """
        target: Path | None = Path(out_dir)
        if not self.has_plan and run_has_plan(target):
            target = failed_beside(target)
            if target is None:
                return None
        t0 = time.perf_counter()
        path = write_run(target, self.results, self.summary, resolved_yaml(self.model), force=force)
        self.timings_s["write"] = time.perf_counter() - t0
        self.summary["timings_s"]["write"] = round(self.timings_s["write"], 3)
        try:
            write_summary(path, self.summary)
        except OSError as exc:
            raise OutputError.from_exception(path / "summary.json", "could not write", exc) from exc
        return path


def run_model(
    model_path: Path | str,
    overrides: list[str] | None = None,
    *,
    days: int | Literal["full"] | None = None,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    solver_log: bool | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Run:
    """Load, build, solve and extract one model; raise InputError on bad input.

    ``overrides`` are ``--set`` texts (``KEY=VALUE``). ``days``, ``time_limit_s``,
    ``mip_gap``, ``threads`` and ``solver_log`` override the model file's ``time`` and
    ``solver`` sections as typed values (:func:`planner.model_file.with_options`).
    """
    options = {
        "days": days,
        "time_limit_s": time_limit_s,
        "mip_gap": mip_gap,
        "threads": threads,
        "solver_log": solver_log,
    }
    t0 = time.perf_counter()
    step = on_step or (lambda _msg: None)
    step("loading inputs")
    model, data_dir = load_model(model_path, overrides, options=options)
    return solve_model(model, data_dir, on_step=step, t_start=t0)


def solve_model(
    model: ModelFile,
    data_dir: Path,
    *,
    on_step: Callable[[str], None] | None = None,
    t_start: float | None = None,
    sliced: xr.Dataset | None = None,
) -> Run:
    """Solve an already parsed model file against a data directory.

    ``sliced`` skips loading: the time-sliced inputs of this model, already prepared
    (sweeps keep them per worker and apply each case's settings).
    """
    from planner.formulation.build import FormulationOptions, build_model
    from planner.formulation.extract import extract_solution
    from planner.inputs.load import load_inputs
    from planner.inputs.timeslices import select_timesteps
    from planner.solve import marginal_costs, solve

    step = on_step or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = t_start if t_start is not None else time.perf_counter()
    hint = None
    if sliced is None:
        inputs = load_inputs(model, data_dir)
        sliced = select_timesteps(inputs, model.time.representative_days)
        timings["load"] = time.perf_counter() - t0
        if model.time.representative_days == "full":
            step(f"placing the build decisions on {DESIGN_HINT_DAYS} representative days")
            t_hint = time.perf_counter()
            hint = design_hint(inputs, model, DESIGN_HINT_DAYS)
            timings["design_hint"] = time.perf_counter() - t_hint
    else:
        timings["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()

    step(f"building the model ({sliced.sizes['timestep']} timesteps)")
    m = build_model(sliced, FormulationOptions.from_model_file(model))
    t2 = time.perf_counter()
    timings["build"] = t2 - t1

    step("solving with HiGHS")
    solver_log: bool | Callable[[str], None] = model.solver.log
    if not solver_log and on_step is not None:
        solver_log = _progress_line(step)
    result = solve(
        m,
        time_limit_s=model.solver.time_limit_s,
        mip_gap=model.solver.mip_gap,
        threads=model.solver.threads,
        log=solver_log,
        design_hint=hint,
        on_step=step,
    )
    t3 = time.perf_counter()
    timings["solve"] = t3 - t2
    timings["highs"] = result.highs_time_s

    marginals: dict[str, Any] = {}
    solution = None
    if result.status in ("optimal", "feasible", "time_limit") and result.objective_cny is not None:
        step("re-solving the LP with integers fixed for marginal costs")
        marginals = marginal_costs(m, result)
        timings["highs"] += marginals.pop("highs_time_s")
        solution = extract_solution(m, sliced)
    t4 = time.perf_counter()
    timings["duals_and_extract"] = t4 - t3

    results = assemble_results(sliced, solution)
    summary = summarise(results, model, result, marginals, timings)
    return Run(model=model, results=results, summary=summary, timings_s=timings)


# Representative days of the coarse solve that places the build decisions before a
# full-year solve: the default of the accuracy study (same build plan as the full year).
DESIGN_HINT_DAYS = 8


def design_hint(
    inputs: xr.Dataset, model: ModelFile, days: int = DESIGN_HINT_DAYS
) -> dict[tuple[str, Any], float] | None:
    """Build decisions of the LP relaxation on ``days`` representative days.

    A full-year solve starts its LPs inside a trust region around them
    (``planner.solve``'s ``design_hint``): on the national model its LP relaxation then
    takes about a fifth of the dual simplex time. The trust region only changes the
    path, not the answer. ``None`` when the coarse LP has no optimum or fails.
    """
    from planner.formulation.build import FormulationOptions, build_model
    from planner.inputs.timeslices import select_timesteps
    from planner.solve import design_values, solve

    try:
        coarse = build_model(
            select_timesteps(inputs, days), FormulationOptions.from_model_file(model)
        )
        result = solve(
            coarse,
            relax_integers=True,
            time_limit_s=model.solver.time_limit_s,
            threads=model.solver.threads,
        )
    except Exception:  # only a head start: the full-year solve goes on without it
        log.warning("the %d-day design hint failed; solving without it", days, exc_info=True)
        return None
    return design_values(coarse) if result.status == "optimal" else None


def _progress_line(step: Callable[[str], None]) -> Callable[[str], None]:
    """HiGHS's log as a progress line: each new line replaces the last (``step``), so a
    long solve shows it is moving (iterations, objective, gap) without flooding."""

    def show(line: str) -> None:
        if line.strip():
            step(f"HiGHS: {line.strip()}")

    return show


def assemble_results(inputs: xr.Dataset, solution: xr.Dataset | None) -> xr.Dataset:
    """Inputs used + solution + derived totals, in one Dataset."""
    ds = inputs.copy()
    if solution is None:
        return ds
    ds = xr.merge([ds, solution], compat="override", join="outer")
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
    share = results["green_share"].sel(year=year)
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
        ("rack_limit_std", results["racks_total"].sum("rack_class"), "racks"),
        ("solar_limit_mw", results.get("solar_capacity_mw"), "solar capacity"),
        ("wind_limit_mw", results.get("wind_capacity_mw"), "wind capacity"),
        ("hydro_limit_mw", results.get("hydro_contract_mw"), "hydro contract"),
        ("grid_limit_mw", results["grid_import_mw"].max("timestep"), "grid connection"),
    ]
    years = [int(y) for y in results["year"].values]
    prev = {y: (years[i - 1] if i else int(results["base_year"])) for i, y in enumerate(years)}
    gap = xr.DataArray([y - prev[y] for y in years], coords={"year": years}, dims="year")
    build_limit = results["build_limit_std_per_year"] * gap
    built = results["racks_new"].sum("rack_class")
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
            "racks_total_std": _year_float(results["racks_total"], y),
            "racks_new_std": _year_float(results["racks_new"], y),
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


def _finite(x: float) -> float | None:
    return x if np.isfinite(x) else None
