"""The model file (YAML): which data, which targets, which options.

A model file is validated by pydantic; an unknown key or a wrong value is an error that
names the file, the key and what would be valid. ``--set KEY=VALUE`` overrides use the
same dotted keys (``target.total_eflops.2025=320``, ``carbon_price_cny_per_t=100``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from planner.errors import InputError, Problem

DEFAULT_MODEL = Path("models/national_2025.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(_Strict):
    """Targets by year; a year not given falls back to ``data/targets.csv``."""

    total_eflops: dict[int, float] = Field(default_factory=dict)
    intelligent_share: dict[int, float] = Field(default_factory=dict)
    green_share_new_hub: dict[int, float] = Field(default_factory=dict)
    hourly_cfe_share: dict[int, float] = Field(
        default_factory=dict,
        description="hourly-matched carbon-free share of new hub capacity (24/7); off if empty",
    )

    @field_validator("total_eflops")
    @classmethod
    def _nonneg(cls, v: dict[int, float]) -> dict[int, float]:
        for year, value in v.items():
            if value < 0:
                raise ValueError(f"{year}: {value} is negative; give EFLOPS >= 0")
        return v

    @field_validator("intelligent_share", "green_share_new_hub", "hourly_cfe_share")
    @classmethod
    def _fraction(cls, v: dict[int, float]) -> dict[int, float]:
        for year, value in v.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{year}: {value} is not a fraction; give a number in [0, 1]")
        return v


class TimeOptions(_Strict):
    """Time resolution: representative days (tsam) or the full 8760-hour year."""

    representative_days: int | Literal["full"] = 8

    @field_validator("representative_days")
    @classmethod
    def _days(cls, v: int | str) -> int | str:
        if v != "full" and not 1 <= int(v) <= 365:
            raise ValueError(f"{v} days; give 1 to 365, or 'full'")
        return v


class SolverOptions(_Strict):
    time_limit_s: float = Field(600.0, gt=0)
    mip_gap: float = Field(1e-3, ge=0, le=1)
    threads: int = Field(1, ge=1, le=64)
    log: bool = False


class Penalties(_Strict):
    """Costs of falling short of a target; large enough that the solver never prefers them."""

    compute_cny_per_eflops: float = Field(1e11, gt=0)
    intelligent_cny_per_eflops: float = Field(1e11, gt=0)
    demand_cny_per_eflops: float = Field(1e11, gt=0)
    # Above the target penalties over the occupancy rule (1e11 / 0.65): emptying existing
    # racks to fill new ones never pays, so a target that demand cannot fill falls short
    # instead of being met with idle racks.
    occupancy_cny_per_eflops: float = Field(1e12, gt=0)
    green_cny_per_mwh: float = Field(1e5, gt=0)
    carbon_cap_cny_per_tco2: float = Field(1e5, gt=0)


class ModelFile(_Strict):
    """A planning model: the scenario, its data, targets and options."""

    scenario: str = Field(min_length=1, max_length=120)
    description: str = ""
    data_dir: str = "../data"
    years: list[int] = Field(min_length=1)
    target: Targets = Field(default_factory=Targets)
    carbon_price_cny_per_t: float = Field(0.0, ge=0)
    carbon_cap_tco2: dict[int, float] = Field(default_factory=dict)
    price_scale: dict[Literal["east", "west"], float] = Field(default_factory=dict)
    capex_scale: dict[Literal["general", "intelligent", "supercomputing"], float] = Field(
        default_factory=dict
    )
    demand_scale: dict[Literal["general", "intelligent", "supercomputing"], float] = Field(
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

    @field_validator("years")
    @classmethod
    def _years(cls, v: list[int]) -> list[int]:
        if sorted(set(v)) != v:
            raise ValueError(f"{v}: give distinct years in increasing order")
        return v

    @field_validator("demand_scale", mode="before")
    @classmethod
    def _demand_scale(cls, v: Any) -> Any:
        # One number scales every class (the older, scalar form of the key).
        if isinstance(v, int | float) and not isinstance(v, bool):
            return dict.fromkeys(("general", "intelligent", "supercomputing"), float(v))
        return v

    @field_validator("price_scale", "capex_scale", "carbon_cap_tco2", "demand_scale")
    @classmethod
    def _positive_values(cls, v: dict[Any, float]) -> dict[Any, float]:
        for key, value in v.items():
            if value < 0:
                raise ValueError(f"{key}: {value} is negative")
        return v


def _problems_from(exc: ValidationError, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            what = "is not a known key"
        elif err["type"] == "missing":
            what = "is required but missing"
        else:
            what = err["msg"].removeprefix("Value error, ")
        problems.append(Problem(file=file, row=None, column=key, message=f"{key} {what}"))
    return problems


def parse_model(raw: dict[str, Any], file: str) -> ModelFile:
    """Validate a model mapping; raise :class:`InputError` listing every problem."""
    if not isinstance(raw, dict):
        raise InputError([Problem(file, None, None, "the model file must be a YAML mapping")])
    try:
        return ModelFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_problems_from(exc, file)) from None


def read_model_raw(path: Path) -> dict[str, Any]:
    """Read a model file as a plain mapping (before overrides)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            [Problem(str(path), None, None, "the model file does not exist")]
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark else None
        raise InputError([Problem(str(path), row, None, f"is not valid YAML: {exc}")]) from None
    return raw if raw is not None else {}


def apply_overrides(raw: dict[str, Any], overrides: list[str], file: str) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` overrides with dotted keys; values are parsed as YAML scalars.

    The result is validated by :func:`parse_model`, so an unknown key or a bad value is
    reported there with the key's full path.
    """
    out = copy.deepcopy(raw)
    problems = []
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            problems.append(Problem("--set", None, item, "must look like KEY=VALUE"))
            continue
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        parts = key.strip().split(".")
        node = out
        for part in parts[:-1]:
            nxt = node.get(_key(part)) if isinstance(node, dict) else None
            if nxt is None:
                nxt = {}
                node[_key(part)] = nxt
            if not isinstance(nxt, dict):
                problems.append(Problem("--set", None, key, f"{part} is not a section"))
                break
            node = nxt
        else:
            node[_key(parts[-1])] = value
    if problems:
        raise InputError(problems)
    return out


def _key(part: str) -> str | int:
    # Year keys in YAML are integers; keep them integers when given on the command line.
    return int(part) if part.isdigit() else part


def load_model(path: Path | str, overrides: list[str] | None = None) -> tuple[ModelFile, Path]:
    """Read, override and validate a model file; return it and its data directory."""
    path = Path(path)
    raw = apply_overrides(read_model_raw(path), overrides or [], str(path))
    model = parse_model(raw, str(path))
    data_dir = (path.parent / model.data_dir).resolve()
    return model, data_dir


def resolved_yaml(model: ModelFile) -> str:
    """The model as YAML with every default filled in, for the run folder."""
    return yaml.safe_dump(model.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
