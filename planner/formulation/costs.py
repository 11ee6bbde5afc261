"""Family 8: yearly cost components and the one objective."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.build import crf, linear, param, scalar
from planner.formulation.power import in_service_builds

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def add_costs(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Undiscounted cost components per year (CNY/yr) and the discounted objective.

    Needs every earlier family's named totals. Publishes ``cost_cny[component, y]`` and
    the objective ``total_cost``.

    With :math:`\mathrm{CRF}(r, L) = r(1+r)^L / ((1+r)^L - 1)`, builds :math:`b` in
    service in :math:`y` (:math:`b \le y < b + L`) and tech capex/fom of the build year:

    - ``capex_racks``: :math:`\sum \mathrm{new}_{s,c,b} (k^{fac}_{c,b} \mathrm{CRF}(r, L_c)
      + k^{IT}_{c,b} \mathrm{CRF}(r, L^{IT}_c))`: servers are renewed every
      :math:`L^{IT}_c` years at the build year's price while the rack position lasts
      :math:`L_c` years
    - ``capex_energy``: solar, wind and battery power at CNY/kW x 1000 and battery energy
      at CNY/kWh x 1000, each x CRF(r, L_tech,b)
    - ``campus``: phases in service x ``campus_phase_cost_cny`` x CRF(r, L_campus) with
      :math:`L_{campus}` the longest rack lifetime (0 without campus phases)
    - ``om``: racks in service x O&M + capacities in service x fom x 1000
    - ``energy``: :math:`\sum_{s,t} w_t (g\, p_{s,y}\, \mu_{s,t} + h\, p^{hydro}_s)`
    - ``certificates``: gec x gec price; ``transfer``: from ``demand``
    - ``carbon``: carbon price x emissions
    - ``penalty``: shortfalls x their penalties

    .. math::

        \min \; \frac{1}{S} \sum_y (1+r)^{-(y-b_0)} \sum_k \mathrm{cost}_{k,y}

    with :math:`S` = ``OBJECTIVE_SCALE_CNY`` (``build.py``).
    """
    d = m.planner_data
    r = d.discount_rate_frac
    years = d.years
    pen = options.penalties
    life = param(inputs, "lifetime_years")
    it_life = param(inputs, "it_lifetime_years")
    capex_fac = param(inputs, "capex_facility_cny_per_std_rack")
    capex_it = param(inputs, "capex_it_cny_per_std_rack")
    om_rack = param(inputs, "om_cny_per_std_rack_year")
    tech_life = param(inputs, "tech_lifetime_years")
    capex_kw = param(inputs, "tech_capex_cny_per_kw")
    capex_kwh = param(inputs, "tech_capex_cny_per_kwh")
    fom_kw = param(inputs, "tech_fom_cny_per_kw_year")
    price = param(inputs, "electricity_price_cny_per_mwh")
    hydro_price = param(inputs, "hydro_price_cny_per_mwh")
    gec_price = scalar(inputs, "gec_price_cny_per_mwh")
    carbon_price = scalar(inputs, "carbon_price_cny_per_tco2")
    multiplier = inputs["price_multiplier"].transpose("site", "timestep").values.tolist()
    si = {s: i for i, s in enumerate(d.sites)}

    def capex_racks(y):
        return sum(
            m.racks_new_std[s, c, b]
            * (capex_fac[c, b] * crf(r, life[c]) + capex_it[c, b] * crf(r, it_life[c]))
            for s in m.SITES
            for c in m.RACK_CLASSES
            for b in d.build_years_in_service[c, y]
        )

    tech_vars = {
        "solar": (m.solar_new_mw, None),
        "wind": (m.wind_new_mw, None),
        "battery": (m.battery_power_new_mw, m.battery_energy_new_mwh),
    }

    def capex_energy(y):
        total = 0.0
        for tech, (power_var, energy_var) in tech_vars.items():
            for b in in_service_builds(tech_life, tech, years, y):
                f = crf(r, tech_life[tech, b]) * 1000.0
                for s in m.SITES:
                    total += power_var[s, b] * capex_kw[tech, b] * f
                    if energy_var is not None:
                        total += energy_var[s, b] * capex_kwh[tech, b] * f
        return total

    def campus(y):
        if not options.campus_phases:
            return 0.0
        phase_cost = param(inputs, "campus_phase_cost_cny")
        f = crf(r, max(life.values()))
        lifetime = max(life.values())
        return sum(
            m.campus_phases[s, b] * phase_cost[s] * f
            for s in m.SITES
            for b in years
            if b <= y < b + lifetime
        )

    def om(y):
        racks = sum(
            m.racks_total_std[s, c, y] * om_rack[c] for s in m.SITES for c in m.RACK_CLASSES
        )
        techs = sum(
            power_var[s, b] * fom_kw[tech, b] * 1000.0
            for tech, (power_var, _) in tech_vars.items()
            for b in in_service_builds(tech_life, tech, years, y)
            for s in m.SITES
        )
        return racks + techs

    def energy(y):
        grid = linear(
            [
                d.weight_h[t] * price[s, y] * multiplier[si[s]][k]
                for s in m.SITES
                for k, t in enumerate(d.timesteps)
            ],
            [m.grid_import_mw[s, y, t] for s in m.SITES for t in d.timesteps],
        )
        hydro = sum(hydro_price[s] * m.hydro_energy_mwh[s, y] for s in m.HYDRO_SITES)
        return grid + hydro

    def certificates(y):
        return sum(gec_price * m.gec_mwh[s, y] for s in m.HUB_SITES)

    def carbon(y):
        if carbon_price == 0:
            return 0.0
        return carbon_price * sum(m.emissions_tco2[s, y] for s in m.SITES)

    def penalty(y):
        total = (
            pen.compute_cny_per_eflops * m.shortfall_total_eflops[y]
            + pen.intelligent_cny_per_eflops * m.shortfall_intelligent_eflops[y]
            + pen.demand_cny_per_eflops
            * sum(
                m.unserved_eflops[rg, v, c, y]
                for rg in m.REGIONS
                for v in m.SERVICES
                for c in m.RACK_CLASSES
            )
            + pen.occupancy_cny_per_eflops
            * sum(m.idle_stock_eflops[s, c, yy] for s, c, yy in m.OCCUPANCY_INDEX if yy == y)
            + pen.green_cny_per_mwh * sum(m.green_shortfall_mwh[h, y] for h in m.HUBS)
            + pen.carbon_cap_cny_per_tco2 * m.carbon_excess_tco2[y]
        )
        if hasattr(m, "cfe_shortfall_mwh") and y in m.CFE_YEARS:
            total += pen.green_cny_per_mwh * sum(m.cfe_shortfall_mwh[h, y] for h in m.HUBS)
        return total

    rules = {
        "capex_racks": capex_racks,
        "capex_energy": capex_energy,
        "campus": campus,
        "om": om,
        "energy": energy,
        "certificates": certificates,
        "transfer": lambda y: m.transfer_cost_cny[y],
        "carbon": carbon,
        "penalty": penalty,
    }
    m.cost_cny = pyo.Expression(
        m.COST_COMPONENTS,
        m.YEARS,
        rule=lambda m, k, y: rules[k](y),
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
