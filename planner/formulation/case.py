"""The case inputs: the numbers a what-if changes without changing the model's shape.

A sweep or a frontier solves many cases of one model that differ in a few numbers (a
carbon price, a target, a cap, a price or cost scale). Rebuilding and recompiling the
model for each would repeat work that does not depend on them, so the families read these
inputs as *mutable* Pyomo Params (:func:`case_param`), never as floats, and name the
constraints whose rows they enter (:func:`case_rows`). The Pyomo model stays the one
definition of the maths: :func:`apply_case` sets the Params from another case's inputs,
and the solver adapter re-reads the objective and those rows from the model
(``planner.solve.highs.CompiledModel.update``) into the HiGHS instance it already holds.

Rules the families keep (``tests/test_reuse.py`` checks each case input against a fresh
build):

- a case input enters an expression only through its Param;
- the model's *shape* (which variables and rows exist) depends on a case input only
  through which of its values are zero or infinite, as :data:`CASE_INPUTS` declares (a
  served variable where demand is positive, a cap row in a year with a finite cap):
  :func:`shape_key` is that pattern, and a case whose pattern differs is built afresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import xarray as xr

CASE_INPUTS: dict[str, str] = {
    "carbon_price_cny_per_tco2": "",
    "carbon_cap_tco2": "infinite",
    "electricity_price_cny_per_mwh": "",
    "capex_facility_cny_per_std_rack": "",
    "capex_it_cny_per_std_rack": "",
    "demand_eflops": "zero",
    "target_total_eflops": "",
    "target_intelligent_share_frac": "",
    "target_green_share_frac": "zero",
    "target_hourly_cfe_share_frac": "zero",
}
"""Inputs a case may change on a built model: the model file's targets, carbon price and
caps, and what its price, capex and demand scales multiply (``planner.inputs.load``'s
``apply_model``). The value says which of its values shape the model: ``zero`` (a
demand with no served variables, a year with no green row), ``infinite`` (a year with no
cap row) or nothing."""


@dataclass
class CaseTerms:
    """The case Params and the constraints they enter (``m.planner_case``)."""

    params: dict[str, pyo.Param] = field(default_factory=dict)
    rows: list[pyo.Constraint] = field(default_factory=list)


def _index(da: xr.DataArray) -> dict:
    """``{index: value}`` of a Dataset variable (index a tuple for 2+ dims, as Pyomo)."""
    if da.ndim == 0:
        return {None: float(da.item())}
    return {k: float(v) for k, v in da.to_series().items()}


def case_param(m: pyo.ConcreteModel, inputs: xr.Dataset, name: str) -> pyo.Param:
    """The case input ``name`` as a mutable Param ``m.<name>``, indexed like the input.

    Index it like :func:`planner.formulation.helpers.param`'s dict (``p[None]`` for a
    scalar is ``p`` itself); use ``pyo.value(p[i])`` where a branch needs the number.
    """
    if name not in CASE_INPUTS:
        raise KeyError(f"{name} is not a case input (planner.formulation.case.CASE_INPUTS)")
    values = _index(inputs[name])
    if inputs[name].ndim == 0:
        p = pyo.Param(initialize=values[None], mutable=True, within=pyo.Any)
    else:
        p = pyo.Param(list(values), initialize=values, mutable=True, within=pyo.Any)
    p.doc = inputs[name].attrs.get("long_name", name)
    m.add_component(name, p)
    m.planner_case.params[name] = p
    return p


def case_rows(m: pyo.ConcreteModel, *constraints: pyo.Constraint) -> None:
    """Register constraints whose rows (coefficients or bounds) a case Param enters."""
    m.planner_case.rows.extend(constraints)


def shape_key(inputs: xr.Dataset) -> str:
    """What of the case inputs decides the model's shape (see :data:`CASE_INPUTS`)."""
    h = hashlib.sha256()
    for name, shapes in CASE_INPUTS.items():
        if not shapes:
            continue
        values = np.asarray(inputs[name].values, dtype=float)
        pattern = values == 0 if shapes == "zero" else np.isinf(values)
        h.update(name.encode())
        h.update(np.packbits(pattern).tobytes())
    return h.hexdigest()


def apply_case(m: pyo.ConcreteModel, inputs: xr.Dataset) -> list[pyo.Constraint]:
    """Set the case Params of a built model from another case's inputs.

    The case must have the model's :func:`shape_key` (the caller checks). Returns the
    constraints whose rows the solver adapter must re-read (the objective always is).
    """
    for name, p in m.planner_case.params.items():
        values = _index(inputs[name])
        if p.is_indexed():
            p.store_values(values)
        else:
            p.set_value(values[None])
    return list(m.planner_case.rows)
