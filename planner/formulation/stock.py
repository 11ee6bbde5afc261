"""Family 1: rack stock (existing vintages with retirement, integer new-build modules)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from planner.formulation.build import param

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def server_year(built: int, year: int, it_lifetime_years: float) -> int:
    """Purchase year of the servers in a rack built in ``built``, in ``year``: they are
    renewed every ``it_lifetime_years``."""
    cycles = math.floor((year - built) / it_lifetime_years)
    return math.floor(built + it_lifetime_years * cycles)


def stock_eflops_per_std_rack(inputs: xr.Dataset, years: list[int]) -> xr.DataArray:
    """Compute per existing rack in each plan year, servers renewed [EFLOPS/std rack].

    Dims (site, rack_class, vintage, year). A rack of vintage ``v`` holds servers bought
    in :func:`server_year`; up to the base year that is the calibrated
    ``stock_eflops_per_std_rack``, later the ``refresh_eflops_per_std_rack`` of that year.
    """
    base = int(inputs["base_year"])
    calibrated = inputs["stock_eflops_per_std_rack"].fillna(0.0)
    refresh = inputs["refresh_eflops_per_std_rack"]
    vintages = inputs["vintage"].values.tolist()
    classes = inputs["rack_class"].values.tolist()
    it_life = inputs["it_lifetime_years"].sel(rack_class=classes).values.tolist()
    renewed = np.zeros((len(classes), len(vintages), len(years)))
    is_renewed = np.zeros_like(renewed, dtype=bool)
    for i, c in enumerate(classes):
        for j, v in enumerate(vintages):
            for k, y in enumerate(years):
                r = server_year(v, y, it_life[i])
                if r > base:
                    is_renewed[i, j, k] = True
                    renewed[i, j, k] = float(refresh.sel(rack_class=c, refresh_year=r))
    coords = {"rack_class": classes, "vintage": vintages, "year": years}
    dims = ("rack_class", "vintage", "year")
    value = xr.where(
        xr.DataArray(is_renewed, dims=dims, coords=coords),
        xr.DataArray(renewed, dims=dims, coords=coords),
        calibrated,
    )
    return value.transpose("site", "rack_class", "vintage", "year")


def add_stock(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Racks in service by site, class and year.

    Needs only the sets. Publishes ``racks_new_std``, ``racks_total_std`` and, in
    ``m.planner_data``, the stock in service (racks and compute), the build years in
    service and the compute per rack of each build year in each year.

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

    Servers are renewed every :math:`L^{IT}_c` years (``it_lifetime_years``; ``costs``
    annualises their capex over that life) and a renewed rack delivers the compute of
    its servers' purchase year :math:`r(v, y) = v + L^{IT}_c \lfloor (y - v) / L^{IT}_c
    \rfloor`: :math:`f_{c,r}` (``refresh_eflops_per_std_rack``, from ``rack_build.csv``)
    once :math:`r` is after the base year, and the calibrated end-of-base-year value
    :math:`f^{stock}_{s,c,v}` before. This is how compute per rack grows in the record
    (280 EFLOPS at end-2024 with under 9 M racks) while a rack position lasts
    :math:`L_c` years.

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
    stock_ef = (racks * stock_eflops_per_std_rack(inputs, d.years) * alive).sum("vintage")
    stock = stock.transpose("site", "rack_class", "year")
    stock_ef = stock_ef.transpose("site", "rack_class", "year")
    d.stock_racks_in_service = stock.to_series().to_dict()
    d.stock_eflops_in_service = stock_ef.to_series().to_dict()
    d.build_years_in_service = {
        (c, y): [b for b in d.years if b <= y < b + life[c]]
        for c in d.rack_classes
        for y in d.years
    }
    built = param(inputs, "eflops_per_std_rack")
    refresh = param(inputs, "refresh_eflops_per_std_rack")
    it_life = param(inputs, "it_lifetime_years")

    def renewed(c, b, y):
        r = server_year(b, y, it_life[c])
        return built[c, b] if r == b else refresh[c, r]

    d.new_eflops_per_std_rack = {
        (c, b, y): renewed(c, b, y)
        for c in d.rack_classes
        for y in d.years
        for b in d.build_years_in_service[c, y]
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
            if not allowed[s] or phase_std[s] <= 0:
                return pyo.Constraint.Skip  # no campus phases at the site: builds need none
            upto = [b for b in d.years if b <= y]
            return sum(m.racks_new_std[s, c, b] for c in d.rack_classes for b in upto) <= phase_std[
                s
            ] * sum(m.campus_phases[s, b] for b in upto)
