"""Family 6: green-power share of new hub capacity (annual, and optional hourly-matched)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.case import case_param, case_rows
from planner.formulation.helpers import linear, param
from planner.formulation.linking import add_cost, add_site_cost

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def add(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Annual green share per national hub; optional 24/7 carbon-free matching.

    Needs ``racks_total_std`` (``stock``), the facility load of the hourly balance
    (``m.planner_links.load``, set by ``power``), ``facility_energy_mwh``,
    ``grid_import_mw`` and ``grid_energy_mwh`` (``power``) and the stock indices and the
    energy per rack of ``m.planner_data``. Publishes ``gec_mwh``,
    ``new_capacity_energy_mwh[h, y]``, ``green_supply_mwh[h, y]``,
    ``green_shortfall_mwh`` and, when on, ``cfe_matched_mw`` and ``cfe_shortfall_mwh``;
    adds the certificates (gec x gec price) to ``certificates`` and the penalties of both
    shortfalls to ``penalty``.

    For hub :math:`h` (its sites in a national hub), year :math:`y`, with
    :math:`\epsilon_{s,c} = \sum_t w_t \lambda_{s,c,t}` [MWh per std rack and year]:

    .. math::

        E^{new}_{h,y} &= \sum_{s\in h}\sum_c \epsilon_{s,c}
            (\mathrm{total}_{s,c,y} - \mathrm{stock}_{s,c,y})                     \\
        G_{h,y} &= \sum_{s\in h} \Bigl(\sum_t w_t (\mathrm{load}_{s,y,t} - g_{s,y,t})
            + \mathrm{gec}_{s,y}\Bigr)                                              \\
        G_{h,y} + \gamma_{h,y} &\ge \rho_y E^{new}_{h,y}
            \quad\text{(green\_share\_target, years with } \rho_y > 0)             \\
        0 \le \mathrm{gec}_{s,y} &\le \sum_t w_t g_{s,y,t}

    Hourly matched carbon-free energy (only built when some
    :math:`\rho^{cfe}_y > 0`; certificates do not count):

    .. math::

        0 \le m_{s,y,t} &\le \mathrm{load}_{s,y,t} - g_{s,y,t}, \quad
        m_{s,y,t} \le \sum_c \lambda_{s,c,t} (\mathrm{total}_{s,c,y}
            - \mathrm{stock}_{s,c,y})                                               \\
        \sum_{s\in h}\sum_t w_t m_{s,y,t} + \gamma^{cfe}_{h,y} &\ge
            \rho^{cfe}_y E^{new}_{h,y} \quad\text{(cfe\_target)}
    """
    d = m.planner_data
    share = param(inputs, "target_green_share_frac")  # its positive years shape the model
    share_p = case_param(m, inputs, "target_green_share_frac")
    hub_sites = d.hub_sites
    m.HUB_SITES = pyo.Set(
        initialize=[s for h in hub_sites for s in hub_sites[h]], ordered=True, doc="hub sites"
    )

    def new_racks(m, s, c, y):
        return m.racks_total_std[s, c, y] - d.stock_racks_in_service[s, c, y]

    m.new_capacity_energy_mwh = pyo.Expression(
        m.HUBS,
        m.YEARS,
        rule=lambda m, h, y: sum(
            d.annual_mwh_per_std_rack[s, c] * new_racks(m, s, c, y)
            for s in hub_sites[h]
            for c in d.rack_classes
        ),
        doc="energy of new capacity in the hub [MWh/year]",
    )
    m.gec_mwh = pyo.Var(
        m.HUB_SITES, m.YEARS, domain=pyo.NonNegativeReals, doc="green certificates [MWh/year]"
    )

    @m.Constraint(m.HUB_SITES, m.YEARS, doc="certificates <= grid purchases [MWh]")
    def gec_limit(m, s, y):
        return m.gec_mwh[s, y] <= m.grid_energy_mwh[s, y]

    m.green_supply_mwh = pyo.Expression(
        m.HUBS,
        m.YEARS,
        rule=lambda m, h, y: sum(
            m.facility_energy_mwh[s, y] - m.grid_energy_mwh[s, y] + m.gec_mwh[s, y]
            for s in hub_sites[h]
        ),
        doc="green supply of the hub [MWh/year]",
    )
    m.green_shortfall_mwh = pyo.Var(
        m.HUBS, m.YEARS, domain=pyo.NonNegativeReals, doc="green shortfall [MWh/year]"
    )

    m.GREEN_YEARS = pyo.Set(
        initialize=[y for y in d.years if share[y] > 0], ordered=True, doc="years with a rule"
    )

    @m.Constraint(m.HUBS, m.GREEN_YEARS, doc="green share of new hub capacity [MWh]")
    def green_share_target(m, h, y):
        return (
            m.green_supply_mwh[h, y]
            + m.green_shortfall_mwh[h, y]
            - share_p[y] * m.new_capacity_energy_mwh[h, y]
            >= 0.0
        )

    case_rows(m, m.green_share_target)
    gec_price = param(inputs, "gec_price_cny_per_mwh")[None]
    pen = options.penalties
    hub_site_set = set(m.HUB_SITES)
    add_site_cost(
        m, "certificates", lambda s, y: gec_price * m.gec_mwh[s, y] if s in hub_site_set else 0.0
    )
    add_cost(
        m,
        "penalty",
        lambda y: pen.green_cny_per_mwh * sum(m.green_shortfall_mwh[h, y] for h in m.HUBS),
    )

    cfe_share = param(inputs, "target_hourly_cfe_share_frac")
    cfe_share_p = case_param(m, inputs, "target_hourly_cfe_share_frac")
    cfe_years = [y for y in d.years if cfe_share[y] > 0]
    if not cfe_years:
        return
    m.CFE_YEARS = pyo.Set(initialize=cfe_years, ordered=True)
    m.cfe_matched_mw = pyo.Var(
        m.HUB_SITES * m.CFE_YEARS * m.TIMESTEPS,
        domain=pyo.NonNegativeReals,
        doc="hourly matched carbon-free supply of new capacity [MW]",
    )

    load = m.planner_links.load
    si, yi, ti = d.site_index, d.year_index, d.timestep_index

    @m.Constraint(m.HUB_SITES, m.CFE_YEARS, m.TIMESTEPS, doc="matched <= non-grid supply [MW]")
    def cfe_supply_limit(m, s, y, t):
        const, coefs, variables = load(si[s], yi[y], ti[t])
        return (
            linear(
                [1.0, 1.0, *(-c for c in coefs)],
                [m.cfe_matched_mw[s, y, t], m.grid_import_mw[s, y, t], *variables],
            )
            <= const
        )

    @m.Constraint(m.HUB_SITES, m.CFE_YEARS, m.TIMESTEPS, doc="matched <= new load [MW]")
    def cfe_load_limit(m, s, y, t):
        _, coefs, variables = load(si[s], yi[y], ti[t])
        return linear([1.0, *(-c for c in coefs)], [m.cfe_matched_mw[s, y, t], *variables]) <= 0.0

    m.cfe_shortfall_mwh = pyo.Var(
        m.HUBS, m.CFE_YEARS, domain=pyo.NonNegativeReals, doc="hourly CFE shortfall [MWh/year]"
    )

    @m.Constraint(m.HUBS, m.CFE_YEARS, doc="hourly matched carbon-free share [MWh]")
    def cfe_target(m, h, y):
        matched = linear(
            [d.weight_h[t] for s in hub_sites[h] for t in d.timesteps],
            [m.cfe_matched_mw[s, y, t] for s in hub_sites[h] for t in d.timesteps],
        )
        return (
            matched + m.cfe_shortfall_mwh[h, y] - cfe_share_p[y] * m.new_capacity_energy_mwh[h, y]
            >= 0.0
        )

    case_rows(m, m.cfe_target)
    add_cost(
        m,
        "penalty",
        lambda y: (
            pen.green_cny_per_mwh * sum(m.cfe_shortfall_mwh[h, y] for h in m.HUBS)
            if y in m.CFE_YEARS
            else 0.0
        ),
    )
