"""Results: the run's xarray Dataset, its summary, and the run folder on disk.

The run folder is the contract every later stage reads (DESIGN.md):

``results.nc``   the inputs the run was solved with and the solution, units in attrs
``summary.json`` headline figures, status, gap, timings, versions
``tables/*.csv`` the main results as tidy tables
``model.yaml``   the resolved model file, so the run can be reproduced on its own

Writing is atomic: everything goes to a hidden sibling folder that replaces the target
in one rename, so an interrupted write never leaves a half-written run; the hidden
folders a killed write left behind are removed by the next successful one. Only what
planner wrote is ever replaced (:mod:`planner.outputs`): an existing folder that is not a
run folder is refused unless ``force``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from planner.atomic import usual_dir_mode
from planner.errors import InputError, OutputError, Problem
from planner.outputs import RUN_FORMAT, check_run_out, clean_stale

SUMMARY_FILE = "summary.json"
RESULTS_FILE = "results.nc"
MODEL_FILE = "model.yaml"

# Tidy tables written next to results.nc: file stem -> (variable, dims to keep).
TABLES: dict[str, tuple[str, ...]] = {
    "racks_new_std": ("racks_new_std",),
    "racks_total_std": ("racks_total_std",),
    "compute_eflops": ("compute_eflops",),
    "capacity_mw": (
        "solar_capacity_mw",
        "wind_capacity_mw",
        "battery_power_mw",
        "battery_energy_mwh",
        "hydro_contract_mw",
    ),
    "energy_mwh": ("energy_mix_mwh",),
    "emissions_tco2": ("emissions_tco2",),
    "served_eflops": ("served_eflops",),
    "cost_cny": ("cost_cny",),
    "green_share_frac": ("green_share_frac",),
}


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types, as summary.json stores it: string keys (tuple and
    integer keys become text), lists for tuples, Python scalars for numpy ones, and None
    for NaN and infinities."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _for_netcdf(ds: xr.Dataset) -> xr.Dataset:
    """netCDF has no booleans: store them as 0/1 bytes and say so in attrs."""
    out = ds.copy()
    for name in list(out.variables):
        var = out[name]
        if var.dtype == bool:
            out[name] = var.astype("int8").assign_attrs(var.attrs, flag_values="0 1")
        elif var.dtype == object:
            out[name] = var.astype(str)
    for key, value in list(out.attrs.items()):
        if isinstance(value, dict | list | bool) or value is None:
            out.attrs[key] = json.dumps(jsonable(value), ensure_ascii=False)
    return out


def _tables(results: xr.Dataset) -> dict[str, str]:
    tables = {}
    for stem, names in TABLES.items():
        present = [n for n in names if n in results]
        if not present:
            continue
        frame = results[present].to_dataframe().reset_index()
        # The solver's -0.0 and round-off (|x| < 1e-9 in the table's own units) are 0: a
        # reader sees "0", never "-0" or "-1e-12".
        floats = frame.select_dtypes("float").columns
        frame[floats] = frame[floats].where(frame[floats].abs() >= 1e-9, 0.0) + 0.0
        tables[stem] = frame.to_csv(index=False, float_format="%.6g")
    return tables


def write_run(
    out_dir: Path,
    results: xr.Dataset,
    summary: dict[str, Any],
    model_yaml: str,
    *,
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> Path:
    """Write the run folder atomically and return its path.

    The folder is built in a temporary sibling and renamed into place; an existing
    run folder of the same name is replaced only once the new one is complete.

    Raises
    ------
    InputError
        If ``out_dir`` exists and is not a run folder (nor empty), unless ``force``
        (see :func:`planner.outputs.check_run_out`).
    OutputError
        If the folder cannot be written (read-only, full disk); what was at ``out_dir``
        is left as it was.
    """
    check_run_out(out_dir, force=force)
    out_dir = Path(out_dir).resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(
            tempfile.mkdtemp(
                prefix=f".{out_dir.name}.{os.getpid()}-", suffix=".tmp", dir=out_dir.parent
            )
        )
    except OSError as exc:
        raise OutputError.from_exception(out_dir, "could not write the run folder", exc) from exc
    try:
        usual_dir_mode(tmp)
        if on_step:
            on_step("results.nc")
        _for_netcdf(results).to_netcdf(tmp / RESULTS_FILE, engine="netcdf4")
        (tmp / "tables").mkdir()
        for stem, text in _tables(results).items():
            (tmp / "tables" / f"{stem}.csv").write_text(text, encoding="utf-8")
        (tmp / MODEL_FILE).write_text(model_yaml, encoding="utf-8")
        write_summary(tmp, summary)
        _replace_dir(tmp, out_dir)
    except (OSError, RuntimeError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, RuntimeError) and not _netcdf_fault(exc):
            raise
        raise OutputError.from_exception(out_dir, "could not write the run folder", exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    clean_stale(out_dir)
    return out_dir


def _netcdf_fault(exc: RuntimeError) -> bool:
    """netCDF reports a full disk or a failed write as a ``RuntimeError`` ("NetCDF: ...")."""
    return "NetCDF" in str(exc) or "HDF" in str(exc)


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    """Write summary.json into a run folder (atomically: temp file, then rename).

    Its ``format`` (:data:`planner.outputs.RUN_FORMAT`) marks the folder as planner's.
    """
    marked = {"format": RUN_FORMAT, **{k: v for k, v in summary.items() if k != "format"}}
    text = json.dumps(jsonable(marked), indent=2, ensure_ascii=False) + "\n"
    tmp = Path(run_dir) / f".{SUMMARY_FILE}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, Path(run_dir) / SUMMARY_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replace_dir(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; the old target survives until the new one is in place."""
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _damaged(path: Path, what: str, fix: str) -> InputError:
    return InputError([Problem(str(path), None, None, f"{what}; {fix}")])


_RUN_FIX = "the run folder is damaged: solve the model again to write it anew"


def read_summary(run_dir: Path | str) -> dict[str, Any]:
    """A run's summary.json; one clear problem (InputError) if it is missing or damaged."""
    path = Path(run_dir) / SUMMARY_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _damaged(path, "does not exist", _RUN_FIX) from None
    except UnicodeDecodeError:
        raise _damaged(path, "is not UTF-8 text", _RUN_FIX) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _damaged(path, f"is not valid JSON ({exc.msg} at {where})", _RUN_FIX) from None
    if not isinstance(summary, dict) or "status" not in summary:
        raise _damaged(path, "is not the summary of a run (no 'status')", _RUN_FIX)
    return summary


def read_run(run_dir: Path | str) -> tuple[xr.Dataset, dict[str, Any]]:
    """Open a run folder: its results Dataset (loaded into memory) and summary.

    Raises
    ------
    InputError
        One clear problem naming the file when results.nc or summary.json is missing or
        damaged.
    """
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    path = run_dir / RESULTS_FILE
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            results = ds.load()
    except (OSError, ValueError, RuntimeError) as exc:
        raise _damaged(
            path, f"cannot be read as the run's netCDF file ({type(exc).__name__})", _RUN_FIX
        ) from None
    return results, summary
