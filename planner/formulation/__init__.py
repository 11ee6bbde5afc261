"""The planning model: one module per constraint family (``build.FAMILIES``).

Each family module has one ``add(m, inputs, options)`` with its maths in the docstring;
the families meet only through the cost components and the hourly balance they
contribute to (``linking``), closed by the builder into the objective. Helpers that no
family owns are in ``helpers``.
"""

from __future__ import annotations

from planner.formulation.build import (
    COST_COMPONENTS,
    FAMILIES,
    OBJECTIVE_SCALE_CNY,
    FormulationOptions,
    PenaltyOptions,
    build_model,
)

__all__ = [
    "COST_COMPONENTS",
    "FAMILIES",
    "OBJECTIVE_SCALE_CNY",
    "FormulationOptions",
    "PenaltyOptions",
    "build_model",
]
