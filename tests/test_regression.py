"""Regression values of the shipped models: size of each model, objective of the mission.

A change to any of these numbers must be deliberate: update the value and say why in a
comment beside it (date, what changed), so a reviewer can tell a fix from an accident.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyomo.environ as pyo
import pytest

from planner.formulation.build import FormulationOptions, build_model
from planner.inputs.load import load_inputs
from planner.inputs.timeslices import select_timesteps
from planner.model_file import load_model

MODELS = Path(__file__).resolve().parents[1] / "models"

# (variables, integer variables, active constraints) at each model's default time slices.
SIZES = {
    # 2026-11-25: first recorded (8 representative days; battery site limit included).
    # 2026-12-01: +66 variables and +66 rows, the occupancy rule (idle_stock_eflops and
    # occupancy_rule for 11 sites x 3 classes x 2 years); +4 rows, `outside` may build
    # (rack and build-rate limits in 2024 and 2025).
    "national_2025": (23854, 66, 18874),
    # 2026-11-25: first recorded; the hourly-matched rows add 3,856 variables and
    # 7,696 constraints to the mission model.
    # 2026-12-01: the mission model's changes, and the hourly-matched target only in 2025
    # (2024 is history): 1,928 variables and 3,848 constraints added to it.
    "green_24x7": (25782, 66, 22722),
    # 2026-11-25: first recorded; price and carbon settings change no structure.
    # 2026-12-01: as national_2025.
    "east_price_shock": (23854, 66, 18874),
}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_model_size(name: str) -> None:
    model, data_dir = load_model(MODELS / f"{name}.yaml")
    sliced = select_timesteps(load_inputs(model, data_dir), model.time.representative_days)
    m = build_model(sliced, FormulationOptions.from_model_file(model))
    variables = list(m.component_data_objects(pyo.Var))
    n_int = sum(1 for v in variables if v.is_integer())
    n_con = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    assert (len(variables), n_int, n_con) == SIZES[name]


# --------------------------------------------------------------------- the stored run

REFERENCE = Path(__file__).resolve().parent / "data" / "national_2025_reference.json"
# The shipped mission model's answer, stored: objective, headline figures and cost
# components by year, and every build. Regenerate with
# `python tests/test_regression.py` after a deliberate change, and say here why:
# 2026-12-01: first stored (issue 11: occupancy rule, 2024 as the record, sourced build
#   rates, demand from the record, MERRA-2 solar); objective 404.99 bn CNY.


def fingerprint(results, summary) -> dict:
    """What must not change by accident: the objective, the headline figures, the builds."""
    keys = ("total_eflops", "intelligent_eflops", "racks_total_std", "emissions_tco2",
            "energy_mwh", "green_share", "cost_cny")  # fmt: skip
    racks = results["racks_new_std"].to_series()
    return {
        "objective_cny": summary["objective_cny"],
        "per_year": {y: {k: row[k] for k in keys} for y, row in summary["per_year"].items()},
        "racks_new": {"/".join(map(str, k)): float(v) for k, v in racks.items() if v > 0},
    }


def test_shipped_plan_matches_the_stored_run(national) -> None:
    results, summary = national
    got = fingerprint(results, summary)
    want = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert got["objective_cny"] == pytest.approx(want["objective_cny"], rel=1e-9)
    assert got["racks_new"] == want["racks_new"]
    for year, row in want["per_year"].items():
        for key, value in row.items():
            if isinstance(value, dict):
                for k, v in value.items():
                    assert got["per_year"][year][key][k] == pytest.approx(v, rel=1e-6, abs=1.0)
            else:
                assert got["per_year"][year][key] == pytest.approx(value, rel=1e-9), key


if __name__ == "__main__":
    from planner.run import run_model

    run = run_model(MODELS / "national_2025.yaml")
    REFERENCE.write_text(
        json.dumps(fingerprint(run.results, run.summary), indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {REFERENCE}")
