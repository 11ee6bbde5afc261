"""What one process keeps between the cases it solves: inputs, and the model with its solver.

A sweep's worker (or a notebook's loop) solves many cases of one model file that differ
in a few numbers. A :class:`Session` solves each as :func:`planner.run.solve_model`
would, without repeating what does not depend on those numbers:

- **inputs** are loaded and time-sliced once per (data folder, its files' hashes, plan
  years, representative days), for the model without its case settings
  (:func:`neutral`); each case then applies its own targets, carbon settings and scales
  (:func:`planner.inputs.load.apply_model`), none of which touches the hourly profiles
  that tsam clusters;
- **the model and its HiGHS instance** are kept after a solve. When the next case
  differs from it only in the case inputs (:mod:`planner.formulation.case`) and has the
  same shape, its numbers are set on the built model, HiGHS re-reads the objective and
  the rows they enter (:meth:`planner.solve.highs.CompiledModel.update`) and the solve
  starts from the last basis: no Pyomo build, no compile. Anything else is built afresh.

The answer is the one a fresh solve gives, within the MIP gap: the same model to the
last coefficient (``tests/test_reuse.py``), solved from another start. Where the model
has several plans of the same cost, which one a case gets may depend on the case solved
before it; ``reuse=False`` solves every case from scratch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

from planner.errors import InputError
from planner.model_file import ModelFile

log = logging.getLogger(__name__)

INPUT_CACHE_MAX = 4
"""Sliced inputs kept per process (one per data folder, years and days)."""


def neutral(model: ModelFile) -> ModelFile:
    """The model without the settings a case may change on built inputs and a built model.

    Targets, the carbon price and caps, and the price, capex and demand scales: what
    :func:`planner.inputs.load.apply_model` applies and
    :data:`planner.formulation.case.CASE_INPUTS` lists.
    """
    return model.model_copy(
        update={
            "target": model.target.model_copy(
                update={
                    "total_eflops": {},
                    "intelligent_share": {},
                    "green_share_new_hub": {},
                    "hourly_cfe_share": {},
                }
            ),
            "carbon_price_cny_per_tco2": 0.0,
            "carbon_cap_tco2": {},
            "price_scale": {},
            "capex_scale": {},
            "demand_scale": {},
        }
    )


def data_fingerprint(data_dir: Path | str) -> str:
    """sha256 over the input files of a data folder (what a cached input depends on)."""
    from planner.inputs.load import input_hashes

    return hashlib.sha256(
        json.dumps(input_hashes(Path(data_dir)), sort_keys=True).encode("utf-8")
    ).hexdigest()


@dataclass
class _Inputs:
    sliced: xr.Dataset  # time-sliced, for the neutral model
    full: xr.Dataset | None  # unsliced, kept for a full-year model's design hint


class Session:
    """Solve cases one after another, reusing inputs, the built model and HiGHS.

    Parameters
    ----------
    reuse
        ``False`` solves every case exactly as :func:`planner.run.solve_model` does (the
        reference the reuse is checked against).
    """

    def __init__(self, *, reuse: bool = True):
        self.reuse = reuse
        self._inputs: dict[tuple, _Inputs] = {}
        self._built: Any = None  # planner.run.Built of the last case
        self._built_key: str | None = None
        self._design: dict | None = None  # build decisions of the last full-year plan

    # -- inputs ----------------------------------------------------------------------------

    def inputs(self, model: ModelFile, data_dir: Path) -> tuple[xr.Dataset, xr.Dataset | None]:
        """The case's time-sliced inputs (and, for a full year, the unsliced ones).

        A case whose own settings the data cannot support (the loader's model checks run
        on the neutral model on a cache miss) falls back to loading it whole, so it gets
        the same clear error a single run gives.
        """
        from planner.inputs.load import apply_model, load_inputs
        from planner.inputs.timeslices import select_timesteps

        days = model.time.representative_days
        if not self.reuse:
            full = load_inputs(model, data_dir)
            return select_timesteps(full, days), full if days == "full" else None
        key = (str(data_dir), data_fingerprint(data_dir), tuple(model.years), days)
        cached = self._inputs.get(key)
        if cached is None:
            try:
                full = load_inputs(neutral(model), data_dir)
            except InputError:
                full = load_inputs(model, data_dir)
                return select_timesteps(full, days), full if days == "full" else None
            cached = _Inputs(select_timesteps(full, days), full if days == "full" else None)
            while len(self._inputs) >= INPUT_CACHE_MAX:
                self._inputs.pop(next(iter(self._inputs)))
            self._inputs[key] = cached
        sliced = apply_model(cached.sliced.copy(deep=True), model)
        sliced.attrs = {
            **cached.sliced.attrs,
            "scenario": model.scenario,
            "model_sha256": hashlib.sha256(model.model_dump_json().encode("utf-8")).hexdigest(),
        }
        full = None
        if cached.full is not None:
            full = apply_model(cached.full.copy(deep=True), model)
        return sliced, full

    # -- solving ---------------------------------------------------------------------------

    def solve(
        self,
        model: ModelFile,
        data_dir: Path,
        *,
        on_step: Callable[[str], None] | None = None,
    ):
        """Solve one case; returns a :class:`planner.run.Run`."""
        from planner import run as run_mod
        from planner.formulation.case import shape_key

        if not self.reuse:
            return run_mod.solve_model(model, data_dir, on_step=on_step)
        t0 = time.perf_counter()
        sliced, full = self.inputs(model, data_dir)
        key = hashlib.sha256(
            "\n".join(
                (
                    neutral(model).model_dump_json(),
                    data_fingerprint(data_dir),
                    shape_key(sliced),
                )
            ).encode("utf-8")
        ).hexdigest()
        built = self._built if key == self._built_key else None
        # Drop a model of another shape before building the next (a full-year model
        # holds gigabytes).
        self._built = self._built_key = None
        hint = None
        if built is None and full is not None:
            hint = self._design or run_mod.design_hint(full, model)
        run = run_mod.solve_model(
            model,
            data_dir,
            on_step=on_step,
            t_start=t0,
            sliced=sliced,
            built=built,
            full_year_hint=hint,
        )
        if run.built is not None:
            self._built, self._built_key = run.built, key
            run.built = None
            if full is not None and run.has_plan:
                from planner.solve import design_values

                self._design = design_values(self._built.m)
        return run
