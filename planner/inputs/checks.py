"""Input checks that span tables, and the model files against their data.

The table reader (:mod:`planner.inputs.tables`) checks each file alone; the rules that
span tables (coverage of sites, years, hours; ``pue_min <= pue_ceiling``) are written out
here, in :func:`check_consistency`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from planner import schema
from planner.errors import InputError, Problem
from planner.inputs.tables import (
    PROFILES_FILE,
    check_profile_values,
    check_profiles,
    few,
    fmt,
    located,
    missing_from,
    no_folder,
    read_profiles,
    read_tables,
)

__all__ = [
    "PROFILES_FILE",
    "check_all",
    "check_consistency",
    "check_model_files",
    "check_profile_values",
    "check_profiles",
    "check_years",
    "covered_years",
    "given_targets",
    "located",
    "read_profiles",
    "read_tables",
]

# Per-year tables a model's years must be covered by (targets may come from the model file).
YEAR_TABLES = ("grid", "rack_build", "technologies", "demand", "targets")
TECHS = ("solar", "wind", "battery")
TARGET_NAMES = ("total_eflops", "intelligent_share", "green_share_new_hub")
SHARE_TARGETS = ("intelligent_share", "green_share_new_hub")


# --------------------------------------------------------------------------- cross-table rules


def _year_gaps(
    tables: dict[str, pd.DataFrame], year: int, given_targets: dict[str, set[int]] | None = None
) -> dict[str, str]:
    """What each per-year table lacks for ``year`` (file -> short description)."""
    gaps: dict[str, str] = {}
    given_targets = given_targets or {}
    if "grid" in tables and "sites" in tables:
        grid = tables["grid"]
        missing = missing_from(tables["sites"]["site"], grid.loc[grid["year"] == year, "site"])
        if missing:
            gaps["grid.csv"] = f"no row for year {year} at sites: {few(missing)}"
    if "rack_build" in tables and "rack_classes" in tables:
        rb = tables["rack_build"]
        missing = missing_from(
            tables["rack_classes"]["rack_class"], rb.loc[rb["year"] == year, "rack_class"]
        )
        if missing:
            gaps["rack_build.csv"] = f"no row for year {year} for rack classes: {few(missing)}"
    if "technologies" in tables:
        tech = tables["technologies"]
        missing = missing_from(TECHS, tech.loc[tech["year"] == year, "tech"])
        if missing:
            gaps["technologies.csv"] = f"no row for year {year} for: {few(missing)}"
    if "demand" in tables:
        if not (tables["demand"]["year"] == year).any():
            gaps["demand.csv"] = f"no demand row for year {year}"
    if "targets" in tables:
        tg = tables["targets"]
        have = set(tg.loc[tg["year"] == year, "target"])
        missing = [
            t for t in TARGET_NAMES if t not in have and year not in given_targets.get(t, ())
        ]
        if missing:
            gaps["targets.csv"] = (
                f"no target {', '.join(missing)} for year {year} "
                "(give it in targets.csv or under target: in the model file)"
            )
    return gaps


def check_years(
    tables: dict[str, pd.DataFrame],
    years: Iterable[int],
    given_targets: dict[str, set[int]] | None = None,
) -> list[Problem]:
    """Problems if the per-year tables do not cover ``years``.

    ``given_targets`` maps a target name to the years the model file sets it for, which
    then need no row in ``targets.csv``.
    """
    problems = []
    for year in years:
        for file, message in _year_gaps(tables, int(year), given_targets).items():
            problems.append(Problem(file, None, "year", message))
    return problems


def covered_years(tables: dict[str, pd.DataFrame]) -> list[int]:
    """Years every per-year table covers fully (targets.csv included)."""
    candidates: set[int] = set()
    for name in YEAR_TABLES:
        if name in tables:
            candidates |= {int(y) for y in tables[name]["year"]}
    return sorted(y for y in candidates if not _year_gaps(tables, y))


def check_consistency(
    tables: dict[str, pd.DataFrame],
    years: Iterable[int] | None = None,
    given_targets: dict[str, set[int]] | None = None,
) -> list[Problem]:
    """Rules that span tables; a rule whose tables are absent (had problems) is skipped.

    Every site has one row in site_limits and site_energy; climate has months 1-12 per site;
    tou has hours 0-23 for every scheme in use; load_shapes hours 0-23 for every rack class;
    params holds every required parameter with its unit; latency has every region x site;
    ``pue_min <= pue_ceiling``; share targets are fractions; stock is not newer than the
    base year; and, for ``years`` (if given), the per-year tables cover every year.
    """
    problems: list[Problem] = []
    sites = tables.get("sites")
    site_list = list(sites["site"]) if sites is not None else []

    for name in ("site_limits", "site_energy"):
        if sites is not None and name in tables:
            missing = missing_from(site_list, tables[name]["site"])
            if missing:
                problems.append(
                    Problem(
                        f"{name}.csv",
                        None,
                        "site",
                        f"no row for sites: {few(missing)}; every site in sites.csv needs one",
                    )
                )

    if sites is not None and "climate" in tables:
        climate = tables["climate"]
        for site in site_list:
            months = missing_from(range(1, 13), climate.loc[climate["site"] == site, "month"])
            if months:
                problems.append(
                    Problem(
                        "climate.csv",
                        None,
                        "month",
                        f"site '{site}' lacks months {few(months, 12)}; give months 1-12",
                    )
                )

    if "tou" in tables and "site_energy" in tables:
        tou = tables["tou"]
        energy = tables["site_energy"]
        for scheme in dict.fromkeys(energy["tou_scheme"]):
            hours = missing_from(range(24), tou.loc[tou["tou_scheme"] == scheme, "hour_of_day"])
            if hours:
                users = list(energy.loc[energy["tou_scheme"] == scheme, "site"])
                problems.append(
                    Problem(
                        "tou.csv",
                        None,
                        "hour_of_day",
                        f"tou scheme '{scheme}' (used by {few(users, 3)} in site_energy.csv) "
                        f"lacks hours {few(hours, 24)}; give hours 0-23",
                    )
                )

    if "load_shapes" in tables and "rack_classes" in tables:
        shapes = tables["load_shapes"]
        for rc in tables["rack_classes"]["rack_class"]:
            hours = missing_from(range(24), shapes.loc[shapes["rack_class"] == rc, "hour_of_day"])
            if hours:
                problems.append(
                    Problem(
                        "load_shapes.csv",
                        None,
                        "hour_of_day",
                        f"rack class '{rc}' lacks hours {few(hours, 24)}; give hours 0-23",
                    )
                )

    if "params" in tables:
        problems += _check_params(tables["params"])

    if "latency" in tables and "regions" in tables and sites is not None:
        lat = tables["latency"]
        have = set(zip(lat["region"], lat["site"], strict=True))
        missing = [
            f"{r}-{s}" for r in tables["regions"]["region"] for s in site_list if (r, s) not in have
        ]
        if missing:
            problems.append(
                Problem(
                    "latency.csv",
                    None,
                    "site",
                    f"no row for region-site pairs: {few(missing)}; give every region x site pair",
                )
            )

    if "site_energy" in tables and sites is not None:
        ceiling = dict(zip(sites["site"], sites["pue_ceiling"], strict=True))
        ceiling_line = dict(zip(sites["site"], sites.index, strict=True))
        for line, row in tables["site_energy"].iterrows():
            if row["site"] in ceiling and row["pue_min"] > ceiling[row["site"]]:
                problems.append(
                    Problem(
                        "site_energy.csv",
                        int(line),
                        "pue_min",
                        f"pue_min {fmt(row['pue_min'])} of site '{row['site']}' is above its "
                        f"pue_ceiling {fmt(ceiling[row['site']])} (sites.csv line "
                        f"{ceiling_line[row['site']]}); pue_min must be <= pue_ceiling",
                    )
                )

    if "targets" in tables:
        tg = tables["targets"]
        for line, row in tg.iterrows():
            if row["target"] in SHARE_TARGETS and row["value"] > 1:
                problems.append(
                    Problem(
                        "targets.csv",
                        int(line),
                        "value",
                        f"'{fmt(row['value'])}' is out of range: {row['target']} is a fraction "
                        "and a fraction must be in [0, 1] (write 35 % as 0.35)",
                    )
                )

    if "stock" in tables and "params" in tables:
        base = _param(tables["params"], "base_year")
        if base is not None:
            stock = tables["stock"]
            for line, row in stock.loc[stock["vintage"] > base].iterrows():
                problems.append(
                    Problem(
                        "stock.csv",
                        int(line),
                        "vintage",
                        f"vintage {row['vintage']} is after the base year {int(base)} "
                        "(params.csv); stock is what exists at the end of the base year",
                    )
                )

    if years is not None:
        problems += check_years(tables, years, given_targets)
    return problems


def _param(params: pd.DataFrame, name: str) -> float | None:
    hit = params.loc[params["parameter"] == name, "value"]
    return float(hit.iloc[0]) if len(hit) else None


def _check_params(params: pd.DataFrame) -> list[Problem]:
    problems = []
    missing = missing_from(schema.REQUIRED_PARAMS, params["parameter"])
    if missing:
        problems.append(
            Problem(
                "params.csv",
                None,
                "parameter",
                "missing required parameters: "
                + ", ".join(f"{p} [{schema.REQUIRED_PARAMS[p]}]" for p in missing),
            )
        )
    for line, row in params.iterrows():
        name, value = row["parameter"], row["value"]
        unit = schema.REQUIRED_PARAMS.get(name)
        if unit is not None and row["unit"] != unit:
            problems.append(
                Problem(
                    "params.csv",
                    int(line),
                    "unit",
                    f"'{row['unit']}' is not the unit of {name}; write '{unit}' "
                    "(and give the value in that unit)",
                )
            )
        if name.endswith("_frac") and not 0 <= value <= 1:
            problems.append(
                Problem(
                    "params.csv",
                    int(line),
                    "value",
                    f"'{fmt(value)}' is out of range: a fraction must be in [0, 1] ({name})",
                )
            )
        elif name == "base_year" and not float(value).is_integer():
            problems.append(
                Problem("params.csv", int(line), "value", f"base_year '{value}' must be a year")
            )
        elif name in schema.REQUIRED_PARAMS and name != "pue_free_cooling_below_c" and value < 0:
            problems.append(
                Problem(
                    "params.csv",
                    int(line),
                    "value",
                    f"'{fmt(value)}' must not be negative; give {name} >= 0",
                )
            )
    return problems


# --------------------------------------------------------------------------- model files


def _yaml_line(text: str, dotted: str | None) -> int | None:
    """1-based line of the deepest key of ``dotted`` found in the YAML ``text``."""
    import yaml

    if not dotted:
        return None
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in dotted.split("."):
        if not isinstance(node, yaml.MappingNode):
            break
        for key, value in node.value:
            if str(key.value) == part:
                line, node = key.start_mark.line + 1, value
                break
        else:
            break
    return line


def given_targets(model) -> dict[str, set[int]]:
    """Target name -> years the model file sets it for."""
    return {name: set(getattr(model.target, name)) for name in TARGET_NAMES}


def check_model_files(models_dir: Path, data_dir: Path | None = None) -> list[Problem]:
    """Parse every ``*.yaml`` in ``models_dir`` and check the data cover the years it asks for.

    ``data_dir`` overrides each model's own ``data_dir`` (resolved against the model file).
    """
    from planner.model_file import parse_model, read_model_raw

    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return [Problem(str(models_dir), None, None, "the models folder does not exist")]
    problems: list[Problem] = []
    cache: dict[Path, dict[str, pd.DataFrame]] = {}
    for path in sorted([*models_dir.glob("*.yaml"), *models_dir.glob("*.yml")]):
        file = str(path)
        try:
            model = parse_model(read_model_raw(path), file)
        except InputError as exc:
            text = path.read_text(encoding="utf-8", errors="replace")
            for p in exc.problems:
                row = p.row if p.row is not None else _yaml_line(text, p.column)
                problems.append(Problem(p.file, row, p.column, p.message))
            continue
        folder = Path(data_dir) if data_dir is not None else (path.parent / model.data_dir)
        folder = folder.resolve()
        if not folder.is_dir():
            text = path.read_text(encoding="utf-8", errors="replace")
            problems.append(
                Problem(
                    file,
                    _yaml_line(text, "data_dir"),
                    "data_dir",
                    f"'{model.data_dir}' does not exist (resolved to {folder}); give the "
                    "folder holding the CSV tables, relative to the model file",
                )
            )
            continue
        if folder not in cache:
            cache[folder] = read_tables(folder)[0]
        problems += _model_year_problems(model, file, cache[folder])
    return problems


def _model_year_problems(model, file: str, tables: dict[str, pd.DataFrame]) -> list[Problem]:
    problems = []
    targets = given_targets(model)
    covered = covered_years(tables)
    for year in model.years:
        gaps = _year_gaps(tables, year, targets)
        if gaps:
            detail = "; ".join(f"{f}: {m}" for f, m in gaps.items())
            problems.append(
                Problem(
                    file,
                    None,
                    "years",
                    f"asks for {year}, which the data do not cover ({detail}); "
                    f"years the data cover: {few(covered, 20)}",
                )
            )
    if "params" in tables:
        base = _param(tables["params"], "base_year")
        early = [y for y in model.years if base is not None and y <= base]
        if early:
            problems.append(
                Problem(
                    file,
                    None,
                    "years",
                    f"years {few(early)} are not after the base year {int(base)} "
                    "(params.csv); plan years start the year after the base year",
                )
            )
    return problems


# --------------------------------------------------------------------------- all


def check_all(
    data_dir: Path, models_dir: Path | None = None, years: Iterable[int] | None = None
) -> list[Problem]:
    """Every problem in the data folder, its profiles and (optionally) the model files.

    ``years`` are the plan years the per-year tables must cover; by default the years
    of ``targets.csv`` (the horizon the data set declares). Each model file's own years
    are checked against the data too.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():  # one problem, not one per missing table
        return [no_folder(data_dir)]
    tables, problems = read_tables(data_dir)
    if years is None and "targets" in tables:
        years = sorted({int(y) for y in tables["targets"]["year"]})
    problems += check_consistency(tables, years)
    sites = list(tables["sites"]["site"]) if "sites" in tables else []
    problems += check_profiles(data_dir / PROFILES_FILE, sites)
    problems = located(problems, data_dir)
    if models_dir is not None:
        problems += check_model_files(models_dir, data_dir)
    return problems
