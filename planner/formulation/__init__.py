"""The planning model: one module per constraint family, assembled by ``build_model``."""

from __future__ import annotations

from planner.formulation.build import (
    COST_COMPONENTS,
    OBJECTIVE_SCALE_CNY,
    FormulationOptions,
    PenaltyOptions,
    build_model,
)
from planner.formulation.extract import extract_solution

__all__ = [
    "COST_COMPONENTS",
    "OBJECTIVE_SCALE_CNY",
    "FormulationOptions",
    "PenaltyOptions",
    "build_model",
    "extract_solution",
]
