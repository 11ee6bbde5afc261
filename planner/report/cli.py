"""``planner report RUN_DIR``: the click command; planner/cli.py registers it.

The command raises :class:`planner.errors.InputError` for a folder that is not a run
folder, a damaged ``summary.json`` or ``sweep.nc``, or an ``--out`` file that is not a
report planner wrote; the group's error handling turns that into one paragraph and exit
status 2. A report that cannot be written (read-only folder, full disk) is exit status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planner.alternatives_folder import LEAST_COST_ID
from planner.errors import InputError, OutputError, Problem
from planner.outputs import ALTERNATIVES_MODE, sweep_mode
from planner.results import SUMMARY_FILE, read_summary


@click.command("report")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Report language: English or Chinese.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML file to write [default: reports/<scenario>.html].",
)
def report_command(run_dir: Path, lang: str, out_file: Path | None) -> None:
    """Write the self-contained HTML report of the run folder RUN_DIR.

    One file that opens offline in any browser and prints to PDF: executive summary,
    where the racks go, how they are powered, east-west flows, costs, and the data
    and assumptions behind them. RUN_DIR may also be a sweep's folder (its first case,
    with the sweep's views) or one of near-optimal alternatives (its least-cost plan,
    with the range of each aggregate across the alternatives and what binds in each).
    """
    from planner.outputs import check_report_out
    from planner.report.page import check_run_dir, safe_stem, write_report

    sweep = alternatives = None
    folder = Path(run_dir)
    if sweep_mode(folder) == ALTERNATIVES_MODE:
        # A folder of near-optimal alternatives: their section, then the least-cost plan.
        alternatives = _read_alternatives(folder)
        run_dir = folder / "cases" / LEAST_COST_ID
    elif (folder / "sweep.nc").is_file():
        # A sweep or Pareto folder: its own views, then its base case in full.
        sweep = _read_sweep(folder)
        run_dir = _base_case(folder, sweep)
    check_run_dir(run_dir)
    summary = read_summary(Path(run_dir))
    if out_file is None:
        out_file = Path("reports") / f"{safe_stem(default_name(folder, summary))}.html"
    check_report_out(out_file)
    replacing = out_file.is_file()
    try:
        path = write_report(run_dir, out_file, lang=lang, sweep=sweep, alternatives=alternatives)
    except OSError as exc:
        raise OutputError.from_exception(out_file, "could not write the report", exc) from exc
    size_mb = path.stat().st_size / 1e6
    said = "; it replaced the earlier report of this folder" if replacing else ""
    click.echo(f"report: {path} ({size_mb:.1f} MB{said})")


def default_name(folder: Path, summary: dict[str, Any]) -> str:
    """The report's default name: a sweep, frontier or alternatives folder's own name
    (``sweep-national_2025``, ``pareto-national_2025``), a what-if run's folder name
    (``national_2025--carbon_price_cny_per_tco2=200``), else the scenario."""
    scenario = str(summary.get("scenario", folder.name))
    if (
        (folder / "sweep.nc").is_file()
        or sweep_mode(folder) == ALTERNATIVES_MODE
        or folder.name.startswith(f"{scenario}--")
    ):
        return folder.name
    return scenario


def _damaged(path: Path, what: str, fix: str) -> InputError:
    return InputError([Problem(str(path), None, None, f"{what}; {fix}")])


def _read_sweep(sweep_dir: Path) -> Any:
    """The sweep's Dataset, or one clear problem if sweep.nc is damaged."""
    from planner.sweep import load_sweep

    try:
        return load_sweep(sweep_dir)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise _damaged(
            sweep_dir / "sweep.nc",
            f"cannot be read as the sweep's netCDF file ({type(exc).__name__}: {exc})",
            "rerun the same sweep command: the finished cases are kept and sweep.nc is "
            "written again from them",
        ) from None


def _read_alternatives(folder: Path) -> Any:
    """The alternatives' Dataset, or one clear problem if the folder cannot give it."""
    from planner.alternatives_folder import ALTERNATIVES_FILE, load_alternatives

    try:
        return load_alternatives(folder)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise _damaged(
            folder / ALTERNATIVES_FILE,
            f"cannot be read ({type(exc).__name__}: {exc})",
            "rerun the same planner alternatives command: the finished alternatives are "
            "kept and alternatives.nc is written again from them",
        ) from None


def _base_case(sweep_dir: Path, sweep: Any) -> Path:
    """The case a sweep report shows in full: the base case (the model as given, or for a
    frontier its least-cost end), else the first solved case."""
    from planner.report.sweep_views import base_case

    cases = sweep_dir / "cases"
    ids = [str(c) for c in sweep["case"].values]
    preferred = base_case(sweep)
    order = ([ids[preferred]] if preferred is not None else []) + ids
    for cid in order:
        case = cases / cid
        if (case / SUMMARY_FILE).is_file() and (case / "results.nc").is_file():
            return case
    raise InputError(
        [Problem(str(sweep_dir), None, None, "holds no solved case to report; run the sweep")]
    )
