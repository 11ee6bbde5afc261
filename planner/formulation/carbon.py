"""Family 7: location-based emissions of grid imports and the optional carbon cap."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.case import case_param, case_rows
from planner.formulation.helpers import param
from planner.formulation.linking import add_cost

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions


def add(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Emissions per site and year; the national cap where it is finite.

    Needs ``grid_import_mw`` / ``grid_energy_mwh`` from ``power``. Publishes
    ``emissions_tco2[s, y]`` and ``carbon_excess_tco2[y]``; adds carbon price x emissions
    to ``carbon`` (when the price is not 0) and the penalty of the excess to ``penalty``.

    .. math::

        e_{s,y} &= \sum_t w_t\, g_{s,y,t}\, \mathrm{EF}_{s,y(,t)}                  \\
        \sum_s e_{s,y} - x_y &\le \mathrm{cap}_y
            \quad\text{(carbon\_cap, years with a finite cap)}

    The grid factor ``grid_ef_tco2_per_mwh`` is (site, year); an hourly profile with an
    extra ``timestep`` dim is used as is.
    """
    d = m.planner_data
    ef_da = inputs["grid_ef_tco2_per_mwh"]
    cap = param(inputs, "carbon_cap_tco2")  # its finite years shape the model
    cap_p = case_param(m, inputs, "carbon_cap_tco2")

    if "timestep" in ef_da.dims:
        ef = ef_da.transpose("site", "year", "timestep").to_series().to_dict()

        def emissions(m, s, y):
            return sum(d.weight_h[t] * ef[s, y, t] * m.grid_import_mw[s, y, t] for t in d.timesteps)
    else:
        ef = param(inputs, "grid_ef_tco2_per_mwh")

        def emissions(m, s, y):
            return ef[s, y] * m.grid_energy_mwh[s, y]

    m.emissions_tco2 = pyo.Expression(
        m.SITES, m.YEARS, rule=emissions, doc="emissions of grid imports [tCO2/year]"
    )
    m.carbon_excess_tco2 = pyo.Var(
        m.YEARS, domain=pyo.NonNegativeReals, doc="emissions above the cap [tCO2/year]"
    )

    m.CAP_YEARS = pyo.Set(
        initialize=[y for y in d.years if cap[y] is not None and math.isfinite(cap[y])],
        ordered=True,
        doc="years with a finite carbon cap",
    )

    @m.Constraint(m.CAP_YEARS, doc="national carbon cap [tCO2]")
    def carbon_cap(m, y):
        return sum(m.emissions_tco2[s, y] for s in m.SITES) - m.carbon_excess_tco2[y] <= cap_p[y]

    case_rows(m, m.carbon_cap)

    # Added at a price of 0 too: a case may set the price on the built model.
    carbon_price = case_param(m, inputs, "carbon_price_cny_per_tco2")
    add_cost(m, "carbon", lambda y: carbon_price * sum(m.emissions_tco2[s, y] for s in m.SITES))
    pen = options.penalties.carbon_cap_cny_per_tco2
    add_cost(m, "penalty", lambda y: pen * m.carbon_excess_tco2[y])
