"""How the planning MILP is solved: relaxation, a plan by diving, root, branch and bound.

:func:`solve` compiles the model (:mod:`planner.solve.highs`), solves the LP relaxation
(a lower bound), rounds its build decisions up and repairs them against the site limits
the formulation names (``REPAIR_LIMITS``), and fixes them for a feasible plan. When that
plan is within the requested gap of the bound the MILP is solved at the root, as branch
and bound would stop there; otherwise the plan seeds HiGHS's branch and bound. A design
hint from a coarser solve (the full year's) marks a model large enough to decompose: its
site-year blocks and the master of build decisions are solved by Benders decomposition
(:mod:`planner.solve.decompose`), the blocks in parallel; a model that does not decompose
starts its LPs in a trust region around the hinted build decisions
(``DESIGN_VARIABLES``). :func:`duals_around_plan` re-solves the LP in a window of one
module around the plan for the row duals the marginal-cost table reads.

Objective, bound and duals are reported in CNY (the model's objective is in
``OBJECTIVE_SCALE_CNY`` units, ``planner.formulation.build``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException

from planner.formulation.build import DESIGN_VARIABLES, REPAIR_LIMITS
from planner.solve.decompose import Decomposition, DecompositionFailed
from planner.solve.highs import (
    SOLVER_NAME,
    SOLVER_VERSION,
    CompiledModel,
    SolveResult,
    SolveStatus,
    _gap,
)

logger = logging.getLogger(__name__)

# Integer values closer than this to a whole number count as whole.
_INT_TOL = 1e-6
# How far (in build modules) each integer decision may move in the marginal-cost LP.
MARGINAL_WINDOW_MODULES = 1


def compile_model(m: pyo.ConcreteModel) -> CompiledModel:
    """Compile ``m`` for HiGHS, its objective reported in CNY."""
    data = getattr(m, "planner_data", None)
    return CompiledModel(m, data.objective_scale_cny if data is not None else 1.0)


def solve(
    m: pyo.ConcreteModel,
    *,
    time_limit_s: float = 600.0,
    mip_gap: float = 1e-3,
    threads: int = 1,
    log: bool | Callable[[str], Any] = False,
    relax_integers: bool = False,
    warm_start: bool = True,
    design_hint: Mapping[tuple[str, Any], float] | None = None,
    on_step: Callable[[str], Any] | None = None,
    compiled: CompiledModel | None = None,
) -> SolveResult:
    """Solve ``m`` with HiGHS; load the solution into the model when there is one.

    Parameters
    ----------
    time_limit_s, mip_gap, threads
        HiGHS ``time_limit`` [s], ``mip_rel_gap`` [1] and ``threads``.
    log
        ``True`` streams HiGHS's log to stdout; a callable receives it line by line.
    relax_integers
        Solve the LP relaxation (integer variables continuous within their bounds); the
        relaxed values are loaded, the model itself is not changed.
    warm_start
        Start from the LP relaxation rounded up (see :func:`_root_incumbent`).
    design_hint
        Values of the build decisions from a coarser solve of the same model
        (:func:`design_values`, keyed by component name and index). The MILP is then
        solved by decomposition from them (:func:`_solve_decomposed`), or, when it does
        not decompose, and for an LP, its LPs start inside a trust region around them
        (:meth:`CompiledModel.set_trust_region`). Either way the answer is proven within
        the gap; only the path to it changes.
    on_step
        Called with a short description as each phase starts (a progress line).
    compiled
        ``m`` already compiled (a result's ``handle``, after
        :meth:`CompiledModel.update` for a new case): its HiGHS instance is solved again,
        starting from its last basis. The answer is the same as a fresh compile's
        within the gap; only the path to it is shorter.
    """
    step = on_step or (lambda _message: None)
    t0 = time.perf_counter()
    if compiled is None:
        step("compiling the model for HiGHS")
        try:
            compiled = compile_model(m)
        except InfeasibleConstraintException as exc:
            return SolveResult(
                SolveStatus.infeasible, None, None, None, time.perf_counter() - t0,
                SOLVER_NAME, SOLVER_VERSION, str(exc),
            )  # fmt: skip
    else:
        if compiled.model() is not m:
            raise ValueError("the compiled model is not this Pyomo model's")
        compiled.clear_trust_region()
        compiled.restore()
        if compiled.decomposes and design_hint is None:
            # A new case on a model solved by decomposition (a sweep's reuse): decompose
            # again, from the last case's plan (the model's values now).
            design_hint = design_values(m)
    highs_before_s = compiled.highs_time_s
    options = dict(mip_gap=mip_gap, threads=threads, log=log)
    if design_hint and not relax_integers:
        decomposed = _solve_decomposed(compiled, m, design_hint, mip_gap, t0 + time_limit_s, step)
        if decomposed is not None:
            return decomposed
    if design_hint:
        _set_trust_region(compiled, m, design_hint)

    def remaining() -> float:
        return max(time_limit_s - (time.perf_counter() - t0), 1.0)

    ints = compiled.integer_cols
    size = f"{compiled.n_col:,} columns x {compiled.n_row:,} rows"
    if relax_integers or not len(ints):
        step(f"HiGHS: LP ({size})")
        compiled.set_integrality(ints, False)
        result = compiled.run(time_limit_s=remaining(), **options)
        compiled.set_integrality(ints, True)
        return _finish(compiled, result, t0, highs_before_s)
    start, root = None, None
    if warm_start:
        step(f"HiGHS: LP relaxation and a plan from it ({size})")
        try:
            left_s = time_limit_s - (time.perf_counter() - t0)
            start, root = _root_incumbent(compiled, left_s, threads, mip_gap, log)
        except Exception:  # a failed start only costs time: solve without one
            logger.warning("warm start failed; solving without one", exc_info=True)
            compiled.restore()
    if root is not None:  # the root closed the gap, or used up the time
        return _finish(compiled, root, t0, highs_before_s, start)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start.tolist()
        solution.value_valid = True
        compiled.highs.setSolution(solution)
    step(f"HiGHS: branch and bound ({size}, gap {mip_gap:.2%})")
    result = compiled.run(time_limit_s=remaining(), **options)
    return _finish(compiled, result, t0, highs_before_s)


def design_values(m: pyo.ConcreteModel) -> dict[tuple[str, Any], float]:
    """The build decisions of a solved model, for :func:`solve`'s ``design_hint``."""
    return {
        (name, index): float(v.value)
        for name in DESIGN_VARIABLES
        if hasattr(m, name)
        for index, v in getattr(m, name).items()
        if v.value is not None
    }


def _solve_decomposed(
    compiled: CompiledModel,
    m: pyo.ConcreteModel,
    hint: Mapping[tuple[str, Any], float],
    mip_gap: float,
    deadline: float,
    step: Callable[[str], Any],
) -> SolveResult | None:
    """Solve by Benders decomposition over the hourly blocks (:mod:`planner.solve.
    decompose`), starting at the hinted build decisions; ``None`` when the model does not
    decompose or a block fails (the caller then solves it whole)."""
    t0 = time.perf_counter()
    if not compiled.minimise:
        return None
    step("decomposing the model into its site-year blocks")
    highs_before_s = compiled.highs_time_s
    try:
        decomposition = decompose(compiled, m, threads=_block_workers())
    except DecompositionFailed as exc:
        logger.warning("the model does not decompose (%s): solving it whole", exc)
        return None
    if decomposition is None:
        logger.info("the model does not decompose into small blocks: solving it whole")
        return None
    logger.info(
        "decomposed: %d blocks, %d master columns (%.1f s)",
        len(decomposition.blocks), len(decomposition.master_cols), time.perf_counter() - t0,
    )  # fmt: skip
    # The blocks and master hold the model now; HiGHS's whole copy comes back if needed.
    compiled.release_solver()
    start = np.full(compiled.n_col, np.nan)
    cols, centre, _scale = _hint_columns(compiled, m, hint)
    start[cols] = centre
    try:
        outcome = decomposition.solve_mip(
            start[decomposition.master_cols], mip_gap=mip_gap, deadline=deadline, on_iteration=step
        )
    except DecompositionFailed as exc:
        logger.warning("the decomposition failed (%s): solving the model whole", exc)
        decomposition.close()
        return None
    compiled.decomposition = decomposition
    compiled.decomposes = True
    scale = compiled.objective_scale
    objective = outcome.objective * scale
    bound = outcome.bound * scale
    status = SolveStatus.optimal if outcome.optimal else SolveStatus.time_limit
    compiled.highs_time_s += decomposition.highs_time_s
    result = SolveResult(
        status, objective, _gap(objective, bound), bound, time.perf_counter() - t0,
        SOLVER_NAME, SOLVER_VERSION, outcome.message,
    )  # fmt: skip
    return _finish(compiled, result, t0, highs_before_s, outcome.columns)


def decompose(
    compiled: CompiledModel,
    m: pyo.ConcreteModel,
    *,
    threads: int,
    small_block_columns: int | None = None,
) -> Decomposition | None:
    """The blocks and master of a compiled model (:meth:`Decomposition.of`), the hourly
    columns those of the variables indexed by ``m.TIMESTEPS``."""
    return Decomposition.of(
        compiled.matrix_csr,
        _operational_columns(compiled, m),
        compiled.integer,
        small_block_columns=small_block_columns,
        cost=compiled.cost,
        offset=compiled.offset,
        col_lower=compiled.col_lower,
        col_upper=compiled.col_upper,
        row_lower=compiled.row_lower,
        row_upper=compiled.row_upper,
        threads=threads,
    )


def _block_workers() -> int:
    """Threads for the decomposition's blocks: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _operational_columns(compiled: CompiledModel, m: pyo.ConcreteModel) -> np.ndarray:
    """Which columns are indexed by the time steps (the hourly dispatch)."""
    timesteps = getattr(m, "TIMESTEPS", None)
    if timesteps is None:
        return np.zeros(compiled.n_col, dtype=bool)
    hourly: dict[int, bool] = {}

    def over_time(component) -> bool:
        key = id(component)
        if key not in hourly:
            index = component.index_set()
            hourly[key] = index is timesteps or any(s is timesteps for s in index.subsets())
        return hourly[key]

    return np.fromiter(
        (over_time(v.parent_component()) for v in compiled.columns),
        dtype=bool,
        count=compiled.n_col,
    )


def _hint_columns(
    compiled: CompiledModel, m: pyo.ConcreteModel, hint: Mapping[tuple[str, Any], float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns of the hinted build decisions, their hinted values (within the columns'
    bounds) and a scale for each (its range, or the largest hinted value)."""
    column = compiled.column_of_variable()
    cols, centre, scale = [], [], []
    for name in DESIGN_VARIABLES:
        component = getattr(m, name, None)
        if component is None:
            continue
        found = [
            (column[id(v)], hint[name, index])
            for index, v in component.items()
            if (name, index) in hint and id(v) in column
        ]
        if not found:
            continue
        largest = max(1.0, max(abs(x) for _, x in found))
        for col, x in found:
            span = compiled.col_upper[col] - compiled.col_lower[col]
            cols.append(col)
            centre.append(min(max(x, compiled.col_lower[col]), compiled.col_upper[col]))
            scale.append(span if math.isfinite(span) else largest)
    return np.array(cols, dtype=int), np.array(centre, dtype=float), np.array(scale, dtype=float)


def _set_trust_region(
    compiled: CompiledModel, m: pyo.ConcreteModel, hint: Mapping[tuple[str, Any], float]
) -> None:
    """Trust region on the columns of the hinted build decisions (others are free)."""
    cols, centre, scale = _hint_columns(compiled, m, hint)
    if len(cols):
        compiled.set_trust_region(cols, centre, scale)
        logger.info("trust region on %d build decisions", len(cols))


def _finish(
    compiled: CompiledModel,
    result: SolveResult,
    t0: float,
    highs_before_s: float,
    values: np.ndarray | None = None,
) -> SolveResult:
    if result.has_solution:
        compiled.load(compiled.column_values() if values is None else values)
    # Report the whole time spent, compilation and the start included, and HiGHS's own
    # time in this solve; hand back the compiled model for re-solves around the plan.
    return dataclasses.replace(
        result,
        solve_time_s=time.perf_counter() - t0,
        highs_time_s=compiled.highs_time_s - highs_before_s,
        handle=compiled,
    )


def _root_incumbent(
    compiled: CompiledModel,
    time_limit_s: float,
    threads: int,
    mip_gap: float,
    log: bool | Callable[[str], Any] = False,
) -> tuple[np.ndarray | None, SolveResult | None]:
    """Solve the root: LP relaxation, then a plan from it by diving.

    HiGHS's own rounding heuristics tend to round a build down and pay the shortfall
    penalty, so on the national model its first incumbents are 1-2 % above the bound
    and the search for a 0.1 % solution takes most of the solve. Here the LP relaxation
    is solved (its objective is a valid lower bound on the MILP), then :func:`dive`
    fixes its fractional build decisions one at a time, each LP re-solved from the last
    basis, until none is fractional: a feasible MILP solution. (Should the dive fail, the
    relaxation's integers are rounded up and stepped back down, smallest fraction first,
    wherever that breaks a site's rack or build-rate limit, :func:`_repair_limits`.)
    If the plan is within ``mip_gap`` of the relaxation's bound, the MILP is solved to
    the requested gap at the root, exactly as a branch-and-bound would stop there.
    Otherwise the plan seeds HiGHS's branch and bound, which then proves the gap.

    Returns
    -------
    (start, result)
        ``start``: the incumbent's column values (``None`` when none was found).
        ``result``: the finished result when there is nothing left for branch and bound
        to do: ``optimal`` when the incumbent closes the gap; ``time_limit`` when the
        time ran out at the root (with the incumbent and its gap if there is one: a
        branch and bound started then would only solve the root LP again and stop
        without a plan). ``None`` otherwise.
    """
    t0 = time.perf_counter()

    def remaining() -> float:
        return time_limit_s - (time.perf_counter() - t0)

    ints = compiled.integer_cols
    compiled.set_integrality(ints, False)
    try:
        relaxed = compiled.run(time_limit_s=time_limit_s, mip_gap=0.0, threads=threads, log=log)
        if relaxed.status != SolveStatus.optimal:
            out_of_time = relaxed.status == SolveStatus.time_limit
            return None, _no_plan(relaxed, t0) if out_of_time else None
        x_lp = compiled.column_values()[ints]
        fixed = dive(compiled, ints, remaining, threads, log)
        if fixed is None:  # the dive failed: the relaxation rounded up and repaired
            compiled.restore()
            compiled.set_integrality(ints, False)
            x = np.ceil(x_lp - _INT_TOL)
            x = np.minimum(x, compiled.col_upper[ints])
            x = _repair_limits(compiled, ints, x, x_lp)
            compiled.set_bounds(ints, x, x)
            fixed = compiled.run(
                time_limit_s=max(remaining(), 1.0), mip_gap=0.0, threads=threads, log=log
            )
        start = compiled.column_values() if fixed.status == SolveStatus.optimal else None
        if start is not None:  # whole numbers, not HiGHS's within-tolerance values
            start[ints] = np.round(start[ints])
    finally:
        compiled.restore()
    bound = relaxed.objective_cny
    if start is None or fixed.objective_cny is None:
        out_of_time = fixed.status == SolveStatus.time_limit or remaining() <= 0
        return None, _no_plan(fixed, t0) if out_of_time else None
    gap = _gap(fixed.objective_cny, bound)
    logger.info(
        "root: LP bound %.6g CNY, incumbent %.6g CNY, gap %.3g",
        bound,
        fixed.objective_cny,
        gap,
    )
    closed = gap is not None and fixed.objective_cny >= bound and gap <= mip_gap
    if not closed and remaining() > 0:
        return start, None
    if closed:
        status = SolveStatus.optimal
        message = "Optimal (gap closed at the root: the LP relaxation bound and a plan from it)"
    else:
        status = SolveStatus.time_limit
        message = "Time limit reached at the root: the plan found there and the LP bound"
    return start, SolveResult(
        status, fixed.objective_cny, gap, bound, time.perf_counter() - t0,
        SOLVER_NAME, SOLVER_VERSION, message,
    )  # fmt: skip


# Dive steps before giving up, per integer column (a dive fixes one column a step).
_DIVE_STEPS_PER_INTEGER = 3


def dive(
    compiled: CompiledModel,
    ints: np.ndarray,
    remaining: Callable[[], float],
    threads: int,
    log: bool | Callable[[str], Any],
) -> SolveResult | None:
    """A feasible MILP solution from the solved LP relaxation, by diving.

    While some integer column is fractional, fix the one nearest a whole number to that
    number (the other way if the LP then has no optimum) and re-solve the LP from its
    basis (a few dual simplex iterations each). The last LP has every integer column
    whole: its solution is feasible for the MILP and its objective an upper bound. On the
    national model 4 of 66 builds are fractional at the root, and the dive ends within
    0.01 % of the bound in some 15 warm LPs (0.5 s), where rounding everything up and
    repairing the limits left an 8 % gap that branch and bound then took 3 s to close.

    Returns the last LP's result, or None when a column can be fixed neither way, the
    steps run out or the time does.
    """
    lower = compiled.col_lower[ints].copy()
    upper = compiled.col_upper[ints].copy()
    result: SolveResult | None = None
    for _step in range(_DIVE_STEPS_PER_INTEGER * len(ints) + 1):
        x = compiled.column_values()[ints]
        part = x - np.floor(x)
        fractional = np.flatnonzero((part > _INT_TOL) & (part < 1 - _INT_TOL))
        if not len(fractional):
            return result
        if remaining() <= 0:
            return None
        k = fractional[np.argmin(np.minimum(part[fractional], 1 - part[fractional]))]
        nearest = np.floor(x[k] + 0.5)  # a half rounds up: more compute breaks no target
        for value in (nearest, np.floor(x[k]) if nearest > x[k] else np.ceil(x[k])):
            lower[k] = upper[k] = value
            compiled.set_bounds(ints[[k]], lower[[k]], upper[[k]])
            result = compiled.run(
                time_limit_s=max(remaining(), 0.1), mip_gap=0.0, threads=threads, log=log
            )
            if result.status == SolveStatus.optimal:
                break
        else:
            return None
    return None


def _no_plan(result: SolveResult, t0: float) -> SolveResult:
    """``result`` as the MILP's: stopped at its time limit, with no plan."""
    return dataclasses.replace(
        result,
        status=SolveStatus.time_limit,
        objective_cny=None,
        mip_gap=None,
        bound=None,
        solve_time_s=time.perf_counter() - t0,
    )


def _repair_limits(
    compiled: CompiledModel, ints: np.ndarray, x: np.ndarray, x_lp: np.ndarray
) -> np.ndarray:
    """Step rounded-up integers back down until every site rack and build limit holds."""
    m = compiled.model()
    limits = [c for name in REPAIR_LIMITS if hasattr(m, name) for c in getattr(m, name).values()]
    x = x.copy()
    position = {int(col): k for k, col in enumerate(ints)}
    rounded_up = x > x_lp + _INT_TOL
    frac = x_lp - np.floor(x_lp)
    full = compiled.column_values()
    full[ints] = x
    a = compiled.matrix_csr
    for con in limits:
        for row in compiled.rows_of(con):
            if not math.isfinite(compiled.row_upper[row]):
                continue
            lo, hi = a.indptr[row], a.indptr[row + 1]
            cols, coefs = a.indices[lo:hi], a.data[lo:hi]
            candidates = [
                (frac[position[c]], c, coef)
                for c, coef in zip(cols.tolist(), coefs.tolist(), strict=True)
                if c in position and rounded_up[position[c]] and coef > 0
            ]
            candidates.sort()
            activity = float(coefs @ full[cols])
            for _, c, coef in candidates:
                if activity <= compiled.row_upper[row] + _INT_TOL:
                    break
                k = position[c]
                x[k] -= 1
                full[c] -= 1
                rounded_up[k] = False
                activity -= coef
    return x


@dataclass(frozen=True)
class PlanDuals:
    """Row duals of the LP around a MILP plan (:func:`duals_around_plan`), in CNY.

    ``dual(constraint)`` is the constraint's dual in undiscounted-objective CNY (the
    caller undoes the year's discount factor); ``status`` is the LP's.
    """

    status: SolveStatus
    highs_time_s: float
    row_dual_cny: np.ndarray | None = None
    handle: CompiledModel | None = None

    def dual(self, constraint) -> float:
        # A ranged constraint has two rows; at most one of them is active.
        rows = self.handle.rows_of(constraint)
        return float(sum(self.row_dual_cny[i] for i in rows))


def duals_around_plan(m: pyo.ConcreteModel, result: SolveResult) -> PlanDuals:
    """Row duals of the LP in which each build may move by up to one module around the plan.

    Bounds every integer decision to within :data:`MARGINAL_WINDOW_MODULES` modules of
    its (rounded) MILP value, makes it continuous, re-solves the LP (on the HiGHS model
    the solve compiled, ``result.handle``, from its last basis), reads the row duals and
    restores the HiGHS model. The Pyomo model's values stay those of the MILP. With the
    integers pinned exactly, a target met with part of a module to spare would show a
    marginal cost of zero; the one-module window prices the marginal module.
    """
    if not result.has_solution:
        return PlanDuals(result.status, 0.0)
    compiled = result.handle
    if compiled is None or not _matches(compiled, m):
        compiled = compile_model(m)
    ints = compiled.integer_cols
    plan = np.array([round(compiled.columns[c].value or 0.0) for c in ints], dtype=float)
    lower = np.maximum(compiled.col_lower[ints], plan - MARGINAL_WINDOW_MODULES)
    upper = np.minimum(compiled.col_upper[ints], plan + MARGINAL_WINDOW_MODULES)
    if compiled.decomposition is not None:
        return _duals_decomposed(compiled, ints, lower, upper, result.solve_time_s)
    compiled.set_integrality(ints, False)
    compiled.set_bounds(ints, lower, upper)
    try:
        lp = compiled.run(time_limit_s=max(result.solve_time_s * 4, 600.0), mip_gap=0.0, threads=1)
        if lp.status != SolveStatus.optimal:
            return PlanDuals(lp.status, lp.solve_time_s)
        row_dual = compiled.row_duals() * compiled.objective_scale
    finally:
        compiled.restore()
    return PlanDuals(lp.status, lp.solve_time_s, row_dual, compiled)


def _duals_decomposed(
    compiled: CompiledModel,
    ints: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    solve_time_s: float,
) -> PlanDuals:
    """:func:`duals_around_plan` for a model solved by decomposition: the same window
    LP, by the same blocks and master (:meth:`Decomposition.duals_in_window`)."""
    t0 = time.perf_counter()
    decomposition = compiled.decomposition
    col_lower, col_upper = compiled.col_lower.copy(), compiled.col_upper.copy()
    col_lower[ints], col_upper[ints] = lower, upper
    before = decomposition.highs_time_s
    try:
        converged, _columns, row_dual = decomposition.duals_in_window(
            col_lower, col_upper, deadline=t0 + max(solve_time_s * 4, 600.0)
        )
    except DecompositionFailed as exc:
        logger.warning("the window LP of the decomposition failed: %s", exc)
        return PlanDuals(SolveStatus.error, time.perf_counter() - t0)
    highs_s = decomposition.highs_time_s - before
    status = SolveStatus.optimal if converged else SolveStatus.time_limit
    if not converged:
        return PlanDuals(status, highs_s)
    return PlanDuals(status, highs_s, row_dual * compiled.objective_scale, compiled)


def _matches(compiled: CompiledModel, m: pyo.ConcreteModel) -> bool:
    """Whether the compiled model still describes ``m``: same columns, none newly fixed,
    same bounds (constraint expressions are not re-checked; the builder never edits
    them after the build)."""
    if compiled.model() is not m:
        return False
    for v, lb, ub in zip(compiled.columns, compiled.col_lower, compiled.col_upper, strict=True):
        vlb, vub = v.bounds
        if v.fixed or (vlb if vlb is not None else -math.inf) != lb:
            return False
        if (vub if vub is not None else math.inf) != ub:
            return False
    return True
