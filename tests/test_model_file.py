"""Model files: validation, overrides, run options, errors naming the key and what is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InputError
from planner.model_file import (
    OPEN_BELOW,
    RANGES,
    apply_overrides,
    load_model,
    parse_model,
    resolved_yaml,
    with_options,
)

MODELS = Path(__file__).resolve().parents[1] / "models"


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_models_are_valid(path: Path) -> None:
    model, data_dir = load_model(path)
    assert model.scenario == path.stem
    assert data_dir == (MODELS.parent / "data").resolve()


def test_mission_model_holds_the_national_targets() -> None:
    model, _ = load_model(MODELS / "national_2025.yaml")
    assert model.target.total_eflops[2025] == 300
    assert model.target.intelligent_share[2025] == 0.35
    assert model.target.green_share_new_hub[2025] == 0.80


def test_overrides_set_nested_year_keys_as_integers() -> None:
    model, _ = load_model(
        MODELS / "national_2025.yaml",
        ["target.total_eflops.2025=320", "carbon_price_cny_per_tco2=100", "price_scale.east=1.3"],
    )
    # 2024 is history: its targets come from data/targets.csv, not the model file
    assert model.target.total_eflops == {2025: 320.0}
    assert model.carbon_price_cny_per_tco2 == 100.0
    assert model.price_scale["east"] == 1.3


def test_unknown_key_and_bad_value_are_reported_together() -> None:
    with pytest.raises(InputError) as err:
        load_model(MODELS / "national_2025.yaml", ["target.foo=1", "solver.mip_gap=2"])
    text = err.value.render()
    assert len(err.value.problems) == 2
    assert "target.foo is not a known key" in text
    assert "solver.mip_gap" in text and "less than or equal to 1" in text


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"years": [2025]}, "scenario is required"),
        ({"scenario": "x", "years": [2025, 2024]}, "increasing order"),
        (
            {"scenario": "x", "years": [2025], "target": {"intelligent_share": {2025: 1.5}}},
            "[0, 1]",
        ),
        ({"scenario": "x", "years": [2025], "target": {"total_eflops": {2025: -1}}}, "negative"),
        (
            {"scenario": "x", "years": [2025], "carbon_price_cny_per_tco2": -5},
            "greater than or equal",
        ),
        ({"scenario": "x", "years": [2025], "time": {"representative_days": 0}}, "1 to 365"),
    ],
)
def test_bad_values_name_the_key(raw: dict, needle: str) -> None:
    with pytest.raises(InputError) as err:
        parse_model(raw, "m.yaml")
    assert needle in err.value.render()
    assert "m.yaml" in err.value.render()


def test_malformed_override_is_an_input_error() -> None:
    with pytest.raises(InputError, match="KEY=VALUE"):
        apply_overrides({}, ["no-equals-sign"], "m.yaml")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: x\nyears: [2025\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_model(bad)
    assert "not valid YAML" in err.value.render()
    assert err.value.problems[0].row is not None


def test_resolved_yaml_round_trips() -> None:
    import yaml

    model, _ = load_model(MODELS / "green_24x7.yaml")
    again = parse_model(yaml.safe_load(resolved_yaml(model)), "resolved")
    assert again == model


# --------------------------------------------------------------------------- issue 13


def _override(range_key: str, value: str) -> str:
    """``KEY=VALUE`` for a dotted key of RANGES, its ``*`` filled with a valid year or name."""
    if range_key == "years.*":
        return f"years=[2024, {value}]"
    fill = {
        "price_scale": "east",
        "capex_scale": "general",
        "demand_scale": "general",
        "penalty": "green_cny_per_mwh",
    }
    head, _, last = range_key.rpartition(".")
    key = f"{head}.{fill.get(head, '2025')}" if last == "*" else range_key
    return f"{key}={value}"


@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf", "1e300", "-1e300"])
@pytest.mark.parametrize("range_key", sorted(RANGES))
def test_every_number_is_finite_and_in_its_documented_range(range_key: str, bad: str) -> None:
    unit = RANGES[range_key][2]
    with pytest.raises(InputError) as err:
        load_model(MODELS / "national_2025.yaml", [_override(range_key, bad)])
    (problem,) = err.value.problems
    assert problem.file == "--set"  # blamed on the option, not on the model file
    left = "(" if range_key in OPEN_BELOW else "["
    assert f"in {left}" in problem.message and f"({unit})" in problem.message


@pytest.mark.parametrize("range_key", sorted(RANGES))
def test_the_ends_of_each_range_are_accepted(range_key: str) -> None:
    lo, hi, _unit = RANGES[range_key]
    if range_key == "years.*":
        return  # which years a run may have is the data's to say (planner data check)
    for end in [hi] if range_key in OPEN_BELOW else [lo, hi]:
        value = int(end) if range_key == "solver.threads" else end
        load_model(MODELS / "national_2025.yaml", [_override(range_key, repr(value))])


def test_a_year_key_out_of_range_is_refused() -> None:
    with pytest.raises(InputError) as err:
        load_model(MODELS / "national_2025.yaml", ["target.total_eflops.99999=3"])
    assert "99999 is not a year in [1900, 2200]" in err.value.render()


@pytest.mark.parametrize("name", ["national_2025", "east-price.shock", "全国_2025", "A1"])
def test_safe_scenario_names_are_accepted(name: str) -> None:
    assert parse_model({"scenario": name, "years": [2025]}, "m.yaml").scenario == name


@pytest.mark.parametrize(
    "name",
    ["..", ".", "../x", "../../x", "/abs", "a/b", "a\\b", ".hidden", "x.", "grid[/bold] test",
     "-rf", "a b", "x" * 121],
)  # fmt: skip
def test_unsafe_scenario_names_are_refused(name: str) -> None:
    with pytest.raises(InputError) as err:
        parse_model({"scenario": name, "years": [2025]}, "m.yaml")
    assert err.value.problems[0].column == "scenario"


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("scenario: a\nyears: [2025]\ntarget:\n  total_eflops: {2025: 1, 2025: 2}\n")
    with pytest.raises(InputError) as err:
        load_model(path)
    (problem,) = err.value.problems
    assert problem.row == 4 and problem.column == "2025" and "twice (line 4)" in problem.message
    path.write_text("scenario: a\nyears: [2025]\nscenario: b\n")
    with pytest.raises(InputError, match="given twice"):
        load_model(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "latin-1", "gbk"])
def test_a_model_file_that_is_not_utf8_is_one_problem(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(
        "scenario: a\ndescription: Übersicht 全国\nyears: [2025]\n".encode(
            encoding, errors="ignore"
        )
    )
    with pytest.raises(InputError) as err:
        load_model(path)
    (problem,) = err.value.problems
    assert problem.file == str(path) and "UTF-8" in problem.message


def test_a_utf8_model_file_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    text = f"scenario: a\ndata_dir: {MODELS.parent / 'data'}\nyears: [2025]\n"
    path.write_bytes(text.encode("utf-8-sig"))
    assert load_model(path)[0].scenario == "a"


def test_a_missing_data_dir_is_one_problem_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("scenario: a\ndata_dir: nowhere\nyears: [2025]\n")
    with pytest.raises(InputError) as err:
        load_model(path)
    (problem,) = err.value.problems
    assert problem.column == "data_dir" and "does not exist" in problem.message


# --------------------------------------------------------------------------- run options


@pytest.mark.parametrize(
    ("options", "texts"),
    [
        ({"days": 2}, ["time.representative_days=2"]),
        ({"days": "full"}, ["time.representative_days=full"]),
        (
            {"time_limit_s": 1e-6, "mip_gap": 1e-5, "threads": 4, "solver_log": True},
            ["solver.time_limit_s=1e-06", "solver.mip_gap=1e-05", "solver.threads=4",
             "solver.log=True"],
        ),
    ],
)  # fmt: skip
def test_run_options_set_what_the_same_text_overrides_did(options: dict, texts: list) -> None:
    # What run_model used to pass on as text: the same model, down to the hash the run
    # records (results.attrs["model_sha256"] is taken over model_dump_json()).
    typed, _ = load_model(MODELS / "national_2025.yaml", options=options)
    text, _ = load_model(MODELS / "national_2025.yaml", texts)
    assert typed == text and typed.model_dump_json() == text.model_dump_json()


@pytest.mark.parametrize(
    ("option", "value", "label"),
    [
        ("days", 0, "--hours"),
        ("days", 366, "--hours"),
        ("time_limit_s", 0.0, "--time-limit"),
        ("mip_gap", float("nan"), "--gap"),
        ("threads", 65, "--threads"),
    ],
)
def test_a_run_option_out_of_range_is_blamed_on_its_option(option, value, label) -> None:
    model, _ = load_model(MODELS / "national_2025.yaml")
    with pytest.raises(InputError) as err:
        with_options(model, "m.yaml", **{option: value})
    (problem,) = err.value.problems
    assert problem.file == label, str(problem)


def test_no_run_option_leaves_the_model_as_it_is() -> None:
    model, _ = load_model(MODELS / "national_2025.yaml")
    assert with_options(model, days=None, threads=None) is model
    with pytest.raises(TypeError, match="hours"):
        with_options(model, hours=8)


def test_run_model_passes_the_run_options_on_typed(monkeypatch) -> None:
    import planner.model_file
    import planner.run

    texts: list[list[str]] = []
    real = planner.model_file.apply_overrides

    def spy(raw, overrides, file, **kwargs):
        texts.append(list(overrides))
        return real(raw, overrides, file, **kwargs)

    monkeypatch.setattr(planner.model_file, "apply_overrides", spy)
    monkeypatch.setattr(planner.run, "solve_model", lambda model, data_dir, **kw: model)
    model = planner.run.run_model(
        MODELS / "national_2025.yaml",
        ["carbon_price_cny_per_tco2=5"],
        days=2,
        time_limit_s=30.0,
        mip_gap=0.01,
        threads=2,
        solver_log=False,
    )
    assert texts == [["carbon_price_cny_per_tco2=5"]]  # only --set is text
    assert model.carbon_price_cny_per_tco2 == 5
    assert model.time.representative_days == 2
    solver = model.solver
    assert (solver.time_limit_s, solver.mip_gap, solver.threads, solver.log) == (
        30.0, 0.01, 2, False,
    )  # fmt: skip


def test_the_old_carbon_price_key_still_works_with_a_deprecation_message(tmp_path, caplog):
    data = MODELS.parent / "data"
    old = tmp_path / "old.yaml"
    old.write_text(
        f"scenario: old\ndata_dir: {data}\nyears: [2024, 2025]\ncarbon_price_cny_per_t: 150\n",
        encoding="utf-8",
    )
    with caplog.at_level("WARNING"):
        model, _ = load_model(old)
    assert model.carbon_price_cny_per_tco2 == 150.0
    assert "carbon_price_cny_per_t is deprecated" in caplog.text
    assert "carbon_price_cny_per_tco2" in caplog.text
    # on the command line too, and it overrides the new key in the file
    model, _ = load_model(MODELS / "national_2025.yaml", ["carbon_price_cny_per_t=80"])
    assert model.carbon_price_cny_per_tco2 == 80.0
    both = tmp_path / "both.yaml"
    both.write_text(
        old.read_text(encoding="utf-8") + "carbon_price_cny_per_tco2: 100\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="same setting"):
        load_model(both)


def test_keys_lists_every_model_file_key_and_a_misspelt_set_gets_a_suggestion() -> None:
    from click.testing import CliRunner

    from planner.cli import main
    from planner.model_file import settable_keys

    keys = {k.key for k in settable_keys()}
    # every top-level field of the model file and every section's fields are listed
    expected = {
        "carbon_price_cny_per_tco2",
        "target.total_eflops.<year>",
        "price_scale.<east|west>",
        "solver.mip_gap",
        "penalty.occupancy_cny_per_eflops",
        "time.representative_days",
        "demand_scale.<general|intelligent|supercomputing>",
    }
    assert expected <= keys
    got = CliRunner().invoke(main, ["keys", "--json"])
    assert got.exit_code == 0 and "carbon_price_cny_per_tco2" in got.output
    with pytest.raises(InputError) as err:
        load_model(MODELS / "national_2025.yaml", ["carbon_prise_cny_per_tco2=100"])
    text = err.value.render()
    assert "--set" in text and "did you mean carbon_price_cny_per_tco2" in text


def test_a_set_for_a_year_that_is_not_a_plan_year_is_refused() -> None:
    with pytest.raises(InputError) as err:
        load_model(MODELS / "national_2025.yaml", ["target.total_eflops.2026=400"])
    text = err.value.render()
    assert "--set" in text and "2026 is not a plan year" in text
    # a plan year is fine
    model, _ = load_model(MODELS / "national_2025.yaml", ["target.total_eflops.2025=310"])
    assert model.target.total_eflops[2025] == 310
