"""Model files against their data, and ``planner data check``'s whole pass.

:func:`check_model_files` parses every model file of a folder (:mod:`planner.model_file`)
and checks it against the data it names: the per-year tables cover its years
(:func:`planner.inputs.rules.year_gaps`), which come after the base year
(:func:`planner.inputs.rules.plan_years_after_base_year`). A problem the model file's
validation reports without a line is placed on the line of its key in the YAML text.

:func:`check_all` is ``planner data check``: every problem of the data folder (each table
alone, :mod:`planner.inputs.tables`; the rules that span tables,
:mod:`planner.inputs.rules`; the profile file) and of the model files, at once, each
with its file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

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
    check_profiles,
    few,
    located,
    no_folder,
    read_tables,
)
from planner.model_file import ModelFile, parse_model, read_model_raw

# --------------------------------------------------------------------------- model files


def _yaml_line(text: str, dotted: str | None) -> int | None:
    """1-based line of the deepest key of ``dotted`` found in the YAML ``text``."""
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


def _model_year_problems(
    model: ModelFile, file: str, tables: dict[str, pd.DataFrame]
) -> list[Problem]:
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
