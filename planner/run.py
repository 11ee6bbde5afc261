"""The pipeline: model file -> inputs -> time slices -> build -> solve -> results.

The one path the CLI, the sweeps and notebooks all call::

    from planner.run import run_model
    run = run_model("models/national_2025.yaml", overrides=["carbon_price_cny_per_tco2=100"])
    run.results            # xarray Dataset: inputs used + solution, units in attrs
    run.summary            # headline figures (what summary.json holds)
    run.write("runs/my_case")
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import xarray as xr

from planner.errors import OutputError
from planner.model_file import ModelFile, load_model, resolved_yaml
from planner.outputs import failed_beside, run_has_plan
from planner.results import assemble_results, has_plan, summarise, write_run, write_summary

log = logging.getLogger(__name__)


@dataclass
class Built:
    """A built Pyomo model and its compiled HiGHS instance, kept to solve the next case on
    (:class:`planner.session.Session`)."""

    m: Any  # pyomo ConcreteModel
    handle: Any  # planner.solve.highs.CompiledModel


@dataclass
class Run:
    """A solved model: its results Dataset, summary and resolved model file."""

    model: ModelFile
    results: xr.Dataset
    summary: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)
    # The model and solver it was solved on, when the solve was asked to keep them.
    built: Built | None = field(default=None, repr=False, compare=False)

    @property
    def has_plan(self) -> bool:
        """Whether the solve returned a plan (a time limit may stop it with none)."""
        return has_plan(self.summary)

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
    built: Built | None = None,
    full_year_hint: dict[tuple[str, Any], float] | None = None,
) -> Run:
    """Solve an already parsed model file against a data directory.

    ``sliced`` skips loading: the time-sliced inputs of this model, already prepared
    (:class:`planner.session.Session` keeps them and applies each case's settings);
    ``full_year_hint`` is then the full-year trust region's centre, if any (from
    :func:`design_hint`). ``built`` is the
    model and solver of an earlier case of the same shape: this case's numbers are set
    on it (:func:`planner.formulation.case.apply_case`) instead of building and
    compiling; should they not fit, the model is built afresh. When ``sliced`` is given
    the returned run keeps its model and solver in ``run.built``.
    """
    from planner.formulation.build import FormulationOptions, build_model
    from planner.formulation.case import apply_case
    from planner.inputs.load import load_inputs
    from planner.inputs.timeslices import select_timesteps
    from planner.results.extract import extract_solution
    from planner.solve import marginal_costs, solve
    from planner.solve.highs import ShapeChanged

    step = on_step or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = t_start if t_start is not None else time.perf_counter()
    hint = full_year_hint
    keep = sliced is not None
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

    compiled = None
    if built is not None:
        step("setting the case's numbers on the model already built")
        try:
            built.handle.update(apply_case(built.m, sliced))
            m, compiled = built.m, built.handle
            timings["case_update"] = time.perf_counter() - t1
        except ShapeChanged as exc:
            log.info("the built model does not fit this case (%s): building afresh", exc)
            built = None
    if built is None:
        step(f"building the model ({sliced.sizes['timestep']} timesteps)")
        m = build_model(sliced, FormulationOptions.from_model_file(model))
        timings["build"] = time.perf_counter() - t1
    t2 = time.perf_counter()

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
        design_hint=hint if compiled is None else None,
        on_step=step,
        compiled=compiled,
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
    kept = Built(m, result.handle) if keep and result.handle is not None else None
    return Run(model=model, results=results, summary=summary, timings_s=timings, built=kept)


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
