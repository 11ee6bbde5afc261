"""Model files: validation, overrides, and errors that name the key and what is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InputError
from planner.model_file import apply_overrides, load_model, parse_model, resolved_yaml

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
        ["target.total_eflops.2025=320", "carbon_price_cny_per_t=100", "price_scale.east=1.3"],
    )
    # 2024 is history: its targets come from data/targets.csv, not the model file
    assert model.target.total_eflops == {2025: 320.0}
    assert model.carbon_price_cny_per_t == 100.0
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
        ({"scenario": "x", "years": [2025], "carbon_price_cny_per_t": -5}, "greater than or equal"),
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
