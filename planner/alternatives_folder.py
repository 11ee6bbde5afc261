"""A folder of near-optimal alternatives, read back: ``alternatives.nc``, ranges, re-check.

Everything here reads the files ``planner alternatives`` wrote (:mod:`planner.alternatives`)
and nothing else: never the model, never the solver.

- :func:`assemble_alternatives` builds ``alternatives.nc`` from the case folders: every
  figure a sweep's ``sweep.nc`` holds for a case (:func:`planner.sweep.assemble_sweep`),
  along ``alternative``, with every aggregate of each plan (:mod:`planner.aggregates`)
  and what binds in it (:func:`binding`);
- :func:`ranges` gives, for each aggregate, the least-cost value and the lowest and highest
  across the alternatives (what the report and the command print);
- :func:`recheck` verifies the folder from the case files alone: every alternative's cost,
  as recorded and as summed again from its ``results.nc``, is at most ``(1 + slack)`` x
  the least cost; each was proven within its model's MIP gap; its build modules are whole
  numbers; it meets the targets as the least-cost plan does; and each objective's minimum
  and maximum bracket its least-cost value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from planner import aggregates as A
from planner import sweep as sw
from planner.errors import InputError, Problem
from planner.outputs import ALTERNATIVES_MODE, SWEEP_MANIFEST
from planner.results.summary import BINDING_TOL_FRAC, binding_limits

ALTERNATIVES_FILE = "alternatives.nc"
LEAST_COST_ID = "0000-least-cost"
"""The case id of the least-cost plan, the first case of every alternatives folder."""

COST_TOL_FRAC = 1e-7
"""How far above the cost limit a plan may be and still be within it: HiGHS holds a row
to its primal feasibility tolerance (1e-7 of the row's scale), not exactly."""
INTEGER_TOL = 1e-6
"""How far from a whole number a build module may be and still count as whole."""
BRACKET_TOL_FRAC = 1e-9
"""Round-off allowed when a minimum or maximum is compared with the least-cost value."""


def read_case(path: Path) -> tuple[xr.Dataset, dict[str, Any]]:
    """A case folder's results Dataset and summary (:func:`planner.results.read_run`)."""
    from planner.results import read_run

    return read_run(path)


def read_manifest(out_dir: Path | str) -> dict[str, Any]:
    """The folder's ``sweep.json``; InputError unless it is an alternatives folder."""
    path = Path(out_dir) / SWEEP_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            [Problem(str(out_dir), None, None, "is not a folder of alternatives (no sweep.json)")]
        ) from None
    if not isinstance(manifest, dict) or manifest.get("mode") != ALTERNATIVES_MODE:
        raise InputError(
            [Problem(str(path), None, "mode", "is not that of a folder of alternatives")]
        )
    return manifest


# --------------------------------------------------------------------------- what binds


def binding(
    results: xr.Dataset, objective_cny: float | None, cost_limit_cny: float | None
) -> list[str]:
    """What binds in a plan, from its results: targets, site limits and the cost slack.

    ``target|total_eflops|<year>``, ``target|intelligent_share|<year>``,
    ``target|green_share|<hub>|<year>``, ``target|carbon_cap|<year>``,
    ``limit|<limit>|<site>|<year>`` (:func:`planner.results.binding_limits`) and
    ``cost|slack`` (the cost is at its limit), each within ``BINDING_TOL_FRAC``.
    """
    tol = BINDING_TOL_FRAC
    out: list[str] = []
    compute = results["compute_eflops"]
    classes = results["rack_class"].values.tolist()
    for y in results["year"].values.tolist():
        total = float(compute.sel(year=y).sum())
        target = float(results["target_total_eflops"].sel(year=y))
        if target > 0 and total <= target * (1 + tol):
            out.append(f"target|total_eflops|{y}")
        share = float(results["target_intelligent_share_frac"].sel(year=y))
        smart = (
            float(compute.sel(year=y, rack_class=A.INTELLIGENT).sum())
            if A.INTELLIGENT in classes
            else 0.0
        )
        if share > 0 and total > 0 and smart <= share * total * (1 + tol):
            out.append(f"target|intelligent_share|{y}")
        green = float(results["target_green_share_frac"].sel(year=y))
        if green > 0:
            for h in results["hub"].values.tolist():
                need = green * float(results["new_capacity_energy_mwh"].sel(hub=h, year=y))
                have = float(results["green_supply_mwh"].sel(hub=h, year=y))
                if need > 0 and have <= need * (1 + tol):
                    out.append(f"target|green_share|{h}|{y}")
        cap = float(results["carbon_cap_tco2"].sel(year=y))
        emitted = float(results["emissions_tco2"].sel(year=y).sum())
        if math.isfinite(cap) and emitted >= cap * (1 - tol):
            out.append(f"target|carbon_cap|{y}")
    for item in binding_limits(results):
        out.append(f"limit|{item['limit']}|{item['site']}|{item['year']}")
    if objective_cny is not None and cost_limit_cny is not None:
        if objective_cny >= cost_limit_cny - abs(cost_limit_cny) * tol:
            out.append("cost|slack")
    return out


def _constraint_order(name: str) -> tuple[int, str]:
    return ({"cost": 0, "target": 1, "limit": 2}.get(name.split("|", 1)[0], 3), name)


# --------------------------------------------------------------------------- alternatives.nc


def _solved_runs(out: Path, ids: Sequence[str]) -> list[tuple[xr.Dataset, dict[str, Any]] | None]:
    store = sw.CaseStore(out)
    runs: list[tuple[xr.Dataset, dict[str, Any]] | None] = []
    for cid in ids:
        record = store.record(cid)
        done = record and record.get("state") == "done"
        runs.append(read_case(store.path(cid)) if done else None)
    return runs


def assemble_alternatives(out_dir: Path | str) -> xr.Dataset:
    """One Dataset over ``alternative`` from the committed case folders.

    Everything :func:`planner.sweep.assemble_sweep` holds for a case (status, cost,
    per-year figures, shortfalls), along ``alternative``, with ``kind`` (``least_cost``,
    ``min``, ``max``, ``spores``), ``objective`` (the aggregate a minimum or maximum
    optimised) and ``label`` coordinates, and:

    ``aggregate_value`` (alternative, aggregate)
        Every aggregate of each plan (:func:`planner.aggregates.aggregate_value`); the
        ``aggregate_unit`` coordinate gives its unit.
    ``cost_vs_least_cost_frac`` (alternative)
        The plan's discounted cost over the least cost, less 1.
    ``objective_value``, ``objective_bound``, ``objective_gap`` (alternative)
        What the alternative optimised (the aggregate, or the SPORES objective), HiGHS's
        proven bound on it and the relative gap between the two.
    ``binds`` (alternative, constraint)
        1 where a target, a site limit or the cost slack binds (:func:`binding`).

    Attributes: ``slack``, ``least_cost_cny``, ``cost_limit_cny``, ``objectives``
    (JSON), ``points``.
    """
    out = Path(out_dir)
    manifest = read_manifest(out)
    ds = sw.assemble_sweep(dict(manifest), out).rename({"case": "alternative"})
    ids = [str(c) for c in ds["alternative"].values]
    setup = manifest.get("alternatives") or {}
    slack = float(setup.get("slack", np.nan))
    runs = _solved_runs(out, ids)
    least = runs[0][1].get("objective_cny") if runs and runs[0] else None
    limit = (1.0 + slack) * least if least is not None else None

    hubs = next((A.national_hubs(r[0]) for r in runs if r is not None), [])
    catalogue = A.catalogue(hubs)
    keys = list(catalogue)
    n = len(ids)
    values = np.full((n, len(keys)), np.nan)
    objective = {name: np.full(n, np.nan) for name in ("value", "bound", "mip_gap")}
    bound_by: list[list[str]] = [[] for _ in ids]
    for i, run in enumerate(runs):
        if run is None:
            continue
        results, summary = run
        values[i] = [A.aggregate_value(results, key) for key in keys]
        info = summary.get("alternative") or {"mip_gap": summary.get("mip_gap")}
        for name in objective:
            objective[name][i] = sw._num(info.get(name))
        bound_by[i] = binding(results, summary.get("objective_cny"), limit)
    ds.coords["aggregate"] = np.asarray(keys, dtype=str)
    ds.coords["aggregate_unit"] = ("aggregate", np.asarray([catalogue[k].unit for k in keys]))
    ds["aggregate_value"] = (
        ("alternative", "aggregate"),
        values,
        {"long_name": "aggregate of the plan (unit: aggregate_unit)"},
    )
    cost = ds["objective_cny"].values
    ds["cost_vs_least_cost_frac"] = (
        "alternative",
        cost / least - 1.0 if least else np.full(n, np.nan),
        {"units": "1", "long_name": "discounted cost over the least cost, less 1"},
    )
    ds["objective_value"] = (
        "alternative",
        objective["value"],
        {"long_name": "value of what the alternative optimised"},
    )
    ds["objective_bound"] = (
        "alternative",
        objective["bound"],
        {"long_name": "HiGHS's proven bound on what the alternative optimised"},
    )
    ds["objective_gap"] = (
        "alternative",
        objective["mip_gap"],
        {"units": "1", "long_name": "relative gap between the value and its bound"},
    )
    names = sorted({c for items in bound_by for c in items}, key=_constraint_order)
    binds = np.zeros((n, len(names)), dtype=np.int8)
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
        mode=ALTERNATIVES_MODE,
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


def load_alternatives(out_dir: Path | str) -> xr.Dataset:
    """``OUT/alternatives.nc``, or the same rebuilt from the case folders."""
    out = Path(out_dir)
    if (out / ALTERNATIVES_FILE).is_file():
        with xr.open_dataset(out / ALTERNATIVES_FILE, engine="netcdf4") as ds:
            return ds.load()
    return assemble_alternatives(out)


def ranges(ds: xr.Dataset, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Per aggregate: the least-cost value and the lowest and highest across the solved
    alternatives (the least-cost plan among them), and the labels of the plans at each end.

    ``keys`` default to every aggregate of ``ds``.
    """
    ok = ~ds["failed"].values.astype(bool)
    labels = [str(x) for x in ds["label"].values]
    rows = []
    for key in keys if keys is not None else [str(k) for k in ds["aggregate"].values]:
        v = np.where(ok, ds["aggregate_value"].sel(aggregate=key).values, np.nan)
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
    """One row per alternative: its label, status, cost over the least cost, the
    aggregates ``keys`` (the requested objectives by default) and why it failed."""
    if keys is None:
        keys = json.loads(ds.attrs.get("objectives", "[]"))
    frame = pd.DataFrame(
        {
            "alternative": [str(x) for x in ds["alternative"].values],
            "label": [str(x) for x in ds["label"].values],
            "status": [str(x) for x in ds["status"].values],
            "failed": ds["failed"].values.astype(bool),
            "cost_vs_least_cost_frac": ds["cost_vs_least_cost_frac"].values,
            "objective_gap": ds["objective_gap"].values,
        }
    )
    for key in keys:
        frame[key] = ds["aggregate_value"].sel(aggregate=key).values
    frame["reason"] = [str(x) for x in ds["reason"].values]
    return frame


# --------------------------------------------------------------------------- re-check


@dataclass
class Recheck:
    """What :func:`recheck` found: one row per alternative and per objective, and every
    problem in words (none: the folder holds what it claims)."""

    alternatives: pd.DataFrame
    brackets: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def discounted_cost_cny(results: xr.Dataset) -> float:
    r""":math:`\sum_y d_y \sum_k \mathrm{cost}_{k,y}` from a run's results: the discounted
    cost summed again from its components and discount factors [CNY]."""
    return float((results["cost_cny"].sum("component") * results["discount_factor"]).sum())


def _shortfalls(summary: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    out = {}
    for name, entry in (summary.get("shortfall") or {}).items():
        for year, amount in entry.items():
            if year != "unit":
                out[name, year] = float(amount)
    return out


def recheck(out_dir: Path | str) -> Recheck:
    """Verify an alternatives folder from its case files alone (``sweep.json`` and each
    case's ``case.json``, ``summary.json``, ``results.nc`` and ``model.yaml``).

    For every alternative after the least-cost plan:

    - it was solved (``case.json`` state ``done``);
    - its discounted cost, as ``summary.json`` records it and as summed again from
      ``results.nc`` (:func:`discounted_cost_cny`), is at most ``(1 + slack)`` x the
      least-cost plan's (within :data:`COST_TOL_FRAC`), and the two agree;
    - HiGHS proved it: status ``optimal`` and a gap within its model file's
      ``solver.mip_gap``;
    - its build modules (and campus phases) are whole numbers (within
      :data:`INTEGER_TOL`);
    - no target falls further short than in the least-cost plan;

    and for every objective, the aggregate in the plan that minimised it is at most its
    least-cost value, and in the plan that maximised it at least that.
    """
    out = Path(out_dir)
    manifest = read_manifest(out)
    setup = manifest.get("alternatives") or {}
    slack = float(setup.get("slack", np.nan))
    store = sw.CaseStore(out)
    ids = [c["case_id"] for c in manifest["cases"]]
    labels = dict(zip(ids, (manifest.get("extra_coords") or {}).get("label", ids), strict=True))
    problems: list[str] = []
    runs = _solved_runs(out, ids)
    if runs[0] is None:
        problems.append("the least-cost plan was not solved")
        return Recheck(pd.DataFrame(), pd.DataFrame(), problems)
    least_results, least_summary = runs[0]
    least = float(least_summary["objective_cny"])
    limit = (1.0 + slack) * least
    least_short = _shortfalls(least_summary)
    rows = []
    for cid, run in zip(ids[1:], runs[1:], strict=True):
        label = labels[cid]
        if run is None:
            record = store.record(cid) or {}
            problems.append(f"{label}: not solved ({record.get('reason') or 'not run'})")
            continue
        results, summary = run
        recorded = float(summary["objective_cny"])
        summed = discounted_cost_cny(results)
        model = yaml.safe_load((store.path(cid) / "model.yaml").read_text(encoding="utf-8"))
        gap_allowed = float(model["solver"]["mip_gap"])
        gap = summary.get("mip_gap")
        modules = [results[n].values for n in ("build_modules", "campus_phases") if n in results]
        off_integer = max((float(np.max(np.abs(v - np.round(v)), initial=0)) for v in modules),
                          default=0.0)  # fmt: skip
        row = {
            "alternative": cid,
            "label": label,
            "status": summary.get("status"),
            "mip_gap": gap,
            "mip_gap_allowed": gap_allowed,
            "cost_cny": recorded,
            "cost_from_results_cny": summed,
            "cost_limit_cny": limit,
            "cost_vs_least_cost_frac": recorded / least - 1.0,
            "within_slack": max(recorded, summed) <= limit * (1 + COST_TOL_FRAC),
            "proven": summary.get("status") == "optimal"
            and gap is not None
            and float(gap) <= gap_allowed,
            "integral": off_integer <= INTEGER_TOL,
        }
        rows.append(row)
        if not row["within_slack"]:
            problems.append(
                f"{label}: costs {max(recorded, summed):,.0f} CNY, above the limit "
                f"{limit:,.0f} CNY ((1 + {slack:g}) x the least cost {least:,.0f} CNY)"
            )
        if not math.isclose(recorded, summed, rel_tol=1e-6):
            problems.append(
                f"{label}: summary.json records a cost of {recorded:,.0f} CNY but its "
                f"results.nc sums to {summed:,.0f} CNY"
            )
        if not row["proven"]:
            problems.append(
                f"{label}: not proven within the model's MIP gap {gap_allowed:g} "
                f"(status {summary.get('status')}, gap {gap})"
            )
        if not row["integral"]:
            problems.append(f"{label}: build modules {off_integer:.2g} away from whole numbers")
        for (name, year), amount in _shortfalls(summary).items():
            before = least_short.get((name, year), 0.0)
            if amount > before * (1 + 1e-6) + 1e-6:
                problems.append(
                    f"{label}: {name} falls short by {amount:,.6g} in {year}, more than the "
                    f"least-cost plan's {before:,.6g}"
                )
    brackets = []
    by_label = {labels[c]: r for c, r in zip(ids, runs, strict=True)}
    for key in setup.get("objectives", []):
        at_least = A.aggregate_value(least_results, key)
        low = by_label.get(f"min {key}")
        high = by_label.get(f"max {key}")
        lo = A.aggregate_value(low[0], key) if low else math.nan
        hi = A.aggregate_value(high[0], key) if high else math.nan
        tol = BRACKET_TOL_FRAC * max(abs(at_least), 1.0)
        ok = lo <= at_least + tol and at_least <= hi + tol
        brackets.append(
            {"objective": key, "min": lo, "least_cost": at_least, "max": hi, "bracketed": ok}
        )
        if not ok:
            problems.append(
                f"{key}: the minimum {lo:.6g} and maximum {hi:.6g} do not bracket the "
                f"least-cost value {at_least:.6g}"
            )
    return Recheck(pd.DataFrame(rows), pd.DataFrame(brackets), problems)
