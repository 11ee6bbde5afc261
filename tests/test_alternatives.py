"""Near-optimal alternatives: brackets known by hand, the folder, its re-check, the command.

The tiny two-hub model (``two_hubs``) has one western site ``w`` and one eastern site
``e``, each in its own national hub; a module is 100 racks and 1 EFLOPS and the target
is 10 EFLOPS, so a plan builds 10 modules or more. A module costs, per year discounted to
the base year, :math:`c_w` at ``w`` and :math:`c_e = c_w + \\delta` at ``e`` (only the
electricity price differs), and emits 700.8 t at ``w`` (0.8 t/MWh) and 350.4 t at ``e``
(0.4 t/MWh). Every number asserted below follows from these by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
import xarray as xr
import yaml
from click.testing import CliRunner
from conftest import write_fixture_data, write_model
from tiny import HOURS, _with_schema, crf, tiny_inputs

from planner import aggregates as A
from planner import alternatives as AL
from planner.alternatives_folder import (
    ALTERNATIVES_FILE,
    LEAST_COST_ID,
    load_alternatives,
    ranges,
    recheck,
)
from planner.formulation import alternatives as F
from planner.model_file import parse_model
from planner.run import solve_model

REPO = Path(__file__).resolve().parents[1]
NATIONAL = REPO / "models" / "national_2025.yaml"

DF = 1.05**-1  # base year 2023, discount 5 %, plan year 2024
MODULE_MWH = 0.1 * HOURS  # a module draws 0.1 MW all year
C_W = DF * (100 * 2000.0 * crf(0.05, 10) + MODULE_MWH * 500.0)  # a module at w [CNY]
DELTA = DF * MODULE_MWH * 100.0  # e's price is 100 CNY/MWh more
T_W, T_E = MODULE_MWH * 0.8, MODULE_MWH * 0.4  # tCO2 per module and year

MODEL = parse_model(
    {"scenario": "tiny", "data_dir": ".", "years": [2024], "solver": {"mip_gap": 1e-9}}, "tiny"
)


def two_hubs(east_demand_eflops: float = 0.0, east_price: float = 500.0) -> xr.Dataset:
    """Sites w (hub hw, west) and e (hub he, east); ``east_demand_eflops`` of general
    demand only e is near enough to serve (1 ms against w's 10, the limit 5 ms)."""
    demand = xr.DataArray(
        np.array([east_demand_eflops, 0.0]).reshape(1, 1, 2, 1),
        dims=("region", "service", "rack_class", "year"),
        coords={
            "region": ["r1"],
            "service": ["interactive"],
            "rack_class": ["general", "intelligent"],
            "year": [2024],
        },
    )
    ds = tiny_inputs(
        sites=("w", "e"),
        rack_classes=("general", "intelligent"),
        services=("interactive",),
        target_total_eflops=10.0,
        electricity_price_cny_per_mwh=[[500.0], [east_price]],
        grid_ef_tco2_per_mwh=[[0.8], [0.4]],
        battery_limit_mw=0.0,
        service_max_latency_ms=5.0,
        latency_ms=[[10.0, 1.0]],
        demand_eflops=demand,
        transfer_cost_cny_per_eflops_year_per_1000km=0.0,
    )
    ds = ds.drop_vars(["hub_name_en", "hub_name_zh", "hub"]).assign_coords(hub=["hw", "he"])
    for lang in ("en", "zh"):
        ds[f"hub_name_{lang}"] = ("hub", np.array(["hw", "he"], dtype=object))
    ds["site_hub"] = ("site", np.array(["hw", "he"], dtype=object))
    ds["site_east_west"] = ("site", np.array(["west", "east"], dtype=object))
    return _with_schema(ds)


def extremes(ds: xr.Dataset, slack: float, keys: list[str]) -> tuple[dict, dict]:
    """The least-cost run and ``{(kind, key): run}`` of each minimum and maximum."""
    least = solve_model(MODEL, Path("."), sliced=ds)
    cost = least.summary["objective_cny"]
    near = AL.NearOptimal(ds, MODEL, AL.anchor_of(least.results), (1 + slack) * cost)
    runs = {}
    for key in keys:
        for kind in ("min", "max"):
            spec = {"kind": kind, "key": key, "slack": slack, "least_cost_cny": cost,
                    "cost_limit_cny": (1 + slack) * cost}  # fmt: skip
            runs[kind, key] = AL.solve_alternative(near, spec)
    return least, runs


def value(run, key: str) -> float:
    return A.aggregate_value(run.results, key)


KEYS = ["west_share", "west_racks", "east_racks", "emissions"]


# --------------------------------------------------------------------------- known brackets


def test_equal_sites_leave_the_split_free_at_no_slack():
    # Both sites cost the same per module: at slack 0 the 10 modules may go anywhere.
    least, runs = extremes(two_hubs(), 0.0, KEYS)
    assert least.summary["objective_cny"] == pytest.approx(10 * C_W, rel=1e-12)
    expected = {
        "west_share": (0.0, 1.0),
        "west_racks": (0.0, 1000.0),
        "east_racks": (0.0, 1000.0),
        "emissions": (10 * T_E, 10 * T_W),
    }
    for key, (lo, hi) in expected.items():
        assert value(runs["min", key], key) == pytest.approx(lo, abs=1e-6)
        assert value(runs["max", key], key) == pytest.approx(hi, rel=1e-9)
    for run in runs.values():
        assert run.summary["status"] == "optimal"
        assert run.summary["objective_cny"] <= 10 * C_W * (1 + 1e-9)


def test_the_slack_buys_exactly_the_modules_it_pays_for():
    # 3 EFLOPS of demand only e can serve, and e's power dearer: the least-cost plan is
    # 7 modules at w and 3 at e, C* = 10 c_w + 3 delta. A 20 % slack buys 2.11 c_w: two
    # more modules at w (share 9/12), or every module at e (10 delta = 1.32 c_w).
    least, runs = extremes(two_hubs(3.0, east_price=600.0), 0.2, KEYS)
    cost = least.summary["objective_cny"]
    assert cost == pytest.approx(10 * C_W + 3 * DELTA, rel=1e-12)
    assert 2 * C_W <= 0.2 * cost < 3 * C_W and 10 * DELTA <= 0.2 * cost
    assert value(least, "west_share") == pytest.approx(0.7)
    expected = {
        "west_share": (0.0, 9 / 12),
        "west_racks": (0.0, 900.0),
        "east_racks": (300.0, 1000.0),
        "emissions": (10 * T_E, 9 * T_W + 3 * T_E),
    }
    for key, (lo, hi) in expected.items():
        low, high = value(runs["min", key], key), value(runs["max", key], key)
        assert low == pytest.approx(lo, abs=1e-6), key
        assert high == pytest.approx(hi, rel=1e-9), key
        assert low <= value(least, key) <= high
    assert runs["max", "west_share"].summary["objective_cny"] == pytest.approx(
        cost + 2 * C_W, rel=1e-9
    )
    for run in runs.values():
        modules = run.results["build_modules"].values
        assert np.array_equal(modules, np.round(modules))
        assert run.summary["status"] == "optimal"
        assert run.summary["mip_gap"] <= 1e-9
        assert run.summary["objective_cny"] <= 1.2 * cost * (1 + 1e-9)


@pytest.mark.parametrize(("room", "west_modules"), [(1.999, 8), (2.001, 9)])
def test_a_module_more_fits_exactly_when_the_slack_pays_for_it(room, west_modules):
    # The slack worth just under or just over 2 modules at w.
    cost = 10 * C_W + 3 * DELTA
    _least, runs = extremes(two_hubs(3.0, east_price=600.0), room * C_W / cost, ["west_share"])
    run = runs["max", "west_share"]
    assert value(run, "west_racks") == 100 * west_modules
    assert value(run, "west_share") == pytest.approx(west_modules / (west_modules + 3))
    steps = run.summary["alternative"]["dinkelbach"]
    assert steps[0]["lp_share_bound"] >= west_modules / (west_modules + 3)


def test_each_aggregate_has_the_same_value_in_the_model_and_from_the_results():
    ds = two_hubs(3.0, east_price=600.0)
    least = solve_model(MODEL, Path("."), sliced=ds)
    cost = least.summary["objective_cny"]
    near = AL.NearOptimal(ds, MODEL, AL.anchor_of(least.results), 1.2 * cost)
    spec = {"kind": "max", "key": "west_share", "slack": 0.2, "least_cost_cny": cost,
            "cost_limit_cny": 1.2 * cost}  # fmt: skip
    run = AL.solve_alternative(near, spec)  # its plan stays loaded in the model
    keys = A.catalogue(A.national_hubs(ds))
    assert {"racks.hw", "racks.he", "eflops.hw", "eflops.he"} <= set(keys)
    for key in keys:
        num, den = F.aggregate_terms(near.m, ds, key)
        expected = pyo.value(num) / pyo.value(den) if den is not None else pyo.value(num)
        assert A.aggregate_value(run.results, key) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    values = A.capacity_values(run.results)
    for item, expr in F.capacity_items(near.m).items():
        assert values[item] == pytest.approx(pyo.value(expr), abs=1e-9)


def test_a_spores_point_moves_away_from_what_the_least_cost_plan_built():
    ds = two_hubs(3.0, east_price=600.0)
    least = solve_model(MODEL, Path("."), sliced=ds)
    racks = {k: v for k, v in A.capacity_values(least.results).items() if k.startswith("racks")}
    built = {k: v for k, v in racks.items() if v > 0}
    weights, scales = AL.spores_weights([least.results])
    largest = max(built.values())
    assert scales["racks"] == largest == 700.0  # the 7 modules at w, in one class
    for item, amount in racks.items():
        assert weights.get(item, 0.0) == pytest.approx(amount / largest)
    cost = least.summary["objective_cny"]
    near = AL.NearOptimal(ds, MODEL, AL.anchor_of(least.results), 1.2 * cost)
    spec = {"kind": "spores", "point": 1, "weights": weights, "scales": scales, "slack": 0.2,
            "least_cost_cny": cost, "cost_limit_cny": 1.2 * cost}  # fmt: skip
    run = AL.solve_alternative(near, spec)
    # The 3 modules of e's demand stay in e's general racks (weight 3/7); the other 7 go
    # where the least-cost plan built nothing, at no weight.
    after = A.capacity_values(run.results)
    for item in built:
        assert after[item] == (300.0 if item == "racks/e/general" else 0.0), item
    assert run.summary["alternative"]["value"] == pytest.approx(300 * (3 / 7) / 700)
    assert run.summary["status"] == "optimal"


def test_the_objective_lattice_of_whole_modules():
    from planner.solve.highs import CompiledModel

    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 9))
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 9))
    m.z = pyo.Var(bounds=(0, 1))
    m.c = pyo.Constraint(expr=m.x + m.y + m.z >= 1.5)
    for expr, step in ((0.05 * m.x + 0.02 * m.y, 0.01), (500 * m.x + 200 * m.y, 100.0),
                       (m.x + m.z, None)):  # fmt: skip
        m.o = pyo.Objective(expr=expr)
        found = CompiledModel(m).objective_step()
        assert (found and found[0]) == (pytest.approx(step) if step else None)
        m.del_component(m.o)


# --------------------------------------------------------------------------- the folder


# Targets the fixture data can meet, and cheap unserved demand: the cost is then the
# plan's own, not a fixed penalty that would make any slack huge.
FIXTURE_MODEL = """time:
  representative_days: 2
target:
  total_eflops: {2024: 7, 2025: 8.5}
  intelligent_share: {2024: 0.1, 2025: 0.1}
penalty:
  demand_cny_per_eflops: 1.0e+6
  occupancy_cny_per_eflops: 1.0e+6
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An alternatives folder of the fixture data set, solved once in this process."""
    root = tmp_path_factory.mktemp("alternatives")
    data = write_fixture_data(root / "data")
    model = write_model(root / "model.yaml", data, FIXTURE_MODEL)
    out = root / "out"
    AL.run_alternatives(
        model, out, slack=0.01, objectives=["west_share", "emissions"], points=1,
        executor="serial",
    )  # fmt: skip
    return out


def test_the_folder_holds_a_run_per_alternative_and_alternatives_nc(folder: Path):
    manifest = json.loads((folder / "sweep.json").read_text())
    assert manifest["mode"] == "alternatives"
    ds = xr.load_dataset(folder / ALTERNATIVES_FILE, engine="netcdf4")
    labels = [str(x) for x in ds["label"].values]
    assert labels == [
        "least cost",
        "min west_share",
        "max west_share",
        "min emissions",
        "max emissions",
        "SPORES 1",
    ]
    assert ds["aggregate_value"].dims == ("alternative", "aggregate")
    assert not ds["failed"].any()
    for cid in ds["alternative"].values:
        case = folder / "cases" / str(cid)
        for name in ("results.nc", "summary.json", "model.yaml", "case.json"):
            assert (case / name).is_file(), (cid, name)
        assert Path(yaml.safe_load((case / "model.yaml").read_text())["data_dir"]).is_absolute()
    assert float(ds["cost_vs_least_cost_frac"].max()) <= 0.01 * (1 + 1e-7)
    frame = ranges(ds, ["emissions"]).iloc[0]
    assert frame["min"] <= frame["least_cost"] <= frame["max"]
    assert frame["min_at"] == "min emissions" and frame["max_at"] == "max emissions"
    assert ds["binds"].sel(constraint="cost|slack").sum() >= 1


def test_the_recheck_reads_the_folder_alone_and_finds_a_plan_over_the_limit(
    folder: Path, tmp_path: Path
):
    check = recheck(folder)
    assert check.ok, check.problems
    assert check.alternatives["within_slack"].all() and check.alternatives["proven"].all()
    assert check.brackets["bracketed"].all()
    copy = Path(shutil.copytree(folder, tmp_path / "copy"))
    summary_path = copy / "cases" / "0003-min-emissions" / "summary.json"
    summary = json.loads(summary_path.read_text())
    least = json.loads((copy / "cases" / LEAST_COST_ID / "summary.json").read_text())
    summary["objective_cny"] = least["objective_cny"] * 1.02
    summary_path.write_text(json.dumps(summary))
    problems = recheck(copy).problems
    assert any("min emissions: costs" in p and "above the limit" in p for p in problems)
    assert any("results.nc sums to" in p for p in problems)


def test_a_rerun_solves_nothing_again_and_resumes_a_missing_alternative(
    folder: Path, tmp_path: Path, monkeypatch
):
    copy = Path(shutil.copytree(folder, tmp_path / "copy"))
    manifest = json.loads((copy / "sweep.json").read_text())
    model = manifest["model"]
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in copy.glob("cases/*/case.json")}
    shutil.rmtree(copy / "cases" / "0002-max-west_share")
    solved = []
    real = AL.run_alternative

    def counting(task):
        solved.append(task.case_id)
        return real(task)

    monkeypatch.setattr(AL, "run_alternative", counting)
    ds = AL.run_alternatives(
        model, copy, slack=0.01, objectives=["west_share", "emissions"], points=1,
        executor="serial",
    )  # fmt: skip
    assert solved == ["0002-max-west_share"]
    after = {p.parent.name: p.stat().st_mtime_ns for p in copy.glob("cases/*/case.json")}
    assert {k: v for k, v in after.items() if k != "0002-max-west_share"} == {
        k: v for k, v in stamps.items() if k != "0002-max-west_share"
    }
    before = load_alternatives(folder)
    kept = [c for c in ds["alternative"].values if c != "0002-max-west_share"]
    xr.testing.assert_identical(ds.sel(alternative=kept), before.sel(alternative=kept))
    # Its plan may differ (many plans share the best share), its share may not.
    share = [d["objective_value"].sel(alternative="0002-max-west_share") for d in (ds, before)]
    assert float(share[0]) == pytest.approx(float(share[1]), rel=2e-3)
    assert recheck(copy).ok
    # Another slack is another question: every alternative is solved again.
    solved.clear()
    AL.run_alternatives(model, copy, slack=0.02, objectives=["emissions"], executor="serial")
    assert solved == ["0001-min-emissions", "0002-max-emissions"]


def test_pool_and_dask_give_the_serial_alternatives(folder: Path, tmp_path: Path):
    import warnings

    distributed = pytest.importorskip("distributed")
    model = json.loads((folder / "sweep.json").read_text())["model"]
    serial = load_alternatives(folder).sel(alternative=[LEAST_COST_ID, "0003-min-emissions"])
    pool = AL.run_alternatives(
        model, tmp_path / "pool", slack=0.01, objectives=["emissions"], executor="pool",
        workers=2,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Port 8787 is already in use")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        )  # fmt: skip
    try:
        dask = AL.run_alternatives(
            model, tmp_path / "dask", slack=0.01, objectives=["emissions"], executor="dask",
            scheduler=cluster.scheduler_address,
        )  # fmt: skip
    finally:
        cluster.close()
    for ds in (pool, dask):
        assert not ds["failed"].any()
        got = ds["aggregate_value"].sel(aggregate="emissions").values[:2]
        want = serial["aggregate_value"].sel(aggregate="emissions").values
        np.testing.assert_allclose(got, want, rtol=2e-3)
    assert recheck(tmp_path / "pool").ok and recheck(tmp_path / "dask").ok


# --------------------------------------------------------------------------- the report


def test_the_report_draws_each_range_beside_the_least_cost_value(folder: Path, tmp_path: Path):
    from planner.report.cli import report_command
    from planner.report.figures import alternatives_strip_figure

    alt = load_alternatives(folder)
    emissions = ranges(alt, ["emissions"]).iloc[0]
    pages = {}
    for lang in ("en", "zh"):
        out = tmp_path / f"{lang}.html"
        result = CliRunner().invoke(
            report_command, [str(folder), "--lang", lang, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        pages[lang] = out.read_text(encoding="utf-8")
    en, zh = pages["en"], pages["zh"]
    low, high, least = (text_quantity(emissions[k], "en") for k in ("min", "max", "least_cost"))
    assert (
        f"Emissions over the plan years: {low} to {high} within 1.0 % of the least cost "
        f"(least-cost plan: {least})." in en
    )
    low, high, least = (text_quantity(emissions[k], "zh") for k in ("min", "max", "least_cost"))
    assert f"规划期碳排放：在最低成本1.0%以内为{low}至{high}（最低成本方案：{least}）。" in zh
    # Chinese counts CO2 in 万吨 / 亿吨, as every other table of the report does
    assert "百万吨" not in zh
    assert text_quantity(1.339e8, "zh") == "1.339亿吨二氧化碳"
    assert text_quantity(1.339e8, "en") == "133.9 million t CO₂"
    from planner.report import text

    # the values of one row share the unit of its largest (not 7,104 MW beside 13.16 GW)
    assert text.aggregate_quantity(7104.0, "MW", "en", 13160.0) == "7.104 GW"
    assert text.aggregate_quantity(0.0, "std_rack", "zh", 321500.0) == "0万架"
    for page in (en, zh):
        assert 'id="alternatives"' in page and 'id="plot-alternatives_strip"' in page
        assert page.index('id="alternatives"') < page.index('id="summary"')
        assert page.count("●") == int(alt["binds"].sum()) + 1  # and once in the note
    assert "Which targets and limits bind in each plan" in en and "Cost limit" in en
    assert "各方案中起约束作用的目标与限制" in zh
    figure = alternatives_strip_figure(alt, "en")  # plotly validates the spec
    assert len(figure.data) == int((~alt["failed"]).sum())
    positions = np.concatenate([trace.x for trace in figure.data])
    assert positions.min() >= 0.0 and positions.max() <= 1.0


def text_quantity(value: float, lang: str) -> str:
    from planner.report import text

    return text.aggregate_quantity(value, "tCO2", lang)


# --------------------------------------------------------------------------- the command


def test_an_unknown_objective_is_one_paragraph_naming_the_valid_keys(tmp_path: Path):
    from planner.alternatives_cli import alternatives_command

    out = tmp_path / "out"
    result = CliRunner().invoke(
        alternatives_command, [str(NATIONAL), "--objective", "west_shares", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    text = result.output
    assert "--objective: west_shares is not an aggregate of the plan" in text
    assert "did you mean west_share" in text
    for key in ("east_racks", "emissions", "grid_energy", "racks.<hub>", "gansu"):
        assert key in text
    assert "Traceback" not in text
    assert text.strip().splitlines()[0] == "The input has a problem."
    assert len(text.strip().splitlines()) == 2
    assert not out.exists()
    hub = CliRunner().invoke(
        alternatives_command, [str(NATIONAL), "--objective", "racks.atlantis", "--out", str(out)]
    )
    assert hub.exit_code == 2 and "racks.atlantis is not an aggregate" in hub.output
    assert not out.exists()


def test_alternatives_and_sweeps_keep_to_their_own_folders(folder: Path, tmp_path: Path):
    from planner.alternatives_cli import alternatives_command
    from planner.sweep_cli import sweep_command

    args = [str(NATIONAL), "--vary", "carbon_price_cny_per_tco2=0,1", "--out", str(folder)]
    sweep = CliRunner().invoke(sweep_command, args)
    assert sweep.exit_code == 2 and "holds near-optimal alternatives" in sweep.output
    other = tmp_path / "sweep"
    other.mkdir()
    (other / "sweep.json").write_text(json.dumps({"format": "planner sweep folder 1",
                                                  "mode": "product"}))  # fmt: skip
    alt = CliRunner().invoke(alternatives_command, [str(NATIONAL), "--out", str(other)])
    assert alt.exit_code == 2 and "holds a sweep or frontier" in alt.output


@pytest.mark.slow
def test_real_national_alternatives_from_the_command(tmp_path: Path):
    """The issue's command, as a user runs it, on the local pool."""
    import subprocess

    out = tmp_path / "alt"
    planner = Path(sys.executable).with_name("planner")
    cmd = [
        str(planner),
        "alternatives",
        str(NATIONAL),
        "--slack",
        "0.01",
        "--objective",
        "west_share",
        "--objective",
        "emissions",
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ}, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "re-check (the folder's files alone)" in done.stdout
    check = recheck(out)
    assert check.ok, check.problems
    assert check.brackets["bracketed"].all()
