"""The sweep's progress tells time, a resumed sweep says what it kept, and its results
table fits an 80-column terminal."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import xarray as xr
from rich.console import Console

from planner import sweep_cli


def test_time_left_is_estimated_after_the_first_case() -> None:
    assert sweep_cli.time_left(None, 0, 6) == "left: after case 1"
    assert sweep_cli.time_left(12.0, 0, 6) == "left: after case 1"
    # 40 s for the first case, five to go: 200 s.
    assert sweep_cli.time_left(40.0, 1, 6) == "left ~0:03:20"
    assert sweep_cli.time_left(7300.0, 1, 2) == "left ~2:01:40"
    assert sweep_cli.time_left(100.0, 6, 6) == "done"


def _bar(width: int) -> tuple[sweep_cli._Bar, io.StringIO]:
    buf = io.StringIO()
    bar = sweep_cli._Bar("sweep 240 cases")
    bar.progress = type(bar.progress)(
        *bar.progress.columns,
        console=Console(file=buf, width=width, force_terminal=False),
        transient=False,
        expand=True,
    )
    return bar, buf


def test_a_resumed_sweep_shows_the_cases_already_done() -> None:
    bar, buf = _bar(100)
    hooks = bar.hooks()
    with bar.progress:
        hooks.on_start(2, 3, 1)  # 2 to run, 4 kept (1 failed)
        task = bar.progress.tasks[0]
        # The bar starts at the 4 cases kept, and times only the cases this run solves.
        assert (task.completed, task.total) == (4, 6)
        column = sweep_cli._TimeLeft()
        assert column.render(task).plain == "left: after case 1"
        # A case given without a solve (the frontier's end reused) is not timed either.
        hooks.on_case(None, {"ok": True, "same_as": "anchors/cases/0000-ab", "elapsed_s": 0.0})
        assert task.completed == 5 and column.render(task).plain == "left: after case 1"
        hooks.on_case(None, {"ok": True, "elapsed_s": 3.0})
        assert column.render(task).plain == "done"
    text = buf.getvalue()
    assert "sweep 240 cases: resuming; 4 finished cases kept (1 failed), 2 to run." in text
    assert "6/6" in text and "failed 1" in text


def test_the_progress_line_fits_80_columns() -> None:
    bar, buf = _bar(80)
    hooks = bar.hooks()
    with bar.progress:
        hooks.on_start(240, 0, 0)
        hooks.on_case(None, {"ok": False})
    lines = [line for line in buf.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1 and len(lines[0]) <= 80, lines
    assert "1/240" in lines[0] and "failed 1" in lines[0] and "left ~" in lines[0]


def _sweep() -> xr.Dataset:
    caps = np.array([62.7e6, 64.2e6, 65.7e6, 67.2e6])
    return xr.Dataset(
        {
            "status": ("case", np.array(["optimal"] * 3 + ["time_limit"])),
            "failed": ("case", np.array([False, False, False, True])),
            "reason": ("case", np.array(["", "", "", "HiGHS stopped at the time limit"])),
            "objective_cny": ("case", [409.1e9, 405.9e9, 1205.2e9, np.nan]),
            "total_eflops": (("case", "year"), np.full((4, 2), 306.1)),
            "intelligent_share": (("case", "year"), np.full((4, 2), 0.35)),
            "emissions_tco2": (("case", "year"), np.stack([caps, caps]).T),
        },
        coords={
            "case": [f"{i:04d}-1234abcd" for i in range(4)],
            "year": [2024, 2025],
            "carbon_cap_tco2.2024": ("case", caps),
            "carbon_cap_tco2.2025": ("case", caps - 5e5),
            "target.intelligent_share.2025": ("case", [0.35, 0.4, 0.45, 0.5]),
            "cap_frac": ("case", [0.0, 1 / 3, 2 / 3, 1.0]),
        },
    )


def test_the_results_table_fits_80_columns(monkeypatch) -> None:
    buf = io.StringIO()
    monkeypatch.setattr(sweep_cli, "out", Console(file=buf, width=80, highlight=False))
    failed = sweep_cli._print_table(_sweep(), Path("runs/pareto-national_2025"))
    lines = buf.getvalue().splitlines()
    assert failed == 1
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    assert "  A: carbon_cap_tco2.2024" in lines and "  C: target.intelligent_share.2025" in lines
    header = next(line for line in lines if line.lstrip().startswith("#"))
    assert header.split() == ["#", "A", "B", "C", "D", "status", "bn", "CNY", "EFLOPS", "AI",
                              "%", "MtCO2"]  # fmt: skip
    assert any("62.7M" in line and "1,205.2" not in line for line in lines)
    assert "  case 4 (0003-1234abcd) failed: HiGHS stopped at the time limit" in lines
