"""Shared fixtures: a small valid data set written in code, and copies of the shipped data.

- ``fixture_data``: a tiny data set (3 sites, 2 regions, years 2024-2025) that passes every
  input check, written to ``tmp_path/data``; independent of ``data/`` so tests can corrupt
  it and know exactly what is in it.
- ``data_copy``: a copy of the shipped ``data/`` in ``tmp_path/data``.
- ``model_yaml``: writes a minimal model file next to a data folder.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from planner import schema

REPO = Path(__file__).resolve().parents[1]
SHIPPED_DATA = REPO / "data"
SHIPPED_MODELS = REPO / "models"
YEARS = (2024, 2025)

_SRC = {"source": "src_a", "confidence": "medium"}


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _fixture_profiles(sites: list[str]) -> xr.Dataset:
    hour = np.arange(schema.HOURS_PER_YEAR)
    hod = hour % 24
    doy = hour // 24
    sun = np.clip(np.sin(np.pi * (hod - 6) / 12), 0, None)
    season = np.sin(2 * np.pi * (doy - 100) / 365)
    n = len(sites)
    solar = np.stack([sun * (0.55 + 0.1 * i) for i in range(n)])
    wind = np.stack([0.25 + 0.05 * i + 0.1 * np.sin(2 * np.pi * hour / 97.0) for i in range(n)])
    hydro = np.stack([0.5 + 0.3 * season for _ in range(n)])
    temp = np.stack(
        [12 + 4 * i + 14 * season + 4 * np.sin(2 * np.pi * (hod - 9) / 24) for i in range(n)]
    )
    data = {"solar_cf": solar, "wind_cf": wind, "hydro_availability_frac": hydro}
    data["temperature_c"] = temp
    ds = xr.Dataset(
        {
            name: (("site", "hour"), values, {"units": schema.PROFILE_VARIABLES[name][0]})
            for name, values in data.items()
        },
        coords={"site": sites, "hour": hour},
    )
    return ds


def write_fixture_data(folder: Path) -> Path:
    """Write a small data set that passes every check; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    sites = ["s_east", "s_west", "outside"]
    hub_of = {"s_east": "hub_e", "s_west": "hub_w", "outside": "outside"}
    write_csv(
        folder / "sources.csv",
        [
            {
                "source_id": "src_a",
                "issuer": "Test",
                "document": "Doc A",
                "date": "2024",
                "url": "",
            },
            {
                "source_id": "src_b",
                "issuer": "Test",
                "document": "Doc B",
                "date": "2024",
                "url": "",
            },
        ],
    )
    write_csv(
        folder / "hubs.csv",
        [
            {"hub": "hub_e", "name_en": "East", "name_zh": "东", "east_west": "east",
             "is_national_hub": "true", **_SRC},
            {"hub": "hub_w", "name_en": "West", "name_zh": "西", "east_west": "west",
             "is_national_hub": "true", **_SRC},
            {"hub": "outside", "name_en": "Outside", "name_zh": "枢纽外", "east_west": "none",
             "is_national_hub": "false", **_SRC},
        ],
    )  # fmt: skip
    write_csv(
        folder / "sites.csv",
        [
            {"site": s, "name_en": s.title(), "name_zh": s, "hub": hub_of[s],
             "province": "P", "lat_deg": str(30 + 5 * i), "lon_deg": str(100 + 10 * i),
             "pue_ceiling": "1.25", "occupancy_min_frac": "0.6", "stock_occupancy_frac": "0.5",
             "source": "src_a;src_b",
             "confidence": "high"}
            for i, s in enumerate(sites)
        ],
    )  # fmt: skip
    write_csv(
        folder / "site_limits.csv",
        [
            {"site": s, "rack_limit_std": "200000", "build_limit_std_per_year": "50000",
             "grid_limit_mw": "1500", "new_build_allowed": "false" if s == "outside" else "true",
             "campus_phase_std": "5000", "campus_phase_cost_cny": "1e8", **_SRC}
            for s in sites
        ],
    )  # fmt: skip
    profiles = _fixture_profiles(sites)
    flh = {v: profiles[v].sum("hour").to_numpy() for v in ("solar_cf", "wind_cf")}
    write_csv(
        folder / "site_energy.csv",
        [
            {"site": s, "pue_min": "1.15", "tou_scheme": "tou_a" if i == 0 else "tou_b",
             "solar_limit_mw": "1000", "wind_limit_mw": "800",
             "hydro_limit_mw": "0" if i else "100", "hydro_price_cny_per_mwh": "300",
             "battery_limit_mw": "200",
             "solar_flh_published_h": str(round(flh["solar_cf"][i])),
             "wind_flh_target_h": str(round(flh["wind_cf"][i])),
             **_SRC}
            for i, s in enumerate(sites)
        ],
    )  # fmt: skip
    write_csv(
        folder / "grid.csv",
        [
            {"site": s, "year": str(y), "electricity_price_cny_per_mwh": str(600 - 100 * i),
             "grid_ef_tco2_per_mwh": "0.58", **_SRC}
            for i, s in enumerate(sites) for y in YEARS
        ],
    )  # fmt: skip
    write_csv(
        folder / "climate.csv",
        [
            {"site": s, "month": str(m), "temp_mean_c": str(10 + m), "temp_diurnal_range_c": "8",
             **_SRC}
            for s in sites for m in range(1, 13)
        ],
    )  # fmt: skip
    write_csv(
        folder / "tou.csv",
        [
            {"tou_scheme": sch, "hour_of_day": str(h),
             "period": "valley" if h < 8 else ("peak" if 17 <= h < 21 else "flat"),
             "price_multiplier": "0.4" if h < 8 else ("1.6" if 17 <= h < 21 else "1"), **_SRC}
            for sch in ("tou_a", "tou_b") for h in range(24)
        ],
    )  # fmt: skip
    names = {"general": "通用", "intelligent": "智能", "supercomputing": "超算"}
    write_csv(
        folder / "rack_classes.csv",
        [
            {"rack_class": rc, "name_en": rc.title(), "name_zh": zh, "utilisation_frac": "0.6",
             "om_cny_per_std_rack_year": "20000", "lifetime_years": "15", "it_lifetime_years": "5",
             "module_std_racks": "500", **_SRC}
            for rc, zh in names.items()
        ],
    )  # fmt: skip
    tflops = {"general": 10, "intelligent": 60, "supercomputing": 30}
    write_csv(
        folder / "rack_build.csv",
        [
            {"rack_class": rc, "year": str(y), "tflops_per_std_rack": str(tflops[rc] * 1.2),
             "capex_facility_cny_per_std_rack": "100000",
             "capex_it_cny_per_std_rack": str(50000 * (1 + i)), **_SRC}
            for i, rc in enumerate(names) for y in YEARS
        ],
    )  # fmt: skip
    write_csv(
        folder / "load_shapes.csv",
        [
            {"rack_class": rc, "hour_of_day": str(h), "load_frac": "0.9" if h < 8 else "1", **_SRC}
            for rc in names for h in range(24)
        ],
    )  # fmt: skip
    stock = [
        ("s_east", "general", 2021, 100000), ("s_east", "intelligent", 2023, 20000),
        ("s_west", "general", 2022, 50000), ("outside", "general", 2020, 300000),
        ("outside", "supercomputing", 2022, 10000),
    ]  # fmt: skip
    write_csv(
        folder / "stock.csv",
        [
            {"site": s, "rack_class": rc, "vintage": str(v), "racks_std": str(n),
             "tflops_per_std_rack": str(tflops[rc]), **_SRC}
            for s, rc, v, n in stock
        ],
    )  # fmt: skip
    write_csv(
        folder / "technologies.csv",
        [
            {"tech": t, "year": str(y), "capex_cny_per_kw": "3000",
             "capex_cny_per_kwh": "800" if t == "battery" else "0",
             "fom_cny_per_kw_year": "50", "lifetime_years": "20", **_SRC}
            for t in ("solar", "wind", "battery") for y in YEARS
        ],
    )  # fmt: skip
    values = {
        "base_year": "2023", "discount_rate_frac": "0.06", "it_kw_per_std_rack": "2.5",
        "pue_free_cooling_below_c": "10", "pue_slope_per_c": "0.01",
        "transfer_cost_cny_per_eflops_year_per_1000km": "1e6", "gec_price_cny_per_mwh": "5",
        "battery_roundtrip_efficiency_frac": "0.88", "battery_max_duration_h": "4",
        "fibre_km_per_ms": "200", "fibre_route_factor": "1.5", "fp16_per_fp32_intelligent": "8",
    }  # fmt: skip
    write_csv(
        folder / "params.csv",
        [
            {"parameter": p, "value": values[p], "unit": unit, **_SRC}
            for p, unit in schema.REQUIRED_PARAMS.items()
        ],
    )
    target = {"total_eflops": (30, 40), "intelligent_share": (0.3, 0.35),
              "green_share_new_hub": (0.8, 0.8)}  # fmt: skip
    write_csv(
        folder / "targets.csv",
        [
            {"target": t, "year": str(y), "value": str(v[i]), **_SRC}
            for t, v in target.items() for i, y in enumerate(YEARS)
        ],
    )  # fmt: skip
    racks = sum(n for *_x, n in stock)
    eflops = sum(n * tflops[rc] for _s, rc, _v, n in stock) / 1e6
    intelligent = sum(n * tflops[rc] for _s, rc, _v, n in stock if rc == "intelligent") / 1e6
    write_csv(
        folder / "calibration.csv",
        [
            {"metric": "racks_std", "year": "2023", "value": str(racks), "tolerance_frac": "0.05",
             **_SRC},
            {"metric": "total_eflops", "year": "2023", "value": str(eflops * 1.1),
             "tolerance_frac": "0.05", **_SRC},
            {"metric": "intelligent_eflops", "year": "2023", "value": str(intelligent),
             "tolerance_frac": "0.05", **_SRC},
        ],
    )  # fmt: skip
    write_csv(
        folder / "outcomes.csv",
        [
            {"metric": "total_eflops", "year": "2024", "published_low": "30",
             "published_high": "30", "tolerance_frac": "0.05", **_SRC},
            {"metric": "intelligent_eflops", "year": "2024", "published_low": "9",
             "published_high": "9", "tolerance_frac": "0.10", **_SRC},
            {"metric": "hub_node_eflops", "year": "2024", "published_low": "20",
             "published_high": "20", "tolerance_frac": "inf", **_SRC},
        ],
    )  # fmt: skip
    write_csv(
        folder / "migration_cases.csv",
        [
            {"case": "east_to_west", "origin_site": "s_east", "origin_grid_ef_tco2_per_mwh": "0.6",
             "destination_site": "s_west", "published_change_frac": "-0.2",
             "tolerance_frac": "0.25", **_SRC},
        ],
    )  # fmt: skip
    regions = ["r_north", "r_south"]
    write_csv(
        folder / "regions.csv",
        [
            {"region": r, "name_en": r, "name_zh": r, "lat_deg": str(35 - 10 * i),
             "lon_deg": "115", **_SRC}
            for i, r in enumerate(regions)
        ],
    )  # fmt: skip
    write_csv(
        folder / "services.csv",
        [
            {"service": "interactive", "name_en": "Interactive", "name_zh": "交互",
             "max_latency_ms": "5", **_SRC},
            {"service": "batch", "name_en": "Batch", "name_zh": "批处理",
             "max_latency_ms": "inf", **_SRC},
        ],
    )  # fmt: skip
    write_csv(
        folder / "demand.csv",
        [
            {"region": r, "service": sv, "rack_class": "general", "year": str(y),
             "demand_eflops": str(2.0 + i), **_SRC}
            for i, r in enumerate(regions) for sv in ("interactive", "batch") for y in YEARS
        ],
    )  # fmt: skip
    write_csv(
        folder / "latency.csv",
        [
            {"region": r, "site": s, "distance_km": str(300 * (1 + i + j)),
             "latency_ms": str(2.25 * (1 + i + j)), "method": "great circle x 1.5", **_SRC}
            for i, r in enumerate(regions) for j, s in enumerate(sites)
        ],
    )  # fmt: skip
    profiles.to_netcdf(folder / "profiles.nc", engine="netcdf4")
    return folder


@pytest.fixture(scope="session")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[xr.Dataset, dict]:
    """The shipped mission model, solved once per session, as read back from its run folder."""
    from planner.results import read_run
    from planner.run import run_model

    out = tmp_path_factory.mktemp("runs") / "national"
    run_model(SHIPPED_MODELS / "national_2025.yaml").write(out)
    return read_run(out)


def write_model(path: Path, data_dir: Path, extra: str = "") -> Path:
    """A minimal model file at ``path`` pointing at ``data_dir``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"scenario: test\ndata_dir: {data_dir}\nyears: [2024, 2025]\n{extra}", encoding="utf-8"
    )
    return path


@pytest.fixture
def fixture_data(tmp_path: Path) -> Path:
    """A small valid data set in ``tmp_path/data``."""
    return write_fixture_data(tmp_path / "data")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the shipped data/ in ``tmp_path/data``."""
    return Path(shutil.copytree(SHIPPED_DATA, tmp_path / "data"))


@pytest.fixture(params=["fixture", "shipped"])
def any_data(request, tmp_path: Path) -> Path:
    """Each test runs on the small fixture data set and on a copy of the shipped data."""
    if request.param == "fixture":
        return write_fixture_data(tmp_path / "data")
    return request.getfixturevalue("data_copy")


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests keep their time-slice cache to themselves, never in the user's home."""
    import os

    os.environ["PLANNER_CACHE_DIR"] = str(tmp_path_factory.mktemp("planner-cache"))


@pytest.fixture(scope="session")
def chromium() -> str:
    """The headless Chromium of the browser tests: required in CI, else they are skipped."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    if os.environ.get("CI"):
        pytest.fail("Chromium is required in CI for the report browser tests")
    pytest.skip("Chromium is not installed (apt-get install chromium); browser test skipped")
