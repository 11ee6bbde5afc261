"""``planner report RUN_DIR``: the click command; planner/cli.py registers it.

The command raises :class:`planner.errors.InputError` for a folder that is not a run
folder; the group's error handling turns that into one paragraph and exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.results import SUMMARY_FILE


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
    and assumptions behind them.
    """
    from planner.report.page import check_run_dir, safe_stem, write_report

    check_run_dir(run_dir)
    if out_file is None:
        summary = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
        stem = safe_stem(summary.get("scenario", run_dir.name))
        out_file = Path("reports") / f"{stem}.html"
    path = write_report(run_dir, out_file, lang=lang)
    size_mb = path.stat().st_size / 1e6
    click.echo(f"report: {path} ({size_mb:.1f} MB)")
