"""MERRA-2 monthly distributions of daily mean global horizontal irradiance (GHI).

The solar resource of :mod:`planner.inputs.profiles`. The package ``gsee-climate-data``
(1.0.0, BSD-3-Clause; Pfenninger & Staffell 2016) ships, on a 3 x 3 degree grid of land
and near-land cells, one histogram per calendar month of the daily mean GHI of
MERRA-2 (Gelaro et al. 2017) over 2011-2015: bin values ``xk`` [W/m2] and bin
probabilities ``pk`` [1], dims (lat, lon, month, bins). The grid coordinates are cell
centres (GSEE itself takes the nearest centre); ocean cells hold no data (NaN).

This module finds the cell of a site and answers questions about its 12 distributions
(mean, quantiles, CDF, equal-probability strata); it knows nothing of hours or PV.

Conventions: a distribution is the discrete one that puts probability ``pk / sum(pk)``
on each bin value; bin values below zero (a smoothing artefact at the lower tail, at
most 0.14 % of the probability in the cells of the shipped sites) count as 0 W/m2,
which moves no monthly mean of those cells by more than 0.01 W/m2.

Glossary: ``_w_m2`` W/m2 (a 24-hour mean, night included), ``_deg`` degrees, ``_km``
kilometres, ``_frac`` dimensionless.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

EARTH_RADIUS_KM = 6371.0
MONTHS = 12
DAYS_IN_MONTH = np.array([calendar.monthrange(2023, m)[1] for m in range(1, MONTHS + 1)])
PACKAGE = "gsee-climate-data"


@dataclass(frozen=True)
class GhiGrid:
    """Monthly distributions of daily mean GHI on a regular lat-lon grid.

    Attributes
    ----------
    lat_deg, lon_deg : arrays
        Cell centres [degree_north, degree_east].
    xk : array (lat, lon, month, bins)
        Bin values [W/m2], as shipped.
    pk : array (lat, lon, month, bins)
        Bin probabilities [1], not normalised; NaN where there is no data.
    has_data : array (lat, lon) of bool
        True where every month has finite bin values and a positive total probability.
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    xk: np.ndarray
    pk: np.ndarray
    has_data: np.ndarray

    @classmethod
    def from_arrays(
        cls, lat: np.ndarray, lon: np.ndarray, xk: np.ndarray, pk: np.ndarray
    ) -> GhiGrid:
        """Grid from arrays laid out as the package's (dims lat, lon, month, bins)."""
        xk, pk = np.asarray(xk), np.asarray(pk)
        if xk.shape != pk.shape or xk.shape[:3] != (len(lat), len(lon), MONTHS):
            raise ValueError(f"xk {xk.shape} and pk {pk.shape} must be (lat, lon, 12, bins)")
        total = np.nansum(pk, axis=-1)
        finite = np.isfinite(xk).all(axis=-1) & np.isfinite(pk).all(axis=-1)
        has_data = (finite & (total > 0)).all(axis=-1)
        return cls(
            lat_deg=np.asarray(lat, dtype=np.float64),
            lon_deg=np.asarray(lon, dtype=np.float64),
            xk=xk,
            pk=pk,
            has_data=has_data,
        )

    def distributions(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Bin values [W/m2] (ascending, clipped at 0) and probabilities [1] (each month
        summing to 1) of cell ``(i, j)``, arrays (12, bins) of float64."""
        if not self.has_data[i, j]:
            raise ValueError(f"cell {self.lat_deg[i]:g}N {self.lon_deg[j]:g}E has no data")
        xk = np.asarray(self.xk[i, j], dtype=np.float64)
        pk = np.asarray(self.pk[i, j], dtype=np.float64)
        order = np.argsort(xk, axis=-1, kind="stable")
        xk = np.take_along_axis(xk, order, axis=-1)
        pk = np.take_along_axis(pk, order, axis=-1)
        return np.clip(xk, 0.0, None), pk / pk.sum(axis=-1, keepdims=True)


@lru_cache(maxsize=1)
def merra2_grid() -> GhiGrid:
    """The MERRA-2 2011-2015 grid shipped by ``gsee-climate-data`` (read once)."""
    import gsee_climate_data

    with gsee_climate_data.load() as arrays:
        if list(arrays["month"]) != list(range(1, MONTHS + 1)):
            raise ValueError(f"{PACKAGE}: months {list(arrays['month'])}, expected 1..12")
        return GhiGrid.from_arrays(arrays["lat"], arrays["lon"], arrays["xk"], arrays["pk"])


def package_version() -> str:
    """Installed version of ``gsee-climate-data``."""
    from importlib.metadata import version

    return version(PACKAGE)


def great_circle_km(
    lat1_deg: float, lon1_deg: float, lat2_deg: np.ndarray, lon2_deg: np.ndarray
) -> np.ndarray:
    """Haversine distance [km] on a sphere of radius 6371 km."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2_deg) - lon1_deg)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class GhiCell:
    """The 12 monthly distributions of daily mean GHI of one grid cell.

    Attributes
    ----------
    lat_deg, lon_deg : float
        Cell centre [degree_north, degree_east].
    distance_km : float
        Great-circle distance from the site to the cell centre [km].
    contains_site : bool
        True if this is the cell containing the site; False if that cell has no data
        and this is the nearest cell (centre) with data.
    ghi_w_m2, prob : arrays (12, bins)
        Bin values [W/m2] (ascending, >= 0) and probabilities [1] (rows sum to 1).
    """

    lat_deg: float
    lon_deg: float
    distance_km: float
    contains_site: bool
    ghi_w_m2: np.ndarray
    prob: np.ndarray

    def monthly_mean_w_m2(self) -> np.ndarray:
        """Mean daily GHI of each month, January..December [W/m2]."""
        return (self.ghi_w_m2 * self.prob).sum(axis=-1)

    def annual_mean_w_m2(self) -> float:
        """Mean daily GHI over a 365-day year, months weighted by their days [W/m2]."""
        return float(self.monthly_mean_w_m2() @ DAYS_IN_MONTH / DAYS_IN_MONTH.sum())

    def cdf(self, month: int, ghi_w_m2: np.ndarray) -> np.ndarray:
        """P(daily GHI <= ``ghi_w_m2``) in ``month`` (1..12) [1]."""
        cumulative = np.concatenate([[0.0], np.cumsum(self.prob[month - 1])])
        index = np.searchsorted(self.ghi_w_m2[month - 1], ghi_w_m2, side="right")
        return np.minimum(cumulative[index], 1.0)

    def quantile_w_m2(self, month: int, q: np.ndarray) -> np.ndarray:
        """Smallest bin value whose CDF reaches ``q`` in ``month`` (1..12) [W/m2]."""
        cumulative = np.cumsum(self.prob[month - 1])
        index = np.searchsorted(cumulative, np.asarray(q, dtype=float) - 1e-12, side="left")
        return self.ghi_w_m2[month - 1][np.clip(index, 0, cumulative.size - 1)]

    def stratum_means_w_m2(self, month: int, n: int) -> np.ndarray:
        """Mean daily GHI in each of ``n`` equal-probability strata of ``month`` [W/m2].

        Value ``k`` (0-based) is ``n`` times the integral of the quantile function over
        ``[k/n, (k+1)/n]``: ascending, each inside its stratum's range of quantiles, and
        their mean is the month's mean exactly (the strata partition the probability).
        """
        values = self.ghi_w_m2[month - 1]
        cumulative = np.concatenate([[0.0], np.cumsum(self.prob[month - 1])])
        cumulative /= cumulative[-1]
        # Integral of the quantile function from 0 to u, piecewise linear in u.
        integral_at_bins = np.concatenate([[0.0], np.cumsum(values * np.diff(cumulative))])
        edges = np.linspace(0.0, 1.0, n + 1)
        k = np.clip(np.searchsorted(cumulative, edges, side="right") - 1, 0, values.size - 1)
        integral = integral_at_bins[k] + values[k] * (edges - cumulative[k])
        integral[-1] = integral_at_bins[-1]
        return np.diff(integral) * n


def cell_of_site(lat_deg: float, lon_deg: float, grid: GhiGrid | None = None) -> GhiCell:
    """The grid cell containing a site, or the nearest cell with data if it has none.

    The containing cell is the one with the nearest centre along each axis (the grid is
    regular, so that is the cell whose 3 x 3 degree box holds the site; a site on a
    boundary takes the lower cell). Without data there (sea), the cell whose centre is
    nearest by great-circle distance among the cells with data is taken.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Site coordinates [degree_north, degree_east].
    grid : GhiGrid, optional
        Defaults to :func:`merra2_grid`.
    """
    grid = merra2_grid() if grid is None else grid
    lon_wrapped = (grid.lon_deg - lon_deg + 180.0) % 360.0 - 180.0
    i = int(np.argmin(np.abs(grid.lat_deg - lat_deg)))
    j = int(np.argmin(np.abs(lon_wrapped)))
    contains = bool(grid.has_data[i, j])
    if not contains:
        if not grid.has_data.any():
            raise ValueError("the GHI grid has no cell with data")
        rows, cols = np.nonzero(grid.has_data)
        distances = great_circle_km(lat_deg, lon_deg, grid.lat_deg[rows], grid.lon_deg[cols])
        best = int(np.argmin(distances))
        i, j = int(rows[best]), int(cols[best])
    distance = float(great_circle_km(lat_deg, lon_deg, grid.lat_deg[i], grid.lon_deg[j]))
    ghi_w_m2, prob = grid.distributions(i, j)
    return GhiCell(
        lat_deg=float(grid.lat_deg[i]),
        lon_deg=float(grid.lon_deg[j]),
        distance_km=distance,
        contains_site=contains,
        ghi_w_m2=ghi_w_m2,
        prob=prob,
    )


def describe_cell(cell: GhiCell) -> str:
    """One line naming the cell and how it was chosen, for tables and attrs."""
    how = "containing the site" if cell.contains_site else "nearest cell with data"
    return (
        f"MERRA-2 cell {cell.lat_deg:g}N {cell.lon_deg:g}E ({how}; centre "
        f"{cell.distance_km:.0f} km from the site)"
    )
