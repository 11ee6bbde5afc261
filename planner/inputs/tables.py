"""The table reader: the data folder's files -> typed tables, and every problem at once.

Driven by :mod:`planner.schema`: each table's columns, kinds, bounds and references come
from ``schema.TABLES`` (so a new column needs no new code here), the profile file's
variables from ``schema.PROFILE_VARIABLES``. :func:`read_tables` reads every CSV and
checks it alone: the file, its header, every cell (type, range, choices, references to
other tables' keys and to ``sources.csv``) and the uniqueness of its key. Rules that span
tables are in :mod:`planner.inputs.rules`.

Every problem is a :class:`~planner.errors.Problem` naming the file, the 1-based line
(header = line 1), the column, what is wrong and what would be valid.

Typed tables keep the file's line number as their index (named ``line``), so a later
check can still point at the line a value came from.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner import schema
from planner.errors import Problem
from planner.model_file import YEAR_RANGE
from planner.schema import Column, Table

PROFILES_FILE = "profiles.nc"
NOTE_COLUMN = "note"  # the one free-text column a table may carry without the schema naming it
_FRACTION_PROFILES = ("solar_cf", "wind_cf", "hydro_availability_frac")
_TEMPERATURE_RANGE_C = (-60.0, 60.0)
_SHOW = 6  # how many valid keys to list in a message
# Whole-number year columns, held to planner.model_file.YEAR_RANGE like a model's years
# (a year of -3 or 99999 is a typo, not a plan horizon).
YEAR_COLUMNS = ("year", "vintage")


# --------------------------------------------------------------------------- helpers


def fmt(value: float) -> str:
    """A bound as the user would write it (1, not 1.0)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def few(items: Iterable, n: int = _SHOW) -> str:
    """The first ``n`` items for a message, and how many there are if that is not all."""
    items = [str(i) for i in items]
    if not items:
        return "(none)"
    head = ", ".join(items[:n])
    return head + (f", ... ({len(items)} in all)" if len(items) > n else "")


def _noun(column: str) -> str:
    return column.replace("_", " ")


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def _ref_column(col: Column) -> str:
    """The key column of ``col.ref`` that ``col`` points at (same name, else the first key)."""
    target = schema.TABLES[col.ref]
    return col.name if col.name in target.key else target.key[0]


def _bounds_hint(col: Column) -> str:
    if col.min is not None and col.max is not None:
        return f"give {col.name} in [{fmt(col.min)}, {fmt(col.max)}]"
    if col.min is not None:
        return f"give {col.name} >= {fmt(col.min)}"
    return f"give {col.name} <= {fmt(col.max)}"


def _is_frac(col: Column) -> bool:
    return col.min == 0 and col.max == 1


def missing_from(expected: Iterable, present: Iterable) -> list:
    """The items of ``expected`` (in its order) that ``present`` lacks."""
    have = set(present)
    return [e for e in expected if e not in have]


# --------------------------------------------------------------------------- reading


class _Raw:
    """One CSV as strings, with the line number of every data row."""

    def __init__(self, table: Table, header: list[str], rows: list[list[str]], lines: list[int]):
        self.table = table
        self.header = header
        self.frame = pd.DataFrame(rows, columns=header, dtype=object)
        self.frame.index = pd.Index(lines, name="line")


def _read_raw(table: Table, path: Path, problems: list[Problem]) -> _Raw | None:
    """Read one CSV as strings; report missing file, bad encoding and ragged rows."""
    file = table.file
    expected = ", ".join(c.name for c in table.columns if not c.optional)
    if not path.is_file():
        problems.append(
            Problem(file, None, None, f"the file is missing; it needs the columns: {expected}")
        )
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            rows, lines = [], []
            previous = reader.line_num
            for record in reader:
                start = previous + 1
                previous = reader.line_num
                cells = [c.strip() for c in record]
                if not any(cells):
                    continue  # blank line (or a row of bare commas from a spreadsheet)
                if len(cells) != len(header):
                    problems.append(
                        Problem(
                            file,
                            start,
                            None,
                            f"the row has {len(cells)} values but the header has "
                            f"{len(header)} columns; check for a missing or extra comma "
                            "(quote values that contain commas)",
                        )
                    )
                    continue
                rows.append(cells)
                lines.append(start)
    except UnicodeDecodeError:
        problems.append(Problem(file, None, None, "is not UTF-8 text; save it as UTF-8 CSV"))
        return None
    except (OSError, csv.Error) as exc:
        problems.append(Problem(file, None, None, f"cannot be read as CSV: {exc}"))
        return None
    if not header or not any(header):
        problems.append(
            Problem(file, 1, None, f"the file is empty; the header must name: {expected}")
        )
        return None
    return _Raw(table, header, rows, lines)


def _check_header(raw: _Raw, problems: list[Problem]) -> bool:
    """Missing, unknown and repeated columns. Return False if cells cannot be checked."""
    table, file = raw.table, raw.table.file
    known = [c.name for c in table.columns]
    ok = True
    seen: set[str] = set()
    for name in raw.header:
        if name in seen:
            problems.append(
                Problem(file, 1, name, f"column '{name}' appears twice; keep one of them")
            )
            ok = False
        seen.add(name)
        if name not in known and name != NOTE_COLUMN:
            shown = f"'{name}'" if name else "with an empty name (a trailing comma?)"
            problems.append(
                Problem(
                    file,
                    1,
                    name or None,
                    f"unknown column {shown}; the columns of {file} are: {', '.join(known)} "
                    f"(plus an optional '{NOTE_COLUMN}')",
                )
            )
    for col in table.columns:
        if col.name not in seen and not col.optional:
            problems.append(
                Problem(
                    file,
                    1,
                    col.name,
                    f"column '{col.name}' is missing; the header must name: "
                    f"{', '.join(c.name for c in table.columns if not c.optional)}",
                )
            )
            ok = False
    return ok


def _parse_cell(
    col: Column, text: str, known: dict[str, dict[str, None]], source_ids: set[str] | None
) -> tuple[object, str | None]:
    """Parse one cell; return (value, problem message or None)."""
    if text == "":
        if col.optional:
            return ("" if col.kind in ("str", "key", "sources", "conf") else np.nan), None
        return None, f"empty cell; {_empty_hint(col)}"

    if col.kind == "float" or col.kind == "int":
        if "_" in text:
            return None, f"'{text}' is not a number; write digits only, e.g. 1000"
        try:
            value = float(text)
        except ValueError:
            return None, f"'{text}' is not a number; {_number_hint(col)}"
        if math.isnan(value):
            return None, f"'{text}' (not-a-number) is not a value; {_number_hint(col)}"
        if math.isinf(value):
            if not col.allow_inf:
                return None, f"'{text}' is not allowed here; {_number_hint(col)} (finite)"
        if col.kind == "int":
            if not value.is_integer():
                return None, f"'{text}' is not a whole number; {_number_hint(col)}"
            value = int(value)
        if col.min is not None and value < col.min:
            if _is_frac(col):
                return None, f"'{text}' is out of range: a fraction must be in [0, 1]"
            if col.min == 0:
                return None, f"'{text}' must not be negative; give {col.name} >= 0"
            return None, f"'{text}' is below the minimum {fmt(col.min)}; {_bounds_hint(col)}"
        if col.max is not None and value > col.max:
            if _is_frac(col):
                return None, f"'{text}' is out of range: a fraction must be in [0, 1]"
            return None, f"'{text}' is above the maximum {fmt(col.max)}; {_bounds_hint(col)}"
        return value, None

    if col.kind == "bool":
        low = text.lower()
        if low in ("true", "false"):
            return low == "true", None
        return None, f"'{text}' is not true/false; write true or false"

    if col.kind == "sources":
        ids = [s.strip() for s in text.split(";") if s.strip()]
        if not ids:
            return None, f"'{text}' names no source; {_empty_hint(col)}"
        if source_ids is not None:
            unknown = [s for s in ids if s not in source_ids]
            if unknown:
                return None, (
                    f"unknown source_id {', '.join(repr(s) for s in unknown)}; "
                    f"add it to sources.csv or use a known one: {few(sorted(source_ids))}"
                )
        return text, None

    if col.choices is not None and text not in col.choices:
        return None, f"'{text}' is not one of: {', '.join(col.choices)}"

    if col.ref is not None and col.ref in known:
        valid = known[col.ref]
        if text not in valid:
            noun = _noun(_ref_column(col))
            return None, (
                f"unknown {noun} '{text}'; known {_plural(noun)}: {few(valid)} "
                f"(see {schema.TABLES[col.ref].file})"
            )
    return text, None


def _empty_hint(col: Column) -> str:
    if col.kind == "sources":
        return "give one or more source_id values from sources.csv, separated by ';'"
    if col.kind == "conf":
        return f"give one of: {', '.join(schema.CONFIDENCE_LEVELS)}"
    if col.kind == "bool":
        return "write true or false"
    if col.kind in ("float", "int"):
        return _number_hint(col)
    if col.choices:
        return f"give one of: {', '.join(col.choices)}"
    if col.ref:
        return f"give a {_noun(_ref_column(col))} from {schema.TABLES[col.ref].file}"
    return f"give a {_noun(col.name)}"


def _number_hint(col: Column) -> str:
    what = "a whole number" if col.kind == "int" else "a number"
    extra = "" if col.min is None and col.max is None else f"; {_bounds_hint(col)}"
    inf = " or inf" if col.allow_inf else ""
    return f"write {what}{inf} for {col.name} [{col.unit}]{extra}"


def _typed(raw: _Raw, values: dict[str, list]) -> pd.DataFrame:
    """The table with typed columns (bad cells are missing) and the line number as index."""
    data = {}
    for col in raw.table.columns:
        if col.name not in values:  # an optional column that is absent
            data[col.name] = [""] * len(raw.frame)
            continue
        column = values[col.name]
        if col.kind == "float":
            data[col.name] = np.array([np.nan if v is None else v for v in column], dtype=float)
        elif col.kind == "int":
            data[col.name] = pd.array(column, dtype="Int64")
        elif col.kind == "bool":
            data[col.name] = pd.array(column, dtype="boolean")
        else:
            data[col.name] = pd.Series(column, dtype=object).to_numpy()
    if NOTE_COLUMN in raw.frame.columns and NOTE_COLUMN not in data:
        data[NOTE_COLUMN] = raw.frame[NOTE_COLUMN].to_numpy()
    frame = pd.DataFrame(data, index=raw.frame.index)
    return frame


def _finalise(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Plain numpy dtypes for a table without problems."""
    out = frame.copy()
    for col in table.columns:
        if col.kind == "int":
            out[col.name] = out[col.name].astype("int64")
        elif col.kind == "bool":
            out[col.name] = out[col.name].astype(bool)
        elif col.kind == "float":
            out[col.name] = out[col.name].astype("float64")
        else:
            out[col.name] = out[col.name].astype(object)
    return out


def _year_bounded(col: Column) -> Column:
    """A year column with the bounds of :data:`planner.model_file.YEAR_RANGE`."""
    if col.name in YEAR_COLUMNS and col.kind == "int" and col.min is None and col.max is None:
        return dataclasses.replace(col, min=float(YEAR_RANGE[0]), max=float(YEAR_RANGE[1]))
    return col


def _check_cells(
    raw: _Raw,
    known: dict[str, dict[str, None]],
    source_ids: set[str] | None,
    problems: list[Problem],
) -> pd.DataFrame:
    file = raw.table.file
    values: dict[str, list] = {}
    for col in map(_year_bounded, raw.table.columns):
        if col.name not in raw.frame.columns:
            continue
        parsed = []
        for line, text in raw.frame[col.name].items():
            value, message = _parse_cell(col, text, known, source_ids)
            if message is not None:
                problems.append(Problem(file, int(line), col.name, message))
                value = None
            parsed.append(value)
        values[col.name] = parsed
    return _typed(raw, values)


def _check_duplicates(raw: _Raw, typed: pd.DataFrame, problems: list[Problem]) -> None:
    key = list(raw.table.key)
    keys = typed[key].dropna()
    if keys.empty:
        return
    first: dict[tuple, int] = {}
    for line, row in zip(keys.index, keys.itertuples(index=False, name=None), strict=True):
        if row in first:
            named = ", ".join(f"{k}={v}" for k, v in zip(key, row, strict=True))
            problems.append(
                Problem(
                    raw.table.file,
                    int(line),
                    key[0] if len(key) == 1 else ", ".join(key),
                    f"duplicate row ({named}): lines {first[row]} and {line} have the same key; "
                    "keep one row per key",
                )
            )
        else:
            first[row] = int(line)


def _read_all(data_dir: Path) -> tuple[dict[str, pd.DataFrame], set[str], list[Problem]]:
    """Read and check every table; return typed tables, the names of clean ones, problems."""
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    raws: dict[str, _Raw] = {}
    header_ok: dict[str, bool] = {}
    for name, table in schema.TABLES.items():
        before = len(problems)
        raw = _read_raw(table, data_dir / table.file, problems)
        if raw is None:
            continue
        raws[name] = raw
        header_ok[name] = _check_header(raw, problems) and len(problems) == before

    # Keys other tables may refer to, taken from the raw strings so that one bad cell in a
    # referenced table does not turn every reference to it into a problem.
    known: dict[str, dict[str, None]] = {}  # ordered sets, in file order
    for raw in raws.values():
        for col in raw.table.columns:
            if col.ref is not None and col.ref in raws:
                ref_col = _ref_column(col)
                ref_frame = raws[col.ref].frame
                if ref_col in ref_frame.columns:
                    known[col.ref] = dict.fromkeys(v for v in ref_frame[ref_col] if v != "")
    source_ids = None
    if "sources" in raws and "source_id" in raws["sources"].frame.columns:
        source_ids = {v for v in raws["sources"].frame["source_id"] if v != ""}

    typed: dict[str, pd.DataFrame] = {}
    clean: set[str] = set()
    for name, raw in raws.items():
        before = len(problems)
        frame = _check_cells(raw, known, source_ids, problems)
        if all(k in raw.frame.columns for k in raw.table.key):
            _check_duplicates(raw, frame, problems)
        typed[name] = frame
        if header_ok[name] and len(problems) == before:
            typed[name] = _finalise(frame, raw.table)
            clean.add(name)
    return typed, clean, problems


def read_tables(data_dir: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read and check every table of :data:`planner.schema.TABLES`.

    Parameters
    ----------
    data_dir
        Folder holding the CSV tables.

    Returns
    -------
    tables
        The tables without problems, typed (``float64``, ``int64``, ``bool``, text as
        ``object``), indexed by their line number in the file (named ``line``). A table
        with a problem is left out, so later rules never see a half-valid table.
    problems
        Every problem found, in file order: missing file, missing/unknown/repeated column,
        ragged row, empty cell, wrong type, NaN or inf, out-of-range value, value not among
        the choices, unknown reference or source_id, duplicate key.
    """
    if not Path(data_dir).is_dir():
        return {}, [no_folder(Path(data_dir))]
    typed, clean, problems = _read_all(data_dir)
    return {name: typed[name] for name in schema.TABLES if name in clean}, _collapse(problems)


def no_folder(data_dir: Path) -> Problem:
    """The one problem of a data folder that does not exist (not one per missing table)."""
    return Problem(
        str(data_dir),
        None,
        None,
        f"the data folder does not exist (resolved to {data_dir.resolve()}); give the folder "
        "holding the CSV tables and profiles.nc",
    )


def _collapse(problems: list[Problem]) -> list[Problem]:
    """One problem for the same message in the same column on many lines (first line kept).

    A source id missing from sources.csv, say, is one thing to fix, not a hundred.
    """
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.file, p.column, p.message), []).append(p)
    out = []
    for (_file, _column, message), group in groups.items():
        first = group[0]
        if len(group) > 1 and all(p.row is not None for p in group):
            more = [p.row for p in group[1:]]
            shown = ", ".join(map(str, more[:8])) + (", ..." if len(more) > 8 else "")
            message = f"{message} (the same on {len(more)} more lines: {shown})"
        out.append(Problem(first.file, first.row, first.column, message))
    return out


# --------------------------------------------------------------------------- the profile file


_PROFILES_HINT = "run `planner data profiles` to create it"


def read_profiles(path: Path) -> tuple[Any, list[Problem]]:
    """Read the hourly profile file into memory: ``(dataset, [])`` or ``(None, problems)``."""
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        return None, [
            Problem(path.name, None, None, f"the profile file {path} is missing; {_PROFILES_HINT}")
        ]
    try:
        return xr.load_dataset(path), []
    except Exception as exc:  # any reader failure is a bad file, reported as such
        reason = f"cannot be read as netCDF ({type(exc).__name__}); {_PROFILES_HINT}"
        return None, [Problem(path.name, None, None, reason)]


def check_profiles(path: Path, sites: Iterable[str]) -> list[Problem]:
    """Check the hourly profile file: variables, dims (site, hour), 8760 hours, sites, values."""
    ds, problems = read_profiles(path)
    return problems if ds is None else check_profile_values(ds, sites, Path(path).name)


def check_profile_values(ds: Any, sites: Iterable[str], file: str) -> list[Problem]:
    """Check profiles already read (see :func:`check_profiles`); ``file`` names them."""
    hint = _PROFILES_HINT
    problems: list[Problem] = []
    sites = list(sites)
    for name, (units, _long) in schema.PROFILE_VARIABLES.items():
        if name not in ds:
            problems.append(
                Problem(
                    file, None, name, f"variable '{name}' ({_long}, {units}) is missing; {hint}"
                )
            )
            continue
        da = ds[name]
        if set(da.dims) != {"site", "hour"} or da.ndim != 2:
            problems.append(
                Problem(
                    file, None, name, f"has dims {da.dims}; it must have dims (site, hour); {hint}"
                )
            )
            continue
        if da.sizes["hour"] != schema.HOURS_PER_YEAR:
            problems.append(
                Problem(
                    file,
                    None,
                    name,
                    f"has {da.sizes['hour']} hours; it must have {schema.HOURS_PER_YEAR} "
                    f"(one non-leap year); {hint}",
                )
            )
            continue
        have = [str(s) for s in da["site"].values] if "site" in da.coords else []
        missing = missing_from(sites, have)
        if missing:
            problems.append(
                Problem(
                    file,
                    None,
                    name,
                    f"has no profile for sites: {few(missing)}; every site in sites.csv "
                    f"needs one; {hint}",
                )
            )
        da = da.sel(site=[s for s in sites if s in have]).transpose("site", "hour")
        values = np.asarray(da.values, dtype=float)
        bad = np.isnan(values)
        if bad.any():
            i, h = np.argwhere(bad)[0]
            problems.append(
                Problem(
                    file,
                    None,
                    name,
                    f"has {int(bad.sum())} NaN values (first: site '{da['site'].values[i]}', "
                    f"hour {h}); every hour needs a value; {hint}",
                )
            )
        if name in _FRACTION_PROFILES:
            lo, hi = 0.0, 1.0
            what = "a fraction must be in [0, 1]"
        else:
            lo, hi = _TEMPERATURE_RANGE_C
            what = f"give temperatures in [{fmt(lo)}, {fmt(hi)}] degC"
        with np.errstate(invalid="ignore"):
            out = (values < lo) | (values > hi) | np.isinf(values)
        if out.any():
            i, h = np.argwhere(out)[0]
            problems.append(
                Problem(
                    file,
                    None,
                    name,
                    f"has {int(out.sum())} values out of range (first: {values[i, h]:g} at site "
                    f"'{da['site'].values[i]}', hour {h}); {what}",
                )
            )
    return problems


# --------------------------------------------------------------------------- places


def located(problems: list[Problem], data_dir: Path) -> list[Problem]:
    """Name each data file with its folder, so the user can open it from the message."""
    return [
        dataclasses.replace(p, file=str(Path(data_dir) / p.file))
        if p.file.endswith((".csv", ".nc")) and Path(p.file).name == p.file
        else p
        for p in problems
    ]
