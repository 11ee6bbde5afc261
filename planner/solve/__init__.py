"""Solving the planning model with HiGHS.

``highs``     the solver adapter: a Pyomo model in matrix form in one HiGHS instance
              (compile, run, bounds, integrality, basis, trust region); no planner names
``strategy``  how the MILP is solved (relaxation, a plan by diving, root, branch and bound)
              and the LP around the plan whose duals price the targets
``decompose`` Benders decomposition of a block-angular model (the full year): site-year
              blocks in parallel, a master of the build decisions; no planner names

:func:`marginal_costs` puts the two sides together: the strategy's duals, read into the
formulation's table of targets (:mod:`planner.formulation.marginals`).
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from planner.formulation.marginals import EMPTY, marginal_cost_table
from planner.solve.highs import SOLVER_NAME, SOLVER_VERSION, CompiledModel, SolveResult, SolveStatus
from planner.solve.strategy import (
    MARGINAL_WINDOW_MODULES,
    PlanDuals,
    compile_model,
    design_values,
    duals_around_plan,
    solve,
)

__all__ = [
    "MARGINAL_WINDOW_MODULES",
    "SOLVER_NAME",
    "SOLVER_VERSION",
    "CompiledModel",
    "PlanDuals",
    "SolveResult",
    "SolveStatus",
    "compile_model",
    "design_values",
    "duals_around_plan",
    "marginal_costs",
    "solve",
]


def marginal_costs(m: pyo.ConcreteModel, result: SolveResult) -> dict[str, Any]:
    """Marginal costs of the targets from the LP around the MILP plan.

    The table of :func:`planner.formulation.marginals.marginal_cost_table` with
    ``status`` (the LP's :class:`SolveStatus`) and ``highs_time_s`` (HiGHS's own time for
    the LP); empty mappings when there is no plan or the LP has no optimum.
    """
    duals = duals_around_plan(m, result)
    out: dict[str, Any] = {"status": duals.status, **{k: {} for k in EMPTY}}
    if duals.row_dual_cny is not None:
        out.update(marginal_cost_table(m, duals.dual))
    out["highs_time_s"] = duals.highs_time_s
    return out
