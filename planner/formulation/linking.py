r"""The two terms the families meet through: the cost components and the hourly balance.

As in Switch (``Cost_Components_Per_Period.append``) and GenX (``add_to_expression!``),
each family adds its own contributions; no module lists another family's variables:

- :func:`add_site_cost` registers a family's part of a cost component at each site, a
  rule ``(site, year) -> expression`` [CNY/yr, undiscounted]; :func:`add_cost` a part
  that belongs to no site (the shortfall penalties of national targets), a rule
  ``year -> expression``;
- :func:`add_supply` registers a family's hourly supply into the site, a rule
  ``(i, n, k) -> (coefficients, variables)`` [MW] at positions of site, year and time
  step (charging is negative supply);
- :func:`set_load` registers the hourly facility load, a rule
  ``(i, n, k) -> (constant, coefficients, variables)`` [MW] (``power``).

After every family, :func:`close` builds the rows that need all contributions:

.. math::

    \sum_{f} \mathrm{supply}^f_{s,y,t} &= \mathrm{load}_{s,y,t}
        \quad\text{(power\_balance)}                                   \\
    \mathrm{cost}_{k,s,y} = \sum_f \mathrm{cost}^f_{k,s,y}, \qquad
    \mathrm{cost}_{k,y} &= \sum_s \mathrm{cost}_{k,s,y} + \sum_f \mathrm{cost}^f_{k,y}, \qquad
    \min \; \frac{1}{S} \sum_y (1+r)^{-(y-b_0)} \sum_k \mathrm{cost}_{k,y}

with :math:`S` = ``OBJECTIVE_SCALE_CNY`` (``build.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

from planner.formulation.helpers import linear

COST_COMPONENTS = (
    "capex_racks",
    "capex_energy",
    "campus",
    "om",
    "energy",
    "certificates",
    "transfer",
    "carbon",
    "penalty",
)
"""Cost components of the objective, in the order of ``cost_cny`` and the reports."""

HourlyTerms = Callable[[int, int, int], tuple[list[float], list[Any]]]
HourlyLoad = Callable[[int, int, int], tuple[float, list[float], list[Any]]]


@dataclass
class LinkingTerms:
    """The contributions registered so far (attached to the model as ``m.planner_links``)."""

    costs: dict[str, list[Callable[[int], Any]]] = field(
        default_factory=lambda: {k: [] for k in COST_COMPONENTS}
    )
    site_costs: dict[str, list[Callable[[Any, int], Any]]] = field(
        default_factory=lambda: {k: [] for k in COST_COMPONENTS}
    )
    supply: list[HourlyTerms] = field(default_factory=list)
    load: HourlyLoad | None = None


def add_site_cost(m: pyo.ConcreteModel, component: str, rule: Callable[[Any, int], Any]) -> None:
    """Add ``rule(site, year)`` [CNY/yr] to the cost component ``component`` at each site."""
    m.planner_links.site_costs[component].append(rule)


def add_cost(m: pyo.ConcreteModel, component: str, rule: Callable[[int], Any]) -> None:
    """Add ``rule(year)`` [CNY/yr], a cost of no site, to the component ``component``."""
    m.planner_links.costs[component].append(rule)


def add_supply(m: pyo.ConcreteModel, rule: HourlyTerms) -> None:
    """Add ``rule(i, n, k)`` [MW] to the supply side of every hourly balance row."""
    m.planner_links.supply.append(rule)


def set_load(m: pyo.ConcreteModel, rule: HourlyLoad) -> None:
    """The facility load of every hourly balance row (one family owns it)."""
    if m.planner_links.load is not None:
        raise RuntimeError("the facility load is already set")
    m.planner_links.load = rule


def close(m: pyo.ConcreteModel) -> None:
    """Build ``power_balance``, ``site_cost_cny[component, site, year]``,
    ``cost_cny[component, year]`` and the objective."""
    d = m.planner_data
    links = m.planner_links
    if links.load is None:
        raise RuntimeError("no family set the facility load")
    load, supply = links.load, links.supply

    @m.Constraint(m.SITES, m.YEARS, m.TIMESTEPS, doc="hourly power balance [MW]")
    def power_balance(m, s, y, t):
        i, n, k = d.site_index[s], d.year_index[y], d.timestep_index[t]
        coefs: list[float] = []
        variables: list = []
        for rule in supply:
            c, v = rule(i, n, k)
            coefs.extend(c)
            variables.extend(v)
        const, load_coefs, load_vars = load(i, n, k)
        coefs.extend(-c for c in load_coefs)
        variables.extend(load_vars)
        return linear(coefs, variables) == const

    def total(terms: list) -> Any:
        return sum(terms[1:], terms[0]) if terms else 0.0

    m.site_cost_cny = pyo.Expression(
        m.COST_COMPONENTS,
        m.SITES,
        m.YEARS,
        rule=lambda m, k, s, y: total([rule(s, y) for rule in links.site_costs[k]]),
        doc="undiscounted cost by component at the site [CNY/yr]",
    )

    def component(m, k, y):
        sites = [m.site_cost_cny[k, s, y] for s in m.SITES] if links.site_costs[k] else []
        return total(sites + [rule(y) for rule in links.costs[k]])

    m.cost_cny = pyo.Expression(
        m.COST_COMPONENTS,
        m.YEARS,
        rule=component,
        doc="undiscounted cost by component [CNY/yr]",
    )
    scale = d.objective_scale_cny
    m.total_cost = pyo.Objective(
        expr=sum(
            d.discount_factor[y] / scale * sum(m.cost_cny[k, y] for k in m.COST_COMPONENTS)
            for y in m.YEARS
        ),
        sense=pyo.minimize,
        doc="discounted cost [million CNY]",
    )
