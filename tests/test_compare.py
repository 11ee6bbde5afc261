"""planner compare RUN_A RUN_B: one self-contained report of what changed, the inputs
that differ first."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.report.compare import default_out, input_differences, render_compare
from planner.report.page import load_run
from planner.results import write_run

try:
    from tests.report_fixture import make_run
    from tests.test_report_reader import ALLOWED_EN, run_checks
    from tests.test_safety import _project, cli
except ImportError:  # tests/ is not a package
    from report_fixture import make_run
    from test_report_reader import ALLOWED_EN, run_checks
    from test_safety import _project, cli


def _section(page: str, sid: str) -> str:
    return page.split(f'<section id="{sid}">')[1].split("</section>")[0]


def _values(part: str, label: str) -> list[float | None]:
    """The data-value of the A, B and change cells of the row headed ``label``."""
    row = re.search(rf"<tr><th>{re.escape(label)}</th>(.*?)</tr>", part)
    assert row, label
    return [
        json.loads(v.replace("&quot;", '"')) for v in re.findall(r'data-value="([^"]*)"', row[1])
    ]


def _two_runs(tmp_path: Path) -> tuple[Path, Path]:
    """Synthetic runs: B builds 20 000 more intelligent racks in Qingyang in 2025, pays
    10 % more for electricity and 5 bn yuan more in all, and sets a carbon price."""
    results, summary, yaml_text = make_run(tmp_path / "a")
    # The hubs' names, as a real run has them from data/hubs.csv.
    results["hub_name_en"] = ("hub", ["Gansu", "Yangtze River Delta", "Outside the hubs"])
    results["hub_name_zh"] = ("hub", ["甘肃", "长三角", "枢纽外"])
    a = write_run(tmp_path / "a", results, summary, yaml_text)
    b_results = results.copy(deep=True)
    where = {"site": "qingyang", "rack_class": "intelligent", "year": 2025}
    b_results["racks_new_std"].loc[where] += 20_000
    b_summary = {**summary, "per_year": {y: dict(v) for y, v in summary["per_year"].items()}}
    for y in b_summary["per_year"]:
        b_summary["per_year"][y]["cost_cny"] = {
            k: v * (1.1 if k == "energy" else 1.0)
            for k, v in summary["per_year"][y]["cost_cny"].items()
        }
    b_summary["objective_cny"] = summary["objective_cny"] + 5e9
    b_yaml = yaml_text + "carbon_price_cny_per_tco2: 200\n"
    b = write_run(tmp_path / "b", b_results, b_summary, b_yaml)
    return a, b


def test_the_inputs_that_differ_come_first(tmp_path: Path) -> None:
    a, b = _two_runs(tmp_path)
    diff = input_differences(load_run(a), load_run(b))
    assert diff["model"] == [("carbon_price_cny_per_tco2", None, 200)]
    assert diff["tables"] == []
    for lang, label in (("en", "Carbon price (yuan per t CO₂)"), ("zh", "碳价（元/吨二氧化碳）")):
        page = render_compare(a, b, lang)
        sections = re.findall(r'<section id="(\w+)"', page)
        assert sections == ["inputs", "targets", "costs", "builds", "mix", "emissions", "marginal"]
        inputs = _section(page, "inputs")
        assert label in inputs and ">200<" in inputs
        targets = _section(page, "targets")
        assert {"en": "+5 billion yuan", "zh": "+50亿元"}[lang] in targets
        builds = _section(page, "builds")
        assert 'data-plot="plot-cmp_builds"' in builds
        assert {"en": "+20 thousand standard racks", "zh": "+2万架"}[lang] in builds
        assert 'id="plot-cmp_costs"' in page
        assert "<script src" not in page and "http" not in page.split("<main>")[1][:20_000]


def test_compare_command_writes_one_report(tmp_path: Path) -> None:
    a, b = _two_runs(tmp_path)
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(
        main, ["compare", str(a), str(b), "--lang", "zh", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "两次运行的对比" in page
    assert '<meta name="generator" content="planner' in page  # a report planner may replace
    assert not list(tmp_path.glob(".cmp.html.*"))  # no temporary file left
    again = CliRunner().invoke(main, ["compare", str(a), str(b), "--out", str(out)])
    assert again.exit_code == 0 and "replaced the earlier report planner wrote" in again.output
    # The same run twice: nothing differs, and it says so.
    same = render_compare(a, a, "en")
    assert "The two runs have the same model file, data and time slices." in same
    assert "Both plans build the same racks at every site." in same
    assert 'id="plot-cmp_builds"' not in same and 'id="plot-cmp_costs"' not in same


def test_errors_are_one_paragraph_and_exit_2(tmp_path: Path) -> None:
    a, _b = _two_runs(tmp_path)
    bad = CliRunner().invoke(main, ["compare", str(a), str(tmp_path / "missing")])
    assert bad.exit_code == 2 and "is not a folder" in bad.output
    corrupt = tmp_path / "corrupt"
    shutil.copytree(a, corrupt)
    (corrupt / "summary.json").write_text('{"per_year": ', encoding="utf-8")
    result = CliRunner().invoke(main, ["compare", str(a), str(corrupt)])
    assert result.exit_code == 2 and "summary.json: is not valid JSON" in result.output
    assert "Traceback" not in result.output
    sweep = tmp_path / "sweep-n"
    sweep.mkdir()
    (sweep / "sweep.nc").write_bytes(b"")
    result = CliRunner().invoke(main, ["compare", str(sweep), str(a)])
    assert result.exit_code == 2 and "give one of its case folders" in result.output
    # A user's own file is never replaced.
    notes = tmp_path / "notes.html"
    notes.write_text("my notes", encoding="utf-8")
    mine = CliRunner().invoke(main, ["compare", str(a), str(a), "--out", str(notes)])
    assert mine.exit_code == 2 and "is not a report planner wrote" in mine.output
    assert notes.read_text(encoding="utf-8") == "my notes"


def test_default_name_is_from_both_runs() -> None:
    assert default_out(Path("runs/n"), Path("runs/n--carbon_price_cny_per_tco2=200")) == Path(
        "reports/compare-n--vs--n--carbon_price_cny_per_tco2=200.html"
    )
    case = default_out(Path("runs/sweep-n/cases/0003-1a2b3c4d"), Path("runs/n"))
    assert case.name == "compare-sweep-n-0003-1a2b3c4d--vs--n.html"
    long_a, long_b = Path("runs/" + "a" * 120), Path("runs/" + "b" * 120)
    name = default_out(long_a, long_b).name
    assert len(name.encode()) < 255 and name != default_out(long_a, Path("runs/" + "c" * 120))


@pytest.fixture
def project(tmp_path: Path):
    root = _project(tmp_path / "p")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(cwd)


def test_two_solved_runs_that_differ_in_one_set(project: Path) -> None:
    base = cli("solve", "models/m.yaml")
    assert base.exit_code == 0, base.output
    whatif = cli("solve", "models/m.yaml", "--set", "carbon_price_cny_per_tco2=200")
    assert whatif.exit_code == 0, whatif.output
    run_a, run_b = Path("runs/test"), Path("runs/test--carbon_price_cny_per_tco2=200")
    # A third run reads a data table with one price changed.
    shutil.copytree("data", "data2")
    grid = Path("data2/grid.csv")
    grid.write_text(grid.read_text(encoding="utf-8").replace(",600,", ",610,"), encoding="utf-8")
    Path("models/m2.yaml").write_text(
        Path("models/m.yaml").read_text(encoding="utf-8").replace("../data", "../data2"),
        encoding="utf-8",
    )
    other = cli("solve", "models/m2.yaml", "--out", "runs/other-data")
    assert other.exit_code == 0, other.output

    result = cli("compare", str(run_a), str(run_b))
    assert result.exit_code == 0, result.output
    out = Path("reports/compare-test--vs--test--carbon_price_cny_per_tco2=200.html")
    assert str(out) in result.output and out.is_file()
    page = out.read_text(encoding="utf-8")
    # The input difference: the key as set, nothing else.
    diff = input_differences(load_run(run_a), load_run(run_b))
    assert diff["model"] == [("carbon_price_cny_per_tco2", 0.0, 200.0)]
    assert diff["tables"] == [] and diff["time_slices"][0] == diff["time_slices"][1]
    # The objective's change is the difference of the two summaries' objectives.
    sa = json.loads((run_a / "summary.json").read_text(encoding="utf-8"))
    sb = json.loads((run_b / "summary.json").read_text(encoding="utf-8"))
    a, b, change = _values(_section(page, "targets"), "Objective (discounted total cost)")
    assert (a, b) == (sa["objective_cny"], sb["objective_cny"])
    assert change == pytest.approx(sb["objective_cny"] - sa["objective_cny"], rel=1e-12)
    assert change > 0
    # By component: the carbon price is paid in B only, and each year's changes add up
    # to the change of that year's total cost.
    costs = _section(page, "costs")
    for y in sa["years"]:
        y = str(y)
        a_carbon, b_carbon, _ = _values(costs, f"Carbon price {y}")
        assert a_carbon == 0 and b_carbon == pytest.approx(sb["per_year"][y]["cost_cny"]["carbon"])
        total = _values(_section(page, "targets"), f"Total cost {y}")[2]
        parts = [
            _values(costs, f"{label} {y}")[2]
            for label in re.findall(rf"<tr><th>([^<]*) {y}</th>", costs)
        ]
        assert sum(parts) == pytest.approx(total, rel=1e-9)
    # Emissions fall with a carbon price.
    em = _values(_section(page, "emissions"), "Total")
    assert em[2] < 0

    # The run on changed data: its fingerprint differs, for that table only.
    result = cli("compare", str(run_a), "runs/other-data", "--lang", "zh", "--out", "d.html")
    assert result.exit_code == 0, result.output
    diff = input_differences(load_run(run_a), load_run(Path("runs/other-data")))
    assert [f for f, _a, _b in diff["tables"]] == ["grid.csv"] and diff["model"] == []
    inputs = _section(Path("d.html").read_text(encoding="utf-8"), "inputs")
    assert "grid.csv" in inputs and diff["tables"][0][1][:12] in inputs
    assert diff["tables"][0][2][:12] in inputs


def test_comparison_in_chromium(chromium: str, tmp_path: Path) -> None:
    """At 1400 px both figures draw and no two of their labels overlap; the Chinese
    comparison's visible text holds no English beyond names and units."""
    a, b = _two_runs(tmp_path)
    for lang in ("en", "zh"):
        page = tmp_path / f"cmp_{lang}.html"
        page.write_text(render_compare(a, b, lang), encoding="utf-8")
        checks = run_checks(chromium, page, tmp_path, ("cmp_costs", "cmp_builds"))
        assert checks["figures"] == 2
        assert all(n >= 5 for n in checks["texts"].values()), checks["texts"]
        assert {k: v for k, v in checks["overlaps"].items() if v} == {}
        if lang == "zh":
            english = {w: n for w, n in checks["words"].items() if w not in ALLOWED_EN}
            assert english == {}
