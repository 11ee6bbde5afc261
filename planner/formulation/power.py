"""Family 4: facility load and the hourly power balance at each site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from planner.formulation.build import dense, linear, param, scalar

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def in_service_builds(life: dict, tech: str, years: list[int], y: int) -> list[int]:
    """Build years ``b <= y`` of ``tech`` still in service in ``y`` (``b + L > y``)."""
    return [b for b in years if b <= y < b + life[tech, b]]


def add_power(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Hourly facility load and how it is met.

    Needs ``build_modules`` and the stock in service from ``stock``. Publishes
    the facility load as ``m.planner_data.load_terms(s, y, t)`` (its constant and linear
    terms: a Pyomo Expression per hour would only be rebuilt inside every row), the
    capacities, the hourly variables, ``grid_energy_mwh[s, y]``,
    ``hydro_energy_mwh[s, y]`` and, in ``m.planner_data``, the load per standard rack.
    Declares the hourly ``battery_charge_mw`` / ``battery_discharge_mw`` used in the
    balance; ``storage`` bounds them and adds the state of charge.

    Load of a standard rack of class :math:`c` at site :math:`s` in time step :math:`t`
    [MW]: :math:`\lambda_{s,c,t} = \mathrm{PUE}_{s,t}\, k / 1000\, u_c\, \phi_{c,t}` with
    :math:`k` the IT kW per std rack, :math:`u_c` the utilisation and :math:`\phi` the
    load shape.

    .. math::

        \mathrm{load}_{s,y,t} &= \sum_c \lambda_{s,c,t}\, \mathrm{total}_{s,c,y}      \\
        S_{s,y} &= \sum_{y' \le y:\, y'+L>y} s^{\mathrm{new}}_{s,y'} \le \bar S_s,
            \quad W_{s,y} \text{ likewise},
            \quad H_{s,y} \le \bar H_s                                                \\
        0 \le g_{s,y,t} &\le \bar G_s, \quad 0 \le h_{s,y,t} \le H_{s,y}\, a_{s,t},
            \quad \kappa_{s,y,t} \ge 0                                               \\
        g + \mathrm{cf}^{S}_{s,t} S_{s,y} + \mathrm{cf}^{W}_{s,t} W_{s,y} + h
            + \mathrm{dis} - \mathrm{ch} - \kappa &= \mathrm{load}_{s,y,t}
            \quad\text{(power\_balance)}

    Hourly variables are kept to a minimum: solar and wind output are not variables
    (``extract`` derives ``solar_mw`` and ``wind_mw`` after the solve as available output
    less curtailment prorated between them); hydro variables exist only at sites with a
    hydro limit, curtailment only at sites with a solar or wind limit.
    """
    d = m.planner_data
    kw = scalar(inputs, "it_kw_per_std_rack")
    module = param(inputs, "module_std_racks")
    tech_life = param(inputs, "tech_lifetime_years")
    solar_limit = param(inputs, "solar_limit_mw")
    wind_limit = param(inputs, "wind_limit_mw")
    hydro_limit = param(inputs, "hydro_limit_mw")
    grid_limit = param(inputs, "grid_limit_mw")
    hourly = {
        k: inputs[k].transpose("site", "timestep").values.tolist()
        for k in ("solar_cf", "wind_cf", "hydro_availability_frac")
    }

    lam = (
        inputs["pue"] * inputs["load_shape_frac"] * inputs["utilisation_frac"] * (kw / 1000.0)
    ).transpose("site", "rack_class", "timestep")
    d.load_mw_per_std_rack = lam.values
    lam_list = lam.values.tolist()  # Python floats: numpy scalars slow Pyomo's expressions
    weights = np.array([d.weight_h[t] for t in d.timesteps])
    annual = (lam.values * weights).sum(axis=-1)
    d.annual_mwh_per_std_rack = {
        (s, c): float(annual[i, j])
        for i, s in enumerate(d.sites)
        for j, c in enumerate(d.rack_classes)
    }
    si = {s: i for i, s in enumerate(d.sites)}
    ti = {t: k for k, t in enumerate(d.timesteps)}
    years = d.years

    m.HYDRO_SITES = pyo.Set(
        initialize=[s for s in d.sites if hydro_limit[s] > 0], ordered=True, doc="hydro sites"
    )
    m.RE_SITES = pyo.Set(
        initialize=[s for s in d.sites if solar_limit[s] > 0 or wind_limit[s] > 0],
        ordered=True,
        doc="sites that may build solar or wind",
    )

    # Facility load = constant (stock) + a linear term per new-build variable in service.
    # Built flat (no nested named expressions): it enters every hourly row.
    stock_load = np.einsum(
        "sct,scy->syt",
        d.load_mw_per_std_rack,
        np.array(
            [
                [[d.stock_racks_in_service[s, c, y] for y in years] for c in d.rack_classes]
                for s in d.sites
            ]
        ).reshape(len(d.sites), len(d.rack_classes), len(years)),
    ).tolist()
    yi = {y: n for n, y in enumerate(years)}
    load_vars: dict = {}  # (s, y) -> [(class index, module size, build_modules var)]
    for s in d.sites:
        for y in years:
            load_vars[s, y] = [
                (j, module[c], m.build_modules[s, c, b])
                for j, c in enumerate(d.rack_classes)
                for b in d.build_years_in_service[c, y]
                if not (m.build_modules[s, c, b].fixed and not m.build_modules[s, c, b].value)
            ]
    d.stock_load_mw = stock_load

    def load_terms(s, y, t):
        """(constant, coefficients, variables) of the facility load [MW]."""
        i, k = si[s], ti[t]
        row = lam_list[i]
        terms = [(row[j][k] * size, v) for j, size, v in load_vars[s, y] if row[j][k]]
        return stock_load[i][yi[y]][k], [c for c, _ in terms], [v for _, v in terms]

    d.load_terms = load_terms

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

    @m.Constraint(m.SITES, m.YEARS, doc="solar capacity limit [MW]")
    def solar_capacity_limit(m, s, y):
        if solar_limit[s] <= 0 or len(years) == 1:
            return pyo.Constraint.Skip  # the bound on solar_new_mw suffices
        return m.solar_capacity_mw[s, y] <= solar_limit[s]

    @m.Constraint(m.SITES, m.YEARS, doc="wind capacity limit [MW]")
    def wind_capacity_limit(m, s, y):
        if wind_limit[s] <= 0 or len(years) == 1:
            return pyo.Constraint.Skip
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
    m.battery_charge_mw = pyo.Var(hourly_index, domain=pyo.NonNegativeReals, doc="charge [MW]")
    m.battery_discharge_mw = pyo.Var(
        hourly_index, domain=pyo.NonNegativeReals, doc="discharge [MW]"
    )

    n_y, n_t = len(years), len(d.timesteps)
    grid = dense(m.grid_import_mw, len(d.sites), n_y, n_t)
    charge = dense(m.battery_charge_mw, len(d.sites), n_y, n_t)
    discharge = dense(m.battery_discharge_mw, len(d.sites), n_y, n_t)
    hi = {s: n for n, s in enumerate(m.HYDRO_SITES)}
    hydro = dense(m.hydro_mw, len(hi), n_y, n_t)
    ri = {s: n for n, s in enumerate(m.RE_SITES)}
    curtail = dense(m.curtailment_mw, len(ri), n_y, n_t)

    @m.Constraint(m.HYDRO_SITES, m.YEARS, m.TIMESTEPS, doc="hydro availability [MW]")
    def hydro_availability(m, s, y, t):
        avail = hourly["hydro_availability_frac"][si[s]][ti[t]]
        return linear([1.0, -avail], [hydro[hi[s], yi[y], ti[t]], m.hydro_contract_mw[s, y]]) <= 0.0

    solar_builds = {y: in_service_builds(tech_life, "solar", years, y) for y in years}
    wind_builds = {y: in_service_builds(tech_life, "wind", years, y) for y in years}
    hydro_sites = set(m.HYDRO_SITES)
    re_sites = set(m.RE_SITES)

    @m.Constraint(m.SITES, m.YEARS, m.TIMESTEPS, doc="hourly power balance [MW]")
    def power_balance(m, s, y, t):
        i, n, k = si[s], yi[y], ti[t]
        const, load_coefs, load_vars_ = load_terms(s, y, t)
        coefs = [1.0, 1.0, -1.0]
        variables = [grid[i, n, k], discharge[i, n, k], charge[i, n, k]]
        if s in re_sites:
            cf_s = hourly["solar_cf"][i][k]
            cf_w = hourly["wind_cf"][i][k]
            if solar_limit[s] > 0 and cf_s:
                for b in solar_builds[y]:
                    coefs.append(cf_s)
                    variables.append(m.solar_new_mw[s, b])
            if wind_limit[s] > 0 and cf_w:
                for b in wind_builds[y]:
                    coefs.append(cf_w)
                    variables.append(m.wind_new_mw[s, b])
            coefs.append(-1.0)
            variables.append(curtail[ri[s], n, k])
        if s in hydro_sites:
            coefs.append(1.0)
            variables.append(hydro[hi[s], n, k])
        coefs.extend(-c for c in load_coefs)
        variables.extend(load_vars_)
        return linear(coefs, variables) == const

    m.grid_energy_mwh = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: linear(
            [d.weight_h[t] for t in d.timesteps], [m.grid_import_mw[s, y, t] for t in d.timesteps]
        ),
        doc="grid energy imported [MWh/yr]",
    )
    m.hydro_energy_mwh = pyo.Expression(
        m.HYDRO_SITES,
        m.YEARS,
        rule=lambda m, s, y: linear(
            [d.weight_h[t] for t in d.timesteps], [m.hydro_mw[s, y, t] for t in d.timesteps]
        ),
        doc="hydro energy [MWh/yr]",
    )
    m.facility_energy_mwh = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: sum(
            d.annual_mwh_per_std_rack[s, c] * m.racks_total_std[s, c, y] for c in d.rack_classes
        ),
        doc="facility energy [MWh/yr]",
    )
