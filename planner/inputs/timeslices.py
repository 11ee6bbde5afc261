"""Time slices: representative days chosen by tsam, or the full 8760-hour year.

The model never sees ``hour``; it sees ``timestep`` with a weight in hours per year.
Storage is cyclic within each representative day, so every day is 24 consecutive
timesteps in hour-of-day order.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from planner.atomic import usual_file_mode

log = logging.getLogger(__name__)

HOURS_PER_DAY = 24
# Hourly (site, hour) variables chosen together by the clustering: the weather that drives
# supply and cooling. Hour-of-day variables (tariff periods, rack load shapes) are mapped
# afterwards, because they repeat every day and carry no information for the clustering.
CLUSTERED = ("solar_cf", "wind_cf", "hydro_availability_frac", "temperature_c", "pue")
# Bounds kept after tsam's mean-preserving rescaling (which can push a value past them).
BOUNDS = {
    "solar_cf": (0.0, 1.0),
    "wind_cf": (0.0, 1.0),
    "hydro_availability_frac": (0.0, 1.0),
    "pue": (1.0, None),
}


def select_timesteps(inputs: xr.Dataset, days: int | Literal["full"]) -> xr.Dataset:
    """Replace the ``hour`` dimension of ``inputs`` by ``timestep``.

    Parameters
    ----------
    inputs
        The validated inputs Dataset (dims include ``site``, ``hour`` 0..8759).
    days
        Number of representative days (tsam, hierarchical clustering of whole days,
        medoids rescaled so every column keeps its annual mean), or ``"full"``.

    Returns
    -------
    xarray.Dataset
        The inputs with ``timestep`` instead of ``hour``, and ``timestep_weight_h``
        [h/yr], ``timestep_day`` and ``timestep_hour_of_day``. Weights sum to 8760.
    """
    n_hours = inputs.sizes["hour"]
    if days == "full":
        hour = np.arange(n_hours)
        hourly = {v: inputs[v].values for v in _hourly_vars(inputs)}
        weight_h = np.ones(n_hours)
        day = hour // HOURS_PER_DAY
        method = "full year"
    else:
        hourly, weight_h, day, method = _cached_representative_days(inputs, int(days))
    hour_of_day = np.tile(np.arange(HOURS_PER_DAY), len(weight_h) // HOURS_PER_DAY)

    out = inputs.drop_vars([*_hourly_vars(inputs), "load_shape_rel"]).drop_dims("hour")
    ts = np.arange(len(weight_h))
    out = out.assign_coords(timestep=ts)
    for name, values in hourly.items():
        out[name] = (("site", "timestep"), values, inputs[name].attrs)
    out["load_shape_rel"] = (
        (inputs["load_shape_rel"].sel(hour_of_day=xr.DataArray(hour_of_day, dims="timestep")))
        .drop_vars("hour_of_day", errors="ignore")
        .assign_attrs(inputs["load_shape_rel"].attrs)
    )
    out["timestep_weight_h"] = (
        "timestep",
        weight_h,
        {"units": "h/year", "long_name": "hours of the year each timestep stands for"},
    )
    out["timestep_day"] = ("timestep", day.astype(np.int64), {"long_name": "representative day"})
    out["timestep_hour_of_day"] = ("timestep", hour_of_day, {"long_name": "hour of day"})
    out.attrs["time_slices"] = method
    return out


def _hourly_vars(inputs: xr.Dataset) -> list[str]:
    return [v for v in inputs.data_vars if inputs[v].dims == ("site", "hour")]


def cache_dir() -> Path | None:
    """Where chosen representative days are kept: ``$PLANNER_CACHE_DIR`` or
    ``~/.cache/planner``; ``PLANNER_CACHE_DIR=off`` turns the cache off."""
    env = os.environ.get("PLANNER_CACHE_DIR")
    if env and env.lower() in ("off", "0", "none"):
        return None
    return Path(env) if env else Path.home() / ".cache" / "planner"


def _cache_key(inputs: xr.Dataset, n_days: int) -> str:
    # The version from the package metadata: importing tsam is what the cache avoids.
    tsam_version = importlib.metadata.version("tsam")
    digest = hashlib.sha256(f"{n_days}|{tsam_version}|{CLUSTERED}|{BOUNDS}".encode())
    for var in _hourly_vars(inputs):
        digest.update(var.encode())
        digest.update(np.ascontiguousarray(inputs[var].values, dtype=np.float64).tobytes())
    digest.update("|".join(str(s) for s in inputs["site"].values).encode())
    return digest.hexdigest()[:32]


SHIPPED_DIR = "timeslices"
"""Folder of the data directory holding representative days chosen ahead of time
(``planner data timeslices``), read like the cache but never written by a solve."""


def cache_file_name(inputs: xr.Dataset, n_days: int) -> str:
    """File name of the chosen days of ``inputs`` (the same in the cache and the data)."""
    return f"timeslices-{_cache_key(inputs, n_days)}.nc"


def _cached_representative_days(
    inputs: xr.Dataset, n_days: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, str]:
    """Representative days, from a file when the same profiles were clustered before.

    Clustering is deterministic, so a file keyed by a hash of every hourly series, the
    number of days, the clustering settings and the tsam version holds exactly what tsam
    would return; it saves importing (about 3 s) and running tsam on every solve. Files
    are looked up in the user cache (:func:`cache_dir`), then in the data folder's
    ``timeslices/`` (shipped for the default model, so a fresh install's first
    ``planner plan`` needs no clustering). A miss runs tsam and fills the user cache.
    """
    name = cache_file_name(inputs, n_days)
    folder = cache_dir()
    data_dir = inputs.attrs.get("data_dir")
    candidates = [folder / name] if folder else []
    if data_dir:
        candidates.append(Path(data_dir) / SHIPPED_DIR / name)
    for path in candidates:
        if not path.exists():
            continue
        try:
            with xr.open_dataset(path, engine="netcdf4") as cached:
                cached = cached.load()
            hourly = {v: cached[v].values for v in _hourly_vars(inputs)}
            return hourly, cached["weight_h"].values, cached["day"].values, cached.attrs["method"]
        except (OSError, KeyError, ValueError):
            log.warning("ignoring an unreadable time-slice file %s", path)
    result = _representative_days(inputs, n_days)
    if folder is not None:
        write_timeslices(folder / name, *result)
    return result


def ship_representative_days(inputs: xr.Dataset, n_days: int) -> Path:
    """Choose ``n_days`` representative days with tsam and keep them in the data folder."""
    path = Path(inputs.attrs["data_dir"]) / SHIPPED_DIR / cache_file_name(inputs, n_days)
    write_timeslices(path, *_representative_days(inputs, n_days))
    return path


def write_timeslices(
    path: Path, hourly: dict[str, np.ndarray], weight_h: np.ndarray, day: np.ndarray, method: str
) -> None:
    """Write chosen days atomically (temp file, then rename); a failure only warns."""
    ds = xr.Dataset(
        {name: (("site", "timestep"), values) for name, values in hourly.items()}
        | {"weight_h": ("timestep", weight_h), "day": ("timestep", day)},
        attrs={"method": method},
    )
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".timeslices-", suffix=".nc")
        os.close(fd)
        usual_file_mode(tmp)
        ds.to_netcdf(tmp, engine="netcdf4")
        os.replace(tmp, path)
    except OSError:
        log.warning("could not write the time-slice cache in %s", path.parent)
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _representative_days(
    inputs: xr.Dataset, n_days: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, str]:
    import tsam

    n_hours = inputs.sizes["hour"]
    if n_hours % HOURS_PER_DAY:
        raise ValueError(f"{n_hours} hours is not a whole number of days")
    n_year_days = n_hours // HOURS_PER_DAY
    if not 1 <= n_days <= n_year_days:
        raise ValueError(f"{n_days} representative days; give 1 to {n_year_days}")

    sites = [str(s) for s in inputs["site"].values]
    hourly_vars = _hourly_vars(inputs)
    columns: dict[str, np.ndarray] = {}
    constant: dict[str, float] = {}
    for var in CLUSTERED:
        for i, site in enumerate(sites):
            series = inputs[var].values[i]
            name = f"{var}|{site}"
            # tsam normalises each column by its range; a constant column carries no
            # information and would divide by zero, so it is restored afterwards.
            if np.ptp(series) < 1e-12:
                constant[name] = float(series[0])
            else:
                columns[name] = series
    index = pd.date_range("2023-01-01", periods=n_hours, freq="h")
    frame = pd.DataFrame(columns, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = tsam.aggregate(
            frame,
            n_clusters=n_days,
            period_duration=HOURS_PER_DAY,
            cluster=tsam.ClusterConfig(method="hierarchical", representation="medoid"),
            preserve_column_means=True,
        )
    reps = result.cluster_representatives
    clusters = sorted(result.cluster_counts)
    weight_h = np.repeat([float(result.cluster_counts[k]) for k in clusters], HOURS_PER_DAY)
    day = np.repeat(np.arange(len(clusters)), HOURS_PER_DAY)

    # One frame of the representative days in cluster order (per-label lookups of the
    # (cluster, hour) index cost a second over ~400 columns).
    ordered = pd.concat([reps.loc[k] for k in clusters])
    hourly: dict[str, np.ndarray] = {}
    for var in hourly_vars:
        values = np.empty((len(sites), len(weight_h)))
        for i, site in enumerate(sites):
            name = f"{var}|{site}"
            if name in constant:
                values[i] = constant[name]
            elif name in columns:
                values[i] = ordered[name].to_numpy()
            else:
                # Not clustered (e.g. the tariff multiplier, which follows the hour of day):
                # take it from the hour of day of the first day of the year.
                first_day = inputs[var].values[i, :HOURS_PER_DAY]
                values[i] = np.tile(first_day, len(clusters))
        lo, hi = BOUNDS.get(var, (None, None))
        hourly[var] = np.clip(values, lo, hi) if lo is not None or hi is not None else values
    method = (
        f"{n_days} representative days (tsam {tsam.__version__}, hierarchical, medoid, "
        f"means preserved); weighted RMSE {result.accuracy.weighted_rmse:.4f}"
    )
    log.info(method)
    return hourly, weight_h, day, method
