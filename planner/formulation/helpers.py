"""Small helpers every constraint family uses: reading the inputs, annuities, fast rows.

Nothing here knows a family: the builder and the families import from this module, and
it imports from none of them.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


def param(inputs: xr.Dataset, name: str) -> dict:
    """A Dataset variable as ``{index: value}`` (index a tuple for 2+ dims, as Pyomo)."""
    da = inputs[name]
    if da.ndim == 0:
        return {None: da.item()}
    return da.to_series().to_dict()


def scalar(inputs: xr.Dataset, name: str) -> float:
    """A 0-d Dataset variable as a float."""
    return float(inputs[name].item())


def coord(inputs: xr.Dataset, name: str) -> list:
    """A coordinate as a list of Python scalars."""
    return inputs[name].values.tolist()


def crf(rate: float, lifetime_years: float) -> float:
    """Capital recovery factor CRF(r, L) = r (1+r)^L / ((1+r)^L - 1); 1/L when r = 0."""
    if rate == 0:
        return 1.0 / lifetime_years
    g = (1.0 + rate) ** lifetime_years
    return rate * g / (g - 1.0)


def in_service_builds(life: dict, tech: str, years: list[int], y: int) -> list[int]:
    """Build years ``b <= y`` of ``tech`` still in service in ``y`` (``b + L > y``)."""
    return [b for b in years if b <= y < b + life[tech, b]]


def linear(coefs: list[float], variables: list, constant: float = 0.0) -> LinearExpression:
    """``constant + sum(coefs * variables)`` built directly as one LinearExpression.

    The hourly rows are built this way: it skips Pyomo's operator overloading (an order
    of magnitude faster for ~1e6 rows) and hands the solver interface a flat expression.
    """
    args: list = [constant] if constant else []
    args.extend(
        v if c == 1.0 else MonomialTermExpression((c, v))
        for c, v in zip(coefs, variables, strict=True)
    )
    return LinearExpression(args)


def dense(var: pyo.Var, *sizes: int) -> np.ndarray:
    """The VarData of a Var indexed by a product of ordered sets, as an object array.

    Hourly rules index it by position (``x[i, j, k]``), which is several times faster
    than Pyomo's ``var[s, y, t]`` lookup across ~1e6 rows.
    """
    arr = np.empty(len(var), dtype=object)
    arr[:] = list(var.values())
    return arr.reshape(sizes)
