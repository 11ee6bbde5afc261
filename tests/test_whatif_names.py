"""Named what-if runs: a run with --set gets its own run folder and report, and nothing a
user made is replaced without --force or a message saying so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner.cli import run_name

try:
    from tests.test_safety import _project, cli
except ImportError:  # tests/ is not a package
    from test_safety import _project, cli


def test_run_name_is_the_scenario_and_a_readable_file_safe_tag() -> None:
    assert run_name("national_2025", ()) == "national_2025"
    assert (
        run_name("national_2025", ["carbon_price_cny_per_tco2=200"])
        == "national_2025--carbon_price_cny_per_tco2=200"
    )
    two = run_name("n", ["price_scale.east=1.3", "target.total_eflops.2025 = 320"])
    assert two == "n--price_scale.east=1.3--target.total_eflops.2025=320"
    odd = run_name("n", ["description=a b/c:d"])
    assert "/" not in odd and " " not in odd and ":" not in odd
    # --set scenario=NAME names the run itself.
    assert run_name("n", ["scenario=mine"]) == "n"
    long = run_name("n", [f"description={'x' * 300}"])
    assert len(long) <= 120 and long.startswith("n--description=")
    assert long != run_name("n", [f"description={'x' * 299}y"])


@pytest.fixture
def project(tmp_path: Path):
    root = _project(tmp_path / "p")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(cwd)


def test_a_what_if_run_gets_its_own_folder_and_report(project: Path) -> None:
    from planner.results import read_summary

    base = cli("plan", "models/m.yaml")
    assert base.exit_code == 0, base.output
    before = (project / "reports" / "test.html").read_bytes()
    whatif = cli("plan", "models/m.yaml", "--set", "carbon_price_cny_per_tco2=200")
    assert whatif.exit_code == 0, whatif.output
    name = "test--carbon_price_cny_per_tco2=200"
    assert (project / "runs" / name / "summary.json").is_file()
    assert (project / "reports" / f"{name}.html").is_file()
    # The scenario's own run and report are untouched.
    assert (project / "reports" / "test.html").read_bytes() == before
    assert read_summary(project / "runs" / "test")["status"] == "optimal"
    # The what-if report says what was set, by the key's name and unit.
    page = (project / "reports" / f"{name}.html").read_text(encoding="utf-8")
    assert "What was set" in page and "Carbon price (yuan per t CO₂): 200" in page
    # planner report of the what-if folder writes the what-if's report, not the base's.
    again = cli("report", f"runs/{name}", "--lang", "zh")
    assert again.exit_code == 0, again.output
    assert f"reports/{name}.html" in again.output and "replaced the earlier report" in again.output
    assert (project / "reports" / "test.html").read_bytes() == before
    # Solving the same run again replaces it, and says so.
    same = cli("solve", "models/m.yaml")
    assert same.exit_code == 0 and "replaced the earlier run in runs/test" in same.output


def test_sweep_and_frontier_reports_keep_their_own_names() -> None:
    from planner.report.cli import default_name

    assert default_name(Path("runs/n"), {"scenario": "n"}) == "n"
    assert default_name(Path("runs/n--carbon_price_cny_per_tco2=5"), {"scenario": "n"}) == (
        "n--carbon_price_cny_per_tco2=5"
    )
    assert default_name(Path("runs/elsewhere"), {"scenario": "n"}) == "n"


def test_sweep_folders_name_their_reports(tmp_path: Path) -> None:
    from planner.report.cli import default_name

    for kind in ("sweep", "pareto"):
        folder = tmp_path / f"{kind}-national_2025"
        folder.mkdir()
        (folder / "sweep.nc").write_bytes(b"")
        assert default_name(folder, {"scenario": "national_2025"}) == f"{kind}-national_2025"


def test_a_sweep_records_the_model_s_own_values_of_its_keys(tmp_path: Path) -> None:
    """The report's base case is the case with the model's own values: the sweep folder
    records them (sweep.json and sweep.nc's attrs)."""
    from planner.sweep import _manifest, plan_sweep

    root = _project(tmp_path / "p", extra="carbon_price_cny_per_tco2: 100\n")
    plan = plan_sweep(
        root / "models" / "m.yaml",
        ["carbon_price_cny_per_tco2=0,100", "target.total_eflops.2025=30,40"],
    )
    assert _manifest(plan)["base_values"] == {
        "carbon_price_cny_per_tco2": 100.0,
        "target.total_eflops.2025": None,  # the model file leaves it to data/targets.csv
    }
