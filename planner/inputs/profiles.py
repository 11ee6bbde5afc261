"""Hourly supply and weather profiles: solar, wind, hydro availability, temperature.

``planner data profiles`` calls :func:`generate_profiles` on ``sites.csv``,
``site_energy.csv`` and ``climate.csv`` and writes ``data/profiles.nc`` with
:func:`write_profiles`. The result has dims ``(site, hour)``, ``hour`` = 0..8759
of a non-leap reference year in local time (Asia/Shanghai, UTC+8, no DST),
hour-beginning labels: hour 0 is 00:00-01:00 on 1 January. Every hourly quantity is
evaluated at the middle of its hour.

What is data and what is a generator assumption: the solar resource is real
reanalysis, MERRA-2's monthly distributions of daily mean irradiance (see below); the
solar day order, the hours within each day, wind, hydro and temperature come from
documented stochastic generators, wind calibrated to a published statistic (full-load
hours), temperature to monthly normals. Wind and hydro still stand in for
reanalysis-derived series (ERA5/atlite, renewables.ninja) until those are sourced.

Generators, by physical concern
-------------------------------
temperature
    Monthly normals (``climate.temp_mean_c``) interpolated periodically between
    mid-month anchors (no steps at month boundaries), the anchors solved so that
    every monthly mean reproduces the table exactly; plus an asymmetric diurnal
    cycle (minimum 05:00, maximum 14:00, amplitude half of
    ``temp_diurnal_range_c``), plus a seeded Gaussian AR(1) synoptic anomaly
    (std 2.5 degC, e-folding time 3 days) whose monthly means are removed smoothly.
solar
    Resource (data): the MERRA-2 cell of the site (:mod:`planner.inputs.merra2`: the
    3 x 3 degree cell containing it, else the nearest cell with data), whose 12 monthly
    distributions of daily mean GHI (2011-2015; Gelaro et al. 2017, via the
    gsee-climate-data package of Pfenninger & Staffell 2016) set both each month's mean
    and its day-to-day spread. Days (assumption: order): a Gaussian daily AR(1)
    (phi 0.55) is mapped by rank through each month's distribution, so that a month's
    days are an equal-probability discretisation of it with its mean exactly
    (:func:`daily_ghi_w_m2`). Hours (assumption: shape): each day's energy is spread
    in proportion to pvlib's Ineichen-Perez clear-sky GHI (NREL SPA solar position,
    shipped Linke-turbidity climatology, site altitude) times ``exp(0.15 z)`` with
    ``z`` an hourly AR(1) (phi 0.8), no hour above 0.85 x the extraterrestrial
    horizontal irradiance (:func:`hourly_ghi_w_m2`; the cap costs at most 0.4 % of a
    year's irradiance, 2.3 % of a month's, at the shipped sites). Plant: Erbs
    decomposition, Hay-Davies transposition to a south-facing plane tilted at the
    latitude, physical IAM on the beam, Faiman cell temperature from the hourly
    ambient temperature, PVWatts DC (gamma -0.35 %/degC), PVWatts system losses
    (14.08 %) and PVWatts inverter with a DC/AC ratio of 1.2. Nothing is calibrated:
    the full-load hours follow, and ``planner data profiles`` compares them with the
    published figure ``site_energy.solar_flh_published_h``. The hourly GHI is kept in
    the file as the diagnostic ``ghi_w_m2`` (not a model input).
wind
    Gaussian copula (Brown, Katz & Murphy 1984): an hourly Gaussian AR(1)
    (phi 0.96) mapped through the Weibull inverse CDF (shape k = 2), multiplied by a
    seasonal (spring maximum, stronger in the north) and a diurnal (night maximum at
    hub height) modulation, through the published power curve of the Vestas
    V126-3.45 MW (windpowerlib's offline turbine library, from the Open Energy
    Database), less 10 % farm losses. The Weibull scale is found with brentq so that
    the annual full-load hours equal ``site_energy.wind_flh_target_h``.
hydro
    Availability of a hydro contract, for sites with ``hydro_limit_mw > 0``: a
    monthly profile after Sichuan's regime (facts 4e: hydro >80 % of Sichuan
    generation, rainy season May-October): near 1.0 May-October, about 0.4 in
    the dry season, linear between mid-month anchors. Zero elsewhere.

Randomness: each site and concern has its own :class:`numpy.random.Generator`
seeded from ``SeedSequence([seed, crc32(site), stream])``; the same inputs and seed
give bit-identical arrays, and a site's series do not depend on the other sites.

Glossary: ``_c`` degC, ``_h`` hours, ``_frac`` and ``cf`` dimensionless in [0, 1],
``_w_m2`` W/m2, ``_m_s`` m/s, ``_deg`` degrees, ``_m`` metres, ``_doy`` day of year
(0-based, fractional).
"""

from __future__ import annotations

import calendar
import json
import logging
import os
import tempfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import xarray as xr
from scipy.optimize import brentq
from scipy.signal import lfilter
from scipy.special import log_ndtr

from planner.atomic import usual_file_mode
from planner.errors import InputError, Problem
from planner.inputs.merra2 import GhiCell, cell_of_site, describe_cell, package_version
from planner.schema import HOURS_PER_YEAR, PROFILE_DIAGNOSTICS, PROFILE_VARIABLES

logger = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"
DAYS_PER_YEAR = 365

# Random-stream identifiers: one independent stream per site and concern.
STREAM_TEMPERATURE = 1
STREAM_SOLAR = 2
STREAM_WIND = 3

# --- temperature (assumptions, conf L) ---------------------------------------------
TEMP_ANOMALY_STD_C = 2.5  # synoptic day-to-day variability of hourly temperature
TEMP_ANOMALY_EFOLD_H = 72.0  # e-folding time of the synoptic anomaly (3 days)
TEMP_MIN_HOUR = 5.0  # local hour of the daily minimum
TEMP_MAX_HOUR = 14.0  # local hour of the daily maximum

# --- solar ---------------------------------------------------------------------------
PV_GAMMA_PDC_PER_C = -0.0035  # PVWatts temperature coefficient, mono-Si [1/degC]
PV_DC_AC_RATIO = 1.2  # DC nameplate / inverter AC rating (typical Chinese utility PV)
PV_INVERTER_EFF_NOM = 0.96  # PVWatts default nominal inverter efficiency
PV_SYSTEM_LOSS_PCT = float(pvlib.pvsystem.pvwatts_losses())  # PVWatts default, 14.08 %
PV_ALBEDO = 0.25
# MERRA-2 days into hours (assumptions, conf L; see daily_ghi_w_m2, hourly_ghi_w_m2).
SOLAR_DAILY_PHI = 0.55  # day-to-day persistence (lag-1) of the Gaussian daily process
SOLAR_HOURLY_PHI = 0.8  # hour-to-hour persistence of the within-day texture
SOLAR_HOURLY_STD_LOG = 0.15  # std of the within-day texture, log units (about +-15 %)
SOLAR_CLEARNESS_MAX = 0.85  # highest hourly GHI / extraterrestrial horizontal irradiance

# --- wind ----------------------------------------------------------------------------
WIND_WEIBULL_SHAPE = 2.0  # Rayleigh-like; typical of inland hub-height winds
WIND_AR1_PHI_HOURLY = 0.96  # hourly autocorrelation of the Gaussian process
WIND_TURBINE_TYPE = "V126/3450"  # Vestas V126-3.45 MW, IEC IIA/IIIA, cut-out 22.5 m/s
WIND_HUB_HEIGHT_M = 117.0  # a standard V126-3.45 tower option
WIND_FARM_LOSS_FRAC = 0.10  # wake, availability and electrical losses (assumption)
WIND_SEASONAL_PEAK_DOY = 95.0  # early April: north-China spring wind maximum
WIND_SEASONAL_AMPLITUDE_NORTH = 0.15  # at lat >= 35 N (assumption, conf L)
WIND_SEASONAL_AMPLITUDE_SOUTH = 0.05  # at lat <= 25 N
WIND_DIURNAL_AMPLITUDE = 0.06  # relative hub-height diurnal modulation
WIND_DIURNAL_PEAK_HOUR = 23.0  # nocturnal low-level jet at hub height
WIND_SCALE_SEARCH_M_S = (0.5, 30.0)

# --- hydro (assumption from facts 4e; conf L) ---------------------------------------
# Availability of contracted hydro capacity at mid-month, January..December. Wet
# season May-October near 1.0; dry season (Dec-Mar) ~0.4 of it, after the Sichuan
# regime (hydro >80 % of generation, rainy season May-October).
HYDRO_MONTHLY_AVAILABILITY_FRAC = (
    0.42, 0.38, 0.40, 0.55, 0.85, 0.97, 1.00, 1.00, 1.00, 0.92, 0.68, 0.50,
)  # fmt: skip

GENERATOR_NAME = "planner.inputs.profiles"


# ====================================================================================
# Time axis and smooth monthly interpolation
# ====================================================================================


def hourly_index(year: int) -> pd.DatetimeIndex:
    """Hour-beginning local timestamps of the reference year.

    Parameters
    ----------
    year : int
        A non-leap year.

    Returns
    -------
    pandas.DatetimeIndex
        8760 hourly timestamps, tz Asia/Shanghai.
    """
    if calendar.isleap(year):
        raise ValueError(f"reference year {year} is a leap year; use a non-leap year")
    return pd.date_range(f"{year}-01-01", periods=HOURS_PER_YEAR, freq="h", tz=TIMEZONE)


def mid_hour_doy() -> np.ndarray:
    """Fractional day of year at the middle of each hour [day], 0-based."""
    return (np.arange(HOURS_PER_YEAR) + 0.5) / 24.0


def month_of_hour() -> np.ndarray:
    """Month (1..12) of each hour of a non-leap year."""
    days = np.array([calendar.monthrange(2023, m)[1] for m in range(1, 13)])
    return np.repeat(np.arange(1, 13), days * 24)


def month_mid_doy() -> np.ndarray:
    """Middle of each month as a fractional, 0-based day of year [day]."""
    days = np.array([calendar.monthrange(2023, m)[1] for m in range(1, 13)], dtype=float)
    return np.cumsum(days) - days / 2.0


@lru_cache(maxsize=1)
def _interpolation_operators() -> tuple[np.ndarray, np.ndarray]:
    """Weights W (hour x month) of the periodic linear interpolation between mid-month
    anchors, and A = monthly means of W (month x month)."""
    t_doy = mid_hour_doy()
    mids = month_mid_doy()
    weights = np.column_stack(
        [np.interp(t_doy, mids, np.eye(12)[j], period=DAYS_PER_YEAR) for j in range(12)]
    )
    months = month_of_hour()
    monthly = np.vstack([weights[months == m].mean(axis=0) for m in range(1, 13)])
    return weights, monthly


def monthly_means(hourly: np.ndarray) -> np.ndarray:
    """Means of an hourly series over each calendar month, January..December."""
    months = month_of_hour()
    return np.array([hourly[months == m].mean() for m in range(1, 13)])


def smooth_monthly_curve(monthly_values: np.ndarray, *, preserve_means: bool) -> np.ndarray:
    """Hourly curve through 12 monthly values, without steps at month boundaries.

    Parameters
    ----------
    monthly_values : array of 12
        Values for January..December.
    preserve_means : bool
        If True, the mid-month anchors are solved so that the monthly means of the
        hourly curve equal ``monthly_values`` exactly; otherwise the curve passes
        through ``monthly_values`` at mid-month.

    Returns
    -------
    numpy.ndarray
        8760 hourly values, periodic linear interpolation between mid-month anchors.
    """
    weights, monthly = _interpolation_operators()
    values = np.asarray(monthly_values, dtype=float)
    anchors = np.linalg.solve(monthly, values) if preserve_means else values
    return weights @ anchors


# ====================================================================================
# Random processes
# ====================================================================================


def site_rng(seed: int, site: str, stream: int) -> np.random.Generator:
    """Generator for one site and concern, stable across runs and Python versions."""
    key = zlib.crc32(site.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([int(seed), key, int(stream)]))


def ar1_standard(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary Gaussian AR(1) with unit variance.

    ``x[t] = phi * x[t-1] + sqrt(1 - phi**2) * e[t]``, ``x[-1] ~ N(0, 1)``.
    """
    innovations = rng.standard_normal(n)
    x_prev = rng.standard_normal()
    out, _ = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], innovations, zi=[phi * x_prev])
    return out


# ====================================================================================
# Temperature
# ====================================================================================


def diurnal_temperature_shape(hour_of_day: np.ndarray) -> np.ndarray:
    """Asymmetric diurnal cycle in [-1, 1]: -1 at 05:00, +1 at 14:00.

    Half-cosine rise over the 9 h from the minimum to the maximum and half-cosine
    fall over the remaining 15 h; each half has zero mean, so the cycle does too.

    Parameters
    ----------
    hour_of_day : array
        Local hour [h], fractional.
    """
    rise_h = TEMP_MAX_HOUR - TEMP_MIN_HOUR
    fall_h = 24.0 - rise_h
    since_min_h = np.mod(hour_of_day - TEMP_MIN_HOUR, 24.0)
    return np.where(
        since_min_h < rise_h,
        -np.cos(np.pi * since_min_h / rise_h),
        np.cos(np.pi * (since_min_h - rise_h) / fall_h),
    )


def temperature_profile(
    temp_mean_c: np.ndarray, temp_diurnal_range_c: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Hourly ambient temperature [degC] whose monthly means equal ``temp_mean_c``.

    Parameters
    ----------
    temp_mean_c : array of 12
        Monthly mean temperature, January..December [degC].
    temp_diurnal_range_c : array of 12
        Monthly mean daily maximum minus minimum [degC].
    rng : numpy.random.Generator
        Source of the synoptic anomaly.
    """
    weights, monthly = _interpolation_operators()
    hour_of_day = np.mod(mid_hour_doy() * 24.0, 24.0)
    amplitude_c = 0.5 * np.maximum(
        smooth_monthly_curve(temp_diurnal_range_c, preserve_means=False), 0.0
    )
    diurnal_c = amplitude_c * diurnal_temperature_shape(hour_of_day)

    phi = np.exp(-1.0 / TEMP_ANOMALY_EFOLD_H)
    anomaly_c = TEMP_ANOMALY_STD_C * ar1_standard(HOURS_PER_YEAR, phi, rng)
    # Remove the anomaly's monthly means smoothly, so normals are kept without steps.
    anomaly_c -= weights @ np.linalg.solve(monthly, monthly_means(anomaly_c))

    seasonal_c = smooth_monthly_curve(
        np.asarray(temp_mean_c, dtype=float) - monthly_means(diurnal_c), preserve_means=True
    )
    return seasonal_c + diurnal_c + anomaly_c


# ====================================================================================
# Solar
# ====================================================================================


@dataclass(frozen=True)
class SolarGeometry:
    """Solar position, clear sky and plane geometry of one site (arrays of 8760)."""

    doy: np.ndarray  # day of year (1-based) for Erbs
    solar_zenith_deg: np.ndarray
    apparent_zenith_deg: np.ndarray
    solar_azimuth_deg: np.ndarray
    ghi_clear_w_m2: np.ndarray
    dni_extra_w_m2: np.ndarray
    airmass_relative: np.ndarray
    iam_beam: np.ndarray
    surface_tilt_deg: float
    surface_azimuth_deg: float


def solar_geometry(
    lat_deg: float, lon_deg: float, altitude_m: float, year: int, temperature_c: np.ndarray
) -> SolarGeometry:
    """Solar position, Ineichen clear sky and plane geometry at mid-hour.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Site coordinates [degree_north, degree_east].
    altitude_m : float
        Site altitude [m].
    year : int
        Reference year (non-leap).
    temperature_c : array
        Hourly ambient temperature [degC], used for refraction.
    """
    times = hourly_index(year) + pd.Timedelta(minutes=30)
    location = pvlib.location.Location(lat_deg, lon_deg, tz=TIMEZONE, altitude=altitude_m)
    solpos = location.get_solarposition(times, temperature=temperature_c)
    # Linke turbidity from pvlib's shipped monthly climatology (SoDa / Remund et al. 2003).
    clear = location.get_clearsky(times, model="ineichen", solar_position=solpos)
    airmass = location.get_airmass(solar_position=solpos)
    tilt_deg = float(abs(lat_deg))
    azimuth_deg = 180.0 if lat_deg >= 0 else 0.0
    aoi_deg = pvlib.irradiance.aoi(
        tilt_deg, azimuth_deg, solpos["apparent_zenith"], solpos["azimuth"]
    ).to_numpy()
    iam = np.nan_to_num(np.asarray(pvlib.iam.physical(aoi_deg), dtype=float), nan=0.0)
    return SolarGeometry(
        doy=np.asarray(times.dayofyear, dtype=float),
        solar_zenith_deg=solpos["zenith"].to_numpy(),
        apparent_zenith_deg=solpos["apparent_zenith"].to_numpy(),
        solar_azimuth_deg=solpos["azimuth"].to_numpy(),
        ghi_clear_w_m2=clear["ghi"].to_numpy(),
        dni_extra_w_m2=pvlib.irradiance.get_extra_radiation(times).to_numpy(),
        airmass_relative=np.nan_to_num(airmass["airmass_relative"].to_numpy(), nan=0.0),
        iam_beam=np.clip(iam, 0.0, 1.0),
        surface_tilt_deg=tilt_deg,
        surface_azimuth_deg=azimuth_deg,
    )


def day_of_year_month() -> np.ndarray:
    """Month (1..12) of each day of a non-leap year."""
    return month_of_hour()[::24]


def daily_ghi_w_m2(cell: GhiCell, rng: np.random.Generator) -> np.ndarray:
    """Daily mean GHI [W/m2] of the 365 days, each month following the cell's distribution.

    A stratified (rank) quantile mapping of a Gaussian daily AR(1) ``z`` (phi 0.55, the
    day-to-day persistence of cloudiness; assumption): within each month of ``n`` days,
    the day whose ``z`` has rank ``k`` (0-based, ascending) gets the mean of the
    MERRA-2 quantile function over the ``k``-th of ``n`` equal-probability strata
    (:meth:`GhiCell.stratum_means_w_m2`). So every month's days are an ``n``-point
    discretisation of that month's MERRA-2 distribution (Kolmogorov-Smirnov distance at
    most ``1/n``) whose mean is the MERRA-2 monthly mean exactly, and their order keeps
    the persistence of ``z`` (ranks map monotonically, also across month boundaries).

    A plain mapping ``F^-1(Phi(z))`` would draw a random weather year instead: with 30
    autocorrelated days its monthly means scatter by about 10 % around MERRA-2's.
    """
    z = ar1_standard(DAYS_PER_YEAR, SOLAR_DAILY_PHI, rng)
    month = day_of_year_month()
    out = np.empty(DAYS_PER_YEAR)
    for m in range(1, 13):
        days = np.flatnonzero(month == m)
        ranks = np.argsort(np.argsort(z[days], kind="stable"), kind="stable")
        out[days] = cell.stratum_means_w_m2(m, days.size)[ranks]
    return out


def extraterrestrial_horizontal_w_m2(geometry: SolarGeometry) -> np.ndarray:
    """Extraterrestrial irradiance on a horizontal plane at mid-hour [W/m2], >= 0."""
    cos_zenith = np.cos(np.radians(geometry.solar_zenith_deg))
    return np.maximum(geometry.dni_extra_w_m2 * cos_zenith, 0.0)


def fill_days_under_cap(
    target_wh_m2: np.ndarray, shape: np.ndarray, cap_w_m2: np.ndarray
) -> np.ndarray:
    """Hourly values ``min(s_d * shape, cap)`` whose daily sums equal ``target_wh_m2``.

    Per day ``d`` (rows of the (365, 24) arrays) the scale ``s_d >= 0`` is found by
    bisection, then solved exactly for the hours left below the cap. A day whose target
    exceeds the sum of its caps gets its caps (:meth:`SolarSeries.days_lowered_by_cap`
    counts such days).
    """
    shape = np.asarray(shape, dtype=float)
    cap = np.minimum(np.asarray(cap_w_m2, dtype=float), np.where(shape > 0, np.inf, 0.0))
    target = np.minimum(np.asarray(target_wh_m2, dtype=float), cap.sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(shape > 0, cap / shape, 0.0)
    low = np.zeros(target.size)
    high = ratio.max(axis=1)  # at this scale every hour is at its cap
    for _ in range(60):
        mid = 0.5 * (low + high)
        above = np.minimum(mid[:, None] * shape, cap).sum(axis=1) >= target
        high = np.where(above, mid, high)
        low = np.where(above, low, mid)
    capped = high[:, None] * shape >= cap
    free_shape = np.where(capped, 0.0, shape).sum(axis=1)
    free_target = target - np.where(capped, cap, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(free_shape > 0, free_target / free_shape, high)
    return np.where(capped, cap, np.minimum(scale[:, None] * shape, cap))


def hourly_ghi_w_m2(
    daily_w_m2: np.ndarray, geometry: SolarGeometry, rng: np.random.Generator
) -> np.ndarray:
    """Hourly GHI [W/m2] whose 24-hour means are ``daily_w_m2``.

    Within the day GHI follows the Ineichen clear-sky GHI times ``exp(0.15 z_h)``, ``z_h``
    an hourly Gaussian AR(1) (phi 0.8, e-folding 4.5 h; a modest passing-cloud texture,
    assumption): the day's energy is the MERRA-2 day's, only its timing varies. No hour
    exceeds 0.85 of the extraterrestrial horizontal irradiance (hourly clearness indices
    above that are rare in observations; the smoothed upper tails of the MERRA-2
    histograms ask for more on a few clear days, up to a daily clearness above 1 in
    winter at the northern sites): the excess moves to the day's other hours, and only
    a day that cannot hold its energy under the cap loses some. The choice of cap
    moves the sites' full-load hours by under 5 h (0.85 against 1.0).
    """
    noise = ar1_standard(HOURS_PER_YEAR, SOLAR_HOURLY_PHI, rng)
    shape = geometry.ghi_clear_w_m2 * np.exp(SOLAR_HOURLY_STD_LOG * noise)
    cap = SOLAR_CLEARNESS_MAX * extraterrestrial_horizontal_w_m2(geometry)
    hourly = fill_days_under_cap(
        24.0 * np.asarray(daily_w_m2, dtype=float),
        shape.reshape(DAYS_PER_YEAR, 24),
        cap.reshape(DAYS_PER_YEAR, 24),
    )
    return hourly.reshape(HOURS_PER_YEAR)


def pv_capacity_factor(
    geometry: SolarGeometry, ghi_w_m2: np.ndarray, temperature_c: np.ndarray
) -> np.ndarray:
    """AC output per unit of DC nameplate [1] of a fixed-tilt PV plant.

    Erbs decomposition of the hourly GHI [W/m2], Hay-Davies transposition, physical
    IAM on the beam, Faiman cell temperature (wind 1 m/s), PVWatts DC, PVWatts losses
    and PVWatts inverter (DC/AC ratio 1.2). Capacity is counted in DC peak watts, as
    in China's NEA statistics, so full-load hours are on the same basis.
    """
    ghi = np.asarray(ghi_w_m2, dtype=float)
    split = pvlib.irradiance.erbs(ghi, geometry.solar_zenith_deg, geometry.doy)
    poa = pvlib.irradiance.get_total_irradiance(
        geometry.surface_tilt_deg,
        geometry.surface_azimuth_deg,
        geometry.apparent_zenith_deg,
        geometry.solar_azimuth_deg,
        dni=split["dni"],
        ghi=ghi,
        dhi=split["dhi"],
        dni_extra=geometry.dni_extra_w_m2,
        airmass=geometry.airmass_relative,
        albedo=PV_ALBEDO,
        model="haydavies",
    )
    poa_global = np.nan_to_num(np.asarray(poa["poa_global"], dtype=float), nan=0.0)
    effective = np.nan_to_num(
        np.asarray(poa["poa_direct"], dtype=float) * geometry.iam_beam
        + np.asarray(poa["poa_diffuse"], dtype=float),
        nan=0.0,
    )
    temp_cell_c = pvlib.temperature.faiman(poa_global, temperature_c)
    dc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell_c, 1.0, PV_GAMMA_PDC_PER_C)
    dc = np.maximum(dc, 0.0) * (1.0 - PV_SYSTEM_LOSS_PCT / 100.0)
    ac_rating = 1.0 / PV_DC_AC_RATIO
    ac = pvlib.inverter.pvwatts(dc, ac_rating / PV_INVERTER_EFF_NOM, PV_INVERTER_EFF_NOM)
    return np.clip(np.asarray(ac, dtype=float), 0.0, 1.0)


@dataclass(frozen=True)
class SolarSeries:
    """The solar profile of one site and the MERRA-2 days behind it."""

    cf: np.ndarray  # hourly capacity factor [1], 8760
    ghi_w_m2: np.ndarray  # hourly GHI [W/m2], 8760
    daily_merra2_w_m2: np.ndarray  # daily mean GHI before the clearness cap [W/m2], 365

    def days_lowered_by_cap(self) -> int:
        """Days whose energy did not fit under the hourly clearness cap."""
        daily = self.ghi_w_m2.reshape(DAYS_PER_YEAR, 24).mean(axis=1)
        return int((daily < self.daily_merra2_w_m2 * (1.0 - 1e-9)).sum())


def solar_profile(
    lat_deg: float,
    lon_deg: float,
    altitude_m: float,
    temperature_c: np.ndarray,
    cell: GhiCell,
    rng: np.random.Generator,
    *,
    year: int,
) -> SolarSeries:
    """Hourly solar capacity factor [1] and GHI [W/m2] of a site from its MERRA-2 cell.

    :func:`daily_ghi_w_m2` (the MERRA-2 days), :func:`hourly_ghi_w_m2` (their hours)
    and :func:`pv_capacity_factor` (the plant). Nothing is calibrated: the full-load
    hours are what MERRA-2's irradiance gives this plant.
    """
    geometry = solar_geometry(lat_deg, lon_deg, altitude_m, year, temperature_c)
    daily = daily_ghi_w_m2(cell, rng)
    ghi = hourly_ghi_w_m2(daily, geometry, rng)
    return SolarSeries(pv_capacity_factor(geometry, ghi, temperature_c), ghi, daily)


# ====================================================================================
# Wind
# ====================================================================================


@lru_cache(maxsize=1)
def turbine_power_curve() -> tuple[np.ndarray, np.ndarray]:
    """Power curve of the Vestas V126-3.45 MW: wind speeds [m/s] and output [1].

    From windpowerlib's offline turbine library (Open Energy Database, oedb), output
    as a fraction of the 3.45 MW rating; zero beyond the last point (cut-out 22.5 m/s).
    """
    from windpowerlib import WindTurbine

    turbine = WindTurbine(turbine_type=WIND_TURBINE_TYPE, hub_height=WIND_HUB_HEIGHT_M)
    curve = turbine.power_curve
    return (
        curve["wind_speed"].to_numpy(dtype=float),
        curve["value"].to_numpy(dtype=float) / float(turbine.nominal_power),
    )


def wind_modulation(lat_deg: float) -> np.ndarray:
    """Seasonal x diurnal multiplier of the hub-height wind speed [1], mean ~1.

    Seasonal: ``1 + a(lat) cos(2 pi (doy - 95) / 365)``, ``a`` from 0.05 at 25 N to
    0.15 at 35 N and north (spring maximum, summer minimum of the East Asian winter
    monsoon regime). Diurnal: ``1 + 0.06 cos(2 pi (hour - 23) / 24)`` (night maximum
    of hub-height winds under the stable boundary layer).
    """
    doy = mid_hour_doy()
    hour_of_day = np.mod(doy * 24.0, 24.0)
    frac_north = float(np.clip((lat_deg - 25.0) / 10.0, 0.0, 1.0))
    amplitude = WIND_SEASONAL_AMPLITUDE_SOUTH + frac_north * (
        WIND_SEASONAL_AMPLITUDE_NORTH - WIND_SEASONAL_AMPLITUDE_SOUTH
    )
    seasonal = 1.0 + amplitude * np.cos(
        2.0 * np.pi * (doy - WIND_SEASONAL_PEAK_DOY) / DAYS_PER_YEAR
    )
    diurnal = 1.0 + WIND_DIURNAL_AMPLITUDE * np.cos(
        2.0 * np.pi * (hour_of_day - WIND_DIURNAL_PEAK_HOUR) / 24.0
    )
    return seasonal * diurnal


def unit_weibull_speed(rng: np.random.Generator) -> np.ndarray:
    """Hourly Weibull(k=2, scale=1) variates with AR(1) Gaussian-copula dependence.

    ``u = Phi(z)``, ``v = (-ln(1 - u))**(1/k)``, with ``ln(1 - Phi(z)) = log_ndtr(-z)``
    for accuracy in the upper tail.
    """
    z = ar1_standard(HOURS_PER_YEAR, WIND_AR1_PHI_HOURLY, rng)
    return (-log_ndtr(-z)) ** (1.0 / WIND_WEIBULL_SHAPE)


def wind_capacity_factor(wind_speed_m_s: np.ndarray) -> np.ndarray:
    """Wind-farm capacity factor [1] from hub-height wind speed [m/s]."""
    from windpowerlib.power_output import power_curve

    speeds_m_s, output_frac = turbine_power_curve()
    turbine_frac = power_curve(np.asarray(wind_speed_m_s), speeds_m_s, output_frac)
    return np.clip(np.asarray(turbine_frac, dtype=float) * (1.0 - WIND_FARM_LOSS_FRAC), 0.0, 1.0)


def wind_profile(
    lat_deg: float, wind_flh_target_h: float, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Calibrated hourly wind capacity factor [1] and the Weibull scale [m/s].

    The scale multiplies :func:`unit_weibull_speed` x :func:`wind_modulation`; it is
    found with brentq on the rising branch of the full-load-hours curve (below the
    scale where cut-out losses take over) so that ``sum(cf) == wind_flh_target_h``.
    """
    if wind_flh_target_h <= 0:
        return np.zeros(HOURS_PER_YEAR), float("nan")
    shape_m_s = unit_weibull_speed(rng) * wind_modulation(lat_deg)

    def flh_h(scale_m_s: float) -> float:
        return float(wind_capacity_factor(scale_m_s * shape_m_s).sum())

    low, high = WIND_SCALE_SEARCH_M_S
    grid = np.linspace(low, high, 60)
    flh_grid = np.array([flh_h(s) for s in grid])
    high = float(grid[int(np.argmax(flh_grid))])
    if not flh_h(low) < wind_flh_target_h < flh_grid.max():
        raise ValueError(
            f"wind_flh_target_h {wind_flh_target_h:.0f} h is outside what the turbine can "
            f"reach (maximum {flh_grid.max():.0f} h)"
        )
    scale = brentq(lambda s: flh_h(s) - wind_flh_target_h, low, high, xtol=1e-9, rtol=1e-12)
    return wind_capacity_factor(scale * shape_m_s), float(scale)


# ====================================================================================
# Hydro
# ====================================================================================


def hydro_availability_profile() -> np.ndarray:
    """Hourly availability of contracted hydro capacity [1], wet May-October.

    Linear between the mid-month anchors ``HYDRO_MONTHLY_AVAILABILITY_FRAC``.
    """
    curve = smooth_monthly_curve(np.array(HYDRO_MONTHLY_AVAILABILITY_FRAC), preserve_means=False)
    return np.clip(curve, 0.0, 1.0)


# ====================================================================================
# Assembly
# ====================================================================================


def _check_inputs(sites: pd.DataFrame, site_energy: pd.DataFrame, climate: pd.DataFrame) -> None:
    problems: list[Problem] = []
    for file, frame, cols in (
        ("sites.csv", sites, ("site", "lat_deg", "lon_deg")),
        (
            "site_energy.csv",
            site_energy,
            ("site", "wind_flh_target_h", "hydro_limit_mw"),
        ),
        ("climate.csv", climate, ("site", "month", "temp_mean_c", "temp_diurnal_range_c")),
    ):
        for col in cols:
            if col not in frame.columns:
                problems.append(Problem(file, None, col, "column is missing"))
    if problems:
        raise InputError(problems)
    for file, frame in (("sites.csv", sites), ("site_energy.csv", site_energy)):
        duplicated = sorted(set(frame.loc[frame["site"].astype(str).duplicated(), "site"]))
        if duplicated:
            problems.append(Problem(file, None, "site", f"duplicate sites {duplicated}"))
    energy_sites = set(site_energy["site"].astype(str))
    for site in sites["site"].astype(str):
        if site not in energy_sites:
            problems.append(Problem("site_energy.csv", None, "site", f"no row for site '{site}'"))
        months = sorted(climate.loc[climate["site"].astype(str) == site, "month"].astype(int))
        if months != list(range(1, 13)):
            problems.append(
                Problem(
                    "climate.csv",
                    None,
                    "month",
                    f"site '{site}' needs months 1..12 once each, has {months}",
                )
            )
    if problems:
        raise InputError(problems)


def generate_profiles(
    sites: pd.DataFrame,
    site_energy: pd.DataFrame,
    climate: pd.DataFrame,
    *,
    year: int = 2023,
    seed: int = 20231231,
) -> xr.Dataset:
    """Hourly solar, wind, hydro and temperature profiles for every site.

    Parameters
    ----------
    sites : DataFrame
        Columns ``site``, ``lat_deg``, ``lon_deg``; optional ``altitude_m`` [m]
        (otherwise pvlib's shipped altitude lookup is used).
    site_energy : DataFrame
        Columns ``site``, ``wind_flh_target_h`` [h], ``hydro_limit_mw`` [MW].
    climate : DataFrame
        Columns ``site``, ``month``, ``temp_mean_c`` [degC], ``temp_diurnal_range_c`` [degC].
    year : int
        Non-leap reference year of the hourly axis (local time, Asia/Shanghai).
    seed : int
        Root seed; each site and concern draws from its own derived stream.

    Returns
    -------
    xarray.Dataset
        Dims ``(site, hour)``; variables of :data:`planner.schema.PROFILE_VARIABLES` and
        :data:`planner.schema.PROFILE_DIAGNOSTICS` as float64 with ``units`` and
        ``long_name``; per site, the MERRA-2 cell and the fitted parameters in the attrs
        (``site_parameters_json``).
    """
    _check_inputs(sites, site_energy, climate)
    hourly_index(year)  # validates the year
    energy = site_energy.assign(site=site_energy["site"].astype(str)).set_index("site")
    clim = climate.assign(site=climate["site"].astype(str), month=climate["month"].astype(int))

    names: list[str] = []
    variables = {**PROFILE_VARIABLES, **PROFILE_DIAGNOSTICS}
    arrays: dict[str, list[np.ndarray]] = {name: [] for name in variables}
    parameters: dict[str, dict[str, float | str | bool]] = {}
    altitude_note = "altitude_m from sites table"
    for row in sites.itertuples(index=False):
        site = str(row.site)
        lat_deg, lon_deg = float(row.lat_deg), float(row.lon_deg)
        altitude_m = getattr(row, "altitude_m", None)
        if altitude_m is None or pd.isna(altitude_m):
            altitude_m = float(pvlib.location.lookup_altitude(lat_deg, lon_deg))
            altitude_note = "altitude from pvlib.location.lookup_altitude where not given"
        e = energy.loc[site]
        c = clim[clim["site"] == site].sort_values("month")

        temperature_c = temperature_profile(
            c["temp_mean_c"].to_numpy(float),
            c["temp_diurnal_range_c"].to_numpy(float),
            site_rng(seed, site, STREAM_TEMPERATURE),
        )
        cell = cell_of_site(lat_deg, lon_deg)
        solar = solar_profile(
            lat_deg,
            lon_deg,
            float(altitude_m),
            temperature_c,
            cell,
            site_rng(seed, site, STREAM_SOLAR),
            year=year,
        )
        wind_cf, weibull_scale_m_s = wind_profile(
            lat_deg, float(e["wind_flh_target_h"]), site_rng(seed, site, STREAM_WIND)
        )
        hydro = (
            hydro_availability_profile()
            if float(e["hydro_limit_mw"]) > 0
            else np.zeros(HOURS_PER_YEAR)
        )
        names.append(site)
        arrays["solar_cf"].append(solar.cf)
        arrays["wind_cf"].append(wind_cf)
        arrays["hydro_availability_frac"].append(hydro)
        arrays["temperature_c"].append(temperature_c)
        arrays["ghi_w_m2"].append(solar.ghi_w_m2)
        parameters[site] = {
            "altitude_m": round(float(altitude_m), 1),
            "merra2_cell_lat_deg": cell.lat_deg,
            "merra2_cell_lon_deg": cell.lon_deg,
            "merra2_cell_distance_km": round(cell.distance_km, 1),
            "merra2_cell_contains_site": cell.contains_site,
            "merra2_cell": describe_cell(cell),
            "ghi_merra2_w_m2": round(cell.annual_mean_w_m2(), 6),
            "ghi_profile_w_m2": round(float(solar.ghi_w_m2.mean()), 6),
            "merra2_days_lowered_by_cap": solar.days_lowered_by_cap(),
            "wind_weibull_scale_m_s": round(weibull_scale_m_s, 6),
        }
        logger.debug("profiles for %s: %s", site, parameters[site])

    data_vars = {
        name: xr.DataArray(
            np.vstack(arrays[name]).astype(np.float64) if names else np.empty((0, HOURS_PER_YEAR)),
            dims=("site", "hour"),
            attrs={"units": units, "long_name": long_name},
        )
        for name, (units, long_name) in variables.items()
    }
    ds = xr.Dataset(
        data_vars,
        coords={
            "site": np.array(names, dtype=object),
            "hour": (
                "hour",
                np.arange(HOURS_PER_YEAR),
                {
                    "units": "h",
                    "long_name": f"hour of {year}, local time (Asia/Shanghai), hour-beginning",
                },
            ),
        },
    )
    ds.attrs["site_parameters_json"] = json.dumps(parameters)
    table = calibration_table(ds, site_energy, with_published=False) if names else None
    ds.attrs = {
        "title": (
            "planner hourly supply and weather profiles (solar from MERRA-2 distributions; "
            "wind, hydro and temperature synthetic, calibrated)"
        ),
        "generator": GENERATOR_NAME,
        "seed": int(seed),
        "reference_year": int(year),
        "timezone": TIMEZONE,
        "time_convention": "hour-beginning labels; quantities evaluated at mid-hour",
        "solar_resource": (
            f"MERRA-2 (Gelaro et al. 2017) 2011-2015 monthly distributions of daily mean GHI, "
            f"3x3 degree cells (Pfenninger & Staffell 2016; gsee-climate-data "
            f"{package_version()}); cell containing the site, else the nearest with data"
        ),
        "solar_method": (
            f"daily GHI: stratified quantile mapping of a Gaussian AR(1) "
            f"(phi={SOLAR_DAILY_PHI}) through each month's MERRA-2 distribution; hours: "
            f"Ineichen clear-sky shape (pvlib SPA, shipped Linke turbidity) x "
            f"exp({SOLAR_HOURLY_STD_LOG} AR(1) phi={SOLAR_HOURLY_PHI}), hourly GHI <= "
            f"{SOLAR_CLEARNESS_MAX} x extraterrestrial horizontal, daily means kept; Erbs, "
            f"Hay-Davies, tilt=latitude south; Faiman, PVWatts DC/losses/inverter, DC/AC "
            f"{PV_DC_AC_RATIO}; cf per DC nameplate; not calibrated"
        ),
        "wind_method": (
            f"Gaussian AR(1) phi={WIND_AR1_PHI_HOURLY} copula to Weibull k={WIND_WEIBULL_SHAPE}, "
            f"seasonal+diurnal modulation, {WIND_TURBINE_TYPE} power curve (windpowerlib oedb), "
            f"farm losses {WIND_FARM_LOSS_FRAC}"
        ),
        "hydro_method": "monthly availability, wet May-Oct ~1.0, dry ~0.4 (Sichuan regime)",
        "temperature_method": (
            f"mean-preserving monthly interpolation + diurnal cycle (min {TEMP_MIN_HOUR:g} h, "
            f"max {TEMP_MAX_HOUR:g} h) + AR(1) anomaly std {TEMP_ANOMALY_STD_C} degC, "
            f"e-folding {TEMP_ANOMALY_EFOLD_H:g} h"
        ),
        "altitude_note": altitude_note,
        "solar_ghi_max_abs_rel_error": float(table["ghi_rel_error"].abs().max() if names else 0.0),
        "calibration_max_abs_rel_error_wind": float(
            table["wind_flh_rel_error"].abs().max() if names else 0.0
        ),
        "site_parameters_json": json.dumps(parameters),
    }
    return ds


def _rel_error(achieved: pd.Series, target: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        err = achieved / target - 1.0
    both_zero = (target == 0) & (achieved.abs() < 1e-9)
    return err.where(~both_zero, 0.0)


def site_parameters(profiles: xr.Dataset) -> pd.DataFrame:
    """Per-site parameters the generator recorded in ``site_parameters_json``, by site."""
    table = pd.DataFrame.from_dict(json.loads(profiles.attrs["site_parameters_json"]), "index")
    table.index.name = "site"
    return table


def calibration_table(
    profiles: xr.Dataset, site_energy: pd.DataFrame, *, with_published: bool = True
) -> pd.DataFrame:
    """What the profiles reproduce, and how they compare with published figures, by site.

    Parameters
    ----------
    profiles : xarray.Dataset
        Output of :func:`generate_profiles`.
    site_energy : DataFrame
        With ``site``, ``wind_flh_target_h`` and (if ``with_published``)
        ``solar_flh_published_h`` [h].
    with_published : bool
        Include the comparison with ``solar_flh_published_h``.

    Returns
    -------
    DataFrame
        Index ``site``; columns ``merra2_cell`` (which cell, how chosen, how far),
        ``ghi_merra2_w_m2`` (annual mean daily GHI of the cell), ``ghi_profile_w_m2``
        (mean of ``ghi_w_m2``), ``ghi_rel_error`` (reproduced: close to 0),
        ``solar_flh_achieved_h``, ``solar_flh_published_h`` and ``solar_flh_rel_diff``
        (a comparison: the generator does not aim at the published figure),
        ``wind_flh_target_h``, ``wind_flh_achieved_h``, ``wind_flh_rel_error``
        (calibrated: close to 0). Relative figures as fractions.
    """
    sites = [str(s) for s in profiles["site"].values]
    energy = site_energy.assign(site=site_energy["site"].astype(str)).set_index("site")
    recorded = site_parameters(profiles).loc[sites]
    table = pd.DataFrame(index=pd.Index(sites, name="site"))
    table["merra2_cell"] = recorded["merra2_cell"].to_numpy()
    table["ghi_merra2_w_m2"] = recorded["ghi_merra2_w_m2"].to_numpy(dtype=float)
    table["ghi_profile_w_m2"] = profiles["ghi_w_m2"].mean("hour").values.astype(float)
    table["ghi_rel_error"] = _rel_error(table["ghi_profile_w_m2"], table["ghi_merra2_w_m2"])
    table["solar_flh_achieved_h"] = profiles["solar_cf"].sum("hour").values.astype(float)
    if with_published:
        table["solar_flh_published_h"] = (
            energy.loc[sites, "solar_flh_published_h"].astype(float).to_numpy()
        )
        table["solar_flh_rel_diff"] = _rel_error(
            table["solar_flh_achieved_h"], table["solar_flh_published_h"]
        )
    table["wind_flh_target_h"] = energy.loc[sites, "wind_flh_target_h"].astype(float).to_numpy()
    table["wind_flh_achieved_h"] = profiles["wind_cf"].sum("hour").values.astype(float)
    table["wind_flh_rel_error"] = _rel_error(
        table["wind_flh_achieved_h"], table["wind_flh_target_h"]
    )
    return table


def write_profiles(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write ``ds`` to netCDF (netCDF4) atomically: temp file beside it, then replace.

    A failure leaves any existing file at ``path`` untouched and no temp file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        usual_file_mode(tmp_name)
        ds.to_netcdf(tmp_name, engine="netcdf4")
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
