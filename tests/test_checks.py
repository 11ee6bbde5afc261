"""Input checks: the shipped data pass; each kind of bad input is reported with its place.

Every corruption test runs on the small fixture data set and, once data/ is complete, on a
copy of the shipped data; each asserts that one problem names the file, the line, the
column and a hint of what would be valid.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import (
    SHIPPED_DATA,
    SHIPPED_MODELS,
    read_csv,
    write_csv,
    write_model,
)

from planner import schema
from planner.errors import Problem
from planner.inputs.rules import RULES, check_rules
from planner.inputs.tables import check_profiles, read_tables
from planner.model_checks import check_all, check_model_files

# --------------------------------------------------------------------------- helpers


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell; ``line`` is the 1-based line number (first data row = 2)."""
    columns, rows = read_csv(path)
    rows[line - 2][column] = value
    write_csv(path, rows, columns)


def cell(path: Path, line: int, column: str) -> str:
    return read_csv(path)[1][line - 2][column]


def find(problems: list[Problem], file: str, row: int | None, column: str | None) -> Problem:
    """The problem at (file, row, column); fail listing all problems if there is none."""
    for p in problems:
        if Path(p.file).name == file and p.row == row and p.column == column:
            return p
    listed = "\n".join(map(str, problems)) or "(no problems)"
    pytest.fail(f"no problem at {file}, line {row}, column {column}; problems:\n{listed}")


# --------------------------------------------------------------------------- good data


def test_fixture_data_pass(fixture_data: Path) -> None:
    assert check_all(fixture_data) == []


def test_shipped_data_pass() -> None:
    problems = check_all(SHIPPED_DATA, SHIPPED_MODELS if SHIPPED_MODELS.is_dir() else None)
    assert problems == [], "\n".join(map(str, problems))


def test_tables_are_typed_with_line_index(fixture_data: Path) -> None:
    tables, problems = read_tables(fixture_data)
    assert problems == []
    assert set(tables) == set(schema.TABLES)
    grid = tables["grid"]
    assert grid.index.name == "line" and grid.index[0] == 2
    assert grid["year"].dtype == np.int64
    assert grid["electricity_price_cny_per_mwh"].dtype == np.float64
    assert tables["site_limits"]["new_build_allowed"].dtype == bool
    assert np.isinf(tables["services"]["max_latency_ms"]).any()  # inf allowed there


# --------------------------------------------------------------------------- bad data


def _drop_file(d: Path) -> tuple:
    (d / "grid.csv").unlink()
    return "grid.csv", None, None, "columns: site, year"


def _drop_column(d: Path) -> tuple:
    columns, rows = read_csv(d / "site_limits.csv")
    columns.remove("grid_limit_mw")
    write_csv(d / "site_limits.csv", [{c: r[c] for c in columns} for r in rows], columns)
    return "site_limits.csv", 1, "grid_limit_mw", "header must name"


def _unknown_column(d: Path) -> tuple:
    columns, rows = read_csv(d / "sites.csv")
    for r in rows:
        r["altitude_m"] = "100"
    write_csv(d / "sites.csv", rows, [*columns, "altitude_m"])
    return "sites.csv", 1, "altitude_m", "the columns of sites.csv are"


def _not_a_number(d: Path) -> tuple:
    set_cell(d / "grid.csv", 3, "electricity_price_cny_per_mwh", "abc")
    return "grid.csv", 3, "electricity_price_cny_per_mwh", "'abc' is not a number"


def _empty_cell(d: Path) -> tuple:
    set_cell(d / "sites.csv", 2, "province", "")
    return "sites.csv", 2, "province", "empty cell; give a province"


def _nan(d: Path) -> tuple:
    set_cell(d / "climate.csv", 4, "temp_mean_c", "NaN")
    return "climate.csv", 4, "temp_mean_c", "write a number"


def _negative(d: Path) -> tuple:
    set_cell(d / "site_limits.csv", 2, "rack_limit_std", "-5")
    return "site_limits.csv", 2, "rack_limit_std", "must not be negative; give rack_limit_std >= 0"


def _fraction(d: Path) -> tuple:
    set_cell(d / "sites.csv", 3, "occupancy_min_frac", "1.5")
    return "sites.csv", 3, "occupancy_min_frac", "a fraction must be in [0, 1]"


def _unknown_site(d: Path) -> tuple:
    set_cell(d / "latency.csv", 2, "site", "atlantis")
    sites = [r["site"] for r in read_csv(d / "sites.csv")[1]]
    return "latency.csv", 2, "site", f"unknown site 'atlantis'; known sites: {sites[0]}, {sites[1]}"


def _unknown_hub(d: Path) -> tuple:
    set_cell(d / "sites.csv", 2, "hub", "moon")
    hubs = [r["hub"] for r in read_csv(d / "hubs.csv")[1]]
    return "sites.csv", 2, "hub", f"unknown hub 'moon'; known hubs: {hubs[0]}, {hubs[1]}"


def _duplicate_key(d: Path) -> tuple:
    columns, rows = read_csv(d / "site_energy.csv")
    write_csv(d / "site_energy.csv", [*rows, rows[0]], columns)
    last = len(rows) + 2
    return "site_energy.csv", last, "site", f"lines 2 and {last} have the same key"


def _unknown_source(d: Path) -> tuple:
    set_cell(d / "hubs.csv", 2, "source", cell(d / "hubs.csv", 2, "source") + ";nobody_2099")
    return "hubs.csv", 2, "source", "unknown source_id 'nobody_2099'; add it to sources.csv"


def _bad_confidence(d: Path) -> tuple:
    set_cell(d / "tou.csv", 5, "confidence", "sure")
    return "tou.csv", 5, "confidence", "not one of: high, medium, low, assumption"


def _bad_bool(d: Path) -> tuple:
    set_cell(d / "site_limits.csv", 2, "new_build_allowed", "yes")
    return "site_limits.csv", 2, "new_build_allowed", "write true or false"


def _bad_int(d: Path) -> tuple:
    set_cell(d / "grid.csv", 2, "year", "2024.5")
    return "grid.csv", 2, "year", "not a whole number"


def _inf(d: Path) -> tuple:
    set_cell(d / "latency.csv", 2, "latency_ms", "inf")
    return "latency.csv", 2, "latency_ms", "finite"


def _pue_order(d: Path) -> tuple:
    set_cell(d / "site_energy.csv", 2, "pue_min", "1.9")
    return "site_energy.csv", 2, "pue_min", "pue_min must be <= pue_ceiling"


def _param_unit(d: Path) -> tuple:
    rows = read_csv(d / "params.csv")[1]
    line = 2 + next(i for i, r in enumerate(rows) if r["parameter"] == "discount_rate_frac")
    set_cell(d / "params.csv", line, "unit", "%")
    return "params.csv", line, "unit", "write '1'"


def _missing_param(d: Path) -> tuple:
    columns, rows = read_csv(d / "params.csv")
    rows = [r for r in rows if r["parameter"] != "pue_slope_per_c"]
    write_csv(d / "params.csv", rows, columns)
    return "params.csv", None, "parameter", "pue_slope_per_c [1/degC]"


def _missing_grid_year(d: Path) -> tuple:
    columns, rows = read_csv(d / "grid.csv")
    rows = [r for r in rows if r["year"] != "2025"]
    write_csv(d / "grid.csv", rows, columns)
    return "grid.csv", None, "year", "no row for year 2025 at sites"


def _missing_tou_hour(d: Path) -> tuple:
    columns, rows = read_csv(d / "tou.csv")
    write_csv(d / "tou.csv", rows[1:], columns)
    return "tou.csv", None, "hour_of_day", "give hours 0-23"


def _ragged_row(d: Path) -> tuple:
    path = d / "regions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "regions.csv", 3, None, "check for a missing or extra comma"


CASES: dict[str, Callable[[Path], tuple]] = {
    "missing file": _drop_file,
    "missing column": _drop_column,
    "unknown column": _unknown_column,
    "non-numeric value": _not_a_number,
    "empty cell": _empty_cell,
    "NaN": _nan,
    "negative capacity": _negative,
    "fraction > 1": _fraction,
    "unknown site": _unknown_site,
    "unknown hub": _unknown_hub,
    "duplicate key": _duplicate_key,
    "unknown source id": _unknown_source,
    "bad confidence": _bad_confidence,
    "bad bool": _bad_bool,
    "bad int": _bad_int,
    "inf not allowed": _inf,
    "pue_min above ceiling": _pue_order,
    "param with wrong unit": _param_unit,
    "missing param": _missing_param,
    "grid year missing": _missing_grid_year,
    "tou hour missing": _missing_tou_hour,
    "ragged row": _ragged_row,
}


@pytest.mark.parametrize("corrupt", CASES.values(), ids=CASES.keys())
def test_bad_table_is_reported(any_data: Path, corrupt: Callable[[Path], tuple]) -> None:
    file, row, column, hint = corrupt(any_data)
    problems = check_all(any_data, years=[2024, 2025])
    problem = find(problems, file, row, column)
    assert hint in problem.message, str(problem)


def test_several_problems_at_once(any_data: Path) -> None:
    expected = [
        _not_a_number(any_data),
        _negative(any_data),
        _unknown_hub(any_data),
        _missing_tou_hour(any_data),
    ]
    (any_data / "technologies.csv").unlink()
    expected.append(("technologies.csv", None, None, "the file is missing"))
    problems = check_all(any_data)
    for file, row, column, hint in expected:
        assert hint in find(problems, file, row, column).message


def test_problem_renders_place(fixture_data: Path) -> None:
    _negative(fixture_data)
    (problem,) = read_tables(fixture_data)[1]
    assert str(problem).startswith("site_limits.csv, line 2, column 'rack_limit_std': '-5'")


def test_consistency_needs_every_site(fixture_data: Path) -> None:
    tables, _ = read_tables(fixture_data)
    tables["site_limits"] = tables["site_limits"].iloc[1:]
    problem = find(check_rules(tables), "site_limits.csv", None, "site")
    assert "s_east" in problem.message


def test_rules_are_named_and_documented() -> None:
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    for rule in RULES:
        assert rule.doc, f"{rule.name} has no docstring naming the rule"
        assert set(rule.needs) <= set(schema.TABLES), rule.name


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_a_rule_reads_only_the_tables_it_needs(fixture_data: Path, rule) -> None:
    # A rule runs when the tables its Rule names are clean; one that read another table
    # would fail when that table had a problem (and the reader left it out).
    tables, _ = read_tables(fixture_data)
    assert rule.check({name: tables[name] for name in rule.needs}) == []
    for name in rule.needs:  # without one of them the rule is skipped
        assert check_rules({k: v for k, v in tables.items() if k != name}) == []


# --------------------------------------------------------------------------- profiles


def _sites(d: Path) -> list[str]:
    return [r["site"] for r in read_csv(d / "sites.csv")[1]]


def test_profile_wrong_length(any_data: Path) -> None:
    path = any_data / "profiles.nc"
    short = xr.load_dataset(path).isel(hour=slice(0, 100))
    short.to_netcdf(path, engine="netcdf4")
    problem = find(check_profiles(path, _sites(any_data)), "profiles.nc", None, "solar_cf")
    assert "has 100 hours; it must have 8760" in problem.message


def test_profile_missing_file_says_how_to_make_it(fixture_data: Path) -> None:
    (fixture_data / "profiles.nc").unlink()
    (problem,) = check_profiles(fixture_data / "profiles.nc", _sites(fixture_data))
    assert "planner data profiles" in problem.message


def test_profile_unreadable(fixture_data: Path) -> None:
    (fixture_data / "profiles.nc").write_text("not netcdf")
    (problem,) = check_profiles(fixture_data / "profiles.nc", _sites(fixture_data))
    assert "cannot be read" in problem.message and "planner data profiles" in problem.message


@pytest.mark.parametrize(
    ("change", "column", "hint"),
    [
        ("nan", "wind_cf", "NaN values (first: site"),
        ("range", "solar_cf", "a fraction must be in [0, 1]"),
        ("drop_var", "hydro_availability_frac", "is missing"),
        ("drop_site", "temperature_c", "has no profile for sites"),
        ("dims", "solar_cf", "dims (site, hour)"),
    ],
)
def test_profile_problems(fixture_data: Path, change: str, column: str, hint: str) -> None:
    path = fixture_data / "profiles.nc"
    ds = xr.load_dataset(path)
    if change == "nan":
        ds["wind_cf"][1, 5] = np.nan
    elif change == "range":
        ds["solar_cf"][0, 12] = 1.2
    elif change == "drop_var":
        ds = ds.drop_vars("hydro_availability_frac")
    elif change == "drop_site":
        ds = ds.isel(site=[0, 1])
    elif change == "dims":
        ds["solar_cf"] = ds["solar_cf"].isel(site=0)
    ds.to_netcdf(path, engine="netcdf4")
    problem = find(check_profiles(path, _sites(fixture_data)), "profiles.nc", None, column)
    assert hint in problem.message


# --------------------------------------------------------------------------- model files


def test_model_unknown_key(fixture_data: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_model(models / "bad.yaml", fixture_data, "carbon_pirce_cny_per_t: 100\n")
    problem = find(check_model_files(models), "bad.yaml", 4, "carbon_pirce_cny_per_t")
    assert "is not a known key" in problem.message


def test_model_wrong_value(fixture_data: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    extra = "target:\n  intelligent_share: {2025: 1.5}\n"
    write_model(models / "bad.yaml", fixture_data, extra)
    problem = find(check_model_files(models), "bad.yaml", 5, "target.intelligent_share.2025")
    assert "give a number in [0, 1]" in problem.message


def test_model_years_not_covered(fixture_data: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    path = models / "far.yaml"
    path.parent.mkdir()
    path.write_text(f"scenario: far\ndata_dir: {fixture_data}\nyears: [2024, 2030]\n")
    problem = find(check_model_files(models), "far.yaml", None, "years")
    assert "asks for 2030" in problem.message and "years the data cover: 2024, 2025" in (
        problem.message
    )


def test_model_target_overrides_cover_missing_targets(fixture_data: Path, tmp_path: Path) -> None:
    columns, rows = read_csv(fixture_data / "targets.csv")
    write_csv(fixture_data / "targets.csv", [r for r in rows if r["year"] != "2025"], columns)
    models = tmp_path / "models"
    extra = (
        "target:\n  total_eflops: {2025: 50}\n  intelligent_share: {2025: 0.4}\n"
        "  green_share_new_hub: {2025: 0.8}\n"
    )
    write_model(models / "ok.yaml", fixture_data, extra)
    assert check_model_files(models) == []
    write_model(models / "ok.yaml", fixture_data, "target:\n  total_eflops: {2025: 50}\n")
    problem = find(check_model_files(models), "ok.yaml", None, "years")
    assert "intelligent_share, green_share_new_hub" in problem.message


def test_model_years_not_after_the_base_year(fixture_data: Path, tmp_path: Path) -> None:
    # The same rule as load_inputs' (planner.inputs.rules.plan_years_after_base_year),
    # blamed on the model file.
    models = tmp_path / "models"
    path = models / "old.yaml"
    path.parent.mkdir()
    path.write_text(f"scenario: old\ndata_dir: {fixture_data}\nyears: [2023, 2024]\n")
    problems = [p for p in check_model_files(models) if "base year" in p.message]
    (problem,) = problems
    assert (Path(problem.file).name, problem.column) == ("old.yaml", "years")
    assert "years 2023 are not after the base year 2023 (params.csv)" in problem.message


def test_model_files_in_check_all(fixture_data: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_model(models / "good.yaml", fixture_data)
    write_model(models / "bad.yaml", fixture_data, "years_extra: 1\n")
    problems = check_all(fixture_data, models)
    assert [Path(p.file).name for p in problems] == ["bad.yaml"]


def test_shipped_model_files_parse() -> None:
    if not any(SHIPPED_MODELS.glob("*.yaml")):
        pytest.skip("models/ has no model files yet")
    problems = check_model_files(SHIPPED_MODELS)
    # Year coverage needs complete data; parsing problems must never appear.
    parse = [p for p in problems if p.column != "years"]
    assert parse == [], "\n".join(map(str, parse))


def test_same_problem_on_many_lines_is_one(fixture_data: Path) -> None:
    columns, rows = read_csv(fixture_data / "tou.csv")
    for r in rows:
        r["source"] = "gone_2020"
    write_csv(fixture_data / "tou.csv", rows, columns)
    problems = read_tables(fixture_data)[1]
    (problem,) = problems
    assert (problem.file, problem.row, problem.column) == ("tou.csv", 2, "source")
    assert f"the same on {len(rows) - 1} more lines: 3, 4, 5" in problem.message


# --------------------------------------------------------------------------- issue 13


@pytest.mark.parametrize(
    ("file", "column", "value"),
    [
        ("calibration.csv", "year", "-3"),
        ("calibration.csv", "year", "99999"),
        ("stock.csv", "vintage", "-3"),
        ("stock.csv", "vintage", "1066"),
        ("targets.csv", "year", "-5"),
        ("grid.csv", "year", "20250"),
    ],
)
def test_years_out_of_range_are_refused_in_the_file_that_has_them(
    fixture_data: Path, file: str, column: str, value: str
) -> None:
    set_cell(fixture_data / file, 2, column, value)
    problems = check_all(fixture_data)
    problem = find(problems, file, 2, column)
    assert "[1900, 2200]" in problem.message
    # a bad year in targets.csv is not blamed on the tables that lack that year
    assert all(Path(p.file).name == file for p in problems), "\n".join(map(str, problems))


def test_a_missing_data_folder_is_one_problem(tmp_path: Path) -> None:
    problems = check_all(tmp_path / "nowhere", tmp_path / "models")
    (problem,) = problems
    assert "the data folder does not exist" in problem.message
    assert read_tables(tmp_path / "nowhere")[1] == problems
