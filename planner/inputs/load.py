"""Inputs: the CSV tables, the hourly profiles and a model file -> one validated Dataset.

This is the only place ``planner`` reads the data folder. :func:`load_inputs` runs every
check first (each table alone, :mod:`planner.inputs.tables`; the rules that span tables
and the model's years, :mod:`planner.inputs.rules`; the profile file) and raises
:class:`~planner.errors.InputError` with all problems, so the model builder only ever sees
complete, typed, unit-labelled inputs:

- every variable of :data:`planner.schema.INPUT_VARIABLES`, with its dims, ``units`` and
  ``long_name`` from the schema (copied from the table :class:`planner.schema.Quantity`
  names, or computed here), plus the model-file variables of
  :data:`planner.schema.MODEL_VARIABLES`;
- a 0-d variable for every parameter of ``params.csv`` (units from the file, which the
  checks hold to :data:`planner.schema.REQUIRED_PARAMS`);
- coordinates ``site``, ``hub``, ``rack_class``, ``year`` (the model's years only),
  ``refresh_year`` (every year after the base year up to the last plan year),
  ``vintage``, ``region``, ``service``, ``tech``, ``hour`` (0..8759), ``hour_of_day``
  (0..23), in the order of the data files.

Scaling happens once, here: TFLOPS per standard rack become EFLOPS per standard rack in
:func:`tflops_to_eflops`, and the model file's ``price_scale``, ``capex_scale`` and
``demand_scale`` multiply the data in :func:`apply_model`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from planner import schema
from planner.errors import InputError
from planner.inputs.rules import (
    TECHS,
    check_rules,
    given_targets,
    plan_years_after_base_year,
    refresh_years,
    refresh_years_covered,
)
from planner.inputs.tables import (
    PROFILES_FILE,
    check_profile_values,
    located,
    read_profiles,
    read_tables,
)
from planner.model_file import ModelFile

TFLOPS_PER_EFLOPS = 1e6

_TARGETS = {  # Dataset variable -> (targets.csv target, ModelFile.target field)
    "target_total_eflops": ("total_eflops", "total_eflops"),
    "target_intelligent_share_frac": ("intelligent_share", "intelligent_share"),
    "target_green_share_frac": ("green_share_new_hub", "green_share_new_hub"),
}


def tflops_to_eflops(tflops: np.ndarray | pd.Series | xr.DataArray):
    """TFLOPS (per standard rack) -> EFLOPS (per standard rack): the one FLOPS rescaling."""
    return tflops / TFLOPS_PER_EFLOPS


def load_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every table, typed and checked (cell rules and year-independent cross-table rules).

    Raises
    ------
    InputError
        With every problem found.
    """
    tables, problems = read_tables(Path(data_dir))
    problems += check_rules(tables)
    if problems:
        raise InputError(located(problems, data_dir))
    return tables


def load_inputs(model: ModelFile, data_dir: Path) -> xr.Dataset:
    """Check the inputs for ``model`` and build the one inputs Dataset.

    Parameters
    ----------
    model
        The validated model file (years, target overrides, scales).
    data_dir
        Folder holding ``*.csv`` and ``profiles.nc``.

    Raises
    ------
    InputError
        With every problem in the tables, the profiles and the years asked for.
    """
    data_dir = Path(data_dir).resolve()
    tables, problems = read_tables(data_dir)
    problems += check_rules(tables, model.years, given_targets(model))
    profiles_path = data_dir / PROFILES_FILE
    profiles, profile_problems = read_profiles(profiles_path)
    problems += profile_problems
    if profiles is not None:
        sites = list(tables["sites"]["site"]) if "sites" in tables else []
        problems += check_profile_values(profiles, sites, profiles_path.name)
    problems += refresh_years_covered(tables, model.years)
    problems += plan_years_after_base_year(tables, model.years, "model file")
    if problems:
        raise InputError(problems)

    ds = _build(tables, profiles, model.years)
    ds = apply_model(ds, model)
    ds.attrs = {
        "scenario": model.scenario,
        "data_dir": str(data_dir),
        "years": ", ".join(map(str, model.years)),
        "input_sha256": json.dumps(input_hashes(data_dir), sort_keys=True),
        "provenance": json.dumps(provenance(tables), ensure_ascii=False),
        "model_sha256": hashlib.sha256(model.model_dump_json().encode("utf-8")).hexdigest(),
    }
    return ds


def provenance(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Where the inputs come from: each table's rows by confidence and the sources it
    cites, and the bibliography (``sources.csv``).

    The run carries it (``results.attrs["provenance"]``) so that the report lists the
    sources of a run from the run folder alone, wherever the data folder is now.
    """
    out: dict[str, Any] = {"tables": [], "sources": []}
    for name, table in schema.TABLES.items():
        frame = tables.get(name)
        if name == "sources" or frame is None:
            continue
        entry: dict[str, Any] = {"file": table.file, "rows": len(frame)}
        if "confidence" in frame:
            counts = frame["confidence"].astype(str).str.strip().value_counts()
            order = [
                *schema.CONFIDENCE_LEVELS,
                *sorted(set(counts.index) - set(schema.CONFIDENCE_LEVELS)),
            ]
            entry["confidence"] = {k: int(counts[k]) for k in order if k in counts}
        if "source" in frame:
            ids = {s.strip() for cell in frame["source"].astype(str) for s in cell.split(";")}
            entry["sources"] = sorted(i for i in ids if i)
        out["tables"].append(entry)
    sources = tables.get("sources")
    if sources is not None:
        columns = [c for c in ("source_id", "issuer", "document", "date", "url") if c in sources]
        out["sources"] = sources[columns].fillna("").astype(str).to_dict(orient="records")
    return out


def input_hashes(data_dir: Path) -> dict[str, str]:
    """sha256 of every input file (each table and the profiles), by file name."""
    files = [t.file for t in schema.TABLES.values()] + [PROFILES_FILE]
    out = {}
    for name in files:
        path = Path(data_dir) / name
        if path.is_file():
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --------------------------------------------------------------------------- building


def _coords(tables: dict[str, pd.DataFrame], years: list[int]) -> dict[str, np.ndarray]:
    tech_present = set(tables["technologies"]["tech"])
    base_year = tables["params"].set_index("parameter")["value"]["base_year"]
    return {
        "refresh_year": refresh_years(int(base_year), years),
        "site": _strings(tables["sites"]["site"]),
        "hub": _strings(tables["hubs"]["hub"]),
        "rack_class": _strings(tables["rack_classes"]["rack_class"]),
        "year": np.asarray(years, dtype=np.int64),
        "vintage": np.asarray(sorted(set(tables["stock"]["vintage"])), dtype=np.int64),
        "region": _strings(tables["regions"]["region"]),
        "service": _strings(tables["services"]["service"]),
        "tech": _strings([t for t in TECHS if t in tech_present]),
        "hour": np.arange(schema.HOURS_PER_YEAR, dtype=np.int64),
        "hour_of_day": np.arange(24, dtype=np.int64),
    }


def _strings(values) -> np.ndarray:
    return np.asarray([str(v) for v in values], dtype=str)


def _from_table(
    frame: pd.DataFrame,
    dims: tuple[str, ...],
    column: str,
    coords: dict[str, np.ndarray],
    fill: float | None,
) -> xr.DataArray:
    """One column of a table as a DataArray over ``dims`` (the table's columns of those names).

    Rows are matched to the coordinates with pandas (one reindex on the full product of
    the coordinates): xarray's own reindex is an order of magnitude slower here, and the
    loader does this for some fifty variables on every run.
    """
    series = frame.set_index(list(dims))[column]
    if len(dims) == 1:
        target = pd.Index(coords[dims[0]], name=dims[0])
    else:
        target = pd.MultiIndex.from_product([coords[d] for d in dims], names=list(dims))
    values = series.reindex(target)
    if fill is not None:
        values = values.fillna(fill)
    array = values.to_numpy().copy()  # writable: apply_model edits targets in place
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        array = array.astype(str)
    shape = tuple(len(coords[d]) for d in dims)
    return xr.DataArray(array.reshape(shape), dims=dims, coords={d: coords[d] for d in dims})


def _build(tables: dict[str, pd.DataFrame], profiles: xr.Dataset, years: list[int]) -> xr.Dataset:
    coords = _coords(tables, years)
    specs = schema.INPUT_VARIABLES
    # Variables are collected here and put into one Dataset at the end: assigning them
    # one by one to a Dataset aligns it every time (most of the loader's time).
    ds: dict[str, Any] = {}

    # Copied from the table the schema names; the rest are computed below.
    for name in specs:
        q = schema.QUANTITIES[name]
        if q.table is not None:
            ds[name] = _from_table(tables[q.table], q.dims, q.source_column, coords, q.fill)

    # load_shapes.csv gives each hour's draw relative to the daily peak; rescale to a daily
    # mean of 1 so that utilisation_frac stays the average draw of an installed rack.
    ds["load_shape_rel"] = ds["load_shape_rel"] / ds["load_shape_rel"].mean("hour_of_day")

    # Hubs: east/west and national-hub flag of each site.
    hubs = tables["hubs"].set_index("hub")
    site_hub = ds["site_hub"].to_numpy()
    ds["site_east_west"] = ("site", _strings(hubs.loc[site_hub, "east_west"]))
    ds["site_in_national_hub"] = ("site", hubs.loc[site_hub, "is_national_hub"].to_numpy(bool))

    # Compute per rack, in EFLOPS (the data give TFLOPS).
    build = tables["rack_build"]
    ds["eflops_per_std_rack"] = tflops_to_eflops(
        _from_table(build, ("rack_class", "year"), "tflops_per_std_rack", coords, None)
    )
    ds["refresh_eflops_per_std_rack"] = tflops_to_eflops(
        _from_table(
            build.rename(columns={"year": "refresh_year"}),
            ("rack_class", "refresh_year"),
            "tflops_per_std_rack",
            coords,
            None,
        )
    )
    ds["stock_eflops_per_std_rack"] = tflops_to_eflops(
        _from_table(
            tables["stock"], ("site", "rack_class", "vintage"), "tflops_per_std_rack", coords, 0.0
        )
    )

    # Targets from the data (the model file overrides them in apply_model).
    targets = tables["targets"]
    for name, (target, _field) in _TARGETS.items():
        rows = targets[targets["target"] == target]
        ds[name] = _from_table(rows, ("year",), "value", coords, np.nan)

    # Hourly profiles, in the order of sites.csv, hour as 0..8759.
    for name in schema.PROFILE_VARIABLES:
        da = profiles[name].sel(site=list(coords["site"])).transpose("site", "hour")
        ds[name] = xr.DataArray(np.asarray(da.to_numpy(), dtype=float), dims=("site", "hour"))

    # Hourly PUE from temperature: free cooling below the threshold, linear above.
    params = tables["params"].set_index("parameter")["value"]
    excess = np.maximum(0.0, ds["temperature_c"] - params["pue_free_cooling_below_c"])
    ds["pue"] = ds["pue_min"] + params["pue_slope_per_c"] * excess

    # Time-of-use multiplier: hour h of the year is hour h % 24 of its day.
    tou = tables["tou"].pivot(index="tou_scheme", columns="hour_of_day", values="price_multiplier")
    scheme = tables["site_energy"].set_index("site").loc[coords["site"], "tou_scheme"]
    daily = tou.loc[scheme.to_numpy(), list(range(24))].to_numpy(float)
    ds["price_multiplier"] = (("site", "hour"), daily[:, coords["hour"] % 24])

    # National parameters as 0-d variables, unit from params.csv (checked against the schema).
    for _line, row in tables["params"].iterrows():
        value = int(row["value"]) if row["parameter"] == "base_year" else float(row["value"])
        ds[row["parameter"]] = xr.DataArray(
            value, attrs={"units": row["unit"], "long_name": f"{row['parameter']} (params.csv)"}
        )

    for name, (dims, units, long_name) in specs.items():
        da = ds[name]
        if not isinstance(da, xr.DataArray):
            da = xr.DataArray(da[1], dims=da[0])
        if tuple(da.dims) != tuple(dims):
            da = da.transpose(*dims)
        ds[name] = da.assign_attrs(units=units, long_name=long_name or name)
    # keep the coordinate dtypes (str, int64) of _coords
    return xr.Dataset(ds, coords=coords)


def apply_model(ds: xr.Dataset, model: ModelFile) -> xr.Dataset:
    """Targets, carbon settings and scales from the model file (``ds`` is changed in place)."""
    years = [int(y) for y in ds["year"].to_numpy()]
    for name, (_target, field) in _TARGETS.items():
        given = getattr(model.target, field)
        for year in years:
            if year in given:
                ds[name].loc[{"year": year}] = float(given[year])

    cfe = [float(model.target.hourly_cfe_share.get(y, 0.0)) for y in years]
    cap = [float(model.carbon_cap_tco2.get(y, np.inf)) for y in years]
    ds["target_hourly_cfe_share_frac"] = ("year", np.asarray(cfe))
    ds["carbon_cap_tco2"] = ("year", np.asarray(cap))
    ds["carbon_price_cny_per_tco2"] = xr.DataArray(float(model.carbon_price_cny_per_tco2))

    # Scales multiply the data once, here.
    if model.price_scale:
        factor = xr.DataArray(
            [model.price_scale.get(str(ew), 1.0) for ew in ds["site_east_west"].to_numpy()],
            dims="site",
        )
        ds["electricity_price_cny_per_mwh"] = ds["electricity_price_cny_per_mwh"] * factor
    if model.capex_scale:
        factor = xr.DataArray(
            [model.capex_scale.get(str(rc), 1.0) for rc in ds["rack_class"].to_numpy()],
            dims="rack_class",
        )
        for name in ("capex_facility_cny_per_std_rack", "capex_it_cny_per_std_rack"):
            ds[name] = (ds[name] * factor).transpose(*schema.INPUT_VARIABLES[name][0])
    if model.demand_scale:
        factor = xr.DataArray(
            [model.demand_scale.get(str(rc), 1.0) for rc in ds["rack_class"].to_numpy()],
            dims="rack_class",
        )
        ds["demand_eflops"] = (ds["demand_eflops"] * factor).transpose(
            *schema.INPUT_VARIABLES["demand_eflops"][0]
        )

    specs = {**schema.INPUT_VARIABLES, **schema.MODEL_VARIABLES}
    for name, (_dims, units, long_name) in specs.items():
        ds[name].attrs = {"units": units, "long_name": long_name or name}
    return ds
