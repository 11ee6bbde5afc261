r"""Near-optimal alternatives: the rows and objectives added to a built planning model.

Modelling to generate alternatives (MGA) asks how differently the targets can be met at
almost the least cost. It takes the model :func:`~planner.formulation.build.build_model`
built and adds to it; no family is touched, and the model stays the one definition of
the maths:

- the **cost slack** row (:func:`add_cost_slack`), on the objective's own expression,
  with :math:`C^*` the cost of the least-cost plan and :math:`\varepsilon` the slack:

  .. math::

      \mathrm{total\_cost}(x) \le (1 + \varepsilon)\, C^*
      \quad\text{(near\_optimal\_cost, million CNY)}

  after which ``total_cost`` is no longer the objective;
- the **targets held** (:func:`hold`): every variable of the ``penalty`` cost component
  (the shortfall of each target, :mod:`planner.formulation.linking`) is fixed at its
  value in the least-cost plan, so an alternative meets every target as the least-cost
  plan does and cannot buy its way out of one with part of the slack. Fixed, these
  columns also leave the cost row, whose penalty coefficients (up to 1e6 million CNY per
  EFLOPS) would otherwise make it badly scaled;
- an **objective** (:func:`set_objective`): :math:`\min\, s\, k\, a(x)` over an
  aggregate :math:`a(x)` of the plan (:func:`aggregate_terms`, the aggregates of
  :mod:`planner.aggregates`), :math:`s = +1` to minimise and :math:`-1` to maximise, and
  :math:`k` a power of ten that brings the largest coefficient near 1. A share
  :math:`a = N / D` is optimised by Dinkelbach's method, a sequence of the objectives
  :math:`\min\, s\, k\, (N(x) - \lambda D(x))` (:mod:`planner.alternatives`);
- or the SPORES objective (:func:`spores_objective`; Lombardi et al. 2020, "Policy
  decision support for renewables deployment through spatially explicit practically
  optimal alternatives", Joule 4):

  .. math::

      \min \sum_i w_i\, q_i(x) / S_{\kappa(i)}

  over the capacity items :math:`q_i` of :func:`capacity_items` (new racks per site and
  class; new solar, wind and battery power per site), with weights :math:`w_i` that grow
  with how much earlier plans used item :math:`i` and :math:`S_\kappa` the largest item
  of kind :math:`\kappa` in the least-cost plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyomo.environ as pyo
import xarray as xr
from pyomo.core.expr.visitor import identify_variables
from pyomo.repn import generate_standard_repn

from planner.aggregates import INTELLIGENT, catalogue, national_hubs, site_groups


def aggregate_terms(m: pyo.ConcreteModel, inputs: xr.Dataset, key: str) -> tuple[Any, Any]:
    """``(numerator, denominator)`` of the aggregate ``key`` as expressions of ``m``.

    The denominator is None except for a share. The twin of
    :func:`planner.aggregates.aggregate_value`. Needs ``racks_new_std`` (``stock``),
    ``compute_new_eflops`` (``compute``), ``solar_new_mw``, ``wind_new_mw``,
    ``grid_energy_mwh`` (``power``) and ``emissions_tco2`` (``carbon``).
    """
    agg = catalogue(national_hubs(inputs))[key]
    groups = site_groups(inputs)
    sites = groups[agg.group]
    years = list(m.YEARS)

    def racks(over: Iterable, classes: Iterable) -> Any:
        return sum(m.racks_new_std[s, c, y] for s in over for c in classes for y in years)

    if agg.measure == "racks":
        return racks(sites, m.RACK_CLASSES), None
    if agg.measure == "intelligent_racks":
        return racks(sites, [c for c in m.RACK_CLASSES if c == INTELLIGENT]), None
    if agg.measure == "share":
        return racks(sites, m.RACK_CLASSES), racks(groups["all"], m.RACK_CLASSES)
    if agg.measure == "eflops":
        last = years[-1]
        return sum(m.compute_new_eflops[s, c, last] for s in sites for c in m.RACK_CLASSES), None
    if agg.measure == "emissions":
        return sum(m.emissions_tco2[s, y] for s in sites for y in years), None
    if agg.measure == "solar_wind":
        return sum(m.solar_new_mw[s, y] + m.wind_new_mw[s, y] for s in sites for y in years), None
    if agg.measure == "grid_energy":
        return sum(m.grid_energy_mwh[s, y] for s in sites for y in years), None
    raise ValueError(f"unknown measure {agg.measure!r}")


def capacity_items(m: pyo.ConcreteModel) -> dict[str, Any]:
    """The capacities a SPORES point weighs, summed over the plan years, keyed as
    :func:`planner.aggregates.capacity_values` keys them.

    ``racks/<site>/<class>`` new racks [std rack]; ``solar/<site>``, ``wind/<site>`` new
    capacity and ``battery/<site>`` new battery power [MW]. Only items that can be
    positive are listed.
    """
    years = list(m.YEARS)
    buildable = set(m.BUILDABLE)
    items: dict[str, Any] = {}
    for s in m.SITES:
        for c in m.RACK_CLASSES:
            if any((s, c, y) in buildable for y in years):
                items[f"racks/{s}/{c}"] = sum(m.racks_new_std[s, c, y] for y in years)
        for kind, var in (
            ("solar", m.solar_new_mw),
            ("wind", m.wind_new_mw),
            ("battery", m.battery_power_new_mw),
        ):
            if any(_may_be_positive(var[s, y]) for y in years):
                items[f"{kind}/{s}"] = sum(var[s, y] for y in years)
    return items


def _may_be_positive(v: Any) -> bool:
    return not v.fixed and (v.ub is None or v.ub > 0)


def add_cost_slack(m: pyo.ConcreteModel, limit: float) -> pyo.Constraint:
    """Hold the objective's expression at or below ``limit`` [million CNY, the objective's
    units] (``near_optimal_cost``) and deactivate ``total_cost``; return the row.

    ``near_optimal_cost_limit`` is a mutable Param: a new limit is one row to re-read
    (:meth:`planner.solve.highs.CompiledModel.update`).
    """
    m.near_optimal_cost_limit = pyo.Param(
        mutable=True, initialize=float(limit), doc="cost limit of an alternative [million CNY]"
    )
    m.near_optimal_cost = pyo.Constraint(
        expr=m.total_cost.expr <= m.near_optimal_cost_limit,
        doc="discounted cost within the slack of the least cost [million CNY]",
    )
    m.total_cost.deactivate()
    return m.near_optimal_cost


def penalty_variables(m: pyo.ConcreteModel) -> list:
    """Every variable of the ``penalty`` cost component (the shortfalls of the targets)."""
    seen: dict[int, Any] = {}
    for y in m.YEARS:
        for v in identify_variables(m.cost_cny["penalty", y], include_fixed=False):
            seen.setdefault(id(v), v)
    return list(seen.values())


def hold(m: pyo.ConcreteModel, value: Callable[[Any], float]) -> int:
    """Fix every shortfall (:func:`penalty_variables`) at ``value(var)``, its value in the
    least-cost plan (at least 0); return how many were fixed."""
    variables = penalty_variables(m)
    for v in variables:
        v.fix(max(float(value(v)), 0.0))
    return len(variables)


def objective_scale(expr: Any) -> float:
    """A power of ten that brings the largest coefficient of a linear ``expr`` near 1."""
    repn = generate_standard_repn(expr, compute_values=True)
    largest = max((abs(float(c)) for c in repn.linear_coefs), default=0.0)
    if not largest or not math.isfinite(largest):
        return 1.0
    return 10.0 ** -math.floor(math.log10(largest))


def set_objective(m: pyo.ConcreteModel, expr: Any, sense: int, scale: float | None = None) -> float:
    """Make :math:`\\min\\, s\\, k\\, e` the active objective ``near_optimal_objective``.

    ``sense`` :math:`s` is +1 to minimise ``expr`` and -1 to maximise it; :math:`k` is
    ``scale``, or :func:`objective_scale` of ``expr``; returned. Replaces an earlier one.
    """
    if sense not in (1, -1):
        raise ValueError(f"sense must be 1 or -1, not {sense!r}")
    if hasattr(m, "near_optimal_objective"):
        m.del_component(m.near_optimal_objective)
    k = objective_scale(expr) if scale is None else float(scale)
    m.near_optimal_objective = pyo.Objective(
        expr=sense * k * expr, sense=pyo.minimize, doc="objective of an alternative (scaled)"
    )
    return k


def spores_objective(
    items: Mapping[str, Any], weights: Mapping[str, float], scales: Mapping[str, float]
) -> Any:
    r""":math:`\sum_i w_i q_i / S_{\kappa(i)}` over the items with a positive weight (0 if
    none): the SPORES objective, to minimise."""
    terms = [
        (weights[key] / scales.get(key.split("/", 1)[0], 1.0)) * expr
        for key, expr in items.items()
        if weights.get(key, 0.0) > 0
    ]
    return sum(terms[1:], terms[0]) if terms else 0.0
