"""The ``planner`` command: a thin click layer over :mod:`planner.run` and friends.

Bad input is one paragraph on stderr and exit status 2; an interrupt leaves nothing
half-written and exits with 130.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click
from rich.markup import escape

from planner.cli_common import EXIT_NOT_SOLVED, console, friendly, out
from planner.errors import InputError, Problem
from planner.model_file import DAYS_RANGE, DEFAULT_MODEL, RANGES, valid_days

if TYPE_CHECKING:
    from planner.run import Run


def _parse_hours(value: str | None) -> int | str | None:
    """``full`` or ``N-days`` (or plain ``N``) representative days."""
    if value is None:
        return None
    text = value.strip().lower()
    if text == "full":
        return "full"
    number = text
    for suffix in ("-days", "days", "-day", "day"):
        number = number.removesuffix(suffix)
    number = number.strip()
    if number.isdigit() and valid_days(int(number)):
        return int(number)
    raise InputError(
        [
            Problem(
                "--hours",
                None,
                None,
                f"'{value}' is not valid; give 'full' or N-days with N from {DAYS_RANGE[0]} "
                f"to {DAYS_RANGE[1]}, e.g. 8-days",
            )
        ]
    )


class _Finite(click.ParamType):
    """A finite number in a range (click's FloatRange lets nan and inf through)."""

    name = "number"

    def __init__(self, low: float, high: float, *, low_open: bool = False):
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"'{value}' is not a number", param, ctx)
        below = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or below or number > self.high:
            left = "(" if self.low_open else "["
            self.fail(
                f"'{value}' is not a finite number in {left}{self.low:g}, {self.high:g}]",
                param,
                ctx,
            )
        return number


class _LazyGroup(click.Group):
    """A click group whose commands from other modules are imported only when run.

    ``planner plan`` should not pay for importing plotly or rich's progress machinery
    (the report and sweep commands) just to list them; this is click's documented
    pattern for lazily loaded subcommands.
    """

    lazy_commands: ClassVar[dict[str, tuple[str, str, bool]]] = {
        "report": ("planner.report.cli", "report_command", True),
        "compare": ("planner.report.compare", "compare_command", True),
        "sweep": ("planner.sweep_cli", "sweep_command", False),
        "pareto": ("planner.sweep_cli", "pareto_command", False),
        "alternatives": ("planner.alternatives_cli", "alternatives_command", False),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_commands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            import importlib

            module, name, wrap = self.lazy_commands[cmd_name]
            command = getattr(importlib.import_module(module), name)
            if wrap:  # a wrapped copy: the module's own command stays as it is
                command = copy.copy(command)
                command.callback = friendly(command.callback)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
@click.option("-v", "--verbose", is_flag=True, help="Log each step in detail.")
def main(verbose: bool) -> None:
    """Plan China's national computing-power build-out at least cost and carbon.

    Solve a planning model (racks by site, class and year, and the energy that powers
    them) with HiGHS, write the run folder, and report it.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


RUN_NAME_MAX_CHARS = 120


def run_name(scenario: str, overrides: tuple[str, ...] | list[str]) -> str:
    """The name of a run: its scenario, and for a what-if run a readable tag of what was set.

    ``national_2025`` with ``--set carbon_price_cny_per_tco2=200`` is
    ``national_2025--carbon_price_cny_per_tco2=200``; several settings are joined by
    ``--`` in the order given. The tag is file-safe (letters, digits, ``_ - . =``; any other
    character becomes ``_``); a tag too long for a file name keeps its start and a short
    hash of the whole. ``--set scenario=NAME`` names the run itself and is no tag.
    """
    import hashlib
    import re

    parts = []
    for item in overrides:
        key, _sep, value = str(item).partition("=")
        key, value = key.strip(), value.strip()
        if key == "scenario":
            continue
        parts.append(re.sub(r"[^\w.=-]+", "_", f"{key}={value}", flags=re.ASCII).strip("_"))
    if not parts:
        return scenario
    name = "--".join([scenario, *parts])
    if len(name) > RUN_NAME_MAX_CHARS:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        name = f"{name[: RUN_NAME_MAX_CHARS - 10].rstrip('-_.=')}--{digest}"
    return name


def _solve_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="KEY=VALUE",
            help="Override a model-file option, e.g. target.total_eflops.2025=320 "
            "or carbon_price_cny_per_tco2=100. Repeatable.",
        ),
        click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Run folder to write [default: runs/<scenario>]. An existing folder is "
            "replaced only if it is a run folder planner wrote (or empty).",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="Replace the --out folder even if it is not a run folder (everything in "
            "it is deleted); never the folder of the model file, its data or this folder.",
        ),
        click.option(
            "--hours",
            metavar="full|N-days",
            help="Time resolution: 'full' (8760 h) or N representative days [default: model file].",
        ),
        click.option(
            "--time-limit",
            type=_Finite(0, RANGES["solver.time_limit_s"][1], low_open=True),
            metavar="S",
            help="Solver time limit in seconds.",
        ),
        click.option(
            "--gap", type=_Finite(0, 1), metavar="G", help="Relative MIP gap, e.g. 0.001."
        ),
        click.option("--threads", type=click.IntRange(1, 64), metavar="N", help="HiGHS threads."),
        click.option("--log/--no-log", "solver_log", default=None, help="Show HiGHS's own log."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _solve_and_write(
    model_path: Path,
    overrides: tuple[str, ...],
    out_dir: Path | None,
    force: bool,
    hours: str | None,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    solver_log: bool | None,
) -> tuple[Path | None, Run]:
    from planner.model_file import load_model
    from planner.outputs import check_run_out, check_writable, is_run_folder
    from planner.run import run_model

    days = _parse_hours(hours)
    # Before solving: a folder planner will not replace, or cannot write, is refused now.
    model, data_dir = load_model(model_path, list(overrides))
    # A what-if run (--set) gets its own folder: it never replaces the scenario's own run.
    target = out_dir or Path("runs") / run_name(model.scenario, overrides)
    keep = [model_path, data_dir]
    check_run_out(target, force=force, keep=keep)
    check_writable(target)
    replacing = is_run_folder(target)
    with console.status("starting") as status:
        run = run_model(
            model_path,
            list(overrides),
            days=days,
            time_limit_s=time_limit,
            mip_gap=gap,
            threads=threads,
            solver_log=solver_log,
            on_step=lambda msg: status.update(escape(msg)),
        )
        status.update("writing the run folder")
        check_run_out(target, force=force, keep=keep)  # it may have changed meanwhile
        path = run.write(target, force=force)
    _print_summary(run.summary, path, _display_names(run.results))
    if path != target.resolve():
        _say_kept(target, path, run)
    elif replacing:
        out.print(
            f"  (this replaced the earlier run in {target}; give --out DIR, or a --set, to "
            "keep runs apart)",
            markup=False,
        )
    return path, run


def _say_kept(target: Path, path: Path | None, run: Run) -> None:
    """Tell the user the earlier run with a plan was kept, and where this attempt went."""
    where = f"was written to {path}" if path is not None else "was not written"
    out.print(
        f"  {target} still holds the earlier run, which has a plan: this run has none "
        f"(status {run.summary['status']}), so it did not replace it; it {where}.",
        markup=False,
    )


def _display_names(results: Any) -> dict[str, str]:
    """Site and hub ids -> their English names, for messages (no raw ids for readers)."""
    names: dict[str, str] = {}
    for dim in ("hub", "site"):  # a site named like its hub wins
        var = f"{dim}_name_en"
        if results is not None and var in results and dim in results.coords:
            for ident, name in zip(results[dim].values, results[var].values, strict=True):
                if str(name) and str(name) != "nan":
                    names[str(ident)] = str(name)
    return names


def _named(message: str, names: dict[str, str]) -> str:
    """``message`` with the site ids it names (" at yrd_demo") replaced by their names."""
    import re

    if not names:
        return message
    pattern = re.compile(r"(?<=\bat )(" + "|".join(map(re.escape, names)) + r")\b")
    return pattern.sub(lambda m: names[m.group(1)], message)


def _print_summary(
    summary: dict[str, Any], path: Path | None, names: dict[str, str] | None = None
) -> None:
    names = names or {}
    out.print(
        f"[bold]{escape(str(summary['scenario']))}[/]: {escape(str(summary['status']))}", end=""
    )
    if summary.get("objective_cny") is not None:
        out.print(f", total discounted cost {summary['objective_cny'] / 1e9:,.1f} bn CNY", end="")
        # A plan stopped by the time limit is only as good as its gap to the bound.
        if summary["status"] != "optimal" and summary.get("mip_gap") is not None:
            out.print(f", within {summary['mip_gap']:.3%} of the best bound", end="")
    out.print()
    for year, row in summary.get("per_year", {}).items():
        share = row["intelligent_share"]
        green = row["green_share"]
        hub = row.get("green_share_hub")
        hub = names.get(str(hub), hub)
        out.print(
            f"  {year}: {row['total_eflops']:,.1f} EFLOPS"
            f" (target {row['target_total_eflops']:,.0f}),"
            f" intelligent {share:.1%} (target {row['target_intelligent_share']:.0%}),"
            " green power share of new hub capacity "
            + (f"{green:.1%} (lowest hub: {hub})" if green is not None else "n/a")
            + f", emissions {row['emissions_tco2'] / 1e6:,.2f} MtCO2",
            markup=False,
        )
    out.print(f"  {_named(summary.get('explanation', ''), names)}", markup=False)
    t = summary.get("timings_s", {})
    stages = ("load", "design_hint", "build", "solve", "write")
    out.print("  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in t.items() if k in stages))
    if path is not None:
        out.print(f"  run folder: {path}", markup=False)


@main.command()
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@_solve_options
@friendly
def solve(
    model: Path,
    overrides: tuple[str, ...],
    out_dir: Path | None,
    force: bool,
    hours: str | None,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    solver_log: bool | None,
) -> None:
    """Solve MODEL (a YAML model file) and write its run folder.

    The run folder holds results.nc (inputs used and solution), summary.json,
    tables/*.csv and the resolved model.yaml.
    """
    _, run = _solve_and_write(
        model, overrides, out_dir, force, hours, time_limit, gap, threads, solver_log
    )
    if not run.has_plan:
        sys.exit(EXIT_NOT_SOLVED)


@main.command()
@click.argument(
    "model",
    required=False,
    default=str(DEFAULT_MODEL),
    type=click.Path(dir_okay=False, path_type=Path),
)
@_solve_options
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Report language.",
)
@friendly
def plan(
    model: Path,
    overrides: tuple[str, ...],
    out_dir: Path | None,
    force: bool,
    hours: str | None,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    solver_log: bool | None,
    lang: str,
) -> None:
    """Solve MODEL [default: models/national_2025.yaml] and write its run folder and report.

    The main job: the mission model answers where, when and what racks to build, how to
    power them, and what each national target costs at the margin.
    """
    from planner.model_file import load_model
    from planner.outputs import check_report_out
    from planner.report.page import safe_stem, write_report

    scenario = load_model(model, list(overrides))[0].scenario
    name = out_dir.name if out_dir is not None else run_name(scenario, overrides)
    report_path = Path("reports") / f"{safe_stem(name)}.html"
    check_report_out(report_path)  # a file planner did not write is refused before solving
    replacing = report_path.is_file()
    path, run = _solve_and_write(
        model, overrides, out_dir, force, hours, time_limit, gap, threads, solver_log
    )
    if not run.has_plan or path is None:
        sys.exit(EXIT_NOT_SOLVED)
    # The run is still in memory: the report need not read the folder back.
    write_report(path, report_path, lang=lang, results=run.results, summary=run.summary)
    said = " (replaced the earlier report of this run)" if replacing else ""
    out.print(f"  report: {report_path}{said}", markup=False)


@main.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
@friendly
def keys(model: Path | None, as_json: bool) -> None:
    """List every model-file key: type, unit and range, default, meaning.

    With MODEL, the value each key has in that model file (and what --set would change).
    Any key can be set from the command line: planner solve MODEL --set KEY=VALUE, with a
    year or a name where the key shows <year> or <east|west>.
    """
    from planner.model_file import read_model_raw, settable_keys

    rows = settable_keys()
    given: dict[str, Any] = {}
    if model is not None:
        given = _flatten(read_model_raw(model))
    records = []
    for k in rows:
        prefix = k.key.split(".<")[0]
        values = {g: v for g, v in given.items() if g == k.key or g.startswith(prefix + ".")}
        if "<" not in k.key:
            values = {k.key: given[k.key]} if k.key in given else {}
        records.append({**k.__dict__, "in_model": values})
    if as_json:
        out.print_json(json.dumps(records, default=str))
        return
    from rich.markup import escape
    from rich.table import Table

    title = "Model-file keys" + (f": the values in {escape(str(model))}" if model else "")
    grid = Table(title=title, show_lines=False)
    for name in (
        "key",
        "type",
        "unit and range",
        "default" if model is None else "value",
        "meaning",
    ):
        grid.add_column(name, overflow="fold")
    for r in records:
        if model is None:
            value = "" if r["default"] is None else str(r["default"])
        else:
            value = ", ".join(f"{g.rsplit('.', 1)[-1]}: {v}" if "<" in r["key"] else str(v)
                              for g, v in r["in_model"].items()) or "(default)"  # fmt: skip
            value = value if len(value) <= 60 else value[:57] + "..."
        grid.add_row(*(escape(str(x)) for x in (r["key"], r["type"], r["unit"], value,
                                                  r["meaning"])))  # fmt: skip
    out.print(grid)


def _flatten(raw: Any, prefix: str = "") -> dict[str, Any]:
    """A model file's mapping as dotted keys."""
    if not isinstance(raw, dict):
        return {prefix.rstrip("."): raw}
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@main.command()
@click.argument(
    "target",
    required=False,
    default=str(DEFAULT_MODEL),
    type=click.Path(path_type=Path),
    metavar="[MODEL|RUN_DIR]",
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@friendly
def validate(target: Path, as_json: bool) -> None:
    """Check the model's answers against the published record.

    Solves MODEL [default: models/national_2025.yaml] (or reads a solved RUN_DIR) and
    compares its answers with data/outcomes.csv (end-2024 compute, intelligent compute,
    racks, hub compute, data-centre electricity, emission intensity) and
    data/migration_cases.csv (the emission change of moving a load between provinces,
    Zhang, Li & Wang 2025). Exit status 1 if an answer falls outside its tolerance.
    """
    from planner.results import read_run
    from planner.validate import validation_table

    if target.is_dir():
        results, summary = read_run(target)
    else:
        from planner.run import run_model

        with console.status("starting") as status:
            run = run_model(target, on_step=lambda msg: status.update(escape(msg)))
        results, summary = run.results, run.summary
    if "data_dir" not in results.attrs:
        raise InputError(
            [Problem(str(target), None, None,
                     "the run does not record its data folder (results.nc attrs['data_dir']): "
                     "solve the model again with this version of planner")]
        )  # fmt: skip
    table = validation_table(results, summary, Path(results.attrs["data_dir"]))
    if as_json:
        out.print_json(json.dumps(table.to_dict(orient="records")))
    else:
        _print_validation(table, summary["scenario"])
    checked = table["within"].notna()
    if not table.loc[checked, "within"].astype(bool).all():
        sys.exit(1)


_VALIDATION_LABELS = {
    "total_eflops": "compute in service",
    "intelligent_eflops": "intelligent compute",
    "racks_std": "racks in use",
    "hub_node_eflops": "compute at hub sites",
    "electricity_twh": "data-centre electricity",
    "emission_intensity_tco2_per_mwh": "emission intensity",
}


def _print_validation(table: Any, scenario: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    grid = Table(title=f"{escape(scenario)}: the model's answers against the published record")
    for name, justify in (
        ("#", "right"), ("check", "left"), ("year", "right"), ("model", "right"),
        ("published", "right"), ("tol.", "right"), ("", "left"),
    ):  # fmt: skip
        grid.add_column(name, justify=justify)
    sources = []
    for n, row in enumerate(table.itertuples(), start=1):
        case = row.check.removeprefix("migration: ").replace("_to_", " -> ").replace("_", " ")
        label = _VALIDATION_LABELS.get(row.check, f"load moved {case}")
        low = _fmt(row.published_low, row.unit, short=True)
        high = _fmt(row.published_high, row.unit, short=True)
        year = (
            str(row.year) if row.year == row.model_year else f"{row.year} (model {row.model_year})"
        )
        verdict = {True: "[green]within[/]", False: "[red]outside[/]"}.get(row.within, "shown")
        tolerance = "-" if row.tolerance_frac == float("inf") else f"{row.tolerance_frac:.0%}"
        grid.add_row(
            str(n), escape(label), year, _fmt(row.model, row.unit),
            low if low == high else f"{low}-{high}", tolerance, verdict,
        )  # fmt: skip
        sources.append(f"  {n}. {escape(str(row.source))}")
    out.print(grid)
    checked = table["within"].notna()
    failed = int((~table.loc[checked, "within"].astype(bool)).sum())
    out.print(
        f"{int(checked.sum()) - failed} of {int(checked.sum())} checked answers within their "
        f"tolerance; {int((~checked).sum())} shown for comparison (another scope or year)."
    )
    out.print("Sources (data/sources.csv; notes in data/outcomes.csv, data/migration_cases.csv):")
    out.print("\n".join(sources))


def _fmt(value: float, unit: str, short: bool = False) -> str:
    """A validation figure with its unit (``short``: the number alone)."""
    if unit == "1":
        return f"{value:+.1%}"
    number, name = {
        "std_rack": (f"{value / 1e6:.2f}", "M racks"),
        "tCO2/MWh": (f"{value:.3f}", unit),
        "TWh/year": (f"{value:,.0f}", "TWh"),
    }.get(unit, (f"{value:,.1f}", unit))
    return number if short else f"{number} {name}"


@main.group()
def data() -> None:
    """Check the input data, rebuild the hourly profiles, show the calibration."""


@data.command("check")
@click.argument(
    "data_dir", required=False, default="data", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--models",
    "models_dir",
    default="models",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of model files (YAML) to check as well.",
)
@friendly
def data_check(data_dir: Path, models_dir: Path) -> None:
    """Validate every input table in DATA_DIR [default: data] and every model file.

    Reports every problem at once (file, line, column, what would be valid); exit
    status 2 if there is any.
    """
    from planner.model_checks import check_all

    problems = check_all(data_dir, models_dir if models_dir.exists() else None)
    if problems:
        raise InputError(problems)
    out.print(f"{data_dir}: every table, the profiles and the model files are valid.", markup=False)


@data.command("profiles")
@click.option(
    "--data",
    "data_dir",
    default="data",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Data folder with sites.csv, site_energy.csv and climate.csv.",
)
@click.option("--seed", default=20231231, show_default=True, help="Random seed of the generators.")
@friendly
def data_profiles(data_dir: Path, seed: int) -> None:
    """Regenerate DATA/profiles.nc (solar, wind, hydro, temperature; site x 8760 h).

    Deterministic for a given seed. Prints per site the MERRA-2 cell behind the solar
    profile, its annual mean GHI against the profile's, the solar full-load hours
    against the published figure, and the wind full-load hours against their target.
    """
    from planner.inputs.profiles import calibration_table, generate_profiles, write_profiles
    from planner.inputs.tables import read_tables

    tables, problems = read_tables(data_dir)
    problems = [p for p in problems if Path(p.file).stem in ("sites", "site_energy", "climate")]
    if problems:
        raise InputError(problems)
    with console.status("generating hourly profiles"):
        ds = generate_profiles(tables["sites"], tables["site_energy"], tables["climate"], seed=seed)
        write_profiles(ds, data_dir / "profiles.nc")
    table = calibration_table(ds, tables["site_energy"])
    out.print(
        table.drop(columns="merra2_cell").to_string(float_format=lambda x: f"{x:,.3f}"),
        markup=False,
    )
    for site, cell in table["merra2_cell"].items():
        out.print(f"{site}: {cell}", markup=False)
    out.print(f"wrote {data_dir / 'profiles.nc'}", markup=False)


@data.command("timeslices")
@click.argument(
    "data_dir", required=False, default="data", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--days",
    "days_list",
    type=click.IntRange(*DAYS_RANGE),
    multiple=True,
    help="Numbers of representative days [default: that of models/national_2025.yaml].",
)
@friendly
def data_timeslices(data_dir: Path, days_list: tuple[int, ...]) -> None:
    """Choose representative days with tsam and keep them in DATA_DIR/timeslices/.

    Solves read them instead of clustering again (the file name is a hash of the
    hourly profiles, the number of days, the clustering settings and the tsam
    version, so a changed input is never matched with stale days). Run it after
    `planner data profiles`.
    """
    from planner.inputs.load import load_inputs
    from planner.inputs.timeslices import ship_representative_days
    from planner.model_file import load_model

    model, _ = load_model(DEFAULT_MODEL)
    inputs = load_inputs(model, data_dir)
    for n_days in days_list or (model.time.representative_days,):
        with console.status(f"choosing {n_days} representative days"):
            path = ship_representative_days(inputs, n_days)
        if not path.is_file():
            raise click.ClickException(f"could not write {path}")
        out.print(f"wrote {path}", markup=False)


@data.command("calibration")
@click.argument(
    "data_dir", required=False, default="data", type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@friendly
def data_calibration(data_dir: Path, as_json: bool) -> None:
    """Published figures vs the data set: national racks and EFLOPS; per site, solar GHI vs
    MERRA-2, solar full-load hours vs published (compared only), wind vs target."""
    from planner.inputs.calibration import calibration_report

    national, sites = calibration_report(data_dir)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "national": national.to_dict(orient="records"),
                    "sites": sites.astype(object)
                    .where(sites.notna(), None)
                    .to_dict(orient="records"),
                }
            )
        )
        return
    out.print("[bold]National stock at the base year: published vs data set[/]")
    out.print(national.to_string(index=False), markup=False)
    out.print(
        "\n[bold]Per site: profiles.nc vs MERRA-2 GHI and the wind target (checked), "
        "vs published solar full-load hours (compared only)[/]"
    )
    out.print(sites.to_string(index=False, float_format=lambda x: f"{x:,.3f}"), markup=False)
    if not (national["ok"].all() and sites["ok"].all()):
        sys.exit(1)


if __name__ == "__main__":
    main()
