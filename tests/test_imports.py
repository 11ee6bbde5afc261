"""What planner imports: nothing it never uses (planner._imports)."""

from __future__ import annotations

import subprocess
import sys

SOLVE_A_TINY_MODEL = """
import sys
import pyomo.environ as pyo
from planner.solve.highs import CompiledModel

m = pyo.ConcreteModel()
m.x = pyo.Var(bounds=(0, 1))
m.c = pyo.Constraint(expr=m.x >= 0.5)
m.o = pyo.Objective(expr=m.x)
compiled = CompiledModel(m)
assert compiled.run(time_limit_s=10, mip_gap=0, threads=1).objective_cny == 0.5
print("scipy.stats" in sys.modules, "scipy.sparse" in sys.modules)
"""


def test_compiling_and_solving_does_not_import_scipy_stats():
    # Pyomo would import scipy.stats (about a second) with SciPy; planner needs sparse only.
    out = subprocess.run(
        [sys.executable, "-c", SOLVE_A_TINY_MODEL], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_scipy_stats_still_imports_when_used():
    code = "import planner, pyomo.environ, scipy; print(scipy.stats.norm.cdf(0.0))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) == 0.5
