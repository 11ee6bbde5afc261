"""Compute demand by region, service and rack class (builds ``data/demand.csv``).

Demand is the compute users run: what a site serves is its *occupied* compute
(上架率 x compute in service, ``formulation.demand``). No statistic of used compute is
published, so the national demand of each rack class is derived from the published
compute in service and the published occupancy:

* **base year** (end-2023): the existing racks at their own occupancy,
  :math:`D_{c,b_0} = \\sum_s \\omega^{stock}_s F^{stock}_{s,c,b_0}`;
* **first plan year** (end-2024, the record): the existing racks in service that year
  (retirements and server renewals as in ``formulation.stock``) at their own
  occupancy, plus the year's additions at the approval letters' rule for new racks,
  :math:`D_{c,b_0+1} = \\sum_s \\omega^{stock}_s F^{stock}_{s,c,b_0+1}
  + \\omega^{new} (P_c - F^{stock}_{c,b_0+1})`, with :math:`P_c` the published compute
  in service of the class (``outcomes.csv``: 280 EFLOPS, 90 of them intelligent;
  supercomputing assumed to grow only by renewals) and :math:`\\omega^{new}` the
  highest ``occupancy_min_frac`` (65 %); the record can then be met with occupied racks;
* **later years**: growth at the published 2023-2024 growth of the class in the same
  series, general and supercomputing :math:`(280 - 90) / (230 - 70) - 1 = 18.75\\,\\%`,
  intelligent :math:`90 / 70 - 1 = 28.6\\,\\%` per year (``calibration.csv`` and
  ``outcomes.csv``): an assumption that 2025 and later grow as 2024 did. IDC/Inspur
  forecast +20 % general and +43 % intelligent for 2025 on their own device basis; a
  planner tries such paths with the model file's ``demand_scale``.

Split by region with the end-2023 hub rack shares (CAICT, ``REGION_SHARE``) and by
service (latency class) with the shares of facts.md 6c (``service_share``); both are
assumptions, so every row is ``assumption`` (a row's confidence is its weakest figure).

Run ``python -m planner.inputs.demand [DATA_DIR]`` to rewrite ``DATA_DIR/demand.csv``;
``tests/test_data_values.py`` checks that the file equals :func:`build_demand_table`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from planner.formulation.stock import server_year

TFLOPS_PER_EFLOPS = 1e6

REGION_SHARE: dict[str, float] = {
    # end-2023 hub rack shares (CAICT via 中商): JJJ 21.5 %, YRD 24.5 %, the other six hubs
    # 25.5 % (GBA 17 % split Guangzhou 8 / Shenzhen 9, Chengdu-Chongqing 8.5 %), and the
    # rest outside the hubs, stood for by Wuhan and Xi'an (assumption)
    "beijing": 0.215,
    "shanghai": 0.245,
    "guangzhou": 0.08,
    "shenzhen": 0.09,
    "chengdu": 0.05,
    "chongqing_city": 0.035,
    "wuhan": 0.17,
    "xian": 0.115,
}
COASTAL = ("beijing", "shanghai", "guangzhou", "shenzhen")

# Intelligent demand that is latency-critical (inference) by year: 30 % in 2023, 40 % in
# 2025, 50 % in 2030, linear between (facts.md 6c: 30-50 % of AI demand by 2025).
_INTELLIGENT_REALTIME = {2023: 0.30, 2025: 0.40, 2030: 0.50}

SOURCES = "assumption_planner;caict_hubshare;ndrc_qa_2022;miit_scio_2024_04_18;nda_2025_survey"
DEMAND_COLUMNS = (
    "region",
    "service",
    "rack_class",
    "year",
    "demand_eflops",
    "source",
    "confidence",
    "note",
)


def service_share(region: str, rack_class: str, year: int) -> dict[str, float]:
    """Shares of a region's demand of a class by service (realtime, interactive, batch).

    General: 50/20/30 % in the coastal demand centres, 40/25/35 % elsewhere;
    intelligent: realtime per :data:`_INTELLIGENT_REALTIME`, interactive 10 %, the rest
    batch (training); supercomputing 0/20/80 % (facts.md 6c; assumptions).
    """
    if rack_class == "general":
        rt, it = (0.5, 0.2) if region in COASTAL else (0.4, 0.25)
    elif rack_class == "intelligent":
        years = sorted(_INTELLIGENT_REALTIME)
        rt = float(np.interp(year, years, [_INTELLIGENT_REALTIME[y] for y in years]))
        it = 0.1
    else:
        rt, it = 0.0, 0.2
    return {"realtime": rt, "interactive": it, "batch": 1.0 - rt - it}


def stock_eflops(
    stock: pd.DataFrame,
    rack_classes: pd.DataFrame,
    rack_build: pd.DataFrame,
    base_year: int,
    year: int,
) -> pd.Series:
    """Compute in service of the existing racks in ``year`` by (site, class) [EFLOPS].

    Racks retire after ``lifetime_years``; their servers are renewed every
    ``it_lifetime_years`` and then deliver the compute per rack of the renewal year in
    ``rack_build.csv`` (as ``formulation.stock`` counts them).
    """
    classes = rack_classes.set_index("rack_class")
    build = rack_build.set_index(["rack_class", "year"])["tflops_per_std_rack"]
    rows = stock.copy()
    life = rows["rack_class"].map(classes["lifetime_years"])
    it_life = rows["rack_class"].map(classes["it_lifetime_years"])
    rows = rows[rows["vintage"] + life > year]
    renewed = [
        server_year(int(v), year, float(L))
        for v, L in zip(rows["vintage"], it_life[rows.index], strict=True)
    ]
    tflops = [
        build[c, r] if r > base_year else t
        for c, r, t in zip(rows["rack_class"], renewed, rows["tflops_per_std_rack"], strict=True)
    ]
    eflops = rows["racks_std"].to_numpy() * np.asarray(tflops, dtype=float) / TFLOPS_PER_EFLOPS
    return (
        pd.Series(eflops, index=pd.MultiIndex.from_frame(rows[["site", "rack_class"]]))
        .groupby(level=["site", "rack_class"])
        .sum()
    )


def national_demand(
    stock: pd.DataFrame,
    rack_classes: pd.DataFrame,
    rack_build: pd.DataFrame,
    sites: pd.DataFrame,
    params: pd.DataFrame,
    calibration: pd.DataFrame,
    outcomes: pd.DataFrame,
) -> pd.DataFrame:
    """National demand by class and year [EFLOPS], with the figures it rests on.

    Returns a frame indexed by (rack_class, year) with ``demand_eflops`` for every year
    from the base year to the last year of ``rack_build.csv``.
    """
    base = int(params.set_index("parameter")["value"]["base_year"])
    first = base + 1
    occupancy = sites.set_index("site")["stock_occupancy_frac"]
    new_occupancy = float(sites["occupancy_min_frac"].max())
    classes = list(rack_classes["rack_class"])

    def occupied_stock(year: int) -> pd.Series:
        f = stock_eflops(stock, rack_classes, rack_build, base, year)
        by_site = f * f.index.get_level_values("site").map(occupancy).to_numpy()
        return by_site.groupby(level="rack_class").sum().reindex(classes, fill_value=0.0)

    def in_service(year: int) -> pd.Series:
        f = stock_eflops(stock, rack_classes, rack_build, base, year)
        return f.groupby(level="rack_class").sum().reindex(classes, fill_value=0.0)

    def published(table: pd.DataFrame, metric: str, year: int, column: str) -> float:
        rows = table[(table["metric"] == metric) & (table["year"] == year)]
        if rows.empty:
            raise LookupError(f"no {metric} row for {year}")
        return float(rows[column].iloc[0])

    total_0 = published(calibration, "total_eflops", base, "value")
    intel_0 = published(calibration, "intelligent_eflops", base, "value")
    total_1 = published(outcomes, "total_eflops", first, "published_low")
    intel_1 = published(outcomes, "intelligent_eflops", first, "published_low")

    stock_1 = in_service(first)
    record = pd.Series(0.0, index=classes)
    record["intelligent"] = intel_1
    record["supercomputing"] = stock_1.get("supercomputing", 0.0)  # renewals only
    record["general"] = total_1 - intel_1 - record["supercomputing"]
    additions = (record - stock_1).clip(lower=0.0)

    growth = pd.Series((total_1 - intel_1) / (total_0 - intel_0) - 1.0, index=classes)
    growth["intelligent"] = intel_1 / intel_0 - 1.0

    last = int(rack_build["year"].max())
    demand = {base: occupied_stock(base), first: occupied_stock(first) + new_occupancy * additions}
    for year in range(first + 1, last + 1):
        demand[year] = demand[year - 1] * (1.0 + growth)
    frame = pd.DataFrame(demand).rename_axis(index="rack_class", columns="year")
    return frame.stack().rename("demand_eflops").to_frame()


def build_demand_table(
    stock: pd.DataFrame,
    rack_classes: pd.DataFrame,
    rack_build: pd.DataFrame,
    sites: pd.DataFrame,
    params: pd.DataFrame,
    calibration: pd.DataFrame,
    outcomes: pd.DataFrame,
    regions: pd.DataFrame,
) -> pd.DataFrame:
    """The rows of ``data/demand.csv``: national demand split by region and service."""
    national = national_demand(
        stock, rack_classes, rack_build, sites, params, calibration, outcomes
    )["demand_eflops"]
    rows = []
    for region in regions["region"]:
        for (rack_class, year), total in national.items():
            shares = service_share(region, rack_class, int(year))
            for service, share in shares.items():
                rows.append(
                    {
                        "region": region,
                        "service": service,
                        "rack_class": rack_class,
                        "year": int(year),
                        "demand_eflops": round(float(total) * REGION_SHARE[region] * share, 4),
                        "source": SOURCES,
                        "confidence": "assumption",
                        "note": (
                            f"national {rack_class} demand {float(total):.2f} EFLOPS "
                            "(occupied compute derived from the published compute in service "
                            "and occupancy, planner/inputs/demand.py); region share "
                            f"{REGION_SHARE[region]:.1%} (hub rack shares); service share "
                            f"{share:.0%} (facts 6c)"
                        ),
                    }
                )
    return pd.DataFrame(rows, columns=list(DEMAND_COLUMNS))


def read_sources(data_dir: Path) -> dict[str, pd.DataFrame]:
    """The tables :func:`build_demand_table` derives from, as read from ``data_dir``."""
    names = (
        "stock", "rack_classes", "rack_build", "sites", "params", "calibration", "outcomes",
        "regions",
    )  # fmt: skip
    return {name: pd.read_csv(Path(data_dir) / f"{name}.csv") for name in names}


def main(argv: list[str] | None = None) -> None:
    """Rewrite ``DATA_DIR/demand.csv`` (default ``data``)."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0] if args else "data")
    table = build_demand_table(**read_sources(data_dir))
    table.to_csv(data_dir / "demand.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
