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

import io
import logging
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

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

    def __init__(self, variables: list):
        self.variables = variables
        self.domains: list = []

    def __enter__(self):
        self.domains = [v.domain for v in self.variables]
        for v in self.variables:
            lb, ub = v.bounds
            v.domain = pyo.Reals
            v.setlb(lb)
            v.setub(ub)
        return self

    def __exit__(self, *exc):
        for v, domain in zip(self.variables, self.domains, strict=True):
            lb, ub = v.lb, v.ub
            v.domain = domain
            v.setlb(lb)
            v.setub(ub)
        return False


def solve(
    m: pyo.ConcreteModel,
    *,
    time_limit_s: float = 600.0,
    mip_gap: float = 1e-3,
    threads: int = 1,
    log: bool | Callable[[str], Any] = False,
    relax_integers: bool = False,
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
    """
    if relax_integers:
        with _Relaxed(_integer_vars(m)):
            return _solve(m, time_limit_s, mip_gap, threads, log)[0]
    return _solve(m, time_limit_s, mip_gap, threads, log)[0]


def _solve(m, time_limit_s, mip_gap, threads, log) -> tuple[SolveResult, Any]:
    scale = _scale(m)
    opt = _solver_for(m)
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


def marginal_costs(m: pyo.ConcreteModel, result: SolveResult) -> dict[str, dict]:
    """Marginal costs of the targets from the LP with every integer fixed at its value.

    Fixes integer and binary variables at their (rounded) MILP values, makes them
    continuous, re-solves the LP, reads the row duals and restores the model (fixing,
    domains and the MILP's variable values). Duals are converted from discounted
    objective units to undiscounted CNY of the target's year:
    ``dual * OBJECTIVE_SCALE_CNY / df(y)``.

    Returns
    -------
    dict
        ``status``: the LP's :class:`SolveStatus`;
        ``total_compute_cny_per_eflops[y]``: cost of one more EFLOPS of national target;
        ``intelligent_share_cny_per_point[y]``: of one more percentage point of
        intelligent share (dual x total compute / 100);
        ``intelligent_share_cny_per_eflops[y]``: the raw dual per EFLOPS of the row;
        ``green_share_cny_per_mwh[(hub, y)]`` and ``green_share_cny_per_point[(hub, y)]``;
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
    ints = [v for v in _integer_vars(m) if not v.fixed]
    for v in ints:
        v.fix(round(v.value) if v.value is not None else 0)
    try:
        with _Relaxed(ints):
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
                out["total_compute_cny_per_eflops"][y] = duals[c] * scale / df[y]
            for y, c in m.intelligent_share_target.items():
                per_eflops = duals[c] * scale / df[y]
                total = pyo.value(m.total_compute_eflops[y])
                out["intelligent_share_cny_per_eflops"][y] = per_eflops
                out["intelligent_share_cny_per_point"][y] = per_eflops * total / 100.0
            if hasattr(m, "green_share_target"):
                for (h, y), c in m.green_share_target.items():
                    per_mwh = duals[c] * scale / df[y]
                    out["green_share_cny_per_mwh"][h, y] = per_mwh
                    e_new = pyo.value(m.new_capacity_energy_mwh[h, y])
                    out["green_share_cny_per_point"][h, y] = per_mwh * e_new / 100.0
            if hasattr(m, "carbon_cap"):
                for y, c in m.carbon_cap.items():
                    out["carbon_cap_cny_per_tco2"][y] = -duals[c] * scale / df[y]
    finally:
        for v in ints:
            v.unfix()
        for v, value in zip(all_vars, saved_values, strict=True):
            v.set_value(value, skip_validation=True)
    return out
