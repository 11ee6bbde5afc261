"""Time slices: tsam representative days and the full year."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from planner.inputs.timeslices import select_timesteps


def _hourly_inputs(n_sites: int = 2, seed: int = 1) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    hours = np.arange(8760)
    hod = hours % 24
    day = hours // 24
    solar = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None) * (0.6 + 0.4 * rng.random(365))[day]
    season = 1 + 0.3 * np.cos(2 * np.pi * day / 365)
    wind = np.clip(rng.weibull(2.0, (n_sites, 8760)) * 0.3 * season, 0, 1)
    temp = 10 - 12 * np.cos(2 * np.pi * day / 365) + 4 * np.sin((hod - 9) / 24 * 2 * np.pi)
    ds = xr.Dataset(
        {
            "solar_cf": (("site", "hour"), np.vstack([solar] * n_sites)),
            "wind_cf": (("site", "hour"), wind),
            "hydro_availability_frac": (("site", "hour"), np.zeros((n_sites, 8760))),
            "temperature_c": (("site", "hour"), np.vstack([temp] * n_sites)),
            "pue": (
                ("site", "hour"),
                np.vstack([1.1 + 0.005 * np.maximum(temp - 12, 0)] * n_sites),
            ),
            "price_multiplier": (
                ("site", "hour"),
                np.vstack([np.where(hod < 8, 0.5, 1.25)] * n_sites),
            ),
            "load_shape_rel": (("rack_class", "hour_of_day"), np.ones((1, 24)) * 0.9),
            "grid_limit_mw": ("site", np.full(n_sites, 100.0)),
        },
        coords={
            "site": [f"s{i}" for i in range(n_sites)],
            "hour": hours,
            "rack_class": ["general"],
            "hour_of_day": np.arange(24),
        },
    )
    ds["solar_cf"].attrs["units"] = "1"
    return ds


def test_full_year_keeps_every_hour_with_unit_weights() -> None:
    out = select_timesteps(_hourly_inputs(), "full")
    assert out.sizes["timestep"] == 8760
    assert "hour" not in out.dims
    assert float(out["timestep_weight_h"].sum()) == 8760
    assert int(out["timestep_day"].max()) == 364
    np.testing.assert_array_equal(out["solar_cf"].values, _hourly_inputs()["solar_cf"].values)


@pytest.mark.parametrize("days", [1, 4, 12])
def test_representative_days_weights_sum_to_a_year(days: int) -> None:
    inputs = _hourly_inputs()
    out = select_timesteps(inputs, days)
    assert out.sizes["timestep"] == 24 * days
    assert float(out["timestep_weight_h"].sum()) == pytest.approx(8760)
    # Each day's 24 timesteps share one weight and run in hour-of-day order.
    for d in range(days):
        block = out["timestep_day"].values == d
        assert block.sum() == 24
        assert len(set(out["timestep_weight_h"].values[block])) == 1
        np.testing.assert_array_equal(out["timestep_hour_of_day"].values[block], np.arange(24))
    assert "tsam" in out.attrs["time_slices"]


def test_annual_energy_of_each_profile_is_preserved() -> None:
    inputs = _hourly_inputs()
    out = select_timesteps(inputs, 8)
    w = out["timestep_weight_h"]
    for var in ("solar_cf", "wind_cf", "temperature_c"):
        annual = inputs[var].sum("hour")
        sliced = (out[var] * w).sum("timestep")
        np.testing.assert_allclose(sliced, annual, rtol=0.01)
    assert float(out["solar_cf"].max()) <= 1.0 and float(out["solar_cf"].min()) >= 0.0


def test_hour_of_day_variables_follow_the_clock() -> None:
    out = select_timesteps(_hourly_inputs(), 4)
    hod = out["timestep_hour_of_day"].values
    np.testing.assert_array_equal(out["price_multiplier"].values[0], np.where(hod < 8, 0.5, 1.25))
    assert out["load_shape_rel"].dims == ("rack_class", "timestep")
    # Non-hourly variables pass through untouched; constant columns stay constant.
    assert float(out["grid_limit_mw"].sum()) == 200.0
    assert float(abs(out["hydro_availability_frac"]).max()) == 0.0


def test_same_inputs_same_slices() -> None:
    a = select_timesteps(_hourly_inputs(), 6)
    b = select_timesteps(_hourly_inputs(), 6)
    xr.testing.assert_identical(a, b)


def test_cache_returns_exactly_what_tsam_chose(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    first = select_timesteps(_hourly_inputs(), 5)
    assert len(list(tmp_path.glob("timeslices-*.nc"))) == 1
    second = select_timesteps(_hourly_inputs(), 5)  # from the cache
    xr.testing.assert_identical(first, second)
    monkeypatch.setenv("PLANNER_CACHE_DIR", "off")
    xr.testing.assert_identical(first, select_timesteps(_hourly_inputs(), 5))
    # Different profiles are a different key, never a stale hit.
    select_timesteps(_hourly_inputs(seed=2), 5)
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    select_timesteps(_hourly_inputs(seed=2), 5)
    assert len(list(tmp_path.glob("timeslices-*.nc"))) == 2


def test_days_shipped_in_the_data_folder_are_read(tmp_path, monkeypatch) -> None:
    from planner.inputs.timeslices import SHIPPED_DIR, cache_file_name, write_timeslices

    monkeypatch.setenv("PLANNER_CACHE_DIR", "off")
    inputs = _hourly_inputs()
    inputs.attrs["data_dir"] = str(tmp_path)
    chosen = select_timesteps(inputs, 5)
    hourly = {
        v: chosen[v].values for v in chosen.data_vars if chosen[v].dims == ("site", "timestep")
    }
    hourly.pop("load_shape_rel", None)
    write_timeslices(
        tmp_path / SHIPPED_DIR / cache_file_name(inputs, 5),
        hourly,
        chosen["timestep_weight_h"].values,
        chosen["timestep_day"].values,
        "marked as shipped",
    )
    assert select_timesteps(inputs, 5).attrs["time_slices"] == "marked as shipped"
    assert select_timesteps(inputs, 4).attrs["time_slices"] != "marked as shipped"


def test_shipped_days_are_what_tsam_chooses_for_the_shipped_data(monkeypatch) -> None:
    """data/timeslices/ holds the default model's days; stale or edited files fail here."""
    import importlib.metadata
    from pathlib import Path

    from planner.inputs.load import load_inputs
    from planner.inputs.timeslices import SHIPPED_DIR, _representative_days, cache_file_name
    from planner.model_file import DEFAULT_MODEL, load_model

    model, data_dir = load_model(DEFAULT_MODEL)
    shipped = sorted((Path(data_dir) / SHIPPED_DIR).glob("timeslices-*.nc"))
    assert shipped, "no representative days shipped: run `planner data timeslices`"
    version = importlib.metadata.version("tsam")
    methods = [xr.open_dataset(p, engine="netcdf4").attrs["method"] for p in shipped]
    if not any(f"tsam {version}," in m for m in methods):
        pytest.skip(f"the shipped days were chosen with another tsam than {version}: {methods}")
    inputs = load_inputs(model, data_dir)
    n_days = model.time.representative_days
    path = Path(data_dir) / SHIPPED_DIR / cache_file_name(inputs, n_days)
    assert path.exists(), f"{path.name} is missing: the shipped days are stale"
    hourly, weight_h, day, _method = _representative_days(inputs, n_days)
    with xr.open_dataset(path, engine="netcdf4") as ds:
        np.testing.assert_array_equal(ds["weight_h"].values, weight_h)
        np.testing.assert_array_equal(ds["day"].values, day)
        for name, values in hourly.items():
            np.testing.assert_array_equal(ds[name].values, values)
