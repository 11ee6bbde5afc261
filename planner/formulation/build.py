"""Build the planning model: the families of :data:`FAMILIES`, in order, then the links.

The builder never opens a file. It receives the time-sliced inputs Dataset from the loader
and returns a Pyomo ``ConcreteModel``. It computes the read-only indices every family
shares (:class:`ModelData`, from the inputs alone), declares the sets, calls each family's
``add(m, inputs, options)`` and closes the two linking terms the families contributed to
(:mod:`planner.formulation.linking`: the cost components and the hourly balance).

Scaling (the one place)
-----------------------
Every cost Expression is in CNY. The objective alone is divided by
:data:`OBJECTIVE_SCALE_CNY` (it is in million CNY), which keeps the hourly energy-cost
coefficients (a few 1e-4 .. 1e1) well above HiGHS's dual-feasibility tolerance while the
shortfall penalties (1e11 CNY/EFLOPS) stay below 1e6. :mod:`planner.solve` multiplies the
objective, the bound and the duals back to CNY.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from planner.formulation import (
    carbon,
    case,
    compute,
    demand,
    green,
    linking,
    power,
    stock,
    storage,
)
from planner.formulation.helpers import coord, param, scalar
from planner.formulation.linking import COST_COMPONENTS

if TYPE_CHECKING:
    from planner.model_file import ModelFile

log = logging.getLogger(__name__)

__all__ = [
    "COST_COMPONENTS",
    "DESIGN_VARIABLES",
    "FAMILIES",
    "OBJECTIVE_SCALE_CNY",
    "REPAIR_LIMITS",
    "FormulationOptions",
    "ModelData",
    "PenaltyOptions",
    "build_model",
]

OBJECTIVE_SCALE_CNY = 1e6
"""CNY per unit of the Pyomo objective (the objective is in million CNY)."""

FAMILIES = (stock, compute, demand, power, storage, green, carbon)
"""The constraint families, in the order they are added: each documents what it needs
from the earlier ones; every family contributes its own costs (and ``power`` and
``storage`` their hourly supply) to :mod:`planner.formulation.linking`."""

DESIGN_VARIABLES = (
    "build_modules",
    "campus_phases",
    "solar_new_mw",
    "wind_new_mw",
    "hydro_contract_mw",
    "battery_power_new_mw",
    "battery_energy_new_mwh",
)
"""The build decisions: few (indexed by site, class and year, never by hour), and each
enters every hourly row of its site. A solve at coarse time resolution places them well
for a solve at fine resolution (``planner.solve``'s trust region)."""

REPAIR_LIMITS = ("rack_limit", "build_rate_limit")
"""Site limits a rounded-up plan can break (``stock``); ``planner.solve`` steps rounded-up
build modules back down until they hold."""


@dataclass(frozen=True)
class PenaltyOptions:
    """Costs of falling short of a target (see ``planner.model_file.Penalties``)."""

    compute_cny_per_eflops: float = 1e11
    intelligent_cny_per_eflops: float = 1e11
    demand_cny_per_eflops: float = 1e11
    occupancy_cny_per_eflops: float = 1e12
    green_cny_per_mwh: float = 1e5
    carbon_cap_cny_per_tco2: float = 1e5


@dataclass(frozen=True)
class FormulationOptions:
    """Switches of the formulation that are not data.

    Parameters
    ----------
    campus_phases
        Add integer campus phases with a fixed cost per phase (``stock.add``).
    penalties
        Penalty costs of the shortfall variables [CNY per unit of shortfall and year].
    """

    campus_phases: bool = False
    penalties: PenaltyOptions = field(default_factory=PenaltyOptions)

    @classmethod
    def from_model_file(cls, model: ModelFile) -> FormulationOptions:
        p = model.penalty
        return cls(
            campus_phases=model.campus_phases,
            penalties=PenaltyOptions(
                compute_cny_per_eflops=p.compute_cny_per_eflops,
                intelligent_cny_per_eflops=p.intelligent_cny_per_eflops,
                demand_cny_per_eflops=p.demand_cny_per_eflops,
                occupancy_cny_per_eflops=p.occupancy_cny_per_eflops,
                green_cny_per_mwh=p.green_cny_per_mwh,
                carbon_cap_cny_per_tco2=p.carbon_cap_cny_per_tco2,
            ),
        )


@dataclass(frozen=True)
class ModelData:
    """Read-only indices every family shares (attached to the model as ``m.planner_data``).

    Computed once from the inputs by :func:`model_data`; no family writes to it. Families
    read the inputs themselves for anything only they use.
    """

    sites: list
    rack_classes: list
    years: list[int]
    timesteps: list
    site_index: dict  # site -> position
    year_index: dict  # year -> position
    timestep_index: dict  # time step -> position
    discount_rate_frac: float
    gap_years: dict[int, int]  # years since the previous plan year (or the base year)
    discount_factor: dict[int, float]
    weight_h: dict[Any, float]
    prev_timestep: dict[Any, Any]  # cyclic within each representative day
    hub_sites: dict[str, list]  # national hubs -> their sites
    buildable: tuple  # (site, class, year) where a build module may be added
    build_years_in_service: dict  # (class, year) -> build years still in service
    stock_racks_in_service: dict  # (site, class, year) -> std racks
    stock_eflops_in_service: dict  # (site, class, year) -> EFLOPS, servers renewed
    new_eflops_per_std_rack: dict  # (class, build year, year) -> EFLOPS per rack
    load_mw_per_std_rack: np.ndarray  # (site, class, timestep) [MW]
    annual_mwh_per_std_rack: dict  # (site, class) -> MWh/year
    stock_load_mw: np.ndarray  # (site, year, timestep): load of the existing racks [MW]
    objective_scale_cny: float = OBJECTIVE_SCALE_CNY


def model_data(inputs: xr.Dataset) -> ModelData:
    """The shared indices of a time-sliced inputs Dataset."""
    years = [int(y) for y in coord(inputs, "year")]
    if years != sorted(years):
        raise ValueError(f"the plan years {years} are not sorted")
    b0 = int(scalar(inputs, "base_year"))
    prev = {y: (years[i - 1] if i else b0) for i, y in enumerate(years)}
    rate = scalar(inputs, "discount_rate_frac")
    timesteps = coord(inputs, "timestep")
    day = inputs["timestep_day"].values.tolist()
    prev_t: dict = {}
    start = 0
    for i in range(len(timesteps) + 1):
        if i == len(timesteps) or (i > start and day[i] != day[start]):
            # day runs timesteps[start:i]; its first hour follows its last (cyclic)
            for k in range(start, i):
                prev_t[timesteps[k]] = timesteps[k - 1] if k > start else timesteps[i - 1]
            start = i
    sites = coord(inputs, "site")
    classes = coord(inputs, "rack_class")
    hub_sites: dict[str, list] = {}
    in_hub = inputs["site_in_national_hub"].values
    for s, h, flag in zip(sites, coord(inputs, "site_hub"), in_hub, strict=True):
        if bool(flag):
            hub_sites.setdefault(str(h), []).append(s)
    gap_years = {y: y - prev[y] for y in years}
    weight_h = dict(zip(timesteps, inputs["timestep_weight_h"].values.tolist(), strict=True))

    life = param(inputs, "lifetime_years")
    build_years = {
        (c, y): [b for b in years if b <= y < b + life[c]] for c in classes for y in years
    }
    stock_racks, stock_eflops = stock.stock_in_service(inputs, years)
    load = power.load_mw_per_std_rack(inputs)
    weights = np.array([weight_h[t] for t in timesteps])
    annual = (load * weights).sum(axis=-1)
    racks = np.array([[[stock_racks[s, c, y] for y in years] for c in classes] for s in sites])
    return ModelData(
        sites=sites,
        rack_classes=classes,
        years=years,
        timesteps=timesteps,
        site_index={s: i for i, s in enumerate(sites)},
        year_index={y: n for n, y in enumerate(years)},
        timestep_index={t: k for k, t in enumerate(timesteps)},
        discount_rate_frac=rate,
        gap_years=gap_years,
        discount_factor={y: (1.0 + rate) ** -(y - b0) for y in years},
        weight_h=weight_h,
        prev_timestep=prev_t,
        hub_sites={h: hub_sites[h] for h in sorted(hub_sites)},
        buildable=stock.buildable(inputs, years, gap_years),
        build_years_in_service=build_years,
        stock_racks_in_service=stock_racks,
        stock_eflops_in_service=stock_eflops,
        new_eflops_per_std_rack=stock.new_eflops_per_std_rack(inputs, build_years),
        load_mw_per_std_rack=load,
        annual_mwh_per_std_rack={
            (s, c): float(annual[i, j]) for i, s in enumerate(sites) for j, c in enumerate(classes)
        },
        stock_load_mw=np.einsum("sct,scy->syt", load, racks.reshape(len(sites), len(classes), -1)),
    )


def _add_sets(m: pyo.ConcreteModel, inputs: xr.Dataset) -> None:
    d = m.planner_data
    m.SITES = pyo.Set(initialize=d.sites, ordered=True, doc="data-centre sites")
    m.RACK_CLASSES = pyo.Set(initialize=d.rack_classes, ordered=True, doc="rack classes")
    m.YEARS = pyo.Set(initialize=d.years, ordered=True, doc="plan years")
    m.TIMESTEPS = pyo.Set(initialize=d.timesteps, ordered=True, doc="time slices [h]")
    m.REGIONS = pyo.Set(initialize=coord(inputs, "region"), ordered=True, doc="demand regions")
    m.SERVICES = pyo.Set(initialize=coord(inputs, "service"), ordered=True, doc="services")
    m.HUBS = pyo.Set(initialize=list(d.hub_sites), ordered=True, doc="national hubs")
    m.BUILDABLE = pyo.Set(
        initialize=d.buildable, dimen=3, ordered=True, doc="(site, class, year) that may build"
    )
    m.COST_COMPONENTS = pyo.Set(initialize=COST_COMPONENTS, ordered=True)


def build_model(inputs: xr.Dataset, options: FormulationOptions) -> pyo.ConcreteModel:
    """Build the planning MILP from a time-sliced inputs Dataset.

    Adds the families of :data:`FAMILIES` in order, then closes the linking terms
    (:func:`planner.formulation.linking.close`). Each family documents its maths and
    what it needs from the earlier ones.
    """
    t0 = time.perf_counter()
    m = pyo.ConcreteModel(name="planner")
    m.planner_data = model_data(inputs)
    m.planner_links = linking.LinkingTerms()
    m.planner_case = case.CaseTerms()
    _add_sets(m, inputs)
    for family in FAMILIES:
        t = time.perf_counter()
        family.add(m, inputs, options)
        log.debug("built %s in %.2f s", family.__name__, time.perf_counter() - t)
    linking.close(m)
    log.info("built the model in %.2f s", time.perf_counter() - t0)
    return m
