"""Family 1: rack stock (existing vintages with retirement, integer new-build modules)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.build import param

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def add_stock(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Racks in service by site, class and year.

    Needs only the sets. Publishes ``racks_new_std``, ``racks_total_std`` and, in
    ``m.planner_data``, the stock in service and the build years in service.

    With :math:`M_c` the module size [std rack], :math:`L_c` the lifetime [year],
    :math:`K_{s,c,v}` the existing racks of vintage :math:`v`, :math:`b_0` the base year
    and :math:`\mathrm{gap}(y) = y - \mathrm{prev}(y)`:

    .. math::

        n_{s,c,y} &\in \mathbb{Z}_{\ge 0}
            \quad (n = 0 \text{ where new builds are not allowed})      \\
        \mathrm{new}_{s,c,y} &= M_c\, n_{s,c,y}                          \\
        \mathrm{total}_{s,c,y} &= \sum_{v:\, v + L_c > y} K_{s,c,v}
            + \sum_{y' \le y:\, y' + L_c > y} \mathrm{new}_{s,c,y'}     \\
        \sum_c \mathrm{total}_{s,c,y} &\le
            \max\bigl(R_s, \textstyle\sum_c \mathrm{stock}_{s,c,y}\bigr)
            \quad\text{(rack limit; existing racks above the limit stay)} \\
        \sum_c \mathrm{new}_{s,c,y} &\le B_s\, \mathrm{gap}(y)
            \quad\text{(build rate)}

    With ``options.campus_phases``: integer phases opened :math:`p_{s,y}`, each unlocking
    :math:`P_s` racks at a fixed cost (annualised in ``costs``):

    .. math::

        \sum_{y' \le y} \sum_c \mathrm{new}_{s,c,y'} \le P_s \sum_{y' \le y} p_{s,y'}
    """
    d = m.planner_data
    module = param(inputs, "module_std_racks")
    life = param(inputs, "lifetime_years")
    allowed = {s: bool(v) for s, v in param(inputs, "new_build_allowed").items()}
    rack_cap = param(inputs, "rack_limit_std")
    build_cap = param(inputs, "build_limit_std_per_year")

    # Existing stock in service per year (vectorised over vintages).
    year = xr.DataArray(d.years, dims="year", coords={"year": d.years})
    alive = (inputs["vintage"] + inputs["lifetime_years"]) > year
    racks = inputs["stock_racks_std"].fillna(0.0)
    stock = (racks * alive).sum("vintage")
    stock_ef = (racks * inputs["stock_eflops_per_std_rack"].fillna(0.0) * alive).sum("vintage")
    stock = stock.transpose("site", "rack_class", "year")
    stock_ef = stock_ef.transpose("site", "rack_class", "year")
    d.stock_racks_in_service = stock.to_series().to_dict()
    d.stock_eflops_in_service = stock_ef.to_series().to_dict()
    d.build_years_in_service = {
        (c, y): [b for b in d.years if b <= y < b + life[c]]
        for c in d.rack_classes
        for y in d.years
    }

    def modules_bounds(m, s, c, y):
        if not allowed[s]:
            return (0, 0)
        cap = min(build_cap[s] * d.gap_years[y], rack_cap[s])
        return (0, math.floor(cap / module[c] + 1e-9))

    m.build_modules = pyo.Var(
        m.SITES,
        m.RACK_CLASSES,
        m.YEARS,
        domain=pyo.NonNegativeIntegers,
        bounds=modules_bounds,
        doc="new build modules [module]",
    )
    for s in d.sites:
        if not allowed[s]:
            for c in d.rack_classes:
                for y in d.years:
                    m.build_modules[s, c, y].fix(0)

    m.racks_new_std = pyo.Expression(
        m.SITES,
        m.RACK_CLASSES,
        m.YEARS,
        rule=lambda m, s, c, y: module[c] * m.build_modules[s, c, y],
        doc="new racks built in the year [std rack]",
    )
    m.racks_total_std = pyo.Expression(
        m.SITES,
        m.RACK_CLASSES,
        m.YEARS,
        rule=lambda m, s, c, y: (
            d.stock_racks_in_service[s, c, y]
            + sum(m.racks_new_std[s, c, b] for b in d.build_years_in_service[c, y])
        ),
        doc="racks in service [std rack]",
    )

    @m.Constraint(m.SITES, m.YEARS, doc="site rack limit [std rack]")
    def rack_limit(m, s, y):
        if not allowed[s]:
            return pyo.Constraint.Skip
        existing = sum(d.stock_racks_in_service[s, c, y] for c in d.rack_classes)
        return sum(m.racks_total_std[s, c, y] for c in d.rack_classes) <= max(rack_cap[s], existing)

    @m.Constraint(m.SITES, m.YEARS, doc="build-rate limit [std rack]")
    def build_rate_limit(m, s, y):
        if not allowed[s]:
            return pyo.Constraint.Skip
        return sum(m.racks_new_std[s, c, y] for c in d.rack_classes) <= (
            build_cap[s] * d.gap_years[y]
        )

    if options.campus_phases:
        phase_std = param(inputs, "campus_phase_std")

        def phase_bounds(m, s, y):
            if not allowed[s] or phase_std[s] <= 0:
                return (0, 0)
            return (0, math.ceil(rack_cap[s] / phase_std[s] - 1e-9))

        m.campus_phases = pyo.Var(
            m.SITES,
            m.YEARS,
            domain=pyo.NonNegativeIntegers,
            bounds=phase_bounds,
            doc="campus phases opened in the year [phase]",
        )

        @m.Constraint(m.SITES, m.YEARS, doc="new racks fit in the opened phases [std rack]")
        def campus_capacity(m, s, y):
            if not allowed[s]:
                return pyo.Constraint.Skip
            upto = [b for b in d.years if b <= y]
            return sum(m.racks_new_std[s, c, b] for c in d.rack_classes for b in upto) <= phase_std[
                s
            ] * sum(m.campus_phases[s, b] for b in upto)
