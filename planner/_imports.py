"""Keep Pyomo from importing the parts of SciPy that planner never uses.

On its first import of SciPy, Pyomo "finalises" it by importing ``scipy.stats``,
``scipy.integrate`` and ``scipy.spatial`` (``pyomo.common.dependencies._finalize_scipy``,
the callback of its deferred ``scipy`` import). ``scipy.stats`` alone takes about a
second, a fifth of ``planner plan``, and nothing in planner or in the Pyomo code planner
runs calls it: the standard-form compiler needs ``scipy.sparse`` only. So, before SciPy is
first imported, the callback is replaced by one that imports ``scipy.sparse``; any other
submodule is still imported the moment something uses it (SciPy imports its submodules
lazily on attribute access).

The callback is a private attribute of Pyomo's ``DeferredImportIndicator``: should Pyomo
change it, this does nothing and planner is only slower (``tests/test_imports.py`` says
so).
"""

from __future__ import annotations

import sys


def _finalize_scipy_sparse(module, available: bool) -> None:
    if available:
        import scipy.sparse  # noqa: F401


def defer_unused_scipy() -> None:
    """Make Pyomo's SciPy import load ``scipy.sparse`` only (if SciPy is not loaded yet)."""
    if "scipy" in sys.modules:
        return
    try:
        from pyomo.common import dependencies
    except ImportError:
        return
    indicator = getattr(dependencies, "scipy_available", None)
    if isinstance(indicator, dependencies.DeferredImportIndicator) and hasattr(
        indicator, "_callback"
    ):
        indicator._callback = _finalize_scipy_sparse
