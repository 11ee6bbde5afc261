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
from planner.inputs import merra2
from planner.inputs import profiles as prof
from planner.schema import PROFILE_DIAGNOSTICS, PROFILE_VARIABLES

NORTH, SOUTH, EAST = "north_windy", "south_hydro", "east_no_wind"
SEA = "east_china_sea"  # in a cell without MERRA-2 data
SEA_LAT_DEG, SEA_LON_DEG = 28.0, 125.0

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
        "solar_flh_published_h": [1580.0, 1050.0, 1120.0],
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


def _one_site(site: str, *, published_h: float | None = None, **kw) -> xr.Dataset:
    energy = SITE_ENERGY[SITE_ENERGY.site == site]
    if published_h is not None:
        energy = energy.assign(solar_flh_published_h=published_h)
    return prof.generate_profiles(SITES[SITES.site == site], energy, CLIMATE, **kw)


def _cell(site: str) -> merra2.GhiCell:
    row = SITES.set_index("site").loc[site]
    return merra2.cell_of_site(row.lat_deg, row.lon_deg)


def _daily_ghi(ds: xr.Dataset, site: str) -> np.ndarray:
    return ds["ghi_w_m2"].sel(site=site).values.reshape(365, 24).mean(axis=1)


def test_shape_dims_and_metadata(ds):
    variables = {**PROFILE_VARIABLES, **PROFILE_DIAGNOSTICS}
    assert set(ds.data_vars) == set(variables)
    assert dict(ds.sizes) == {"site": 3, "hour": 8760}
    assert list(ds["site"].values) == [NORTH, SOUTH, EAST]
    np.testing.assert_array_equal(ds["hour"].values, np.arange(8760))
    for name, (units, long_name) in variables.items():
        assert ds[name].dims == ("site", "hour")
        assert ds[name].dtype == np.float64
        assert ds[name].attrs == {"units": units, "long_name": long_name}
        assert np.isfinite(ds[name].values).all()
    assert ds.attrs["seed"] == 20231231
    assert ds.attrs["reference_year"] == 2023
    assert ds.attrs["solar_ghi_max_abs_rel_error"] < 0.005
    assert ds.attrs["calibration_max_abs_rel_error_wind"] < 0.005
    assert "MERRA-2" in ds.attrs["solar_resource"]


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
        assert (ds["ghi_w_m2"].sel(site=site).values[night] == 0).all(), site
        assert (cf[elevation.to_numpy() > 20] > 0).mean() > 0.99
        # Mean diurnal profile peaks within an hour of local mean solar noon.
        peak_mid_hour = np.argmax(cf.reshape(365, 24).mean(axis=0)) + 0.5
        solar_noon_h = 12.0 + (120.0 - lon) / 15.0
        assert abs(peak_mid_hour - solar_noon_h) <= 1.0, (site, peak_mid_hour, solar_noon_h)


def test_hourly_ghi_stays_under_the_clearness_cap(ds):
    for site, lat, lon, alt in SITES.itertuples(index=False):
        alt = alt if np.isfinite(alt) else float(pvlib.location.lookup_altitude(lat, lon))
        geometry = prof.solar_geometry(
            lat, lon, alt, 2023, ds["temperature_c"].sel(site=site).values
        )
        cap = prof.SOLAR_CLEARNESS_MAX * prof.extraterrestrial_horizontal_w_m2(geometry)
        assert (ds["ghi_w_m2"].sel(site=site).values <= cap + 1e-9).all(), site


def test_wind_full_load_hours_match_targets(ds):
    for row in SITE_ENERGY.itertuples(index=False):
        wind_flh = float(ds["wind_cf"].sel(site=row.site).sum())
        assert wind_flh == pytest.approx(row.wind_flh_target_h, rel=0.01, abs=1e-9)
    assert (ds["wind_cf"].sel(site=EAST).values == 0).all()


def test_published_solar_full_load_hours_do_not_drive_the_profile(ds):
    other = _one_site(NORTH, published_h=3000.0)
    np.testing.assert_array_equal(other["solar_cf"].values[0], ds["solar_cf"].sel(site=NORTH))
    # The MERRA-2 cell, not the published figure, sets the level: 1580 h is published
    # for NORTH, the MERRA-2 irradiance of its cell gives this plant far more.
    assert float(ds["solar_cf"].sel(site=NORTH).sum()) > 1.05 * 1580.0


def test_calibration_table(ds):
    table = prof.calibration_table(ds, SITE_ENERGY)
    assert list(table.index) == [NORTH, SOUTH, EAST]
    for tech in ("solar", "wind"):
        expected = ds[f"{tech}_cf"].sum("hour").values
        np.testing.assert_allclose(table[f"{tech}_flh_achieved_h"], expected)
    assert (table["wind_flh_rel_error"].abs() < 0.005).all()
    assert table.loc[EAST, "wind_flh_rel_error"] == 0.0
    np.testing.assert_allclose(
        table["solar_flh_rel_diff"],
        table["solar_flh_achieved_h"] / SITE_ENERGY.set_index("site")["solar_flh_published_h"] - 1,
    )
    for site in (NORTH, SOUTH, EAST):
        cell = _cell(site)
        assert table.loc[site, "ghi_merra2_w_m2"] == pytest.approx(cell.annual_mean_w_m2())
        assert (
            f"{cell.lat_deg:g}N {cell.lon_deg:g}E (containing the site"
            in table.loc[site, "merra2_cell"]
        )


def test_annual_mean_ghi_reproduces_the_merra2_cell(ds):
    # What the profile reproduces. Only the clearness cap can lower it (a day that cannot
    # hold its energy under the cap); that costs at most 0.4 % a year at the shipped sites.
    for site in (NORTH, SOUTH, EAST):
        profile_w_m2 = float(ds["ghi_w_m2"].sel(site=site).mean())
        assert profile_w_m2 == pytest.approx(_cell(site).annual_mean_w_m2(), rel=0.005), site
        assert profile_w_m2 <= _cell(site).annual_mean_w_m2() + 1e-9


def test_monthly_mean_daily_ghi_matches_the_merra2_cell(ds):
    months = prof.day_of_year_month()
    for site in (NORTH, SOUTH, EAST):
        cell = _cell(site)
        # The MERRA-2 days, before they are spread over hours: the mean of every month is
        # the cell's exactly (the strata partition the month's probability).
        daily = prof.daily_ghi_w_m2(cell, prof.site_rng(20231231, site, prof.STREAM_SOLAR))
        monthly = [daily[months == m].mean() for m in range(1, 13)]
        np.testing.assert_allclose(monthly, cell.monthly_mean_w_m2(), rtol=1e-9)
        # In the profile the clearness cap may take a little off the clearest winter days:
        # at most 2.3 % of a month at the shipped sites, so 3 % is the tolerance. A plain
        # random draw of 30 persistent days would miss by ~10 %.
        in_profile = _daily_ghi(ds, site)
        monthly = np.array([in_profile[months == m].mean() for m in range(1, 13)])
        np.testing.assert_allclose(monthly, cell.monthly_mean_w_m2(), rtol=0.03)
        assert (monthly <= cell.monthly_mean_w_m2() + 1e-9).all()


def _ks_distance(cell: merra2.GhiCell, month: int, days: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between some days and the cell's CDF of ``month``."""
    values = np.sort(days)
    cdf = cell.cdf(month, values)
    upper = np.arange(1, values.size + 1) / values.size
    return float(max(np.abs(cdf - upper).max(), np.abs(cdf - (upper - 1 / values.size)).max()))


def test_daily_ghi_within_a_month_follows_the_merra2_distribution(ds):
    months = prof.day_of_year_month()
    for site in (NORTH, SOUTH, EAST):
        cell = _cell(site)
        merra2_days = prof.daily_ghi_w_m2(cell, prof.site_rng(20231231, site, prof.STREAM_SOLAR))
        days = _daily_ghi(ds, site)
        # The clearness cap only ever lowers a day, and only one of the month's clearer
        # half (the cap binds on clear days).
        assert (days <= merra2_days * (1 + 1e-12) + 1e-9).all()
        lowered = days < merra2_days * (1 - 1e-9)
        for m in range(1, 13):
            in_month = months == m
            n = int(in_month.sum())
            # The k-th clearest MERRA-2 day is the mean of the k-th of n equal-probability
            # strata, so it lies within the stratum: the KS distance is at most 1/n (an
            # i.i.d. sample of 30 days is typically at 0.15).
            assert _ks_distance(cell, m, merra2_days[in_month]) <= 1 / n + 1e-9, (site, m)
            if not lowered[in_month].any():
                assert _ks_distance(cell, m, days[in_month]) <= 1 / n + 1e-9, (site, m)
            assert (cell.cdf(m, merra2_days[in_month & lowered]) > 0.5).all(), (site, m)
            # So the month's lower quartile and median are MERRA-2's, to a stratum.
            for q in (0.25, 0.5):
                day_q = np.quantile(days[in_month], q)
                low, high = cell.quantile_w_m2(m, [q - 1.5 / n, q + 1.5 / n])
                assert low - 1e-9 <= day_q <= high + 1e-9, (site, m, q)
        assert lowered.sum() == prof.site_parameters(ds).loc[site, "merra2_days_lowered_by_cap"]
        assert lowered.mean() < 0.1, site


def test_daily_ghi_keeps_day_to_day_persistence(ds):
    # The days are ordered by a daily AR(1) with phi 0.55 (rank correlation ~0.53): the
    # lag-1 correlation of the days' monthly quantile ranks is clearly positive.
    months = prof.day_of_year_month()
    for site in (NORTH, SOUTH, EAST):
        cell = _cell(site)
        daily = _daily_ghi(ds, site)
        u = np.array([cell.cdf(m, d) for m, d in zip(months, daily, strict=True)])
        lag1 = np.corrcoef(u[:-1], u[1:])[0, 1]
        assert 0.3 < lag1 < 0.75, (site, lag1)


def test_stratum_means_discretise_a_distribution():
    values = np.tile(np.arange(0.0, 100.0, 1.0), (12, 1))
    prob = np.tile(np.linspace(1.0, 2.0, 100), (12, 1))
    prob /= prob.sum(axis=1, keepdims=True)
    cell = merra2.GhiCell(0.0, 0.0, 0.0, True, values, prob)
    for n in (1, 28, 31):
        strata = cell.stratum_means_w_m2(1, n)
        assert strata.mean() == pytest.approx(cell.monthly_mean_w_m2()[0], rel=1e-12)
        assert (np.diff(strata) >= 0).all()
        # Each stratum mean lies within its own stratum of probability.
        cdf = cell.cdf(1, strata)
        below = cell.cdf(1, strata - 1.0)
        k = np.arange(n)
        assert (cdf >= k / n - 1e-12).all() and (below <= (k + 1) / n + 1e-12).all()


def test_fill_days_under_cap_keeps_daily_energy():
    rng = np.random.default_rng(0)
    shape = np.clip(np.sin(np.linspace(0, np.pi, 24)), 0, None)[None, :] * rng.uniform(
        0.5, 1.5, (5, 24)
    )
    cap = np.full((5, 24), 0.8)
    target = np.array([0.0, 2.0, 8.0, 12.0, 100.0])  # the last cannot fit under the cap
    out = prof.fill_days_under_cap(target, shape, cap)
    assert (out <= cap + 1e-12).all() and (out >= 0).all()
    np.testing.assert_allclose(out.sum(axis=1)[:4], target[:4], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[4], np.where(shape[4] > 0, cap[4], 0.0))
    # Below the cap the day keeps the shape.
    np.testing.assert_allclose(out[1] / out[1].sum(), shape[1] / shape[1].sum(), rtol=1e-12)


def test_a_site_in_a_cell_without_data_uses_the_nearest_cell_with_data():
    # A 3 x 3 grid with data only in two corner cells: (0, 0) and (6, 6).
    lat, lon = np.array([0.0, 3.0, 6.0]), np.array([0.0, 3.0, 6.0])
    pk = np.full((3, 3, 12, 4), np.nan)
    xk = np.tile(np.array([10.0, 20.0, 30.0, 40.0]), (3, 3, 12, 1))
    pk[0, 0] = pk[2, 2] = 1.0
    grid = merra2.GhiGrid.from_arrays(lat, lon, xk, pk)
    inside = merra2.cell_of_site(0.4, -1.2, grid)
    assert (inside.lat_deg, inside.lon_deg, inside.contains_site) == (0.0, 0.0, True)
    at_sea = merra2.cell_of_site(4.0, 4.9, grid)  # in the empty centre-right cells
    assert (at_sea.lat_deg, at_sea.lon_deg, at_sea.contains_site) == (6.0, 6.0, False)
    assert at_sea.distance_km == pytest.approx(merra2.great_circle_km(4.0, 4.9, 6.0, 6.0))
    assert at_sea.monthly_mean_w_m2() == pytest.approx(np.full(12, 25.0))

    # The shipped grid: a site in the East China Sea takes the nearest cell with data.
    grid = merra2.merra2_grid()
    cell = merra2.cell_of_site(SEA_LAT_DEG, SEA_LON_DEG)
    assert not cell.contains_site
    rows, cols = np.nonzero(grid.has_data)
    distances = merra2.great_circle_km(
        SEA_LAT_DEG, SEA_LON_DEG, grid.lat_deg[rows], grid.lon_deg[cols]
    )
    assert cell.distance_km == pytest.approx(distances.min())
    sites = pd.DataFrame({"site": [SEA], "lat_deg": [SEA_LAT_DEG], "lon_deg": [SEA_LON_DEG]})
    energy = SITE_ENERGY.iloc[[2]].assign(site=SEA)
    climate = CLIMATE[CLIMATE.site == EAST].assign(site=SEA)
    ds = prof.generate_profiles(sites.assign(altitude_m=0.0), energy, climate)
    recorded = prof.site_parameters(ds).loc[SEA]
    assert (
        recorded["merra2_cell_contains_site"] is False or not recorded["merra2_cell_contains_site"]
    )
    assert (recorded["merra2_cell_lat_deg"], recorded["merra2_cell_lon_deg"]) == (
        cell.lat_deg,
        cell.lon_deg,
    )
    assert recorded["merra2_cell_distance_km"] == pytest.approx(cell.distance_km, abs=0.1)
    assert "nearest cell with data" in prof.calibration_table(ds, energy).loc[SEA, "merra2_cell"]
    assert float(ds["ghi_w_m2"].mean()) == pytest.approx(cell.annual_mean_w_m2(), rel=0.005)


def test_deterministic_and_seed_sensitive(ds):
    again = _one_site(NORTH)
    for name in {**PROFILE_VARIABLES, **PROFILE_DIAGNOSTICS}:
        # identical run to run, and independent of which other sites are generated
        np.testing.assert_array_equal(again[name].values[0], ds[name].sel(site=NORTH).values)
    other = _one_site(NORTH, seed=7)
    for name in ("solar_cf", "wind_cf", "temperature_c"):
        assert not np.array_equal(other[name].values, again[name].values), name
    # a new seed is still calibrated (wind) and still MERRA-2's months (solar)
    assert float(other["wind_cf"].sum()) == pytest.approx(2600.0, rel=0.005)
    months = prof.month_of_hour()
    for m in range(1, 13):
        assert other["ghi_w_m2"].values[0][months == m].mean() == pytest.approx(
            again["ghi_w_m2"].values[0][months == m].mean(), rel=0.03
        )


def test_written_file_is_the_same_bytes_every_run(ds, tmp_path):
    first = prof.write_profiles(ds, tmp_path / "a.nc")
    second = prof.write_profiles(_one_site(NORTH), tmp_path / "b.nc")
    third = prof.write_profiles(_one_site(NORTH), tmp_path / "c.nc")
    assert second.read_bytes() == third.read_bytes()
    assert first.read_bytes() != second.read_bytes()


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
    with pytest.raises(InputError, match="wind_flh_target_h"):
        prof.generate_profiles(SITES, SITE_ENERGY.drop(columns="wind_flh_target_h"), CLIMATE)
    # The published solar figure is not an input of the generator.
    prof.generate_profiles(
        SITES.iloc[:1], SITE_ENERGY.iloc[:1].drop(columns="solar_flh_published_h"), CLIMATE
    )
