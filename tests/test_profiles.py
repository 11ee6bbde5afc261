"""Tests of the hourly profile generators (planner.inputs.profiles), on in-code tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pvlib
import pytest
import xarray as xr

from planner.atomic import current_umask
from planner.errors import InputError
from planner.inputs import profiles as prof
from planner.schema import PROFILE_VARIABLES

NORTH, SOUTH, EAST = "north_windy", "south_hydro", "east_no_wind"

SITES = pd.DataFrame(
    {
        "site": [NORTH, SOUTH, EAST],
        "lat_deg": [40.8, 30.6, 31.3],
        "lon_deg": [111.8, 104.1, 118.4],
        "altitude_m": [1050.0, 500.0, np.nan],  # the last one falls back to pvlib's lookup
    }
)
SITE_ENERGY = pd.DataFrame(
    {
        "site": [NORTH, SOUTH, EAST],
        "solar_flh_target_h": [1580.0, 1050.0, 1120.0],
        "wind_flh_target_h": [2600.0, 2100.0, 0.0],
        "hydro_limit_mw": [0.0, 800.0, 0.0],
    }
)
TEMP_MEAN_C = {
    NORTH: [-11.5, -7.0, 0.5, 9.0, 16.0, 21.0, 23.0, 21.0, 15.0, 7.5, -2.0, -9.5],
    SOUTH: [5.5, 8.0, 12.0, 17.0, 21.5, 24.0, 26.0, 25.5, 22.0, 17.5, 12.5, 7.0],
    EAST: [3.0, 5.5, 10.0, 16.0, 21.5, 25.0, 28.5, 28.0, 23.5, 18.0, 11.5, 5.5],
}
DTR_C = {NORTH: 13.0, SOUTH: 7.0, EAST: 8.0}
CLIMATE = pd.DataFrame(
    [
        {"site": s, "month": m + 1, "temp_mean_c": t[m], "temp_diurnal_range_c": DTR_C[s]}
        for s, t in TEMP_MEAN_C.items()
        for m in range(12)
    ]
)


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return prof.generate_profiles(SITES, SITE_ENERGY, CLIMATE)


def _one_site(site: str, **kw) -> xr.Dataset:
    return prof.generate_profiles(
        SITES[SITES.site == site], SITE_ENERGY[SITE_ENERGY.site == site], CLIMATE, **kw
    )


def test_shape_dims_and_metadata(ds):
    assert set(ds.data_vars) == set(PROFILE_VARIABLES)
    assert dict(ds.sizes) == {"site": 3, "hour": 8760}
    assert list(ds["site"].values) == [NORTH, SOUTH, EAST]
    np.testing.assert_array_equal(ds["hour"].values, np.arange(8760))
    for name, (units, long_name) in PROFILE_VARIABLES.items():
        assert ds[name].dims == ("site", "hour")
        assert ds[name].dtype == np.float64
        assert ds[name].attrs == {"units": units, "long_name": long_name}
        assert np.isfinite(ds[name].values).all()
    assert ds.attrs["seed"] == 20231231
    assert ds.attrs["reference_year"] == 2023
    assert ds.attrs["calibration_max_abs_rel_error_solar"] < 0.005
    assert ds.attrs["calibration_max_abs_rel_error_wind"] < 0.005


def test_bounds(ds):
    for name in ("solar_cf", "wind_cf", "hydro_availability_frac"):
        values = ds[name].values
        assert values.min() >= 0.0 and values.max() <= 1.0, name
    # Not degenerate: solar reaches a high output, wind spans its range.
    assert ds["solar_cf"].sel(site=NORTH).max() > 0.6
    wind = ds["wind_cf"].sel(site=NORTH).values
    assert (wind == 0).mean() > 0.02 and wind.max() > 0.85


def test_solar_zero_at_night_and_peaks_at_solar_noon(ds):
    for site, lat, lon in SITES[["site", "lat_deg", "lon_deg"]].itertuples(index=False):
        times = prof.hourly_index(2023) + pd.Timedelta(minutes=30)
        elevation = pvlib.solarposition.get_solarposition(times, lat, lon)["apparent_elevation"]
        cf = ds["solar_cf"].sel(site=site).values
        night = elevation.to_numpy() < 0
        assert night.sum() > 3000
        assert (cf[night] == 0).all(), site
        assert (cf[elevation.to_numpy() > 20] > 0).mean() > 0.99
        # Mean diurnal profile peaks within an hour of local mean solar noon.
        peak_mid_hour = np.argmax(cf.reshape(365, 24).mean(axis=0)) + 0.5
        solar_noon_h = 12.0 + (120.0 - lon) / 15.0
        assert abs(peak_mid_hour - solar_noon_h) <= 1.0, (site, peak_mid_hour, solar_noon_h)


def test_full_load_hours_match_targets(ds):
    for row in SITE_ENERGY.itertuples(index=False):
        solar_flh = float(ds["solar_cf"].sel(site=row.site).sum())
        wind_flh = float(ds["wind_cf"].sel(site=row.site).sum())
        assert solar_flh == pytest.approx(row.solar_flh_target_h, rel=0.01)
        assert wind_flh == pytest.approx(row.wind_flh_target_h, rel=0.01, abs=1e-9)
    assert (ds["wind_cf"].sel(site=EAST).values == 0).all()


def test_calibration_table(ds):
    table = prof.calibration_table(ds, SITE_ENERGY)
    assert list(table.index) == [NORTH, SOUTH, EAST]
    for tech in ("solar", "wind"):
        expected = ds[f"{tech}_cf"].sum("hour").values
        np.testing.assert_allclose(table[f"{tech}_flh_achieved_h"], expected)
        assert (table[f"{tech}_flh_rel_error"].abs() < 0.005).all()
    assert table.loc[EAST, "wind_flh_rel_error"] == 0.0


def test_deterministic_and_seed_sensitive(ds):
    again = _one_site(NORTH)
    for name in PROFILE_VARIABLES:
        # identical run to run, and independent of which other sites are generated
        np.testing.assert_array_equal(again[name].values[0], ds[name].sel(site=NORTH).values)
    other = _one_site(NORTH, seed=7)
    assert not np.array_equal(other["wind_cf"].values, again["wind_cf"].values)
    assert not np.array_equal(other["temperature_c"].values, again["temperature_c"].values)
    # a new seed is still calibrated
    assert float(other["wind_cf"].sum()) == pytest.approx(2600.0, rel=0.005)


def test_monthly_mean_temperature_reproduces_climate(ds):
    for site, normals in TEMP_MEAN_C.items():
        temp = ds["temperature_c"].sel(site=site).values
        np.testing.assert_allclose(prof.monthly_means(temp), normals, atol=0.5)
        # synoptic variability is present but bounded
        assert 1.5 < np.std(temp - prof.smooth_monthly_curve(normals, preserve_means=True)) < 8
        # diurnal cycle: coolest early morning, warmest early afternoon
        daily = temp.reshape(365, 24).mean(axis=0)
        assert 4 <= np.argmin(daily) <= 6 and 13 <= np.argmax(daily) <= 15
        assert daily.max() - daily.min() == pytest.approx(DTR_C[site], rel=0.1)
        # no steps at month boundaries beyond ordinary hour-to-hour change
        assert np.abs(np.diff(temp)).max() < DTR_C[site]


def test_hydro_seasonal_and_zero_without_hydro(ds):
    months = prof.month_of_hour()
    wet = (months >= 5) & (months <= 10)
    hydro = ds["hydro_availability_frac"].sel(site=SOUTH).values
    assert hydro[wet].mean() > 0.85
    assert hydro[~wet].mean() < 0.65
    assert hydro[wet].mean() > hydro[~wet].mean()
    assert np.abs(np.diff(hydro)).max() < 0.01  # smooth transitions
    assert (ds["hydro_availability_frac"].sel(site=[NORTH, EAST]).values == 0).all()


def test_wind_copula_process_statistics():
    speed = prof.unit_weibull_speed(prof.site_rng(1, "x", prof.STREAM_WIND))
    k = prof.WIND_WEIBULL_SHAPE
    assert speed.mean() == pytest.approx(math.gamma(1 + 1 / k), rel=0.1)
    lag1 = np.corrcoef(speed[:-1], speed[1:])[0, 1]
    assert 0.9 < lag1 < 0.99
    speeds, output = prof.turbine_power_curve()
    assert output.max() == pytest.approx(1.0) and output[speeds < 2.5].max() == 0.0


def test_atomic_write_round_trips(ds, tmp_path):
    path = tmp_path / "profiles.nc"
    prof.write_profiles(ds, path)
    assert [p.name for p in tmp_path.iterdir()] == ["profiles.nc"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~current_umask()  # not mkstemp's 0600
    with xr.open_dataset(path, engine="netcdf4") as back:
        back = back.load()
    for name in PROFILE_VARIABLES:
        np.testing.assert_array_equal(back[name].values, ds[name].values)
        assert back[name].attrs["units"] == ds[name].attrs["units"]
    assert list(back["site"].values) == [NORTH, SOUTH, EAST]
    assert back.attrs["seed"] == ds.attrs["seed"]

    # A failed write keeps the old file and leaves no temp file behind.
    before = path.read_bytes()
    bad = ds.assign_attrs(unserialisable={"a": 1})
    with pytest.raises(TypeError):
        prof.write_profiles(bad, path)
    assert [p.name for p in tmp_path.iterdir()] == ["profiles.nc"]
    assert path.read_bytes() == before


def test_bad_inputs_are_reported():
    with pytest.raises(InputError, match=r"months 1\.\.12"):
        prof.generate_profiles(SITES, SITE_ENERGY, CLIMATE[CLIMATE.month != 7])
    with pytest.raises(InputError, match="no row for site"):
        prof.generate_profiles(SITES, SITE_ENERGY.iloc[:2], CLIMATE)
    with pytest.raises(ValueError, match="leap"):
        prof.generate_profiles(SITES, SITE_ENERGY, CLIMATE, year=2024)
    unreachable = SITE_ENERGY.assign(solar_flh_target_h=[5000.0, 1050.0, 1120.0])
    with pytest.raises(ValueError, match="solar_flh_target_h"):
        prof.generate_profiles(SITES.iloc[:1], unreachable.iloc[:1], CLIMATE)
