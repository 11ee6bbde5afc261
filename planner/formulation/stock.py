"""Family 1: rack stock (existing vintages with retirement, integer new-build modules)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from planner.formulation.case import case_param
from planner.formulation.helpers import crf, param
from planner.formulation.linking import add_site_cost

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


def stock_in_service(inputs: xr.Dataset, years: list[int]) -> tuple[dict, dict]:
    """Existing racks [std rack] and their compute [EFLOPS] in service by (site, class, year).

    A vintage ``v`` is in service in year ``y`` while ``v + lifetime_years > y``.
    """
    year = xr.DataArray(years, dims="year", coords={"year": years})
    alive = (inputs["vintage"] + inputs["lifetime_years"]) > year
    racks = inputs["stock_racks_std"].fillna(0.0)
    in_service = (racks * alive).sum("vintage").transpose("site", "rack_class", "year")
    compute = (racks * stock_eflops_per_std_rack(inputs, years) * alive).sum("vintage")
    compute = compute.transpose("site", "rack_class", "year")
    return in_service.to_series().to_dict(), compute.to_series().to_dict()


def new_eflops_per_std_rack(inputs: xr.Dataset, build_years: dict) -> dict:
    """Compute per rack built in year ``b`` in each year ``y`` it is in service, servers
    renewed: ``{(class, b, y): EFLOPS per std rack}``."""
    built = param(inputs, "eflops_per_std_rack")
    refresh = param(inputs, "refresh_eflops_per_std_rack")
    it_life = param(inputs, "it_lifetime_years")

    def renewed(c, b, y):
        r = server_year(b, y, it_life[c])
        return built[c, b] if r == b else refresh[c, r]

    return {(c, b, y): renewed(c, b, y) for (c, y), builds in build_years.items() for b in builds}


def module_limit(inputs: xr.Dataset, site, rack_class, gap_years: int) -> int:
    """Most build modules of ``rack_class`` a site may add in one plan year: its build rate
    over the years since the previous plan year, within its rack limit (0 where new builds
    are not allowed)."""
    if not bool(inputs["new_build_allowed"].sel(site=site)):
        return 0
    cap = min(
        float(inputs["build_limit_std_per_year"].sel(site=site)) * gap_years,
        float(inputs["rack_limit_std"].sel(site=site)),
    )
    return math.floor(cap / float(inputs["module_std_racks"].sel(rack_class=rack_class)) + 1e-9)


def buildable(inputs: xr.Dataset, years: list[int], gap_years: dict) -> tuple:
    """The (site, class, year) where at least one build module may be added."""
    return tuple(
        (s, c, y)
        for s in inputs["site"].values.tolist()
        for c in inputs["rack_class"].values.tolist()
        for y in years
        if module_limit(inputs, s, c, gap_years[y]) > 0
    )


def add(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Racks in service by site, class and year; their capital and O&M costs.

    Needs the sets (``BUILDABLE``) and the stock indices of ``m.planner_data``. Publishes
    ``build_modules`` (over ``BUILDABLE``), ``racks_new_std``, ``racks_total_std`` and,
    with campus phases, ``campus_phases``.

    With :math:`M_c` the module size [std rack], :math:`L_c` the lifetime [year],
    :math:`K_{s,c,v}` the existing racks of vintage :math:`v`, :math:`b_0` the base year
    and :math:`\mathrm{gap}(y) = y - \mathrm{prev}(y)`:

    .. math::

        n_{s,c,y} &\in \mathbb{Z}_{\ge 0}
            \quad ((s, c, y) \in \mathrm{BUILDABLE}, \text{ else } n = 0)  \\
        \mathrm{new}_{s,c,y} &= M_c\, n_{s,c,y}                          \\
        \mathrm{total}_{s,c,y} &= \sum_{v:\, v + L_c > y} K_{s,c,v}
            + \sum_{y' \le y:\, y' + L_c > y} \mathrm{new}_{s,c,y'}     \\
        \sum_c \mathrm{total}_{s,c,y} &\le
            \max\bigl(R_s, \textstyle\sum_c \mathrm{stock}_{s,c,y}\bigr)
            \quad\text{(rack limit; existing racks above the limit stay)} \\
        \sum_c \mathrm{new}_{s,c,y} &\le B_s\, \mathrm{gap}(y)
            \quad\text{(build rate)}

    Servers are renewed every :math:`L^{IT}_c` years (``it_lifetime_years``) and a
    renewed rack delivers the compute of its servers' purchase year
    :math:`r(v, y) = v + L^{IT}_c \lfloor (y - v) / L^{IT}_c \rfloor`: :math:`f_{c,r}`
    (``refresh_eflops_per_std_rack``, from ``rack_build.csv``) once :math:`r` is after the
    base year, and the calibrated end-of-base-year value :math:`f^{stock}_{s,c,v}` before.
    This is how compute per rack grows in the record (280 EFLOPS at end-2024 with under
    9 M racks) while a rack position lasts :math:`L_c` years.

    With ``options.campus_phases``: integer phases opened :math:`p_{s,y}` at sites with a
    phase size :math:`P_s > 0`, each unlocking :math:`P_s` racks at a fixed cost:

    .. math::

        \sum_{y' \le y} \sum_c \mathrm{new}_{s,c,y'} \le P_s \sum_{y' \le y} p_{s,y'}

    Costs, with :math:`\mathrm{CRF}(r, L) = r(1+r)^L / ((1+r)^L - 1)` and builds
    :math:`b` in service in :math:`y` (:math:`b \le y < b + L`):

    - ``capex_racks``: :math:`\sum \mathrm{new}_{s,c,b} (k^{fac}_{c,b} \mathrm{CRF}(r, L_c)
      + k^{IT}_{c,b} \mathrm{CRF}(r, L^{IT}_c))`: servers are renewed every
      :math:`L^{IT}_c` years at the build year's price while the rack position lasts
      :math:`L_c` years;
    - ``om``: racks in service x O&M per rack and year (existing racks included);
    - ``campus``: phases in service x ``campus_phase_cost_cny`` x CRF(r, L_campus) with
      :math:`L_{campus}` the longest rack lifetime.
    """
    d = m.planner_data
    module = param(inputs, "module_std_racks")
    rack_cap = param(inputs, "rack_limit_std")
    build_cap = param(inputs, "build_limit_std_per_year")
    buildable_set = set(d.buildable)

    m.build_modules = pyo.Var(
        m.BUILDABLE,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda m, s, c, y: (0, module_limit(inputs, s, c, d.gap_years[y])),
        doc="new build modules [module]",
    )
    m.racks_new_std = pyo.Expression(
        m.SITES,
        m.RACK_CLASSES,
        m.YEARS,
        rule=lambda m, s, c, y: (
            module[c] * m.build_modules[s, c, y] if (s, c, y) in buildable_set else 0.0
        ),
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

    # Rows where builds can change the left-hand side.
    in_service_build = {
        (s, y) for s, c, b in d.buildable for y in d.years if b in d.build_years_in_service[c, y]
    }
    m.RACK_LIMIT_INDEX = pyo.Set(
        initialize=[(s, y) for s in d.sites for y in d.years if (s, y) in in_service_build],
        dimen=2,
        ordered=True,
        doc="(site, year) with new racks that may be in service",
    )
    m.BUILD_RATE_INDEX = pyo.Set(
        initialize=[
            (s, y)
            for s in d.sites
            for y in d.years
            if any((s, c, y) in buildable_set for c in d.rack_classes)
        ],
        dimen=2,
        ordered=True,
        doc="(site, year) that may build",
    )

    @m.Constraint(m.RACK_LIMIT_INDEX, doc="site rack limit [std rack]")
    def rack_limit(m, s, y):
        existing = sum(d.stock_racks_in_service[s, c, y] for c in d.rack_classes)
        return sum(m.racks_total_std[s, c, y] for c in d.rack_classes) <= max(rack_cap[s], existing)

    @m.Constraint(m.BUILD_RATE_INDEX, doc="build-rate limit [std rack]")
    def build_rate_limit(m, s, y):
        return sum(m.racks_new_std[s, c, y] for c in d.rack_classes) <= (
            build_cap[s] * d.gap_years[y]
        )

    r = d.discount_rate_frac
    life = param(inputs, "lifetime_years")
    it_life = param(inputs, "it_lifetime_years")
    capex_fac = case_param(m, inputs, "capex_facility_cny_per_std_rack")
    capex_it = case_param(m, inputs, "capex_it_cny_per_std_rack")
    om_rack = param(inputs, "om_cny_per_std_rack_year")

    add_site_cost(
        m,
        "capex_racks",
        lambda s, y: sum(
            m.racks_new_std[s, c, b]
            * (capex_fac[c, b] * crf(r, life[c]) + capex_it[c, b] * crf(r, it_life[c]))
            for c in m.RACK_CLASSES
            for b in d.build_years_in_service[c, y]
        ),
    )
    add_site_cost(
        m, "om", lambda s, y: sum(m.racks_total_std[s, c, y] * om_rack[c] for c in m.RACK_CLASSES)
    )

    if not options.campus_phases:
        return
    phase_std = param(inputs, "campus_phase_std")
    phase_cost = param(inputs, "campus_phase_cost_cny")
    building = {s for s, _c, _y in d.buildable}
    campus_sites = [s for s in d.sites if phase_std[s] > 0 and s in building]
    m.CAMPUS_SITES = pyo.Set(initialize=campus_sites, ordered=True, doc="sites with phases")
    m.campus_phases = pyo.Var(
        m.CAMPUS_SITES,
        m.YEARS,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda m, s, y: (0, math.ceil(rack_cap[s] / phase_std[s] - 1e-9)),
        doc="campus phases opened in the year [phase]",
    )

    @m.Constraint(m.CAMPUS_SITES, m.YEARS, doc="new racks fit in the opened phases [std rack]")
    def campus_capacity(m, s, y):
        upto = [b for b in d.years if b <= y]
        built = sum(m.racks_new_std[s, c, b] for c in d.rack_classes for b in upto)
        return built <= phase_std[s] * sum(m.campus_phases[s, b] for b in upto)

    lifetime = max(life.values())
    f = crf(r, lifetime)
    campus = set(campus_sites)
    add_site_cost(
        m,
        "campus",
        lambda s, y: (
            sum(m.campus_phases[s, b] * phase_cost[s] * f for b in d.years if b <= y < b + lifetime)
            if s in campus
            else 0.0
        ),
    )
