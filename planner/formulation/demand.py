"""Family 3: allocation of demand to sites within each service's latency limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.case import case_param, case_rows
from planner.formulation.helpers import param, scalar
from planner.formulation.linking import add_cost, add_site_cost

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def add(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Serve each demand from sites that meet its latency limit; keep racks occupied.

    Needs ``compute_eflops`` and ``compute_new_eflops`` from ``compute`` and the stock
    indices of ``m.planner_data``. Publishes ``served_eflops`` (over the sparse set
    ``SERVED_INDEX``), ``unserved_eflops`` and ``idle_stock_eflops``; adds the transfer
    cost to ``transfer`` at the serving site and the penalties of both slacks to
    ``penalty``.

    Allowed pairs :math:`A = \{(r, v, s) : \ell_{r,s} \le \bar\ell_v\}`; served variables
    exist only for allowed pairs with a positive demand :math:`D_{r,v,c,y}`:

    .. math::

        \sum_{s:(r,v,s)\in A} x_{r,v,c,s,y} + u_{r,v,c,y} &= D_{r,v,c,y}
            \quad\text{(demand\_balance)}                                     \\
        \sum_{r,v} x_{r,v,c,s,y} &\le F_{s,c,y}
            \quad\text{(serve\_capacity)}                                     \\
        \mathrm{transfer}_{s,y} &= \sum_{r,v,c} x_{r,v,c,s,y}\, \frac{d_{r,s}}{1000}\, \tau

    with :math:`\tau` [CNY/(EFLOPS year 1000 km)] and :math:`u \ge 0` penalised.

    Occupancy (上架率): demand is the compute users run, so what a site serves is its
    occupied compute. At every site, class and year the racks built under the plan are
    occupied at least at the site's rule :math:`\omega_s` (``occupancy_min_frac``, 65 %
    in the cluster approval letters) and the existing racks at least at their own,
    lower, occupancy :math:`\omega^{stock}_s` (``stock_occupancy_frac``, data):

    .. math::

        \sum_{r,v} x_{r,v,c,s,y} + \iota_{s,c,y} &\ge
            \omega_s F^{new}_{s,c,y} + \omega^{stock}_s F^{stock}_{s,c,y}
            \quad\text{(occupancy)}                                            \\
        0 \le \iota_{s,c,y} &\le \omega^{stock}_s F^{stock}_{s,c,y}

    The slack :math:`\iota` [EFLOPS] lets only the existing racks fall below their
    occupancy (when demand is too low to fill even them), at a penalty above the target
    penalties over :math:`\omega` (so emptying old racks to fill new ones never pays);
    new racks always meet the rule, so a class no demand asks for is never built, and
    nationally no class is in service beyond :math:`1/\min_s \omega` times its demand.
    The rows exist where racks of the class can be in service (stock, or new builds
    allowed).
    """
    latency = param(inputs, "latency_ms")
    max_latency = param(inputs, "service_max_latency_ms")
    distance = param(inputs, "distance_km")
    demand = param(inputs, "demand_eflops")  # its positive entries shape the model
    demand_p = case_param(m, inputs, "demand_eflops")
    tau = scalar(inputs, "transfer_cost_cny_per_eflops_year_per_1000km")

    index = [
        (r, v, c, s, y)
        for r in m.REGIONS
        for v in m.SERVICES
        for c in m.RACK_CLASSES
        for s in m.SITES
        for y in m.YEARS
        if latency[r, s] <= max_latency[v] and demand[r, v, c, y] > 0
    ]
    m.SERVED_INDEX = pyo.Set(
        initialize=index, dimen=5, ordered=True, doc="(region, service, class, site, year)"
    )
    m.served_eflops = pyo.Var(
        m.SERVED_INDEX, domain=pyo.NonNegativeReals, doc="demand served by a site [EFLOPS]"
    )
    m.unserved_eflops = pyo.Var(
        m.REGIONS,
        m.SERVICES,
        m.RACK_CLASSES,
        m.YEARS,
        domain=pyo.NonNegativeReals,
        doc="demand not served [EFLOPS]",
    )
    by_demand: dict = {}
    by_site: dict = {}
    for r, v, c, s, y in index:
        by_demand.setdefault((r, v, c, y), []).append(s)
        by_site.setdefault((s, c, y), []).append((r, v))

    @m.Constraint(m.REGIONS, m.SERVICES, m.RACK_CLASSES, m.YEARS, doc="demand [EFLOPS]")
    def demand_balance(m, r, v, c, y):
        served = sum(m.served_eflops[r, v, c, s, y] for s in by_demand.get((r, v, c, y), ()))
        return served + m.unserved_eflops[r, v, c, y] == demand_p[r, v, c, y]

    case_rows(m, m.demand_balance)

    m.SERVE_INDEX = pyo.Set(
        initialize=[
            (s, c, y)
            for s in m.SITES
            for c in m.RACK_CLASSES
            for y in m.YEARS
            if (s, c, y) in by_site
        ],
        dimen=3,
        ordered=True,
        doc="(site, class, year) that may serve some demand",
    )

    @m.Constraint(m.SERVE_INDEX, doc="served <= compute in service [EFLOPS]")
    def serve_capacity(m, s, c, y):
        served = sum(m.served_eflops[r, v, c, s, y] for r, v in by_site[s, c, y])
        return served <= m.compute_eflops[s, c, y]

    d = m.planner_data
    buildable = set(d.buildable)
    occupancy = param(inputs, "occupancy_min_frac")
    stock_occupancy = param(inputs, "stock_occupancy_frac")

    def may_build(s, c, y) -> bool:
        return any((s, c, b) in buildable for b in d.build_years_in_service[c, y])

    def stock_floor(s, c, y) -> float:
        return stock_occupancy[s] * d.stock_eflops_in_service[s, c, y]

    m.OCCUPANCY_INDEX = pyo.Set(
        initialize=[
            (s, c, y)
            for s in m.SITES
            for c in m.RACK_CLASSES
            for y in m.YEARS
            if (occupancy[s] > 0 and may_build(s, c, y)) or stock_floor(s, c, y) > 0
        ],
        dimen=3,
        ordered=True,
        doc="(site, class, year) with racks that may be in service under an occupancy rule",
    )
    m.idle_stock_eflops = pyo.Var(
        m.OCCUPANCY_INDEX,
        bounds=lambda m, s, c, y: (0.0, stock_floor(s, c, y)),
        doc="existing racks' compute below their occupancy [EFLOPS]",
    )

    @m.Constraint(m.OCCUPANCY_INDEX, doc="occupancy of racks in service [EFLOPS]")
    def occupancy_rule(m, s, c, y):
        served = sum(m.served_eflops[r, v, c, s, y] for r, v in by_site.get((s, c, y), ()))
        return served + m.idle_stock_eflops[s, c, y] >= (
            occupancy[s] * m.compute_new_eflops[s, c, y] + stock_floor(s, c, y)
        )

    served_at: dict = {}  # (site, year) -> [(region, service, class)]
    for r, v, c, s_, y in index:
        served_at.setdefault((s_, y), []).append((r, v, c))
    add_site_cost(
        m,
        "transfer",
        lambda s, y: sum(
            m.served_eflops[r, v, c, s, y] * distance[r, s] / 1000.0 * tau
            for r, v, c in served_at.get((s, y), ())
        ),
    )
    pen = options.penalties
    add_cost(
        m,
        "penalty",
        lambda y: (
            pen.demand_cny_per_eflops
            * sum(
                m.unserved_eflops[rg, v, c, y]
                for rg in m.REGIONS
                for v in m.SERVICES
                for c in m.RACK_CLASSES
            )
            + pen.occupancy_cny_per_eflops
            * sum(m.idle_stock_eflops[s, c, yy] for s, c, yy in m.OCCUPANCY_INDEX if yy == y)
        ),
    )
