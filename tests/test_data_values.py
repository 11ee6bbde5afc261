"""Values of the sourced default data set in ``data/``, checked in plain pandas.

These tests read the CSV files directly (not through the planner's loader) and
check that the data set reproduces the published national figures, that every
row cites a known source, that derived tables are reproducible, and that the
demand is consistent with the published record.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.inputs.demand import build_demand_table
from planner.inputs.demand import read_sources as read_demand_sources
from planner.inputs.latency import build_latency_table, fibre_latency
from planner.schema import CONFIDENCE_LEVELS, REQUIRED_PARAMS, TABLES

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def read(name: str) -> pd.DataFrame:
    """One table of ``data/`` as read by plain pandas (keeps 'inf' as a float)."""
    return pd.read_csv(DATA_DIR / f"{name}.csv")


def stock_totals() -> dict[str, float]:
    """National end-of-base-year totals from ``stock.csv``.

    Returns
    -------
    dict
        ``racks_std`` [std_rack], ``total_eflops`` and ``intelligent_eflops`` [EFLOPS],
        with EFLOPS = sum(racks_std * tflops_per_std_rack) / 1e6.
    """
    stock = read("stock")
    eflops = stock["racks_std"] * stock["tflops_per_std_rack"] / 1e6
    return {
        "racks_std": float(stock["racks_std"].sum()),
        "total_eflops": float(eflops.sum()),
        "intelligent_eflops": float(eflops[stock["rack_class"] == "intelligent"].sum()),
    }


# ------------------------------------------------------------------ shape of the files


@pytest.mark.parametrize("name", sorted(TABLES))
def test_columns_match_schema(name: str) -> None:
    """Every table has exactly the schema's columns in order, plus an optional trailing note."""
    columns = list(read(name).columns)
    expected = [c.name for c in TABLES[name].columns]
    if columns and columns[-1] == "note" and "note" not in expected:
        columns = columns[:-1]
    assert columns == expected


@pytest.mark.parametrize("name", sorted(TABLES))
def test_keys_unique(name: str) -> None:
    table = read(name)
    key = list(TABLES[name].key)
    dupes = table[table.duplicated(key, keep=False)]
    assert dupes.empty, f"{name}.csv: duplicate keys\n{dupes[key]}"


def test_params_are_exactly_the_required_ones() -> None:
    params = read("params")
    assert sorted(params["parameter"]) == sorted(REQUIRED_PARAMS)
    units = dict(zip(params["parameter"], params["unit"], strict=True))
    assert units == REQUIRED_PARAMS


# ------------------------------------------------------------------ sources


@pytest.mark.parametrize("name", sorted(n for n in TABLES if n != "sources"))
def test_every_row_cites_known_sources(name: str) -> None:
    """Each row has a non-empty source list of ids in sources.csv and a valid confidence."""
    known = set(read("sources")["source_id"])
    table = read(name)
    assert table["source"].notna().all(), f"{name}.csv: empty source"
    for i, cell in enumerate(table["source"], start=2):
        ids = [s.strip() for s in str(cell).split(";")]
        unknown = [s for s in ids if s not in known]
        assert ids and not unknown, f"{name}.csv line {i}: unknown source ids {unknown}"
    assert table["confidence"].isin(CONFIDENCE_LEVELS).all(), f"{name}.csv: bad confidence"


def test_planner_source_rows_exist() -> None:
    ids = set(read("sources")["source_id"])
    assert {"assumption_planner", "derived_planner"} <= ids


# ------------------------------------------------------------------ calibration


@pytest.mark.parametrize("metric", ["racks_std", "total_eflops", "intelligent_eflops"])
def test_stock_reproduces_calibration(metric: str) -> None:
    """Stock totals in the base year match the published national figure within tolerance."""
    calibration = read("calibration")
    base_year = int(read("params").set_index("parameter").loc["base_year", "value"])
    row = calibration[(calibration["metric"] == metric) & (calibration["year"] == base_year)]
    assert len(row) == 1, f"calibration.csv: no single row for {metric} {base_year}"
    target = float(row["value"].iloc[0])
    tolerance = float(row["tolerance_frac"].iloc[0])
    got = stock_totals()[metric]
    assert abs(got - target) <= tolerance * target, f"{metric}: {got} vs {target}"


def test_calibration_values_from_miit() -> None:
    calibration = read("calibration").set_index(["metric", "year"])["value"]
    assert calibration[("racks_std", 2023)] == pytest.approx(8.1e6)
    assert calibration[("total_eflops", 2023)] == pytest.approx(230.0)
    assert calibration[("intelligent_eflops", 2023)] == pytest.approx(70.0)


def test_stock_vintages_not_after_base_year() -> None:
    stock = read("stock")
    base_year = int(read("params").set_index("parameter").loc["base_year", "value"])
    assert (stock["vintage"] <= base_year).all()
    assert (stock["racks_std"] >= 0).all()


def test_cluster_stock_near_published_count() -> None:
    """The 10 clusters held >1.46 M racks at 2024-03 (NDA), so 1.2-1.46 M at end-2023."""
    stock = read("stock")
    clusters = stock.loc[stock["site"] != "outside", "racks_std"].sum()
    assert 1.2e6 <= clusters <= 1.46e6


# ------------------------------------------------------------------ latency


def test_fibre_latency_known_value() -> None:
    """Beijing-Zhangjiakou: ~164 km great-circle, 1.2 ms one-way at 1.5 x and 204 km/ms."""
    route_km, latency_ms = fibre_latency(39.904, 116.407, 40.82, 114.88, 204.0, 1.5)
    assert route_km == pytest.approx(1.5 * 164.7, abs=1.0)
    assert latency_ms == pytest.approx(route_km / 204.0)
    assert fibre_latency(30.0, 110.0, 30.0, 110.0, 204.0, 1.5) == (0.0, 0.0)


def test_latency_csv_is_reproducible() -> None:
    """data/latency.csv equals build_latency_table() of sites, regions and params."""
    built = build_latency_table(read("sites"), read("regions"), read("params"))
    stored = read("latency")
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True),
        built.reset_index(drop=True),
        check_dtype=False,
        rtol=1e-9,
        atol=1e-9,
    )


def test_every_region_has_a_realtime_site() -> None:
    """Each region reaches at least one site within the realtime service's latency limit."""
    services = read("services").set_index("service")["max_latency_ms"]
    latency = read("latency")
    reachable = latency[latency["latency_ms"] <= services["realtime"]]
    assert set(reachable["region"]) == set(read("regions")["region"])
    clusters = reachable[reachable["site"] != "outside"]
    assert set(clusters["region"]) == set(read("regions")["region"]), "a region reaches no cluster"


# ------------------------------------------------------------------ targets and demand


def test_targets_2025() -> None:
    targets = read("targets").set_index(["target", "year"])["value"]
    assert targets[("total_eflops", 2025)] == pytest.approx(300.0)
    assert targets[("intelligent_share", 2025)] == pytest.approx(0.35)
    assert targets[("green_share_new_hub", 2025)] == pytest.approx(0.8)


def test_year_coverage() -> None:
    years = set(range(2023, 2031))
    for name in ("grid", "rack_build", "technologies"):
        table = read(name)
        key = [k for k in TABLES[name].key if k != "year"]
        for _, group in table.groupby(key):
            assert years <= set(group["year"]), f"{name}.csv: years missing"


def test_demand_csv_is_reproducible() -> None:
    """data/demand.csv equals build_demand_table() of the tables it is derived from."""
    built = build_demand_table(**read_demand_sources(DATA_DIR))
    stored = read("demand")
    pd.testing.assert_frame_equal(
        stored.drop(columns=["note"]), built.drop(columns=["note"]), check_dtype=False
    )


def test_demand_is_used_compute_within_the_record() -> None:
    """Demand is occupied compute: below the published compute in service, at the
    published occupancy.

    End-2023: national demand / 230 EFLOPS lies in the published occupancy range (8 hub
    nodes 61.9 %, national IDC about 58 %); end-2024: demand below 280 EFLOPS and
    intelligent demand below 90; every later year grows.
    """
    demand = read("demand").groupby(["year", "rack_class"])["demand_eflops"].sum().unstack()
    total = demand.sum(axis=1)
    assert 0.56 <= total[2023] / 230.0 <= 0.63
    assert total[2024] < 280.0
    assert demand.loc[2024, "intelligent"] < 90.0
    assert demand.loc[2024, "intelligent"] / 90.0 > demand.loc[2023, "intelligent"] / 70.0 * 0.9
    assert (total.diff().dropna() > 0).all()


def test_demand_is_complete_and_nonnegative() -> None:
    """Demand has one row per region x service x rack class x year, none negative."""
    demand = read("demand")
    n = (
        len(read("regions"))
        * len(read("services"))
        * len(read("rack_classes"))
        * demand["year"].nunique()
    )
    assert len(demand) == n
    assert (demand["demand_eflops"] >= 0).all()


def test_site_limits_hold_existing_stock() -> None:
    """No site starts above its rack limit; every site may build (outside the clusters at
    the national rate less the clusters', as the record shows)."""
    racks = read("stock").groupby("site")["racks_std"].sum()
    limits = read("site_limits").set_index("site")
    over = racks[racks > limits["rack_limit_std"].reindex(racks.index)]
    assert over.empty, f"stock above rack limit: {over.to_dict()}"
    allowed = limits["new_build_allowed"].astype(str).str.lower() == "true"
    assert allowed.all()
    rates = limits["build_limit_std_per_year"]
    # no single cluster was seen building faster than ~42k racks a year (data/README.md)
    assert (rates.drop("outside") <= 60_000).all()
    assert rates["outside"] > rates.drop("outside").sum()
