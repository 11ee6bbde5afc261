"""Solve the planning model with HiGHS through Pyomo; marginal costs from a fixed-integer LP.

The interface is Pyomo's persistent HiGHS interface of ``pyomo.contrib.solver``
(``SolverFactory('highs')`` in the new solver API, class
:class:`pyomo.contrib.solver.solvers.highs.Highs`): it talks to ``highspy`` in memory
(no files), reads row duals, streams HiGHS's log, and keeps the HiGHS model between
solves, so the LP re-solve for marginal costs only changes column bounds and
integrality. One instance is kept per model (a weak reference, so a model can still be
cloned or garbage-collected).

Status mapping never raises for infeasible, unbounded or time-limited runs: they return a
:class:`SolveStatus`. Objective, bound and duals are reported in CNY (the model's
objective is in ``OBJECTIVE_SCALE_CNY`` units, see ``planner.formulation.build``).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.expr.visitor import identify_variables

logger = logging.getLogger(__name__)


class SolveStatus(StrEnum):
    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    time_limit = "time_limit"
    error = "error"


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one solve. Money in CNY (undiscounted to base year: the objective is
    the discounted total)."""

    status: SolveStatus
    objective_cny: float | None
    mip_gap: float | None
    bound: float | None
    solve_time_s: float
    solver_name: str
    solver_version: str
    message: str = ""

    @property
    def has_solution(self) -> bool:
        return self.status in (SolveStatus.optimal, SolveStatus.feasible) or (
            self.status == SolveStatus.time_limit and self.objective_cny is not None
        )


class _BulkHighs(Highs):
    """HiGHS persistent interface that adds all variables in one batch.

    The base class adds the variables it finds constraint by constraint (one
    ``addVars`` + ``changeColsIntegrality`` call each); with ~1e6 hourly rows that alone
    takes seconds. Adding every variable first makes those calls no-ops.
    """

    def add_block(self, block):
        self.add_variables(list(block.component_data_objects(pyo.Var, descend_into=True)))
        super().add_block(block)

    def _add_variables(self, variables):
        if variables:
            super()._add_variables(variables)


class _LineStream(io.TextIOBase):
    """A text stream that hands each complete log line to a callable."""

    def __init__(self, callback: Callable[[str], Any]):
        super().__init__()
        self._callback = callback
        self._buffer = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._callback(line)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._callback(self._buffer)
            self._buffer = ""


_SOLVERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _solver_for(m: pyo.ConcreteModel) -> Highs:
    try:
        opt = _SOLVERS.get(m)
        if opt is None:
            opt = _BulkHighs()
            _SOLVERS[m] = opt
        return opt
    except TypeError:  # not weak-referenceable: no reuse
        return _BulkHighs()


def _scale(m: pyo.ConcreteModel) -> float:
    data = getattr(m, "planner_data", None)
    return data.objective_scale_cny if data is not None else 1.0


def _integer_vars(m: pyo.ConcreteModel) -> list:
    return [
        v
        for v in m.component_data_objects(pyo.Var, descend_into=True)
        if v.is_integer() or v.is_binary()
    ]


class _Relaxed:
    """Context: integer variables get a continuous domain (bounds kept); restored after."""

    def __init__(self, variables: list, solver: Highs | None = None):
        self.variables = variables
        self.solver = solver
        self.domains: list = []

    def __enter__(self):
        self.domains = [v.domain for v in self.variables]
        for v in self.variables:
            lb, ub = v.bounds
            v.domain = pyo.Reals
            v.setlb(lb)
            v.setub(ub)
        self._sync()
        return self

    def _sync(self) -> None:
        # The persistent interface does not always notice a domain change of a fixed
        # variable; push the new integrality to HiGHS explicitly.
        if self.solver is None:
            return
        # Before the first solve the solver holds no model; it reads the domains then.
        known = self.solver._pyomo_var_to_solver_var_map
        variables = [v for v in self.variables if id(v) in known]
        if variables:
            self.solver.update_variables(variables)

    def __exit__(self, *exc):
        for v, domain in zip(self.variables, self.domains, strict=True):
            lb, ub = v.lb, v.ub
            v.domain = domain
            v.setlb(lb)
            v.setub(ub)
        self._sync()
        return False


def solve(
    m: pyo.ConcreteModel,
    *,
    time_limit_s: float = 600.0,
    mip_gap: float = 1e-3,
    threads: int = 1,
    log: bool | Callable[[str], Any] = False,
    relax_integers: bool = False,
    warm_start: bool = True,
) -> SolveResult:
    """Solve ``m`` with HiGHS; load the solution into the model when there is one.

    Parameters
    ----------
    time_limit_s, mip_gap, threads
        HiGHS ``time_limit`` [s], ``mip_rel_gap`` [1] and ``threads``.
    log
        ``True`` streams HiGHS's log to stdout; a callable receives it line by line.
    relax_integers
        Solve the LP relaxation (integer variables continuous within their bounds);
        the domains are restored afterwards, the relaxed values stay loaded.
    warm_start
        Hand HiGHS a starting incumbent (see :func:`_warm_start`) before the MILP.
    """
    if relax_integers:
        with _Relaxed(_integer_vars(m), _solver_for(m)):
            return _solve(m, time_limit_s, mip_gap, threads, log)[0]
    t0 = time.perf_counter()
    started = warm_start and any(not v.fixed for v in _integer_vars(m))
    if started:
        try:
            started = _warm_start(m, time_limit_s, threads)
        except Exception:  # a failed start only costs time: solve without one
            logger.warning("warm start failed; solving without one", exc_info=True)
            started = False
    remaining = max(time_limit_s - (time.perf_counter() - t0), 1.0)
    result = _solve(m, remaining, mip_gap, threads, log, keep_start=started)[0]
    # Report the whole time spent, the start included.
    return dataclasses.replace(result, solve_time_s=time.perf_counter() - t0)


# Integer values closer than this to a whole number count as whole.
_INT_TOL = 1e-6


def _warm_start(m: pyo.ConcreteModel, time_limit_s: float, threads: int) -> bool:
    """Give HiGHS a good first incumbent: the LP relaxation rounded up, then repaired.

    HiGHS's own rounding heuristics tend to round a build down and pay the shortfall
    penalty, so on the national model its first incumbents are 1-2 % above the bound
    and the search for a 0.1 % solution takes most of the solve. Here the LP relaxation
    is solved, every build decision rounded up (more compute never breaks a target), and
    rounded-up decisions stepped back down, smallest fraction first, wherever that breaks
    a site's rack or build-rate limit. The LP with these integers fixed gives the full
    starting point, passed to HiGHS with ``setSolution``. This only seeds the search:
    HiGHS still solves the MILP and proves the gap. Returns whether a start was set.
    """
    opt = _solver_for(m)
    ints = [v for v in _integer_vars(m) if not v.fixed]
    with _Relaxed(_integer_vars(m), opt):
        relaxed, _ = _solve(m, time_limit_s, 0.0, threads, False)
        if not relaxed.has_solution:
            return False
        lp_value = {id(v): v.value or 0.0 for v in ints}
        for v in ints:
            x = math.ceil(lp_value[id(v)] - _INT_TOL)
            v.set_value(x if v.ub is None else min(x, v.ub), skip_validation=True)
        _repair_limits(m, ints, lp_value)
        saved = [v.bounds for v in ints]
        for v in ints:
            v.setlb(v.value)
            v.setub(v.value)
        try:
            fixed, _ = _solve(m, time_limit_s, 0.0, threads, False)
            start = list(opt._solver_model.getSolution().col_value) if fixed.has_solution else None
        finally:
            for v, (lb, ub) in zip(ints, saved, strict=True):
                v.setlb(lb)
                v.setub(ub)
    if start is None:
        return False
    # Push the restored bounds and integrality now, so that the MILP solve finds nothing
    # to update (an update would discard the start).
    opt.update_variables(ints)
    solution = highspy.HighsSolution()
    solution.col_value = start
    solution.value_valid = True
    status = opt._solver_model.setSolution(solution)
    logger.info(
        "warm start: LP %.6g CNY, start %.6g CNY", relaxed.objective_cny, fixed.objective_cny
    )
    return status != highspy.HighsStatus.kError


def _repair_limits(m: pyo.ConcreteModel, ints: list, lp_value: dict[int, float]) -> None:
    """Step rounded-up integers back down until every site rack and build limit holds."""
    rounded_up = {id(v) for v in ints if v.value > lp_value[id(v)] + _INT_TOL}
    limits = [
        c
        for name in ("rack_limit", "build_rate_limit")
        if hasattr(m, name)
        for c in getattr(m, name).values()
    ]
    for con in limits:
        if con.upper is None:
            continue
        candidates = [v for v in identify_variables(con.body) if id(v) in rounded_up]
        while pyo.value(con.body) > pyo.value(con.upper) + _INT_TOL and candidates:
            v = min(candidates, key=lambda v: lp_value[id(v)] - math.floor(lp_value[id(v)]))
            v.set_value(v.value - 1, skip_validation=True)
            rounded_up.discard(id(v))
            candidates = [c for c in candidates if c is not v]


def _solve(
    m, time_limit_s, mip_gap, threads, log, keep_start: bool = False
) -> tuple[SolveResult, Any]:
    scale = _scale(m)
    opt = _solver_for(m)
    # Re-pushing mutable parameters discards a MIP start set with setSolution; nothing
    # changed since the start was computed, so skip that step for this solve.
    opt.config.auto_updates.update_parameters = not keep_start
    version = ".".join(str(x) for x in opt.version())
    name = "highs"
    stream = None
    if callable(log):
        stream = _LineStream(log)
        tee: Any = [stream]
    else:
        tee = bool(log)
    t0 = time.perf_counter()
    try:
        res = opt.solve(
            m,
            tee=tee,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            time_limit=time_limit_s,
            rel_gap=mip_gap,
            threads=threads,
        )
    except Exception as exc:  # the solver must never take the caller down
        log_exc = f"{type(exc).__name__}: {exc}"
        _SOLVERS.pop(m, None)
        elapsed = time.perf_counter() - t0
        return SolveResult(
            SolveStatus.error, None, None, None, elapsed, name, version, log_exc
        ), None
    finally:
        opt.config.auto_updates.update_parameters = True
        if stream is not None:
            stream.flush()
    elapsed = time.perf_counter() - t0
    tc = res.termination_condition
    has_solution = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    if has_solution:
        res.solution_loader.load_vars()
    if tc == TerminationCondition.convergenceCriteriaSatisfied and has_solution:
        status = SolveStatus.optimal
    elif tc == TerminationCondition.maxTimeLimit:
        status = SolveStatus.time_limit
    elif tc in (
        TerminationCondition.provenInfeasible,
        TerminationCondition.infeasibleOrUnbounded,
        TerminationCondition.locallyInfeasible,
        TerminationCondition.unbounded,
    ):
        status = SolveStatus.infeasible
    elif has_solution:
        status = SolveStatus.feasible
    else:
        status = SolveStatus.error
    obj = res.incumbent_objective * scale if has_solution else None
    bound = res.objective_bound * scale if res.objective_bound is not None else None
    gap = None
    if obj is not None and bound is not None and math.isfinite(bound):
        gap = abs(obj - bound) / max(abs(obj), 1e-9)
    message = str(tc.name) if hasattr(tc, "name") else str(tc)
    return SolveResult(status, obj, gap, bound, elapsed, name, version, message), res


# How far (in build modules) each integer decision may move in the marginal-cost LP.
MARGINAL_WINDOW_MODULES = 1


def marginal_costs(m: pyo.ConcreteModel, result: SolveResult) -> dict[str, dict]:
    """Marginal costs of the targets from an LP around the MILP plan.

    Bounds every integer decision to within :data:`MARGINAL_WINDOW_MODULES` modules of
    its (rounded) MILP value, makes it continuous, re-solves the LP, reads the row duals
    and restores the model (bounds, domains and the MILP's variable values). Duals are
    converted from discounted objective units to undiscounted CNY of the target's year:
    ``dual * OBJECTIVE_SCALE_CNY / df(y)``.

    Returns
    -------
    dict
        ``status``: the LP's :class:`SolveStatus`;
        ``total_compute_cny_per_eflops[y]``: cost of one more EFLOPS of national target;
        ``intelligent_share_cny_per_point[y]``: of one more percentage point of
        intelligent share (dual x total compute / 100);
        ``intelligent_share_cny_per_eflops[y]``: the raw dual per EFLOPS of the row;
        ``green_share_cny_per_mwh[hub][y]`` and ``green_share_cny_per_point[hub][y]``;
        ``carbon_cap_cny_per_tco2[y]``: saving from one more tCO2 of cap (>= 0).
        Empty mappings when there is no solution to fix.
    """
    out: dict[str, Any] = {
        "status": None,
        "total_compute_cny_per_eflops": {},
        "intelligent_share_cny_per_eflops": {},
        "intelligent_share_cny_per_point": {},
        "green_share_cny_per_mwh": {},
        "green_share_cny_per_point": {},
        "carbon_cap_cny_per_tco2": {},
    }
    if not result.has_solution:
        out["status"] = result.status
        return out
    data = m.planner_data
    scale = data.objective_scale_cny
    df = data.discount_factor
    all_vars = list(m.component_data_objects(pyo.Var, descend_into=True))
    saved_values = [v.value for v in all_vars]
    # Each build decision may move by up to one module around the MILP plan, continuously.
    # With the integers pinned exactly, a target met with part of a module to spare would
    # show a marginal cost of zero; the one-module window prices the marginal module.
    # Per-point conversions use the plan's own totals, read before the LP moves them.
    total_compute = {y: pyo.value(m.total_compute_eflops[y]) for y in m.YEARS}
    new_energy = (
        {k: pyo.value(m.new_capacity_energy_mwh[k]) for k in m.green_share_target}
        if hasattr(m, "green_share_target")
        else {}
    )
    ints = [v for v in _integer_vars(m) if not v.fixed]
    saved_bounds = [v.bounds for v in ints]
    for v, (lb, ub) in zip(ints, saved_bounds, strict=True):
        x = round(v.value) if v.value is not None else 0
        v.setlb(max(lb if lb is not None else 0, x - MARGINAL_WINDOW_MODULES))
        v.setub(x + MARGINAL_WINDOW_MODULES if ub is None else min(ub, x + MARGINAL_WINDOW_MODULES))
    try:
        # Relax every integer column, also those fixed at build time (e.g. no new racks
        # outside the hubs): HiGHS gives no duals while any column is integer.
        with _Relaxed(_integer_vars(m), _solver_for(m)):
            lp, raw = _solve(m, max(result.solve_time_s * 4, 600.0), 0.0, 1, False)
            out["status"] = lp.status
            if lp.status != SolveStatus.optimal:
                return out
            cons = [
                c
                for name in (
                    "total_compute_target",
                    "intelligent_share_target",
                    "green_share_target",
                    "carbon_cap",
                )
                if hasattr(m, name)
                for c in getattr(m, name).values()
            ]
            duals = raw.solution_loader.get_duals(cons)
            for y, c in m.total_compute_target.items():
                out["total_compute_cny_per_eflops"][y] = duals[c] * scale / df[y] + 0.0
            for y, c in m.intelligent_share_target.items():
                per_eflops = duals[c] * scale / df[y] + 0.0
                out["intelligent_share_cny_per_eflops"][y] = per_eflops
                out["intelligent_share_cny_per_point"][y] = per_eflops * total_compute[y] / 100.0
            if hasattr(m, "green_share_target"):
                for (h, y), c in m.green_share_target.items():
                    per_mwh = duals[c] * scale / df[y] + 0.0
                    e_new = new_energy[h, y]
                    out["green_share_cny_per_mwh"].setdefault(h, {})[y] = per_mwh
                    out["green_share_cny_per_point"].setdefault(h, {})[y] = per_mwh * e_new / 100.0
            if hasattr(m, "carbon_cap"):
                for y, c in m.carbon_cap.items():
                    out["carbon_cap_cny_per_tco2"][y] = -duals[c] * scale / df[y] + 0.0
    finally:
        for v, (lb, ub) in zip(ints, saved_bounds, strict=True):
            v.setlb(lb)
            v.setub(ub)
        for v, value in zip(all_vars, saved_values, strict=True):
            v.set_value(value, skip_validation=True)
    return out
