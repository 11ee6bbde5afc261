r"""Near-optimal alternatives: the rows and objectives added to a built planning model.

Modelling to generate alternatives (MGA) asks how differently the targets can be met at
almost the least cost. It takes the model :func:`~planner.formulation.build.build_model`
built, unchanged, and adds to it (no family is touched, and the model stays the one
definition of the maths):

- the **cost slack** row on the objective's own expression, with :math:`C^*` the cost of
  the least-cost plan and :math:`\varepsilon` the slack [1]:

  .. math::

      \mathrm{total\_cost}(x) \le (1 + \varepsilon)\, C^*
      \quad\text{(near\_optimal\_cost, million CNY)}

  after which ``total_cost`` is deactivated;
- the **targets held**: every variable of the ``penalty`` cost component (the shortfall
  of each target, :mod:`planner.formulation.linking`) is fixed at its value in the
  least-cost plan, so an alternative meets every target exactly as the least-cost plan
  does and cannot buy its way out of one with part of the slack (:func:`hold`). Fixed,
  these columns also leave the cost row, whose penalty coefficients (up to 1e6 million
  CNY per EFLOPS) would otherwise make it badly scaled;
- an **objective** over an aggregate :math:`a(x)` of the plan (:data:`AGGREGATES`):
  :math:`\min\, s\, k\, a(x)` with :math:`s = +1` to minimise, :math:`-1` to maximise,
  and :math:`k` a power of ten that brings the largest coefficient near 1
  (:func:`set_objective`). A share :math:`a = N / D` is a ratio of two linear
  expressions; it is optimised by Dinkelbach's method, a sequence of these objectives
  :math:`\min\, s\, k\, (N(x) - \lambda D(x))` (``planner.alternatives``);
- or the SPORES objective (Lombardi et al. 2020, "Policy decision support for
  renewables deployment through spatially explicit practically optimal alternatives",
  Joule 4), :math:`\min \sum_i w_i\, q_i(x) / S_{\mathrm{kind}(i)}` over the capacity
  items :math:`q_i` of :func:`capacity_items` (new racks per site and class; new solar,
  wind and battery power per site), with weights :math:`w_i` that grow with how much
  earlier alternatives used item :math:`i` and :math:`S` the largest item of each kind
  in the least-cost plan.

Aggregates (all sums over the plan years unless said):

========================== =========== ================================================
key                        unit        :math:`a(x)`
========================== =========== ================================================
``west_racks``             std_rack    new racks at the sites of the western hubs
``east_racks``             std_rack    new racks at the sites of the eastern hubs
``west_share``             1           ``west_racks`` / new racks at every site
``west_intelligent_racks`` std_rack    new intelligent racks in the western hubs
``west_eflops``            EFLOPS      compute of racks built under the plan in service
                                       in the western hubs in the last plan year
``east_eflops``            EFLOPS      the same in the eastern hubs
``racks.<hub>``            std_rack    new racks at the sites of one national hub
``eflops.<hub>``           EFLOPS      compute of new racks in one hub, last plan year
``emissions``              tCO2        emissions of grid imports, every site
``solar_wind``             MW          new solar and wind capacity built
``grid_energy``            MWh         grid energy imported, every site
========================== =========== ================================================

A western (eastern) hub is a national hub whose sites are ``east_west = west`` (``east``)
in the inputs; sites outside the national hubs count in neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
import xarray as xr
from pyomo.core.expr.visitor import identify_variables
from pyomo.repn import generate_standard_repn

from planner.formulation.helpers import coord


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of a plan that alternatives minimise and maximise.

    ``group`` is the site group it sums over (``west``, ``east``, a hub, or ``all``);
    ``measure`` what it sums (``racks``, ``intelligent_racks``, ``eflops``, ``share``,
    ``emissions``, ``solar_wind``, ``grid_energy``); ``unit`` as in
    :mod:`planner.schema`.
    """

    key: str
    measure: str
    group: str
    unit: str
    long_name: str

    @property
    def is_ratio(self) -> bool:
        return self.measure == "share"


_NATIONAL = (
    Aggregate("west_racks", "racks", "west", "std_rack", "new racks in the western hubs"),
    Aggregate("east_racks", "racks", "east", "std_rack", "new racks in the eastern hubs"),
    Aggregate("west_share", "share", "west", "1", "share of new racks in the western hubs"),
    Aggregate(
        "west_intelligent_racks",
        "intelligent_racks",
        "west",
        "std_rack",
        "new intelligent racks in the western hubs",
    ),
    Aggregate(
        "west_eflops", "eflops", "west", "EFLOPS", "new compute in the western hubs, last year"
    ),
    Aggregate(
        "east_eflops", "eflops", "east", "EFLOPS", "new compute in the eastern hubs, last year"
    ),
    Aggregate("emissions", "emissions", "all", "tCO2", "emissions over the plan years"),
    Aggregate("solar_wind", "solar_wind", "all", "MW", "new solar and wind capacity"),
    Aggregate("grid_energy", "grid_energy", "all", "MWh", "grid energy over the plan years"),
)
AGGREGATES: dict[str, Aggregate] = {a.key: a for a in _NATIONAL}
"""The aggregates every model has; :func:`aggregates` adds ``racks.<hub>`` and
``eflops.<hub>`` for the national hubs of a model's inputs."""

INTELLIGENT = "intelligent"


def site_groups(inputs: xr.Dataset) -> dict[str, list]:
    """Sites of each group: ``west``, ``east`` (national hubs by ``site_east_west``),
    ``all`` (every site) and each national hub by name."""
    sites = coord(inputs, "site")
    in_hub = [bool(x) for x in inputs["site_in_national_hub"].values.tolist()]
    side = [str(x) for x in inputs["site_east_west"].values.tolist()]
    hub = [str(x) for x in inputs["site_hub"].values.tolist()]
    groups: dict[str, list] = {"all": list(sites), "west": [], "east": []}
    for s, flag, ew, h in zip(sites, in_hub, side, hub, strict=True):
        if not flag:
            continue
        if ew in ("west", "east"):
            groups[ew].append(s)
        groups.setdefault(h, []).append(s)
    return groups


def national_hubs(inputs: xr.Dataset) -> list[str]:
    """The national hubs of the inputs, in the order of their first site."""
    return [g for g in site_groups(inputs) if g not in ("all", "west", "east")]


def aggregates(hubs: Iterable[str]) -> dict[str, Aggregate]:
    """Every aggregate of a model whose national hubs are ``hubs``."""
    out = dict(AGGREGATES)
    for h in hubs:
        out[f"racks.{h}"] = Aggregate(f"racks.{h}", "racks", h, "std_rack", f"new racks in {h}")
        out[f"eflops.{h}"] = Aggregate(
            f"eflops.{h}", "eflops", h, "EFLOPS", f"new compute in {h}, last year"
        )
    return out


def aggregate_terms(m: pyo.ConcreteModel, inputs: xr.Dataset, key: str) -> tuple[Any, Any]:
    """``(numerator, denominator)`` of an aggregate as Pyomo expressions of ``m``.

    The denominator is ``None`` except for a share. Needs ``racks_new_std`` (``stock``),
    ``compute_new_eflops`` (``compute``), ``solar_new_mw``, ``wind_new_mw``,
    ``grid_energy_mwh`` (``power``) and ``emissions_tco2`` (``carbon``).
    """
    agg = aggregates(national_hubs(inputs))[key]
    groups = site_groups(inputs)
    sites = groups[agg.group]
    years = list(m.YEARS)
    last = years[-1]

    def racks(over: list, classes: Iterable) -> Any:
        return sum(m.racks_new_std[s, c, y] for s in over for c in classes for y in years)

    if agg.measure == "racks":
        return racks(sites, m.RACK_CLASSES), None
    if agg.measure == "intelligent_racks":
        classes = [c for c in m.RACK_CLASSES if c == INTELLIGENT]
        return racks(sites, classes), None
    if agg.measure == "share":
        return racks(sites, m.RACK_CLASSES), racks(groups["all"], m.RACK_CLASSES)
    if agg.measure == "eflops":
        return sum(m.compute_new_eflops[s, c, last] for s in sites for c in m.RACK_CLASSES), None
    if agg.measure == "emissions":
        return sum(m.emissions_tco2[s, y] for s in sites for y in years), None
    if agg.measure == "solar_wind":
        return sum(m.solar_new_mw[s, y] + m.wind_new_mw[s, y] for s in sites for y in years), None
    if agg.measure == "grid_energy":
        return sum(m.grid_energy_mwh[s, y] for s in sites for y in years), None
    raise ValueError(f"unknown measure {agg.measure!r}")


CAPACITY_KINDS = ("racks", "solar", "wind", "battery")
"""Kinds of the SPORES capacity items (:func:`capacity_items`)."""


def capacity_items(m: pyo.ConcreteModel) -> dict[str, Any]:
    """The capacities SPORES weighs, summed over the plan years, keyed ``kind/site[/class]``.

    ``racks/<site>/<class>`` new racks [std rack]; ``solar/<site>``, ``wind/<site>``
    new capacity [MW]; ``battery/<site>`` new battery power [MW]. Only items that can be
    non-zero are listed.
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
    ub = v.ub
    return not v.fixed and (ub is None or ub > 0)


def add_cost_slack(m: pyo.ConcreteModel, limit: float) -> None:
    """Hold the objective's expression at or below ``limit`` [objective units: million
    CNY] (``near_optimal_cost``) and deactivate ``total_cost``."""
    m.near_optimal_cost_limit = pyo.Param(
        mutable=True, initialize=float(limit), doc="cost limit of an alternative [million CNY]"
    )
    m.near_optimal_cost = pyo.Constraint(
        expr=m.total_cost.expr <= m.near_optimal_cost_limit,
        doc="total discounted cost within the slack of the least cost [million CNY]",
    )
    m.total_cost.deactivate()


def penalty_variables(m: pyo.ConcreteModel) -> list:
    """Every variable of the ``penalty`` cost component (the shortfalls of the targets)."""
    seen: dict[int, Any] = {}
    for y in m.YEARS:
        for v in identify_variables(m.cost_cny["penalty", y], include_fixed=False):
            seen.setdefault(id(v), v)
    return list(seen.values())


def hold(m: pyo.ConcreteModel, value: Callable[[Any], float]) -> int:
    """Fix every shortfall (:func:`penalty_variables`) at ``value(var)`` (at least 0),
    its value in the least-cost plan; return how many were fixed."""
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


def set_objective(m: pyo.ConcreteModel, expr: Any, sense: int) -> float:
    """Make ``min sense * k * expr`` the active objective ``near_optimal_objective``.

    ``sense`` is +1 to minimise ``expr`` and -1 to maximise it; ``k`` is
    :func:`objective_scale`, returned. Replaces an earlier one.
    """
    if sense not in (1, -1):
        raise ValueError(f"sense must be 1 or -1, not {sense!r}")
    if hasattr(m, "near_optimal_objective"):
        m.del_component(m.near_optimal_objective)
    k = objective_scale(expr)
    m.near_optimal_objective = pyo.Objective(
        expr=sense * k * expr, sense=pyo.minimize, doc="objective of an alternative (scaled)"
    )
    return k


def spores_objective(
    items: Mapping[str, Any], weights: Mapping[str, float], scales: Mapping[str, float]
) -> Any:
    r""":math:`\sum_i w_i q_i / S_{kind(i)}` over the items with a positive weight (0 if
    none): the SPORES objective to minimise."""
    terms = [
        (weights[key] / scales.get(key.split("/", 1)[0], 1.0)) * expr
        for key, expr in items.items()
        if weights.get(key, 0.0) > 0
    ]
    return sum(terms[1:], terms[0]) if terms else 0.0
