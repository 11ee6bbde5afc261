"""Solve the planning model with HiGHS; marginal costs from an LP around the MILP plan.

The Pyomo model is compiled once per :func:`solve` into matrix form by Pyomo's own
``LinearStandardFormCompiler`` (:mod:`pyomo.repn.plugins.standard_form`) and handed to
``highspy`` in one ``passModel`` call. This is several times faster than Pyomo's
persistent HiGHS interface, which adds the model constraint by constraint: on the
8 760-hour model that step alone took about a minute and 1.6 GB. The compiled model is
kept (one per Pyomo model, weakly referenced) so that the LP relaxation, the
fixed-integer LP, the MILP and the marginal-cost LP all re-solve one HiGHS instance,
changing only column bounds and integrality; HiGHS keeps its basis between them.

Status mapping never raises for infeasible, unbounded or time-limited runs: they return a
:class:`SolveStatus`. Objective, bound and duals are reported in CNY (the model's
objective is in ``OBJECTIVE_SCALE_CNY`` units, see ``planner.formulation.build``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.formulation.build import DESIGN_VARIABLES

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
    highs_time_s: float = 0.0  # HiGHS's own time (``run``) within ``solve_time_s``

    @property
    def has_solution(self) -> bool:
        return self.status in (SolveStatus.optimal, SolveStatus.feasible) or (
            self.status == SolveStatus.time_limit and self.objective_cny is not None
        )


SOLVER_NAME = "highs"
SOLVER_VERSION = highspy.Highs().version()

# Integer values closer than this to a whole number count as whole.
_INT_TOL = 1e-6

_MODEL_STATUS = {
    highspy.HighsModelStatus.kOptimal: SolveStatus.optimal,
    highspy.HighsModelStatus.kInfeasible: SolveStatus.infeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: SolveStatus.infeasible,
    highspy.HighsModelStatus.kUnbounded: SolveStatus.infeasible,
    highspy.HighsModelStatus.kTimeLimit: SolveStatus.time_limit,
    highspy.HighsModelStatus.kIterationLimit: SolveStatus.time_limit,
    highspy.HighsModelStatus.kSolutionLimit: SolveStatus.time_limit,
}


# Trust region around a coarse solution's build decisions (CompiledModel.set_trust_region):
# half-width relative to the centre, floor as a fraction of the column's range, growth
# factor when the box binds, and rounds of growth before giving the box up.
TRUST_REL = 0.03
TRUST_FLOOR = 0.005
TRUST_WIDEN = 4.0
TRUST_ROUNDS = 8


@dataclass
class TrustRegion:
    """A box around ``centre`` on columns ``cols``; ``position[c]`` is column ``c``'s
    place in ``cols`` (-1 if outside)."""

    cols: np.ndarray
    centre: np.ndarray
    width: np.ndarray
    position: np.ndarray
    lower: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    upper: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    def place(self, col_lower: np.ndarray, col_upper: np.ndarray) -> None:
        """The box, clipped to the columns' own bounds."""
        self.lower = np.clip(self.centre - self.width, col_lower, col_upper)
        self.upper = np.clip(self.centre + self.width, col_lower, col_upper)


class CompiledModel:
    """A Pyomo model in matrix form inside one ``highspy.Highs`` instance.

    Columns are the Pyomo variables that appear in the objective or a constraint and are
    not fixed (fixed variables are constants, folded into the row bounds). Each Pyomo
    constraint is one row, or two for a ranged one (:meth:`rows_of`).
    """

    def __init__(self, m: pyo.ConcreteModel):
        t0 = time.perf_counter()
        info = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
        if len(info.objectives) != 1:
            raise ValueError(f"the model has {len(info.objectives)} active objectives, not 1")
        self.model = weakref.ref(m)
        self.columns: list = info.columns
        # Rows as arrays, not a list of (constraint, sense) tuples: 841 k small objects
        # made among the compiler's temporaries pinned ~0.6 GB of freed memory on the
        # 8 760-hour model. The constraints live in the model; their ids find the rows.
        n_col, n_row = len(self.columns), len(info.rows)
        self.row_constraint_id = np.fromiter(
            (id(row.constraint) for row in info.rows), dtype=np.uint64, count=n_row
        )
        sense = np.fromiter((row.bound_type for row in info.rows), dtype=np.int8, count=n_row)
        bounds = [v.bounds for v in self.columns]
        self.col_lower = np.array([-math.inf if lb is None else lb for lb, _ in bounds], float)
        self.col_upper = np.array([math.inf if ub is None else ub for _, ub in bounds], float)
        del bounds
        self.integer = np.array([v.is_integer() for v in self.columns], dtype=bool)
        self._integer_now = self.integer.copy()  # integrality as HiGHS holds it now
        rhs = np.asarray(info.rhs, dtype=float).reshape(n_row)
        row_lower = np.where(sense <= 0, rhs, -math.inf)
        row_upper = np.where(sense >= 0, rhs, math.inf)
        cost = info.c.toarray()[0] if n_col else np.zeros(0)
        a = info.A.tocsc()
        self.matrix_csr = a.tocsr()  # for evaluating rows (repairs) without HiGHS
        self.row_upper = row_upper
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # Devex pricing in the dual simplex instead of HiGHS's default (steepest edge):
        # about the same number of iterations, each cheaper. LP relaxation of the
        # national model: 8 days 1.5 -> 1.1 s, 24 days 6.5 -> 4.9 s, 48 days 21.5 -> 13.8 s.
        self.highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        objective = info.objectives[0]
        status = self.highs.passModel(
            n_col,
            n_row,
            a.nnz,
            int(highspy.MatrixFormat.kColwise),
            1 if objective.sense == pyo.minimize else -1,
            float(np.asarray(info.c_offset).reshape(-1)[0]),
            cost,
            self.col_lower,
            self.col_upper,
            row_lower,
            row_upper,
            a.indptr.astype(np.int32),
            a.indices.astype(np.int32),
            a.data.astype(float),
            self.integer.astype(np.int32),
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the compiled model")
        self.n_col, self.n_row = n_col, n_row
        # Bounds as the caller set them (set_bounds / restore); HiGHS holds these, except
        # on trust-region columns that still have their original bounds.
        self.lower_now = self.col_lower.copy()
        self.upper_now = self.col_upper.copy()
        self.trust: TrustRegion | None = None
        self.highs_time_s = 0.0  # HiGHS's own time over every run of this model
        self._row_order: np.ndarray | None = None  # rows sorted by constraint id
        self._sorted_ids: np.ndarray | None = None
        self.compile_time_s = time.perf_counter() - t0
        logger.info(
            "compiled %d columns x %d rows (%d nonzeros) in %.2f s",
            n_col,
            n_row,
            a.nnz,
            self.compile_time_s,
        )

    # -- columns -------------------------------------------------------------------------

    @property
    def integer_cols(self) -> np.ndarray:
        return np.flatnonzero(self.integer)

    def set_integrality(self, cols: np.ndarray, integer: bool) -> None:
        if len(cols):
            kind = np.full(len(cols), 1 if integer else 0, dtype=np.uint8)
            self.highs.changeColsIntegrality(len(cols), cols.astype(np.int32), kind)
            self._integer_now[cols] = integer

    def set_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        if len(cols):
            self.lower_now[cols] = lower
            self.upper_now[cols] = upper
            self._push_bounds(cols)

    def restore(self) -> None:
        """Original bounds and integrality of every column (after relaxations, fixes)."""
        cols = np.arange(self.n_col)
        self.set_bounds(cols, self.col_lower, self.col_upper)
        self.set_integrality(self.integer_cols, True)

    def _push_bounds(self, cols: np.ndarray) -> None:
        """Hand HiGHS the bounds of ``cols``: the caller's, or the trust region's."""
        lower, upper = self.lower_now[cols], self.upper_now[cols]
        if self.trust is not None:
            lower, upper = lower.copy(), upper.copy()
            k = self.trust.position[cols]
            inside = k >= 0
            free = inside & self._original_bounds(cols)
            lower[free] = self.trust.lower[k[free]]
            upper[free] = self.trust.upper[k[free]]
        self.highs.changeColsBounds(
            len(cols), cols.astype(np.int32), lower.astype(float), upper.astype(float)
        )

    def _original_bounds(self, cols: np.ndarray) -> np.ndarray:
        return (self.lower_now[cols] == self.col_lower[cols]) & (
            self.upper_now[cols] == self.col_upper[cols]
        )

    # -- trust region --------------------------------------------------------------------

    def set_trust_region(self, cols: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> None:
        """Bound ``cols`` to a box around ``centre`` in every LP until it is cleared.

        The box is ``centre +- max(TRUST_REL * |centre|, TRUST_FLOOR * scale)`` within the
        column's bounds. It applies to a column only while the column has its original
        bounds (a fixed or windowed column keeps the caller's bounds). Each LP solved
        inside a trust region is checked against the original bounds and the box widened
        until it no longer binds (:meth:`run`), so the LP optimum returned is that of the
        original LP; the box only makes the dual simplex start closer to it.
        """
        cols = np.asarray(cols, dtype=np.int64)
        width = np.maximum(TRUST_REL * np.abs(centre), TRUST_FLOOR * scale)
        position = np.full(self.n_col, -1, dtype=np.int64)
        position[cols] = np.arange(len(cols))
        self.trust = TrustRegion(cols, np.asarray(centre, float), width, position)
        self.trust.place(self.col_lower[cols], self.col_upper[cols])
        self._push_bounds(cols)

    def clear_trust_region(self) -> None:
        if self.trust is not None:
            cols = self.trust.cols
            self.trust = None
            self._push_bounds(cols)

    def _trust_binding(self) -> tuple[np.ndarray, np.ndarray]:
        """Trust-region columns whose box binds: at a box bound that is not one of the
        column's own bounds, with a reduced cost that would move them past it."""
        trust = self.trust
        cols = trust.cols
        free = self._original_bounds(cols)
        solution = self.highs.getSolution()
        value = np.asarray(solution.col_value)[cols]
        reduced = np.asarray(solution.col_dual)[cols]
        tol = self.highs.getOptions().dual_feasibility_tolerance
        near = 1e-7 * np.maximum(1.0, np.abs(value))
        low = free & (trust.lower > self.col_lower[cols]) & (value <= trust.lower + near)
        high = free & (trust.upper < self.col_upper[cols]) & (value >= trust.upper - near)
        return low & (reduced > tol), high & (reduced < -tol)

    def _widen_trust_region(self, low: np.ndarray, high: np.ndarray, release: bool) -> None:
        trust = self.trust
        binding = low | high
        trust.width[binding] = math.inf if release else trust.width[binding] * TRUST_WIDEN
        trust.place(self.col_lower[trust.cols], self.col_upper[trust.cols])
        self._push_bounds(trust.cols)

    # -- rows ----------------------------------------------------------------------------

    def rows_of(self, constraint) -> list[int]:
        """Row indices of a Pyomo constraint (none if it was trivial and dropped)."""
        if self._row_order is None:
            self._row_order = np.argsort(self.row_constraint_id, kind="stable")
            self._sorted_ids = self.row_constraint_id[self._row_order]
        key = np.uint64(id(constraint))
        lo = np.searchsorted(self._sorted_ids, key, "left")
        hi = np.searchsorted(self._sorted_ids, key, "right")
        return self._row_order[lo:hi].tolist()

    # -- solving -------------------------------------------------------------------------

    def run(
        self,
        *,
        time_limit_s: float,
        mip_gap: float,
        threads: int,
        log: bool | Callable[[str], Any] = False,
    ) -> SolveResult:
        """Run HiGHS on the model as it stands. Ctrl-C stops HiGHS and is re-raised.

        An LP inside a trust region is re-solved, from its basis, with the box widened
        wherever it binds, until it binds nowhere (then the LP's optimum is the original
        LP's: the same primal and dual solution satisfies the original bounds' optimality
        conditions). After ``TRUST_ROUNDS`` rounds a binding column loses its box; an LP
        with no optimum in the box is solved without it. A MIP is never solved inside
        one: branch and bound drops it.
        """
        if self.trust is not None and self._integer_now.any():
            self.clear_trust_region()
        t0 = time.perf_counter()
        result = self._run_once(time_limit_s, mip_gap, threads, log)
        rounds = 0
        while self.trust is not None and result.status != SolveStatus.time_limit:
            if result.status != SolveStatus.optimal:
                # Infeasible inside the box says nothing about outside it.
                self.clear_trust_region()
            else:
                low, high = self._trust_binding()
                if not (low.any() or high.any()):
                    break
                rounds += 1
                logger.info("trust region binds on %d columns: widening", low.sum() + high.sum())
                # Past TRUST_ROUNDS the binding columns lose their box altogether: every
                # round then frees at least one column, so the loop ends. Dropping the
                # whole box instead would restart the dual simplex far from the optimum.
                self._widen_trust_region(low, high, release=rounds > TRUST_ROUNDS)
            remaining = time_limit_s - (time.perf_counter() - t0)
            result = self._run_once(remaining, mip_gap, threads, log)
        return dataclasses.replace(result, solve_time_s=time.perf_counter() - t0)

    def _run_once(
        self,
        time_limit_s: float,
        mip_gap: float,
        threads: int,
        log: bool | Callable[[str], Any],
    ) -> SolveResult:
        h = self.highs
        # HiGHS measures its time limit against the run time summed over every run of
        # this instance (HiGHS issues #1331, #1477; highspy has no zeroAllClocks), so the
        # limit for this run is set on top of the time already run.
        h.setOptionValue("time_limit", h.getRunTime() + float(max(time_limit_s, 0.1)))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("threads", int(threads))
        h.setOptionValue("output_flag", bool(log))
        h.setOptionValue("log_to_console", False)
        callback = None
        if log:
            sink = log if callable(log) else (lambda line: print(line, file=sys.stdout))

            def callback(event) -> None:
                sink(event.message.rstrip("\n"))

            h.cbLogging.subscribe(callback)
        # HiGHS runs in a worker thread so that Ctrl-C reaches Python at once.
        h.HandleKeyboardInterrupt = True
        t0 = time.perf_counter()
        try:
            h.solve()
        except Exception as exc:  # the solver must never take the caller down
            message = f"{type(exc).__name__}: {exc}"
            return SolveResult(
                SolveStatus.error, None, None, None, time.perf_counter() - t0,
                SOLVER_NAME, SOLVER_VERSION, message,
            )  # fmt: skip
        finally:
            if callback is not None:
                h.cbLogging.unsubscribe(callback)
        elapsed = time.perf_counter() - t0
        self.highs_time_s += elapsed
        model_status = h.getModelStatus()
        if model_status == highspy.HighsModelStatus.kInterrupt:
            raise KeyboardInterrupt
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        status = _MODEL_STATUS.get(model_status, SolveStatus.error)
        if status == SolveStatus.error and has_solution:
            status = SolveStatus.feasible
        if status == SolveStatus.optimal and not has_solution:
            status = SolveStatus.error
        scale = _scale(self.model())
        objective = info.objective_function_value * scale if has_solution else None
        if self._integer_now.any():  # a MIP: HiGHS's bound from branch and bound
            raw_bound = info.mip_dual_bound
            bound = raw_bound * scale if math.isfinite(raw_bound) else None
        else:
            bound = objective if status == SolveStatus.optimal else None
        return SolveResult(
            status,
            objective,
            _gap(objective, bound),
            bound,
            elapsed,
            SOLVER_NAME,
            SOLVER_VERSION,
            h.modelStatusToString(model_status),
        )

    def column_values(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_value, dtype=float)

    def row_duals(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().row_dual, dtype=float)

    def load(self, values: np.ndarray) -> None:
        """Write column values into the Pyomo variables."""
        for v, x in zip(self.columns, values.tolist(), strict=True):
            v.set_value(x, skip_validation=True)


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def _scale(m: pyo.ConcreteModel | None) -> float:
    data = getattr(m, "planner_data", None)
    return data.objective_scale_cny if data is not None else 1.0


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compile_model(m: pyo.ConcreteModel) -> CompiledModel:
    """Compile ``m`` for HiGHS and remember it for :func:`marginal_costs`."""
    compiled = CompiledModel(m)
    try:
        _COMPILED[m] = compiled
    except TypeError:  # not weak-referenceable: no reuse
        pass
    return compiled


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
        (:func:`design_values`, keyed by component name and index): the LPs start inside
        a trust region around them (:meth:`CompiledModel.set_trust_region`). This
        changes how fast they solve, never their result.
    on_step
        Called with a short description as each phase starts (a progress line).
    """
    step = on_step or (lambda _message: None)
    t0 = time.perf_counter()
    step("compiling the model for HiGHS")
    try:
        compiled = compile_model(m)
    except InfeasibleConstraintException as exc:
        return SolveResult(
            SolveStatus.infeasible, None, None, None, time.perf_counter() - t0,
            SOLVER_NAME, SOLVER_VERSION, str(exc),
        )  # fmt: skip
    options = dict(mip_gap=mip_gap, threads=threads, log=log)
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
        return _finish(compiled, result, t0)
    start, root = None, None
    if warm_start:
        step(f"HiGHS: LP relaxation and a rounded plan ({size})")
        try:
            left_s = time_limit_s - (time.perf_counter() - t0)
            start, root = _root_incumbent(compiled, left_s, threads, mip_gap, log)
        except Exception:  # a failed start only costs time: solve without one
            logger.warning("warm start failed; solving without one", exc_info=True)
            compiled.restore()
    if root is not None:  # the root closed the gap, or used up the time
        return _finish(compiled, root, t0, start)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start.tolist()
        solution.value_valid = True
        compiled.highs.setSolution(solution)
    step(f"HiGHS: branch and bound ({size}, gap {mip_gap:.2%})")
    result = compiled.run(time_limit_s=remaining(), **options)
    return _finish(compiled, result, t0)


def design_values(m: pyo.ConcreteModel) -> dict[tuple[str, Any], float]:
    """The build decisions of a solved model, for :func:`solve`'s ``design_hint``."""
    return {
        (name, index): float(v.value)
        for name in DESIGN_VARIABLES
        if hasattr(m, name)
        for index, v in getattr(m, name).items()
        if v.value is not None
    }


def _set_trust_region(
    compiled: CompiledModel, m: pyo.ConcreteModel, hint: Mapping[tuple[str, Any], float]
) -> None:
    """Trust region on the columns of the hinted build decisions (others are free)."""
    column = {id(v): i for i, v in enumerate(compiled.columns)}
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
    if cols:
        compiled.set_trust_region(np.array(cols), np.array(centre), np.array(scale))
        logger.info("trust region on %d build decisions", len(cols))


def _finish(
    compiled: CompiledModel, result: SolveResult, t0: float, values: np.ndarray | None = None
) -> SolveResult:
    if result.has_solution:
        compiled.load(compiled.column_values() if values is None else values)
    # Report the whole time spent, compilation and the start included.
    return dataclasses.replace(
        result, solve_time_s=time.perf_counter() - t0, highs_time_s=compiled.highs_time_s
    )


def _root_incumbent(
    compiled: CompiledModel,
    time_limit_s: float,
    threads: int,
    mip_gap: float,
    log: bool | Callable[[str], Any] = False,
) -> tuple[np.ndarray | None, SolveResult | None]:
    """Solve the root: LP relaxation, then that relaxation rounded up and repaired.

    HiGHS's own rounding heuristics tend to round a build down and pay the shortfall
    penalty, so on the national model its first incumbents are 1-2 % above the bound
    and the search for a 0.1 % solution takes most of the solve. Here the LP relaxation
    is solved (its objective is a valid lower bound on the MILP), every integer rounded
    up (more compute never breaks a target) and rounded-up decisions stepped back down,
    smallest fraction first, wherever that breaks a site's rack or build-rate limit
    (:func:`_repair_limits`). The LP with these integers fixed is a feasible MILP
    solution. If it is within ``mip_gap`` of the relaxation's bound, the MILP is solved
    to the requested gap at the root, exactly as a branch-and-bound would stop there.
    Otherwise the incumbent seeds HiGHS's branch and bound, which then proves the gap.

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
        x = np.ceil(x_lp - _INT_TOL)
        x = np.minimum(x, compiled.col_upper[ints])
        x = _repair_limits(compiled, ints, x, x_lp)
        compiled.set_bounds(ints, x, x)
        fixed = compiled.run(
            time_limit_s=max(remaining(), 1.0), mip_gap=0.0, threads=threads, log=log
        )
        start = compiled.column_values() if fixed.status == SolveStatus.optimal else None
    finally:
        compiled.restore()
    bound = relaxed.objective_cny
    if start is None or fixed.objective_cny is None:
        out_of_time = fixed.status == SolveStatus.time_limit or remaining() <= 0
        return None, _no_plan(fixed, t0) if out_of_time else None
    gap = _gap(fixed.objective_cny, bound)
    logger.info(
        "root: LP bound %.6g CNY, rounded incumbent %.6g CNY, gap %.3g",
        bound,
        fixed.objective_cny,
        gap,
    )
    closed = gap is not None and fixed.objective_cny >= bound and gap <= mip_gap
    if not closed and remaining() > 0:
        return start, None
    if closed:
        status = SolveStatus.optimal
        message = "Optimal (gap closed at the root: LP relaxation bound and rounded incumbent)"
    else:
        status = SolveStatus.time_limit
        message = "Time limit reached at the root: the rounded incumbent and the LP bound"
    return start, SolveResult(
        status, fixed.objective_cny, gap, bound, time.perf_counter() - t0,
        SOLVER_NAME, SOLVER_VERSION, message,
    )  # fmt: skip


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
    limits = [
        c
        for name in ("rack_limit", "build_rate_limit")
        if hasattr(m, name)
        for c in getattr(m, name).values()
    ]
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


# How far (in build modules) each integer decision may move in the marginal-cost LP.
MARGINAL_WINDOW_MODULES = 1


def marginal_costs(m: pyo.ConcreteModel, result: SolveResult) -> dict[str, dict]:
    """Marginal costs of the targets from an LP around the MILP plan.

    Bounds every integer decision to within :data:`MARGINAL_WINDOW_MODULES` modules of
    its (rounded) MILP value, makes it continuous, re-solves the LP (on the HiGHS model
    :func:`solve` compiled, from its last basis), reads the row duals and restores the
    HiGHS model. The Pyomo model's values stay those of the MILP. Duals are converted
    from discounted objective units to undiscounted CNY of the target's year:
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
        ``carbon_cap_cny_per_tco2[y]``: saving from one more tCO2 of cap (>= 0);
        ``highs_time_s``: HiGHS's own time for this LP.
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
        "highs_time_s": 0.0,
    }
    if not result.has_solution:
        out["status"] = result.status
        return out
    data = m.planner_data
    scale = data.objective_scale_cny
    df = data.discount_factor
    # Per-point conversions use the plan's own totals.
    total_compute = {y: pyo.value(m.total_compute_eflops[y]) for y in m.YEARS}
    new_energy = (
        {k: pyo.value(m.new_capacity_energy_mwh[k]) for k in m.green_share_target}
        if hasattr(m, "green_share_target")
        else {}
    )
    compiled = _COMPILED.get(m)
    if compiled is None or not _matches(compiled, m):
        compiled = compile_model(m)
    # Each build decision may move by up to one module around the MILP plan, continuously.
    # With the integers pinned exactly, a target met with part of a module to spare would
    # show a marginal cost of zero; the one-module window prices the marginal module.
    ints = compiled.integer_cols
    plan = np.array([round(compiled.columns[c].value or 0.0) for c in ints], dtype=float)
    lower = np.maximum(compiled.col_lower[ints], plan - MARGINAL_WINDOW_MODULES)
    upper = np.minimum(compiled.col_upper[ints], plan + MARGINAL_WINDOW_MODULES)
    compiled.set_integrality(ints, False)
    compiled.set_bounds(ints, lower, upper)
    try:
        lp = compiled.run(time_limit_s=max(result.solve_time_s * 4, 600.0), mip_gap=0.0, threads=1)
        out["status"] = lp.status
        out["highs_time_s"] = lp.solve_time_s
        if lp.status != SolveStatus.optimal:
            return out
        row_dual = compiled.row_duals()
    finally:
        compiled.restore()

    def dual(con) -> float:
        # A ranged constraint has two rows; at most one of them is active.
        return float(sum(row_dual[i] for i in compiled.rows_of(con))) * scale

    for y, c in m.total_compute_target.items():
        out["total_compute_cny_per_eflops"][y] = dual(c) / df[y] + 0.0
    for y, c in m.intelligent_share_target.items():
        per_eflops = dual(c) / df[y] + 0.0
        out["intelligent_share_cny_per_eflops"][y] = per_eflops
        out["intelligent_share_cny_per_point"][y] = per_eflops * total_compute[y] / 100.0
    if hasattr(m, "green_share_target"):
        for (h, y), c in m.green_share_target.items():
            per_mwh = dual(c) / df[y] + 0.0
            out["green_share_cny_per_mwh"].setdefault(h, {})[y] = per_mwh
            per_point = per_mwh * new_energy[h, y] / 100.0
            out["green_share_cny_per_point"].setdefault(h, {})[y] = per_point
    if hasattr(m, "carbon_cap"):
        for y, c in m.carbon_cap.items():
            out["carbon_cap_cny_per_tco2"][y] = -dual(c) / df[y] + 0.0
    return out


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
