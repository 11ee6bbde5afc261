"""CLI output: what a user reads after a solve."""

from __future__ import annotations

from pathlib import Path

from planner.cli import _print_summary


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
