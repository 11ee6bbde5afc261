"""Small synthetic time-sliced input Datasets for tests (no files needed).

``tiny_inputs()`` returns a valid Dataset in the loader's time-sliced contract with
round numbers chosen for hand calculation. By default (one site, one class, one year,
two time steps of 4380 h each):

- a module is 100 std racks; a rack delivers 0.01 EFLOPS, so a module is 1 EFLOPS;
- a rack draws 2 kW x 0.5 utilisation x PUE 1 = 1 kW, so a module loads 0.1 MW;
- rack capex 1000 + 1000 CNY/std rack, lifetime 10 years, discount rate 5 %;
- grid at 500 CNY/MWh, multiplier 1; no solar, wind or hydro (limits 0);
- no stock, no demand, targets: total 2.5 EFLOPS, shares 0, no carbon cap or price;
- occupancy rules off (``occupancy_min_frac`` and ``stock_occupancy_frac`` 0: with no
  demand nothing could be built under them).

Any variable can be overridden by keyword: a scalar fills it, an array is broadcast to
its shape, a DataArray replaces it.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from planner import schema

HOURS = 8760.0


def crf(rate: float, lifetime: float) -> float:
    """Capital recovery factor, written out again so tests do not trust the model's."""
    if rate == 0:
        return 1.0 / lifetime
    return rate * (1 + rate) ** lifetime / ((1 + rate) ** lifetime - 1)


def tiny_inputs(
    *,
    sites: tuple[str, ...] = ("a",),
    rack_classes: tuple[str, ...] = ("general",),
    years: tuple[int, ...] = (2024,),
    hours_per_day: int = 2,
    days: int = 1,
    regions: tuple[str, ...] = ("r1",),
    services: tuple[str, ...] = ("batch",),
    base_year: int = 2023,
    **values,
) -> xr.Dataset:
    """A small valid time-sliced inputs Dataset; see the module docstring."""
    n_t = hours_per_day * days
    ts = np.arange(n_t)
    site = list(sites)
    rc = list(rack_classes)
    yr = list(years)
    coords = {
        "site": site,
        "rack_class": rc,
        "year": yr,
        "vintage": [base_year - 3],
        "region": list(regions),
        "service": list(services),
        "tech": ["solar", "wind", "battery"],
        "timestep": ts,
        "refresh_year": list(range(base_year + 1, max(yr) + 1)),
        "hub": ["h1"],
    }

    def full(dims, value):
        shape = tuple(len(coords[d]) for d in dims)
        return (dims, np.full(shape, value, dtype=type(value) if isinstance(value, str) else None))

    n_s = len(site)
    ds = xr.Dataset(
        {
            "site_hub": ("site", np.array(["h1"] * n_s, dtype=object)),
            "site_east_west": ("site", np.array(["west"] * n_s, dtype=object)),
            "site_in_national_hub": ("site", np.ones(n_s, dtype=bool)),
            "site_name_en": ("site", np.array(site, dtype=object)),
            "site_name_zh": ("site", np.array(site, dtype=object)),
            "site_lat_deg": full(("site",), 35.0),
            "site_lon_deg": full(("site",), 105.0),
            "pue_ceiling": full(("site",), 1.3),
            # occupancy rules off by default (no demand): tests of the rule set them
            "occupancy_min_frac": full(("site",), 0.0),
            "stock_occupancy_frac": full(("site",), 0.0),
            "rack_limit_std": full(("site",), 1e6),
            "build_limit_std_per_year": full(("site",), 1e6),
            "grid_limit_mw": full(("site",), 1e4),
            "new_build_allowed": ("site", np.ones(n_s, dtype=bool)),
            "campus_phase_std": full(("site",), 1000.0),
            "campus_phase_cost_cny": full(("site",), 1e6),
            "pue_min": full(("site",), 1.0),
            "solar_limit_mw": full(("site",), 0.0),
            "wind_limit_mw": full(("site",), 0.0),
            "hydro_limit_mw": full(("site",), 0.0),
            "battery_limit_mw": full(("site",), 1e6),
            "hydro_price_cny_per_mwh": full(("site",), 300.0),
            "electricity_price_cny_per_mwh": full(("site", "year"), 500.0),
            "grid_ef_tco2_per_mwh": full(("site", "year"), 0.5),
            "utilisation_frac": full(("rack_class",), 0.5),
            "om_cny_per_std_rack_year": full(("rack_class",), 0.0),
            "lifetime_years": full(("rack_class",), 10.0),
            "it_lifetime_years": full(("rack_class",), 10.0),
            "module_std_racks": full(("rack_class",), 100.0),
            "eflops_per_std_rack": full(("rack_class", "year"), 0.01),
            # compute per rack of servers renewed in a year (racks older than the IT life)
            "refresh_eflops_per_std_rack": full(("rack_class", "refresh_year"), 0.01),
            "capex_facility_cny_per_std_rack": full(("rack_class", "year"), 1000.0),
            "capex_it_cny_per_std_rack": full(("rack_class", "year"), 1000.0),
            "load_shape_rel": full(("rack_class", "timestep"), 1.0),
            "stock_racks_std": full(("site", "rack_class", "vintage"), 0.0),
            "stock_eflops_per_std_rack": full(("site", "rack_class", "vintage"), 0.005),
            "target_total_eflops": full(("year",), 2.5),
            "target_intelligent_share_frac": full(("year",), 0.0),
            "target_green_share_frac": full(("year",), 0.0),
            "target_hourly_cfe_share_frac": full(("year",), 0.0),
            "carbon_cap_tco2": full(("year",), np.inf),
            "tech_capex_cny_per_kw": (
                ("tech", "year"),
                np.repeat([[3000.0], [5000.0], [1000.0]], len(yr), axis=1),
            ),
            "tech_capex_cny_per_kwh": (
                ("tech", "year"),
                np.repeat([[0.0], [0.0], [1000.0]], len(yr), axis=1),
            ),
            "tech_fom_cny_per_kw_year": full(("tech", "year"), 0.0),
            "tech_lifetime_years": (
                ("tech", "year"),
                np.repeat([[20.0], [20.0], [10.0]], len(yr), axis=1),
            ),
            "demand_eflops": full(("region", "service", "rack_class", "year"), 0.0),
            "service_max_latency_ms": full(("service",), np.inf),
            "latency_ms": full(("region", "site"), 1.0),
            "distance_km": full(("region", "site"), 1000.0),
            "solar_cf": full(("site", "timestep"), 0.0),
            "wind_cf": full(("site", "timestep"), 0.0),
            "hydro_availability_frac": full(("site", "timestep"), 1.0),
            "temperature_c": full(("site", "timestep"), 20.0),
            "pue": full(("site", "timestep"), 1.0),
            "price_multiplier": full(("site", "timestep"), 1.0),
            "timestep_weight_h": ("timestep", np.full(n_t, HOURS / n_t)),
            "timestep_day": ("timestep", np.repeat(np.arange(days), hours_per_day)),
            "timestep_hour_of_day": ("timestep", np.tile(np.arange(hours_per_day), days)),
            # scalars (schema.REQUIRED_PARAMS and the model file)
            "base_year": ((), base_year),
            "discount_rate_frac": ((), 0.05),
            "it_kw_per_std_rack": ((), 2.0),
            "pue_free_cooling_below_c": ((), 10.0),
            "pue_slope_per_c": ((), 0.01),
            "transfer_cost_cny_per_eflops_year_per_1000km": ((), 1e6),
            "gec_price_cny_per_mwh": ((), 50.0),
            "battery_roundtrip_efficiency_frac": ((), 0.9),
            "battery_max_duration_h": ((), 4.0),
            "fibre_km_per_ms": ((), 200.0),
            "fibre_route_factor": ((), 1.5),
            "carbon_price_cny_per_tco2": ((), 0.0),
        },
        coords=coords,
    )
    # Display names: the ids themselves.
    for dim in ("hub", "rack_class", "region", "service"):
        for lang in ("en", "zh"):
            ds[f"{dim}_name_{lang}"] = (dim, np.array(coords[dim], dtype=object))
    ds["fp16_per_fp32_intelligent"] = ((), 8.0)
    for name, value in values.items():
        if isinstance(value, xr.DataArray):
            ds[name] = value
        elif name not in ds:
            ds[name] = ((), value)
        else:
            da = ds[name]
            arr = np.broadcast_to(np.asarray(value, dtype=da.dtype), da.shape).copy()
            ds[name] = (da.dims, arr)
    return _with_schema(ds)


def _with_schema(ds: xr.Dataset) -> xr.Dataset:
    """The schema's contract: every input once, with the schema's dims (time-sliced: hour
    -> timestep), units and long names; a name the schema does not know is an error."""
    for name in ds.data_vars:
        q = schema.QUANTITIES.get(name)
        if q is None or q.stage not in (schema.INPUT, schema.MODEL, schema.SLICED):
            raise KeyError(f"tiny_inputs: {name} is not an input of planner.schema.QUANTITIES")
        dims = schema.sliced_dims(q.dims)
        if ds[name].dims != dims and set(ds[name].dims) == set(dims):
            ds[name] = ds[name].transpose(*dims)
        ds[name].attrs.update(units=q.unit, long_name=q.long_name)
    return ds
