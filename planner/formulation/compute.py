"""Family 2: delivered compute and the national compute targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.build import param

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions

INTELLIGENT = "intelligent"


def add_compute(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Compute in service and the total and intelligent-share targets.

    Needs ``racks_new_std`` and the stock in service from ``stock``. Publishes
    ``compute_eflops[s, c, y]``, ``total_compute_eflops[y]`` and the shortfall variables
    (penalised in ``costs``).

    .. math::

        F_{s,c,y} &= \sum_{v:\,v+L_c>y} K_{s,c,v} f^{\mathrm{stock}}_{s,c,v}
            + \sum_{y' \le y:\, y'+L_c>y} \mathrm{new}_{s,c,y'}\, f_{c,y'}      \\
        \sum_{s,c} F_{s,c,y} + \sigma^{\mathrm{tot}}_y &\ge T_y
            \quad\text{(total\_compute\_target)}                                  \\
        \sum_s F_{s,\mathrm{int},y} + \sigma^{\mathrm{int}}_y &\ge
            \theta_y \sum_{s,c} F_{s,c,y}
            \quad\text{(intelligent\_share\_target)}

    with :math:`f` [EFLOPS/std rack] by build year and :math:`\sigma \ge 0` [EFLOPS].
    """
    d = m.planner_data
    eff = param(inputs, "eflops_per_std_rack")
    target = param(inputs, "target_total_eflops")
    share = param(inputs, "target_intelligent_share_frac")

    m.compute_eflops = pyo.Expression(
        m.SITES,
        m.RACK_CLASSES,
        m.YEARS,
        rule=lambda m, s, c, y: (
            d.stock_eflops_in_service[s, c, y]
            + sum(eff[c, b] * m.racks_new_std[s, c, b] for b in d.build_years_in_service[c, y])
        ),
        doc="compute in service [EFLOPS]",
    )
    m.total_compute_eflops = pyo.Expression(
        m.YEARS,
        rule=lambda m, y: sum(m.compute_eflops[s, c, y] for s in m.SITES for c in m.RACK_CLASSES),
        doc="national compute in service [EFLOPS]",
    )
    m.shortfall_total_eflops = pyo.Var(
        m.YEARS, domain=pyo.NonNegativeReals, doc="shortfall of the total target [EFLOPS]"
    )
    m.shortfall_intelligent_eflops = pyo.Var(
        m.YEARS, domain=pyo.NonNegativeReals, doc="shortfall of the intelligent share [EFLOPS]"
    )

    @m.Constraint(m.YEARS, doc="national compute target [EFLOPS]")
    def total_compute_target(m, y):
        return m.total_compute_eflops[y] + m.shortfall_total_eflops[y] >= target[y]

    @m.Constraint(m.YEARS, doc="intelligent share of national compute [EFLOPS]")
    def intelligent_share_target(m, y):
        intelligent = (
            sum(m.compute_eflops[s, INTELLIGENT, y] for s in m.SITES)
            if INTELLIGENT in m.RACK_CLASSES
            else 0.0
        )
        return (
            intelligent + m.shortfall_intelligent_eflops[y] - share[y] * m.total_compute_eflops[y]
            >= 0.0
        )
