"""Sweeps and the frontier: case expansion, executors, the resumable store, sweep.nc.

The executor layer is tested with plain injected case functions (``fake_case`` below:
a closed-form "model" of the overrides), so these tests say nothing about the planning
model; the tests marked ``real`` solve the national model with 2 representative days.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from click.testing import CliRunner

from planner import sweep as sw
from planner.atomic import current_umask
from planner.errors import InputError
from planner.model_file import resolved_yaml

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "national_2025.yaml"
SMALL = ("time.representative_days=2",)


# --------------------------------------------------------------------------- fakes


def _fake_summary(model: dict) -> dict:
    """Closed form: carbon price cuts emissions, targets raise cost, a cap binds."""
    price = float(model.get("carbon_price_cny_per_tco2") or 0.0)
    caps = {int(k): float(v) for k, v in (model.get("carbon_cap_tco2") or {}).items()}
    per_year = {}
    objective = 0.0
    for year in model["years"]:
        target = float(model["target"]["total_eflops"].get(str(year), 300))
        share = float(model["target"]["intelligent_share"].get(str(year), 0.35))
        emissions = 100e6 * target / 300 / (1 + price / 100)
        emissions = min(emissions, caps.get(year, np.inf))
        capex = 1e9 * target * (1 + share) + 4e16 / max(emissions, 1.0)
        carbon = price * emissions
        objective += capex + carbon
        per_year[str(year)] = {
            "total_eflops": target,
            "intelligent_share": share,
            "emissions_tco2": emissions,
            "green_share": 0.8,
            "energy_mwh": 2e8,
            "cost_cny": {"capex_racks": capex, "carbon": carbon},
        }
    return {
        "scenario": model["scenario"],
        "status": "optimal",
        "objective_cny": objective,
        "per_year": per_year,
        "marginal_costs": {"total_eflops": {"unit": "CNY/EFLOPS", "2025": 1e9}},
        "shortfall": {},
    }


def fake_case(task: sw.CaseTask) -> dict:
    """A case function with no solver: what run_case returns, from the overrides alone."""
    model = yaml.safe_load(task.model_yaml)
    if float(model.get("carbon_price_cny_per_tco2") or 0) == 13:
        raise ValueError("thirteen is unlucky")
    summary = _fake_summary(model)
    return {
        "case_id": task.case_id,
        "ok": True,
        "status": "optimal",
        "reason": "",
        "summary": summary,
        "files": {
            "summary.json": json.dumps(summary).encode(),
            "model.yaml": task.model_yaml.encode(),
        },
        "elapsed_s": 0.0,
        "host": "test",
        "pid": os.getpid(),
    }


def slow_fake_case(task: sw.CaseTask) -> dict:
    time.sleep(0.6)
    return fake_case(task)


def infeasible_case(task: sw.CaseTask) -> dict:
    out = fake_case(task)
    if yaml.safe_load(task.model_yaml)["target"]["total_eflops"]["2025"] == 999:
        out.update(ok=False, status="infeasible", reason="2025: total eflops fell short")
    return out


def _plan(*vary: str, zip_values: bool = False, base=SMALL) -> sw.SweepPlan:
    return sw.plan_sweep(MODEL, list(vary), zip_values=zip_values, base_overrides=base)


# --------------------------------------------------------------------------- expansion


def test_cartesian_expansion_order_and_stable_ids():
    varies = sw.parse_vary(["carbon_price_cny_per_tco2=0,100,200", "price_scale.east=1,1.3"])
    cases = sw.expand_cases(varies, base_overrides=["solver.threads=1"])
    assert len(cases) == 6
    assert [c.varied for c in cases[:2]] == [
        (("carbon_price_cny_per_tco2", "0"), ("price_scale.east", "1")),
        (("carbon_price_cny_per_tco2", "0"), ("price_scale.east", "1.3")),
    ]
    assert cases[3].overrides == (
        "solver.threads=1",
        "carbon_price_cny_per_tco2=100",
        "price_scale.east=1.3",
    )
    assert len({c.case_id for c in cases}) == 6
    assert cases[0].case_id.startswith("0000-")
    again = sw.expand_cases(varies, base_overrides=["solver.threads=1"])
    assert [c.case_id for c in again] == [c.case_id for c in cases]
    # a different base changes the ids, so a rerun with other settings never reuses them
    other = sw.expand_cases(varies, base_overrides=["solver.threads=2"])
    assert not {c.case_id for c in other} & {c.case_id for c in cases}


def test_zip_pairs_values_and_rejects_mismatched_lengths():
    varies = sw.parse_vary(["carbon_price_cny_per_tco2=0,100", "price_scale.east=1,1.3"])
    cases = sw.expand_cases(varies, zip_values=True)
    assert [dict(c.varied) for c in cases] == [
        {"carbon_price_cny_per_tco2": "0", "price_scale.east": "1"},
        {"carbon_price_cny_per_tco2": "100", "price_scale.east": "1.3"},
    ]
    bad = sw.parse_vary(["carbon_price_cny_per_tco2=0,100,200", "price_scale.east=1,1.3"])
    with pytest.raises(
        InputError, match=r"carbon_price_cny_per_tco2 has 3, price_scale\.east has 2"
    ):
        sw.expand_cases(bad, zip_values=True)


@pytest.mark.parametrize(
    "item", ["carbon_price_cny_per_tco2", "=1,2", "carbon_price_cny_per_tco2=1,,2"]
)
def test_malformed_vary_is_input_error(item):
    with pytest.raises(InputError, match="KEY=V1,V2"):
        sw.parse_vary([item])


def test_unknown_key_and_bad_value_fail_before_anything_runs(tmp_path):
    with pytest.raises(InputError) as err:
        _plan("carbon_pricex=0,100", "target.intelligent_share.2025=0.3,1.5")
    text = err.value.render()
    assert "carbon_pricex is not a known key" in text
    assert "target.intelligent_share" in text and "1.5 is not a fraction" in text
    assert len(err.value.problems) == 2  # each named once, not once per case


def test_cli_bad_key_is_one_paragraph_exit_2(tmp_path):
    from planner.sweep_cli import sweep_command

    result = CliRunner().invoke(
        sweep_command,
        [str(MODEL), "--vary", "carbon_pricex=0,100", "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 2, result.output
    assert "carbon_pricex is not a known key" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


class _FakeRun:
    def __init__(self, model):
        self.model = model
        self.summary = _fake_summary(yaml.safe_load(resolved_yaml(model)))
        if model.carbon_price_cny_per_tco2 == 13:
            self.summary.update(status="infeasible", explanation="2025: fell short")

    def write(self, out_dir):
        out_dir.mkdir(parents=True)
        (out_dir / "summary.json").write_text(json.dumps(self.summary))
        (out_dir / "model.yaml").write_text(resolved_yaml(self.model))
        return out_dir


def test_cli_sweep_prints_a_table_and_exits_1_on_a_failed_case(tmp_path, monkeypatch):
    from planner.sweep_cli import sweep_command

    monkeypatch.setattr(sw, "solve_case", lambda model, data_dir, reuse: _FakeRun(model))
    args = [
        str(MODEL),
        "--vary",
        "carbon_price_cny_per_tco2=0,13",
        "--vary",
        "price_scale.east=1,2",
    ]
    args += ["--workers", "1", "--out", str(tmp_path)]
    result = CliRunner().invoke(sweep_command, args)
    assert result.exit_code == 1, result.output
    assert "infeasible" in result.output and "2025: fell short" in result.output
    assert "4 cases, 2 failed" in result.output
    again = CliRunner().invoke(sweep_command, args)
    assert "4 finished cases kept (2 failed), 0 to run" in again.output


def test_cli_pareto_writes_the_frontier(tmp_path, monkeypatch):
    from planner.sweep_cli import pareto_command

    monkeypatch.setattr(sw, "solve_case", lambda model, data_dir, reuse: _FakeRun(model))
    args = [str(MODEL), "--points", "3", "--workers", "1", "--out", str(tmp_path)]
    result = CliRunner().invoke(pareto_command, args)
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(tmp_path / "sweep.nc", engine="netcdf4")
    assert ds.sizes["case"] == 3 and "cap_frac" in ds.coords
    assert "carbon_cap_tco2.2024" in ds.coords and "carbon_cap_tco2.2025" in ds.coords
    assert (tmp_path / "anchors" / "sweep.nc").is_file()
    bad = CliRunner().invoke(pareto_command, [str(MODEL), "--points", "1"])
    assert bad.exit_code == 2


def test_case_models_are_resolved_and_reproducible():
    plan = _plan("carbon_price_cny_per_tco2=0,100")
    text = plan.model_yaml(plan.cases[1])
    resolved = yaml.safe_load(text)
    assert resolved["carbon_price_cny_per_tco2"] == 100
    assert resolved["solver"]["threads"] == 1
    assert resolved["time"]["representative_days"] == 2
    assert Path(resolved["data_dir"]).is_absolute()


# --------------------------------------------------------------------------- executors + store


def test_serial_sweep_writes_cases_and_dataset(tmp_path):
    plan = _plan("carbon_price_cny_per_tco2=0,100,200", "target.total_eflops.2025=300,320")
    ds = sw.run_sweep(plan, tmp_path, executor="serial", case_fn=fake_case)
    assert ds.sizes["case"] == 6 and list(ds["year"].values) == [2024, 2025]
    assert list(ds["carbon_price_cny_per_tco2"].values) == [0, 0, 100, 100, 200, 200]
    assert list(ds["target.total_eflops.2025"].values) == [300, 320] * 3
    assert ds["emissions_tco2"].dims == ("case", "year")
    assert ds["cost_cny"].dims == ("case", "year", "component")
    assert "marginal_total_eflops" in ds
    assert not ds["failed"].any()
    for cid in ds["case"].values:
        folder = tmp_path / "cases" / str(cid)
        assert json.loads((folder / "case.json").read_text())["state"] == "done"
        assert (folder / "model.yaml").is_file()
        # built in a mkdtemp folder (0700), renamed: readable like any other folder
        assert folder.stat().st_mode & 0o777 == 0o777 & ~current_umask()
    on_disk = xr.load_dataset(tmp_path / "sweep.nc", engine="netcdf4")
    xr.testing.assert_identical(on_disk, ds)
    table = sw.sweep_table(ds)
    assert len(table) == 6
    for col in (
        "case",
        "carbon_price_cny_per_tco2",
        "status",
        "objective_cny",
        "emissions_tco2_2025",
    ):
        assert col in table.columns
    assert not list(tmp_path.joinpath("cases").glob(".*"))  # no temp folders left


def test_pool_gives_the_serial_results(tmp_path):
    plan = _plan("carbon_price_cny_per_tco2=0,13,100,200")  # 13 fails in the worker
    serial = sw.run_sweep(plan, tmp_path / "serial", executor="serial", case_fn=fake_case)
    pool = sw.run_sweep(plan, tmp_path / "pool", executor="pool", workers=2, case_fn=fake_case)
    xr.testing.assert_identical(serial, pool)
    assert list(pool["failed"].values) == [False, True, False, False]
    pids = {
        json.loads((tmp_path / "pool/cases" / str(c) / "case.json").read_text())["pid"]
        for c in pool["case"].values
    }
    assert os.getpid() not in pids


def test_failing_case_is_recorded_and_the_sweep_goes_on(tmp_path):
    plan = _plan("carbon_price_cny_per_tco2=0,13,100")
    ds = sw.run_sweep(plan, tmp_path, executor="serial", case_fn=fake_case)
    assert list(ds["failed"].values) == [False, True, False]
    assert "thirteen is unlucky" in str(ds["reason"].values[1])
    assert ds["status"].values[1] == "error"
    assert np.isnan(ds["objective_cny"].values[1]) and np.isfinite(ds["objective_cny"].values[0])
    rec = json.loads((tmp_path / "cases" / str(ds["case"].values[1]) / "case.json").read_text())
    assert rec["state"] == "failed" and "thirteen" in rec["reason"]
    assert (tmp_path / "cases" / str(ds["case"].values[1]) / "model.yaml").is_file()


def test_solver_status_without_a_plan_counts_as_failed(tmp_path):
    plan = _plan("target.total_eflops.2025=300,999")
    ds = sw.run_sweep(plan, tmp_path, executor="serial", case_fn=infeasible_case)
    assert list(ds["failed"].values) == [False, True]
    assert ds["status"].values[1] == "infeasible"
    assert "fell short" in str(ds["reason"].values[1])


def test_run_case_records_any_exception(monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(sw, "solve_case", boom)
    plan = _plan("carbon_price_cny_per_tco2=0")
    task = sw.CaseTask("x", plan.model_yaml(plan.cases[0]), str(plan.data_dir), "fp")
    outcome = sw.run_case(task)
    assert not outcome["ok"] and outcome["reason"] == "RuntimeError: solver exploded"
    assert "Traceback" in outcome["traceback"]


calls: list[str] = []


def counting_case(task: sw.CaseTask) -> dict:
    calls.append(task.case_id)
    return fake_case(task)


def test_rerun_skips_finished_cases_and_redoes_stale_ones(tmp_path):
    plan = _plan("carbon_price_cny_per_tco2=0,13,100")
    first = sw.run_sweep(plan, tmp_path, executor="serial", case_fn=counting_case)
    marker = tmp_path / "cases" / str(first["case"].values[0]) / "case.json"
    stamp = marker.stat().st_mtime_ns
    calls.clear()
    again = sw.run_sweep(plan, tmp_path, executor="serial", case_fn=counting_case)
    assert calls == []  # finished and failed cases are both kept
    assert marker.stat().st_mtime_ns == stamp
    xr.testing.assert_identical(first, again)
    sw.run_sweep(plan, tmp_path, executor="serial", case_fn=counting_case, retry_failed=True)
    assert calls == [str(first["case"].values[1])]
    # the model file changed under the same arguments: its cases are stale, so rerun
    edited = tmp_path / "models" / "edited.yaml"
    edited.parent.mkdir()
    edited.write_text(
        MODEL.read_text()
        .replace("mip_gap: 0.001", "mip_gap: 0.002")
        .replace("data_dir: ../data", f"data_dir: {REPO / 'data'}")
    )
    plan2 = sw.plan_sweep(edited, ["carbon_price_cny_per_tco2=0,13,100"], base_overrides=SMALL)
    assert [c.case_id for c in plan2.cases] == [c.case_id for c in plan.cases]
    calls.clear()
    sw.run_sweep(plan2, tmp_path, executor="serial", case_fn=counting_case)
    assert sorted(calls) == sorted(str(c) for c in first["case"].values)


def test_stale_temp_folders_are_cleaned(tmp_path):
    plan = _plan("carbon_price_cny_per_tco2=0")
    sw.run_sweep(plan, tmp_path, executor="serial", case_fn=fake_case)
    (tmp_path / "cases" / ".0000-abc.x.tmp").mkdir(parents=True)
    (tmp_path / "cases" / ".0000-abc.old-1f2e").mkdir(parents=True)
    (tmp_path / "cases" / ".user-notes").write_text("mine")  # not planner's: kept
    sw.run_sweep(plan, tmp_path, executor="serial", case_fn=fake_case)
    assert [p.name for p in (tmp_path / "cases").glob(".*")] == [".user-notes"]


_RESUME_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from planner import sweep as sw
from test_sweep import slow_fake_case

if __name__ == "__main__":
    plan = sw.plan_sweep({model!r}, ["carbon_price_cny_per_tco2=0,10,20,30,40,50,60,70"],
                         base_overrides=["time.representative_days=2"])
    sw.run_sweep(plan, {out!r}, executor="pool", workers=2, case_fn=slow_fake_case)
"""


def test_sigkill_and_resume_loses_and_repeats_nothing(tmp_path):
    out = tmp_path / "out"
    script = tmp_path / "run.py"
    script.write_text(
        _RESUME_SCRIPT.format(tests=str(REPO / "tests"), model=str(MODEL), out=str(out))
    )
    proc = subprocess.Popen([sys.executable, str(script)], cwd=REPO, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = list((out / "cases").glob("*/case.json")) if out.exists() else []
            if len(done) >= 2:
                break
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in (out / "cases").glob("*/case.json")}
    assert 2 <= len(finished) < 8
    assert not (out / "sweep.nc").exists()

    result = subprocess.run([sys.executable, str(script)], cwd=REPO, timeout=120)
    assert result.returncode == 0
    ds = xr.load_dataset(out / "sweep.nc", engine="netcdf4")
    assert ds.sizes["case"] == 8 and not ds["failed"].any()
    assert sorted(ds["carbon_price_cny_per_tco2"].values) == [0, 10, 20, 30, 40, 50, 60, 70]
    folders = [p.name for p in (out / "cases").iterdir()]
    assert sorted(folders) == sorted(str(c) for c in ds["case"].values)  # each exactly once
    for cid, stamp in finished.items():  # finished cases were not recomputed
        assert (out / "cases" / cid / "case.json").stat().st_mtime_ns == stamp
    time.sleep(1.5)  # the killed client's workers notice and exit
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_ensure_data_materialises_a_bundle(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "sites.csv").write_text("site\na\n")
    monkeypatch.setattr(sw.tempfile, "gettempdir", lambda: str(tmp_path / "worker_tmp"))
    bundle = sw.data_bundle(src)
    assert sw.ensure_data(str(src), bundle["fingerprint"], None) == src  # same files: in place
    local = sw.ensure_data("/nowhere/data", bundle["fingerprint"], bundle)
    assert local != src and (local / "sites.csv").read_text() == "site\na\n"
    assert sw.data_fingerprint(local) == bundle["fingerprint"]
    with pytest.raises(FileNotFoundError):
        sw.ensure_data("/nowhere/data", "0" * 64, None)


@pytest.fixture(scope="module")
def dask_cluster():
    import warnings

    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        # Its HTTP server binds to the scheduler's host (loopback); if another cluster
        # holds the default port, it takes another one and says so.
        warnings.filterwarnings("ignore", "Port 8787 is already in use")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    try:
        yield cluster
    finally:
        cluster.close()


def test_dask_cluster_gives_the_serial_results(tmp_path, dask_cluster):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        plan = _plan("carbon_price_cny_per_tco2=0,13,100,200")
        dask = sw.run_sweep(
            plan,
            tmp_path / "dask",
            executor="dask",
            scheduler=dask_cluster.scheduler_address,
            case_fn=fake_case,
        )
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    serial = sw.run_sweep(plan, tmp_path / "serial", executor="serial", case_fn=fake_case)
    xr.testing.assert_identical(dask, serial)
    assert list(dask["failed"].values) == [False, True, False, False]


def test_pareto_mechanics_with_a_closed_form_model(tmp_path):
    ds = sw.run_pareto(
        MODEL, 4, tmp_path, base_overrides=SMALL, executor="serial", case_fn=fake_case
    )
    assert ds.sizes["case"] == 4
    assert list(ds["cap_frac"].values) == pytest.approx([0, 1 / 3, 2 / 3, 1])
    anchors = xr.load_dataset(tmp_path / "anchors" / "sweep.nc", engine="netcdf4")
    e_max = anchors["emissions_tco2"].values[0]
    e_min = anchors["emissions_tco2"].values[1]
    caps = ds["carbon_cap_tco2.2025"].values
    assert caps[0] == pytest.approx(e_min[1], abs=1) and caps[-1] == pytest.approx(e_max[1], abs=1)
    total = ds["total_emissions_tco2"].values
    assert np.all(np.diff(total) > 0)
    assert np.all(np.diff(ds["objective_cny"].values) <= 0)  # looser cap, no dearer
    assert ds.attrs["mode"] == "pareto"
    # the last point is the least-cost end, not solved again
    records = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("cases/*/case.json"))]
    assert [bool(r.get("same_as")) for r in records] == [False, False, False, True]
    end = tmp_path / records[-1]["same_as"]
    assert (end / "summary.json").read_bytes() == (
        tmp_path / "cases" / records[-1]["case_id"] / "summary.json"
    ).read_bytes()


def test_pareto_needs_two_points(tmp_path):
    with pytest.raises(InputError, match="at least 2"):
        sw.run_pareto(MODEL, 1, tmp_path)


# --------------------------------------------------------------------------- real runs


def test_cached_inputs_equal_fresh_ones():
    from planner.model_file import load_model
    from planner.session import Session

    session, fresh_session = Session(), Session(reuse=False)
    base = [*SMALL, "carbon_price_cny_per_tco2=100", "price_scale.east=1.3"]
    for extra in ([], ["capex_scale.intelligent=0.8", "target.intelligent_share.2025=0.4",
                       "carbon_cap_tco2.2025=5e7", "demand_scale=1.1"]):  # fmt: skip
        model, data_dir = load_model(MODEL, base + extra)
        fresh, _ = fresh_session.inputs(model, data_dir)
        cached, _ = session.inputs(model, data_dir)
        xr.testing.assert_identical(fresh, cached)
    assert len(session._inputs) == 1  # both cases shared one load + tsam


# Real runs of the national model, 2 representative days, the model file's MIP gap (1e-3):
# the monotone checks allow what the gap allows, no more.
REAL = SMALL


def _rel_tol(ds: xr.Dataset) -> float:
    """Two MIP gaps of the largest objective: how far two incumbents may be off their optima."""
    return 2e-3 * float(np.nanmax(np.abs(ds["objective_cny"].values)))


def test_real_sweep_pool_and_dask_agree_and_carbon_price_cuts_emissions(tmp_path, dask_cluster):
    plan = _plan("carbon_price_cny_per_tco2=0,300", base=REAL)
    pool = sw.run_sweep(plan, tmp_path / "pool", executor="pool", workers=2)
    dask = sw.run_sweep(
        plan, tmp_path / "dask", executor="dask", scheduler=dask_cluster.scheduler_address
    )
    assert not pool["failed"].any(), pool["reason"].values
    xr.testing.assert_allclose(pool, dask, rtol=1e-6)
    assert list(pool["status"].values) == list(dask["status"].values)
    emissions = pool["emissions_tco2"].sum("year").values
    assert np.all(np.diff(emissions) <= 1e-3 * emissions[0]), emissions
    for cid in pool["case"].values:  # each case reproducible alone from its folder
        folder = tmp_path / "pool" / "cases" / str(cid)
        assert (folder / "results.nc").is_file() and (folder / "model.yaml").is_file()


@pytest.mark.slow
def test_real_cost_never_falls_as_the_compute_target_rises(tmp_path):
    plan = _plan("target.total_eflops.2025=300,320,340", base=REAL)
    ds = sw.run_sweep(plan, tmp_path, executor="pool", workers=2)
    assert not ds["failed"].any(), ds["reason"].values
    assert np.all(np.diff(ds["objective_cny"].values) >= -_rel_tol(ds))


@pytest.mark.slow
def test_real_frontier_cost_never_rises_as_the_cap_loosens(tmp_path):
    ds = sw.run_pareto(MODEL, 3, tmp_path, base_overrides=REAL, executor="pool", workers=2)
    assert not ds["failed"].any(), ds["reason"].values
    order = np.argsort(ds["cap_frac"].values)
    cost = ds["objective_cny"].values[order]
    assert np.all(np.diff(cost) <= _rel_tol(ds)), cost
    total = ds["total_emissions_tco2"].values[order]
    assert np.all(np.diff(total) >= -1e-6 * total[-1]), total


_CLI = "from planner.sweep_cli import sweep_command; sweep_command(prog_name='sweep')"


@pytest.mark.slow
def test_real_cli_sweep_killed_and_resumed(tmp_path):
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-c",
        _CLI,
        str(MODEL),
        "--vary",
        "carbon_price_cny_per_tco2=0,50,100,200",
    ]
    cmd += ["--set", SMALL[0], "--workers", "2", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not list(out.glob("cases/*/case.json")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("cases/*/case.json")}
    assert 1 <= len(finished) < 4
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "finished cases kept" in result.stderr
    ds = xr.load_dataset(out / "sweep.nc", engine="netcdf4")
    assert ds.sizes["case"] == 4 and not ds["failed"].any()
    assert sorted(p.name for p in (out / "cases").iterdir()) == sorted(ds["case"].values)
    for cid, stamp in finished.items():
        assert (out / "cases" / cid / "case.json").stat().st_mtime_ns == stamp
