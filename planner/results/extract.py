"""Read a solved model into an xarray Dataset with DESIGN.md's names and units."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from planner import schema

# name: (units, long_name), from the one table of quantities
UNITS: dict[str, tuple[str, str]] = {
    n: (q.unit, q.long_name)
    for n, q in schema.QUANTITIES.items()
    if q.stage == schema.RESULT or q.result_dims is not None
}


def _read(
    component, dims: tuple[str, ...], coords: dict, fill: float = 0.0, dense: bool = False
) -> np.ndarray:
    """Values of an indexed Var or Expression as an array over ``dims`` (fill if absent).

    One pass over the component. ``dense``: the component is indexed by the product of
    the model's ordered sets in ``dims`` order, so its values come in C order and are
    read with ``np.fromiter`` (the hourly variables).
    """
    shape = tuple(len(coords[d]) for d in dims)
    is_var = component.ctype is pyo.Var

    def val(obj):
        x = obj.value if is_var else pyo.value(obj, exception=False)
        return fill if x is None else x

    if dense and len(component) == int(np.prod(shape)):
        return np.fromiter((val(o) for o in component.values()), float, len(component)).reshape(
            shape
        )
    arr = np.full(shape, fill, dtype=float)
    pos = [{k: i for i, k in enumerate(coords[d])} for d in dims]
    for idx, obj in component.items():
        key = idx if isinstance(idx, tuple) else (idx,)
        arr[tuple(p[k] for p, k in zip(pos, key, strict=True))] = val(obj)
    return arr


def extract_solution(m: pyo.ConcreteModel, inputs: xr.Dataset) -> xr.Dataset:
    """The solution of a solved model as a Dataset with units in every ``attrs``.

    Hourly solar and wind output are not model variables; they are derived here.
    ``solar_mw`` / ``wind_mw`` are the available output ``cf x capacity``, so that, as
    DESIGN.md states, ``grid + solar + wind + hydro + discharge - charge - curtailment ==
    facility_load``. ``solar_used_mw`` / ``wind_used_mw`` are the output actually used:
    available less the curtailment prorated by available output (they sum with the
    other terms to the load without the curtailment term).
    """
    d = m.planner_data
    coords = {
        "site": d.sites,
        "rack_class": d.rack_classes,
        "year": d.years,
        "timestep": d.timesteps,
        "region": list(m.REGIONS),
        "service": list(m.SERVICES),
        "hub": list(m.HUBS),
        "component": list(m.COST_COMPONENTS),
    }
    out: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}

    def put(name, component, dims, fill=0.0, dense=False):
        out[name] = (dims, _read(component, dims, coords, fill, dense))

    scy = ("site", "rack_class", "year")
    syt = ("site", "year", "timestep")
    sy = ("site", "year")
    put("build_modules", m.build_modules, scy)
    put("racks_new_std", m.racks_new_std, scy)
    put("racks_total_std", m.racks_total_std, scy)
    put("compute_eflops", m.compute_eflops, scy)
    put("compute_new_eflops", m.compute_new_eflops, scy)
    put("idle_stock_eflops", m.idle_stock_eflops, scy)
    racks = out["racks_total_std"][1]
    compute = out["compute_eflops"][1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_eflops_per_std_rack"] = (scy, np.where(racks > 0, compute / racks, 0.0))
    put("total_compute_eflops", m.total_compute_eflops, ("year",))
    if hasattr(m, "campus_phases"):
        put("campus_phases", m.campus_phases, sy)

    # hourly: facility load from racks in service and the load per rack
    lam = d.load_mw_per_std_rack  # (site, class, timestep)
    out["facility_load_mw"] = (syt, np.einsum("sct,scy->syt", lam, racks))
    put("grid_import_mw", m.grid_import_mw, syt, dense=True)
    put("hydro_mw", m.hydro_mw, syt)
    put("battery_charge_mw", m.battery_charge_mw, syt, dense=True)
    put("battery_discharge_mw", m.battery_discharge_mw, syt, dense=True)
    put("battery_soc_mwh", m.battery_soc_mwh, syt, dense=True)
    put("curtailment_mw", m.curtailment_mw, syt)
    for name in (
        "solar_new_mw",
        "wind_new_mw",
        "battery_power_new_mw",
        "battery_energy_new_mwh",
        "solar_capacity_mw",
        "wind_capacity_mw",
        "battery_power_mw",
        "battery_energy_mwh",
        "hydro_contract_mw",
        "gec_mwh",
        "emissions_tco2",
    ):
        put(name, getattr(m, name), sy)
    solar_cf = inputs["solar_cf"].transpose("site", "timestep").values[:, None, :]
    wind_cf = inputs["wind_cf"].transpose("site", "timestep").values[:, None, :]
    solar_avail = solar_cf * out["solar_capacity_mw"][1][:, :, None]
    wind_avail = wind_cf * out["wind_capacity_mw"][1][:, :, None]
    avail = solar_avail + wind_avail
    curtail = out["curtailment_mw"][1]
    with np.errstate(invalid="ignore", divide="ignore"):
        solar_part = np.where(avail > 0, solar_avail / avail, 0.0)
    out["solar_mw"] = (syt, solar_avail)
    out["wind_mw"] = (syt, wind_avail)
    out["solar_used_mw"] = (syt, solar_avail - curtail * solar_part)
    out["wind_used_mw"] = (syt, wind_avail - curtail * np.where(avail > 0, 1.0 - solar_part, 0.0))

    ef = inputs["grid_ef_tco2_per_mwh"]
    if "timestep" not in ef.dims:
        ef = ef.expand_dims(timestep=coords["timestep"], axis=-1)
    out["grid_ef_tco2_per_mwh"] = (syt, ef.transpose(*syt).values)

    rvcsy = ("region", "service", "rack_class", "site", "year")
    put("served_eflops", m.served_eflops, rvcsy)
    # (region, service, class, site, year) -> (site, class, year)
    out["served_site_eflops"] = (scy, out["served_eflops"][1].sum(axis=(0, 1)).transpose(1, 0, 2))
    put("unserved_eflops", m.unserved_eflops, ("region", "service", "rack_class", "year"))
    put("shortfall_total_eflops", m.shortfall_total_eflops, ("year",))
    put("shortfall_intelligent_eflops", m.shortfall_intelligent_eflops, ("year",))
    put("carbon_excess_tco2", m.carbon_excess_tco2, ("year",))
    put("green_shortfall_mwh", m.green_shortfall_mwh, ("hub", "year"))
    put("green_supply_mwh", m.green_supply_mwh, ("hub", "year"))
    put("new_capacity_energy_mwh", m.new_capacity_energy_mwh, ("hub", "year"))
    supply = out["green_supply_mwh"][1]
    e_new = out["new_capacity_energy_mwh"][1]
    with np.errstate(invalid="ignore", divide="ignore"):
        # Clean supply at a hub site also serves its older racks: the share of the new
        # capacity's energy it covers is at most 1.
        share = np.where(
            e_new > 0, np.minimum(supply, e_new) / np.where(e_new > 0, e_new, 1), np.nan
        )
        out["green_share_frac"] = (("hub", "year"), share)
    if hasattr(m, "cfe_matched_mw"):
        put("cfe_matched_mw", m.cfe_matched_mw, syt)
        put("cfe_shortfall_mwh", m.cfe_shortfall_mwh, ("hub", "year"))
    put("cost_cny", m.cost_cny, ("component", "year"))
    put("site_cost_cny", m.site_cost_cny, ("component", "site", "year"))
    out["discount_factor"] = (("year",), np.array([d.discount_factor[y] for y in d.years]))

    ds = xr.Dataset(out, coords=coords)
    for name in ds.data_vars:
        units, long_name = UNITS[name]
        ds[name].attrs.update(units=units, long_name=long_name)
    ds.attrs["objective_scale_cny"] = d.objective_scale_cny
    return ds
