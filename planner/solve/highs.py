"""A Pyomo model in matrix form inside one HiGHS instance: the solver adapter.

It knows nothing of the planning model: it compiles any linear Pyomo model with Pyomo's
own ``LinearStandardFormCompiler`` (:mod:`pyomo.repn.plugins.standard_form`) and hands it
to ``highspy`` in one ``passModel`` call (several times faster than Pyomo's persistent
HiGHS interface, which adds the model constraint by constraint: on the 8 760-hour model
that step alone took about a minute and 1.6 GB). One instance is re-solved for the LP
relaxation, the fixed-integer LP, the MILP and the marginal-cost LP, changing only column
bounds and integrality; HiGHS keeps its basis between them. A trust region can box
chosen columns around a hint (:meth:`CompiledModel.set_trust_region`).

Status mapping never raises for infeasible, unbounded or time-limited runs: they return a
:class:`SolveStatus`.
"""

from __future__ import annotations

import dataclasses
import fractions
import logging
import math
import sys
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse
from pyomo.repn.linear import LinearRepnVisitor
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

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
    # The compiled model the result came from, for re-solves around it (marginal costs):
    # the caller holds it with the result; no global cache.
    handle: CompiledModel | None = field(default=None, compare=False, repr=False)

    @property
    def has_solution(self) -> bool:
        return self.status in (SolveStatus.optimal, SolveStatus.feasible) or (
            self.status == SolveStatus.time_limit and self.objective_cny is not None
        )


SOLVER_NAME = "highs"
SOLVER_VERSION = highspy.Highs().version()

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

    def __init__(self, m: pyo.ConcreteModel, objective_scale: float = 1.0):
        t0 = time.perf_counter()
        # Units of the objective per unit of the Pyomo objective: results are reported
        # in the caller's units (e.g. CNY for a model whose objective is in million CNY).
        self.objective_scale = float(objective_scale)
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
        a = info.A.tocsr()
        self.matrix_csr = a  # for evaluating rows (repairs) without HiGHS
        self.row_sense = sense  # -1: lower bound, 0: equality, 1: upper bound (Pyomo's)
        self.row_lower = row_lower
        self.row_upper = row_upper
        self._column_of: dict[int, int] | None = None  # id(Pyomo variable) -> column
        self.minimise = info.objectives[0].sense == pyo.minimize
        # Objective coefficients and constant in the model's units (kept up to date by
        # update): the model can be handed to HiGHS again after release_solver.
        self.cost = info.c.toarray()[0] if n_col else np.zeros(0)
        self.offset = float(np.asarray(info.c_offset).reshape(-1)[0])
        self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        # Devex pricing in the dual simplex instead of HiGHS's default (steepest edge):
        # about the same number of iterations, each cheaper. LP relaxation of the
        # national model: 8 days 1.5 -> 1.1 s, 24 days 6.5 -> 4.9 s, 48 days 21.5 -> 13.8 s.
        self._highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        self._released = False
        self.n_col, self.n_row = n_col, n_row
        # Bounds as the caller set them (set_bounds / restore); HiGHS holds these, except
        # on trust-region columns that still have their original bounds.
        self.lower_now = self.col_lower.copy()
        self.upper_now = self.col_upper.copy()
        self.trust: TrustRegion | None = None
        self._pass_model()
        # The blocks and master of a decomposed solve (planner.solve.decompose), kept for
        # the LP around its plan; None when the model was solved whole.
        self.decomposition: Any = None
        # Whether it was solved by decomposition: a new case on it (update) is too.
        self.decomposes = False
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

    @property
    def highs(self) -> highspy.Highs:
        """The HiGHS instance holding the model (handed the model again if released)."""
        if self._released:
            self._pass_model()
        return self._highs

    def release_solver(self) -> None:
        """Free HiGHS's copy of the model (a solve by decomposition does not use it); the
        next use of :attr:`highs` hands it over again, with the bounds and integrality
        as they stand, and no basis."""
        self._highs.clearModel()
        self._released = True

    def _pass_model(self) -> None:
        a = self.matrix_csr.tocsc()
        lower, upper = self.lower_now.copy(), self.upper_now.copy()
        if self.trust is not None:
            k = self.trust.position
            free = (k >= 0) & self._original_bounds(np.arange(self.n_col))
            lower[free], upper[free] = self.trust.lower[k[free]], self.trust.upper[k[free]]
        status = self._highs.passModel(
            self.n_col, self.n_row, a.nnz, int(highspy.MatrixFormat.kColwise),
            1 if self.minimise else -1, self.offset, self.cost, lower, upper,
            self.row_lower, self.row_upper, a.indptr.astype(np.int32),
            a.indices.astype(np.int32), a.data.astype(float),
            self._integer_now.astype(np.int32),
        )  # fmt: skip
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the compiled model")
        self._released = False

    # -- columns -------------------------------------------------------------------------

    @property
    def integer_cols(self) -> np.ndarray:
        return np.flatnonzero(self.integer)

    def set_integrality(self, cols: np.ndarray, integer: bool) -> None:
        if len(cols):
            self._integer_now[cols] = integer
            if self._released:  # HiGHS gets it with the model, when next used
                return
            kind = np.full(len(cols), 1 if integer else 0, dtype=np.uint8)
            self._highs.changeColsIntegrality(len(cols), cols.astype(np.int32), kind)

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
        if self._released:  # HiGHS gets them with the model, when next used
            return
        lower, upper = self.lower_now[cols], self.upper_now[cols]
        if self.trust is not None:
            lower, upper = lower.copy(), upper.copy()
            k = self.trust.position[cols]
            inside = k >= 0
            free = inside & self._original_bounds(cols)
            lower[free] = self.trust.lower[k[free]]
            upper[free] = self.trust.upper[k[free]]
        self._highs.changeColsBounds(
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

    # -- re-reading the model after its mutable Params changed -------------------------

    def update(self, constraints: Sequence[pyo.Constraint]) -> None:
        """Re-read the objective and the rows of ``constraints`` from the Pyomo model.

        For a model whose mutable Params changed since it was compiled: each row and the
        objective are derived again as ``LinearStandardFormCompiler`` derives them (the
        same ``LinearRepnVisitor``, constants moved to the bounds) and the changed costs,
        bounds and coefficients handed to the HiGHS instance, which keeps its basis and
        last solution as the start of the next solve. Columns, other rows, bounds and
        integrality are not re-read.

        Raises
        ------
        ShapeChanged
            When a re-read row or the objective has a variable that is not a column, or a
            row gains or loses a bound; the model must then be compiled afresh. HiGHS is
            left unchanged.
        """
        if self.decomposition is not None:  # its blocks and cuts are the old case's
            self.decomposition.close()
            self.decomposition = None
        m = self.model()
        if m is None:
            raise ShapeChanged("the Pyomo model is gone")
        column_of = self.column_of_variable()
        visitor = LinearRepnVisitor({})  # a fresh cache: named Expressions hold new values

        def coefficients(expr, what: str) -> tuple[np.ndarray, np.ndarray, float]:
            repn = visitor.walk_expression(expr)
            if repn.nonlinear is not None:
                raise ShapeChanged(f"{what} is not linear")
            try:
                cols = np.fromiter((column_of[i] for i in repn.linear), np.int64, len(repn.linear))
            except KeyError:
                raise ShapeChanged(f"{what} has a variable that is not a column") from None
            vals = np.fromiter(map(float, repn.linear.values()), float, len(repn.linear))
            return cols, vals, float(pyo.value(repn.constant))

        objective = next(m.component_data_objects(pyo.Objective, active=True))
        obj_cols, obj_vals, obj_offset = coefficients(objective.expr, objective.name)
        cost = np.zeros(self.n_col)
        np.add.at(cost, obj_cols, obj_vals)

        new_rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        lower = self.row_lower.copy()
        upper = self.row_upper.copy()
        for component in constraints:
            for con in component.values():
                rows = self.rows_of(con)
                if not rows:  # trivial when compiled: it must have stayed so
                    raise ShapeChanged(f"{con.name} was not a row when compiled")
                lb, body, ub = con.to_bounded_expression()
                lb, ub = (None if b is None else float(pyo.value(b)) for b in (lb, ub))
                cols, vals, offset = coefficients(body, con.name)
                for row in rows:
                    sense = int(self.row_sense[row])
                    bound = ub if sense >= 0 else lb
                    if bound is None or (sense == 0) != (lb == ub):
                        raise ShapeChanged(f"{con.name} changed its kind of bound")
                    rhs = bound - offset
                    lower[row] = rhs if sense <= 0 else -math.inf
                    upper[row] = rhs if sense >= 0 else math.inf
                    new_rows[row] = (cols, vals)

        self.cost, self.offset = cost, obj_offset
        a = self.matrix_csr
        if not self._released:  # else HiGHS gets the new numbers with the model
            h = self._highs
            basis = h.getBasis()
            all_cols = np.arange(self.n_col, dtype=np.int32)
            h.changeColsCost(self.n_col, all_cols, cost)
            h.changeObjectiveOffset(obj_offset)
            if new_rows:
                rows = np.fromiter(new_rows, np.int32, len(new_rows))
                h.changeRowsBounds(len(rows), rows, lower[rows], upper[rows])
            for row, (cols, vals) in new_rows.items():
                span = slice(a.indptr[row], a.indptr[row + 1])
                old = dict(zip(a.indices[span].tolist(), a.data[span].tolist(), strict=True))
                new = dict(zip(cols.tolist(), vals.tolist(), strict=True))
                for col in old.keys() | new.keys():
                    if old.get(col, 0.0) != new.get(col, 0.0):
                        h.changeCoeff(row, col, new.get(col, 0.0))
            if basis.valid:
                h.setBasis(basis)
        self.row_lower, self.row_upper = lower, upper
        self.matrix_csr = _replace_rows(a, new_rows)

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
        scale = self.objective_scale
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

    def objective_step(self) -> tuple[float, float] | None:
        """``(step, offset)`` when the objective takes only the values ``offset + n * step``
        (``n`` whole) on integer solutions, else None.

        That is when every column with a cost is an integer column and every cost a whole
        multiple of ``step`` (HiGHS's "objective function is integral with scale", which
        it uses to prune but not to stop). A bound may then be rounded to that lattice:
        no solution lies strictly between two of its points.
        """
        lp = self.highs.getLp()
        cost = np.asarray(lp.col_cost_, dtype=float)
        priced = np.flatnonzero(cost)
        if not len(priced) or not self._integer_now[priced].all():
            return None
        step = fractions.Fraction(0)
        for c in np.abs(cost[priced]).tolist():
            frac = fractions.Fraction(c).limit_denominator(10**6)
            if abs(float(frac) - c) > 1e-9 * c:
                return None
            # the greatest common divisor of two fractions
            step = fractions.Fraction(
                math.gcd(step.numerator * frac.denominator, frac.numerator * step.denominator),
                step.denominator * frac.denominator,
            )
        return float(step), float(lp.offset_)

    def column_of_variable(self) -> dict[int, int]:
        """``id(Pyomo variable) -> column`` (built once, on first use)."""
        if self._column_of is None:
            self._column_of = {id(v): i for i, v in enumerate(self.columns)}
        return self._column_of

    def column_values(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_value, dtype=float)

    def row_duals(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().row_dual, dtype=float)

    def load(self, values: np.ndarray) -> None:
        """Write column values into the Pyomo variables."""
        for v, x in zip(self.columns, values.tolist(), strict=True):
            v.set_value(x, skip_validation=True)


class ShapeChanged(ValueError):
    """The model no longer has the shape it was compiled with (see ``CompiledModel.update``)."""


def _replace_rows(
    a: scipy.sparse.csr_array, new_rows: dict[int, tuple[np.ndarray, np.ndarray]]
) -> scipy.sparse.csr_array:
    """``a`` with the rows of ``new_rows`` (row -> (columns, values)) replaced."""
    if not new_rows:
        return a
    keep = np.ones(a.shape[0])
    keep[list(new_rows)] = 0.0
    rows = np.concatenate([np.full(len(c), r) for r, (c, _v) in new_rows.items()])
    cols = np.concatenate([c for c, _v in new_rows.values()])
    vals = np.concatenate([v for _c, v in new_rows.values()])
    replaced = scipy.sparse.csr_array((vals, (rows, cols)), shape=a.shape)
    out = (scipy.sparse.diags_array(keep) @ a + replaced).tocsr()
    out.eliminate_zeros()
    return out


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)
