"""A small but complete synthetic run folder for the report tests.

It follows the run-folder contract (DESIGN.md, planner/results.py, planner/run.py): the
Dataset is assembled and summarised by the package's own ``assemble_results`` and
``summarise`` and written by ``write_run``, so the report reads exactly what a real
run writes. Three sites (one west, one east, the 'outside' aggregate), three rack
classes, two years, two representative days (48 timesteps), two regions, three services.
The dispatch balances hour by hour: supply - charge - curtailment = facility load.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import xarray as xr

from planner.formulation.build import COST_COMPONENTS

SITES = ["qingyang", "yangtze_delta", "outside"]
SITE_HUB = ["gansu", "yangtze", "outside"]
HUBS = ["gansu", "yangtze", "outside"]
EAST_WEST = ["west", "east", "none"]
NAME_EN = ["Qingyang cluster", "Yangtze River Delta cluster", "Outside the hubs"]
NAME_ZH = ["庆阳集群", "长三角生态绿色一体化发展示范区集群", "枢纽外"]
LAT = [35.71, 31.0, 32.0]
LON = [107.64, 120.9, 112.0]
CLASSES = ["general", "intelligent", "supercomputing"]
YEARS = [2024, 2025]
REGIONS = ["east_china", "northwest"]
SERVICES = ["realtime", "interactive", "batch"]
COMPONENTS = list(COST_COMPONENTS)
N_T = 48

MODEL_YAML = """\
# Synthetic fixture model for the report tests.
scenario: {scenario}
description: {description}
data_dir: ../fixture_data
years: [2024, 2025]
target:
  total_eflops: {{2024: 260, 2025: 300}}
  intelligent_share: {{2024: 0.30, 2025: 0.35}}
  green_share_new_hub: {{2024: 0.80, 2025: 0.80}}
time:
  representative_days: 2
"""


def _da(values: Any, dims: tuple[str, ...], units: str, long_name: str) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values), dims=dims, attrs={"units": units, "long_name": long_name}
    )


def _inputs(data_dir: Path | None) -> xr.Dataset:
    t = np.arange(N_T)
    day = t // 24
    hour = t % 24
    weight = np.where(day == 0, 200.0, 165.0)
    coords = {
        "site": SITES,
        "rack_class": CLASSES,
        "year": YEARS,
        "timestep": t,
        "region": REGIONS,
        "service": SERVICES,
        "hub": HUBS,
        "component": COMPONENTS,
    }
    ds = xr.Dataset(coords=coords)
    ds["site_hub"] = _da(SITE_HUB, ("site",), "", "hub the site belongs to")
    ds["site_east_west"] = _da(EAST_WEST, ("site",), "", "east or west")
    ds["site_in_national_hub"] = _da([True, True, False], ("site",), "", "site lies in a hub")
    ds["site_name_en"] = _da(NAME_EN, ("site",), "", "site name")
    ds["site_name_zh"] = _da(NAME_ZH, ("site",), "", "site name (Chinese)")
    ds["site_lat_deg"] = _da(LAT, ("site",), "degree_north", "latitude")
    ds["site_lon_deg"] = _da(LON, ("site",), "degree_east", "longitude")
    ds["occupancy_min_frac"] = _da([0.65, 0.65, 0.6], ("site",), "1", "occupancy rule")
    ds["stock_occupancy_frac"] = _da([0.6, 0.6, 0.58], ("site",), "1", "stock occupancy")
    ds["rack_limit_std"] = _da(
        [1_000_000, 1_500_000, 9_000_000], ("site",), "std_rack", "rack limit"
    )
    ds["build_limit_std_per_year"] = _da(
        [400_000, 300_000, 600_000], ("site",), "std_rack/year", "build-rate limit"
    )
    ds["grid_limit_mw"] = _da([3_000.0, 6_000.0, 40_000.0], ("site",), "MW", "grid limit")
    ds["solar_limit_mw"] = _da([5_000.0, 500.0, 0.0], ("site",), "MW", "solar limit")
    ds["wind_limit_mw"] = _da([4_000.0, 300.0, 0.0], ("site",), "MW", "wind limit")
    ds["hydro_limit_mw"] = _da([0.0, 200.0, 0.0], ("site",), "MW", "hydro limit")
    ds["electricity_price_cny_per_mwh"] = _da(
        np.array([[380.0, 385.0], [650.0, 660.0], [600.0, 600.0]]),
        ("site", "year"),
        "CNY/MWh",
        "grid price, flat period",
    )
    ds["grid_ef_tco2_per_mwh"] = _da(
        np.array([[0.55, 0.54], [0.58, 0.57], [0.57, 0.56]]),
        ("site", "year"),
        "tCO2/MWh",
        "grid emission factor",
    )
    ds["base_year"] = xr.DataArray(2023, attrs={"units": "year"})
    ds["hydro_price_cny_per_mwh"] = _da([0.0, 300.0, 0.0], ("site",), "CNY/MWh", "hydro price")
    ds["gec_price_cny_per_mwh"] = xr.DataArray(30.0, attrs={"units": "CNY/MWh"})
    ds["fp16_per_fp32_intelligent"] = xr.DataArray(8.0, attrs={"units": "1"})
    ds["carbon_price_cny_per_tco2"] = xr.DataArray(0.0, attrs={"units": "CNY/tCO2"})
    ds["om_cny_per_std_rack_year"] = _da(
        [1_000.0, 3_000.0, 2_500.0], ("rack_class",), "CNY/(std_rack*year)", "fixed O&M"
    )
    hour_of_day = np.arange(N_T) % 24
    tou = np.where((hour_of_day >= 8) & (hour_of_day < 22), 1.2, 0.6)
    ds["price_multiplier"] = _da(
        np.tile(tou, (len(SITES), 1)), ("site", "timestep"), "1", "time-of-use multiplier"
    )
    ds["timestep_weight_h"] = _da(
        weight, ("timestep",), "h/year", "hours per year this hour stands for"
    )
    ds["timestep_day"] = _da(day, ("timestep",), "", "representative day")
    ds["timestep_hour_of_day"] = _da(hour, ("timestep",), "", "hour of day")
    ds["latency_ms"] = _da(
        np.array([[12.0, 1.5, 4.0], [2.0, 18.0, 9.0]]), ("region", "site"), "ms", "one-way latency"
    )
    ds["service_max_latency_ms"] = _da([5.0, 20.0, np.inf], ("service",), "ms", "latency limit")
    ds["target_total_eflops"] = _da([260.0, 300.0], ("year",), "EFLOPS", "national target")
    ds["target_intelligent_share_frac"] = _da([0.30, 0.35], ("year",), "1", "intelligent share")
    ds["target_green_share_frac"] = _da([0.80, 0.80], ("year",), "1", "green share target")
    ds.attrs["time_slices"] = "2 representative days (tsam), 48 timesteps"
    if data_dir is not None:
        import pandas as pd

        from planner.inputs.load import provenance

        ds.attrs["data_dir"] = str(data_dir)
        tables = {p.stem: pd.read_csv(p) for p in sorted(data_dir.glob("*.csv"))}
        ds.attrs["provenance"] = json.dumps(provenance(tables), ensure_ascii=False)
    return ds


def _solution(ds: xr.Dataset) -> xr.Dataset:
    rng = np.random.default_rng(7)
    n_s, n_c, n_y = len(SITES), len(CLASSES), len(YEARS)
    stock = np.array(
        [[300_000, 40_000, 2_000], [900_000, 180_000, 10_000], [6_000_000, 400_000, 30_000]],
        dtype=float,
    )
    new = np.zeros((n_s, n_c, n_y))
    new[0, :, 0] = [100_000, 150_000, 0]
    new[0, :, 1] = [150_000, 250_000, 0]
    new[1, :, 0] = [50_000, 120_000, 5_000]
    new[1, :, 1] = [0, 180_000, 5_000]
    new[2, :, 0] = [200_000, 0, 0]
    new[2, :, 1] = [100_000, 50_000, 0]
    total = stock[:, :, None] + np.cumsum(new, axis=2)
    eflops_per_rack = np.array([25e-6, 180e-6, 160e-6])  # EFLOPS per std rack
    compute = total * eflops_per_rack[None, :, None]

    w = ds["timestep_weight_h"].values
    hour = ds["timestep_hour_of_day"].values
    day = ds["timestep_day"].values
    it_mw = total.sum(axis=1) * 2.5e-3 * 0.6  # MW, (site, year)
    shape = 0.9 + 0.1 * np.sin((hour - 6) / 24 * 2 * np.pi)
    pue = np.array([1.2, 1.3, 1.45])
    load = it_mw[:, :, None] * shape[None, None, :] * pue[:, None, None]

    solar_cap = np.array([[2_000.0, 3_000.0], [200.0, 300.0], [0.0, 0.0]])
    wind_cap = np.array([[1_500.0, 2_200.0], [100.0, 150.0], [0.0, 0.0]])
    hydro_c = np.array([[0.0, 0.0], [150.0, 200.0], [0.0, 0.0]])
    batt_p = np.array([[400.0, 600.0], [50.0, 50.0], [0.0, 0.0]])
    solar_cf = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * np.where(day == 0, 0.8, 0.5)
    wind_cf = 0.3 + 0.15 * np.cos(hour / 24 * 2 * np.pi) + 0.05 * day
    solar = solar_cap[:, :, None] * solar_cf[None, None, :]
    wind = wind_cap[:, :, None] * wind_cf[None, None, :]
    hydro = hydro_c[:, :, None] * 0.7 * np.ones(N_T)
    # Charge at midday, discharge in the evening, energy-neutral within each day.
    charge_shape = np.where((hour >= 10) & (hour < 14), 1.0, 0.0)
    discharge_shape = np.where((hour >= 18) & (hour < 22), 0.9, 0.0)
    charge = batt_p[:, :, None] * charge_shape
    discharge = batt_p[:, :, None] * discharge_shape
    clean = solar + wind + hydro + discharge - charge
    grid = np.maximum(load - clean, 0.0)
    curtail = np.maximum(clean - load, 0.0)

    t_dims = ("site", "year", "timestep")
    sol = xr.Dataset(coords={k: ds[k] for k in ("site", "rack_class", "year", "timestep")})
    sol["racks_new_std"] = _da(new, ("site", "rack_class", "year"), "std_rack", "new racks")
    sol["racks_total_std"] = _da(total, ("site", "rack_class", "year"), "std_rack", "racks in use")
    sol["compute_eflops"] = _da(compute, ("site", "rack_class", "year"), "EFLOPS", "compute")
    sol["facility_load_mw"] = _da(load, t_dims, "MW", "facility load")
    sol["grid_import_mw"] = _da(grid, t_dims, "MW", "grid import")
    sol["solar_mw"] = _da(solar, t_dims, "MW", "solar output")
    sol["wind_mw"] = _da(wind, t_dims, "MW", "wind output")
    sol["hydro_mw"] = _da(hydro, t_dims, "MW", "hydro output")
    sol["battery_charge_mw"] = _da(charge, t_dims, "MW", "battery charging")
    sol["battery_discharge_mw"] = _da(discharge, t_dims, "MW", "battery discharge")
    sol["curtailment_mw"] = _da(curtail, t_dims, "MW", "curtailment")
    sol["solar_capacity_mw"] = _da(solar_cap, ("site", "year"), "MW", "solar capacity")
    sol["wind_capacity_mw"] = _da(wind_cap, ("site", "year"), "MW", "wind capacity")
    sol["battery_power_mw"] = _da(batt_p, ("site", "year"), "MW", "battery power")
    sol["battery_energy_mwh"] = _da(batt_p * 4, ("site", "year"), "MWh", "battery energy")
    sol["hydro_contract_mw"] = _da(hydro_c, ("site", "year"), "MW", "hydro contract")

    grid_mwh = (grid * w).sum(axis=2)
    clean_mwh = ((solar + wind + hydro - curtail) * w).sum(axis=2)
    gec = np.array([[400_000.0, 500_000.0], [2_500_000.0, 3_000_000.0], [0.0, 0.0]])
    sol["gec_mwh"] = _da(gec, ("site", "year"), "MWh/year", "green certificates")
    ef = ds["grid_ef_tco2_per_mwh"].values
    # as the results stage writes it: the factor of every time step
    sol["grid_ef_tco2_per_mwh"] = _da(
        np.repeat(ef[:, :, None], N_T, axis=2),
        ("site", "year", "timestep"),
        "tCO2/MWh",
        "grid emission factor",
    )
    sol["emissions_tco2"] = _da(grid_mwh * ef, ("site", "year"), "tCO2/year", "emissions")

    # Green share of new hub capacity, per hub (the 'outside' aggregate has no rule).
    new_energy = np.zeros((len(HUBS), n_y))
    green = np.zeros((len(HUBS), n_y))
    total_mwh = (load * w).sum(axis=2)
    for i, hub in enumerate(HUBS):
        if hub == "outside":
            continue
        s = SITE_HUB.index(hub)
        new_frac = np.cumsum(new, axis=2)[s].sum(axis=0) / total[s].sum(axis=0)
        new_energy[i] = total_mwh[s] * new_frac
        green[i] = np.minimum(clean_mwh[s] + gec[s], new_energy[i] * 0.95)
    hub_dims = ("hub", "year")
    sol = sol.assign_coords(hub=HUBS)
    sol["green_supply_mwh"] = _da(green, hub_dims, "MWh/year", "green supply to new capacity")
    sol["new_capacity_energy_mwh"] = _da(new_energy, hub_dims, "MWh/year", "energy of new capacity")
    share = np.divide(green, new_energy, out=np.full_like(green, np.nan), where=new_energy > 0)
    sol["green_share_frac"] = _da(share, hub_dims, "1", "green share of new hub capacity")

    # Demand (region, service, class, year) served by sites within the latency limit.
    sol = sol.assign_coords(region=REGIONS, service=SERVICES)
    served = np.zeros((len(REGIONS), len(SERVICES), n_c, n_s, n_y))
    unserved = np.zeros((len(REGIONS), len(SERVICES), n_c, n_y))
    lat = ds["latency_ms"].values
    limit = ds["service_max_latency_ms"].values
    share_rs = rng.dirichlet(np.ones(len(REGIONS) * len(SERVICES))).reshape(
        len(REGIONS), len(SERVICES)
    )
    for y in range(n_y):
        for c in range(n_c):
            capacity = compute[:, c, y].copy()
            for r in range(len(REGIONS)):
                for v in range(len(SERVICES)):
                    want = 0.7 * capacity.sum() * share_rs[r, v]  # 70 % occupied
                    ok = np.flatnonzero(lat[r] <= limit[v])
                    if ok.size == 0:
                        unserved[r, v, c, y] = want
                        continue
                    weights = compute[ok, c, y] / compute[ok, c, y].sum()
                    served[r, v, c, ok, y] = want * weights
    unserved[0, 0, 1, 1] = 2.5  # a little real-time AI demand goes unserved in 2025
    sol["served_eflops"] = _da(
        served, ("region", "service", "rack_class", "site", "year"), "EFLOPS", "compute served"
    )
    sol["served_site_eflops"] = _da(
        served.sum(axis=(0, 1)).transpose(1, 0, 2),
        ("site", "rack_class", "year"),
        "EFLOPS",
        "demand served at the site",
    )
    sol["compute_new_eflops"] = _da(
        np.cumsum(new, axis=2) * eflops_per_rack[None, :, None],
        ("site", "rack_class", "year"),
        "EFLOPS",
        "compute of racks built under the plan",
    )
    sol["unserved_eflops"] = _da(
        unserved, ("region", "service", "rack_class", "year"), "EFLOPS", "unserved demand"
    )
    shortfall = np.maximum(ds["target_total_eflops"].values - compute.sum(axis=(0, 1)), 0)
    sol["shortfall_total_eflops"] = _da(shortfall, ("year",), "EFLOPS", "shortfall")

    sol = sol.assign_coords(component=COMPONENTS)
    cost = np.array(
        [
            [5.2e10, 6.1e10],
            [2.5e9, 3.8e9],
            [0.0, 0.0],
            [9.0e9, 1.0e10],
            [3.1e10, 3.3e10],
            [1.4e8, 1.7e8],
            [8.0e8, 9.5e8],
            [0.0, 0.0],
            [2.5e9, 2.5e9],
        ]
    )
    sol["cost_cny"] = _da(cost, ("component", "year"), "CNY/year", "undiscounted cost by component")
    # By site as the model adds it up: every component but the (national) penalty, split
    # 50 / 30 / 20 % between the sites.
    share = np.array([0.5, 0.3, 0.2])[None, :, None]
    by_site = cost[:, None, :] * share
    by_site[COMPONENTS.index("penalty")] = 0.0
    sol["site_cost_cny"] = _da(
        by_site, ("component", "site", "year"), "CNY/year", "undiscounted cost by site"
    )
    return sol


def make_run_folder(
    path: Path,
    *,
    scenario: str = "fixture_national",
    description: str = "Synthetic run for the report tests: 3 sites, 2 years, 2 days.",
    with_data: bool = True,
    site_names_en: list[str] | None = None,
) -> Path:
    """Write a complete synthetic run folder at ``path`` and return it.

    With ``with_data`` a tiny data folder (sources.csv and a few sourced tables) is
    written next to it and recorded in ``results.attrs["data_dir"]``; ``site_names_en``
    replaces the English site names (e.g. to test escaping).
    """
    from planner.results import write_run

    results, summary, yaml_text = make_run(
        path,
        scenario=scenario,
        description=description,
        with_data=with_data,
        site_names_en=site_names_en,
    )
    return write_run(path, results, summary, yaml_text)


def make_run(
    path: Path,
    *,
    scenario: str = "fixture_national",
    description: str = "Synthetic run for the report tests: 3 sites, 2 years, 2 days.",
    with_data: bool = True,
    site_names_en: list[str] | None = None,
) -> tuple[xr.Dataset, dict[str, Any], str]:
    """The run of :func:`make_run_folder` as a solve holds it, before it is written.

    Returns the results Dataset, the summary (tuple keys and all, as
    ``planner.results.summarise`` makes it) and the model file text; the data folder, when
    asked for, is written next to ``path`` as for :func:`make_run_folder`.
    """
    from planner.results import assemble_results, summarise

    path = Path(path)
    data_dir = None
    if with_data:
        data_dir = path.parent / f"{path.name}_data"
        _write_data(data_dir)
    inputs = _inputs(data_dir)
    if site_names_en is not None:
        inputs["site_name_en"] = inputs["site_name_en"].copy(data=np.asarray(site_names_en))
    results = assemble_results(inputs, _solution(inputs))
    model = SimpleNamespace(scenario=scenario, description=description)
    result = SimpleNamespace(
        status="optimal",
        mip_gap=0.0008,
        objective_cny=float(results["cost_cny"].sum()) * 0.95,
        solver_name="highs 1.8.0",
        message="Optimal",
    )
    # As planner.solve.marginal_costs returns them (hub-year pairs as tuple keys).
    marginals = {
        "status": "optimal",
        "total_compute_cny_per_eflops": {2024: 2.1e8, 2025: 3.4e8},
        "intelligent_share_cny_per_eflops": {2024: 0.0, 2025: 4.2e8},
        "intelligent_share_cny_per_point": {2024: 0.0, 2025: 1.9e9},
        "green_share_cny_per_mwh": {("gansu", 2025): 45.0, ("yangtze", 2025): 120.0},
        "green_share_cny_per_point": {("gansu", 2025): 3.1e7, ("yangtze", 2025): 8.8e7},
        "carbon_cap_cny_per_tco2": {},
    }
    timings = {"load": 1.2, "build": 3.4, "solve": 12.5, "highs": 11.9, "duals_and_extract": 2.0}
    summary = summarise(results, model, result, marginals, timings)
    summary["timings_s"]["write"] = 0.4
    yaml_text = MODEL_YAML.format(
        scenario=json.dumps(scenario), description=json.dumps(description)
    )
    return results, summary, yaml_text


def _write_data(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "sources.csv").write_text(
        "source_id,issuer,document,date,url,note\n"
        "miit2023,MIIT et al.,Action Plan for High-Quality Development of Computing Power "
        "Infrastructure,2023-10-08,https://www.miit.gov.cn/example,\n"
        "ndrc2023,NDRC et al.,Implementation Opinions on East Data West Computing,2023-12-25,,\n"
        "assume,planner team,Modelling assumption,2025-01-01,,\n",
        encoding="utf-8",
    )
    (data_dir / "sites.csv").write_text(
        "site,name_en,name_zh,hub,province,lat_deg,lon_deg,pue_ceiling,occupancy_min_frac,"
        "stock_occupancy_frac,source,confidence\n"
        "qingyang,Qingyang cluster,庆阳集群,gansu,Gansu,35.71,107.64,1.2,0.65,0.5,ndrc2023,high\n"
        "yangtze_delta,Yangtze River Delta cluster,长三角集群,yangtze,Shanghai,31.0,120.9,1.25,"
        "0.65,0.6,ndrc2023;miit2023,medium\n"
        "outside,Outside the hubs,枢纽外,outside,,32.0,112.0,1.5,0.5,0.5,assume,assumption\n",
        encoding="utf-8",
    )
    (data_dir / "hubs.csv").write_text(
        "hub,name_en,name_zh,east_west,is_national_hub,source,confidence\n"
        "gansu,Gansu hub,甘肃枢纽,west,true,ndrc2023,high\n"
        "yangtze,Yangtze River Delta hub,长三角枢纽,east,true,ndrc2023,high\n"
        "outside,Outside the hubs,枢纽外,none,false,assume,assumption\n",
        encoding="utf-8",
    )
    (data_dir / "regions.csv").write_text(
        "region,name_en,name_zh,lat_deg,lon_deg,source,confidence\n"
        "east_china,East China,华东,31.2,121.5,assume,assumption\n"
        "northwest,Northwest,西北,36.1,103.8,assume,assumption\n",
        encoding="utf-8",
    )
    (data_dir / "targets.csv").write_text(
        "target,year,value,source,confidence\n"
        "total_eflops,2025,300,miit2023,high\n"
        "intelligent_share,2025,0.35,miit2023,high\n",
        encoding="utf-8",
    )


def make_unsolved_run_folder(path: Path) -> Path:
    """A run folder of a run that found no plan: inputs only, summary without per_year."""
    from planner.results import assemble_results, summarise, write_run

    inputs = _inputs(None)
    results = assemble_results(inputs, None)
    model = SimpleNamespace(scenario="no_plan", description="Infeasible on purpose.")
    result = SimpleNamespace(
        status="infeasible",
        mip_gap=None,
        objective_cny=None,
        solver_name="highs 1.8.0",
        message="Model is infeasible",
    )
    summary = summarise(results, model, result, {}, {"load": 0.5, "build": 1.0})
    yaml_text = MODEL_YAML.format(scenario="no_plan", description='"Infeasible on purpose."')
    return write_run(Path(path), results, summary, yaml_text)
