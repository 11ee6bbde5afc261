"""The results stage: the solved model's answers, their summary and the run folder.

``extract``   the solved Pyomo model -> a solution Dataset with DESIGN.md's names and units
``summary``   inputs + solution -> the results Dataset, summary.json's figures, the
              binding limits, and :func:`has_plan`, the one rule for "the run has a plan"
``folder``    the run folder on disk (results.nc, summary.json, tables, model.yaml), written
              atomically, and read back

The report and sweeps read what this stage wrote, never the solver.
"""

from __future__ import annotations

from planner.results.folder import (
    MODEL_FILE,
    RESULTS_FILE,
    SUMMARY_FILE,
    TABLES,
    jsonable,
    read_run,
    read_summary,
    write_run,
    write_summary,
)
from planner.results.summary import (
    SHORTFALL_TOL,
    SHORTFALL_TOL_FRAC,
    assemble_results,
    binding_limits,
    explain,
    has_plan,
    summarise,
)

__all__ = [
    "MODEL_FILE",
    "RESULTS_FILE",
    "SHORTFALL_TOL",
    "SHORTFALL_TOL_FRAC",
    "SUMMARY_FILE",
    "TABLES",
    "assemble_results",
    "binding_limits",
    "explain",
    "has_plan",
    "jsonable",
    "read_run",
    "read_summary",
    "summarise",
    "write_run",
    "write_summary",
]
