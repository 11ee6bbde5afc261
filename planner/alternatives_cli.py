"""``planner alternatives``: a thin click command over :mod:`planner.alternatives`.

Registered on the ``planner`` group in :mod:`planner.cli`. Bad input is one paragraph and
exit status 2 before anything is solved; an interrupt keeps every finished alternative
(rerun the same command to resume) and exits with 130; exit status 1 if the least-cost
plan or any alternative failed.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from planner.alternatives import (
    DEFAULT_OBJECTIVES,
    DEFAULT_SLACK,
    check_alternatives_out,
    objective_keys,
    run_alternatives,
)
from planner.alternatives_folder import ALTERNATIVES_FILE, alternatives_table, ranges, recheck
from planner.cli_common import EXIT_NOT_SOLVED, console, out
from planner.cli_common import friendly as _friendly
from planner.report import text
from planner.sweep import default_out_dir
from planner.sweep_cli import _Bar, _executor, _interrupted

_KEYS = ", ".join(objective_keys())


@click.command("alternatives")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--slack",
    type=click.FloatRange(0, 1),
    default=DEFAULT_SLACK,
    show_default=True,
    help="Cost slack: every alternative costs at most (1 + SLACK) x the least cost.",
)
@click.option(
    "--objective",
    "objectives",
    multiple=True,
    metavar="KEY",
    help=f"An aggregate to minimise and maximise; repeatable [default, without --points: "
    f"{' and '.join(DEFAULT_OBJECTIVES)}]. One of: {_KEYS}.",
)
@click.option(
    "--points",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="SPORES points: plans that stay away from what the plans before them used.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a model-file option for every alternative (as `planner solve --set`).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local worker processes [default: CPU count]; 1 solves in this process.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler, e.g. tcp://10.0.0.5:8786: solve the alternatives on that cluster.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Alternatives folder [default: runs/alternatives-<model file name>]: new, empty, "
    "or an earlier alternatives folder (resumed); any other folder is refused.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="HiGHS threads per solve.",
)
@click.option(
    "--no-reuse", is_flag=True, help="Load and time-slice the inputs afresh for every solve."
)
@click.option(
    "--retry-failed", is_flag=True, help="Solve again the alternatives recorded as failed."
)
@_friendly
def alternatives_command(
    model: Path,
    slack: float,
    objectives: tuple[str, ...],
    points: int,
    overrides: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    out_dir: Path | None,
    threads: int,
    no_reuse: bool,
    retry_failed: bool,
) -> None:
    """Near-optimal alternatives of MODEL: how differently the targets can be met at
    almost the least cost.

    Solves the least-cost plan, then, with the total discounted cost held within SLACK
    of it and every target met as it meets them, minimises and maximises each
    --objective (integer build modules, each proven within the model's MIP gap by
    HiGHS), and traces --points SPORES plans. Each alternative's run folder goes to
    OUT/cases/<id>/, every alternative's figures to OUT/alternatives.nc; `planner report
    OUT` draws them. Interrupted? Rerun the same command: finished alternatives are kept.
    """
    execution = _executor(workers, scheduler)
    target = out_dir or default_out_dir(model, "alternatives")
    check_alternatives_out(target)
    bar = _Bar("least-cost plan", "alternatives")
    try:
        with bar.progress:
            ds = run_alternatives(
                model,
                target,
                slack=slack,
                objectives=list(objectives) or ([] if points else list(DEFAULT_OBJECTIVES)),
                points=points,
                base_overrides=overrides,
                threads=threads,
                reuse=not no_reuse,
                retry_failed=retry_failed,
                progress=bar.hooks(),
                **execution,
            )
    except KeyboardInterrupt:
        _interrupted(target)
    except RuntimeError as exc:
        console.print(str(exc), markup=False)
        sys.exit(EXIT_NOT_SOLVED)
    if _print(ds, target):
        sys.exit(EXIT_NOT_SOLVED)


def _print(ds: Any, out_dir: Path) -> int:
    """The alternatives, the ranges and the re-check on stdout; return how many
    alternatives failed or did not pass the re-check."""
    frame = alternatives_table(ds)
    keys = [c for c in frame.columns if c in ds["aggregate"].values]
    units = dict(zip(ds["aggregate"].values.tolist(), ds["aggregate_unit"].values.tolist(),
                     strict=True))  # fmt: skip
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("alternative", overflow="fold")
    table.add_column("status", overflow="fold")
    table.add_column("gap", justify="right", no_wrap=True)
    table.add_column("cost +", justify="right", no_wrap=True)
    for key in keys:
        table.add_column(Text(f"{key} [{_unit(units[key])}]"), justify="right", overflow="fold")
    for _, row in frame.iterrows():
        cells = [
            row["label"],
            row["status"],
            _fraction(row["objective_gap"], "{:.2%}"),
            _fraction(row["cost_vs_least_cost_frac"], "{:+.3%}"),
            *(_plain(row[k], units[k]) for k in keys),
        ]
        table.add_row(*(Text(str(c)) for c in cells))
    out.print(table)
    slack = float(ds.attrs.get("slack", float("nan")))
    for _, r in ranges(ds, keys).iterrows():
        shown = {k: text.aggregate_quantity(r[k], r["unit"], "en") for k in ("min", "max")}
        least = text.aggregate_quantity(r["least_cost"], r["unit"], "en")
        out.print(
            f"  {r['aggregate']}: {shown['min']} to {shown['max']} within {slack:.2%} of the "
            f"least cost (least-cost plan: {least})",
            markup=False,
        )
    failed = frame[frame["failed"]]
    for _, row in failed.iterrows():
        out.print(f"  {row['label']} failed: {row['reason']}", markup=False)
    check = recheck(out_dir)
    if check.ok:
        out.print(
            f"  re-check (the folder's files alone): every alternative costs at most "
            f"{1 + slack:g} x the least cost, is proven within its MIP gap and builds whole "
            "modules; each minimum and maximum brackets the least-cost value",
            markup=False,
        )
    for problem in check.problems:
        out.print(f"  re-check: {problem}", markup=False)
    out.print(
        f"  alternatives: {out_dir / ALTERNATIVES_FILE} ({len(frame)} plans, {len(failed)} "
        f"failed); run folders: {out_dir / 'cases'}/<id>/",
        markup=False,
    )
    return len(failed) + len(check.problems)


def _unit(unit: str) -> str:
    return {"1": "%", "std_rack": "racks"}.get(unit, unit)


def _fraction(value: Any, spec: str) -> str:
    v = float(value) if value is not None else float("nan")
    return "-" if not math.isfinite(v) else spec.format(v)


def _plain(value: Any, unit: str) -> str:
    """A value in its unit as the table shows it (a share in percent)."""
    v = float(value) if value is not None else float("nan")
    if not math.isfinite(v):
        return "-"
    return f"{100 * v:.1f}" if unit == "1" else text.number(v, 4)
