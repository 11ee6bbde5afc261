"""The inputs Dataset: complete, unit-labelled, re-derivable in plain pandas, overrides exact.

Each test runs on the small fixture data set with a model written in the test, and on the
shipped data with models/national_2025.yaml (skipped while data/ is incomplete).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import SHIPPED_DATA, SHIPPED_MODELS, write_model

from planner import schema
from planner.errors import InputError
from planner.inputs.calibration import calibration_report
from planner.inputs.load import load_inputs, load_tables
from planner.model_file import load_model


@pytest.fixture(params=["fixture", "shipped"])
def case(request, tmp_path_factory) -> tuple[Path, Path]:
    """(model file, data folder)."""
    if request.param == "shipped":
        return SHIPPED_MODELS / "national_2025.yaml", SHIPPED_DATA
    data = request.getfixturevalue("fixture_data")
    return write_model(data.parent / "models" / "model.yaml", data), data


def load(case: tuple[Path, Path], *overrides: str) -> xr.Dataset:
    model, data_dir = case
    parsed, _ = load_model(model, list(overrides))
    return load_inputs(parsed, data_dir)


def test_every_variable_with_dims_and_units(case) -> None:
    ds = load(case)
    model, _ = load_model(case[0])
    assert list(ds["year"].values) == model.years
    assert ds.sizes["hour"] == schema.HOURS_PER_YEAR
    assert list(ds["hour"].values[:3]) == [0, 1, 2]
    assert ds.sizes["hour_of_day"] == 24
    for name, (dims, units, _long) in {**schema.INPUT_VARIABLES, **schema.MODEL_VARIABLES}.items():
        assert name in ds, name
        assert ds[name].dims == dims, name
        assert ds[name].attrs["units"] == units, name
        assert ds[name].attrs["long_name"], name
    for name, unit in schema.REQUIRED_PARAMS.items():
        assert ds[name].dims == () and ds[name].attrs["units"] == unit
    for name, da in ds.data_vars.items():
        assert "units" in da.attrs and "long_name" in da.attrs, name
    assert ds.attrs["scenario"] == model.scenario
    hashes = json.loads(ds.attrs["input_sha256"])
    assert set(hashes) >= {"sites.csv", "profiles.nc"} and all(
        len(h) == 64 for h in hashes.values()
    )


def test_no_nan_and_physical_ranges(case) -> None:
    ds = load(case)
    for name, da in ds.data_vars.items():
        if da.dtype.kind == "f":
            assert not np.isnan(da.values).any(), name
    assert float(ds["pue"].min()) >= 1.0
    assert (ds["pue"] >= ds["pue_min"]).all()
    assert np.isinf(ds["carbon_cap_tco2"]).all()  # no cap unless the model sets one
    assert (ds["target_hourly_cfe_share_frac"] == 0).all()
    assert ds["site_in_national_hub"].dtype == bool
    assert set(ds["site_east_west"].values) <= set(schema.EAST_WEST)


def test_values_match_the_tables(case) -> None:
    """Re-derive a few variables from the CSVs in plain pandas."""
    ds = load(case)
    data_dir = case[1]
    tables = load_tables(data_dir)
    params = tables["params"].set_index("parameter")["value"]
    site = str(ds["site"].values[0])
    hour = 4000

    profiles = xr.load_dataset(data_dir / "profiles.nc")
    temp = float(profiles["temperature_c"].sel(site=site).values[hour])
    pue_min = float(tables["site_energy"].set_index("site").loc[site, "pue_min"])
    expected = pue_min + params["pue_slope_per_c"] * max(
        0.0, temp - params["pue_free_cooling_below_c"]
    )
    assert float(ds["pue"].sel(site=site, hour=hour)) == pytest.approx(expected, rel=1e-12)

    scheme = tables["site_energy"].set_index("site").loc[site, "tou_scheme"]
    tou = tables["tou"].set_index(["tou_scheme", "hour_of_day"])["price_multiplier"]
    for h in (0, 23, 24 * 100 + 18, 8759):
        assert float(ds["price_multiplier"].sel(site=site, hour=h)) == tou[(scheme, h % 24)]

    build = tables["rack_build"].set_index(["rack_class", "year"])["tflops_per_std_rack"]
    year = int(ds["year"].values[-1])
    assert float(ds["eflops_per_std_rack"].sel(rack_class="intelligent", year=year)) == (
        pytest.approx(build[("intelligent", year)] / 1e6, rel=1e-12)
    )
    stock = tables["stock"]
    total = (stock["racks_std"] * stock["tflops_per_std_rack"]).sum() / 1e6
    got = float((ds["stock_racks_std"] * ds["stock_eflops_per_std_rack"]).sum())
    assert got == pytest.approx(total, rel=1e-9)
    assert float(ds["stock_racks_std"].sum()) == pytest.approx(stock["racks_std"].sum())

    hubs = tables["hubs"].set_index("hub")
    hub = tables["sites"].set_index("site").loc[site, "hub"]
    assert str(ds["site_east_west"].sel(site=site).item()) == hubs.loc[hub, "east_west"]


def test_price_scale_east(case) -> None:
    base = load(case)
    scaled = load(case, "price_scale.east=1.3")
    east = base["site_east_west"] == "east"
    assert bool(east.any())
    price = "electricity_price_cny_per_mwh"
    np.testing.assert_array_equal(
        scaled[price].where(east, drop=True).values, (base[price].where(east, drop=True) * 1.3)
    )
    np.testing.assert_array_equal(
        scaled[price].where(~east, drop=True).values, base[price].where(~east, drop=True).values
    )
    assert scaled[price].attrs["units"] == "CNY/MWh"


def test_capex_and_demand_scale(case) -> None:
    base = load(case)
    scaled = load(case, "capex_scale.intelligent=0.5", "demand_scale=2")
    for name in ("capex_facility_cny_per_std_rack", "capex_it_cny_per_std_rack"):
        assert (
            scaled[name].sel(rack_class="intelligent") * 2
            == base[name].sel(rack_class="intelligent")
        ).all()
        assert (
            scaled[name].sel(rack_class="general") == base[name].sel(rack_class="general")
        ).all()
    np.testing.assert_array_equal(scaled["demand_eflops"], base["demand_eflops"] * 2)


def test_model_overrides(case) -> None:
    base = load(case)
    ds = load(
        case,
        "target.total_eflops.2025=999",
        "target.hourly_cfe_share.2025=0.8",
        "carbon_cap_tco2.2025=1e8",
        "carbon_price_cny_per_tco2=100",
    )
    assert float(ds["target_total_eflops"].sel(year=2025)) == 999
    assert float(ds["target_total_eflops"].sel(year=2024)) == float(
        base["target_total_eflops"].sel(year=2024)
    )
    assert float(ds["target_hourly_cfe_share_frac"].sel(year=2025)) == 0.8
    assert float(ds["target_hourly_cfe_share_frac"].sel(year=2024)) == 0.0
    assert float(ds["carbon_cap_tco2"].sel(year=2025)) == 1e8
    assert np.isinf(float(ds["carbon_cap_tco2"].sel(year=2024)))
    assert float(ds["carbon_price_cny_per_tco2"]) == 100


def test_targets_from_data_when_model_is_silent(fixture_data: Path) -> None:
    model = write_model(fixture_data.parent / "m.yaml", fixture_data)
    ds = load((model, fixture_data))
    targets = pd.read_csv(fixture_data / "targets.csv").set_index(["target", "year"])["value"]
    assert float(ds["target_total_eflops"].sel(year=2025)) == targets[("total_eflops", 2025)]
    assert (
        float(ds["target_intelligent_share_frac"].sel(year=2024))
        == (targets[("intelligent_share", 2024)])
    )
    assert (
        float(ds["target_green_share_frac"].sel(year=2025))
        == (targets[("green_share_new_hub", 2025)])
    )


def test_deterministic_and_writable(case, tmp_path: Path) -> None:
    first, second = load(case), load(case)
    xr.testing.assert_identical(first, second)
    path = tmp_path / "inputs.nc"
    first.to_netcdf(path, engine="netcdf4")
    back = xr.load_dataset(path, engine="netcdf4")
    xr.testing.assert_allclose(back["pue"], first["pue"])
    assert back["site_in_national_hub"].dtype == bool


def test_only_the_model_years(fixture_data: Path) -> None:
    model = write_model(fixture_data.parent / "m.yaml", fixture_data).read_text()
    path = fixture_data.parent / "one.yaml"
    path.write_text(model.replace("[2024, 2025]", "[2025]"))
    ds = load((path, fixture_data))
    assert list(ds["year"].values) == [2025]
    assert ds["electricity_price_cny_per_mwh"].sizes["year"] == 1


def test_bad_inputs_raise_with_every_problem(fixture_data: Path) -> None:
    (fixture_data / "tou.csv").unlink()
    (fixture_data / "profiles.nc").unlink()
    path = fixture_data.parent / "far.yaml"
    path.write_text(f"scenario: far\ndata_dir: {fixture_data}\nyears: [2024, 2030]\n")
    with pytest.raises(InputError) as info:
        load((path, fixture_data))
    text = str(info.value)
    assert "tou.csv: the file is missing" in text
    assert "planner data profiles" in text
    assert "grid.csv, column 'year': no row for year 2030" in text


def test_years_before_the_base_year_are_refused(fixture_data: Path) -> None:
    path = fixture_data.parent / "old.yaml"
    path.write_text(f"scenario: old\ndata_dir: {fixture_data}\nyears: [2023]\n")
    with pytest.raises(InputError, match="not after the base year 2023"):
        load((path, fixture_data))


# --------------------------------------------------------------------------- calibration


def test_calibration_report_fixture(fixture_data: Path) -> None:
    national, flh = calibration_report(fixture_data)
    by_metric = national.set_index("metric")
    # The fixture publishes total EFLOPS 10 % above its stock, and the rest exactly.
    assert by_metric.loc["total_eflops", "rel_error_frac"] == pytest.approx(-1 / 11)
    assert not by_metric.loc["total_eflops", "ok"]
    assert by_metric.loc["racks_std", "ok"] and by_metric.loc["intelligent_eflops", "ok"]
    assert by_metric.loc["racks_std", "data"] == 480000
    # The fixture's hand-made profiles have no ghi_w_m2: no solar-resource rows, only the
    # solar (compared) and wind (checked) full-load hours of each site.
    assert len(flh) == 2 * 3 and flh["ok"].all()
    assert set(flh["quantity"]) == {"solar_flh", "wind_flh"}
    assert set(flh.columns) >= {"site", "quantity", "reference", "profile", "rel_diff_frac"}
    assert not flh.loc[flh["quantity"] == "solar_flh", "checked"].any()
    assert flh.loc[flh["quantity"] == "wind_flh", "checked"].all()


def test_calibration_report_shipped() -> None:
    national, flh = calibration_report(SHIPPED_DATA)
    assert national["ok"].all(), national.to_string()
    assert flh["ok"].all(), flh.to_string()
    # Every site's solar profile reproduces the annual mean GHI of its MERRA-2 cell.
    ghi = flh[flh["quantity"] == "solar_ghi"]
    assert len(ghi) == len(flh["site"].unique()) and ghi["checked"].all()
