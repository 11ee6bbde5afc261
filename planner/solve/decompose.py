r"""Benders decomposition of a block-angular model: operational blocks solved in parallel.

The full-year planning model is block-angular. Its hourly columns (dispatch, storage,
imports) meet in rows of one site and year (the hourly balance, storage, the annual
green-share rows of a hub); the years and sites couple only through the *master*
columns: the build decisions and the annual quantities in national rows (demand,
targets, rack and build limits). With the master columns :math:`x` fixed, the hourly
part falls apart into independent LPs, one per block :math:`b`:

.. math::

    v_b(x) = \min_{y_b} \{ c_b^\top y_b : L_b \le B_b y_b + D_b x \le U_b,\;
             l_b \le y_b \le u_b \}

each convex and piecewise linear in :math:`x`, with a subgradient :math:`g_b` read from
the reduced costs of the fixed master columns in the block's LP. The master problem

.. math::

    \min_{x, \theta} \; c_0 + c_x^\top x + \sum_b \theta_b \quad\text{s.t.}\quad
    \text{the master rows},\quad
    \theta_b \ge v_b(\hat x) + g_b^\top (x - \hat x) \;\;\text{for every } \hat x
    \text{ visited}

is a relaxation of the whole model: its optimum is a valid lower bound (its dual bound
when its integers are kept), and any :math:`\hat x` with its blocks' values is a
feasible plan, an upper bound. :meth:`Decomposition.solve_lp` runs box-step Benders
(the master kept in a box around the best point so far, widened where it binds, as in
Marsten et al., *The boxstep method*, 1975) until the bounds meet; :meth:`Decomposition.
solve_mip` then keeps the master's integers and alternates master MIP and blocks until
the gap between the best plan and the master's dual bound is within the MIP gap. Every
cut is valid for every bound on :math:`x`, so the LP around the plan that prices the
targets (:meth:`Decomposition.duals_in_window`) starts from all of them.

Each block keeps its own HiGHS instance, re-solved from its last basis when :math:`\hat x`
moves; HiGHS releases the GIL while it runs, so the blocks solve in a thread pool.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import connected_components

logger = logging.getLogger(__name__)

# A component with fewer columns than this shares a block with the other small ones.
_SMALL_BLOCK_COLUMNS = 2_000
# Not worth decomposing when one block holds more than this share of the hourly columns
# (a row coupling every site of a year, such as a national emission cap, makes it half).
_LARGEST_BLOCK_SHARE = 0.25
# Gaps below this (relative) count as closed: the bounds meet up to rounding.
_GAP_FLOOR = 1e-9
# Box-step master: first half-width relative to the centre (and to at least 1), the
# widening factor where the box binds, and the share of the predicted decrease a new
# point must achieve to become the centre (a "serious step").
_BOX_REL = 0.05
_BOX_WIDEN = 4.0
_SERIOUS = 0.1
_MAX_ITERATIONS = 500
# Master MIP rounds after the plan is within the MIP gap, spent closing it further.
_MIP_ROUNDS_PAST_GAP = 8


class DecompositionFailed(RuntimeError):
    """A block or master LP had no optimum: the caller solves the model whole instead."""


@dataclass
class _Block:
    highs: highspy.Highs
    rows: np.ndarray  # rows of the compiled model
    own: np.ndarray  # columns of the compiled model solved here
    coupling: np.ndarray  # positions (in the master's columns) fixed here
    lower_bound: float  # of the block's objective over its columns' bounds


@dataclass
class _Evaluation:
    value: float  # sum of the blocks' objectives
    values: list[float]
    gradients: list[np.ndarray]
    own_values: list[np.ndarray]


@dataclass
class Outcome:
    """A decomposed solve: the whole model's column values, objective and bound (in the
    compiled model's objective units), the master MIP rounds it took."""

    optimal: bool
    columns: np.ndarray | None
    objective: float | None
    bound: float | None
    iterations: int
    message: str


class Decomposition:
    """The blocks and master of a compiled model, or ``None`` from :meth:`of` when the
    model does not decompose (see the module docstring)."""

    def __init__(
        self,
        a: scipy.sparse.csr_array,
        cost: np.ndarray,
        offset: float,
        col_lower: np.ndarray,
        col_upper: np.ndarray,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        integer: np.ndarray,
        block_of_row: np.ndarray,
        block_of_col: np.ndarray,
        threads: int,
    ):
        self.n_col, self.n_row = a.shape[1], a.shape[0]
        self.cost, self.offset = cost, offset
        self.col_lower, self.col_upper = col_lower, col_upper
        self.master_cols = np.flatnonzero(block_of_col < 0)
        self.master_rows = np.flatnonzero(block_of_row < 0)
        self.master_integer = integer[self.master_cols]
        position = np.full(self.n_col, -1)
        position[self.master_cols] = np.arange(len(self.master_cols))
        self.threads = max(1, int(threads))
        self.blocks: list[_Block] = []
        for b in range(int(block_of_row.max()) + 1):
            rows = np.flatnonzero(block_of_row == b)
            own = np.flatnonzero(block_of_col == b)
            sub = a[rows]
            used = np.unique(sub.indices)
            coupling_cols = used[block_of_col[used] < 0]
            cols = np.concatenate([own, coupling_cols])
            matrix = sub[:, cols].tocsc()
            lower = np.concatenate([col_lower[own], col_lower[coupling_cols]])
            upper = np.concatenate([col_upper[own], col_upper[coupling_cols]])
            c = np.concatenate([cost[own], np.zeros(len(coupling_cols))])
            h = _highs()
            h.passModel(
                len(cols), len(rows), matrix.nnz, int(highspy.MatrixFormat.kColwise),
                1, 0.0, c, lower, upper, row_lower[rows], row_upper[rows],
                matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
                matrix.data.astype(float), np.zeros(len(cols), dtype=np.int32),
            )  # fmt: skip
            low = np.where(c[: len(own)] >= 0, lower[: len(own)], upper[: len(own)])
            bound = float(np.dot(c[: len(own)], low)) if np.isfinite(low).all() else -math.inf
            if not math.isfinite(bound):
                raise DecompositionFailed(f"block {b} has no finite lower bound")
            self.blocks.append(_Block(h, rows, own, position[coupling_cols], bound))
        # The master: its own columns and rows, one theta per block, cuts added as found.
        master = a[self.master_rows][:, self.master_cols].tocsc()
        nm, nb = len(self.master_cols), len(self.blocks)
        self.master = _highs()
        self.master.passModel(
            nm + nb, len(self.master_rows), master.nnz, int(highspy.MatrixFormat.kColwise),
            1, float(offset),
            np.concatenate([cost[self.master_cols], np.ones(nb)]),
            np.concatenate([col_lower[self.master_cols], [b.lower_bound for b in self.blocks]]),
            np.concatenate([col_upper[self.master_cols], np.full(nb, math.inf)]),
            row_lower[self.master_rows], row_upper[self.master_rows],
            np.concatenate([master.indptr, np.full(nb, master.nnz)]).astype(np.int32),
            master.indices.astype(np.int32), master.data.astype(float),
            np.zeros(nm + nb, dtype=np.int32),
        )  # fmt: skip
        coupling = np.unique(np.concatenate([b.coupling for b in self.blocks]))
        self.coupling = coupling  # master positions that enter some block
        self.lower = col_lower[self.master_cols].copy()  # the master's bounds now
        self.upper = col_upper[self.master_cols].copy()
        self.n_cuts = 0
        self.highs_time_s = 0.0
        self.plan: np.ndarray | None = None  # the master columns of the last MIP plan
        self._master_integral = False  # whether the master keeps its integers now
        self._pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None

    # -- construction ------------------------------------------------------------------

    @classmethod
    def of(
        cls,
        a: scipy.sparse.csr_array,
        operational: np.ndarray,
        integer: np.ndarray,
        *,
        small_block_columns: int | None = None,
        **arrays,
    ) -> Decomposition | None:
        """Blocks from the rows and columns of ``a`` (the compiled model's matrix).

        ``operational`` marks the hourly columns. Blocks are the connected components of
        the rows holding operational columns; a non-operational column joins a block
        when all its rows are that block's, else it is a master column. ``None`` when a
        block would hold an integer column, one block would hold most of the model (a
        row coupling every site, such as a national hourly or emission cap), or there
        would be one block. Components with fewer than ``small_block_columns`` columns
        (default ``_SMALL_BLOCK_COLUMNS``) share one block.
        """
        n_row, n_col = a.shape
        op = np.flatnonzero(operational)
        if not len(op):
            return None
        a = scipy.sparse.csr_array(a)
        a_op = a[:, op]
        rows = np.flatnonzero(np.diff(a_op.indptr) > 0)
        b = a_op[rows]
        graph = scipy.sparse.block_array([[None, b], [b.T, None]]).tocsr()
        n_comp, label = connected_components(graph, directed=False)
        row_comp = np.full(n_row, -1)
        row_comp[rows] = label[: len(rows)]
        col_comp = np.full(n_col, -1)
        col_comp[op] = label[len(rows) :]
        # Non-operational columns: in one component's rows only -> that component's.
        ac = a.tocsc()
        for j in np.flatnonzero(~operational):
            comps = row_comp[ac.indices[ac.indptr[j] : ac.indptr[j + 1]]]
            if len(comps) and (comps >= 0).all() and (comps == comps[0]).all():
                col_comp[j] = comps[0]
        sizes = np.bincount(col_comp[col_comp >= 0], minlength=n_comp)
        if sizes.max() > _LARGEST_BLOCK_SHARE * len(op) or n_comp < 2:
            return None
        # Components -> blocks: the large ones each, the small ones together.
        if small_block_columns is None:
            small_block_columns = _SMALL_BLOCK_COLUMNS
        small = sizes < small_block_columns
        block = np.full(n_comp, -1)
        big = np.flatnonzero(~small)
        block[big] = np.arange(len(big))
        if small.any():
            block[small] = len(big)
        if block.max() < 1:  # one block: nothing gained over solving the model whole
            return None
        block_of_row = np.where(row_comp >= 0, block[np.maximum(row_comp, 0)], -1)
        block_of_col = np.where(col_comp >= 0, block[np.maximum(col_comp, 0)], -1)
        if integer[block_of_col >= 0].any():
            return None
        return cls(a, integer=integer, block_of_row=block_of_row, block_of_col=block_of_col,
                   **arrays)  # fmt: skip

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # -- the blocks --------------------------------------------------------------------

    def _evaluate(self, x: np.ndarray) -> _Evaluation:
        """Solve every block with the master columns at ``x`` (master positions)."""

        def one(block: _Block) -> tuple[float, np.ndarray, np.ndarray]:
            h = block.highs
            n_own = len(block.own)
            k = len(block.coupling)
            value = x[block.coupling]
            idx = np.arange(n_own, n_own + k, dtype=np.int32)
            h.changeColsBounds(k, idx, value, value)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                # From the last basis HiGHS may stall; a fresh start settles it.
                h.clearSolver()
                h.run()
                if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                    status = h.modelStatusToString(h.getModelStatus())
                    raise DecompositionFailed(f"a block LP: {status}")
            solution = h.getSolution()
            col_value = np.asarray(solution.col_value)
            col_dual = np.asarray(solution.col_dual)
            objective = h.getInfo().objective_function_value
            return objective, col_dual[n_own:], col_value[:n_own]

        mapper = self._pool.map if self._pool is not None else map
        t0 = time.perf_counter()
        out = list(mapper(one, self.blocks))
        self.highs_time_s += time.perf_counter() - t0  # wall time, the blocks in parallel
        values = [o[0] for o in out]
        return _Evaluation(sum(values), values, [o[1] for o in out], [o[2] for o in out])

    def _add_cuts(self, x: np.ndarray, ev: _Evaluation) -> None:
        nm = len(self.master_cols)
        for b, block in enumerate(self.blocks):
            g = ev.gradients[b]
            keep = g != 0.0
            idx = np.concatenate([block.coupling[keep], [nm + b]]).astype(np.int32)
            coef = np.concatenate([-g[keep], [1.0]])
            rhs = ev.values[b] - float(np.dot(g, x[block.coupling]))
            self.master.addRow(rhs, math.inf, len(idx), idx, coef)
            self.n_cuts += 1

    # -- the master --------------------------------------------------------------------

    def _master(self, lower: np.ndarray, upper: np.ndarray, time_left: float) -> tuple:
        """Solve the master within ``lower``..``upper``: (x, objective, dual bound)."""
        h = self.master
        nm = len(self.master_cols)
        h.changeColsBounds(nm, np.arange(nm, dtype=np.int32), lower, upper)
        h.setOptionValue("time_limit", h.getRunTime() + max(time_left, 0.1))
        t0 = time.perf_counter()
        # In a worker thread, as CompiledModel.run does, so that Ctrl-C reaches Python.
        h.HandleKeyboardInterrupt = True
        h.solve()
        self.highs_time_s += time.perf_counter() - t0
        status = h.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
            raise DecompositionFailed(f"the master: {h.modelStatusToString(status)}")
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible point (time limit)
            raise DecompositionFailed("the master stopped without a solution")
        x = np.asarray(h.getSolution().col_value)[:nm]
        mip = self._master_integral
        bound = info.mip_dual_bound if mip else info.objective_function_value
        if status != highspy.HighsModelStatus.kOptimal and not mip:
            bound = -math.inf
        return x, info.objective_function_value, bound

    def _set_master_integrality(self, integral: bool) -> None:
        cols = np.flatnonzero(self.master_integer).astype(np.int32)
        if len(cols):
            kind = np.full(len(cols), 1 if integral else 0, dtype=np.uint8)
            self.master.changeColsIntegrality(len(cols), cols, kind)
        self._master_integral = integral and bool(len(cols))

    # -- solves ------------------------------------------------------------------------

    def solve_lp(
        self,
        start: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        *,
        tolerance: float,
        deadline: float,
        on_iteration: Callable[[str], None] | None = None,
    ) -> tuple[np.ndarray, _Evaluation, float, float]:
        """Box-step Benders on the LP (integers relaxed) within ``lower``..``upper``.

        ``start`` (master positions; NaN where unknown) centres the first box. Returns
        the best point, its evaluation, its objective and the master's lower bound, with
        the bound within ``tolerance`` (relative) of the objective unless the deadline
        passed first.
        """
        self._set_master_integrality(False)
        c = self.coupling
        centre = np.where(np.isnan(start), lower, start)
        centre = np.clip(centre, lower, upper)
        width = np.maximum(_BOX_REL * np.abs(centre[c]), 1.0)
        best_x, best_ev, best_value = None, None, math.inf
        bound = -math.inf
        for iteration in range(_MAX_ITERATIONS):
            box_lower, box_upper = lower.copy(), upper.copy()
            box_lower[c] = np.maximum(lower[c], centre[c] - width)
            box_upper[c] = np.minimum(upper[c], centre[c] + width)
            x, predicted, _ = self._master(box_lower, box_upper, deadline - time.perf_counter())
            ev = self._evaluate(x)
            self._add_cuts(x, ev)
            value = self._objective(x, ev)
            if best_x is None or value < best_value - _SERIOUS * max(best_value - predicted, 0.0):
                at_edge = ((x[c] <= box_lower[c] + 1e-9) & (box_lower[c] > lower[c])) | (
                    (x[c] >= box_upper[c] - 1e-9) & (box_upper[c] < upper[c])
                )
                width[at_edge] *= _BOX_WIDEN
                centre = x
            if value < best_value:
                best_x, best_ev, best_value = x, ev, value
            _, _, bound = self._master(lower, upper, deadline - time.perf_counter())
            gap = _relative(best_value, bound)
            if on_iteration is not None:
                on_iteration(
                    f"decomposition, LP round {iteration + 1}: gap {gap:.1e} "
                    f"({len(self.blocks)} blocks, {self.n_cuts} cuts)"
                )
            if gap <= max(tolerance, _GAP_FLOOR) or time.perf_counter() >= deadline:
                break
        return best_x, best_ev, best_value, bound

    def solve_mip(
        self,
        start: np.ndarray,
        *,
        mip_gap: float,
        deadline: float,
        on_iteration: Callable[[str], None] | None = None,
    ) -> Outcome:
        """The model with its integers: LP cuts first, then master MIP and blocks in turn
        until the best plan is within ``mip_gap`` of the master's dual bound."""
        t0 = time.perf_counter()
        lower, upper = self.col_lower[self.master_cols], self.col_upper[self.master_cols]
        # Aim at a tenth of the gap; within the gap, stop after _MIP_ROUNDS_PAST_GAP rounds.
        target = max(mip_gap / 10, _GAP_FLOOR)
        self.solve_lp(start, lower, upper, tolerance=target / 10, deadline=deadline,
                      on_iteration=on_iteration)  # fmt: skip
        self._set_master_integrality(True)
        self.master.setOptionValue("mip_rel_gap", target / 2)
        best: tuple[float, np.ndarray, _Evaluation] | None = None
        bound = -math.inf
        iteration = 0
        for iteration in range(1, _MAX_ITERATIONS + 1):
            if best is not None:
                self._give_master(best[1], best[2])
            try:
                x, _, bound = self._master(lower, upper, deadline - time.perf_counter())
            except DecompositionFailed:
                if best is None:
                    raise
                break
            x = np.where(self.master_integer, np.round(x), x)
            ev = self._evaluate(x)
            self._add_cuts(x, ev)
            value = self._objective(x, ev)
            if best is None or value < best[0]:
                best = (value, x, ev)
            gap = _relative(best[0], bound)
            if on_iteration is not None:
                on_iteration(f"decomposition, MIP round {iteration}: gap {gap:.1e} "
                             f"({self.n_cuts} cuts)")  # fmt: skip
            if gap <= target or time.perf_counter() >= deadline:
                break
            if gap <= max(mip_gap, _GAP_FLOOR) and iteration >= _MIP_ROUNDS_PAST_GAP:
                break
        self._set_master_integrality(False)
        value, x, ev = best
        self.plan = x
        gap = _relative(value, bound)
        logger.info(
            "decomposition: %d blocks, %d cuts, objective %.9g, bound %.9g, gap %.2e, %.1f s",
            len(self.blocks), self.n_cuts, value, bound, gap, time.perf_counter() - t0,
        )  # fmt: skip
        return Outcome(
            gap <= max(mip_gap, _GAP_FLOOR), self._columns(x, ev), value, bound, iteration,
            f"Benders decomposition: {len(self.blocks)} blocks, {self.n_cuts} cuts, "
            f"gap {gap:.2e} between the plan and the master's bound",
        )  # fmt: skip

    def duals_in_window(
        self, lower: np.ndarray, upper: np.ndarray, *, deadline: float, tolerance: float = 1e-7
    ) -> tuple[bool, np.ndarray, np.ndarray]:
        """Row duals of the LP with the master columns (all positions of the compiled
        model's columns) within ``lower``..``upper``: (converged, columns, row duals).

        The master rows' duals are the final master LP's; each block's rows' duals are
        its LP's at the master's optimum.
        """
        lo, hi = lower[self.master_cols], upper[self.master_cols]
        start = self.plan if self.plan is not None else np.full(len(lo), np.nan)
        _, _, _, bound = self.solve_lp(start, lo, hi, tolerance=tolerance, deadline=deadline)
        # The master's optimum (unboxed, the last solve) and the blocks there.
        master_x = np.asarray(self.master.getSolution().col_value)[: len(self.master_cols)]
        master_dual = np.asarray(self.master.getSolution().row_dual)[: len(self.master_rows)]
        ev = self._evaluate(master_x)
        duals = np.zeros(self.n_row)
        duals[self.master_rows] = master_dual
        for block in self.blocks:
            duals[block.rows] = np.asarray(block.highs.getSolution().row_dual)
        converged = _relative(self._objective(master_x, ev), bound) <= max(tolerance, 1e-6)
        return converged, self._columns(master_x, ev), duals

    # -- helpers -----------------------------------------------------------------------

    def _objective(self, x: np.ndarray, ev: _Evaluation) -> float:
        return self.offset + float(np.dot(self.cost[self.master_cols], x)) + ev.value

    def _columns(self, x: np.ndarray, ev: _Evaluation) -> np.ndarray:
        out = np.zeros(self.n_col)
        out[self.master_cols] = x
        for block, values in zip(self.blocks, ev.own_values, strict=True):
            out[block.own] = values
        return out

    def _give_master(self, x: np.ndarray, ev: _Evaluation) -> None:
        """The best plan as the master MIP's incumbent (theta at the blocks' values, which
        every cut underestimates)."""
        solution = highspy.HighsSolution()
        solution.col_value = [*x.tolist(), *ev.values]
        solution.value_valid = True
        self.master.setSolution(solution)


def _highs() -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    # As for the whole model (planner.solve.highs): Devex pricing in the dual simplex.
    h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
    # No presolve: a block is re-solved from its basis anyway, and on the full year the
    # 17 blocks' presolves held 0.4 GB more at the end and took 2 s longer in all.
    h.setOptionValue("presolve", "off")
    return h


def _relative(value: float, bound: float) -> float:
    if not (math.isfinite(value) and math.isfinite(bound)):
        return math.inf
    return max(value - bound, 0.0) / max(abs(value), 1e-9)
