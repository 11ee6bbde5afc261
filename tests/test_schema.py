"""The one table of quantities (planner/schema.py): every name the model and the results
use is in it, once, with a unit its suffix promises."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from tiny import tiny_inputs

from planner import schema
from planner.formulation import FormulationOptions, build_model
from planner.results import assemble_results
from planner.results.extract import extract_solution
from planner.solve import solve


@pytest.fixture(scope="module")
def solved():
    ds = tiny_inputs(target_hourly_cfe_share_frac=0.5, solar_limit_mw=1.0)
    m = build_model(ds, FormulationOptions(campus_phases=True))
    solve(m, mip_gap=0.0)
    return ds, m, assemble_results(ds, extract_solution(m, ds))


def test_every_unit_is_what_its_name_promises() -> None:
    bad = {n: q.unit for n, q in schema.QUANTITIES.items()
           if q.stage != schema.SUMMARY and not schema.name_matches_unit(n, q.unit)}  # fmt: skip
    assert bad == {}


def test_every_pyomo_component_is_a_quantity(solved) -> None:
    _ds, m, _results = solved
    names = {c.name for c in m.component_objects((pyo.Var, pyo.Expression))}
    missing = sorted(n for n in names if n not in schema.QUANTITIES)
    assert missing == []
    staged = {n: schema.QUANTITIES[n].stage for n in names}
    assert set(staged.values()) <= {schema.RESULT, schema.FORMULATION}


def test_every_result_variable_has_the_schema_s_dims_and_unit(solved) -> None:
    _ds, _m, results = solved
    for name, da in results.data_vars.items():
        q = schema.QUANTITIES.get(name)
        assert q is not None, f"{name} is not in planner.schema.QUANTITIES"
        dims = schema.sliced_dims(q.result_dims or q.dims)
        assert tuple(da.dims) == dims, name
        assert da.attrs.get("units", "") == q.unit, name


def test_the_tiny_fixture_holds_exactly_the_schema_s_inputs() -> None:
    """tests/tiny.py is built from the schema: every input, once, with the schema's dims."""
    ds = tiny_inputs()
    wanted = {n for n, q in schema.QUANTITIES.items()
              if q.stage in (schema.INPUT, schema.MODEL, schema.SLICED)}  # fmt: skip
    assert set(ds.data_vars) == wanted
    for name in wanted:
        dims = schema.sliced_dims(schema.QUANTITIES[name].dims)
        assert ds[name].dims == dims, name


def test_the_report_fixture_speaks_the_schema(tmp_path) -> None:
    """tests/report_fixture.py writes a run by hand: every variable it holds is a schema
    quantity, with the schema's dims (as results.nc holds them) and unit."""
    from report_fixture import make_run

    results, _summary, _yaml = make_run(tmp_path / "run", with_data=False)
    for name, da in results.data_vars.items():
        q = schema.QUANTITIES.get(name)
        assert q is not None, f"{name} is not in planner.schema.QUANTITIES"
        assert tuple(da.dims) == schema.sliced_dims(q.result_dims or q.dims), name
        assert da.attrs.get("units", "") == q.unit, name


def test_no_family_imports_the_builder() -> None:
    """The families import only helpers and linking at run time: no import circle with
    build.py (which imports them all)."""
    import ast
    from pathlib import Path

    import planner.formulation as pkg

    folder = Path(pkg.__file__).parent
    for name in ("stock", "compute", "demand", "power", "storage", "green", "carbon"):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        for node in tree.body:  # module-level imports only (TYPE_CHECKING blocks are If)
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module != "planner.formulation.build", name
                assert not node.module.startswith("planner.results"), name
