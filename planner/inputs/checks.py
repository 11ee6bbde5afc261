"""Model files against their data, and ``planner data check``'s whole pass.

The table reader (:mod:`planner.inputs.tables`) checks each file alone, the rules of
:mod:`planner.inputs.rules` what spans tables; :func:`check_model_files` checks each model
file against the data it names, :func:`check_all` everything at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.rules import (
    check_rules,
    covered_years,
    given_targets,
    plan_years_after_base_year,
    year_gaps,
)
from planner.inputs.tables import (
    PROFILES_FILE,
    check_profile_values,
    check_profiles,
    few,
    located,
    no_folder,
    read_profiles,
    read_tables,
)

__all__ = [
    "PROFILES_FILE",
    "check_all",
    "check_model_files",
    "check_profile_values",
    "check_profiles",
    "located",
    "read_profiles",
    "read_tables",
]


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
        gaps = year_gaps(tables, year, targets)
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
    problems += plan_years_after_base_year(tables, model.years, file)
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
    problems += check_rules(tables, years)
    sites = list(tables["sites"]["site"]) if "sites" in tables else []
    problems += check_profiles(data_dir / PROFILES_FILE, sites)
    problems = located(problems, data_dir)
    if models_dir is not None:
        problems += check_model_files(models_dir, data_dir)
    return problems
