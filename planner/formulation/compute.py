"""Family 2: delivered compute and the national compute targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo
import xarray as xr

from planner.formulation.case import case_param, case_rows
from planner.formulation.linking import add_cost

if TYPE_CHECKING:
    from planner.formulation.build import FormulationOptions

INTELLIGENT = "intelligent"


def add(m: pyo.ConcreteModel, inputs: xr.Dataset, options: FormulationOptions) -> None:
    r"""Compute in service and the total and intelligent-share targets.

    Needs ``racks_new_std`` from ``stock`` and the stock indices of ``m.planner_data``.
    Publishes ``compute_eflops[s, c, y]`` (stock and new racks),
    ``compute_new_eflops[s, c, y]`` (racks built under the plan),
    ``total_compute_eflops[y]`` and the shortfall variables, whose penalties it adds to
    the ``penalty`` cost component.

    Counting basis. The national targets count compute *in service* (在用): the
    FP32-equivalent EFLOPS of every rack built and in operation at the end of the year,
    as the MIIT infrastructure statistic counts it (230 EFLOPS at end-2023, 280 at
    end-2024). Racks in service are not all occupied: ``demand`` adds the occupancy rule
    (上架率) that makes the compute counted here compute that is used: at every site the
    racks built under the plan serve at least ``occupancy_min_frac`` of their compute and
    the existing racks at least their own ``stock_occupancy_frac``, so no rack is built
    to pad the count.

    .. math::

        F^{new}_{s,c,y} &= \sum_{y' \le y:\, y'+L_c>y} \mathrm{new}_{s,c,y'}\, f_{c,r(y',y)}
            \qquad
        F_{s,c,y} = \sum_{v:\,v+L_c>y} K_{s,c,v} f^{\mathrm{stock}}_{s,c,v} + F^{new}_{s,c,y}
            \\
        \sum_{s,c} F_{s,c,y} + \sigma^{\mathrm{tot}}_y &\ge T_y
            \quad\text{(total\_compute\_target)}                                  \\
        \sum_s F_{s,\mathrm{int},y} + \sigma^{\mathrm{int}}_y &\ge
            \theta_y \sum_{s,c} F_{s,c,y}
            \quad\text{(intelligent\_share\_target)}

    with :math:`f` [EFLOPS/std rack] of the servers' purchase year :math:`r` (``stock``:
    renewed every :math:`L^{IT}_c` years), :math:`f^{stock}` likewise after renewal, and
    :math:`\sigma \ge 0` [EFLOPS].
    """
    d = m.planner_data
    eff = d.new_eflops_per_std_rack  # (class, build year, year): servers renewed
    target = case_param(m, inputs, "target_total_eflops")
    share = case_param(m, inputs, "target_intelligent_share_frac")

    m.compute_new_eflops = pyo.Expression(
        m.SITES,
        m.RACK_CLASSES,
        m.YEARS,
        rule=lambda m, s, c, y: sum(
            eff[c, b, y] * m.racks_new_std[s, c, b] for b in d.build_years_in_service[c, y]
        ),
        doc="compute in service of racks built under the plan [EFLOPS]",
    )
    m.compute_eflops = pyo.Expression(
        m.SITES,
        m.RACK_CLASSES,
        m.YEARS,
        rule=lambda m, s, c, y: d.stock_eflops_in_service[s, c, y] + m.compute_new_eflops[s, c, y],
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

    case_rows(m, m.total_compute_target, m.intelligent_share_target)
    pen = options.penalties
    add_cost(
        m,
        "penalty",
        lambda y: (
            pen.compute_cny_per_eflops * m.shortfall_total_eflops[y]
            + pen.intelligent_cny_per_eflops * m.shortfall_intelligent_eflops[y]
        ),
    )
