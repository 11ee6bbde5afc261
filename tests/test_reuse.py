"""Re-solves on one built model and one HiGHS instance (planner.formulation.case,
CompiledModel.update, planner.session): the updated model is the fresh one, exactly, and
the answers are the fresh answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse

from planner.formulation.build import FormulationOptions, build_model
from planner.formulation.case import CASE_INPUTS, apply_case, shape_key
from planner.model_file import load_model
from planner.session import Session
from planner.solve import solve
from planner.solve.highs import CompiledModel, ShapeChanged

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "national_2025.yaml"
# A base where every case input has rows to enter: a finite cap and a 24/7 share.
BASE = (
    "time.representative_days=2",
    "carbon_cap_tco2.2025=7e7",
    "target.hourly_cfe_share.2025=0.3",
)


def _lp(compiled: CompiledModel) -> dict[str, np.ndarray]:
    """What HiGHS holds: costs, offset, bounds and the matrix (rows in CSR)."""
    lp = compiled.highs.getLp()
    a = lp.a_matrix_
    matrix = scipy.sparse.csc_array(
        (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
        shape=(lp.num_row_, lp.num_col_),
    ).tocsr()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return {
        "cost": np.asarray(lp.col_cost_),
        "offset": np.array([lp.offset_]),
        "col_lower": np.asarray(lp.col_lower_),
        "col_upper": np.asarray(lp.col_upper_),
        "row_lower": np.asarray(lp.row_lower_),
        "row_upper": np.asarray(lp.row_upper_),
        "indptr": matrix.indptr,
        "indices": matrix.indices,
        "data": matrix.data,
    }


def _sliced(overrides):
    session = Session(reuse=False)
    model, data_dir = load_model(MODEL, list(overrides))
    sliced, _ = session.inputs(model, data_dir)
    return model, sliced


@pytest.fixture(scope="module")
def base():
    model, sliced = _sliced(BASE)
    m = build_model(sliced, FormulationOptions.from_model_file(model))
    result = solve(m)
    assert result.status == "optimal"
    return m, result.handle, sliced


CASES = {
    "carbon_price_cny_per_tco2": "carbon_price_cny_per_tco2=150",
    "carbon_cap_tco2": "carbon_cap_tco2.2025=5e7",
    "electricity_price_cny_per_mwh": "price_scale.east=1.3",
    "capex_facility_cny_per_std_rack": "capex_scale.intelligent=0.8",
    "demand_eflops": "demand_scale=1.1",
    "target_total_eflops": "target.total_eflops.2025=320",
    "target_intelligent_share_frac": "target.intelligent_share.2025=0.4",
    "target_green_share_frac": "target.green_share_new_hub.2025=0.9",
    "target_hourly_cfe_share_frac": "target.hourly_cfe_share.2025=0.5",
}


def test_every_case_input_has_a_case():
    # capex_it is scaled with capex_facility by the same key
    assert set(CASES) | {"capex_it_cny_per_std_rack"} == set(CASE_INPUTS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_updated_model_is_the_fresh_model_exactly(base, name):
    m, compiled, base_sliced = base
    model, sliced = _sliced((*BASE, CASES[name]))
    assert shape_key(sliced) == shape_key(base_sliced)
    fresh = CompiledModel(build_model(sliced, FormulationOptions.from_model_file(model)))
    before = _lp(compiled)
    compiled.update(apply_case(m, sliced))
    try:
        updated, expected = _lp(compiled), _lp(fresh)
        changed = [k for k in before if not np.array_equal(before[k], updated[k])]
        assert changed, f"{CASES[name]} changed nothing in the compiled model"
        for key in expected:
            np.testing.assert_array_equal(updated[key], expected[key], err_msg=key)
        assert compiled.matrix_csr.nnz == fresh.matrix_csr.nnz
        np.testing.assert_array_equal(compiled.row_upper, fresh.row_upper)
    finally:
        compiled.update(apply_case(m, base_sliced))
    np.testing.assert_array_equal(_lp(compiled)["data"], before["data"])


def test_inputs_that_do_not_shape_the_model_do_not():
    # A carbon price of 0 and one of 100 give the same rows and columns.
    sizes = []
    for price in ("0", "100"):
        model, sliced = _sliced(
            ("time.representative_days=2", f"carbon_price_cny_per_tco2={price}")
        )
        c = CompiledModel(build_model(sliced, FormulationOptions.from_model_file(model)))
        sizes.append((c.n_col, c.n_row, c.matrix_csr.nnz))
    assert sizes[0] == sizes[1]


# --------------------------------------------------------------------------- the adapter


def _tiny(p_cost: float, p_coef: float, p_rhs: float):
    """min c x + y  s.t.  x + a y >= b,  x, y in [0, 10]."""
    m = pyo.ConcreteModel()
    m.c = pyo.Param(initialize=p_cost, mutable=True)
    m.a = pyo.Param(initialize=p_coef, mutable=True)
    m.b = pyo.Param(initialize=p_rhs, mutable=True)
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(bounds=(0, 10))
    m.row = pyo.Constraint(expr=m.x + m.a * m.y >= m.b)
    m.obj = pyo.Objective(expr=m.c * m.x + m.y)
    return m


def test_update_gives_the_known_optimum_of_the_changed_model():
    m = _tiny(1.0, 1.0, 2.0)
    compiled = CompiledModel(m)
    r = compiled.run(time_limit_s=10, mip_gap=0, threads=1)
    assert r.objective_cny == pytest.approx(2.0)  # x + y = 2, both cost 1
    m.c.set_value(3.0)  # x costs 3: serve the row with y, which now counts 4x
    m.a.set_value(4.0)
    m.b.set_value(8.0)
    compiled.update([m.row])
    r = compiled.run(time_limit_s=10, mip_gap=0, threads=1)
    assert r.objective_cny == pytest.approx(2.0)  # y = 2
    np.testing.assert_allclose(compiled.column_values(), [0.0, 2.0], atol=1e-9)
    assert compiled.row_lower.tolist() == [8.0] and math.isinf(compiled.row_upper[0])


def test_update_refuses_a_model_that_changed_shape():
    m = _tiny(1.0, 0.0, 2.0)  # y is in no row and not in the objective... until a != 0
    m.obj.set_value(m.c * m.x)
    compiled = CompiledModel(m)
    assert len(compiled.columns) == 1
    m.a.set_value(1.0)
    with pytest.raises(ShapeChanged, match="not a column"):
        compiled.update([m.row])


# --------------------------------------------------------------------------- answers


def test_a_sweep_with_reuse_has_the_answers_of_one_without(tmp_path):
    import planner.sweep as sw

    varies = sw.parse_vary(
        ["carbon_price_cny_per_tco2=0,100,400", "target.intelligent_share.2025=0.35,0.40"]
    )
    out = {}
    for reuse in (True, False):
        sw._SESSION = None
        plan = sw.plan_sweep(MODEL, varies, base_overrides=["time.representative_days=2"])
        out[reuse] = sw.run_sweep(plan, tmp_path / str(reuse), executor="serial", reuse=reuse)
    with_reuse, without = out[True], out[False]
    assert with_reuse["status"].values.tolist() == without["status"].values.tolist()
    assert set(without["status"].values.tolist()) == {"optimal"}
    gap = 1e-3  # the model file's MIP gap: each answer is within it of the optimum
    np.testing.assert_allclose(
        with_reuse["objective_cny"].values, without["objective_cny"].values, rtol=gap
    )
    # every case after the first was solved on the first one's model
    updated = [p.read_text() for p in sorted((tmp_path / "True" / "cases").glob("*/summary.json"))]
    assert len(updated) == 6
    assert sum('"case_update"' in text for text in updated) == len(updated) - 1
