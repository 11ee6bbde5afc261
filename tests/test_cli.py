"""CLI: what a user reads after a solve, and how the options are read."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from pydantic import ValidationError

from planner.cli import _parse_hours, _print_summary, data_timeslices
from planner.errors import InputError
from planner.model_file import TimeOptions


def _summary(status: str, gap: float | None) -> dict:
    return {
        "scenario": "s",
        "status": status,
        "objective_cny": 4.2e11,
        "mip_gap": gap,
        "per_year": {},
        "explanation": "All targets are met.",
        "timings_s": {},
    }


def test_a_time_limited_plan_shows_its_gap_and_an_optimal_one_does_not(capsys):
    _print_summary(_summary("time_limit", 0.00123), Path("run"))
    assert "s: time_limit, total discounted cost 420.0 bn CNY, within 0.123% of the best bound" in (
        capsys.readouterr().out
    )
    _print_summary(_summary("optimal", 0.0005), Path("run"))
    assert "best bound" not in capsys.readouterr().out


@pytest.mark.parametrize("days", [0, 1, 8, 365, 366])
def test_every_way_of_giving_the_days_accepts_the_same_numbers(days: int) -> None:
    # --hours N-days, planner data timeslices --days and time.representative_days share
    # planner.model_file.DAYS_RANGE: each accepts a number exactly when the others do.
    try:
        TimeOptions(representative_days=days)
        in_model = True
    except ValidationError:
        in_model = False
    try:
        in_hours = _parse_hours(f"{days}-days") == days
    except InputError:
        in_hours = False
    option = next(p for p in data_timeslices.params if p.name == "days_list")
    try:
        in_timeslices = option.type.convert(days, option, None) == days
    except click.BadParameter:
        in_timeslices = False
    assert in_model == in_hours == in_timeslices == (1 <= days <= 365)
