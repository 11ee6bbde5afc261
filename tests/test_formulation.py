"""Formulation tests: tiny models with optima known by hand, structure, properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny import HOURS, crf, tiny_inputs

from planner.formulation import FormulationOptions, PenaltyOptions, build_model
from planner.results.extract import extract_solution
from planner.solve import SolveStatus, solve

DF_2024 = 1.05**-1  # base year 2023, discount 5 %
RACK_CAPEX = 2000.0 * crf(0.05, 10)  # CNY per std rack and year


def run(ds, options=None, **solve_kw):
    m = build_model(ds, options or FormulationOptions())
    result = solve(m, mip_gap=0.0, **solve_kw)
    assert result.status == SolveStatus.optimal, result
    return m, result, extract_solution(m, ds)


def test_grid_only_cost_by_hand():
    # 2.5 EFLOPS at 1 EFLOPS per module -> 3 modules = 300 racks = 0.3 MW flat from the grid
    _m, result, sol = run(tiny_inputs())
    assert sol.build_modules.sum() == 3
    energy = 0.3 * HOURS * 500.0
    expected = DF_2024 * (300 * RACK_CAPEX + energy)
    assert result.objective_cny == pytest.approx(expected, rel=1e-9)
    assert float(sol.cost_cny.sel(component="energy").sum()) == pytest.approx(energy, rel=1e-9)
    assert float(sol.cost_cny.sel(component="capex_racks").sum()) == pytest.approx(300 * RACK_CAPEX)
    assert float(sol.emissions_tco2.sum()) == pytest.approx(0.3 * HOURS * 0.5)


def test_cheap_solar_is_built_to_cover_the_sunny_hour_exactly():
    # cf 0.5 in hour 0 (4380 h/yr), 0 in hour 1: solar saves 0.5 * 4380 * 500 CNY per MW and
    # year for 3000 CNY/kW * CRF(5 %, 20); it pays until it covers the 0.3 MW load: 0.6 MW.
    ds = tiny_inputs(
        solar_limit_mw=10.0, solar_cf=[0.5, 0.0], tech_capex_cny_per_kw=[[3000.0], [5000.0], [1e9]]
    )
    _m, result, sol = run(ds)
    assert float(sol.solar_capacity_mw.sum()) == pytest.approx(0.6, rel=1e-9)
    assert float(sol.grid_import_mw.isel(timestep=0).sum()) == pytest.approx(0.0, abs=1e-9)
    solar = 0.6 * 3000.0 * 1000.0 * crf(0.05, 20)
    energy = 0.3 * (HOURS / 2) * 500.0
    expected = DF_2024 * (300 * RACK_CAPEX + solar + energy)
    assert result.objective_cny == pytest.approx(expected, rel=1e-9)


def test_storage_arbitrage_between_two_prices():
    # valley hour at 0.5x, peak hour at 1.5x: the battery covers the whole 0.3 MW peak load,
    # charging 0.3 / 0.9 MW in the valley (round trip 0.9, sqrt(0.9) each way).
    ds = tiny_inputs(price_multiplier=[0.5, 1.5])
    _m, result, sol = run(ds)
    eta = math.sqrt(0.9)
    charge = 0.3 / 0.9
    assert float(sol.battery_discharge_mw.isel(timestep=1).sum()) == pytest.approx(0.3, rel=1e-9)
    assert float(sol.battery_charge_mw.isel(timestep=0).sum()) == pytest.approx(charge, rel=1e-9)
    assert float(sol.battery_power_mw.sum()) == pytest.approx(charge, rel=1e-9)
    assert float(sol.battery_energy_mwh.sum()) == pytest.approx(eta * charge, rel=1e-9)
    energy = (HOURS / 2) * 500.0 * 0.5 * (0.3 + charge)
    battery = (charge * 1000.0 * 1000.0 + eta * charge * 1000.0 * 1000.0) * crf(0.05, 10)
    expected = DF_2024 * (300 * RACK_CAPEX + energy + battery)
    assert result.objective_cny == pytest.approx(expected, rel=1e-9)


def _brute_force_case():
    return tiny_inputs(
        sites=("a", "b"),
        rack_classes=("general", "intelligent"),
        rack_limit_std=[200.0, 200.0],
        electricity_price_cny_per_mwh=[[400.0], [600.0]],
        capex_it_cny_per_std_rack=[[1000.0], [4000.0]],
        eflops_per_std_rack=[[0.01], [0.012]],
        target_total_eflops=3.5,
        target_intelligent_share_frac=0.4,
    )


def test_milp_matches_brute_force_enumeration_of_the_modules():
    ds = _brute_force_case()
    options = FormulationOptions(
        penalties=PenaltyOptions(compute_cny_per_eflops=1e6, intelligent_cny_per_eflops=4e5)
    )
    m = build_model(ds, options)
    milp = solve(m, mip_gap=0.0)
    assert milp.status == SolveStatus.optimal
    keys = list(m.build_modules)
    best = math.inf
    for combo in itertools.product(range(3), repeat=len(keys)):
        for key, n in zip(keys, combo, strict=True):
            m.build_modules[key].fix(n)
        lp = solve(m, mip_gap=0.0)
        if lp.status == SolveStatus.optimal:
            best = min(best, lp.objective_cny)
        else:
            assert lp.status == SolveStatus.infeasible  # over the rack limit
    for key in keys:
        m.build_modules[key].unfix()
    assert milp.objective_cny == pytest.approx(best, rel=1e-9)


def test_impossible_target_is_a_shortfall_not_infeasible():
    # 500 racks allowed -> 5 modules -> 5 EFLOPS; the target asks 1000
    ds = tiny_inputs(rack_limit_std=500.0, target_total_eflops=1000.0)
    _m, _result, sol = run(ds)
    assert float(sol.compute_eflops.sum()) == pytest.approx(5.0)
    assert float(sol.shortfall_total_eflops.sum()) == pytest.approx(995.0)


def test_latency_limited_demand_is_never_served_beyond_its_limit():
    ds = tiny_inputs(
        sites=("near", "far"),
        services=("interactive", "batch"),
        service_max_latency_ms=[5.0, np.inf],
        latency_ms=[[3.0, 10.0]],
        electricity_price_cny_per_mwh=[[2000.0], [100.0]],
        demand_eflops=[[[[2.0]], [[1.0]]]],  # (region, service, class, year)
        target_total_eflops=0.0,
    )
    m, _result, sol = run(ds)
    served = sol.served_eflops.sel(region="r1", rack_class="general", year=2024)
    assert ("r1", "interactive", "general", "far", 2024) not in m.served_eflops
    assert float(served.sel(service="interactive", site="far").sum()) == 0.0
    assert float(served.sel(service="interactive", site="near").sum()) == pytest.approx(2.0)
    assert float(served.sel(service="batch", site="far").sum()) == pytest.approx(1.0)
    assert float(sol.unserved_eflops.sum()) == pytest.approx(0.0, abs=1e-9)
    # the site capacity rows hold: what a site serves is in service there
    by_site = sol.served_eflops.sum(["region", "service"])
    assert (by_site <= sol.compute_eflops + 1e-9).all()


def _mixed_supply_case():
    rng = np.random.default_rng(3)
    return tiny_inputs(
        hours_per_day=4,
        days=2,
        solar_limit_mw=5.0,
        wind_limit_mw=5.0,
        hydro_limit_mw=0.1,
        hydro_price_cny_per_mwh=1.0,
        solar_cf=rng.uniform(0, 1, 8) * [0, 1, 1, 0, 0, 1, 1, 0],
        wind_cf=rng.uniform(0, 1, 8),
        hydro_availability_frac=rng.uniform(0.3, 1, 8),
        price_multiplier=[0.4, 0.8, 1.5, 1.2, 0.5, 1.0, 1.6, 0.9],
        pue=rng.uniform(1.1, 1.4, 8),
        load_shape_rel=rng.uniform(0.6, 1.0, 8),
        tech_capex_cny_per_kw=[[300.0], [400.0], [200.0]],
        tech_capex_cny_per_kwh=[[0.0], [0.0], [50.0]],
    )


def test_energy_balance_closes_and_load_matches_the_inputs():
    ds = _mixed_supply_case()
    _m, _result, sol = run(ds)
    supply = (
        sol.grid_import_mw
        + sol.solar_mw
        + sol.wind_mw
        + sol.hydro_mw
        + sol.battery_discharge_mw
        - sol.battery_charge_mw
        - sol.curtailment_mw
    )
    np.testing.assert_allclose(supply, sol.facility_load_mw, atol=1e-7)
    # independent of the model: racks x kW x utilisation x shape x PUE
    load = (
        sol.racks_total_std.sum("rack_class")
        * 2.0
        / 1000
        * 0.5
        * ds.load_shape_rel.sel(rack_class="general")
        * ds.pue
    ).transpose("site", "year", "timestep")
    np.testing.assert_allclose(sol.facility_load_mw, load, rtol=1e-12)
    assert float(sol.curtailment_mw.sum()) > 0  # the case exercises every term
    assert float(sol.hydro_mw.sum()) > 0
    used = sol.solar_used_mw + sol.wind_used_mw
    np.testing.assert_allclose(used, sol.solar_mw + sol.wind_mw - sol.curtailment_mw, atol=1e-9)


def test_storage_is_cyclic_within_each_day():
    ds = _mixed_supply_case()
    _m, _result, sol = run(ds)
    eta = math.sqrt(0.9)
    assert float(sol.battery_power_mw.sum()) > 0
    day = ds.timestep_day.values
    net = eta * sol.battery_charge_mw - sol.battery_discharge_mw / eta
    soc = sol.battery_soc_mwh
    for d in np.unique(day):
        steps = np.flatnonzero(day == d)
        assert float(net.isel(timestep=steps).sum()) == pytest.approx(0.0, abs=1e-8)
        first, last = steps[0], steps[-1]
        # the state before the day's first hour is the state after its last hour
        np.testing.assert_allclose(
            soc.isel(timestep=first) - soc.isel(timestep=last), net.isel(timestep=first), atol=1e-8
        )
    assert (soc <= sol.battery_energy_mwh + 1e-9).all()


def test_stock_retires_and_counts_towards_the_target():
    # 200 racks of vintage 2020 with a 5-year life: in service in 2024, retired in 2025
    ds = tiny_inputs(
        years=(2024, 2025),
        stock_racks_std=200.0,
        lifetime_years=5.0,
        target_total_eflops=1.5,
    )
    _m, _result, sol = run(ds)
    # stock delivers 200 * 0.005 = 1 EFLOPS in 2024: one module (1 EFLOPS) is needed;
    # in 2025 the stock has retired and a second module replaces it
    assert sol.build_modules.sel(year=2024).sum() == 1
    assert sol.build_modules.sel(year=2025).sum() == 1
    assert float(sol.racks_total_std.sel(year=2024).sum()) == pytest.approx(300.0)
    assert float(sol.racks_total_std.sel(year=2025).sum()) == pytest.approx(200.0)
    assert float(sol.compute_eflops.sel(year=2025).sum()) == pytest.approx(2.0)


def test_campus_phases_cost_and_limit():
    ds = tiny_inputs(campus_phase_std=150.0, campus_phase_cost_cny=1e6)
    _m, _result, sol = run(ds, FormulationOptions(campus_phases=True))
    assert float(sol.campus_phases.sum()) == 2  # 300 racks need two 150-rack phases
    expected = 2 * 1e6 * crf(0.05, 10)
    assert float(sol.cost_cny.sel(component="campus").sum()) == pytest.approx(expected)


def test_green_share_met_with_certificates_when_cheapest():
    ds = tiny_inputs(target_green_share_frac=0.8)
    _m, _result, sol = run(ds)
    e_new = 0.3 * HOURS
    assert float(sol.new_capacity_energy_mwh.sum()) == pytest.approx(e_new)
    assert float(sol.gec_mwh.sum()) == pytest.approx(0.8 * e_new)
    assert float(sol.green_share_frac.sum()) == pytest.approx(0.8)


def test_hourly_cfe_target_ignores_certificates():
    # no clean supply at all: the hourly target falls short by all of it although
    # certificates (which count for the annual share) are cheap
    ds = tiny_inputs(target_hourly_cfe_share_frac=0.5, target_green_share_frac=0.5)
    _m, _result, sol = run(ds)
    e_new = 0.3 * HOURS
    assert float(sol.gec_mwh.sum()) == pytest.approx(0.5 * e_new)
    assert float(sol.cfe_matched_mw.sum()) == pytest.approx(0.0, abs=1e-9)
    assert float(sol.cfe_shortfall_mwh.sum()) == pytest.approx(0.5 * e_new)


def test_hourly_cfe_target_met_by_solar_in_the_sunny_hour():
    ds = tiny_inputs(target_hourly_cfe_share_frac=0.5, solar_limit_mw=10.0, solar_cf=[1.0, 0.0])
    _m, _result, sol = run(ds)
    matched = float((sol.cfe_matched_mw * ds.timestep_weight_h).sum())
    assert matched >= 0.5 * 0.3 * HOURS * (1 - 1e-9)
    assert float(sol.cfe_shortfall_mwh.sum()) == pytest.approx(0.0, abs=1e-6)


def test_objective_is_the_discounted_sum_of_components():
    ds = _mixed_supply_case()
    _m, result, sol = run(ds)
    total = float((sol.cost_cny.sum("component") * sol.discount_factor).sum())
    assert result.objective_cny == pytest.approx(total, rel=1e-9)


# --- properties ------------------------------------------------------------------------


def _cost(ds, options=None, **kw):
    m = build_model(ds, options or FormulationOptions())
    return solve(m, mip_gap=0.0, **kw).objective_cny, m


PROPERTY = settings(max_examples=12, deadline=None, derandomize=True)


@PROPERTY
@given(low=st.floats(0.0, 6.0), more=st.floats(0.01, 4.0))
def test_higher_target_never_lowers_cost(low, more):
    cheap = _cost(tiny_inputs(target_total_eflops=low))[0]
    dear = _cost(tiny_inputs(target_total_eflops=low + more))[0]
    assert cheap <= dear * (1 + 1e-9) + 1e-6


def _carbon_case(price: float):
    ds = _mixed_supply_case()
    ds["carbon_price_cny_per_tco2"] = price
    ds["tech_capex_cny_per_kw"][:] = [[3000.0], [4000.0], [1000.0]]
    ds["hydro_limit_mw"][:] = 0.0
    ds["electricity_price_cny_per_mwh"][:] = 100.0
    return ds


@PROPERTY
@given(low=st.floats(0.0, 2e4), more=st.floats(1.0, 1e5))
def test_higher_carbon_price_never_raises_emissions(low, more):
    emissions = []
    for price in (low, low + more):
        _, m = _cost(_carbon_case(price))
        emissions.append(sum(pyo.value(e) for e in m.emissions_tco2.values()))
    assert emissions[1] <= emissions[0] * (1 + 1e-7) + 1e-6


def test_a_carbon_price_cuts_emissions_in_the_mixed_case():
    # the property above holds trivially if nothing responds to the price: here it does
    emissions = []
    for price in (0.0, 1e5):
        _, m = _cost(_carbon_case(price))
        emissions.append(sum(pyo.value(e) for e in m.emissions_tco2.values()))
    assert emissions[1] < 0.9 * emissions[0]


@PROPERTY
@given(target=st.floats(0.1, 8.0))
def test_lp_relaxation_never_costs_more_than_the_milp(target):
    ds = _brute_force_case()
    ds["target_total_eflops"][:] = target
    m = build_model(ds, FormulationOptions(campus_phases=True))
    milp = solve(m, mip_gap=0.0)
    lp = solve(m, relax_integers=True)
    assert lp.status == milp.status == SolveStatus.optimal
    assert lp.objective_cny <= milp.objective_cny * (1 + 1e-9)
    assert all(v.domain is pyo.NonNegativeIntegers for v in m.build_modules.values())


def test_model_size_is_stable():
    # 1 site, 1 class, 1 year, 2 timesteps. Rows: rack/build limits 2, targets 2, demand 1,
    # power balance 2, battery 2 + 3*2 (site limit added with battery_limit_mw),
    # green gec limit 1 (green target off), no cap.
    m = build_model(tiny_inputs(), FormulationOptions())
    n_rows = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    assert n_rows == 2 + 2 + 1 + 2 + 8 + 1


def test_occupancy_caps_the_racks_a_target_can_buy():
    # Demand 1 EFLOPS; new racks must be half occupied: at most 2 modules (2 EFLOPS) may be
    # in service, so the 2.5 EFLOPS target falls 0.5 short instead of a third, idle module.
    demand = tiny_inputs()["demand_eflops"].copy(data=[[[[1.0]]]])
    ds = tiny_inputs(occupancy_min_frac=0.5, demand_eflops=demand)
    _m, _result, sol = run(ds)
    assert float(sol.build_modules.sum()) == 2
    assert float(sol.shortfall_total_eflops.sum()) == pytest.approx(0.5, rel=1e-9)
    assert float(sol.served_site_eflops.sum()) == pytest.approx(1.0, rel=1e-9)
    # the same model without the rule pads the count with a module nobody uses
    _m, _result, free = run(tiny_inputs(demand_eflops=demand))
    assert float(free.build_modules.sum()) == 3


def test_existing_racks_are_filled_before_new_ones():
    # 1 EFLOPS of existing racks at 80 % occupancy take 0.8 of the 1.1 EFLOPS demand; the
    # 0.3 left fills at most 0.3 / 0.5 = 0.6 EFLOPS of new racks: no module of 1 EFLOPS fits
    # (emptying 0.2 EFLOPS of old racks for it costs more than the shortfall), so the 2.5
    # target falls 1.5 short. Without the stock's floor two modules fit (1.1 / 0.5 = 2.2).
    demand = tiny_inputs()["demand_eflops"].copy(data=[[[[1.1]]]])
    stock = tiny_inputs()["stock_racks_std"].copy(data=[[[200.0]]])  # 200 x 0.005 = 1 EFLOPS
    base = {"occupancy_min_frac": 0.5, "demand_eflops": demand, "stock_racks_std": stock}
    _m, _result, sol = run(tiny_inputs(stock_occupancy_frac=0.8, **base))
    assert float(sol.build_modules.sum()) == 0
    assert float(sol.shortfall_total_eflops.sum()) == pytest.approx(1.5, rel=1e-9)
    assert float(sol.idle_stock_eflops.sum()) == pytest.approx(0.0, abs=1e-9)
    _m, _result, loose = run(tiny_inputs(stock_occupancy_frac=0.0, **base))
    assert float(loose.build_modules.sum()) == 2


def test_renewed_servers_deliver_the_renewal_years_compute():
    # Racks of 2020 with a 3-year IT life hold servers bought in 2023 (calibrated 0.005
    # EFLOPS/rack) in 2025 and renewed in 2026: 0.02 per rack from then on.
    ds = tiny_inputs(
        years=(2025, 2026),
        it_lifetime_years=3.0,
        stock_racks_std=100.0,
        target_total_eflops=0.0,
        refresh_eflops_per_std_rack=0.02,
    )
    m = build_model(ds, FormulationOptions())
    d = m.planner_data
    assert d.stock_eflops_in_service["a", "general", 2025] == pytest.approx(100 * 0.005)
    assert d.stock_eflops_in_service["a", "general", 2026] == pytest.approx(100 * 0.02)


# ---------------------------------------------------------- one coefficient per family
# Each optimum below moves by a known amount with one coefficient of its family, so a
# wrong coefficient in the formulation (x10, a missing factor) fails the test.


def test_transfer_cost_is_served_compute_times_distance_times_the_rate():
    # 1 EFLOPS of batch demand served 1000 km away at 1e6 CNY per EFLOPS-year per 1000 km
    demand = tiny_inputs()["demand_eflops"].copy(data=[[[[1.0]]]])
    _m, result, sol = run(tiny_inputs(demand_eflops=demand, distance_km=1500.0))
    transfer = 1.0 * 1500.0 / 1000.0 * 1e6
    assert float(sol.cost_cny.sel(component="transfer").sum()) == pytest.approx(transfer)
    energy = 0.3 * HOURS * 500.0
    expected = DF_2024 * (300 * RACK_CAPEX + energy + transfer)
    assert result.objective_cny == pytest.approx(expected, rel=1e-9)


def test_hydro_output_is_the_contract_times_its_availability():
    # a 0.4 MW contract at 1 CNY/MWh (grid 500) available at 50 % and 25 %: hydro gives
    # 0.2 and 0.1 MW of the 0.3 MW load, the grid the rest
    ds = tiny_inputs(
        hydro_limit_mw=0.4, hydro_price_cny_per_mwh=1.0, hydro_availability_frac=[0.5, 0.25],
        battery_limit_mw=0.0,
    )  # fmt: skip
    _m, result, sol = run(ds)
    assert float(sol.hydro_contract_mw.sum()) == pytest.approx(0.4)
    assert sol.hydro_mw.sel(site="a").values.ravel().tolist() == pytest.approx([0.2, 0.1])
    half = HOURS / 2
    energy = (0.1 + 0.2) * half * 500.0 + (0.2 + 0.1) * half * 1.0
    expected = DF_2024 * (300 * RACK_CAPEX + energy)
    assert result.objective_cny == pytest.approx(expected, rel=1e-9)


def test_battery_power_stops_at_the_site_limit():
    # as test_storage_arbitrage_between_two_prices, with the site's battery limited to
    # 0.1 MW: it charges at the limit in the valley and discharges 0.9 of that (round
    # trip 0.9) in the peak, instead of covering the whole 0.3 MW peak load
    ds = tiny_inputs(price_multiplier=[0.5, 1.5], battery_limit_mw=0.1)
    _m, _result, sol = run(ds)
    assert float(sol.battery_power_mw.sum()) == pytest.approx(0.1, rel=1e-9)
    assert float(sol.battery_charge_mw.isel(timestep=0).sum()) == pytest.approx(0.1, rel=1e-9)
    assert float(sol.battery_discharge_mw.isel(timestep=1).sum()) == pytest.approx(0.09, rel=1e-9)
