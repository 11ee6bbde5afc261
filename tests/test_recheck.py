"""Independent re-checks of a solved national run, in plain xarray, not through the model.

The default model is solved once per session (the ``national`` fixture of conftest.py),
written to a run folder and read back; every check
below recomputes its quantity from the inputs stored in results.nc and compares it with
the solution, so a wrong constraint in the formulation shows up here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

RTOL = 1e-6


def _years(ds: xr.Dataset) -> list[int]:
    return [int(y) for y in ds["year"].values]


def _in_service_stock(ds: xr.Dataset) -> xr.DataArray:
    """Existing racks still in service in each plan year: vintage + lifetime > year."""
    year = ds["year"]
    alive = (ds["vintage"] + ds["lifetime_years"]) > year
    return (ds["stock_racks_std"] * alive).sum("vintage")


def _stock_compute(ds: xr.Dataset) -> xr.DataArray:
    """Existing racks' compute in each plan year: retired after lifetime_years; servers
    renewed every it_lifetime_years, then at the renewal year's compute per rack."""
    base = int(ds["base_year"])
    out = xr.zeros_like(ds["stock_racks_std"].isel(vintage=0, drop=True) * ds["year"], float)
    for c in ds["rack_class"].values:
        life = float(ds["lifetime_years"].sel(rack_class=c))
        it_life = float(ds["it_lifetime_years"].sel(rack_class=c))
        for v in ds["vintage"].values.tolist():
            racks = ds["stock_racks_std"].sel(rack_class=c, vintage=v)
            for y in _years(ds):
                if v + life <= y:
                    continue
                bought = int(np.floor(v + it_life * np.floor((y - v) / it_life)))
                per_rack = (
                    ds["refresh_eflops_per_std_rack"].sel(rack_class=c, refresh_year=bought)
                    if bought > base
                    else ds["stock_eflops_per_std_rack"].sel(rack_class=c, vintage=v)
                )
                out.loc[{"rack_class": c, "year": y}] += racks * per_rack
    return out


def _in_service_new(ds: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """New racks in service and their EFLOPS in each year, from racks_new_std by build year."""
    built = ds["racks_new_std"].rename(year="build_year")
    eflops = ds["eflops_per_std_rack"].rename(year="build_year")
    alive = (built["build_year"] <= ds["year"]) & (
        built["build_year"] + ds["lifetime_years"] > ds["year"]
    )
    racks = (built * alive).sum("build_year")
    compute = (built * eflops * alive).sum("build_year")
    return racks, compute


def test_run_is_optimal_and_meets_the_2025_targets(national) -> None:
    _, summary = national
    assert summary["status"] in ("optimal", "feasible")
    # the dive's plan is within the gap of the LP bound: no branch and bound
    assert "gap closed at the root" in summary["solver"]["message"]
    row = summary["per_year"]["2025"]
    if "total_eflops" not in summary["shortfall"]:
        assert row["total_eflops"] >= 300 * (1 - RTOL)
    if "intelligent_share" not in summary["shortfall"]:
        assert row["intelligent_share"] >= 0.35 * (1 - RTOL)


def test_racks_and_compute_follow_from_stock_and_builds(national) -> None:
    ds, _ = national
    new_racks, new_compute = _in_service_new(ds)
    racks = _in_service_stock(ds) + new_racks
    np.testing.assert_allclose(
        ds["racks_total_std"], racks.transpose(*ds["racks_total_std"].dims), rtol=RTOL
    )
    compute = (_stock_compute(ds) + new_compute).transpose(*ds["compute_eflops"].dims)
    np.testing.assert_allclose(ds["compute_eflops"], compute, rtol=RTOL, atol=1e-9)
    # Build modules are whole: new racks are a multiple of the module size.
    modules = ds["racks_new_std"] / ds["module_std_racks"]
    np.testing.assert_allclose(modules, np.round(modules), atol=1e-6)


def test_new_racks_meet_their_occupancy_rule(national) -> None:
    """At every site and year the racks built under the plan are occupied at least at the
    site's rule, after the existing racks' own occupancy (re-checked from the run folder:
    served demand, racks built, compute per rack)."""
    ds, _ = national
    _, new_compute = _in_service_new(ds)
    stock = _stock_compute(ds)
    served = ds["served_eflops"].sum(["region", "service"])
    floor = ds["occupancy_min_frac"] * new_compute + ds["stock_occupancy_frac"] * stock
    assert bool((served + ds["idle_stock_eflops"] >= floor * (1 - 1e-6) - 1e-9).all())
    assert float(ds["idle_stock_eflops"].sum()) < 1e-6  # the existing racks are filled too
    by_site = new_compute.sum("rack_class")
    rate = ((served - ds["stock_occupancy_frac"] * stock).sum("rack_class") / by_site).where(
        by_site > 0
    )
    low = (rate < ds["occupancy_min_frac"] * (1 - 1e-6)) & (by_site > 0)
    assert not bool(low.any()), rate.where(low, drop=True).to_pandas()


def test_no_class_in_service_beyond_its_demand_over_occupancy(national) -> None:
    """No rack class is built to pad the count: nationally, compute in service of each
    class is at most its demand divided by the lowest occupancy rule."""
    ds, _ = national
    lowest = float(np.minimum(ds["occupancy_min_frac"], ds["stock_occupancy_frac"]).min())
    in_service = ds["compute_eflops"].sum("site")
    demand = ds["demand_eflops"].sum(["region", "service"])
    assert bool((in_service <= demand / lowest * (1 + 1e-6)).all()), (
        in_service / demand
    ).to_pandas()


def test_targets_hold_up_to_reported_shortfall(national) -> None:
    ds, _ = national
    total = ds["compute_eflops"].sum(["site", "rack_class"])
    intelligent = ds["compute_eflops"].sel(rack_class="intelligent").sum("site")
    assert bool((total + ds["shortfall_total_eflops"] >= ds["target_total_eflops"] - 1e-6).all())
    needed = ds["target_intelligent_share_frac"] * total
    assert bool((intelligent + ds["shortfall_intelligent_eflops"] >= needed - 1e-6).all())


def test_site_limits_hold(national) -> None:
    ds, _ = national
    assert bool(
        (ds["racks_total_std"].sum("rack_class") <= ds["rack_limit_std"] * (1 + RTOL)).all()
    )
    assert bool((ds["grid_import_mw"] <= ds["grid_limit_mw"] * (1 + RTOL) + 1e-6).all())
    new_allowed = ds["new_build_allowed"].astype(bool)
    assert float(ds["racks_new_std"].where(~new_allowed, 0).sum()) == 0


def test_facility_load_is_racks_times_power_times_pue(national) -> None:
    ds, _ = national
    it_mw = (
        ds["racks_total_std"]
        * ds["it_kw_per_std_rack"]
        / 1000
        * ds["utilisation_frac"]
        * ds["load_shape_rel"]
    ).sum("rack_class")
    load = (it_mw * ds["pue"]).transpose(*ds["facility_load_mw"].dims)
    np.testing.assert_allclose(ds["facility_load_mw"], load, rtol=RTOL)


def test_hourly_energy_balance_closes(national) -> None:
    ds, _ = national
    supply = (
        ds["grid_import_mw"]
        + ds["solar_mw"]
        + ds["wind_mw"]
        + ds["hydro_mw"]
        + ds["battery_discharge_mw"]
        - ds["battery_charge_mw"]
        - ds["curtailment_mw"]
    )
    np.testing.assert_allclose(supply, ds["facility_load_mw"], rtol=1e-6, atol=1e-4)


def test_curtailment_never_exceeds_the_solar_and_wind_available(national) -> None:
    ds, _ = national
    available = ds["solar_cf"] * ds["solar_capacity_mw"] + ds["wind_cf"] * ds["wind_capacity_mw"]
    assert bool((ds["curtailment_mw"] <= available * (1 + 1e-6) + 1e-6).all())


def test_hydro_output_is_within_the_contract_times_its_availability(national) -> None:
    ds, _ = national
    allowed = ds["hydro_contract_mw"] * ds["hydro_availability_frac"]
    assert bool((ds["hydro_mw"] <= allowed * (1 + 1e-6) + 1e-6).all())
    assert bool((ds["hydro_contract_mw"] <= ds["hydro_limit_mw"] * (1 + 1e-9)).all())
    # a contract is used: hydro is the cheapest supply where it exists
    used = (ds["hydro_mw"] * ds["timestep_weight_h"]).sum("timestep")
    assert float(used.sum()) > 0


def test_batteries_keep_their_limits_and_their_state_of_charge(national) -> None:
    ds, _ = national
    power, energy = ds["battery_power_mw"], ds["battery_energy_mwh"]
    assert bool((power <= ds["battery_limit_mw"] * (1 + 1e-9) + 1e-9).all())
    assert bool((energy <= ds["battery_max_duration_h"] * power * (1 + 1e-9) + 1e-6).all())
    flows = ds["battery_charge_mw"] + ds["battery_discharge_mw"]
    assert bool((flows <= power * (1 + 1e-9) + 1e-6).all())
    assert bool((ds["battery_soc_mwh"] <= energy * (1 + 1e-9) + 1e-6).all())
    # state of charge, cyclic within each representative day, one-hour steps
    eta = float(np.sqrt(ds["battery_roundtrip_efficiency_frac"]))
    day = ds["timestep_day"]
    for d in np.unique(day.values):
        steps = ds["timestep"].where(day == d, drop=True).values
        soc = ds["battery_soc_mwh"].sel(timestep=steps)
        before = soc.roll(timestep=1, roll_coords=False)
        change = (
            eta * ds["battery_charge_mw"].sel(timestep=steps)
            - ds["battery_discharge_mw"].sel(timestep=steps) / eta
        )
        np.testing.assert_allclose(soc, before + change, rtol=1e-6, atol=1e-4)


def test_transfer_cost_is_served_compute_times_distance_times_the_rate(national) -> None:
    ds, _ = national
    rate = float(ds["transfer_cost_cny_per_eflops_year_per_1000km"])
    cost = (ds["served_eflops"] * ds["distance_km"] / 1000.0 * rate).sum(
        ["region", "service", "rack_class", "site"]
    )
    np.testing.assert_allclose(ds["cost_cny"].sel(component="transfer"), cost, rtol=1e-6)
    assert float(cost.sum()) > 0


def test_emissions_are_grid_import_times_factor_times_weight(national) -> None:
    ds, summary = national
    # the run folder holds the grid factor of every time step (DESIGN.md's contract)
    assert ds["grid_ef_tco2_per_mwh"].dims == ("site", "year", "timestep")
    emissions = (ds["grid_import_mw"] * ds["timestep_weight_h"] * ds["grid_ef_tco2_per_mwh"]).sum(
        "timestep"
    )
    np.testing.assert_allclose(
        ds["emissions_tco2"], emissions.transpose(*ds["emissions_tco2"].dims), rtol=RTOL
    )
    assert summary["per_year"]["2025"]["emissions_tco2"] == pytest.approx(
        float(emissions.sel(year=2025).sum()), rel=RTOL
    )


def test_no_demand_served_beyond_its_latency_limit(national) -> None:
    ds, _ = national
    too_far = ds["latency_ms"] > ds["service_max_latency_ms"]
    assert float(ds["served_eflops"].where(too_far, 0).sum()) == 0
    served = ds["served_eflops"].sum("site") + ds["unserved_eflops"]
    np.testing.assert_allclose(
        served, ds["demand_eflops"].transpose(*served.dims), rtol=1e-6, atol=1e-9
    )
    # A site never serves more than it has.
    load = ds["served_eflops"].sum(["region", "service"])
    assert bool((load <= ds["compute_eflops"] * (1 + RTOL) + 1e-9).all())


def test_costs_add_up_to_the_objective(national) -> None:
    ds, summary = national
    r = float(ds["discount_rate_frac"])
    base = int(ds["base_year"])
    df = xr.DataArray([(1 + r) ** -(y - base) for y in _years(ds)], coords={"year": ds["year"]})
    total = float((ds["cost_cny"].sum("component") * df).sum())
    assert total == pytest.approx(summary["objective_cny"], rel=1e-6)
    for year in _years(ds):
        by_component = summary["per_year"][str(year)]["cost_cny"]
        assert sum(by_component.values()) == pytest.approx(
            float(ds["cost_cny"].sel(year=year).sum()), rel=1e-9
        )


def test_energy_cost_recomputed_from_prices(national) -> None:
    ds, _ = national
    grid_cost = (
        ds["grid_import_mw"]
        * ds["timestep_weight_h"]
        * ds["electricity_price_cny_per_mwh"]
        * ds["price_multiplier"]
    ).sum(["site", "timestep"])
    hydro_cost = (
        (ds["hydro_mw"] * ds["timestep_weight_h"]).sum("timestep") * ds["hydro_price_cny_per_mwh"]
    ).sum("site")
    np.testing.assert_allclose(
        ds["cost_cny"].sel(component="energy"), grid_cost + hydro_cost, rtol=1e-6
    )


def test_green_share_of_new_hub_capacity(national) -> None:
    ds, summary = national
    for year in _years(ds):
        target = float(ds["target_green_share_frac"].sel(year=year))
        green = summary["per_year"][str(year)]["green_share"]
        if green is not None and "green_share" not in summary["shortfall"]:
            assert green >= target * (1 - 1e-6)
    # Certificates never exceed the grid energy they green.
    grid_mwh = (ds["grid_import_mw"] * ds["timestep_weight_h"]).sum("timestep")
    assert bool((ds["gec_mwh"] <= grid_mwh * (1 + 1e-6) + 1e-6).all())


def test_green_headline_never_exceeds_any_hub(national) -> None:
    """The headline green share is the lowest hub's, recomputed from supply and energy."""
    ds, summary = national
    for year in _years(ds):
        supply = ds["green_supply_mwh"].sel(year=year)
        energy = ds["new_capacity_energy_mwh"].sel(year=year)
        share = (np.minimum(supply, energy) / energy).where(energy > 0)
        row = summary["per_year"][str(year)]
        assert row["green_share"] <= float(share.min()) + 1e-12
        assert row["green_share"] == pytest.approx(float(share.min()), rel=1e-9)
        assert row["green_share_hub"] == str(share.idxmin().item())


def test_summary_json_is_plain_json(national) -> None:
    _, summary = national
    json.dumps(summary, allow_nan=False)
    assert summary["timings_s"]["write"] >= 0
    assert {"load", "build", "solve"} <= set(summary["timings_s"])


def test_costs_by_site_add_up_to_the_national_costs(national) -> None:
    """Every component but the penalties is the sum of the sites'; electricity by site is
    grid import x weight x tariff x time-of-use multiplier + hydro energy x its price."""
    ds, _ = national
    by_site = ds["site_cost_cny"].sum("site")
    national_only = ds["cost_cny"].sel(component="penalty")
    np.testing.assert_allclose(
        by_site.drop_sel(component="penalty"),
        ds["cost_cny"].drop_sel(component="penalty"),
        rtol=1e-9,
    )
    assert float(ds["site_cost_cny"].sel(component="penalty").sum()) == 0.0
    assert float(national_only.sum()) >= 0.0
    w = ds["timestep_weight_h"]
    energy = (
        ds["grid_import_mw"] * w * ds["electricity_price_cny_per_mwh"] * ds["price_multiplier"]
    ).sum("timestep") + (ds["hydro_mw"] * w).sum("timestep") * ds["hydro_price_cny_per_mwh"]
    np.testing.assert_allclose(
        ds["site_cost_cny"].sel(component="energy"), energy.transpose("site", "year"), rtol=1e-6
    )
