"""Solve tests: statuses, logging, LP relaxation, marginal costs from the fixed-integer LP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyomo.environ as pyo
import pytest
from conftest import write_model
from tiny import HOURS, crf, tiny_inputs

from planner.formulation import FormulationOptions, PenaltyOptions, build_model
from planner.formulation.build import DESIGN_VARIABLES
from planner.model_file import ModelFile
from planner.solve import (
    SolveResult,
    SolveStatus,
    design_values,
    marginal_costs,
    solve,
)


def test_optimal_status_and_result_fields():
    m = build_model(tiny_inputs(), FormulationOptions())
    result = solve(m, mip_gap=0.0, time_limit_s=60, threads=1)
    assert isinstance(result, SolveResult)
    assert result.status == SolveStatus.optimal == "optimal"
    assert result.solver_name == "highs" and result.solver_version.startswith("1.")
    assert result.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert result.bound == pytest.approx(result.objective_cny, rel=1e-9)
    assert result.solve_time_s >= 0


def test_infeasible_model_returns_a_status_and_never_raises():
    # existing racks draw 1 MW but the grid connection is 0.5 MW and nothing else exists
    ds = tiny_inputs(stock_racks_std=1000.0, grid_limit_mw=0.5, target_total_eflops=0.0)
    result = solve(build_model(ds, FormulationOptions()))
    assert result.status == SolveStatus.infeasible
    assert result.objective_cny is None
    assert marginal_costs(build_model(ds, FormulationOptions()), result)["status"] == "infeasible"


def test_log_callable_receives_highs_lines():
    lines: list[str] = []
    solve(build_model(tiny_inputs(), FormulationOptions()), log=lines.append)
    assert any("HiGHS" in line for line in lines)


def test_options_from_model_file():
    model = ModelFile(
        scenario="x", years=[2024], campus_phases=True, penalty={"compute_cny_per_eflops": 5.0}
    )
    options = FormulationOptions.from_model_file(model)
    assert options.campus_phases is True
    assert options.penalties.compute_cny_per_eflops == 5.0
    assert options.penalties.green_cny_per_mwh == model.penalty.green_cny_per_mwh


def test_lp_relaxation_costs_no_more_than_milp_and_domains_are_restored():
    # 2.5 EFLOPS: the relaxation builds 2.5 modules, the MILP 3
    m = build_model(tiny_inputs(), FormulationOptions())
    lp = solve(m, relax_integers=True)
    assert pyo.value(m.build_modules["a", "general", 2024]) == pytest.approx(2.5)
    milp = solve(m, mip_gap=0.0)
    assert pyo.value(m.build_modules["a", "general", 2024]) == pytest.approx(3.0)
    assert lp.objective_cny < milp.objective_cny
    assert m.build_modules["a", "general", 2024].domain is pyo.NonNegativeIntegers


def test_marginal_cost_of_the_total_target_is_one_more_eflops():
    # The rack limit binds (2 modules = 2 EFLOPS for a 3 EFLOPS target): one more EFLOPS of
    # target is one more EFLOPS of shortfall, at the penalty, in CNY of each year -- the
    # discount factor of 2025 must be undone.
    penalty = 7e8
    ds = tiny_inputs(years=(2024, 2025), rack_limit_std=250.0, target_total_eflops=3.0)
    options = FormulationOptions(penalties=PenaltyOptions(compute_cny_per_eflops=penalty))
    m = build_model(ds, options)
    result = solve(m, mip_gap=0.0)
    before = {k: v.value for k, v in m.build_modules.items()}
    mc = marginal_costs(m, result)
    assert mc["status"] == SolveStatus.optimal
    assert mc["total_compute_cny_per_eflops"][2024] == pytest.approx(penalty, rel=1e-9)
    assert mc["total_compute_cny_per_eflops"][2025] == pytest.approx(penalty, rel=1e-9)
    # the HiGHS model is restored (integer again, original bounds) and the plan unchanged
    compiled = result.handle
    lp = compiled.highs.getLp()
    np.testing.assert_array_equal(lp.col_lower_, compiled.col_lower)
    np.testing.assert_array_equal(lp.col_upper_, compiled.col_upper)
    integer = np.array([int(i) for i in lp.integrality_])[compiled.integer_cols]
    assert (integer == 1).all() and len(integer) == len(m.build_modules)
    assert {k: v.value for k, v in m.build_modules.items()} == before


def test_marginal_cost_of_the_target_is_the_cost_of_the_marginal_module():
    # 3 modules meet 2.5 EFLOPS with half a module to spare; the marginal-cost LP lets the
    # plan move by up to one module, so the target prices one more EFLOPS (= one module):
    # 100 racks x 2000 CNY annualised over 10 years at 5 %, plus 0.1 MW all year at 500.
    m = build_model(tiny_inputs(), FormulationOptions())
    mc = marginal_costs(m, solve(m, mip_gap=0.0))
    per_module = 100 * 2000 * crf(0.05, 10) + 0.1 * HOURS * 500
    assert mc["total_compute_cny_per_eflops"][2024] == pytest.approx(per_module, rel=1e-9)


def test_marginal_cost_of_a_target_beaten_by_demand_is_zero():
    # Demand needs 4 EFLOPS: the 2.5 EFLOPS target does not bind, one more EFLOPS is free.
    ds = tiny_inputs(demand_eflops=4.0)
    m = build_model(ds, FormulationOptions())
    mc = marginal_costs(m, solve(m, mip_gap=0.0))
    assert mc["total_compute_cny_per_eflops"][2024] == pytest.approx(0.0, abs=1e-6)


def test_it_capex_is_annualised_over_the_it_lifetime():
    # servers (1000 CNY/rack) over 4 years, the facility (1000) over 10
    ds = tiny_inputs(it_lifetime_years=4.0)
    m = build_model(ds, FormulationOptions())
    solve(m, mip_gap=0.0)
    expected = 3 * 100 * (1000 * crf(0.05, 10) + 1000 * crf(0.05, 4))
    assert pyo.value(m.cost_cny["capex_racks", 2024]) == pytest.approx(expected, rel=1e-9)


def test_marginal_cost_per_point_of_intelligent_share():
    # all compute is general (3 EFLOPS); each point of intelligent share is 0.03 EFLOPS of
    # intelligent shortfall at the penalty
    penalty = 1e8
    ds = tiny_inputs(target_intelligent_share_frac=0.3, target_total_eflops=3.0)
    options = FormulationOptions(penalties=PenaltyOptions(intelligent_cny_per_eflops=penalty))
    m = build_model(ds, options)
    mc = marginal_costs(m, solve(m, mip_gap=0.0))
    assert mc["intelligent_share_cny_per_eflops"][2024] == pytest.approx(penalty, rel=1e-9)
    assert mc["intelligent_share_cny_per_point"][2024] == pytest.approx(penalty * 0.03, rel=1e-9)


def test_marginal_cost_of_green_share_is_the_certificate_price():
    ds = tiny_inputs(target_green_share_frac=0.8, gec_price_cny_per_mwh=42.0)
    m = build_model(ds, FormulationOptions())
    mc = marginal_costs(m, solve(m, mip_gap=0.0))
    assert mc["green_share_cny_per_mwh"]["h1"][2024] == pytest.approx(42.0, rel=1e-9)
    e_new = 0.3 * HOURS
    assert mc["green_share_cny_per_point"]["h1"][2024] == pytest.approx(42.0 * e_new / 100)


def test_marginal_cost_of_a_binding_carbon_cap():
    # grid only: emissions 0.3 MW * 8760 h * 0.5 t/MWh = 1314 t; a 1000 t cap is exceeded
    # at the excess penalty, so one more tonne of cap saves exactly that penalty
    ds = tiny_inputs(carbon_cap_tco2=1000.0)
    options = FormulationOptions(penalties=PenaltyOptions(carbon_cap_cny_per_tco2=900.0))
    m = build_model(ds, options)
    result = solve(m, mip_gap=0.0)
    assert pyo.value(m.carbon_excess_tco2[2024]) == pytest.approx(314.0)
    mc = marginal_costs(m, result)
    assert mc["carbon_cap_cny_per_tco2"][2024] == pytest.approx(900.0, rel=1e-9)


def test_warm_start_repairs_a_rounded_build_over_the_limit_and_finds_the_optimum():
    # Two classes share a 250-rack build limit; the LP splits 2.5 modules between them, so
    # rounding both up breaks the limit and the start must step one back down. The MILP
    # with the start must reach the same optimum as the MILP without it.
    kwargs = dict(
        rack_classes=("general", "intelligent"),
        build_limit_std_per_year=250.0,
        target_intelligent_share_frac=0.3,
    )
    warm = build_model(tiny_inputs(**kwargs), FormulationOptions())
    with_start = solve(warm, mip_gap=0.0)
    cold = build_model(tiny_inputs(**kwargs), FormulationOptions())
    without = solve(cold, mip_gap=0.0, warm_start=False)
    assert with_start.status == without.status == SolveStatus.optimal
    assert with_start.objective_cny == pytest.approx(without.objective_cny, rel=1e-9)
    built = sum(pyo.value(v) for v in warm.racks_new_std.values())
    assert built <= 250.0 + 1e-6


def test_the_root_closes_the_gap_only_within_the_requested_gap():
    # The LP builds 2.5 modules (a lower bound); rounded up to 3 it is a feasible plan
    # whose cost is within 50 % of that bound but not within 0.
    lp = solve(build_model(tiny_inputs(), FormulationOptions()), relax_integers=True)
    steps: list[str] = []
    m = build_model(tiny_inputs(), FormulationOptions())
    loose = solve(m, mip_gap=0.5, on_step=steps.append)
    assert loose.status == SolveStatus.optimal and "root" in loose.message
    assert loose.bound == pytest.approx(lp.objective_cny, rel=1e-9)
    assert loose.bound < loose.objective_cny
    assert loose.mip_gap == pytest.approx(1 - loose.bound / loose.objective_cny, rel=1e-9)
    assert pyo.value(m.build_modules["a", "general", 2024]) == pytest.approx(3.0)
    assert not any("branch and bound" in s for s in steps)

    steps.clear()
    exact = solve(
        build_model(tiny_inputs(), FormulationOptions()), mip_gap=0.0, on_step=steps.append
    )
    assert exact.status == SolveStatus.optimal and "root" not in exact.message
    assert any("branch and bound" in s for s in steps)
    assert exact.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert exact.objective_cny == pytest.approx(loose.objective_cny, rel=1e-9)


def _zero_hint(m: pyo.ConcreteModel) -> dict:
    return {
        (name, index): 0.0
        for name in DESIGN_VARIABLES
        if hasattr(m, name)
        for index in getattr(m, name)
    }


def _far_hint(m: pyo.ConcreteModel) -> dict:
    """No energy builds, and 100 modules of racks where the LP builds 2.5: the box around
    100 (+-50, the floor of 0.5 % of a 10 000-module range) binds at its lower side."""
    return {**_zero_hint(m), **{("build_modules", k): 100.0 for k in m.build_modules}}


def test_a_trust_region_around_a_far_off_hint_changes_no_optimum():
    # The hint builds 100 modules; the LP builds 2.5. The box around the hint binds, is
    # widened until it does not, and the LP, the MILP and its marginal costs are those of
    # the solves without a hint.
    free = build_model(tiny_inputs(years=(2024, 2025)), FormulationOptions())
    lp_free = solve(free, relax_integers=True)
    hinted = build_model(tiny_inputs(years=(2024, 2025)), FormulationOptions())
    lp = solve(hinted, relax_integers=True, design_hint=_far_hint(hinted))
    assert lp.status == lp_free.status == SolveStatus.optimal
    assert lp.objective_cny == pytest.approx(lp_free.objective_cny, rel=1e-9)
    assert pyo.value(hinted.build_modules["a", "general", 2024]) == pytest.approx(2.5)
    trust = lp.handle.trust
    assert trust is not None and trust.width.max() > 50.0  # it had to grow

    milp_free = solve(free, mip_gap=0.0)
    milp = solve(hinted, mip_gap=0.0, design_hint=_far_hint(hinted))
    assert milp.objective_cny == pytest.approx(milp_free.objective_cny, rel=1e-9)
    assert pyo.value(hinted.build_modules["a", "general", 2024]) == pytest.approx(3.0)
    mc, mc_free = marginal_costs(hinted, milp), marginal_costs(free, milp_free)
    assert mc["status"] == SolveStatus.optimal
    for year, value in mc_free["total_compute_cny_per_eflops"].items():
        assert mc["total_compute_cny_per_eflops"][year] == pytest.approx(value, rel=1e-9)


def test_a_design_hint_from_fewer_days_gives_the_same_lp_optimum(any_data, tmp_path):
    # Shipped data (or the fixture): the build decisions of a 2-day LP centre the trust
    # region of the 4-day LP, whose optimum must not move; the MILP stays within its gap.
    from planner.inputs.load import load_inputs
    from planner.inputs.timeslices import select_timesteps
    from planner.model_file import load_model

    model, data_dir = load_model(write_model(tmp_path / "m.yaml", any_data), [])
    inputs = load_inputs(model, data_dir)
    options = FormulationOptions.from_model_file(model)
    coarse = build_model(select_timesteps(inputs, 2), options)
    assert solve(coarse, relax_integers=True).status == SolveStatus.optimal
    hint = design_values(coarse)
    assert hint and all(name in DESIGN_VARIABLES for name, _ in hint)

    fine = select_timesteps(inputs, 4)
    plain = solve(build_model(fine, options), relax_integers=True)
    hinted = solve(build_model(fine, options), relax_integers=True, design_hint=hint)
    assert hinted.status == plain.status == SolveStatus.optimal
    assert hinted.objective_cny == pytest.approx(plain.objective_cny, rel=1e-7)
    milp = solve(build_model(fine, options), mip_gap=1e-3, design_hint=hint)
    assert milp.status == SolveStatus.optimal
    assert plain.objective_cny <= milp.objective_cny * (1 + 1e-9)
    assert milp.objective_cny <= plain.objective_cny / (1 - 1e-3) * (1 + 1e-9)


def test_a_trust_region_with_no_feasible_point_is_dropped():
    # Existing racks draw more than the grid connection: only 1 MW of solar (cf 1) closes
    # the balance, far outside the box around a hint of no solar. Infeasible inside the
    # box is not infeasible: the LP is solved again without it.
    kwargs = dict(
        stock_racks_std=1000.0,
        grid_limit_mw=0.5,
        solar_limit_mw=20.0,
        solar_cf=1.0,
        target_total_eflops=0.0,
    )
    plain = solve(build_model(tiny_inputs(**kwargs), FormulationOptions()), relax_integers=True)
    m = build_model(tiny_inputs(**kwargs), FormulationOptions())
    hinted = solve(m, relax_integers=True, design_hint=_zero_hint(m))
    assert hinted.status == plain.status == SolveStatus.optimal
    assert hinted.objective_cny == pytest.approx(plain.objective_cny, rel=1e-9)
    assert pyo.value(m.solar_new_mw["a", 2024]) == pytest.approx(1.0)
    assert hinted.handle.trust is None


def test_a_full_year_model_takes_its_design_hint_from_representative_days(
    fixture_data, tmp_path, monkeypatch
):
    # The full-year path of run_model, fast: the "full" selection is stood in for by two
    # days, so only the wiring is tested (the slow test below solves the real year).
    import planner.inputs.timeslices
    import planner.run

    real_select = planner.inputs.timeslices.select_timesteps
    monkeypatch.setattr(
        planner.inputs.timeslices,
        "select_timesteps",
        lambda inputs, days: real_select(inputs, 2 if days == "full" else days),
    )
    calls: list = []
    real_hint = planner.run.design_hint

    def spy(*args, **kwargs):
        calls.append(real_hint(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(planner.run, "design_hint", spy)
    run = planner.run.run_model(write_model(tmp_path / "m.yaml", fixture_data), days="full")
    assert run.summary["status"] == "optimal"
    assert len(calls) == 1 and calls[0]
    assert "design_hint" in run.summary["timings_s"]


@pytest.mark.slow
def test_a_full_year_run_decomposes_from_the_8_day_plan_and_its_lp_optimum_is_unchanged(
    fixture_data, tmp_path, monkeypatch
):
    # The full-year run takes its design hint from the 8-day LP; the full-year LP
    # relaxation with that hint has the optimum of the one without.
    import planner.run
    from planner.inputs.load import load_inputs
    from planner.inputs.timeslices import select_timesteps
    from planner.model_file import load_model

    model_path = write_model(tmp_path / "m.yaml", fixture_data)
    hints: list = []
    real = planner.run.design_hint

    def spy(*args, **kwargs):
        hints.append(real(*args, **kwargs))
        return hints[-1]

    monkeypatch.setattr(planner.run, "design_hint", spy)
    run = planner.run.run_model(model_path, days="full")
    assert run.summary["status"] == "optimal"
    assert len(hints) == 1 and hints[0]
    assert "design_hint" in run.summary["timings_s"]

    model, data_dir = load_model(model_path, [])
    full = select_timesteps(load_inputs(model, data_dir), "full")
    options = FormulationOptions.from_model_file(model)
    plain = solve(build_model(full, options), relax_integers=True)
    boxed = solve(build_model(full, options), relax_integers=True, design_hint=hints[0])
    assert boxed.status == plain.status == SolveStatus.optimal
    assert boxed.objective_cny == pytest.approx(plain.objective_cny, rel=1e-7)
    # The MILP was solved by decomposition, within its gap of the LP bound.
    assert "Benders" in run.summary["solver"]["message"]
    gap = model.solver.mip_gap
    assert plain.objective_cny * (1 - 1e-9) <= run.summary["objective_cny"]
    assert run.summary["objective_cny"] <= plain.objective_cny / (1 - gap)


def test_a_failing_design_hint_only_costs_the_head_start(monkeypatch, caplog):
    # The coarse solve is a head start; if it fails, the full-year run goes on without it.
    import planner.run

    def broken(*args, **kwargs):
        raise RuntimeError("coarse solve failed")

    monkeypatch.setattr("planner.inputs.timeslices.select_timesteps", broken)
    model = ModelFile(scenario="x", years=[2024])
    with caplog.at_level("WARNING"):
        assert planner.run.design_hint(tiny_inputs(), model, 2) is None
    assert "design hint failed" in caplog.text


def test_past_the_widening_rounds_only_binding_columns_lose_their_box(monkeypatch):
    # With no widening rounds allowed, a binding column is freed at once; the box stays on
    # the others and the LP optimum is still the one without a box.
    import planner.solve.highs

    monkeypatch.setattr(planner.solve.highs, "TRUST_ROUNDS", 0)
    plain = solve(build_model(tiny_inputs(years=(2024, 2025)), FormulationOptions()),
                  relax_integers=True)  # fmt: skip
    m = build_model(tiny_inputs(years=(2024, 2025)), FormulationOptions())
    boxed = solve(m, relax_integers=True, design_hint=_far_hint(m))
    assert boxed.objective_cny == pytest.approx(plain.objective_cny, rel=1e-9)
    trust = boxed.handle.trust
    assert trust is not None
    assert np.isinf(trust.width).sum() >= 1 and np.isfinite(trust.width).sum() >= 1


def test_time_used_up_at_the_root_returns_the_rounded_plan_without_branch_and_bound():
    # mip_gap=0 needs branch and bound on the tiny model (see above); with no time left
    # after the root, the rounded plan comes back as a time-limited plan with its gap.
    lp = solve(build_model(tiny_inputs(), FormulationOptions()), relax_integers=True)
    steps: list[str] = []
    m = build_model(tiny_inputs(), FormulationOptions())
    result = solve(m, mip_gap=0.0, time_limit_s=1e-9, on_step=steps.append)
    assert result.status == SolveStatus.time_limit and result.has_solution
    assert result.bound == pytest.approx(lp.objective_cny, rel=1e-9)
    assert result.mip_gap == pytest.approx(1 - result.bound / result.objective_cny, rel=1e-9)
    assert pyo.value(m.build_modules["a", "general", 2024]) == pytest.approx(3.0)
    assert not any("branch and bound" in s for s in steps)


def test_a_relaxation_stopped_by_the_time_limit_ends_the_solve_with_no_plan(monkeypatch):
    # Branch and bound would start by solving that same LP again, on a larger model.
    import planner.solve

    real_run_once = planner.solve.CompiledModel._run_once
    calls: list[bool] = []

    def relaxation_out_of_time(self, *args, **kwargs):
        result = real_run_once(self, *args, **kwargs)
        calls.append(bool(self._integer_now.any()))
        return dataclasses.replace(result, status=SolveStatus.time_limit)

    monkeypatch.setattr(planner.solve.CompiledModel, "_run_once", relaxation_out_of_time)
    steps: list[str] = []
    m = build_model(tiny_inputs(), FormulationOptions())
    result = solve(m, mip_gap=0.0, on_step=steps.append)
    assert result.status == SolveStatus.time_limit and not result.has_solution
    assert result.objective_cny is None and result.bound is None
    assert calls == [False]  # the relaxation only: no fixed LP, no branch and bound
    assert not any("branch and bound" in s for s in steps)


def test_each_run_gets_its_own_time_limit_on_a_reused_highs_instance():
    # HiGHS checks its time limit against the run time summed over all runs of one
    # instance; the trust-region rounds, the rounded plan and the marginal-cost LP re-use
    # one. Each run must still get the time it is given.
    from planner.solve import compile_model

    m = build_model(tiny_inputs(years=(2024, 2025)), FormulationOptions())
    compiled = compile_model(m)
    compiled.set_integrality(compiled.integer_cols, False)
    for _ in range(20_000):  # from scratch each time, until HiGHS has run for 0.2 s
        compiled.highs.clearSolver()
        assert compiled.run(time_limit_s=60, mip_gap=0.0, threads=1).status == "optimal"
        if compiled.highs.getRunTime() > 0.2:
            break
    assert compiled.highs.getRunTime() > 0.2
    compiled.highs.clearSolver()
    again = compiled.run(time_limit_s=0.1, mip_gap=0.0, threads=1)
    assert again.status == SolveStatus.optimal
