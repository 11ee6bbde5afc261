"""Benders decomposition (planner.solve.decompose) against the model solved whole.

The shipped data on 4 representative days, every site-year its own block: the cuts never
overestimate a block's cost, the LP bounds meet at the LP relaxation's optimum, the plan
is feasible in the whole model and within the MIP gap, and the marginal costs read from
the blocks and master are those of the whole model's LP around the plan.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from conftest import SHIPPED_DATA, write_model

import planner.solve.decompose as decompose_module
from planner.formulation.build import FormulationOptions, build_model
from planner.solve import compile_model, design_values, marginal_costs, solve
from planner.solve.decompose import Decomposition
from planner.solve.highs import SolveStatus
from planner.solve.strategy import _operational_columns, decompose


@pytest.fixture(scope="module")
def four_days(tmp_path_factory):
    """(inputs on 4 days, formulation options, hint from the 2-day LP relaxation)."""
    from planner.inputs.load import load_inputs
    from planner.inputs.timeslices import select_timesteps
    from planner.model_file import load_model

    path = write_model(tmp_path_factory.mktemp("m") / "m.yaml", SHIPPED_DATA)
    model, data_dir = load_model(path, [])
    inputs = load_inputs(model, data_dir)
    options = FormulationOptions.from_model_file(model)
    coarse = build_model(select_timesteps(inputs, 2), options)
    assert solve(coarse, relax_integers=True).status == SolveStatus.optimal
    return select_timesteps(inputs, 4), options, design_values(coarse)


def _decomposition(m, compiled) -> Decomposition:
    d = decompose(compiled, m, threads=2, small_block_columns=0)
    assert d is not None
    return d


def test_blocks_are_the_site_years_and_the_master_holds_the_builds(four_days):
    inputs, options, _ = four_days
    m = build_model(inputs, options)
    compiled = compile_model(m)
    d = _decomposition(m, compiled)
    names = {compiled.columns[j].parent_component().name for j in d.master_cols}
    assert "build_modules" in names and "grid_import_mw" not in names
    # Every hourly column is in a block, each block's rows hold no other block's columns.
    in_block = np.zeros(compiled.n_col, dtype=bool)
    for block in d.blocks:
        assert not in_block[block.own].any()
        in_block[block.own] = True
        sub = compiled.matrix_csr[block.rows]
        outside = np.setdiff1d(np.unique(sub.indices), block.own)
        assert np.isin(outside, d.master_cols).all()
    assert in_block[_operational_columns(compiled, m)].all()
    assert len(d.blocks) >= len(m.SITES) * len(m.YEARS) - 2  # sites with no hourly choice


def test_cuts_never_overestimate_a_blocks_cost(four_days):
    # Each block's cost is convex in the master columns: the cut at one point lies below
    # its value at any other. A wrong sign of the gradient breaks this at once.
    inputs, options, _ = four_days
    m = build_model(inputs, options)
    compiled = compile_model(m)
    d = _decomposition(m, compiled)
    lower, upper = d.col_lower[d.master_cols], d.col_upper[d.master_cols]
    x, _, _, _ = d.solve_lp(
        np.full(len(lower), np.nan), lower, upper, tolerance=1e-3, deadline=1e12
    )
    at = d._evaluate(x)
    rng = np.random.default_rng(7)
    c = d.coupling
    for _ in range(5):
        y = x.copy()
        finite_upper = np.where(np.isfinite(upper[c]), upper[c], 2 * np.abs(x[c]) + 10)
        y[c] = np.clip(x[c] * rng.uniform(0.5, 1.5, len(c)), lower[c], finite_upper)
        there = d._evaluate(y)
        for b, block in enumerate(d.blocks):
            cut = at.values[b] + at.gradients[b] @ (y[block.coupling] - x[block.coupling])
            assert cut <= there.values[b] + 1e-7 * max(1.0, abs(there.values[b]))
    d.close()


def test_the_decomposed_plan_is_the_whole_models_within_the_gap(four_days):
    inputs, options, _ = four_days
    whole = build_model(inputs, options)
    lp = solve(whole, relax_integers=True)
    milp = solve(build_model(inputs, options), mip_gap=1e-3)
    assert lp.status == milp.status == SolveStatus.optimal

    m = build_model(inputs, options)
    compiled = compile_model(m)
    d = _decomposition(m, compiled)
    scale = compiled.objective_scale
    lower, upper = d.col_lower[d.master_cols], d.col_upper[d.master_cols]
    _, _, value, bound = d.solve_lp(
        np.full(len(lower), np.nan), lower, upper, tolerance=1e-8, deadline=1e12
    )
    # The LP bounds meet at the LP relaxation's optimum.
    assert bound * scale <= lp.objective_cny * (1 + 1e-9)
    assert value * scale == pytest.approx(lp.objective_cny, rel=1e-6)

    outcome = d.solve_mip(np.full(len(lower), np.nan), mip_gap=1e-3, deadline=1e12)
    assert outcome.optimal
    # A valid bound on the MILP, and a plan within the gap of it.
    assert outcome.bound * scale <= milp.objective_cny * (1 + 1e-9)
    assert outcome.objective * scale <= outcome.bound * scale / (1 - 1e-3)
    # The plan re-checked in the whole model: bounds, rows, whole modules, objective.
    x = outcome.columns
    tol = 1e-6
    assert (x >= compiled.col_lower - tol).all() and (x <= compiled.col_upper + tol).all()
    activity = compiled.matrix_csr @ x
    scale_rows = np.maximum(1.0, np.abs(activity))
    assert (activity >= compiled.row_lower - tol * scale_rows).all()
    assert (activity <= compiled.row_upper + tol * scale_rows).all()
    ints = compiled.integer_cols
    assert np.allclose(x[ints], np.round(x[ints]))
    lp = compiled.highs.getLp()
    assert lp.offset_ + np.asarray(lp.col_cost_) @ x == pytest.approx(outcome.objective, rel=1e-9)
    d.close()


def test_solve_with_a_hint_decomposes_and_prices_the_targets_as_the_whole_model(
    four_days, monkeypatch
):
    inputs, options, hint = four_days
    monkeypatch.setattr(decompose_module, "_SMALL_BLOCK_COLUMNS", 0)
    whole = build_model(inputs, options)
    plain = solve(whole, mip_gap=1e-3)
    m = build_model(inputs, options)
    result = solve(m, mip_gap=1e-3, design_hint=hint)
    assert result.status == plain.status == SolveStatus.optimal
    assert "Benders" in result.message and result.handle.decomposition is not None
    assert result.objective_cny <= plain.bound / (1 - 1e-3) * (1 + 1e-9)
    assert result.bound <= plain.objective_cny * (1 + 1e-9)
    # The same plan of racks (the solution values are loaded into the model).
    racks = {k: round(v.value) for k, v in m.build_modules.items()}
    assert racks == {k: round(v.value) for k, v in whole.build_modules.items()}
    mc, mc_whole = marginal_costs(m, result), marginal_costs(whole, plain)
    assert mc["status"] == SolveStatus.optimal
    for key in ("total_compute_cny_per_eflops", "intelligent_share_cny_per_eflops"):
        for year, value in mc_whole[key].items():
            assert mc[key][year] == pytest.approx(value, rel=1e-5, abs=1.0)
    for hub, years in mc_whole["green_share_cny_per_mwh"].items():
        for year, value in years.items():
            assert mc["green_share_cny_per_mwh"][hub][year] == pytest.approx(
                value, rel=1e-5, abs=1e-6
            )
    # A new case on the same model (a sweep's reuse) drops the old case's blocks and
    # cuts; the window LP is then the whole model's, handed to HiGHS again.
    result.handle.update([])
    assert result.handle.decomposition is None
    again = marginal_costs(m, result)
    assert again["status"] == SolveStatus.optimal
    for year, value in mc_whole["total_compute_cny_per_eflops"].items():
        assert again["total_compute_cny_per_eflops"][year] == pytest.approx(value, rel=1e-5)
    # Solved again on the same compiled model, it is decomposed again from its last plan.
    resolved = solve(m, mip_gap=1e-3, compiled=result.handle)
    assert "Benders" in resolved.message and resolved.handle.decomposition is not None
    assert resolved.objective_cny <= plain.bound / (1 - 1e-3) * (1 + 1e-9)


def test_a_released_solver_gets_the_model_back_with_its_bounds():
    # After release_solver (a decomposed solve frees HiGHS's copy), the next use of
    # `highs` hands the model over again: the same LP, the caller's bounds kept.
    from tiny import tiny_inputs

    m = build_model(tiny_inputs(years=(2024, 2025)), FormulationOptions())
    compiled = compile_model(m)
    ints = compiled.integer_cols
    compiled.set_integrality(ints, False)
    compiled.set_bounds(ints[:1], compiled.col_lower[ints[:1]], compiled.col_lower[ints[:1]])
    options = dict(time_limit_s=60, mip_gap=0.0, threads=1)
    before = compiled.run(**options)
    compiled.release_solver()
    assert compiled._highs.getNumCol() == 0
    after = compiled.run(**options)
    assert after.status == before.status == SolveStatus.optimal
    assert after.objective_cny == pytest.approx(before.objective_cny, rel=1e-12)
    assert compiled.column_values()[ints[0]] == compiled.col_lower[ints[0]]
    kinds = compiled.highs.getLp().integrality_  # relaxed before the release, still relaxed
    assert all(kind == highspy.HighsVarType.kContinuous for kind in kinds)


def _tiny_decomposition(**values):
    from tiny import tiny_inputs

    inputs = tiny_inputs(sites=("a", "b", "c"), years=(2024, 2025), hours_per_day=4, **values)
    m = build_model(inputs, FormulationOptions())
    compiled = compile_model(m)
    return decompose(compiled, m, threads=1, small_block_columns=0)


def test_a_national_emission_cap_couples_the_sites_and_the_model_is_solved_whole():
    # Without a cap: one block per site and year. A cap sums every site's hourly imports
    # of a year in one row, so a year is one block, half the model: not decomposed.
    free = _tiny_decomposition()
    assert free is not None and len(free.blocks) == 3 * 2
    free.close()
    assert _tiny_decomposition(carbon_cap_tco2=1e9) is None
