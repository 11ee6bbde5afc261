"""Rules that span tables: each a small function, run in the order of :data:`RULES`.

The table reader (:mod:`planner.inputs.tables`) checks each file alone; a rule checks
what one table promises another (every site has its limits, every time-of-use scheme in
use has 24 hours, ``pue_min <= pue_ceiling``). A :class:`Rule` names the tables it reads
and runs only when all of them are clean (the reader leaves out a table with a problem),
so it never sees half-valid data and never repeats a problem the reader reported.

Rules against the years a model plans for are functions of the years as well:
:func:`check_years` (the per-year tables cover them), :func:`refresh_years_covered`
(``rack_build.csv`` covers every year servers may be renewed in) and
:func:`plan_years_after_base_year`.

Every problem is a :class:`~planner.errors.Problem` naming the file, the line where one
row is at fault (the reader's ``line`` index), the column and what would be valid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner import schema
from planner.errors import Problem
from planner.inputs.tables import few, fmt, missing_from

if TYPE_CHECKING:
    from planner.model_file import ModelFile

Tables = dict[str, pd.DataFrame]

# Per-year tables a model's years must be covered by (targets may come from the model file).
YEAR_TABLES = ("grid", "rack_build", "technologies", "demand", "targets")
TECHS = ("solar", "wind", "battery")
TARGET_NAMES = ("total_eflops", "intelligent_share", "green_share_new_hub")
SHARE_TARGETS = ("intelligent_share", "green_share_new_hub")


@dataclass(frozen=True)
class Rule:
    """One cross-table rule: the function that checks it and the tables it reads."""

    check: Callable[[Tables], list[Problem]]
    needs: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.check.__name__

    @property
    def doc(self) -> str:
        """The rule in one line (the first line of its docstring)."""
        return (self.check.__doc__ or "").strip().splitlines()[0]


def param(tables: Tables, name: str) -> float | None:
    """The value of parameter ``name`` in ``params.csv`` (None if absent or unread)."""
    if "params" not in tables:
        return None
    params = tables["params"]
    hit = params.loc[params["parameter"] == name, "value"]
    return float(hit.iloc[0]) if len(hit) else None


# --------------------------------------------------------------------------- the rules


def _one_row_per_site(tables: Tables, name: str) -> list[Problem]:
    missing = missing_from(tables["sites"]["site"], tables[name]["site"])
    if not missing:
        return []
    return [
        Problem(
            f"{name}.csv",
            None,
            "site",
            f"no row for sites: {few(missing)}; every site in sites.csv needs one",
        )
    ]


def site_limits_for_every_site(tables: Tables) -> list[Problem]:
    """Every site of sites.csv has a row in site_limits.csv."""
    return _one_row_per_site(tables, "site_limits")


def site_energy_for_every_site(tables: Tables) -> list[Problem]:
    """Every site of sites.csv has a row in site_energy.csv."""
    return _one_row_per_site(tables, "site_energy")


def climate_has_every_month(tables: Tables) -> list[Problem]:
    """climate.csv gives months 1-12 for every site of sites.csv."""
    climate = tables["climate"]
    problems = []
    for site in tables["sites"]["site"]:
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
    return problems


def tou_has_every_hour(tables: Tables) -> list[Problem]:
    """tou.csv gives hours 0-23 for every time-of-use scheme site_energy.csv uses."""
    tou, energy = tables["tou"], tables["site_energy"]
    problems = []
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
    return problems


def load_shapes_have_every_hour(tables: Tables) -> list[Problem]:
    """load_shapes.csv gives hours 0-23 for every rack class of rack_classes.csv."""
    shapes = tables["load_shapes"]
    problems = []
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
    return problems


def params_are_complete(tables: Tables) -> list[Problem]:
    """params.csv holds every parameter of schema.REQUIRED_PARAMS."""
    missing = missing_from(schema.REQUIRED_PARAMS, tables["params"]["parameter"])
    if not missing:
        return []
    return [
        Problem(
            "params.csv",
            None,
            "parameter",
            "missing required parameters: "
            + ", ".join(f"{p} [{schema.REQUIRED_PARAMS[p]}]" for p in missing),
        )
    ]


def params_have_their_units_and_ranges(tables: Tables) -> list[Problem]:
    """Each parameter of params.csv has its schema unit and a value in its range.

    A ``_frac`` is in [0, 1], ``base_year`` is a whole year, and every other required
    parameter but the free-cooling temperature is non-negative.
    """
    problems = []
    for line, row in tables["params"].iterrows():
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


def latency_for_every_region_and_site(tables: Tables) -> list[Problem]:
    """latency.csv has a row for every region of regions.csv and site of sites.csv."""
    lat = tables["latency"]
    have = set(zip(lat["region"], lat["site"], strict=True))
    missing = [
        f"{r}-{s}"
        for r in tables["regions"]["region"]
        for s in tables["sites"]["site"]
        if (r, s) not in have
    ]
    if not missing:
        return []
    return [
        Problem(
            "latency.csv",
            None,
            "site",
            f"no row for region-site pairs: {few(missing)}; give every region x site pair",
        )
    ]


def pue_min_within_ceiling(tables: Tables) -> list[Problem]:
    """A site's pue_min (site_energy.csv) is not above its pue_ceiling (sites.csv)."""
    sites = tables["sites"]
    ceiling = dict(zip(sites["site"], sites["pue_ceiling"], strict=True))
    ceiling_line = dict(zip(sites["site"], sites.index, strict=True))
    problems = []
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
    return problems


def share_targets_are_fractions(tables: Tables) -> list[Problem]:
    """The share targets of targets.csv are fractions in [0, 1]."""
    problems = []
    for line, row in tables["targets"].iterrows():
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
    return problems


def stock_not_after_base_year(tables: Tables) -> list[Problem]:
    """No stock.csv vintage is after the base year of params.csv."""
    base = param(tables, "base_year")
    if base is None:
        return []
    stock = tables["stock"]
    return [
        Problem(
            "stock.csv",
            int(line),
            "vintage",
            f"vintage {row['vintage']} is after the base year {int(base)} "
            "(params.csv); stock is what exists at the end of the base year",
        )
        for line, row in stock.loc[stock["vintage"] > base].iterrows()
    ]


RULES: tuple[Rule, ...] = (
    Rule(site_limits_for_every_site, needs=("sites", "site_limits")),
    Rule(site_energy_for_every_site, needs=("sites", "site_energy")),
    Rule(climate_has_every_month, needs=("sites", "climate")),
    Rule(tou_has_every_hour, needs=("tou", "site_energy")),
    Rule(load_shapes_have_every_hour, needs=("load_shapes", "rack_classes")),
    Rule(params_are_complete, needs=("params",)),
    Rule(params_have_their_units_and_ranges, needs=("params",)),
    Rule(latency_for_every_region_and_site, needs=("latency", "regions", "sites")),
    Rule(pue_min_within_ceiling, needs=("site_energy", "sites")),
    Rule(share_targets_are_fractions, needs=("targets",)),
    Rule(stock_not_after_base_year, needs=("stock", "params")),
)
"""The cross-table rules, in the order their problems are reported."""


def check_rules(
    tables: Tables,
    years: Iterable[int] | None = None,
    given_targets: dict[str, set[int]] | None = None,
) -> list[Problem]:
    """Every rule of :data:`RULES` whose tables are clean, then :func:`check_years`.

    ``years`` (if given) are the plan years the per-year tables must cover;
    ``given_targets`` as in :func:`check_years`.
    """
    problems: list[Problem] = []
    for rule in RULES:
        if all(name in tables for name in rule.needs):
            problems += rule.check(tables)
    if years is not None:
        problems += check_years(tables, years, given_targets)
    return problems


# --------------------------------------------------------------------------- plan years


def given_targets(model: ModelFile) -> dict[str, set[int]]:
    """Target name -> years the model file sets it for (they need no targets.csv row)."""
    return {name: set(getattr(model.target, name)) for name in TARGET_NAMES}


def year_gaps(
    tables: Tables, year: int, given_targets: dict[str, set[int]] | None = None
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
    tables: Tables,
    years: Iterable[int],
    given_targets: dict[str, set[int]] | None = None,
) -> list[Problem]:
    """Problems if the per-year tables do not cover ``years``.

    ``given_targets`` maps a target name to the years the model file sets it for, which
    then need no row in ``targets.csv``.
    """
    problems = []
    for year in years:
        for file, message in year_gaps(tables, int(year), given_targets).items():
            problems.append(Problem(file, None, "year", message))
    return problems


def covered_years(tables: Tables) -> list[int]:
    """Years every per-year table covers fully (targets.csv included)."""
    candidates: set[int] = set()
    for name in YEAR_TABLES:
        if name in tables:
            candidates |= {int(y) for y in tables[name]["year"]}
    return sorted(y for y in candidates if not year_gaps(tables, y))


def refresh_years(base_year: int, years: list[int]) -> np.ndarray:
    """Years in which servers may be renewed within the plan: after the base year, up to
    the last plan year (the ``refresh_year`` coordinate)."""
    return np.arange(int(base_year) + 1, max(years) + 1, dtype=np.int64)


def refresh_years_covered(tables: Tables, years: list[int]) -> list[Problem]:
    """rack_build.csv gives every year up to the last plan year.

    Servers renewed in a year between plan years get that year's compute per rack; the
    plan years themselves are :func:`check_years`'s.
    """
    base = param(tables, "base_year")
    if base is None or "rack_build" not in tables or "rack_classes" not in tables:
        return []
    build = tables["rack_build"]
    have = set(zip(build["rack_class"], build["year"], strict=True))
    problems = []
    for year in refresh_years(int(base), years).tolist():
        if year in years:
            continue  # a plan year: check_years reports it
        missing = [c for c in tables["rack_classes"]["rack_class"] if (c, year) not in have]
        if missing:
            problems.append(
                Problem(
                    "rack_build.csv",
                    None,
                    "year",
                    f"no row for year {year} for rack classes {', '.join(missing)}: servers "
                    "renewed in a year between the base year and the last plan year take "
                    "that year's compute per rack; give every year up to the last plan year",
                )
            )
    return problems


def plan_years_after_base_year(tables: Tables, years: Iterable[int], file: str) -> list[Problem]:
    """Every plan year is after the base year of params.csv (blamed on ``file``)."""
    base = param(tables, "base_year")
    early = [y for y in years if base is not None and y <= base]
    if not early:
        return []
    return [
        Problem(
            file,
            None,
            "years",
            f"years {few(early)} are not after the base year {int(base)} "
            "(params.csv); plan years start the year after the base year",
        )
    ]
