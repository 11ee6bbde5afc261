"""Family 4: facility load and the power that meets it at each site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from planner.formulation.case import case_param
from planner.formulation.helpers import crf, dense, in_service_builds, linear, param, scalar
from planner.formulation.linking import HourlyLoad, add_site_cost, add_supply, set_load

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def load_mw_per_std_rack(inputs: xr.Dataset) -> np.ndarray:
    """Facility load of one standard rack in service [MW], dims (site, rack_class, timestep).

    :math:`\\lambda_{s,c,t} = \\mathrm{PUE}_{s,t}\\, k / 1000\\, u_c\\, \\phi_{c,t}` with
    :math:`k` the IT kW per std rack, :math:`u_c` the utilisation (mean draw of a rack in
    service) and :math:`\\phi` the load shape (daily mean 1).
    """
    kw = scalar(inputs, "it_kw_per_std_rack")
    lam = inputs["pue"] * inputs["load_shape_rel"] * inputs["utilisation_frac"] * (kw / 1000.0)
    return lam.transpose("site", "rack_class", "timestep").values


def facility_load(m: pyo.ConcreteModel, inputs: xr.Dataset) -> HourlyLoad:
    """The facility load of each hour as ``(i, n, k) -> (constant, coefficients, variables)``.

    Constant: the existing racks in service; one linear term per build module in service.
    Built flat (no nested named expressions): it enters every hourly row.
    """
    d = m.planner_data
    module = param(inputs, "module_std_racks")
    lam = d.load_mw_per_std_rack.tolist()  # Python floats: numpy scalars slow Pyomo
    stock = d.stock_load_mw.tolist()
    buildable = set(d.buildable)
    builds: dict = {}  # (site position, year position) -> [(class position, module, var)]
    for i, s in enumerate(d.sites):
        for n, y in enumerate(d.years):
            builds[i, n] = [
                (j, module[c], m.build_modules[s, c, b])
                for j, c in enumerate(d.rack_classes)
                for b in d.build_years_in_service[c, y]
                if (s, c, b) in buildable
            ]

    def load(i: int, n: int, k: int) -> tuple[float, list[float], list]:
        row = lam[i]
        terms = [(row[j][k] * size, v) for j, size, v in builds[i, n] if row[j][k]]
        return stock[i][n][k], [c for c, _ in terms], [v for _, v in terms]

    return load


def add(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Hourly facility load and the grid, solar, wind and hydro supply that meets it.

    Needs ``build_modules`` and ``racks_total_std`` from ``stock`` and the load per rack
    of ``m.planner_data``. Sets the facility load of the hourly balance and adds its
    supply to it (:mod:`~planner.formulation.linking`; ``storage`` adds the batteries').
    Publishes the capacities, the hourly variables, ``grid_energy_mwh[s, y]``,
    ``hydro_energy_mwh[s, y]`` and ``facility_energy_mwh[s, y]``.

    .. math::

        \mathrm{load}_{s,y,t} &= \sum_c \lambda_{s,c,t}\, \mathrm{total}_{s,c,y}      \\
        S_{s,y} &= \sum_{y' \le y:\, y'+L>y} s^{\mathrm{new}}_{s,y'} \le \bar S_s,
            \quad W_{s,y} \text{ likewise},
            \quad H_{s,y} \le \bar H_s                                                \\
        0 \le g_{s,y,t} &\le \bar G_s, \quad 0 \le h_{s,y,t} \le H_{s,y}\, a_{s,t},
            \quad \kappa_{s,y,t} \ge 0                                               \\
        \mathrm{supply}_{s,y,t} &= g + \mathrm{cf}^{S}_{s,t} S_{s,y}
            + \mathrm{cf}^{W}_{s,t} W_{s,y} + h - \kappa

    with :math:`\lambda` from :func:`load_mw_per_std_rack`. Hourly variables are kept to
    a minimum: solar and wind output are not variables (``extract`` derives ``solar_mw``
    and ``wind_mw`` after the solve as available output less curtailment prorated
    between them); hydro variables exist only at sites with a hydro limit, curtailment
    only at sites with a solar or wind limit.

    Costs, with builds :math:`b` in service in :math:`y` and the tech data of the build
    year: ``capex_energy`` solar and wind capacity at CNY/kW x 1000 x CRF(r, L_tech,b);
    ``om`` their capacity x fixed O&M x 1000; ``energy``
    :math:`\sum_{s,t} w_t (g\, p_{s,y}\, \mu_{s,t} + h\, p^{hydro}_s)` with the
    time-of-use multiplier :math:`\mu`.
    """
    d = m.planner_data
    tech_life = param(inputs, "tech_lifetime_years")
    solar_limit = param(inputs, "solar_limit_mw")
    wind_limit = param(inputs, "wind_limit_mw")
    hydro_limit = param(inputs, "hydro_limit_mw")
    grid_limit = param(inputs, "grid_limit_mw")
    hourly = {
        k: inputs[k].transpose("site", "timestep").values.tolist()
        for k in ("solar_cf", "wind_cf", "hydro_availability_frac")
    }
    years = d.years
    si, yi, ti = d.site_index, d.year_index, d.timestep_index

    m.HYDRO_SITES = pyo.Set(
        initialize=[s for s in d.sites if hydro_limit[s] > 0], ordered=True, doc="hydro sites"
    )
    m.RE_SITES = pyo.Set(
        initialize=[s for s in d.sites if solar_limit[s] > 0 or wind_limit[s] > 0],
        ordered=True,
        doc="sites that may build solar or wind",
    )

    def new_bounds(limit):
        return lambda m, s, y: (0.0, limit[s])

    m.solar_new_mw = pyo.Var(
        m.SITES, m.YEARS, bounds=new_bounds(solar_limit), doc="new solar capacity [MW]"
    )
    m.wind_new_mw = pyo.Var(
        m.SITES, m.YEARS, bounds=new_bounds(wind_limit), doc="new wind capacity [MW]"
    )
    m.solar_capacity_mw = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: sum(
            m.solar_new_mw[s, b] for b in in_service_builds(tech_life, "solar", years, y)
        ),
        doc="solar capacity in service [MW]",
    )
    m.wind_capacity_mw = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: sum(
            m.wind_new_mw[s, b] for b in in_service_builds(tech_life, "wind", years, y)
        ),
        doc="wind capacity in service [MW]",
    )
    # With one plan year the bound on the new capacity is the limit already.
    several_years = len(years) > 1
    m.SOLAR_LIMIT_SITES = pyo.Set(
        initialize=[s for s in d.sites if solar_limit[s] > 0 and several_years], ordered=True
    )
    m.WIND_LIMIT_SITES = pyo.Set(
        initialize=[s for s in d.sites if wind_limit[s] > 0 and several_years], ordered=True
    )

    @m.Constraint(m.SOLAR_LIMIT_SITES, m.YEARS, doc="solar capacity limit [MW]")
    def solar_capacity_limit(m, s, y):
        return m.solar_capacity_mw[s, y] <= solar_limit[s]

    @m.Constraint(m.WIND_LIMIT_SITES, m.YEARS, doc="wind capacity limit [MW]")
    def wind_capacity_limit(m, s, y):
        return m.wind_capacity_mw[s, y] <= wind_limit[s]

    m.hydro_contract_mw = pyo.Var(
        m.HYDRO_SITES,
        m.YEARS,
        bounds=lambda m, s, y: (0.0, hydro_limit[s]),
        doc="hydro contract [MW]",
    )

    hourly_index = m.SITES * m.YEARS * m.TIMESTEPS
    m.grid_import_mw = pyo.Var(
        hourly_index, bounds=lambda m, s, y, t: (0.0, grid_limit[s]), doc="grid import [MW]"
    )
    m.hydro_mw = pyo.Var(
        m.HYDRO_SITES * m.YEARS * m.TIMESTEPS, domain=pyo.NonNegativeReals, doc="hydro [MW]"
    )
    m.curtailment_mw = pyo.Var(
        m.RE_SITES * m.YEARS * m.TIMESTEPS, domain=pyo.NonNegativeReals, doc="curtailment [MW]"
    )

    n_y, n_t = len(years), len(d.timesteps)
    grid = dense(m.grid_import_mw, len(d.sites), n_y, n_t)
    hi = {s: n for n, s in enumerate(m.HYDRO_SITES)}
    hydro = dense(m.hydro_mw, len(hi), n_y, n_t)
    ri = {s: n for n, s in enumerate(m.RE_SITES)}
    curtail = dense(m.curtailment_mw, len(ri), n_y, n_t)

    @m.Constraint(m.HYDRO_SITES, m.YEARS, m.TIMESTEPS, doc="hydro availability [MW]")
    def hydro_availability(m, s, y, t):
        avail = hourly["hydro_availability_frac"][si[s]][ti[t]]
        return linear([1.0, -avail], [hydro[hi[s], yi[y], ti[t]], m.hydro_contract_mw[s, y]]) <= 0.0

    set_load(m, facility_load(m, inputs))

    # Supply into each hourly row, by site position: grid, solar and wind output of the
    # capacity in service less curtailment, hydro.
    solar_builds = {n: in_service_builds(tech_life, "solar", years, y) for n, y in enumerate(years)}
    wind_builds = {n: in_service_builds(tech_life, "wind", years, y) for n, y in enumerate(years)}
    site_re = [ri.get(s) for s in d.sites]
    site_hydro = [hi.get(s) for s in d.sites]

    def supply(i: int, n: int, k: int) -> tuple[list[float], list]:
        s = d.sites[i]
        coefs, variables = [1.0], [grid[i, n, k]]
        if site_re[i] is not None:
            cf_s = hourly["solar_cf"][i][k]
            cf_w = hourly["wind_cf"][i][k]
            if solar_limit[s] > 0 and cf_s:
                for b in solar_builds[n]:
                    coefs.append(cf_s)
                    variables.append(m.solar_new_mw[s, b])
            if wind_limit[s] > 0 and cf_w:
                for b in wind_builds[n]:
                    coefs.append(cf_w)
                    variables.append(m.wind_new_mw[s, b])
            coefs.append(-1.0)
            variables.append(curtail[site_re[i], n, k])
        if site_hydro[i] is not None:
            coefs.append(1.0)
            variables.append(hydro[site_hydro[i], n, k])
        return coefs, variables

    add_supply(m, supply)

    m.grid_energy_mwh = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: linear(
            [d.weight_h[t] for t in d.timesteps], [m.grid_import_mw[s, y, t] for t in d.timesteps]
        ),
        doc="grid energy imported [MWh/year]",
    )
    m.hydro_energy_mwh = pyo.Expression(
        m.HYDRO_SITES,
        m.YEARS,
        rule=lambda m, s, y: linear(
            [d.weight_h[t] for t in d.timesteps], [m.hydro_mw[s, y, t] for t in d.timesteps]
        ),
        doc="hydro energy [MWh/year]",
    )
    m.facility_energy_mwh = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: sum(
            d.annual_mwh_per_std_rack[s, c] * m.racks_total_std[s, c, y] for c in d.rack_classes
        ),
        doc="facility energy [MWh/year]",
    )

    r = d.discount_rate_frac
    capex_kw = param(inputs, "tech_capex_cny_per_kw")
    fom_kw = param(inputs, "tech_fom_cny_per_kw_year")
    price = case_param(m, inputs, "electricity_price_cny_per_mwh")
    hydro_price = param(inputs, "hydro_price_cny_per_mwh")
    multiplier = inputs["price_multiplier"].transpose("site", "timestep").values.tolist()
    capacity = {"solar": m.solar_new_mw, "wind": m.wind_new_mw}

    hydro_sites = set(m.HYDRO_SITES)

    def capex_energy(s, y):
        total = 0.0
        for tech, var in capacity.items():
            for b in in_service_builds(tech_life, tech, years, y):
                total += var[s, b] * capex_kw[tech, b] * crf(r, tech_life[tech, b]) * 1000.0
        return total

    def om(s, y):
        return sum(
            var[s, b] * fom_kw[tech, b] * 1000.0
            for tech, var in capacity.items()
            for b in in_service_builds(tech_life, tech, years, y)
        )

    def energy(s, y):
        k_s = si[s]
        grid_cost = price[s, y] * linear(
            [d.weight_h[t] * multiplier[k_s][k] for k, t in enumerate(d.timesteps)],
            [m.grid_import_mw[s, y, t] for t in d.timesteps],
        )
        if s in hydro_sites:
            return grid_cost + hydro_price[s] * m.hydro_energy_mwh[s, y]
        return grid_cost

    add_site_cost(m, "capex_energy", capex_energy)
    add_site_cost(m, "om", om)
    add_site_cost(m, "energy", energy)
