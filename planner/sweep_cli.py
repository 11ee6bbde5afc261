"""``planner sweep`` and ``planner pareto``: thin click commands over :mod:`planner.sweep`.

Registered on the ``planner`` group in :mod:`planner.cli`. Bad input is one paragraph and
exit status 2 before any case runs; an interrupt keeps every finished case (rerun the same
command to resume) and exits with 130; exit status 1 if any case failed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from planner.cli_common import EXIT_INTERRUPTED, EXIT_NOT_SOLVED, console, out
from planner.cli_common import friendly as _friendly
from planner.errors import InputError, Problem
from planner.outputs import check_sweep_out
from planner.sweep import (
    LEAST_CARBON_PRICE_CNY_PER_T,
    SweepProgress,
    default_out_dir,
    plan_sweep,
    run_pareto,
    run_sweep,
    sweep_table,
)


def _run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="KEY=VALUE",
            help="Override a model-file option in every case (as `planner solve --set`).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            help="Local worker processes [default: CPU count]; 1 solves in this process.",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="Dask scheduler, e.g. tcp://10.0.0.5:8786: run the cases on that cluster.",
        ),
        click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Sweep folder [default: runs/<sweep|pareto>-<model file name>]: new, empty, "
            "or an earlier sweep's folder (resumed); any other folder is refused.",
        ),
        click.option(
            "--threads",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="HiGHS threads per case.",
        ),
        click.option(
            "--no-reuse",
            is_flag=True,
            help=(
                "Load the inputs, build the model and compile it for HiGHS afresh for "
                "every case, instead of setting each case's numbers on the last one "
                "(for timing and checking)."
            ),
        ),
        click.option(
            "--retry-failed",
            is_flag=True,
            help="Run again the cases a previous run recorded as failed.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def time_left(elapsed_s: float | None, done: int, total: int) -> str:
    """What is left, said from the cases finished in this run: after the first case, their
    average time times the cases to go (a solve takes seconds to minutes, so rich's own
    estimate, from the last 30 s of progress, would say "-:--:--" all along).

    Parameters
    ----------
    elapsed_s
        Time since this run's first case started [s]; None before it.
    done, total
        Cases finished in this run, and cases this run has to finish.
    """
    if done >= total:
        return "done"
    if not done or not elapsed_s:
        return "left: after case 1"
    left = elapsed_s / done * (total - done)
    hours, rest = divmod(round(left), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"left ~{hours}:{minutes:02d}:{seconds:02d}"


class _TimeLeft(ProgressColumn):
    """Time left from the average time of the cases this run solved (see
    :func:`time_left`); those done without a solve (kept by a resumed sweep, the
    frontier's least-cost end reused, values refused) count as done but not in it."""

    def render(self, task: Any) -> Text:
        before = int(task.fields.get("before", 0))
        done = int(task.completed) - before
        return Text(time_left(task.elapsed, done, int(task.total or 0) - before))


class _Bar:
    """A rich progress bar on stderr: cases done (those a resumed sweep kept among them),
    failed, time taken and left, on one line of the terminal's width."""

    def __init__(self, *labels: str):
        self.labels = list(labels)
        self.label = labels[0]
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=None),  # the bar takes what the other columns leave
            MofNCompleteColumn(),
            TextColumn("failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            _TimeLeft(),
            console=console,
            transient=False,
            expand=True,
        )
        self.task: Any = None
        self.failed = 0
        self.untimed = 0  # cases done without a solve: kept from before, given, refused

    def hooks(self) -> SweepProgress:
        return SweepProgress(on_start=self._start, on_case=self._case)

    def _start(self, todo: int, done_before: int, failed_before: int) -> None:
        if self.task is not None:  # a second stage (pareto: the ends, then the points)
            self.progress.remove_task(self.task)
            self.label = self.labels[min(self.labels.index(self.label) + 1, len(self.labels) - 1)]
        before = done_before + failed_before
        if before:
            self.progress.console.print(
                f"{self.label}: resuming; {before} finished cases kept "
                f"({failed_before} failed), {todo} to run.",
                markup=False,
            )
        self.failed = failed_before
        self.untimed = before
        self.task = self.progress.add_task(
            escape(self.label),
            total=before + todo,
            completed=before,
            failed=self.failed,
            before=self.untimed,
        )

    def _case(self, _case: Any, outcome: dict[str, Any]) -> None:
        if not outcome["ok"]:
            self.failed += 1
        if outcome.get("same_as") or outcome.get("elapsed_s") == 0.0:
            self.untimed += 1  # not solved (another case's run, or values refused)
        self.progress.update(self.task, advance=1, failed=self.failed, before=self.untimed)


def _executor(workers: int | None, scheduler: str | None) -> dict[str, Any]:
    if scheduler:
        if workers:
            raise InputError(
                [
                    Problem(
                        "--workers", None, None, "is for local processes; omit it with --scheduler"
                    )
                ]
            )
        if importlib.util.find_spec("distributed") is None:
            raise InputError(
                [
                    Problem(
                        "--scheduler",
                        None,
                        None,
                        "needs the optional Dask dependencies: pip install 'planner[dask]' "
                        "(from a checkout: pip install -e '.[dask]')",
                    )
                ]
            )
        return {"executor": "dask", "scheduler": scheduler}
    if workers == 1:
        return {"executor": "serial"}
    return {"executor": "pool", "workers": workers}


def _short(value: Any) -> str:
    """A varied value in a few characters: 0.35, 200, 64.24M (a cap in tonnes)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        v = float(value)
        if abs(v) >= 1e6:
            return f"{v / 1e6:.4g}M"
        return f"{v:.4g}"
    return str(value)


def _print_table(ds: Any, out_dir: Path) -> int:
    """The sweep as a table on stdout, one row per case, within 80 columns (the varied
    keys as A, B, ... named above the table); return the number of cases failed."""
    frame = sweep_table(ds)
    years = [int(y) for y in ds["year"].values]
    keys = [c for c in frame.columns if c in ds.coords and c not in ("case", "year")]
    letters = [chr(ord("A") + i) for i in range(len(keys))]
    last = years[-1] if years else None
    for letter, key in zip(letters, keys, strict=True):
        out.print(f"  {letter}: {key}", markup=False)
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    for letter in letters:  # user text (keys, values) is shown as given, never read as markup
        table.add_column(letter, justify="right", no_wrap=True, max_width=9)
    table.add_column("status", no_wrap=True, max_width=10, overflow="ellipsis")
    table.add_column("bn CNY", justify="right", no_wrap=True)
    if last is not None:
        for head in ("EFLOPS", "AI %", "MtCO2"):
            table.add_column(head, justify="right", no_wrap=True)
    for i, row in frame.iterrows():
        cells = [str(int(i) + 1), *(_short(row[k]) for k in keys)]
        cells.append(str(row["status"]))
        cells.append(_fmt(row["objective_cny"], 1e9, ",.1f"))
        if last is not None:
            cells.append(_fmt(row.get(f"total_eflops_{last}"), 1, ",.1f"))
            cells.append(_fmt(row.get(f"intelligent_share_{last}"), 0.01, ".1f"))
            cells.append(_fmt(row.get(f"emissions_tco2_{last}"), 1e6, ",.2f"))
        table.add_row(*(Text(c) for c in cells))
    out.print(table)
    if last is not None:
        out.print(f"  bn CNY: discounted total cost; EFLOPS, AI % and MtCO2: {last}", markup=False)
    failed = frame[frame["failed"]]
    for i, row in failed.iterrows():
        out.print(f"  case {int(i) + 1} ({row['case']}) failed: {row['reason']}", markup=False)
    out.print(
        f"  sweep: {out_dir / 'sweep.nc'} ({len(frame)} cases, {len(failed)} failed)\n"
        f"  case folders: {out_dir / 'cases'}/<case>/\n"
        f"  report: planner report {out_dir}",
        markup=False,
    )
    return len(failed)


def _fmt(value: Any, scale: float, spec: str) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if v != v else format(v / scale, spec)


def _interrupted(out_dir: Path) -> None:
    console.print(
        f"Interrupted: the cases finished so far are kept in {out_dir}; "
        "run the same command again to resume.",
        markup=False,
    )
    sys.exit(EXIT_INTERRUPTED)


@click.command("sweep")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--vary",
    "vary",
    multiple=True,
    required=True,
    metavar="KEY=V1,V2,...",
    help="A model-file key and its values, e.g. carbon_price_cny_per_tco2=0,100,200 or "
    "target.intelligent_share.2025=0.35,0.4. Repeatable: every combination is a case.",
)
@click.option("--zip", "zip_values", is_flag=True, help="Pair the values of every --vary instead.")
@_run_options
@_friendly
def sweep_command(
    model: Path,
    vary: tuple[str, ...],
    zip_values: bool,
    overrides: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    out_dir: Path | None,
    threads: int,
    no_reuse: bool,
    retry_failed: bool,
) -> None:
    """Solve MODEL once per combination of the --vary values (a what-if sweep).

    Each case's run folder (with its resolved model.yaml) goes to OUT/cases/<case id>/,
    and every case's headline results to OUT/sweep.nc. Cases run on local processes, or
    on a Dask cluster with --scheduler. Interrupted? Rerun the same command: finished
    cases are kept.
    """
    execution = _executor(workers, scheduler)
    plan = plan_sweep(model, vary, zip_values=zip_values, base_overrides=overrides, threads=threads)
    target = out_dir or default_out_dir(model, "sweep")
    check_sweep_out(target)
    bar = _Bar(f"sweep {len(plan.cases)} cases")
    try:
        with bar.progress:
            ds = run_sweep(
                plan,
                target,
                reuse=not no_reuse,
                retry_failed=retry_failed,
                progress=bar.hooks(),
                **execution,
            )
    except KeyboardInterrupt:
        _interrupted(target)
    if _print_table(ds, target):
        sys.exit(EXIT_NOT_SOLVED)


@click.command("pareto")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--points",
    type=click.IntRange(min=2),
    default=6,
    show_default=True,
    help="Points on the frontier, both ends included.",
)
@click.option(
    "--least-carbon-price",
    type=click.FloatRange(min=0, min_open=True),
    default=LEAST_CARBON_PRICE_CNY_PER_T,
    show_default=True,
    help="Carbon price [CNY/tCO2] that finds the least-carbon end.",
)
@_run_options
@_friendly
def pareto_command(
    model: Path,
    points: int,
    least_carbon_price: float,
    overrides: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    out_dir: Path | None,
    threads: int,
    no_reuse: bool,
    retry_failed: bool,
) -> None:
    """The cost-carbon frontier of MODEL: minimum cost under emission caps (epsilon-constraint).

    Solves the least-cost end (no cap) and the least-carbon end (a carbon price high
    enough that more spending buys no further cut), then POINTS minimum-cost plans with
    a cap on every plan year set evenly between the two ends' emissions. Writes
    OUT/sweep.nc (case = frontier point) and the run folder of every point.
    """
    execution = _executor(workers, scheduler)
    target = out_dir or default_out_dir(model, "pareto")
    check_sweep_out(target)
    bar = _Bar("frontier ends", f"frontier {points} points")
    try:
        with bar.progress:
            ds = run_pareto(
                model,
                points,
                target,
                base_overrides=overrides,
                least_carbon_price=least_carbon_price,
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
    if _print_table(ds, target):
        sys.exit(EXIT_NOT_SOLVED)
