"""The model's answers against the published record (``planner validate``).

The shipped mission model is solved once per session (conftest ``national``); every
checked row of ``data/outcomes.csv`` and ``data/migration_cases.csv`` must be within its
tolerance, and the migration what-if is recomputed here by hand from the run folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHIPPED_DATA

from planner.cli import main
from planner.validate import migration_change, validation_table


@pytest.fixture(scope="module")
def table(national):
    results, summary = national
    return validation_table(results, summary, SHIPPED_DATA)


def _row(table, check: str):
    rows = table[table["check"] == check]
    assert len(rows) == 1, check
    return rows.iloc[0]


def test_end_2024_matches_the_record(table) -> None:
    """280 EFLOPS within 5 %, 90 EFLOPS intelligent within 10 %, 8.5-9.0 M racks."""
    total = _row(table, "total_eflops")
    assert total["model_year"] == 2024
    assert abs(total["model"] / 280.0 - 1) <= 0.05
    assert abs(_row(table, "intelligent_eflops")["model"] / 90.0 - 1) <= 0.10
    racks = _row(table, "racks_std")["model"]
    assert 8.5e6 * 0.95 <= racks <= 9.0e6 * 1.05


def test_fp16_figure_is_near_the_published_fp16_series(national) -> None:
    """The plan's end-2024 intelligent computing on the FP16 basis of official reporting
    is near IDC/Inspur's 725.3 EFLOPS (FP16) for 2024, the series the conversion is from."""
    _, summary = national
    fp16 = summary["per_year"]["2024"]["intelligent_eflops_fp16"]
    assert fp16 == pytest.approx(725.3, rel=0.05)


def test_every_checked_answer_is_within_its_tolerance(table) -> None:
    checked = table[table["within"].notna()]
    assert len(checked) >= 6
    outside = checked[~checked["within"].astype(bool)]
    assert outside.empty, outside[["check", "model", "published_low", "published_high"]]


def test_hub_sites_hold_less_than_the_hub_nodes(table) -> None:
    """The model's hub sites are the 10 clusters' start areas: less compute than the whole
    8 hub regions (175 EFLOPS, NDA); the row is shown, not checked."""
    row = _row(table, "hub_node_eflops")
    assert row["within"] is None or np.isnan(row["within"])
    assert 0 < row["model"] < 175.0


def test_electricity_is_what_the_calibration_documents(table) -> None:
    """data/README.md calibrates utilisation so that 2024 draws 140 TWh (S&P Global)."""
    assert _row(table, "electricity_twh")["model"] == pytest.approx(140.0, rel=0.01)


def test_migration_cases_have_the_published_sign_and_size(national, table) -> None:
    results, _ = national
    sichuan = _row(table, "migration: shanghai_to_sichuan")
    mongolia = _row(table, "migration: beijing_to_inner_mongolia")
    assert -0.85 < sichuan["model"] < -0.70
    assert 0.15 < mongolia["model"] < 0.30
    # by hand: the load's facility energy at each end, times the grid factor
    w = results["timestep_weight_h"].values
    shape = results["load_shape_frac"].sel(rack_class="general").values
    pue_o = results["pue"].sel(site="yrd_demo").values
    pue_d = results["pue"].sel(site="tianfu").values
    ef_d = results["grid_ef_tco2_per_mwh"].sel(site="tianfu", year=2024).values
    expected = (w * pue_d * shape * ef_d).sum() / ((w * pue_o * shape).sum() * 0.5849) - 1
    assert sichuan["model"] == pytest.approx(expected, rel=1e-9)
    # a load moved to where it started changes nothing (origin factor = the site's own)
    own = float(results["grid_ef_tco2_per_mwh"].sel(site="tianfu", year=2024).mean())
    assert migration_change(results, "tianfu", own, "tianfu") == pytest.approx(0.0, abs=1e-9)


def test_cli_validates_a_run_folder(national, tmp_path: Path) -> None:
    from planner.results import write_run

    results, summary = national
    run_dir = write_run(tmp_path / "run", results, summary, "scenario: national_2025\n")
    got = CliRunner().invoke(main, ["validate", str(run_dir), "--json"])
    assert got.exit_code == 0, got.output
    rows = json.loads(got.output)
    assert {r["check"] for r in rows} >= {"total_eflops", "migration: shanghai_to_sichuan"}
    text = CliRunner().invoke(main, ["validate", str(run_dir)])
    assert text.exit_code == 0, text.output
    assert "within their tolerance" in text.output


def test_cli_on_a_damaged_run_folder_is_one_paragraph(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "summary.json").write_text("{not json", encoding="utf-8")
    got = CliRunner().invoke(main, ["validate", str(run_dir)])
    assert got.exit_code == 2
    assert "summary.json" in got.output and "Traceback" not in got.output
