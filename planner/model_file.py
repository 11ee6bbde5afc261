"""The model file (YAML): which data, which targets, which options.

A model file is validated by pydantic; an unknown key or a wrong value is an error that
names the file, the key and what would be valid. ``--set KEY=VALUE`` overrides use the
same dotted keys (``target.total_eflops.2025=320``, ``carbon_price_cny_per_tco2=100``); a
wrong key or value given with ``--set`` (or a sweep's ``--vary``) is blamed on that
option, not on the file. The run options (``--hours``, ``--time-limit``, ``--gap``,
``--threads``, ``--log``) are typed values, set on the validated model by
:func:`with_options`, never text.

Checked before anything is built:

- every number is finite (``.nan`` and ``.inf`` are refused) and within its range in
  :data:`RANGES`; every year (plan years, the years of targets and caps) in
  :data:`YEAR_RANGE`;
- the scenario is a safe file name (:data:`SCENARIO_PATTERN`): it names the run folder
  ``runs/<scenario>`` and the report ``reports/<scenario>.html``, so it can never point
  outside them;
- no key is given twice in the file (YAML would silently keep the last), the file is
  UTF-8 text, and its ``data_dir`` exists.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticUndefined

from planner.errors import InputError, Problem

log = logging.getLogger(__name__)

DEFAULT_MODEL = Path("models/national_2025.yaml")

DEPRECATED_KEYS: dict[str, str] = {
    "carbon_price_cny_per_t": "carbon_price_cny_per_tco2",
}
"""Old model-file keys (top level) and the key each is now: one name per quantity from
the model file to the results. An old key still works, with a deprecation message."""

YEAR_RANGE = (1900, 2200)
"""Calendar years planner accepts anywhere: plan years, years of targets and caps in a
model file, and the years, vintages and calibration years of the data tables [year]."""

DAYS_RANGE = (1, 365)
"""The numbers of representative days planner accepts wherever they are given
(``time.representative_days``, ``--hours N-days``, ``planner data timeslices --days``)
[day]; ``full`` asks for every hour of the year instead. See :func:`valid_days`."""

SCENARIO_PATTERN = re.compile(r"[^\W_](?:[\w.-]*[^\W_])?")
"""A scenario name: letters (any script), digits, ``_``, ``-`` and ``.``, starting and
ending with a letter or digit; so never ``..``, a path, a hidden name or rich markup."""

SCENARIO_MAX_CHARS = 120

RANGES: dict[str, tuple[float, float, str]] = {
    "target.total_eflops.*": (0.0, 1e5, "EFLOPS"),
    "target.intelligent_share.*": (0.0, 1.0, "fraction"),
    "target.green_share_new_hub.*": (0.0, 1.0, "fraction"),
    "target.hourly_cfe_share.*": (0.0, 1.0, "fraction"),
    "carbon_price_cny_per_tco2": (0.0, 1e6, "CNY/tCO2"),
    "carbon_cap_tco2.*": (0.0, 1e11, "tCO2 per year"),
    "price_scale.*": (0.0, 100.0, "times the grid prices of the data"),
    "capex_scale.*": (0.0, 100.0, "times the rack capex of the data"),
    "demand_scale.*": (0.0, 100.0, "times the demand of the data"),
    "solver.time_limit_s": (0.0, 1e6, "s"),
    "solver.mip_gap": (0.0, 1.0, "relative gap"),
    "solver.threads": (1, 64, "threads"),
    "penalty.*": (0.0, 1e15, "CNY per unit of shortfall"),
    "years.*": (*YEAR_RANGE, "year"),
}
"""The range of every number in a model file: dotted key (``*``: any year or name) ->
(lowest, highest, unit). 100 000 EFLOPS is some 300 times the 2025 national target; a
target that high is met as far as the data allow and the run reports the shortfall.
The keys of :data:`OPEN_BELOW` must be above their lowest value, not equal to it."""

OPEN_BELOW = frozenset({"solver.time_limit_s", "penalty.*"})


def _number(key: str, kind: type = float) -> Any:
    """The pydantic type of the number at ``key``: finite (model config) and in range."""
    lo, hi, _unit = RANGES[key]
    low = {"gt": lo} if key in OPEN_BELOW else {"ge": lo}
    return Annotated[kind, Field(le=hi, **low)]


Year = Annotated[int, Field(ge=YEAR_RANGE[0], le=YEAR_RANGE[1])]


def valid_days(days: int | str) -> bool:
    """Whether ``days`` is ``"full"`` or a number of representative days in :data:`DAYS_RANGE`."""
    return days == "full" or DAYS_RANGE[0] <= int(days) <= DAYS_RANGE[1]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Targets(_Strict):
    """Targets by year; a year not given falls back to ``data/targets.csv``."""

    total_eflops: dict[Year, _number("target.total_eflops.*")] = Field(default_factory=dict)
    intelligent_share: dict[Year, _number("target.intelligent_share.*")] = Field(
        default_factory=dict
    )
    green_share_new_hub: dict[Year, _number("target.green_share_new_hub.*")] = Field(
        default_factory=dict
    )
    hourly_cfe_share: dict[Year, _number("target.hourly_cfe_share.*")] = Field(
        default_factory=dict,
        description="hourly-matched carbon-free share of new hub capacity (24/7); off if empty",
    )


class TimeOptions(_Strict):
    """Time resolution: representative days (tsam) or the full 8760-hour year."""

    representative_days: int | Literal["full"] = 8

    @field_validator("representative_days")
    @classmethod
    def _days(cls, v: int | str) -> int | str:
        if not valid_days(v):
            raise ValueError(f"{v} days; give {DAYS_RANGE[0]} to {DAYS_RANGE[1]}, or 'full'")
        return v


class SolverOptions(_Strict):
    time_limit_s: _number("solver.time_limit_s") = 600.0
    mip_gap: _number("solver.mip_gap") = 1e-3
    threads: _number("solver.threads", int) = 1
    log: bool = False


class Penalties(_Strict):
    """Costs of falling short of a target; large enough that the solver never prefers them."""

    compute_cny_per_eflops: _number("penalty.*") = 1e11
    intelligent_cny_per_eflops: _number("penalty.*") = 1e11
    demand_cny_per_eflops: _number("penalty.*") = 1e11
    # Above the target penalties over the occupancy rule (1e11 / 0.65): emptying existing
    # racks to fill new ones never pays, so a target that demand cannot fill falls short
    # instead of being met with idle racks.
    occupancy_cny_per_eflops: _number("penalty.*") = 1e12
    green_cny_per_mwh: _number("penalty.*") = 1e5
    carbon_cap_cny_per_tco2: _number("penalty.*") = 1e5


class ModelFile(_Strict):
    """A planning model: the scenario, its data, targets and options."""

    scenario: str = Field(min_length=1, max_length=SCENARIO_MAX_CHARS)
    description: str = ""
    description_zh: str = ""
    data_dir: str = Field("../data", min_length=1)
    years: list[Year] = Field(min_length=1)
    target: Targets = Field(default_factory=Targets)
    carbon_price_cny_per_tco2: _number("carbon_price_cny_per_tco2") = 0.0
    carbon_cap_tco2: dict[Year, _number("carbon_cap_tco2.*")] = Field(default_factory=dict)
    price_scale: dict[Literal["east", "west"], _number("price_scale.*")] = Field(
        default_factory=dict
    )
    capex_scale: dict[
        Literal["general", "intelligent", "supercomputing"], _number("capex_scale.*")
    ] = Field(default_factory=dict)
    demand_scale: dict[
        Literal["general", "intelligent", "supercomputing"], _number("demand_scale.*")
    ] = Field(
        default_factory=dict,
        description=(
            "multiplies data/demand.csv by rack class (a single number scales every class);"
            " the growth path in the data is sourced, the scale is the planner's what-if"
        ),
    )
    campus_phases: bool = False
    time: TimeOptions = Field(default_factory=TimeOptions)
    solver: SolverOptions = Field(default_factory=SolverOptions)
    penalty: Penalties = Field(default_factory=Penalties)

    @field_validator("scenario")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        if not SCENARIO_PATTERN.fullmatch(v):
            raise ValueError(
                f"'{v}' is not a safe file name (it names runs/<scenario> and "
                "reports/<scenario>.html); use letters, digits, '_', '-' and '.', starting "
                "and ending with a letter or digit, e.g. national_2025"
            )
        return v

    @field_validator("years")
    @classmethod
    def _years(cls, v: list[int]) -> list[int]:
        if sorted(set(v)) != v:
            raise ValueError(f"{v}: give distinct years in increasing order")
        return v

    @field_validator("demand_scale", mode="before")
    @classmethod
    def _demand_scale(cls, v: Any) -> Any:
        # One number scales every class (the older, scalar form of the key); "1e2" is a
        # number to the user though YAML 1.1 reads it as text.
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return dict.fromkeys(("general", "intelligent", "supercomputing"), float(v))
        return v


# --------------------------------------------------------------------------- messages

_WHOLE = frozenset({"solver.threads", "years.*"})
_NUMBER_ERRORS = {
    "finite_number",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "float_parsing",
    "float_type",
    "int_parsing",
    "int_type",
    "int_from_float",
}


def _fmt(value: Any) -> str:
    """A number as the user would write it (100000, 0.35, 1e+300), text as given."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return repr(value)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        if abs(value) < 1e7:
            return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range_key(loc: tuple[str, ...]) -> str | None:
    dotted = ".".join(loc)
    if dotted in RANGES:
        return dotted
    starred = ".".join([*loc[:-1], "*"])
    return starred if starred in RANGES else None


def _number_message(range_key: str, err: dict[str, Any]) -> str:
    lo, hi, unit = RANGES[range_key]
    shown = _fmt(err.get("input"))
    kind = err["type"]
    open_below = range_key in OPEN_BELOW
    if kind == "finite_number":
        problem = "not a finite number"
    elif kind.startswith(("float_", "int_")) and kind != "int_from_float":
        problem = "not a number"
    elif kind == "int_from_float":
        problem = "not a whole number"
    elif unit == "fraction":
        problem = "not a fraction"
    elif kind.startswith("greater"):
        bound = "greater than" if open_below else "greater than or equal to"
        low = "negative" if lo == 0 and not open_below else "too small"
        problem = f"{low} (it must be {bound} {_fmt(lo)})"
    else:
        problem = f"too large (it must be less than or equal to {_fmt(hi)})"
    left = "(" if open_below else "["
    what = "a whole number" if range_key in _WHOLE else "a number"
    return f"{shown} is {problem}; give {what} in {left}{_fmt(lo)}, {_fmt(hi)}] ({unit})"


def _origin(loc: tuple[str, ...], origins: dict[tuple[str, ...], str]) -> str | None:
    """The option (``--set``, ``--vary``) that set the key at ``loc``, if one did."""
    for path, label in origins.items():
        n = min(len(path), len(loc))
        if n and path[:n] == loc[:n]:
            return label
    return None


def _problems_from(
    exc: ValidationError, file: str, origins: dict[tuple[str, ...], str] | None = None
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        is_key = bool(loc) and loc[-1] == "[key]"
        if is_key:
            loc = loc[:-1]
        key = ".".join(loc) or "(top level)"
        range_key = _range_key(loc)
        if range_key == "years.*":
            key = "years"
        if err["type"] == "extra_forbidden":
            message = f"{key} is not a known key" + _did_you_mean(key)
        elif err["type"] == "missing":
            message = f"{key} is required but missing"
        elif is_key:
            message = (
                f"{loc[-1]} is not a year in [{YEAR_RANGE[0]}, {YEAR_RANGE[1]}]; "
                "give the year as a whole number"
            )
        elif range_key is not None and err["type"] in _NUMBER_ERRORS:
            message = _number_message(range_key, err)
        else:
            message = f"{key} {err['msg'].removeprefix('Value error, ')}"
        where = _origin(loc, origins or {}) or file
        problems.append(Problem(file=where, row=None, column=key, message=message))
    return problems


def _did_you_mean(key: str) -> str:
    """``; did you mean ...?`` with the nearest settable keys (``planner keys`` lists all)."""
    import difflib

    known = [k.key for k in settable_keys()]
    pattern = re.sub(r"\.\d{4}\b", ".<year>", key)
    close = difflib.get_close_matches(pattern, known, n=3, cutoff=0.6)
    if not close:
        return "; planner keys lists every key"
    return f"; did you mean {' or '.join(close)}? (planner keys lists every key)"


# --------------------------------------------------------------------------- the keys


@dataclass(frozen=True)
class SettableKey:
    """One key a model file or ``--set`` can give."""

    key: str  # dotted; <year>, <east|west> ... stand for the keys of a mapping
    type: str
    default: Any
    unit: str
    meaning: str


KEY_MEANINGS: dict[str, str] = {
    "scenario": "name of the run: runs/<scenario>, reports/<scenario>.html",
    "description": "what the scenario asks, shown at the top of the report",
    "description_zh": "the description in Chinese, shown at the top of the Chinese report",
    "data_dir": "the data folder, relative to the model file",
    "years": "plan years, after the base year of data/params.csv",
    "target.total_eflops": "national compute in service by the end of the year",
    "target.intelligent_share": "intelligent share of the compute in service",
    "target.green_share_new_hub": "green power share of the new capacity in every hub",
    "target.hourly_cfe_share": "hourly-matched carbon-free share of new hub capacity (24/7)",
    "carbon_price_cny_per_tco2": "carbon price on grid emissions",
    "carbon_cap_tco2": "national cap on grid emissions by year (none: no cap)",
    "price_scale": "multiplies the grid prices of eastern or western sites",
    "capex_scale": "multiplies the rack capex of a class",
    "demand_scale": "multiplies the demand of a class (one number: every class)",
    "campus_phases": "integer campus phases with a fixed cost per phase",
    "time.representative_days": "representative days (tsam), or full for 8760 hours",
    "solver.time_limit_s": "HiGHS time limit",
    "solver.mip_gap": "relative MIP gap the plan is proven within",
    "solver.threads": "HiGHS threads",
    "solver.log": "show HiGHS's own log",
    "penalty": "cost of one unit of shortfall of a target (large: never preferred)",
}


def settable_keys() -> list[SettableKey]:
    """Every key a model file can give, with its type, default, unit and meaning, read
    from :class:`ModelFile` itself and :data:`RANGES` (the list ``planner keys`` prints)."""
    out: list[SettableKey] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            key = f"{prefix}{name}"
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{key}.")
                continue
            args = getattr(annotation, "__args__", ())
            default = field.get_default(call_default_factory=True)
            if getattr(annotation, "__origin__", None) is dict:
                key_type, value_type = args
                member = _key_placeholder(key_type)
                out.append(_settable(f"{key}.{member}", value_type, None, key))
            else:
                out.append(_settable(key, annotation, default, key))

    walk(ModelFile, "")
    return out


def _key_placeholder(key_type: Any) -> str:
    choices = getattr(key_type, "__args__", None)
    if getattr(key_type, "__origin__", None) is Literal and choices:
        return "<" + "|".join(map(str, choices)) + ">"
    return "<year>"


def _settable(key: str, annotation: Any, default: Any, meaning_key: str) -> SettableKey:
    range_key = _range_key(tuple(key.replace("<year>", "2025").split(".")))
    unit = RANGES[range_key][2] if range_key in RANGES else ""
    if range_key in RANGES:
        lo, hi, _ = RANGES[range_key]
        unit = f"{unit}, {_fmt(lo)} to {_fmt(hi)}"
    meaning = KEY_MEANINGS.get(meaning_key) or KEY_MEANINGS.get(meaning_key.split(".")[0], "")
    if default is PydanticUndefined:
        default = "(required)"
    return SettableKey(key, _type_name(annotation), default, unit, meaning)


def _type_name(annotation: Any) -> str:
    """A field's type in plain words: ``number``, ``whole number``, ``list of years`` ..."""
    if hasattr(annotation, "__metadata__"):  # Annotated[base, ...]
        annotation = annotation.__args__[0]
    args = getattr(annotation, "__args__", ())
    origin = getattr(annotation, "__origin__", None)
    if origin is list:
        return "list of years"
    if origin is Literal:
        return " or ".join(repr(a) for a in args)
    if args:  # a union
        return " or ".join(_type_name(a) for a in args)
    return {float: "number", int: "whole number", str: "text", bool: "true or false"}.get(
        annotation, getattr(annotation, "__name__", str(annotation))
    )


# --------------------------------------------------------------------------- reading


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first_line: int, line: int):
        self.key, self.first_line, self.line = key, first_line, line
        super().__init__(f"key '{key}' is given twice")


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (YAML 1.2 does)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, seen[key], line)
                seen[key] = line
            except TypeError:  # an unhashable key: the constructor reports it
                continue
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse YAML text like ``yaml.safe_load``, refusing duplicate keys."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects


def _decode(data: bytes, file: str) -> str:
    """The text of a model file: UTF-8 (with or without a BOM), or one clear problem."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        raise InputError(
            [
                Problem(
                    file,
                    None,
                    None,
                    "is UTF-16 text; a model file must be UTF-8: save it again with the "
                    "encoding UTF-8",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            [
                Problem(
                    file,
                    line,
                    None,
                    f"is not UTF-8 text (byte 0x{data[exc.start]:02x} is not valid UTF-8; the "
                    "file may be Latin-1 or GBK); a model file must be UTF-8: save it again "
                    "with the encoding UTF-8",
                )
            ]
        ) from None


def parse_model(
    raw: dict[str, Any], file: str, *, origins: dict[tuple[str, ...], str] | None = None
) -> ModelFile:
    """Validate a model mapping; raise :class:`InputError` listing every problem.

    ``origins`` maps a key path (as strings) to the option that set it (``--set``); a
    problem with that key is blamed on the option rather than on ``file``.
    """
    if not isinstance(raw, dict):
        raise InputError([Problem(file, None, None, "the model file must be a YAML mapping")])
    raw = renamed_keys(raw, file)
    try:
        return ModelFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_problems_from(exc, file, origins)) from None


def renamed_keys(raw: dict[str, Any], file: str) -> dict[str, Any]:
    """``raw`` with every deprecated key (:data:`DEPRECATED_KEYS`) under its new name."""
    old = [k for k in DEPRECATED_KEYS if k in raw]
    if not old:
        return raw
    out = dict(raw)
    problems = []
    for key in old:
        new = DEPRECATED_KEYS[key]
        if new in out:
            problems.append(
                Problem(file, None, key, f"{key} and {new} are the same setting; give only {new}")
            )
            continue
        log.warning("%s: the key %s is deprecated; it is now %s", file, key, new)
        out[new] = out.pop(key)
    if problems:
        raise InputError(problems)
    return out


def read_model_raw(path: Path) -> dict[str, Any]:
    """Read a model file as a plain mapping (before overrides)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(
            [Problem(str(path), None, None, "the model file does not exist")]
        ) from None
    text = _decode(data, str(path))
    try:
        raw = load_yaml(text)
    except _DuplicateKey as exc:
        same = exc.first_line == exc.line
        where = f"line {exc.line}" if same else f"lines {exc.first_line} and {exc.line}"
        raise InputError(
            [
                Problem(
                    str(path),
                    exc.line,
                    str(exc.key),
                    f"is given twice ({where}); give each key once",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark else None
        raise InputError([Problem(str(path), row, None, f"is not valid YAML: {exc}")]) from None
    return raw if raw is not None else {}


def apply_overrides(
    raw: dict[str, Any],
    overrides: list[str],
    file: str,
    *,
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` overrides with dotted keys; values are parsed as YAML scalars.

    The result is validated by :func:`parse_model`, so an unknown key or a bad value is
    reported there with the key's full path. ``labels`` names the option each override
    came from (``--set`` by default), for the messages.
    """
    out = copy.deepcopy(raw)
    problems = []
    for i, item in enumerate(overrides):
        label = labels[i] if labels is not None else "--set"
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            problems.append(Problem(label, None, item, "must look like KEY=VALUE"))
            continue
        try:
            value = load_yaml(text)
        except yaml.YAMLError:
            value = text
        parts = key.strip().split(".")
        if parts[0] in DEPRECATED_KEYS:
            log.warning("%s: the key %s is deprecated; it is now %s", label, parts[0],
                        DEPRECATED_KEYS[parts[0]])  # fmt: skip
            parts[0] = DEPRECATED_KEYS[parts[0]]
        node = out
        for part in parts[:-1]:
            nxt = node.get(_key(part)) if isinstance(node, dict) else None
            if nxt is None:
                nxt = {}
                node[_key(part)] = nxt
            if not isinstance(nxt, dict):
                problems.append(Problem(label, None, key, f"{part} is not a section"))
                break
            node = nxt
        else:
            node[_key(parts[-1])] = value
    if problems:
        raise InputError(problems)
    return out


RUN_OPTIONS: dict[str, tuple[str, str, str]] = {
    "days": ("time", "representative_days", "--hours"),
    "time_limit_s": ("solver", "time_limit_s", "--time-limit"),
    "mip_gap": ("solver", "mip_gap", "--gap"),
    "threads": ("solver", "threads", "--threads"),
    "solver_log": ("solver", "log", "--log"),
}
"""The run options of ``planner solve`` and ``planner plan``: keyword of
:func:`with_options` (and :func:`planner.run.run_model`) -> (section, key) of the model
file it sets, and the command-line option that gives it."""


def with_options(model: ModelFile, file: str = "model file", **options: Any) -> ModelFile:
    """``model`` with the run options given (those not None) set to their typed values.

    The options (keywords of :data:`RUN_OPTIONS`: ``days``, ``time_limit_s``,
    ``mip_gap``, ``threads``, ``solver_log``) replace their keys in the ``time`` and
    ``solver`` sections, and the model is validated again, so every range still holds:
    a value out of range is an :class:`InputError` blamed on its option (``--hours``,
    ``--time-limit``, ...). Unlike ``--set``, nothing is written as text and parsed again.
    """
    unknown = sorted(set(options) - set(RUN_OPTIONS))
    if unknown:
        raise TypeError(f"unknown run options: {', '.join(unknown)}")
    raw = model.model_dump()
    origins: dict[tuple[str, ...], str] = {}
    for name, value in options.items():
        if value is not None:
            section, key, option = RUN_OPTIONS[name]
            raw[section][key] = value
            origins[(section, key)] = option
    if not origins:
        return model
    return parse_model(raw, file, origins=origins)


def override_origins(
    overrides: Sequence[str], labels: Sequence[str] | None = None
) -> dict[tuple[str, ...], str]:
    """Key path -> the option that set it, for :func:`parse_model`'s messages."""
    origins: dict[tuple[str, ...], str] = {}
    for i, item in enumerate(overrides):
        key = item.partition("=")[0].strip()
        if key:
            origins[tuple(key.split("."))] = labels[i] if labels is not None else "--set"
    return origins


def _key(part: str) -> str | int:
    # Year keys in YAML are integers; keep them integers when given on the command line.
    return int(part) if part.isdigit() else part


def load_model(
    path: Path | str,
    overrides: list[str] | None = None,
    *,
    labels: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[ModelFile, Path]:
    """Read, override and validate a model file; return it and its data directory.

    ``overrides`` are ``KEY=VALUE`` texts; ``labels`` names the option each came from
    (``--set`` by default). ``options`` are typed run options, set after them
    (:func:`with_options`).

    Raises
    ------
    InputError
        On any problem of the file, the overrides or the options, or if the data folder
        does not exist.
    """
    path = Path(path)
    overrides = list(overrides or [])
    raw = apply_overrides(read_model_raw(path), overrides, str(path), labels=labels)
    origins = override_origins(overrides, labels)
    model = parse_model(raw, str(path), origins=origins)
    _check_set_years(model, origins)
    model = with_options(model, str(path), **(options or {}))
    data_dir = (path.parent / model.data_dir).resolve()
    if not data_dir.is_dir():
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    "data_dir",
                    f"'{model.data_dir}' does not exist (resolved to {data_dir}); give the "
                    "folder holding the CSV tables, relative to the model file",
                )
            ]
        )
    return model, data_dir


_YEARLY_KEYS = (
    ("target", "total_eflops"),
    ("target", "intelligent_share"),
    ("target", "green_share_new_hub"),
    ("target", "hourly_cfe_share"),
    ("carbon_cap_tco2",),
)


def _check_set_years(model: ModelFile, origins: dict[tuple[str, ...], str]) -> None:
    """A ``--set`` (or ``--vary``) for a year that is not a plan year would change nothing:
    refuse it instead of ignoring it silently."""
    problems = []
    for path, label in origins.items():
        for prefix in _YEARLY_KEYS:
            n = len(prefix)
            if path[:n] == prefix and len(path) == n + 1 and path[n].isdigit():
                year = int(path[n])
                if year not in model.years:
                    plan = ", ".join(map(str, model.years))
                    message = (
                        f"{year} is not a plan year of the model ({plan}); set a plan year, "
                        "or add the year to years"
                    )
                    problems.append(Problem(label, None, ".".join(path), message))
    if problems:
        raise InputError(problems)


def resolved_yaml(model: ModelFile) -> str:
    """The model as YAML with every default filled in, for the run folder."""
    return yaml.safe_dump(model.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
