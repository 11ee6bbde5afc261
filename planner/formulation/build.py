"""Build the planning model: one ``add_<family>`` per constraint family, called in order.

The builder never opens a file. It receives the time-sliced inputs Dataset from the loader
and returns a Pyomo ``ConcreteModel``. The families meet only through named components
(``racks_total_std``, ``compute_eflops``, ``grid_energy_mwh``,
``emissions_tco2``, ...) and through the indexed Expression ``cost_cny[component, year]``,
which ``costs.add_costs`` sums into the one objective.

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
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

if TYPE_CHECKING:
    from planner.model_file import ModelFile

log = logging.getLogger(__name__)

OBJECTIVE_SCALE_CNY = 1e6
"""CNY per unit of the Pyomo objective (the objective is in million CNY)."""

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

COST_COMPONENTS = (
    "capex_racks",
    "capex_energy",
    "campus",
    "om",
    "energy",
    "certificates",
    "transfer",
    "carbon",
    "penalty",
)


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
        Add integer campus phases with a fixed cost per phase (``stock.add_stock``).
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


@dataclass
class ModelData:
    """Plain-Python data shared by the families (attached to the model as ``m.planner_data``).

    Families read inputs themselves; this holds only the derived indices every family
    needs (plan years, their gaps and discount factors, time-step weights, hubs) and a
    few derived arrays a family publishes for later ones (documented where set).
    """

    sites: list
    rack_classes: list
    years: list[int]
    timesteps: list
    base_year: int
    discount_rate_frac: float
    prev_year: dict[int, int]
    gap_years: dict[int, int]
    discount_factor: dict[int, float]
    weight_h: dict[Any, float]
    prev_timestep: dict[Any, Any]  # cyclic within each representative day
    hub_sites: dict[str, list]  # national hubs -> their sites
    objective_scale_cny: float = OBJECTIVE_SCALE_CNY
    # published by stock.add_stock
    stock_racks_in_service: dict = field(default_factory=dict)  # (s, c, y) -> std racks
    stock_eflops_in_service: dict = field(default_factory=dict)  # (s, c, y) -> EFLOPS
    build_years_in_service: dict = field(default_factory=dict)  # (c, y) -> [y' built, in use]
    new_eflops_per_std_rack: dict = field(default_factory=dict)  # (c, y', y) -> EFLOPS/rack
    # published by power.add_power
    load_mw_per_std_rack: np.ndarray | None = None  # (site, rack_class, timestep) [MW]
    annual_mwh_per_std_rack: dict = field(default_factory=dict)  # (s, c) -> MWh/yr
    stock_load_mw: list | None = None  # [site][year][timestep] load of the stock [MW]
    load_terms: Any = None  # (s, y, t) -> (constant, coefs, build_modules vars) of the load


def param(inputs: xr.Dataset, name: str) -> dict:
    """A Dataset variable as ``{index: value}`` (index a tuple for 2+ dims, as Pyomo)."""
    da = inputs[name]
    if da.ndim == 0:
        return {None: da.item()}
    return da.to_series().to_dict()


def scalar(inputs: xr.Dataset, name: str) -> float:
    """A 0-d Dataset variable as a float."""
    return float(inputs[name].item())


def crf(rate: float, lifetime_years: float) -> float:
    """Capital recovery factor CRF(r, L) = r (1+r)^L / ((1+r)^L - 1); 1/L when r = 0."""
    if rate == 0:
        return 1.0 / lifetime_years
    g = (1.0 + rate) ** lifetime_years
    return rate * g / (g - 1.0)


def coord(inputs: xr.Dataset, name: str) -> list:
    """A coordinate as a list of Python scalars."""
    return inputs[name].values.tolist()


def _model_data(inputs: xr.Dataset) -> ModelData:
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
    hub_sites: dict[str, list] = {}
    in_hub = inputs["site_in_national_hub"].values
    for s, h, flag in zip(coord(inputs, "site"), coord(inputs, "site_hub"), in_hub, strict=True):
        if bool(flag):
            hub_sites.setdefault(str(h), []).append(s)
    return ModelData(
        sites=coord(inputs, "site"),
        rack_classes=coord(inputs, "rack_class"),
        years=years,
        timesteps=timesteps,
        base_year=b0,
        discount_rate_frac=rate,
        prev_year=prev,
        gap_years={y: y - prev[y] for y in years},
        discount_factor={y: (1.0 + rate) ** -(y - b0) for y in years},
        weight_h=dict(zip(timesteps, inputs["timestep_weight_h"].values.tolist(), strict=True)),
        prev_timestep=prev_t,
        hub_sites={h: hub_sites[h] for h in sorted(hub_sites)},
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
    m.COST_COMPONENTS = pyo.Set(initialize=COST_COMPONENTS, ordered=True)


def build_model(inputs: xr.Dataset, options: FormulationOptions) -> pyo.ConcreteModel:
    """Build the planning MILP from a time-sliced inputs Dataset.

    Calls, in order: stock, compute, demand, power, storage, green, carbon, costs. Each
    family documents its maths and what it needs from the earlier ones.
    """
    from planner.formulation import (
        carbon,
        compute,
        costs,
        demand,
        green,
        power,
        stock,
        storage,
    )

    t0 = time.perf_counter()
    m = pyo.ConcreteModel(name="planner")
    m.planner_data = _model_data(inputs)
    _add_sets(m, inputs)
    for family in (stock, compute, demand, power, storage, green, carbon, costs):
        t = time.perf_counter()
        getattr(family, f"add_{family.__name__.rsplit('.', 1)[-1]}")(m, inputs, options)
        log.debug("built %s in %.2f s", family.__name__, time.perf_counter() - t)
    log.info("built the model in %.2f s", time.perf_counter() - t0)
    return m


def linear(coefs: list[float], variables: list, constant: float = 0.0) -> LinearExpression:
    """``constant + sum(coefs * variables)`` built directly as one LinearExpression.

    The hourly rows are built this way: it skips Pyomo's operator overloading (an order
    of magnitude faster for ~1e6 rows) and hands the solver interface a flat expression.
    """
    args: list = [constant] if constant else []
    args.extend(
        v if c == 1.0 else MonomialTermExpression((c, v))
        for c, v in zip(coefs, variables, strict=True)
    )
    return LinearExpression(args)


def dense(var: pyo.Var, *sizes: int) -> np.ndarray:
    """The VarData of a Var indexed by a product of ordered sets, as an object array.

    Hourly rules index it by position (``x[i, j, k]``), which is several times faster
    than Pyomo's ``var[s, y, t]`` lookup across ~1e6 rows.
    """
    arr = np.empty(len(var), dtype=object)
    arr[:] = list(var.values())
    return arr.reshape(sizes)
