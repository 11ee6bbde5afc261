"""Nothing a user has is ever lost, and no traceback reaches them (issue 13).

Every test drives the real CLI (click's CliRunner on ``planner.cli.main``, or a
subprocess where the environment itself must fail) and real HiGHS solves of the small
fixture data set of conftest.py, in a project folder of its own: ``data/``,
``models/m.yaml``, and the default outputs ``runs/`` and ``reports/`` beside them.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from click.testing import CliRunner, Result
from conftest import write_fixture_data

from planner.cli import main

MODEL = "models/m.yaml"
MODEL_TEXT = "scenario: {scenario}\ndata_dir: ../data\nyears: [2024, 2025]\n{extra}"


# --------------------------------------------------------------------------- helpers


def _project(root: Path, scenario: str = "test", extra: str = "") -> Path:
    """A project folder: fixture data, one model file, a user's own notes."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "data").is_dir():
        write_fixture_data(root / "data")
    (root / "models").mkdir(exist_ok=True)
    text = MODEL_TEXT.format(scenario=json.dumps(scenario, ensure_ascii=False), extra=extra)
    (root / MODEL).write_text(text, encoding="utf-8")
    (root / "notes.txt").write_text("my own notes\n", encoding="utf-8")
    return root


def _snapshot(root: Path, skip: tuple[str, ...] = ("runs", "reports")) -> dict[str, str]:
    """Every file under ``root`` (but ``skip``) -> sha256 of its bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] not in skip:
            out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def cli(*args: str) -> Result:
    """Run ``planner ARGS`` in this process; fail on any exception that is not an exit."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"a traceback reached the user:\n{result.output}") from (
            result.exception
        )
    assert "Traceback" not in result.output, result.output
    return result


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder with a plan, solved once through the CLI (copied by the tests)."""
    root = _project(tmp_path_factory.mktemp("solved"))
    cwd = Path.cwd()
    os.chdir(root)
    try:
        result = cli("solve", MODEL, "--out", "runs/good")
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return root / "runs" / "good"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project folder, made the current folder."""
    root = _project(tmp_path / "proj")
    monkeypatch.chdir(root)
    return root


# --------------------------------------------------------------------------- 1. --out


def test_out_refuses_a_user_folder_and_the_data_folder_and_every_file_survives(project):
    user = project / "mywork"
    user.mkdir()
    (user / "thesis.docx").write_bytes(b"years of work")
    before = _snapshot(project)
    for args in (
        ("--out", "mywork"),
        ("--out", "data"),
        ("--out", "data", "--force"),  # --force never replaces the model's data
        ("--out", "models", "--force"),  # nor the folder of the model file
        ("--out", ".", "--force"),  # nor the current folder
        ("--out", "notes.txt"),
    ):
        result = cli("solve", MODEL, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "--out" in result.output
        assert _snapshot(project) == before, args
    assert "--force" in cli("solve", MODEL, "--out", "mywork").output
    assert not (project / "runs").exists()


def test_out_replaces_a_run_folder_and_force_replaces_a_user_folder(project, solved):
    shutil.copytree(solved, project / "runs" / "old")
    result = cli("solve", MODEL, "--out", "runs/old")
    assert result.exit_code == 0, result.output
    assert _summary(project / "runs" / "old")["status"] == "optimal"
    (project / "runs" / "old" / "mine.txt").write_text("added by hand")
    refused = cli("solve", MODEL, "--out", "runs/old")
    assert refused.exit_code == 2 and "mine.txt" in refused.output
    assert (project / "runs" / "old" / "mine.txt").is_file()

    scratch = project / "scratch"
    scratch.mkdir()
    (scratch / "junk.txt").write_text("replace me")
    forced = cli("solve", MODEL, "--out", "scratch", "--force")
    assert forced.exit_code == 0, forced.output
    assert not (scratch / "junk.txt").exists() and (scratch / "results.nc").is_file()


# --------------------------------------------------------------------------- 2. scenario


@pytest.mark.parametrize("scenario", ["..", "../x", "../../x", "/abs", ".", ".hidden", "a/b"])
def test_a_scenario_that_is_not_a_safe_file_name_is_refused(tmp_path, monkeypatch, scenario):
    root = _project(tmp_path / "proj", scenario=scenario)
    monkeypatch.chdir(root)
    before = _snapshot(tmp_path, skip=())
    result = cli("solve", MODEL)
    assert result.exit_code == 2, result.output
    assert "scenario" in result.output and "safe file name" in result.output
    assert _snapshot(tmp_path, skip=()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]
    assert not (root / "runs").exists() and not Path("/abs").exists()
    check = cli("data", "check")
    assert check.exit_code == 2 and "safe file name" in check.output


def test_default_outputs_land_under_runs_and_reports(project):
    result = cli("plan", MODEL)
    assert result.exit_code == 0, result.output
    assert (project / "runs" / "test" / "summary.json").is_file()
    assert (project / "reports" / "test.html").is_file()


# --------------------------------------------------------------------------- 3. no plan


def test_a_run_without_a_plan_never_replaces_a_run_with_one(project, solved):
    shutil.copytree(solved, project / "runs" / "x")
    before = _snapshot(project / "runs" / "x", skip=())
    result = cli("solve", MODEL, "--out", "runs/x", "--time-limit", "1e-6")
    assert result.exit_code == 1, result.output
    assert _snapshot(project / "runs" / "x", skip=()) == before
    assert "still holds the earlier run" in result.output
    failed = project / "runs" / "x.failed"
    assert str(failed) in result.output.replace("\n", "")
    assert _summary(failed)["objective_cny"] is None
    # A second failed attempt replaces the first one beside it, never the good run.
    again = cli("solve", MODEL, "--out", "runs/x", "--time-limit", "1e-6")
    assert again.exit_code == 1 and _snapshot(project / "runs" / "x", skip=()) == before
    assert sorted(p.name for p in (project / "runs").iterdir()) == ["x", "x.failed"]


# --------------------------------------------------------------------------- 4. numbers


@pytest.mark.parametrize(
    "override",
    [
        "target.total_eflops.2025=.nan",
        "target.total_eflops.2025=.inf",
        "target.total_eflops.2025=1e300",
        "target.intelligent_share.2025=.nan",
        "price_scale.east=.nan",
        "price_scale.east=1e300",
        "carbon_cap_tco2.2025=.nan",
        "carbon_cap_tco2.2025=-1",
        "carbon_price_cny_per_tco2=.inf",
        "demand_scale.general=1e300",
        "capex_scale.general=.nan",
        "penalty.compute_cny_per_eflops=.inf",
        "solver.time_limit_s=.nan",
    ],
)
def test_non_finite_and_absurd_numbers_are_refused_before_anything_is_built(project, override):
    result = cli("solve", MODEL, "--set", override, "--out", "runs/n")
    assert result.exit_code == 2, result.output
    key = override.partition("=")[0]
    assert f"--set, key '{key}'" in result.output
    assert "give a number in " in result.output
    assert "HiGHS" not in result.output and not (project / "runs").exists()


def test_a_huge_target_in_range_is_explained_as_a_shortfall(project):
    result = cli("solve", MODEL, "--set", "target.total_eflops.2025=100000", "--out", "runs/h")
    assert result.exit_code == 0, result.output
    assert "2025: total eflops fell short by" in result.output
    assert _summary(project / "runs" / "h")["shortfall"]["total_eflops"]["2025"] > 9e4


def test_a_sweep_records_a_case_with_a_bad_value_as_failed_with_the_same_reason(project):
    # The other case runs; the bad one never reaches the solver, and the user-given
    # description (rich markup) is printed as given.
    result = cli(
        "sweep", MODEL, "--zip", "--workers", "1", "--out", "runs/s",
        "--vary", "description=plain,grid[/bold] test",
        "--vary", "target.total_eflops.2025=40,.nan",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "grid[/b" in result.output  # the table folds it: shown as text, not markup
    assert "2 cases, 1 failed" in result.output
    sweep = xr.load_dataset(project / "runs" / "s" / "sweep.nc", engine="netcdf4")
    assert list(sweep["description"].values) == ["plain", "grid[/bold] test"]
    assert list(sweep["failed"].values) == [False, True]
    records = {
        p.name: json.loads((p / "case.json").read_text())
        for p in (project / "runs" / "s" / "cases").iterdir()
    }
    states = sorted(r["state"] for r in records.values())
    assert states == ["done", "failed"]
    reason = next(r["reason"] for r in records.values() if r["state"] == "failed")
    solo = cli("solve", MODEL, "--set", "target.total_eflops.2025=.nan")
    assert solo.exit_code == 2
    assert reason.split("': ")[-1] == solo.output.strip().split("': ")[-1]
    assert "not a finite number" in reason


# --------------------------------------------------------------------------- 5. tracebacks


def test_rich_markup_in_a_scenario_is_refused_cleanly(tmp_path, monkeypatch):
    root = _project(tmp_path / "proj", scenario="grid[/bold] test")
    monkeypatch.chdir(root)
    result = cli("solve", MODEL)
    assert result.exit_code == 2 and "grid[/bold] test" in result.output
    assert not (root / "runs").exists()


@pytest.mark.parametrize(("encoding", "needle"), [("utf-16", "UTF-16"), ("latin-1", "not UTF-8")])
def test_a_model_file_that_is_not_utf8_is_one_paragraph(project, encoding, needle):
    text = MODEL_TEXT.format(scenario="test", extra="description: Übersicht für München\n")
    (project / MODEL).write_bytes(text.encode(encoding))
    result = cli("solve", MODEL)
    assert result.exit_code == 2, result.output
    assert MODEL in result.output and needle in result.output and "UTF-8" in result.output


def test_an_unwritable_output_folder_is_exit_1_naming_it(project):
    if not Path("/sys").is_dir():
        pytest.skip("needs Linux's read-only /sys")
    result = cli("solve", MODEL, "--out", "/sys/planner-test-run")
    assert result.exit_code == 1, result.output
    assert "/sys/planner-test-run" in result.output and "could not write" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_exit_1_naming_it(project):
    ro = project / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        result = cli("solve", MODEL, "--out", "ro/run")
    finally:
        ro.chmod(0o755)
    assert result.exit_code == 1, result.output
    assert "ro/run" in result.output and "could not write" in result.output


def _limit_file_size() -> None:
    # A disk that fills: writing past 64 KB fails (EFBIG; Python ignores SIGXFSZ).
    resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))


def test_a_full_disk_is_exit_1_and_keeps_the_earlier_run(project, solved):
    shutil.copytree(solved, project / "runs" / "x")
    before = _snapshot(project / "runs", skip=())
    proc = subprocess.run(
        [sys.executable, "-m", "planner.cli", "solve", MODEL, "--out", "runs/x"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "runs/x" in proc.stderr and "could not write the run folder" in proc.stderr
    assert _snapshot(project / "runs", skip=()) == before  # nothing half-written left


def test_report_on_a_damaged_summary_or_sweep_names_the_file(project, solved):
    run = project / "runs" / "broken"
    shutil.copytree(solved, run)
    (run / "summary.json").write_text('{"status": "optimal", ', encoding="utf-8")
    result = cli("report", str(run))
    assert result.exit_code == 2, result.output
    assert "summary.json" in result.output and "not valid JSON" in result.output

    sweep = project / "runs" / "sweep"
    shutil.copytree(solved, sweep / "cases" / "0000-00000000")
    (sweep / "sweep.nc").write_bytes(b"not netCDF at all")
    result = cli("report", str(sweep))
    assert result.exit_code == 2, result.output
    assert "sweep.nc" in result.output and "rerun the same sweep" in result.output


def test_report_out_never_replaces_a_file_planner_did_not_write(project, solved):
    before = _snapshot(project)
    result = cli("report", str(solved), "--out", "notes.txt")
    assert result.exit_code == 2, result.output
    assert _snapshot(project) == before
    ok = cli("report", str(solved), "--out", "reports/r.html")
    assert ok.exit_code == 0, ok.output
    again = cli("report", str(solved), "--out", "reports/r.html")  # its own: replaced
    assert again.exit_code == 0, again.output


def test_sweep_out_refuses_a_user_folder(project):
    user = project / "mywork"
    user.mkdir()
    (user / "sweep.json").write_text('{"mine": true}')
    before = _snapshot(project)
    result = cli("sweep", MODEL, "--vary", "carbon_price_cny_per_tco2=0,1", "--out", "mywork")
    assert result.exit_code == 2, result.output
    assert "not a sweep folder" in result.output
    assert _snapshot(project) == before


# --------------------------------------------------------------------------- 6. smaller


def test_negative_hours_are_refused(project):
    result = cli("solve", MODEL, "--hours", "-3", "--out", "runs/h")
    assert result.exit_code == 2 and "--hours" in result.output
    assert not (project / "runs").exists()


def test_a_duplicate_key_in_the_model_file_is_refused(project):
    text = MODEL_TEXT.format(scenario="test", extra="carbon_price_cny_per_tco2: 0\n")
    (project / MODEL).write_text(text + "carbon_price_cny_per_tco2: 500\n", encoding="utf-8")
    result = cli("solve", MODEL)
    assert result.exit_code == 2, result.output
    assert "line 5" in result.output and "given twice" in result.output


def test_a_missing_data_dir_is_said_once(project):
    (project / MODEL).write_text(
        MODEL_TEXT.format(scenario="test", extra="").replace("../data", "../nowhere")
    )
    result = cli("solve", MODEL)
    assert result.exit_code == 2, result.output
    assert "The input has a problem." in result.output
    assert "data_dir" in result.output and "does not exist" in result.output
    check = cli("data", "check", "nowhere", "--models", "none")
    assert check.exit_code == 2 and "The input has a problem." in check.output


def test_set_errors_are_blamed_on_set(project):
    result = cli("solve", MODEL, "--set", "carbon_pric=5")
    assert result.exit_code == 2, result.output
    assert "--set, key 'carbon_pric'" in result.output
    assert MODEL not in result.output


def test_a_successful_write_cleans_what_a_killed_write_left(project, solved):
    runs = project / "runs"
    shutil.copytree(solved, runs / "x")
    stale = runs / ".x.k2j4h6g_.tmp"  # as a write killed before its rename leaves it
    shutil.copytree(solved, stale)
    (stale / "results.nc").write_bytes(b"half")
    mine = runs / ".x.keep.tmp"  # hidden, named alike, but not planner's: kept
    mine.mkdir()
    (mine / "diary.txt").write_text("mine")
    result = cli("solve", MODEL, "--out", "runs/x")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in runs.iterdir()) == [".x.keep.tmp", "x"]


# --------------------------------------------------------------------------- 7. determinism


def test_two_solves_give_identical_results_and_summaries(project):
    for name in ("a", "b"):
        assert cli("solve", MODEL, "--out", f"runs/{name}").exit_code == 0
    a, b = project / "runs" / "a", project / "runs" / "b"
    assert (a / "results.nc").read_bytes() == (b / "results.nc").read_bytes()
    for rel in ("model.yaml", *(f"tables/{p.name}" for p in (a / "tables").iterdir())):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    sa, sb = _summary(a), _summary(b)
    assert sa.pop("timings_s").keys() == sb.pop("timings_s").keys()
    assert json.dumps(sa) == json.dumps(sb)
