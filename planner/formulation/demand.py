"""Family 3: allocation of demand to sites within each service's latency limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.build import param, scalar

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def add_demand(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Serve each demand from sites that meet its latency limit.

    Needs ``compute_eflops`` from ``compute``. Publishes ``served_eflops`` (over the sparse
    set ``SERVED_INDEX``), ``unserved_eflops`` and ``transfer_cost_cny[y]``.

    Allowed pairs :math:`A = \{(r, v, s) : \ell_{r,s} \le \bar\ell_v\}`; served variables
    exist only for allowed pairs with a positive demand :math:`D_{r,v,c,y}`:

    .. math::

        \sum_{s:(r,v,s)\in A} x_{r,v,c,s,y} + u_{r,v,c,y} &= D_{r,v,c,y}
            \quad\text{(demand\_balance)}                                     \\
        \sum_{r,v} x_{r,v,c,s,y} &\le F_{s,c,y}
            \quad\text{(serve\_capacity)}                                     \\
        \mathrm{transfer}_y &= \sum x_{r,v,c,s,y}\, \frac{d_{r,s}}{1000}\, \tau

    with :math:`\tau` [CNY/(EFLOPS year 1000 km)] and :math:`u \ge 0` penalised in
    ``costs``.
    """
    latency = param(inputs, "latency_ms")
    max_latency = param(inputs, "service_max_latency_ms")
    distance = param(inputs, "distance_km")
    demand = param(inputs, "demand_eflops")
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
        return served + m.unserved_eflops[r, v, c, y] == demand[r, v, c, y]

    @m.Constraint(m.SITES, m.RACK_CLASSES, m.YEARS, doc="served <= compute in service [EFLOPS]")
    def serve_capacity(m, s, c, y):
        pairs = by_site.get((s, c, y))
        if not pairs:
            return pyo.Constraint.Skip
        return sum(m.served_eflops[r, v, c, s, y] for r, v in pairs) <= m.compute_eflops[s, c, y]

    m.transfer_cost_cny = pyo.Expression(
        m.YEARS,
        rule=lambda m, y: sum(
            m.served_eflops[r, v, c, s, yy] * distance[r, s] / 1000.0 * tau
            for r, v, c, s, yy in index
            if yy == y
        ),
        doc="transfer cost [CNY/yr]",
    )
