"""Near-optimal alternatives: how much freedom the least cost leaves (``planner alternatives``).

Modelling to generate alternatives (MGA) on the planning model itself. With the total
discounted cost held within ``slack`` of the least cost, each named aggregate of the plan
(:data:`planner.formulation.alternatives.AGGREGATES`: racks or compute in the western or
eastern hubs or in one hub, the western share of new racks, emissions, solar and wind
built, grid energy, intelligent racks in the west) is minimised and maximised, and a
SPORES sequence of ``points`` plans is traced that stay away from what earlier plans
used, so the spread is explored and not only its ends::

    ds = run_alternatives("models/national_2025.yaml", "runs/alt", slack=0.01,
                          objectives=["west_share", "emissions"], points=2)
    alternatives_table(ds)       # one row per alternative

Every alternative is a MILP on the Pyomo model the builder made, with the rows of
:mod:`planner.formulation.alternatives` added (the cost slack on the objective's own
expression; the targets held as the least-cost plan meets them; the alternative's
objective). Build modules stay integer: each alternative is solved by HiGHS's branch and
bound, started from the least-cost plan (feasible for every alternative) and proven
within the model file's ``solver.mip_gap`` (:func:`solve_from`). A share (``west_share``)
is a ratio of two linear expressions; it is optimised exactly by Dinkelbach's method, a
short sequence of such MILPs (:func:`solve_alternative`).

The folder is a sweep's (:mod:`planner.sweep`: its case store, its executors on local
processes or a Dask cluster, resumable)::

    OUT/sweep.json                 what was asked (mode "alternatives")
    OUT/cases/0000-least-cost/     the least-cost plan: a run folder, as `planner solve`
    OUT/cases/0001-min-west_share/ each alternative: a run folder with its resolved model
    ...                            file; summary.json's "alternative" says what it is
    OUT/alternatives.nc            every alternative's figures along ``alternative``

Stages: the least-cost plan; then every minimum and maximum and the first SPORES point
(in parallel); then the later SPORES points one by one (each needs the ones before).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import os
import socket
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from planner import sweep as sw
from planner.errors import InputError, OutputError, Problem
from planner.formulation import alternatives as F
from planner.model_file import ModelFile, load_model, parse_model, resolved_yaml
from planner.outputs import SWEEP_MANIFEST, check_sweep_out
from planner.results.summary import BINDING_TOL_FRAC, binding_limits, has_plan

log = logging.getLogger(__name__)

MODE = "alternatives"
ALTERNATIVES_FILE = "alternatives.nc"
DEFAULT_OBJECTIVES = ("west_share", "emissions")
DEFAULT_SLACK = 0.01
LEAST_COST_ID = "0000-least-cost"
DINKELBACH_MAX_STEPS = 8
"""Most MILPs of Dinkelbach's method for one share; it usually stops after 2-4."""


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


def check_objectives(objectives: Sequence[str], hubs: Sequence[str] | None = None) -> list[str]:
    """The objective keys, deduplicated in order; InputError naming every unknown one.

    Without ``hubs`` the per-hub keys (``racks.<hub>``, ``eflops.<hub>``) are accepted
    by form only (the hubs are checked once the least-cost plan is known).
    """
    known = F.aggregates(hubs or ())
    out: list[str] = []
    problems = []
    for key in objectives:
        key = key.strip()
        if key in out:
            continue
        measure, dot, hub = key.partition(".")
        if key in known or (hubs is None and dot and measure in ("racks", "eflops") and hub):
            out.append(key)
            continue
        names = [*known, *(["racks.<hub>", "eflops.<hub>"] if hubs is None else [])]
        near = difflib.get_close_matches(key, names, n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        problems.append(
            Problem("--objective", None, key, f"is not an aggregate{hint}; give one of "
                    f"{', '.join(names)}")
        )  # fmt: skip
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
    """The least-cost results an alternative needs: every variable without a time step
    (the build decisions and the shortfalls among them), small enough to send."""
    keep = [n for n, da in results.data_vars.items() if "timestep" not in da.dims]
    return results[keep]


def _anchor_value(anchor: xr.Dataset, var: Any) -> float:
    """A Pyomo variable's value in the anchor (its results variable has the same name
    and its dims in the order of the variable's index)."""
    name = var.parent_component().name
    index = var.index()
    key = index if isinstance(index, tuple) else (index,)
    da = anchor[name]
    return float(da.sel(dict(zip(da.dims, key, strict=True))))


def _integer_start(m: Any, anchor: xr.Dataset) -> dict[tuple[str, Any], float]:
    import pyomo.environ as pyo

    return {
        (v.parent_component().name, v.index()): round(_anchor_value(anchor, v))
        for v in m.component_data_objects(pyo.Var)
        if v.is_integer()
    }


def _current_integers(m: Any) -> dict[tuple[str, Any], float]:
    import pyomo.environ as pyo

    return {
        (v.parent_component().name, v.index()): round(v.value or 0.0)
        for v in m.component_data_objects(pyo.Var)
        if v.is_integer()
    }


def solve_from(
    m: Any,
    start: Mapping[tuple[str, Any], float] | None,
    *,
    time_limit_s: float,
    mip_gap: float,
    threads: int = 1,
    log: Any = False,
    abs_gap: float | None = None,
) -> Any:
    """Solve ``m`` with HiGHS's branch and bound, started from the integers ``start``.

    ``start`` (values of the integer variables, keyed by component name and index) is
    completed to a full solution by the LP with those integers fixed; a feasible start
    is handed to HiGHS as its first incumbent. The least-cost plan is feasible for every
    alternative (its cost is the least cost, its shortfalls those held), which the
    strategy of :func:`planner.solve.solve` (round the LP relaxation up) does not
    guarantee under a cost cap. HiGHS then proves the optimum within ``mip_gap`` (and
    ``abs_gap``, in objective units, when given). The solution is loaded into ``m``.

    Returns the :class:`planner.solve.SolveResult`; its ``objective_cny`` is the
    alternative's (scaled) objective, not a cost.
    """
    import highspy

    from planner.solve import SolveStatus, compile_model

    t0 = time.perf_counter()
    compiled = compile_model(m)
    ints = compiled.integer_cols

    def remaining() -> float:
        return max(time_limit_s - (time.perf_counter() - t0), 1.0)

    values = None
    if start is not None and len(ints):
        keys = [(compiled.columns[c].parent_component().name, compiled.columns[c].index())
                for c in ints]  # fmt: skip
        if all(k in start for k in keys):
            x = np.array([float(start[k]) for k in keys])
            x = np.clip(x, compiled.col_lower[ints], compiled.col_upper[ints])
            compiled.set_integrality(ints, False)
            compiled.set_bounds(ints, x, x)
            try:
                fixed = compiled.run(
                    time_limit_s=remaining(), mip_gap=0.0, threads=threads, log=log
                )
                if fixed.status == SolveStatus.optimal:
                    values = compiled.column_values()
            finally:
                compiled.restore()
    if values is not None:
        solution = highspy.HighsSolution()
        solution.col_value = values.tolist()
        solution.value_valid = True
        compiled.highs.setSolution(solution)
    if abs_gap is not None:
        compiled.highs.setOptionValue("mip_abs_gap", float(max(abs_gap, 1e-9)))
    result = compiled.run(time_limit_s=remaining(), mip_gap=mip_gap, threads=threads, log=log)
    if result.has_solution:
        compiled.load(compiled.column_values())
    return dataclasses.replace(
        result,
        solve_time_s=time.perf_counter() - t0,
        highs_time_s=compiled.highs_time_s,
        handle=compiled,
    )


def _linear_value(expr: Any, start: Mapping[tuple[str, Any], float]) -> float:
    """A linear expression's value at the integers ``start`` (it must use only them)."""
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(expr, compute_values=True)
    total = float(repn.constant or 0.0)
    for coef, v in zip(repn.linear_coefs, repn.linear_vars, strict=True):
        total += float(coef) * float(start[(v.parent_component().name, v.index())])
    return total


def solve_alternative(
    model: ModelFile,
    data_dir: Path,
    spec: Mapping[str, Any],
    anchor: xr.Dataset,
    *,
    reuse: bool = True,
) -> Any:
    """Build the model, add the alternative's rows and objective, solve; a :class:`Run`.

    ``spec``: ``kind`` (``min``, ``max`` or ``spores``), ``key`` (the aggregate),
    ``cost_limit_cny`` (``(1 + slack) x`` least cost), and for SPORES ``weights`` and
    ``scales``. The run's summary holds the plan's cost as ``objective_cny`` (what
    every run folder holds there) and the alternative in ``summary["alternative"]``:
    the aggregate's value, the MILP status and gap, and Dinkelbach's steps for a share.
    Marginal costs are not computed: an alternative's duals price its aggregate, not cost.
    """
    t0 = time.perf_counter()
    sliced = sw.sliced_inputs(model, data_dir, reuse=reuse)
    return alternative_of_inputs(
        sliced, model, spec, anchor, timings={"load": time.perf_counter() - t0}
    )


def alternative_of_inputs(
    sliced: xr.Dataset,
    model: ModelFile,
    spec: Mapping[str, Any],
    anchor: xr.Dataset,
    *,
    timings: dict[str, float] | None = None,
) -> Any:
    """:func:`solve_alternative` on time-sliced inputs already prepared (tests build
    them in code); ``model`` gives the formulation and solver options."""
    import pyomo.environ as pyo

    from planner.formulation.build import FormulationOptions, build_model
    from planner.results import assemble_results, summarise
    from planner.results.extract import extract_solution
    from planner.run import Run

    timings = dict(timings or {})
    t1 = time.perf_counter()
    m = build_model(sliced, FormulationOptions.from_model_file(model))
    scale = m.planner_data.objective_scale_cny
    F.add_cost_slack(m, float(spec["cost_limit_cny"]) / scale)
    F.hold(m, lambda v: _anchor_value(anchor, v))
    start = _integer_start(m, anchor)
    t2 = time.perf_counter()
    timings["build"] = t2 - t1
    solver = model.solver
    deadline = t2 + solver.time_limit_s
    options = dict(mip_gap=solver.mip_gap, threads=solver.threads, log=solver.log)
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
        num, den = F.aggregate_terms(m, sliced, spec["key"])
        if den is None:
            F.set_objective(m, num, sense)
            result = solve_from(m, start, time_limit_s=solver.time_limit_s, **options)
        else:
            result, steps = _dinkelbach(m, num, den, sense, start, deadline, options)
            info["dinkelbach"] = steps

        def value() -> float:
            return pyo.value(num) / pyo.value(den) if den is not None else pyo.value(num)
    elif kind == "spores":
        expr = F.spores_objective(F.capacity_items(m), spec["weights"], spec["scales"])
        F.set_objective(m, expr, 1)
        result = solve_from(m, start, time_limit_s=solver.time_limit_s, **options)
        info["point"] = spec["point"]

        def value() -> float:
            return pyo.value(expr)
    else:
        raise ValueError(f"unknown alternative kind {kind!r}")
    t3 = time.perf_counter()
    timings["solve"] = t3 - t2
    timings["highs"] = result.highs_time_s

    solution, cost = None, None
    if result.has_solution:
        solution = extract_solution(m, sliced)
        cost = float(pyo.value(m.total_cost.expr)) * scale
        info.update(value=float(value()), status=str(result.status), mip_gap=result.mip_gap)
    timings["duals_and_extract"] = time.perf_counter() - t3
    results = assemble_results(sliced, solution)
    plan = dataclasses.replace(result, objective_cny=cost, bound=None)
    summary = summarise(results, model, plan, {}, timings)
    summary["alternative"] = info
    return Run(model=model, results=results, summary=summary, timings_s=timings)


def _dinkelbach(
    m: Any,
    num: Any,
    den: Any,
    sense: int,
    start: dict[tuple[str, Any], float],
    deadline: float,
    options: dict[str, Any],
) -> tuple[Any, list[dict[str, Any]]]:
    r"""Optimise the share ``num / den`` by Dinkelbach's method.

    From :math:`\lambda_0` = the share in the least-cost plan, solve
    :math:`\min s (N - \lambda_k D)` (``s`` = +1 to minimise, -1 to maximise) and set
    :math:`\lambda_{k+1} = N(x_k) / D(x_k)` until the share moves by less than the MIP
    gap. Since :math:`x_{k-1}` is feasible with :math:`N - \lambda_k D = 0`, each step is
    at least as good as the last; at the fixed point no plan within the slack has a
    better share than :math:`\lambda` by more than the step's proven gap, which is
    ``mip_gap x N`` in absolute terms (a relative gap means nothing for an objective
    near 0). Each step starts from the previous plan. The best plan is loaded into ``m``.
    """
    import pyomo.environ as pyo

    lam = _linear_value(num, start) / max(_linear_value(den, start), 1e-12)
    m.near_optimal_ratio = pyo.Param(mutable=True, initialize=lam, doc="Dinkelbach ratio")
    gap = options["mip_gap"]
    steps: list[dict[str, Any]] = []
    best = None
    for _ in range(DINKELBACH_MAX_STEPS):
        m.near_optimal_ratio.set_value(lam)
        k = F.set_objective(m, num - m.near_optimal_ratio * den, sense)
        n0 = abs(_linear_value(num, start))
        left = deadline - time.perf_counter()
        if left <= 0 and best is not None:
            break
        result = solve_from(
            m, start, time_limit_s=max(left, 1.0), abs_gap=gap * max(n0, 1.0) * k, **options
        )
        if not result.has_solution:
            best = best or (None, result, None)
            break
        n, d = float(pyo.value(num)), float(pyo.value(den))
        share = n / d if d > 1e-9 else 0.0
        steps.append(
            {"lambda": lam, "share": share, "status": str(result.status),
             "mip_gap": result.mip_gap, "highs_time_s": result.highs_time_s}
        )  # fmt: skip
        if best is None or best[0] is None or sense * share < sense * best[0]:
            best = (share, result, result.handle.column_values())
        better = share < lam * (1 - gap) - 1e-12 if sense > 0 else share > lam * (1 + gap) + 1e-12
        if not better or d <= 1e-9:
            break
        lam = share
        start = _current_integers(m)
    assert best is not None
    share, result, values = best
    if values is not None:
        result.handle.load(values)
    total_highs = sum(s["highs_time_s"] for s in steps)
    return dataclasses.replace(result, highs_time_s=total_highs), steps


def run_alternative(task: AlternativeTask) -> dict[str, Any]:
    """Solve one alternative; its outcome as :func:`planner.sweep.run_case` returns one."""
    t0 = time.perf_counter()
    try:
        model = parse_model(yaml.safe_load(task.model_yaml), f"case {task.case_id}")
        if task.anchor is None:
            raise ValueError("an alternative needs the least-cost plan (anchor)")
        run = solve_alternative(
            model, Path(task.data_dir), json.loads(task.spec), task.anchor, reuse=task.reuse
        )
        with tempfile.TemporaryDirectory(prefix="planner-alternative-") as tmp:
            root = run.write(Path(tmp) / "run")
            files = {
                p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*"))
                if p.is_file()
            }
    except InputError as exc:
        return _failed(task.case_id, exc.render(), elapsed=time.perf_counter() - t0)
    except Exception as exc:  # a failing alternative is recorded, never fatal
        return _failed(
            task.case_id, f"{type(exc).__name__}: {exc}", traceback.format_exc(),
            elapsed=time.perf_counter() - t0,
        )  # fmt: skip
    status = str(run.summary.get("status"))
    ok = has_plan(run.summary)
    return {
        "case_id": task.case_id,
        "ok": ok,
        "status": status,
        "reason": "" if ok else str(run.summary.get("explanation") or f"solver status {status}"),
        "traceback": "",
        "summary": run.summary,
        "files": files,
        "elapsed_s": time.perf_counter() - t0,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def _failed(case_id: str, reason: str, tb: str = "", *, elapsed: float = 0.0) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "ok": False,
        "status": "error",
        "reason": reason,
        "traceback": tb,
        "summary": None,
        "files": {},
        "elapsed_s": elapsed,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


# --------------------------------------------------------------------------- SPORES


def capacity_values(results: xr.Dataset) -> dict[str, float]:
    """The SPORES capacity items of a plan from its results, keyed as
    :func:`planner.formulation.alternatives.capacity_items` keys them."""
    out: dict[str, float] = {}
    racks = results["racks_new_std"].sum("year")
    for s in racks["site"].values:
        for c in racks["rack_class"].values:
            out[f"racks/{s}/{c}"] = float(racks.sel(site=s, rack_class=c))
    for kind, name in (
        ("solar", "solar_new_mw"),
        ("wind", "wind_new_mw"),
        ("battery", "battery_power_new_mw"),
    ):
        total = results[name].sum("year")
        for s in total["site"].values:
            out[f"{kind}/{s}"] = float(total.sel(site=s))
    return out


def spores_weights(plans: Sequence[xr.Dataset]) -> tuple[dict[str, float], dict[str, float]]:
    """Weights and scales of the next SPORES point from the plans before it.

    ``plans[0]`` is the least-cost plan. Relative deployment (Lombardi et al. 2020):
    each plan adds to an item's weight its capacity over the largest item of its kind
    in that plan, so what earlier plans used most costs most. ``scales`` are the largest
    item of each kind in the least-cost plan (1 if none), which makes racks and MW
    commensurate in the objective.
    """
    values = [capacity_values(ds) for ds in plans]
    kinds = F.CAPACITY_KINDS
    scales = {}
    for kind in kinds:
        largest = max((v for k, v in values[0].items() if k.startswith(kind + "/")), default=0.0)
        scales[kind] = largest if largest > 1e-9 else 1.0
    weights: dict[str, float] = {}
    for plan in values:
        for kind in kinds:
            items = {k: v for k, v in plan.items() if k.startswith(kind + "/")}
            largest = max(items.values(), default=0.0)
            if largest <= 1e-9:
                continue
            for k, v in items.items():
                weights[k] = weights.get(k, 0.0) + max(v, 0.0) / largest
    return {k: round(w, 9) for k, w in weights.items()}, scales


# --------------------------------------------------------------------------- aggregates


def aggregate_value(results: xr.Dataset, key: str) -> float:
    """An aggregate of a plan, from its results alone (the twin of
    :func:`planner.formulation.alternatives.aggregate_terms`; tests hold them equal)."""
    groups = F.site_groups(results)
    agg = F.aggregates(F.national_hubs(results))[key]
    sites = groups[agg.group]
    last = int(results["year"].values[-1])
    racks = results["racks_new_std"]
    if agg.measure == "racks":
        return float(racks.sel(site=sites).sum())
    if agg.measure == "intelligent_racks":
        classes = [c for c in racks["rack_class"].values if c == F.INTELLIGENT]
        return float(racks.sel(site=sites, rack_class=classes).sum())
    if agg.measure == "share":
        total = float(racks.sum())
        return float(racks.sel(site=sites).sum()) / total if total > 0 else float("nan")
    if agg.measure == "eflops":
        return float(results["compute_new_eflops"].sel(site=sites, year=last).sum())
    if agg.measure == "emissions":
        return float(results["emissions_tco2"].sel(site=sites).sum())
    if agg.measure == "solar_wind":
        built = results["solar_new_mw"] + results["wind_new_mw"]
        return float(built.sel(site=sites).sum())
    if agg.measure == "grid_energy":
        energy = (results["grid_import_mw"] * results["timestep_weight_h"]).sum("timestep")
        return float(energy.sel(site=sites).sum())
    raise ValueError(f"unknown measure {agg.measure!r}")


def binding(
    results: xr.Dataset, objective_cny: float | None, cost_limit_cny: float | None
) -> list[str]:
    """What binds in a plan, from its results: targets, site limits and the cost slack.

    ``target|total_eflops|<year>``, ``target|intelligent_share|<year>``,
    ``target|green_share|<hub>|<year>``, ``target|carbon_cap|<year>``,
    ``limit|<limit>|<site>|<year>`` (:func:`planner.results.binding_limits`) and
    ``cost|slack`` (the cost is at the limit), each within ``BINDING_TOL_FRAC``.
    """
    tol = BINDING_TOL_FRAC
    out: list[str] = []
    for y in results["year"].values:
        y = int(y)
        total = float(results["compute_eflops"].sel(year=y).sum())
        target = float(results["target_total_eflops"].sel(year=y))
        if target > 0 and total <= target * (1 + tol):
            out.append(f"target|total_eflops|{y}")
        share = float(results["target_intelligent_share_frac"].sel(year=y))
        intelligent = float(results["compute_eflops"].sel(year=y, rack_class=F.INTELLIGENT).sum()
                            ) if F.INTELLIGENT in results["rack_class"].values else 0.0  # fmt: skip
        if share > 0 and total > 0 and intelligent <= share * total * (1 + tol):
            out.append(f"target|intelligent_share|{y}")
        green = float(results["target_green_share_frac"].sel(year=y))
        if green > 0:
            for h in results["hub"].values:
                need = green * float(results["new_capacity_energy_mwh"].sel(hub=h, year=y))
                have = float(results["green_supply_mwh"].sel(hub=h, year=y))
                if need > 0 and have <= need * (1 + tol):
                    out.append(f"target|green_share|{h}|{y}")
        cap = float(results["carbon_cap_tco2"].sel(year=y))
        if np.isfinite(cap) and float(results["emissions_tco2"].sel(year=y).sum()) >= cap * (
            1 - tol
        ):
            out.append(f"target|carbon_cap|{y}")
    for item in binding_limits(results):
        out.append(f"limit|{item['limit']}|{item['site']}|{item['year']}")
    if objective_cny is not None and cost_limit_cny is not None:
        if objective_cny >= cost_limit_cny - abs(cost_limit_cny) * 1e-6:
            out.append("cost|slack")
    return out


# --------------------------------------------------------------------------- running


Executor = Literal["serial", "pool", "dask"]


def check_alternatives_out(path: Path | str) -> None:
    """An alternatives folder may be new, empty, or an earlier alternatives folder."""
    path = Path(path)
    check_sweep_out(path)
    manifest = path / SWEEP_MANIFEST
    if manifest.is_file():
        try:
            mode = json.loads(manifest.read_text(encoding="utf-8")).get("mode")
        except (OSError, ValueError):
            mode = None
        if mode != MODE:
            raise InputError(
                [Problem("--out", None, None,
                         f"{path}: holds a planner sweep of another kind (mode {mode!r}), not "
                         "alternatives; give a new or empty folder, or an alternatives folder "
                         "to resume it")]
            )  # fmt: skip


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
    ``OUT/alternatives.nc`` and return it (:func:`assemble_alternatives`).

    Parameters
    ----------
    slack
        Cost slack [1]: every alternative costs at most ``(1 + slack)`` x the least cost.
    objectives
        Aggregates to minimise and maximise (:func:`check_objectives`).
    points
        SPORES points after the least-cost plan.
    base_overrides, threads
        ``--set`` texts for every alternative; ``solver.threads`` of each solve.
    executor, workers, scheduler, reuse, retry_failed, progress
        As :func:`planner.sweep.run_sweep`.

    Raises
    ------
    InputError
        On bad input (before anything is solved, except an unknown hub in a per-hub key,
        found once the least-cost plan is known).
    RuntimeError
        If the least-cost plan does not solve.
    """
    problems = []
    if not (0.0 <= float(slack) <= 1.0) or not np.isfinite(slack):
        problems.append(Problem("--slack", None, None, f"{slack}: give a fraction in [0, 1]"))
    if points < 0:
        problems.append(Problem("--points", None, None, f"{points}: give 0 or more points"))
    if problems:
        raise InputError(problems)
    keys = check_objectives(objectives)
    if not keys and not points:
        raise InputError(
            [Problem("--objective", None, None, "give at least one objective or --points")]
        )
    out = Path(out_dir)
    check_alternatives_out(out)
    overrides = (*base_overrides, *([f"solver.threads={threads}"] if threads is not None else []))
    labels = ["--set"] * len(base_overrides) + ["--threads"] * (
        len(overrides) - len(base_overrides)
    )
    model, data_dir = load_model(model_path, list(overrides), labels=labels)
    resolved = model.model_copy(update={"data_dir": str(data_dir)})
    specs = alternative_specs(keys, points)
    manifest = _manifest(Path(model_path), data_dir, overrides, specs, slack, keys, points)
    store = sw.CaseStore(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        store.clean_stale()
        _write_json(out / SWEEP_MANIFEST, manifest)
    except OSError as exc:
        raise OutputError.from_exception(
            out, "could not write the alternatives folder", exc
        ) from exc
    ctx = _Context(
        out, store, resolved_yaml(resolved), data_dir, sw.data_fingerprint(data_dir),
        tuple(overrides), executor, workers, scheduler, reuse, retry_failed, progress,
    )  # fmt: skip

    # Stage 1: the least-cost plan, as `planner solve` would solve it.
    least = specs[0]
    fp = sw.case_fingerprint(ctx.model_yaml, ctx.data_fp)
    pending = [] if _finished(ctx, least, fp) else [least]
    _start(ctx, pending, [least])
    task = sw.CaseTask(least.case_id, ctx.model_yaml, str(data_dir), ctx.data_fp, reuse)
    _execute(ctx, [(least, task, fp)] if pending else [], sw.run_case)
    record = store.record(least.case_id)
    if not record or record.get("state") != "done":
        reason = (record or {}).get("reason", "not run")
        raise RuntimeError(f"The least-cost plan did not solve: {reason}")
    results, summary = _read_case(store.path(least.case_id))
    hubs = F.national_hubs(results)
    check_objectives(keys, hubs)
    least_cost = float(summary["objective_cny"])
    base = {
        "slack": float(slack),
        "least_cost_cny": least_cost,
        "cost_limit_cny": (1.0 + float(slack)) * least_cost,
    }
    anchor = anchor_of(results)

    def task_of(spec: Spec, extra: dict[str, Any]) -> tuple[Spec, AlternativeTask, str]:
        body = {**base, "kind": spec.kind, "key": spec.key, **extra}
        text = json.dumps(body, sort_keys=True)
        fingerprint = sw.case_fingerprint(f"{ctx.model_yaml}\n{text}", ctx.data_fp)
        t = AlternativeTask(
            spec.case_id, ctx.model_yaml, str(data_dir), ctx.data_fp, reuse, text, anchor
        )
        return spec, t, fingerprint

    # Stage 2: every minimum and maximum, and the first SPORES point (they need only the
    # least-cost plan), in parallel.
    spores = [s for s in specs if s.kind == "spores"]
    first = [s for s in specs if s.kind in ("min", "max")] + spores[:1]
    jobs = []
    for spec in first:
        extra = {}
        if spec.kind == "spores":
            weights, scales = spores_weights([results])
            extra = {"point": spec.point, "weights": weights, "scales": scales}
        jobs.append(task_of(spec, extra))
    todo = [j for j in jobs if not _finished(ctx, j[0], j[2])]
    later = [s for s in spores[1:] if not _done(ctx, s)]
    _start(ctx, [j[0] for j in todo] + later, specs[1:])
    _execute(ctx, todo, run_alternative)

    # Stage 3: the later SPORES points, one after another.
    plans = [results]
    for spec in spores[1:]:
        before = spores[spec.point - 2]
        record = store.record(before.case_id)
        if not record or record.get("state") != "done":
            outcome = _failed(spec.case_id, f"{before.label} did not solve, so this point has "
                              "no plans to stay away from")  # fmt: skip
            _commit(ctx, spec, outcome, fingerprint="")
            continue
        plans.append(_read_case(store.path(before.case_id))[0])
        weights, scales = spores_weights(plans)
        job = task_of(spec, {"point": spec.point, "weights": weights, "scales": scales})
        if not _finished(ctx, spec, job[2]):
            _execute(ctx, [job], run_alternative)

    ds = assemble_alternatives(manifest, out)
    sw.write_dataset(ds, out / ALTERNATIVES_FILE)
    return ds


def _finished(ctx: _Context, spec: Spec, fingerprint: str) -> bool:
    return ctx.store.finished(spec.case_id, fingerprint, retry_failed=ctx.retry_failed)


def _done(ctx: _Context, spec: Spec) -> bool:
    record = ctx.store.record(spec.case_id)
    return bool(record) and record.get("state") == "done"


def _start(ctx: _Context, todo: Sequence[Spec], stage: Sequence[Spec]) -> None:
    if ctx.progress and ctx.progress.on_start:
        ids = {s.case_id for s in todo}
        before = [ctx.store.record(s.case_id) for s in stage if s.case_id not in ids]
        failed = sum(1 for r in before if r and r.get("state") == "failed")
        ctx.progress.on_start(len(todo), len(before) - failed, failed)


def _execute(
    ctx: _Context, jobs: Sequence[tuple[Spec, sw.CaseTask, str]], case_fn: sw.CaseFn
) -> None:
    """Run ``jobs`` on the chosen executor and commit each as it finishes.

    A stage of one job runs in this process unless on Dask: a pool of one process would
    only add its start-up.
    """
    if not jobs:
        return
    tasks = [task for _spec, task, _fp in jobs]
    by_id = {task.case_id: (spec, fp) for spec, task, fp in jobs}
    if ctx.executor == "dask":
        if not ctx.scheduler:
            raise ValueError("the dask executor needs a scheduler address")
        outcomes: Iterator = sw.iter_dask(tasks, ctx.scheduler, case_fn, data_dir=ctx.data_dir)
    elif ctx.executor == "pool" and len(tasks) > 1:
        n = max(1, min(ctx.workers or os.cpu_count() or 1, len(tasks)))
        outcomes = sw.iter_pool(tasks, n, case_fn)
    else:
        outcomes = sw.iter_serial(tasks, case_fn)
    try:
        for task, outcome in outcomes:
            spec, fp = by_id[task.case_id]
            _commit(ctx, spec, outcome, fingerprint=fp)
    finally:
        close = getattr(outcomes, "close", None)
        if close:
            close()


def _commit(ctx: _Context, spec: Spec, outcome: dict[str, Any], *, fingerprint: str) -> None:
    case = spec.case(ctx.overrides)
    try:
        ctx.store.commit(case, outcome, model_yaml=ctx.model_yaml, fingerprint=fingerprint)
    except OSError as exc:
        raise OutputError.from_exception(
            ctx.store.path(spec.case_id), "could not write the case folder", exc
        ) from exc
    if ctx.progress and ctx.progress.on_case:
        ctx.progress.on_case(case, outcome)


def _read_case(path: Path) -> tuple[xr.Dataset, dict[str, Any]]:
    from planner.results import read_run

    return read_run(path)


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
        "format": sw.SWEEP_FORMAT,
        "model": str(model_path.resolve()),
        "data_dir": str(data_dir),
        "mode": MODE,
        "keys": [],
        "base_overrides": list(overrides),
        "cases": [{"case_id": s.case_id, "index": s.index, "varied": {}} for s in specs],
        "extra_coords": {
            "kind": [s.kind for s in specs],
            "objective": [s.key for s in specs],
            "label": [s.label for s in specs],
        },
        "alternatives": {"slack": slack, "objectives": list(objectives), "points": points},
    }


# --------------------------------------------------------------------------- alternatives.nc


def assemble_alternatives(manifest: Mapping[str, Any], out_dir: Path | str) -> xr.Dataset:
    """One Dataset over ``alternative`` from the committed case folders.

    Everything :func:`planner.sweep.assemble_sweep` holds for a case (status, cost,
    per-year figures, shortfalls), along ``alternative``, with ``kind``, ``objective``
    and ``label`` coordinates, plus:

    ``aggregate_value`` (alternative, aggregate)
        Every aggregate of each plan (:func:`aggregate_value`), with ``aggregate_unit``.
    ``cost_vs_least_cost_frac`` (alternative)
        The plan's cost over the least cost, less 1.
    ``objective_value``, ``objective_gap`` (alternative)
        The aggregate (or SPORES objective) the alternative optimised, and HiGHS's gap.
    ``binds`` (alternative, constraint)
        1 where a target, a site limit or the cost slack binds (:func:`binding`).

    Attributes: ``slack``, ``least_cost_cny``, ``cost_limit_cny``, ``objectives``,
    ``points``.
    """
    out = Path(out_dir)
    store = sw.CaseStore(out)
    base = sw.assemble_sweep(dict(manifest), out)
    ds = base.rename({"case": "alternative"})
    ids = [str(c) for c in ds["alternative"].values]
    setup = manifest.get("alternatives") or {}
    slack = float(setup.get("slack", np.nan))
    runs: list[tuple[xr.Dataset, dict[str, Any]] | None] = []
    for cid in ids:
        record = store.record(cid)
        if record and record.get("state") == "done":
            runs.append(_read_case(store.path(cid)))
        else:
            runs.append(None)
    least = runs[0][1].get("objective_cny") if runs and runs[0] else None
    limit = (1.0 + slack) * least if least is not None else None

    hubs: list[str] = []
    for run in runs:
        if run is not None:
            hubs = F.national_hubs(run[0])
            break
    catalogue = F.aggregates(hubs)
    keys = list(catalogue)
    values = np.full((len(ids), len(keys)), np.nan)
    objective_value = np.full(len(ids), np.nan)
    objective_gap = np.full(len(ids), np.nan)
    constraints: dict[str, None] = {}
    bound_by: list[list[str]] = []
    for i, run in enumerate(runs):
        if run is None:
            bound_by.append([])
            continue
        results, summary = run
        for j, key in enumerate(keys):
            values[i, j] = aggregate_value(results, key)
        info = summary.get("alternative") or {}
        objective_value[i] = _num(info.get("value"))
        objective_gap[i] = _num(info.get("mip_gap", summary.get("mip_gap")))
        items = binding(results, summary.get("objective_cny"), limit)
        bound_by.append(items)
        constraints.update(dict.fromkeys(items))
    ds.coords["aggregate"] = np.asarray(keys, dtype=str)
    ds.coords["aggregate_unit"] = ("aggregate", np.asarray([catalogue[k].unit for k in keys]))
    ds["aggregate_value"] = (
        ("alternative", "aggregate"),
        values,
        {"long_name": "aggregate of the plan (units: aggregate_unit)"},
    )
    cost = ds["objective_cny"].values
    ds["cost_vs_least_cost_frac"] = (
        "alternative",
        cost / least - 1.0 if least else np.full(len(ids), np.nan),
        {"units": "1", "long_name": "cost over the least cost, less 1"},
    )
    ds["objective_value"] = (
        "alternative",
        objective_value,
        {"long_name": "value of what the alternative optimised"},
    )
    ds["objective_gap"] = ("alternative", objective_gap, {"units": "1", "long_name": "MIP gap"})
    names = sorted(constraints, key=_constraint_order)
    binds = np.zeros((len(ids), len(names)), dtype=np.int8)
    for i, items in enumerate(bound_by):
        for item in items:
            binds[i, names.index(item)] = 1
    ds.coords["constraint"] = np.asarray(names, dtype=str)
    ds["binds"] = (
        ("alternative", "constraint"),
        binds,
        {"long_name": "the target, limit or cost slack binds", "flag_values": "0 1"},
    )
    ds.attrs.update(
        mode=MODE,
        slack=slack,
        least_cost_cny=float(least) if least is not None else np.nan,
        cost_limit_cny=float(limit) if limit is not None else np.nan,
        objectives=json.dumps(list(setup.get("objectives", []))),
        points=int(setup.get("points", 0)),
        method=(
            "modelling to generate alternatives: each aggregate minimised and maximised "
            "with the total discounted cost at most (1 + slack) x the least cost and every "
            "shortfall held at its least-cost value; shares by Dinkelbach's method; SPORES "
            "points by relative-deployment weights (Lombardi et al. 2020)"
        ),
    )
    return ds


def _num(value: Any) -> float:
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file, then rename), as the sweep writes its manifest."""
    from planner.results import jsonable

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(jsonable(data), indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, path)


def _constraint_order(name: str) -> tuple[int, str]:
    head = name.split("|", 1)[0]
    return ({"cost": 0, "target": 1, "limit": 2}.get(head, 3), name)


def load_alternatives(out_dir: Path | str) -> xr.Dataset:
    """``OUT/alternatives.nc``, or rebuilt from the case folders and ``sweep.json``."""
    out = Path(out_dir)
    if (out / ALTERNATIVES_FILE).is_file():
        with xr.open_dataset(out / ALTERNATIVES_FILE, engine="netcdf4") as ds:
            return ds.load()
    manifest = json.loads((out / SWEEP_MANIFEST).read_text(encoding="utf-8"))
    return assemble_alternatives(manifest, out)


def ranges(ds: xr.Dataset, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Per aggregate: the least-cost value and the lowest and highest across the solved
    alternatives (the least-cost plan among them), with where each end was found."""
    ok = ~ds["failed"].values.astype(bool)
    values = ds["aggregate_value"]
    labels = [str(x) for x in ds["label"].values]
    rows = []
    for key in keys if keys is not None else [str(k) for k in ds["aggregate"].values]:
        v = values.sel(aggregate=key).values
        v = np.where(ok, v, np.nan)
        if np.all(np.isnan(v)):
            continue
        lo, hi = int(np.nanargmin(v)), int(np.nanargmax(v))
        rows.append(
            {
                "aggregate": key,
                "unit": str(ds["aggregate_unit"].sel(aggregate=key).values),
                "least_cost": float(v[0]),
                "min": float(v[lo]),
                "max": float(v[hi]),
                "min_at": labels[lo],
                "max_at": labels[hi],
            }
        )
    return pd.DataFrame(rows)


def alternatives_table(ds: xr.Dataset, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per alternative: its label, status, cost over the least cost and the
    aggregates ``keys`` (the requested objectives by default)."""
    if keys is None:
        keys = json.loads(ds.attrs.get("objectives", "[]"))
    frame = pd.DataFrame(
        {
            "alternative": [str(x) for x in ds["alternative"].values],
            "label": [str(x) for x in ds["label"].values],
            "status": [str(x) for x in ds["status"].values],
            "failed": ds["failed"].values.astype(bool),
            "cost_vs_least_cost_frac": ds["cost_vs_least_cost_frac"].values,
        }
    )
    for key in keys:
        frame[key] = ds["aggregate_value"].sel(aggregate=key).values
    frame["reason"] = [str(x) for x in ds["reason"].values]
    return frame
