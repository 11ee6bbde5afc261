"""What each target costs at the margin: the target rows' duals as a table.

Which rows are targets is the formulation's knowledge: the national compute target
(``compute.total_compute_target``), the intelligent share (``intelligent_share_target``),
each hub's green share (``green.green_share_target``) and the carbon cap
(``carbon.carbon_cap``). The duals come from the solver (``planner.solve``'s LP around the
MILP plan) as a function of a constraint, in CNY of the discounted objective; this module
undoes each year's discount factor and converts per point of a share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyomo.environ as pyo

EMPTY: dict[str, dict] = {
    "total_compute_cny_per_eflops": {},
    "intelligent_share_cny_per_eflops": {},
    "intelligent_share_cny_per_point": {},
    "green_share_cny_per_mwh": {},
    "green_share_cny_per_point": {},
    "carbon_cap_cny_per_tco2": {},
}


def marginal_cost_table(m: pyo.ConcreteModel, dual: Callable[[Any], float]) -> dict[str, dict]:
    """Marginal costs of the targets in undiscounted CNY of the target's year.

    Parameters
    ----------
    m
        The solved model (its values are the plan's: per-point conversions use its
        totals).
    dual
        A target row's dual [discounted CNY per unit of the row].

    Returns
    -------
    dict
        ``total_compute_cny_per_eflops[y]``: cost of one more EFLOPS of national target;
        ``intelligent_share_cny_per_point[y]``: of one more percentage point of
        intelligent share (dual x total compute / 100);
        ``intelligent_share_cny_per_eflops[y]``: the raw dual per EFLOPS of the row;
        ``green_share_cny_per_mwh[hub][y]`` and ``green_share_cny_per_point[hub][y]``;
        ``carbon_cap_cny_per_tco2[y]``: saving from one more tCO2 of cap (>= 0).
    """
    df = m.planner_data.discount_factor
    out = {k: {} for k in EMPTY}
    for y, c in m.total_compute_target.items():
        out["total_compute_cny_per_eflops"][y] = dual(c) / df[y] + 0.0
    for y, c in m.intelligent_share_target.items():
        per_eflops = dual(c) / df[y] + 0.0
        out["intelligent_share_cny_per_eflops"][y] = per_eflops
        total = pyo.value(m.total_compute_eflops[y])
        out["intelligent_share_cny_per_point"][y] = per_eflops * total / 100.0
    for (h, y), c in m.green_share_target.items():
        per_mwh = dual(c) / df[y] + 0.0
        out["green_share_cny_per_mwh"].setdefault(h, {})[y] = per_mwh
        per_point = per_mwh * pyo.value(m.new_capacity_energy_mwh[h, y]) / 100.0
        out["green_share_cny_per_point"].setdefault(h, {})[y] = per_point
    for y, c in m.carbon_cap.items():
        out["carbon_cap_cny_per_tco2"][y] = -dual(c) / df[y] + 0.0
    return out
