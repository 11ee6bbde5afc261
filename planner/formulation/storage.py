"""Family 5: batteries, with a state of charge cyclic within each representative day."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.helpers import crf, dense, in_service_builds, linear, param, scalar
from planner.formulation.linking import add_site_cost, add_supply

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def add(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Battery capacity, hourly charge/discharge limits and state of charge.

    Needs only the sets. Publishes the hourly ``battery_charge_mw`` and
    ``battery_discharge_mw`` (added to the hourly balance: discharge in, charge out),
    ``battery_power_new_mw``, ``battery_energy_new_mwh``, the capacities in service
    ``battery_power_mw[s, y]``, ``battery_energy_mwh[s, y]`` and
    ``battery_soc_mwh[s, y, t]``; adds the battery capex to ``capex_energy`` (power at
    CNY/kW and energy at CNY/kWh, x 1000 x CRF(r, L_battery,b)) and its fixed O&M (of the
    power) to ``om``.

    With :math:`\eta = \sqrt{\eta_{rt}}` for both charging and discharging, time steps
    of one hour, :math:`t^-` the previous time step of the same representative day and,
    for the day's first hour, the day's last hour (cyclic):

    .. math::

        P_{s,y} &= \sum_{y' \le y:\, y'+L>y} P^{new}_{s,y'}, \quad
        E_{s,y} = \sum_{y' \le y:\, y'+L>y} E^{new}_{s,y'}, \quad
        E_{s,y} \le \bar d\, P_{s,y}, \quad P_{s,y} \le \bar P_s                  \\
        \mathrm{ch}_{s,y,t} + \mathrm{dis}_{s,y,t} &\le P_{s,y},
            \quad \mathrm{soc}_{s,y,t} \le E_{s,y}                         \\
        \mathrm{soc}_{s,y,t} &= \mathrm{soc}_{s,y,t^-} + \eta\, \mathrm{ch}_{s,y,t}
            - \mathrm{dis}_{s,y,t} / \eta

    so ``soc[t]`` is the state of charge at the end of hour ``t`` and, summed over a
    day, charging and discharging balance. One row ``ch + dis <= P`` bounds both
    charge and discharge by the power (and rules out charging and discharging at full
    power at once) with half the hourly rows of two separate limits.
    """
    d = m.planner_data
    tech_life = param(inputs, "tech_lifetime_years")
    eta = math.sqrt(scalar(inputs, "battery_roundtrip_efficiency_frac"))
    max_h = scalar(inputs, "battery_max_duration_h")
    years = d.years
    builds = {y: in_service_builds(tech_life, "battery", years, y) for y in years}

    hourly_index = m.SITES * m.YEARS * m.TIMESTEPS
    m.battery_charge_mw = pyo.Var(hourly_index, domain=pyo.NonNegativeReals, doc="charge [MW]")
    m.battery_discharge_mw = pyo.Var(
        hourly_index, domain=pyo.NonNegativeReals, doc="discharge [MW]"
    )
    m.battery_power_new_mw = pyo.Var(
        m.SITES, m.YEARS, domain=pyo.NonNegativeReals, doc="new battery power [MW]"
    )
    m.battery_energy_new_mwh = pyo.Var(
        m.SITES, m.YEARS, domain=pyo.NonNegativeReals, doc="new battery energy [MWh]"
    )
    m.battery_power_mw = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: sum(m.battery_power_new_mw[s, b] for b in builds[y]),
        doc="battery power in service [MW]",
    )
    m.battery_energy_mwh = pyo.Expression(
        m.SITES,
        m.YEARS,
        rule=lambda m, s, y: sum(m.battery_energy_new_mwh[s, b] for b in builds[y]),
        doc="battery energy in service [MWh]",
    )
    m.battery_soc_mwh = pyo.Var(
        m.SITES * m.YEARS * m.TIMESTEPS,
        domain=pyo.NonNegativeReals,
        doc="state of charge at the end of the time step [MWh]",
    )

    shape = (len(d.sites), len(years), len(d.timesteps))
    si = {s: i for i, s in enumerate(d.sites)}
    yi = {y: n for n, y in enumerate(years)}
    ti = {t: k for k, t in enumerate(d.timesteps)}
    charge = dense(m.battery_charge_mw, *shape)
    discharge = dense(m.battery_discharge_mw, *shape)
    soc = dense(m.battery_soc_mwh, *shape)
    power_new = {(s, y): [m.battery_power_new_mw[s, b] for b in builds[y]] for s in si for y in yi}
    energy_new = {
        (s, y): [m.battery_energy_new_mwh[s, b] for b in builds[y]] for s in si for y in yi
    }

    battery_limit = param(inputs, "battery_limit_mw")

    @m.Constraint(m.SITES, m.YEARS, doc="battery power limit of the site [MW]")
    def battery_site_limit(m, s, y):
        return m.battery_power_mw[s, y] <= battery_limit[s]

    @m.Constraint(m.SITES, m.YEARS, doc="battery duration limit [MWh]")
    def battery_duration_limit(m, s, y):
        return m.battery_energy_mwh[s, y] <= max_h * m.battery_power_mw[s, y]

    @m.Constraint(m.SITES, m.YEARS, m.TIMESTEPS, doc="charge + discharge <= power [MW]")
    def battery_power_limit(m, s, y, t):
        i, n, k = si[s], yi[y], ti[t]
        power = power_new[s, y]
        return (
            linear([1.0, 1.0] + [-1.0] * len(power), [charge[i, n, k], discharge[i, n, k], *power])
            <= 0.0
        )

    @m.Constraint(m.SITES, m.YEARS, m.TIMESTEPS, doc="state of charge <= energy [MWh]")
    def battery_soc_limit(m, s, y, t):
        energy = energy_new[s, y]
        return linear([1.0] + [-1.0] * len(energy), [soc[si[s], yi[y], ti[t]], *energy]) <= 0.0

    prev = d.prev_timestep

    @m.Constraint(m.SITES, m.YEARS, m.TIMESTEPS, doc="state of charge, cyclic per day [MWh]")
    def battery_soc_balance(m, s, y, t):
        i, n, k = si[s], yi[y], ti[t]
        return (
            linear(
                [1.0, -1.0, -eta, 1.0 / eta],
                [soc[i, n, k], soc[i, n, ti[prev[t]]], charge[i, n, k], discharge[i, n, k]],
            )
            == 0.0
        )

    def supply(i: int, n: int, k: int) -> tuple[list[float], list]:
        return [1.0, -1.0], [discharge[i, n, k], charge[i, n, k]]

    add_supply(m, supply)

    r = d.discount_rate_frac
    capex_kw = param(inputs, "tech_capex_cny_per_kw")
    capex_kwh = param(inputs, "tech_capex_cny_per_kwh")
    fom_kw = param(inputs, "tech_fom_cny_per_kw_year")

    def capex(s, y):
        total = 0.0
        for b in builds[y]:
            f = crf(r, tech_life["battery", b]) * 1000.0
            total += m.battery_power_new_mw[s, b] * capex_kw["battery", b] * f
            total += m.battery_energy_new_mwh[s, b] * capex_kwh["battery", b] * f
        return total

    add_site_cost(m, "capex_energy", capex)
    add_site_cost(
        m,
        "om",
        lambda s, y: sum(
            m.battery_power_new_mw[s, b] * fom_kw["battery", b] * 1000.0 for b in builds[y]
        ),
    )
