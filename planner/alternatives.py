r"""Near-optimal alternatives: how much freedom the least cost leaves (``planner alternatives``).

Modelling to generate alternatives (MGA) on the planning model itself. With the total
discounted cost held within ``slack`` of the least cost and every target met as the
least-cost plan meets it, each named aggregate of the plan (:mod:`planner.aggregates`:
racks or compute in the western or eastern hubs or in one hub, the western share of new
racks, emissions, solar and wind built, grid energy, intelligent racks in the west) is
minimised and maximised, and a SPORES sequence of ``points`` plans is traced, each
staying away from what the plans before it used, so the spread is explored and not only
its ends::

    ds = run_alternatives("models/national_2025.yaml", "runs/alt", slack=0.01,
                          objectives=["west_share", "emissions"], points=2)

Every alternative is a MILP on the Pyomo model the builder made, with the rows of
:mod:`planner.formulation.alternatives` added (:class:`NearOptimal`). Build modules stay
integer: HiGHS's branch and bound solves each, started from the least-cost plan (which
is feasible for every alternative, so the minimum of an aggregate is never above its
least-cost value nor the maximum below it), and proves it within the model file's
``solver.mip_gap``; the plan's integers are then fixed at whole numbers and its LP solved
once more (:meth:`NearOptimal.optimise`). A share is optimised by Dinkelbach's method,
with a bound on the share itself (:func:`optimise_share`).

The folder is a sweep's (:mod:`planner.sweep`: its case store, its executors on local
processes or a Dask cluster; resumable)::

    OUT/sweep.json                 what was asked (mode "alternatives")
    OUT/cases/0000-least-cost/     the least-cost plan: a run folder, as `planner solve`
    OUT/cases/0001-min-west_share/ each alternative: a run folder with its resolved model
    ...                            file; summary.json's "alternative" says what it is
    OUT/alternatives.nc            every alternative's figures along ``alternative``

Stages: the least-cost plan; then every minimum and maximum and the first SPORES point
(in parallel); then the later SPORES points one by one (each needs the ones before).
:mod:`planner.alternatives_folder` reads the folder back and re-checks it.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from planner import aggregates as A
from planner import sweep as sw
from planner.alternatives_folder import (
    ALTERNATIVES_FILE,
    LEAST_COST_ID,
    assemble_alternatives,
    read_case,
)
from planner.errors import InputError, OutputError, Problem
from planner.model_file import ModelFile, load_model, resolved_yaml
from planner.outputs import ALTERNATIVES_MODE, SWEEP_FORMAT, SWEEP_MANIFEST, check_sweep_out

log = logging.getLogger(__name__)

DEFAULT_OBJECTIVES = ("west_share", "emissions")
DEFAULT_SLACK = 0.01
DINKELBACH_MAX_STEPS = 8
"""Most MILPs of Dinkelbach's method for one share; it usually ends after 2 or 3."""
HIGHS_ABS_GAP = 1e-6
"""HiGHS's default ``mip_abs_gap`` [objective units], restored for every MILP."""
SHARE_ABS_GAP = 1e-8
"""A share within this of its bound is proven optimal however small it is [1]."""

Executor = Literal["serial", "pool", "dask"]


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    """One alternative: the least-cost plan, a minimum or maximum, or a SPORES point."""

    index: int
    kind: Literal["least_cost", "min", "max", "spores"]
    key: str = ""  # the aggregate of a minimum or maximum
    point: int = 0  # the SPORES point, from 1

    @property
    def case_id(self) -> str:
        if self.kind == "least_cost":
            return LEAST_COST_ID
        if self.kind == "spores":
            return f"{self.index:04d}-spores-{self.point}"
        return f"{self.index:04d}-{self.kind}-{self.key.replace('.', '_')}"

    @property
    def label(self) -> str:
        if self.kind == "least_cost":
            return "least cost"
        if self.kind == "spores":
            return f"SPORES {self.point}"
        return f"{self.kind} {self.key}"

    def case(self, overrides: Sequence[str]) -> sw.Case:
        return sw.Case(self.index, self.case_id, (("alternative", self.label),), tuple(overrides))


def alternative_specs(objectives: Sequence[str], points: int) -> list[Spec]:
    """The least-cost plan, each objective's minimum and maximum, then the SPORES points."""
    specs = [Spec(0, "least_cost")]
    for key in objectives:
        for kind in ("min", "max"):
            specs.append(Spec(len(specs), kind, key))
    for p in range(1, points + 1):
        specs.append(Spec(len(specs), "spores", point=p))
    return specs


def objective_keys(hubs: Sequence[str] | None = None) -> list[str]:
    """The valid ``--objective`` keys (with ``hubs``, the per-hub ones spelt out)."""
    if hubs is None:
        return [*(a.key for a in A.NATIONAL), *(f"{m}.<hub>" for m in A.HUB_MEASURES)]
    return list(A.catalogue(hubs))


def check_objectives(objectives: Sequence[str], hubs: Sequence[str] | None) -> list[str]:
    """The objective keys, deduplicated in order; one :class:`InputError` naming every
    unknown key, with the nearest valid keys and the list of valid ones.

    ``hubs`` are the model's national hubs; None accepts any ``<measure>.<hub>`` key by
    its form (the hubs are checked once the least-cost plan is known).
    """
    known = A.catalogue(hubs or ())
    out: list[str] = []
    problems = []
    for raw in objectives:
        key = raw.strip()
        measure, dot, hub = key.partition(".")
        if key in known or (hubs is None and dot and hub and measure in A.HUB_MEASURES):
            if key not in out:
                out.append(key)
            continue
        near = difflib.get_close_matches(key, list(known), n=3)
        hint = f" (did you mean {' or '.join(near)}?)" if near else ""
        where = f", where <hub> is one of {', '.join(hubs)}" if hubs else ""
        problems.append(
            Problem(
                "--objective",
                None,
                None,
                f"{raw} is not an aggregate of the plan{hint}. Give one of: "
                f"{', '.join(objective_keys())}{where}",
            )
        )
    if problems:
        raise InputError(problems)
    return out


# --------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class AlternativeTask(sw.CaseTask):
    """A sweep task with what the alternative optimises (``spec``, JSON) and the
    least-cost plan it starts from (``anchor``: its results without the hourly ones)."""

    spec: str = ""
    anchor: xr.Dataset | None = field(default=None, compare=False, repr=False)


def anchor_of(results: xr.Dataset) -> xr.Dataset:
    """What an alternative needs of the least-cost results: every variable without a time
    step (the build decisions and the shortfalls among them), small enough to send."""
    return results[[n for n, da in results.data_vars.items() if "timestep" not in da.dims]]


def _anchor_value(anchor: xr.Dataset, var: Any) -> float:
    """A Pyomo variable's value in the anchor: its results variable has the same name and
    its dims in the order of the variable's index (:mod:`planner.results.extract`)."""
    index = var.index()
    key = index if isinstance(index, tuple) else (index,)
    da = anchor[var.parent_component().name]
    return float(da.sel(dict(zip(da.dims, key, strict=True))))


@dataclass(frozen=True)
class Optimum:
    """What :meth:`NearOptimal.optimise` found for ``min s k e``.

    ``value`` and ``bound`` are in the units of the expression :math:`e`: the plan's value
    and HiGHS's proven bound on the best value (below it for a minimum, above it for a
    maximum); ``gap`` the relative distance between them (:func:`relative_gap`).
    """

    status: str
    value: float | None
    bound: float | None
    gap: float | None
    highs_time_s: float
    message: str


def relative_gap(value: float | None, bound: float | None, abs_tol: float) -> float | None:
    """``|value - bound| / |value|``, or 0 when they are within ``abs_tol`` (HiGHS's
    absolute gap, where a relative one means nothing: an aggregate of 0)."""
    if value is None or bound is None or not math.isfinite(bound):
        return None
    distance = abs(value - bound)
    if distance <= abs_tol:
        return 0.0
    return distance / abs(value) if value else math.inf


class NearOptimal:
    """The planning model around one least-cost plan, with the alternatives' rows.

    Built once (:func:`planner.formulation.build.build_model`, then
    :func:`~planner.formulation.alternatives.add_cost_slack` at ``cost_limit_cny`` and
    :func:`~planner.formulation.alternatives.hold` at the anchor's shortfalls) and
    compiled for HiGHS once; each objective after the first is re-read into the same
    HiGHS instance (:meth:`planner.solve.highs.CompiledModel.update`). A worker keeps the
    last one (:func:`near_optimal`), so the alternatives it solves one after another, and
    every step of Dinkelbach's method, share the build and the compile.
    """

    def __init__(
        self, sliced: xr.Dataset, model: ModelFile, anchor: xr.Dataset, cost_limit_cny: float
    ):
        import pyomo.environ as pyo

        from planner.formulation import alternatives as F
        from planner.formulation.build import FormulationOptions, build_model

        t0 = time.perf_counter()
        self.sliced = sliced
        self.model = model
        m = build_model(sliced, FormulationOptions.from_model_file(model))
        self.scale_cny = m.planner_data.objective_scale_cny
        F.add_cost_slack(m, cost_limit_cny / self.scale_cny)
        F.hold(m, lambda v: _anchor_value(anchor, v))
        self.m = m
        self._anchor_integers = {
            id(v): round(_anchor_value(anchor, v))
            for v in m.component_data_objects(pyo.Var)
            if v.is_integer() and not v.fixed
        }
        self.compiled: Any = None
        self.build_s = time.perf_counter() - t0
        self.solved = 0  # alternatives solved on it so far

    # -- the plan ------------------------------------------------------------------------

    def cost_cny(self) -> float:
        """The discounted cost of the plan loaded in the model [CNY]."""
        import pyomo.environ as pyo

        return float(pyo.value(self.m.total_cost.expr)) * self.scale_cny

    def integers(self) -> np.ndarray:
        """The integer columns' whole values in the plan HiGHS holds now."""
        return np.round(self.compiled.column_values()[self.compiled.integer_cols])

    def anchor_integers(self) -> np.ndarray:
        """The integer columns' values in the least-cost plan (compile first)."""
        c = self.compiled
        return np.array([self._anchor_integers[id(c.columns[i])] for i in c.integer_cols], float)

    # -- solving -------------------------------------------------------------------------

    def set_objective(self, expr: Any, sense: int, scale: float | None = None) -> float:
        """Make ``min sense * k * expr`` the objective (in Pyomo and in HiGHS); return k."""
        from planner.formulation import alternatives as F
        from planner.solve.highs import CompiledModel, ShapeChanged

        k = F.set_objective(self.m, expr, sense, scale)
        if self.compiled is not None:
            try:
                self.compiled.update([])
                return k
            except ShapeChanged as exc:
                log.info("compiling the alternatives model again (%s)", exc)
        self.compiled = CompiledModel(self.m, 1.0)
        return k

    def _fixed(self, x: np.ndarray, time_limit_s: float) -> tuple[np.ndarray | None, float | None]:
        """Column values and objective of the LP with the integers fixed at ``x`` (None if
        it has no optimum)."""
        from planner.solve import SolveStatus

        c = self.compiled
        ints = c.integer_cols
        x = np.clip(x, c.col_lower[ints], c.col_upper[ints])
        solver = self.model.solver
        c.set_integrality(ints, False)
        c.set_bounds(ints, x, x)
        try:
            lp = c.run(time_limit_s=time_limit_s, mip_gap=0.0, threads=solver.threads)
            if lp.status != SolveStatus.optimal:
                return None, None
            return c.column_values(), lp.objective_cny
        finally:
            c.restore()

    def relaxed(self, expr: Any, sense: int, time_limit_s: float) -> float | None:
        """The best value of ``expr`` over the LP relaxation (integers continuous), its
        plan loaded into the model; None if the LP has no optimum."""
        from planner.solve import SolveStatus

        k = self.set_objective(expr, sense)
        c = self.compiled
        c.set_integrality(c.integer_cols, False)
        try:
            lp = c.run(time_limit_s=time_limit_s, mip_gap=0.0, threads=self.model.solver.threads)
            if lp.status != SolveStatus.optimal:
                return None
            c.load(c.column_values())
        finally:
            c.restore()
        return lp.objective_cny / (sense * k)

    def optimise(
        self,
        expr: Any,
        sense: int,
        *,
        time_limit_s: float,
        start: np.ndarray | None = None,
        abs_gap: float | None = None,
        accept: float | None = None,
    ) -> Optimum:
        r"""Minimise (``sense`` +1) or maximise (-1) ``expr``; load the plan into the model.

        The objective is :math:`\min s k e` (``set_objective`` of the formulation), solved
        as :func:`planner.solve.solve` solves the least-cost MILP, from a known plan:

        1. the start: the LP with the integers fixed at ``start`` (the least-cost plan's by
           default), a feasible plan of every alternative;
        2. the LP relaxation (from HiGHS's last basis), whose optimum bounds the MILP,
           rounded to the lattice of the objective's values when it has one
           (:meth:`~planner.solve.highs.CompiledModel.objective_step`: a count of racks
           moves in whole modules), then a plan from it by diving
           (:func:`planner.solve.strategy.dive`);
        3. when the better plan is within the gap of that bound, the MILP is solved at the
           root, as branch and bound would stop there; otherwise HiGHS's branch and bound,
           started from it, runs until its plan is within the gap of its bound or of the
           root's (HiGHS's ``objective_target``).

        The gap is the model file's ``solver.mip_gap`` (relative), or ``abs_gap`` [units
        of ``expr``] when that is met first (by default HiGHS's absolute gap). ``accept``
        [units of ``expr``] ends the search at any plan at least that good, for a caller
        that holds a bound of its own (a share, :func:`optimise_share`). The plan's
        integers are whole numbers: a plan from branch and bound is solved once more with
        them fixed at whole numbers.
        """
        import highspy

        from planner.solve import SolveStatus
        from planner.solve.strategy import dive

        t0 = time.perf_counter()
        k = self.set_objective(expr, sense)
        c = self.compiled
        ints = c.integer_cols
        highs_before = c.highs_time_s
        solver = self.model.solver
        gap = solver.mip_gap
        abs_tol = HIGHS_ABS_GAP if abs_gap is None else max(abs_gap * k, HIGHS_ABS_GAP)
        lattice = c.objective_step()

        def remaining() -> float:
            return max(time_limit_s - (time.perf_counter() - t0), 1.0)

        def rounded(bound: float | None) -> float | None:
            if bound is None or lattice is None:
                return bound
            step, offset = lattice
            return offset + step * math.ceil((bound - offset) / step - 1e-9)

        def target(bound: float | None) -> float:
            """The worst objective within the gap of ``bound`` (the scaled minimum)."""
            goal = -math.inf if accept is None else sense * k * accept
            if bound is None:
                return goal
            within = bound / (1 - gap) if bound >= 0 else bound / (1 + gap)
            return max(goal, bound + abs_tol, within)

        x0 = self.anchor_integers() if start is None else start
        values, objective = self._fixed(x0, remaining())
        bound = None
        c.set_integrality(ints, False)
        try:
            relaxed = c.run(time_limit_s=remaining(), mip_gap=0.0, threads=solver.threads)
            if relaxed.status == SolveStatus.optimal:
                bound = rounded(relaxed.objective_cny)
                dived = dive(c, ints, lambda: time_limit_s - (time.perf_counter() - t0),
                             solver.threads, False)  # fmt: skip
                if dived is not None and (objective is None or dived.objective_cny < objective):
                    values, objective = c.column_values(), dived.objective_cny
        finally:
            c.restore()
        log.debug("alternative root: bound %s, plan %s, %.1f s", bound, objective,
                  time.perf_counter() - t0)  # fmt: skip
        message = "Optimal (gap closed at the root: the LP relaxation bound and a plan)"
        status = SolveStatus.optimal
        if values is None or objective > target(bound):
            if values is not None:
                solution = highspy.HighsSolution()
                solution.col_value = values.tolist()
                solution.value_valid = True
                c.highs.setSolution(solution)
            c.highs.setOptionValue("mip_abs_gap", float(abs_tol))
            c.highs.setOptionValue("objective_target", float(target(bound)))
            try:
                result = c.run(
                    time_limit_s=remaining(), mip_gap=gap, threads=solver.threads, log=solver.log
                )
            finally:
                c.highs.setOptionValue("mip_abs_gap", HIGHS_ABS_GAP)
                c.highs.setOptionValue("objective_target", -math.inf)
            status, message = result.status, result.message
            if result.bound is not None and math.isfinite(result.bound):
                highs_bound = rounded(result.bound)
                bound = highs_bound if bound is None else max(bound, highs_bound)
            if result.has_solution:
                values, objective = self._fixed(self.integers(), remaining())
                if values is None:  # keep HiGHS's own values (whole within its tolerance)
                    values, objective = c.column_values(), result.objective_cny
            if values is not None and objective <= target(bound) and accept is None:
                status = SolveStatus.optimal  # within the gap of the best bound known
        value = None
        if values is not None:
            c.load(values)
            value = objective / (sense * k)
        elif status == SolveStatus.optimal:
            status = SolveStatus.error
        bound_value = bound / (sense * k) if bound is not None else None
        return Optimum(
            status=str(status),
            value=value,
            bound=bound_value,
            gap=relative_gap(value, bound_value, abs_tol / k),
            highs_time_s=c.highs_time_s - highs_before,
            message=message,
        )


# One per worker process: the alternatives model of the last least-cost plan.
_NEAR: tuple[str, NearOptimal] | None = None


def near_optimal(
    model: ModelFile,
    data_dir: Path,
    anchor: xr.Dataset,
    cost_limit_cny: float,
    *,
    anchor_id: str,
    reuse: bool = True,
) -> NearOptimal:
    """The :class:`NearOptimal` model of this case: this process's last one when it is
    of the same model file, data, least-cost plan (``anchor_id``) and cost limit."""
    global _NEAR
    from planner.session import data_fingerprint

    key = hashlib.sha256(
        "\n".join(
            (resolved_yaml(model), data_fingerprint(data_dir), anchor_id, repr(cost_limit_cny))
        ).encode("utf-8")
    ).hexdigest()
    if reuse and _NEAR is not None and _NEAR[0] == key:
        return _NEAR[1]
    _NEAR = None  # drop the last model before building the next
    sliced, _full = sw.worker_session(reuse=reuse).inputs(model, data_dir)
    near = NearOptimal(sliced, model, anchor, cost_limit_cny)
    if reuse:
        _NEAR = (key, near)
    return near


def _linear_value(expr: Any, values: Mapping[int, float]) -> float:
    """A linear expression's value with its variables at ``values`` (by ``id``)."""
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(expr, compute_values=True)
    total = float(repn.constant or 0.0)
    for coef, v in zip(repn.linear_coefs, repn.linear_vars, strict=True):
        total += float(coef) * float(values[id(v)])
    return total


def optimise_share(
    near: NearOptimal, num: Any, den: Any, sense: int, *, time_limit_s: float
) -> tuple[Optimum, list[dict[str, Any]]]:
    r"""Minimise (``sense`` +1) or maximise (-1) the share :math:`N(x)/D(x)`, :math:`D > 0`.

    A maximum (a minimum likewise, inequalities reversed):

    1. the share's bound: the best share over the LP relaxation, by Dinkelbach's method on
       the LP (:math:`\lambda \leftarrow N/D` at the optimum of :math:`\max N - \lambda D`,
       exact in a few warm LPs); with :math:`F(\lambda)` the last LP's optimum and
       :math:`D_{lo} > 0` the least :math:`D` over the relaxation,
       :math:`ar s = \lambda + F(\lambda) / D_{lo}` bounds every plan's share;
    2. a step at the share :math:`g = ar s / (1 + \gamma)` that would prove the gap
       :math:`\gamma` (the model's ``solver.mip_gap``): :math:`\max N - g D` by
       :meth:`NearOptimal.optimise`, from the best plan so far, ending at any plan with
       :math:`N - g D \ge 0` (its share is at least :math:`g`: proven) or at HiGHS's proof
       of a bound :math:`B \ge \max N - g D`, which bounds every share by
       :math:`g + B / D_{lo}` (for :math:`B \ge 0`; :math:`g` and below otherwise);
    3. step 2 again with the tighter bound, until the best share is within :math:`\gamma`
       of the bound, :data:`DINKELBACH_MAX_STEPS` steps or the time limit.

    Shares are clipped to [0, 1]. The best plan is loaded into the model; the returned
    :class:`Optimum` is in share units, with the bound above.
    """
    import pyomo.environ as pyo

    t0 = time.perf_counter()
    gap_target = near.model.solver.mip_gap

    def remaining() -> float:
        return max(time_limit_s - (time.perf_counter() - t0), 1.0)

    def share_now() -> float:
        d = float(pyo.value(den))
        return float(pyo.value(num)) / d if d > 0 else math.nan

    def clip(share: float) -> float:
        return min(max(share, 0.0), 1.0)

    d_lo = near.relaxed(den, 1, remaining())
    d_hi = near.relaxed(den, -1, remaining())
    near.set_objective(num, sense)  # compiled: its integer columns are known
    columns = near.compiled.columns
    start = near.anchor_integers()
    at_start = {id(columns[c]): x for c, x in zip(near.compiled.integer_cols, start, strict=True)}
    best = _linear_value(num, at_start) / max(_linear_value(den, at_start), 1e-12)
    best_columns = None
    steps: list[dict[str, Any]] = []
    highs_before = near.compiled.highs_time_s

    # 1. The LP relaxation's best share bounds every plan's.
    share_bound = 1.0 if sense < 0 else 0.0  # a share lies in [0, 1]
    if d_lo is not None and d_lo > 0 and d_hi is not None:
        lam = best
        for _ in range(2 * DINKELBACH_MAX_STEPS):
            f = near.relaxed(num - lam * den, sense, remaining())
            if f is None:
                break
            bound = lam + _over_d(f, sense, d_lo, d_hi)
            share_bound = clip(min(share_bound, bound) if sense < 0 else max(share_bound, bound))
            at_lp = share_now()
            if not math.isfinite(at_lp) or sense * (at_lp - lam) >= -1e-12:
                break  # lam is the LP's own best share
            lam = at_lp
    steps.append({"lp_share_bound": share_bound, "d_lo": d_lo, "least_cost_share": best})

    # 2-3. Steps that aim at a share proving the gap.
    status, message, gap = "error", "", relative_gap(best, share_bound, SHARE_ABS_GAP)
    last_goal = None
    for _ in range(DINKELBACH_MAX_STEPS):
        if best_columns is not None and gap is not None and gap <= gap_target:
            break
        goal = share_bound / (1 + gap_target) if sense < 0 else share_bound / (1 - gap_target)
        goal = clip(goal)
        abs_gap = gap_target * goal * d_lo if d_lo and d_lo > 0 and goal > 0 else None
        opt = near.optimise(
            num - goal * den, sense, time_limit_s=remaining(), start=start, abs_gap=abs_gap,
            accept=0.0,
        )  # fmt: skip
        status, message = opt.status, opt.message
        if opt.value is None:
            break
        share = share_now()
        if best_columns is None or sense * share <= sense * best:
            best, best_columns, start = share, near.compiled.column_values(), near.integers()
        if opt.bound is not None and d_lo and d_lo > 0 and d_hi:
            step_bound = goal + _over_d(opt.bound, sense, d_lo, d_hi)
            share_bound = clip(min(share_bound, step_bound) if sense < 0
                               else max(share_bound, step_bound))  # fmt: skip
        # A bound past the best plan is HiGHS's tolerances (1e-6 on integrality), no more.
        share_bound = max(share_bound, best) if sense < 0 else min(share_bound, best)
        gap = relative_gap(best, share_bound, SHARE_ABS_GAP)
        steps.append(
            {"goal": goal, "share": share, "share_bound": share_bound, "gap": gap,
             "status": opt.status, "highs_time_s": opt.highs_time_s}
        )  # fmt: skip
        if time.perf_counter() - t0 >= time_limit_s or goal == last_goal:
            break
        last_goal = goal
    highs_s = near.compiled.highs_time_s - highs_before
    if best_columns is None:
        return Optimum(status, None, None, None, highs_s, message), steps
    near.compiled.load(best_columns)
    if gap is not None and gap <= gap_target:
        status = "optimal"
        message = f"Optimal (the share within {gap:.3g} of its bound, in {len(steps) - 1} steps)"
    elif status == "optimal":
        status = "feasible"  # the steps ran out before the share was proven
    return Optimum(status, best, share_bound, gap, highs_s, message), steps


def _over_d(bound: float, sense: int, d_lo: float, d_hi: float) -> float:
    """The most :math:`B / D` can add to a share's bound for :math:`D` in [d_lo, d_hi]:
    ``bound`` :math:`B` bounds :math:`N - \\lambda D` above (``sense`` -1) or below (+1)."""
    if sense < 0:
        return bound / (d_lo if bound >= 0 else d_hi)
    return bound / (d_lo if bound <= 0 else d_hi)


def solve_alternative(
    near: NearOptimal, spec: Mapping[str, Any], *, timings: dict[str, float] | None = None
) -> Any:
    """Solve one alternative on ``near``; a :class:`planner.run.Run` of its plan.

    ``spec``: ``kind`` (``min``, ``max`` or ``spores``), ``key`` (the aggregate),
    ``slack``, ``least_cost_cny``, ``cost_limit_cny``, and for SPORES ``point``,
    ``weights`` and ``scales``. The run's summary holds the plan's discounted cost as
    ``objective_cny`` (what every run folder holds there), the alternative's proof as
    ``status`` and ``mip_gap``, and the alternative in ``summary["alternative"]``: the
    optimised value and its bound, and Dinkelbach's steps for a share. Marginal costs are
    not computed: an alternative's duals price its aggregate, not cost.
    """
    from planner.formulation import alternatives as F
    from planner.results import assemble_results, summarise
    from planner.results.extract import extract_solution
    from planner.run import Run
    from planner.solve import SOLVER_NAME, SOLVER_VERSION, SolveResult, SolveStatus

    timings = dict(timings or {})
    t0 = time.perf_counter()
    limit_s = near.model.solver.time_limit_s
    kind = spec["kind"]
    info: dict[str, Any] = {
        "kind": kind,
        "key": spec.get("key", ""),
        "slack": spec["slack"],
        "least_cost_cny": spec["least_cost_cny"],
        "cost_limit_cny": spec["cost_limit_cny"],
    }
    if kind in ("min", "max"):
        sense = 1 if kind == "min" else -1
        num, den = F.aggregate_terms(near.m, near.sliced, spec["key"])
        if den is None:
            opt = near.optimise(num, sense, time_limit_s=limit_s)
        else:
            opt, steps = optimise_share(near, num, den, sense, time_limit_s=limit_s)
            info["dinkelbach"] = steps
    elif kind == "spores":
        items = F.capacity_items(near.m)
        expr = F.spores_objective(items, spec["weights"], spec["scales"])
        if isinstance(expr, float):  # no plan built anything: least capacity, unweighted
            expr = F.spores_objective(items, dict.fromkeys(items, 1.0), spec["scales"])
        opt = near.optimise(expr, 1, time_limit_s=limit_s)
        info["point"] = spec["point"]
    else:
        raise ValueError(f"unknown alternative kind {kind!r}")
    timings["build"] = 0.0 if near.solved else near.build_s  # built once per process
    near.solved += 1
    timings["solve"] = time.perf_counter() - t0
    timings["highs"] = opt.highs_time_s
    info.update(value=opt.value, bound=opt.bound, mip_gap=opt.gap, status=opt.status)

    t1 = time.perf_counter()
    solution, cost = None, None
    if opt.value is not None:
        solution = extract_solution(near.m, near.sliced)
        cost = near.cost_cny()
    timings["extract"] = time.perf_counter() - t1
    results = assemble_results(near.sliced, solution)
    result = SolveResult(
        SolveStatus(opt.status), cost, opt.gap, None, timings["solve"], SOLVER_NAME,
        SOLVER_VERSION, opt.message, opt.highs_time_s,
    )  # fmt: skip
    summary = summarise(results, near.model, result, {}, timings)
    summary["alternative"] = info
    return Run(model=near.model, results=results, summary=summary, timings_s=timings)


def run_alternative(task: AlternativeTask) -> dict[str, Any]:
    """Solve one alternative; its outcome as :func:`planner.sweep.run_case` returns one."""

    def solve(model: ModelFile, data_dir: Path) -> Any:
        if task.anchor is None:
            raise ValueError("an alternative needs the least-cost plan (anchor)")
        spec = json.loads(task.spec)
        t0 = time.perf_counter()
        near = near_optimal(
            model,
            data_dir,
            task.anchor,
            float(spec["cost_limit_cny"]),
            anchor_id=str(spec.get("least_cost_case", "")),
            reuse=task.reuse,
        )
        return solve_alternative(near, spec, timings={"load_and_build": time.perf_counter() - t0})

    return sw.case_outcome(task, solve)


# --------------------------------------------------------------------------- SPORES


def spores_weights(plans: Sequence[xr.Dataset]) -> tuple[dict[str, float], dict[str, float]]:
    """Weights and scales of the next SPORES point from the plans before it.

    ``plans[0]`` is the least-cost plan. Relative deployment (Lombardi et al. 2020): each
    plan adds to an item's weight its capacity over the largest item of its kind in that
    plan, so what earlier plans used most costs most. ``scales`` are the largest item of
    each kind in the least-cost plan (1 if none), which makes racks and MW commensurate.
    """
    values = [A.capacity_values(ds) for ds in plans]
    scales = {}
    for kind in A.CAPACITY_KINDS:
        largest = max((v for k, v in values[0].items() if k.startswith(kind + "/")), default=0.0)
        scales[kind] = largest if largest > 1e-9 else 1.0
    weights: dict[str, float] = {}
    for plan in values:
        for kind in A.CAPACITY_KINDS:
            items = {k: v for k, v in plan.items() if k.startswith(kind + "/")}
            largest = max(items.values(), default=0.0)
            if largest <= 1e-9:
                continue
            for k, v in items.items():
                weights[k] = weights.get(k, 0.0) + max(v, 0.0) / largest
    return {k: round(w, 9) for k, w in sorted(weights.items())}, scales


# --------------------------------------------------------------------------- running


def check_alternatives_out(path: Path | str) -> None:
    """An alternatives folder may be new, empty, or an earlier alternatives folder."""
    check_sweep_out(path, alternatives=True)


@dataclass
class _Context:
    out: Path
    store: sw.CaseStore
    model_yaml: str
    data_dir: Path
    data_fp: str
    overrides: tuple[str, ...]
    executor: Executor
    workers: int | None
    scheduler: str | None
    reuse: bool
    retry_failed: bool
    progress: sw.SweepProgress | None


def run_alternatives(
    model_path: Path | str,
    out_dir: Path | str,
    *,
    slack: float = DEFAULT_SLACK,
    objectives: Sequence[str] = DEFAULT_OBJECTIVES,
    points: int = 0,
    base_overrides: Sequence[str] = (),
    threads: int | None = 1,
    executor: Executor = "pool",
    workers: int | None = None,
    scheduler: str | None = None,
    reuse: bool = True,
    retry_failed: bool = False,
    progress: sw.SweepProgress | None = None,
) -> xr.Dataset:
    """Solve the least-cost plan, then every alternative not finished yet; write
    ``OUT/alternatives.nc`` and return it
    (:func:`planner.alternatives_folder.assemble_alternatives`).

    Parameters
    ----------
    slack
        Cost slack [1]: every alternative costs at most ``(1 + slack)`` x the least cost.
    objectives
        Aggregates to minimise and maximise (:func:`check_objectives`).
    points
        SPORES points after the least-cost plan.
    base_overrides, threads
        ``--set`` texts for every solve; ``solver.threads`` of each solve.
    executor, workers, scheduler, reuse, retry_failed, progress
        As :func:`planner.sweep.run_sweep`.

    Raises
    ------
    InputError
        On bad input, before anything is solved.
    RuntimeError
        If the least-cost plan does not solve.
    """
    problems = []
    if not (math.isfinite(slack) and 0.0 <= float(slack) <= 1.0):
        problems.append(Problem("--slack", None, None, f"{slack}: give a fraction in [0, 1]"))
    if points < 0:
        problems.append(Problem("--points", None, None, f"{points}: give 0 or more points"))
    if not objectives and not points:
        problems.append(Problem("--objective", None, None, "give an objective or --points"))
    if problems:
        raise InputError(problems)
    out = Path(out_dir)
    check_alternatives_out(out)
    overrides = (*base_overrides, *([f"solver.threads={threads}"] if threads is not None else []))
    labels = ["--set"] * len(base_overrides)
    labels += ["--threads"] * (len(overrides) - len(base_overrides))
    model, data_dir = load_model(model_path, list(overrides), labels=labels)
    keys = check_objectives(objectives, _hubs(data_dir))
    resolved = model.model_copy(update={"data_dir": str(data_dir)})
    specs = alternative_specs(keys, points)
    manifest = _manifest(Path(model_path), data_dir, overrides, specs, slack, keys, points)
    store = sw.CaseStore(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        store.clean_stale()
        sw.write_json(out / SWEEP_MANIFEST, manifest)
    except OSError as exc:
        what = "could not write the alternatives folder"
        raise OutputError.from_exception(out, what, exc) from exc
    ctx = _Context(
        out, store, resolved_yaml(resolved), data_dir, sw.data_fingerprint(data_dir),
        tuple(overrides), executor, workers, scheduler, reuse, retry_failed, progress,
    )  # fmt: skip

    # Stage 1: the least-cost plan, as `planner solve` solves it.
    least = specs[0]
    fp = sw.case_fingerprint(ctx.model_yaml, ctx.data_fp)
    task = sw.CaseTask(least.case_id, ctx.model_yaml, str(data_dir), ctx.data_fp, reuse)
    jobs = [] if _finished(ctx, least, fp) else [(least, task, fp)]
    _start(ctx, [least], [j[0] for j in jobs])
    _execute(ctx, jobs, sw.run_case)
    record = store.record(least.case_id)
    if not record or record.get("state") != "done":
        raise RuntimeError(
            f"The least-cost plan did not solve: {(record or {}).get('reason') or 'not run'}"
        )
    results, summary = read_case(store.path(least.case_id))
    check_objectives(keys, A.national_hubs(results))
    least_cost = float(summary["objective_cny"])
    base = {
        "slack": float(slack),
        "least_cost_cny": least_cost,
        "cost_limit_cny": (1.0 + float(slack)) * least_cost,
        "least_cost_case": str(record.get("fingerprint")),
    }
    anchor = anchor_of(results)

    def job(spec: Spec, extra: Mapping[str, Any]) -> tuple[Spec, AlternativeTask, str]:
        text = json.dumps({**base, "kind": spec.kind, "key": spec.key, **extra}, sort_keys=True)
        fingerprint = sw.case_fingerprint(f"{ctx.model_yaml}\n{text}", ctx.data_fp)
        t = AlternativeTask(
            spec.case_id, ctx.model_yaml, str(data_dir), ctx.data_fp, reuse, text, anchor
        )
        return spec, t, fingerprint

    # Stage 2: every minimum and maximum, and the first SPORES point (they need only the
    # least-cost plan), in parallel.
    spores = [s for s in specs if s.kind == "spores"]
    jobs = [job(s, {}) for s in specs if s.kind in ("min", "max")]
    if spores:
        weights, scales = spores_weights([results])
        jobs.append(job(spores[0], {"point": 1, "weights": weights, "scales": scales}))
    todo = [j for j in jobs if not _finished(ctx, j[0], j[2])]
    _start(ctx, specs[1:], [j[0] for j in todo] + [s for s in spores[1:] if not _done(ctx, s)])
    _execute(ctx, todo, run_alternative)

    # Stage 3: the later SPORES points, one after another.
    plans = [results]
    for spec in spores[1:]:
        before = spores[spec.point - 2]
        if not _done(ctx, before):
            outcome = sw.failed_outcome(
                spec.case_id,
                f"{before.label} did not solve, so this point has no plans to stay away from",
            )
            _commit(ctx, spec, outcome, fingerprint="")
            continue
        plans.append(read_case(store.path(before.case_id))[0])
        weights, scales = spores_weights(plans)
        point = job(spec, {"point": spec.point, "weights": weights, "scales": scales})
        if not _finished(ctx, spec, point[2]):
            _execute(ctx, [point], run_alternative)

    ds = assemble_alternatives(out)
    sw.write_dataset(ds, out / ALTERNATIVES_FILE)
    return ds


def _hubs(data_dir: Path) -> list[str] | None:
    """The national hubs of a data folder (``hubs.csv``), or None if it cannot be read
    (the least-cost solve then reports what is wrong with the data)."""
    import pandas as pd

    try:
        hubs = pd.read_csv(data_dir / "hubs.csv", dtype=str, comment=None)
        national = hubs["is_national_hub"].str.strip().str.lower() == "true"
        return [str(h).strip() for h in hubs.loc[national, "hub"]]
    except (OSError, ValueError, KeyError):
        return None


def _finished(ctx: _Context, spec: Spec, fingerprint: str) -> bool:
    return ctx.store.finished(spec.case_id, fingerprint, retry_failed=ctx.retry_failed)


def _done(ctx: _Context, spec: Spec) -> bool:
    record = ctx.store.record(spec.case_id)
    return bool(record) and record.get("state") == "done"


def _start(ctx: _Context, stage: Sequence[Spec], todo: Sequence[Spec]) -> None:
    """Tell the progress bar what this stage runs, and what it keeps from before."""
    if ctx.progress and ctx.progress.on_start:
        ids = {s.case_id for s in todo}
        before = [ctx.store.record(s.case_id) for s in stage if s.case_id not in ids]
        failed = sum(1 for r in before if r and r.get("state") == "failed")
        ctx.progress.on_start(len(todo), len(before) - failed, failed)


def _execute(
    ctx: _Context, jobs: Sequence[tuple[Spec, sw.CaseTask, str]], case_fn: sw.CaseFn
) -> None:
    """Run ``jobs`` on the chosen executor (:func:`planner.sweep.iter_outcomes`) and
    commit each as it finishes. One job runs in this process unless on Dask: a pool of
    one process would only add its start-up, and this process keeps its inputs and
    model for the next stage."""
    if not jobs:
        return
    tasks = [task for _spec, task, _fp in jobs]
    by_id = {task.case_id: (spec, fp) for spec, task, fp in jobs}
    executor = ctx.executor if ctx.executor == "dask" or len(tasks) > 1 else "serial"
    outcomes = sw.iter_outcomes(
        tasks,
        case_fn,
        executor=executor,
        workers=ctx.workers,
        scheduler=ctx.scheduler,
        data_dir=ctx.data_dir,
    )
    with contextlib.closing(outcomes):
        for task, outcome in outcomes:
            spec, fp = by_id[task.case_id]
            _commit(ctx, spec, outcome, fingerprint=fp)


def _commit(ctx: _Context, spec: Spec, outcome: dict[str, Any], *, fingerprint: str) -> None:
    case = spec.case(ctx.overrides)
    sw.commit_outcome(ctx.store, case, outcome, model_yaml=ctx.model_yaml, fingerprint=fingerprint)
    if ctx.progress and ctx.progress.on_case:
        ctx.progress.on_case(case, outcome)


def _manifest(
    model_path: Path,
    data_dir: Path,
    overrides: Sequence[str],
    specs: Sequence[Spec],
    slack: float,
    objectives: Sequence[str],
    points: int,
) -> dict[str, Any]:
    return {
        "format": SWEEP_FORMAT,
        "model": str(model_path.resolve()),
        "data_dir": str(data_dir),
        "mode": ALTERNATIVES_MODE,
        "keys": [],
        "base_overrides": list(overrides),
        "cases": [{"case_id": s.case_id, "index": s.index, "varied": {}} for s in specs],
        "extra_coords": {
            "kind": [s.kind for s in specs],
            "objective": [s.key for s in specs],
            "label": [s.label for s in specs],
            "point": [s.point for s in specs],
        },
        "alternatives": {"slack": slack, "objectives": list(objectives), "points": points},
    }
