"""Fibre latency between demand regions and data-centre sites (builds ``data/latency.csv``).

The model is deliberately simple and fully reproducible from ``sites.csv``,
``regions.csv`` and ``params.csv``:

* great-circle distance by the haversine formula on a sphere of radius
  6371.0088 km (IUGG mean Earth radius) [km];
* fibre route length = ``fibre_route_factor`` x great-circle distance [km]
  (the Action Plan 2023 caps direct hub links at 1.5 x the theoretical latency;
  Bozkurt et al. 2018 measure 1.3-2.1 x for real routes);
* one-way latency = route length / ``fibre_km_per_ms`` [ms]
  (light in fibre travels about 204 km per ms, i.e. 4.9 us/km).

Sites that are aggregates of capacity spread over all provinces (the ``outside``
pseudo-site) have no single location: they are given a fixed local distance and
latency for every region (an assumption, see ``data/README.md``).

Run ``python -m planner.inputs.latency [DATA_DIR]`` to rewrite ``DATA_DIR/latency.csv``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

EARTH_RADIUS_KM: float = 6371.0088
"""IUGG mean Earth radius [km]."""

AGGREGATE_SITES: tuple[str, ...] = ("outside",)
"""Sites that stand for capacity spread over all provinces (no single location)."""

AGGREGATE_DISTANCE_KM: float = 100.0
"""Assumed fibre distance from any region to the local part of an aggregate site [km]."""

AGGREGATE_LATENCY_MS: float = 1.0
"""Assumed one-way latency from any region to an aggregate site [ms] (the 1 ms city tier)."""

FIBRE_SOURCES: str = "miit_ap2023;bozkurt_2018;pyecharts_coords;derived_planner"
AGGREGATE_SOURCES: str = "assumption_planner"
LATENCY_COLUMNS: tuple[str, ...] = (
    "region",
    "site",
    "distance_km",
    "latency_ms",
    "method",
    "source",
    "confidence",
    "note",
)


def great_circle_km(
    lat1_deg: npt.ArrayLike,
    lon1_deg: npt.ArrayLike,
    lat2_deg: npt.ArrayLike,
    lon2_deg: npt.ArrayLike,
) -> np.ndarray:
    """Great-circle (haversine) distance between points, broadcasting over arrays.

    Parameters
    ----------
    lat1_deg, lon1_deg : array_like
        Latitude and longitude of the first point(s) [degree].
    lat2_deg, lon2_deg : array_like
        Latitude and longitude of the second point(s) [degree].

    Returns
    -------
    numpy.ndarray
        Distance along the sphere [km].
    """
    phi1, lam1, phi2, lam2 = (
        np.radians(np.asarray(x, dtype=float)) for x in (lat1_deg, lon1_deg, lat2_deg, lon2_deg)
    )
    a = (
        np.sin((phi2 - phi1) / 2.0) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def fibre_latency(
    lat1_deg: float,
    lon1_deg: float,
    lat2_deg: float,
    lon2_deg: float,
    km_per_ms: float,
    route_factor: float,
) -> tuple[float, float]:
    """Fibre route distance and one-way latency between two points.

    Parameters
    ----------
    lat1_deg, lon1_deg : float
        Latitude and longitude of the first point [degree].
    lat2_deg, lon2_deg : float
        Latitude and longitude of the second point [degree].
    km_per_ms : float
        Propagation speed of light in fibre [km/ms] (about 204).
    route_factor : float
        Route length / great-circle distance [1] (about 1.5).

    Returns
    -------
    tuple of float
        ``(route_km, latency_ms)``: fibre route distance [km] and one-way latency [ms].

    Examples
    --------
    >>> km, ms = fibre_latency(39.904, 116.407, 40.82, 114.88, 204.0, 1.5)
    >>> round(ms, 1)
    1.2
    """
    if km_per_ms <= 0 or route_factor <= 0:
        raise ValueError("km_per_ms and route_factor must be positive")
    gc_km = float(great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    route_km = route_factor * gc_km
    return route_km, route_km / km_per_ms


def _param(params: pd.DataFrame, name: str) -> float:
    """Value of one scalar from a ``params.csv`` frame (``parameter``, ``value`` columns)."""
    values = params.loc[params["parameter"] == name, "value"]
    if len(values) != 1:
        raise KeyError(f"params.csv must hold exactly one row '{name}'")
    return float(values.iloc[0])


def build_latency_table(
    sites: pd.DataFrame,
    regions: pd.DataFrame,
    params: pd.DataFrame,
    aggregate_sites: Sequence[str] = AGGREGATE_SITES,
) -> pd.DataFrame:
    """Latency table for every region x site pair, as stored in ``data/latency.csv``.

    Parameters
    ----------
    sites : pandas.DataFrame
        ``sites.csv``: columns ``site``, ``lat_deg``, ``lon_deg`` [degree].
    regions : pandas.DataFrame
        ``regions.csv``: columns ``region``, ``lat_deg``, ``lon_deg`` [degree].
    params : pandas.DataFrame
        ``params.csv``: rows ``fibre_km_per_ms`` [km/ms] and ``fibre_route_factor`` [1].
    aggregate_sites : sequence of str
        Sites without a single location; they get ``AGGREGATE_DISTANCE_KM`` and
        ``AGGREGATE_LATENCY_MS`` for every region.

    Returns
    -------
    pandas.DataFrame
        Columns ``LATENCY_COLUMNS``: ``distance_km`` is the fibre route distance [km],
        ``latency_ms`` the one-way latency [ms]; rows ordered by region then site,
        in the order of the input tables.
    """
    km_per_ms = _param(params, "fibre_km_per_ms")
    route_factor = _param(params, "fibre_route_factor")
    if km_per_ms <= 0 or route_factor <= 0:
        raise ValueError("fibre_km_per_ms and fibre_route_factor must be positive")

    reg = regions[["region", "lat_deg", "lon_deg"]].reset_index(drop=True)
    sit = sites[["site", "lat_deg", "lon_deg"]].reset_index(drop=True)
    # every (region, site) pair: region-major order
    r_idx = np.repeat(np.arange(len(reg)), len(sit))
    s_idx = np.tile(np.arange(len(sit)), len(reg))
    gc_km = great_circle_km(
        reg["lat_deg"].to_numpy()[r_idx],
        reg["lon_deg"].to_numpy()[r_idx],
        sit["lat_deg"].to_numpy()[s_idx],
        sit["lon_deg"].to_numpy()[s_idx],
    )
    route_km = route_factor * gc_km
    latency_ms = route_km / km_per_ms
    site_names = sit["site"].to_numpy()[s_idx]
    is_aggregate = np.isin(site_names, list(aggregate_sites))

    notes = [
        f"great-circle {g:.1f} km x route factor {route_factor:g} / {km_per_ms:g} km/ms"
        for g in gc_km
    ]
    table = pd.DataFrame(
        {
            "region": reg["region"].to_numpy()[r_idx],
            "site": site_names,
            "distance_km": np.where(is_aggregate, AGGREGATE_DISTANCE_KM, route_km).round(1),
            "latency_ms": np.where(is_aggregate, AGGREGATE_LATENCY_MS, latency_ms).round(3),
            "method": np.where(is_aggregate, "aggregate: local capacity", "fibre: haversine"),
            "source": np.where(is_aggregate, AGGREGATE_SOURCES, FIBRE_SOURCES),
            "confidence": np.where(is_aggregate, "assumption", "medium"),
            "note": np.where(
                is_aggregate,
                "aggregate of existing capacity in every province: assumed local "
                f"({AGGREGATE_DISTANCE_KM:g} km, {AGGREGATE_LATENCY_MS:g} ms) to every region",
                notes,
            ),
        }
    )
    return table.loc[:, list(LATENCY_COLUMNS)]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite ``latency.csv`` in a data directory from its sites, regions and params.

    Parameters
    ----------
    argv : sequence of str, optional
        ``[DATA_DIR]``; defaults to ``data`` beside the package.

    Returns
    -------
    int
        Exit status (0 on success).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    data_dir = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "data"
    table = build_latency_table(
        pd.read_csv(data_dir / "sites.csv"),
        pd.read_csv(data_dir / "regions.csv"),
        pd.read_csv(data_dir / "params.csv"),
    )
    out = data_dir / "latency.csv"
    tmp = out.with_suffix(".csv.tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(out)
    print(f"wrote {out} ({len(table)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
