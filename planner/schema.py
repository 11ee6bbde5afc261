"""The one schema: every input table, its columns, and every Dataset variable with its unit.

This module is the contract between the files in ``data/``, the input checks, the
model builder, the results and the report. A column name in a CSV is the name of the
quantity everywhere downstream (Switch-style), with the unit in the suffix.

Each table spec lists its columns with a kind:

``str``      free text (may not be empty unless ``optional``)
``key``      identifier; ``ref`` names the table whose key it must match
``float``    finite number; ``min``/``max`` bound it (``frac`` columns are in [0, 1])
``int``      whole number
``bool``     ``true``/``false``
``conf``     confidence of the row's figures: ``high``, ``medium``, ``low`` or ``assumption``
``sources``  one or more ``source_id`` values from ``sources.csv`` separated by ``;``
"""

from __future__ import annotations

from dataclasses import dataclass

CONFIDENCE_LEVELS = ("high", "medium", "low", "assumption")
OUTCOME_METRICS = (
    "total_eflops",
    "intelligent_eflops",
    "racks_std",
    "hub_node_eflops",
    "electricity_twh",
    "emission_intensity_tco2_per_mwh",
)
RACK_CLASSES = ("general", "intelligent", "supercomputing")
EAST_WEST = ("east", "west", "none")


@dataclass(frozen=True)
class Column:
    """One column of an input table."""

    name: str
    kind: str  # str, key, float, int, bool, conf, sources
    unit: str = "1"
    ref: str | None = None  # table whose key this column must match
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False  # may be empty (str) or absent
    allow_inf: bool = False  # float column that may hold "inf"
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """One CSV file in the data directory."""

    name: str  # file stem
    key: tuple[str, ...]  # columns that identify a row (unique)
    columns: tuple[Column, ...]
    doc: str = ""

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


def _src() -> tuple[Column, Column]:
    return (
        Column("source", "sources", doc="source_id(s) in sources.csv, ';'-separated"),
        Column("confidence", "conf", choices=CONFIDENCE_LEVELS),
    )


def _frac(name: str, doc: str = "") -> Column:
    return Column(name, "float", unit="1", min=0.0, max=1.0, doc=doc)


def _nonneg(name: str, unit: str, doc: str = "", **kw) -> Column:
    return Column(name, "float", unit=unit, min=0.0, doc=doc, **kw)


HOURS_PER_YEAR = 8760

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "sources",
            key=("source_id",),
            doc="Bibliography: one row per document cited by any other table.",
            columns=(
                Column("source_id", "key"),
                Column("issuer", "str", doc="issuing body or author"),
                Column("document", "str", doc="title of the document, article or dataset"),
                Column("date", "str", doc="publication date, ISO where known"),
                Column("url", "str", optional=True, doc="link actually read, where known"),
                Column("note", "str", optional=True),
            ),
        ),
        Table(
            "hubs",
            key=("hub",),
            doc="The 8 national hub nodes, plus 'outside' for capacity outside the hubs.",
            columns=(
                Column("hub", "key"),
                Column("name_en", "str"),
                Column("name_zh", "str"),
                Column("east_west", "str", choices=EAST_WEST),
                Column("is_national_hub", "bool"),
                *_src(),
            ),
        ),
        Table(
            "sites",
            key=("site",),
            doc="The 10 national data-centre clusters plus the 'outside' aggregate.",
            columns=(
                Column("site", "key"),
                Column("name_en", "str"),
                Column("name_zh", "str"),
                Column("hub", "key", ref="hubs"),
                Column("province", "str"),
                Column("lat_deg", "float", unit="degree_north", min=-90, max=90),
                Column("lon_deg", "float", unit="degree_east", min=-180, max=180),
                Column("pue_ceiling", "float", min=1.0, max=3.0, doc="PUE ceiling for new builds"),
                _frac("occupancy_min_frac", "minimum rack occupancy (上架率) rule for new racks"),
                _frac("stock_occupancy_frac", "occupancy of the existing racks (上架率)"),
                *_src(),
            ),
        ),
        Table(
            "site_limits",
            key=("site",),
            columns=(
                Column("site", "key", ref="sites"),
                _nonneg("rack_limit_std", "std_rack", "total racks the site may hold"),
                _nonneg("build_limit_std_per_year", "std_rack/year", "new racks per year"),
                _nonneg("grid_limit_mw", "MW", "grid-connection limit"),
                Column("new_build_allowed", "bool"),
                _nonneg("campus_phase_std", "std_rack", "racks unlocked by one campus phase"),
                _nonneg("campus_phase_cost_cny", "CNY", "fixed cost of one campus phase"),
                *_src(),
            ),
        ),
        Table(
            "site_energy",
            key=("site",),
            columns=(
                Column("site", "key", ref="sites"),
                Column("pue_min", "float", min=1.0, max=3.0, doc="PUE in full free cooling"),
                Column("tou_scheme", "key", ref="tou"),
                _nonneg("solar_limit_mw", "MW"),
                _nonneg("wind_limit_mw", "MW"),
                _nonneg("hydro_limit_mw", "MW", "hydro contract capacity available"),
                _nonneg("hydro_price_cny_per_mwh", "CNY/MWh"),
                _nonneg("battery_limit_mw", "MW", "behind-the-meter battery power limit"),
                _nonneg(
                    "solar_flh_published_h",
                    "h",
                    "published full-load hours, compared with the MERRA-2 solar profile",
                ),
                _nonneg("wind_flh_target_h", "h", "published full-load hours for calibration"),
                *_src(),
            ),
        ),
        Table(
            "grid",
            key=("site", "year"),
            columns=(
                Column("site", "key", ref="sites"),
                Column("year", "int", unit="year"),
                _nonneg("electricity_price_cny_per_mwh", "CNY/MWh", "flat-period all-in price"),
                _nonneg("grid_ef_tco2_per_mwh", "tCO2/MWh", "location-based grid factor"),
                *_src(),
            ),
        ),
        Table(
            "climate",
            key=("site", "month"),
            columns=(
                Column("site", "key", ref="sites"),
                Column("month", "int", min=1, max=12),
                Column("temp_mean_c", "float", unit="degC", min=-40, max=45),
                _nonneg("temp_diurnal_range_c", "degC"),
                *_src(),
            ),
        ),
        Table(
            "tou",
            key=("tou_scheme", "hour_of_day"),
            doc="Time-of-use tariff periods by hour of day, and the multiplier on the flat price.",
            columns=(
                Column("tou_scheme", "key"),
                Column("hour_of_day", "int", min=0, max=23),
                Column("period", "str", choices=("valley", "flat", "peak", "critical")),
                _nonneg("price_multiplier", "1"),
                *_src(),
            ),
        ),
        Table(
            "rack_classes",
            key=("rack_class",),
            columns=(
                Column("rack_class", "key", choices=RACK_CLASSES),
                Column("name_en", "str"),
                Column("name_zh", "str"),
                _frac("utilisation_frac", "average IT draw / nameplate of an installed rack"),
                _nonneg("om_cny_per_std_rack_year", "CNY/(std_rack*year)"),
                Column("lifetime_years", "float", unit="year", min=1, doc="rack position (M&E)"),
                Column("it_lifetime_years", "float", unit="year", min=1, doc="servers"),
                Column("module_std_racks", "float", unit="std_rack", min=1),
                *_src(),
            ),
        ),
        Table(
            "rack_build",
            key=("rack_class", "year"),
            doc="Performance and cost of racks built in a given year.",
            columns=(
                Column("rack_class", "key", ref="rack_classes"),
                Column("year", "int", unit="year"),
                _nonneg("tflops_per_std_rack", "TFLOPS/std_rack", "FP32-equivalent"),
                _nonneg("capex_facility_cny_per_std_rack", "CNY/std_rack"),
                _nonneg("capex_it_cny_per_std_rack", "CNY/std_rack"),
                *_src(),
            ),
        ),
        Table(
            "load_shapes",
            key=("rack_class", "hour_of_day"),
            columns=(
                Column("rack_class", "key", ref="rack_classes"),
                Column("hour_of_day", "int", min=0, max=23),
                _frac("load_frac", "hourly IT draw relative to the daily peak"),
                *_src(),
            ),
        ),
        Table(
            "stock",
            key=("site", "rack_class", "vintage"),
            doc="Racks in use at the end of the base year, by build year (vintage).",
            columns=(
                Column("site", "key", ref="sites"),
                Column("rack_class", "key", ref="rack_classes"),
                Column("vintage", "int", unit="year"),
                _nonneg("racks_std", "std_rack"),
                _nonneg("tflops_per_std_rack", "TFLOPS/std_rack"),
                *_src(),
            ),
        ),
        Table(
            "technologies",
            key=("tech", "year"),
            columns=(
                Column("tech", "key", choices=("solar", "wind", "battery")),
                Column("year", "int", unit="year"),
                _nonneg("capex_cny_per_kw", "CNY/kW", "battery: power part"),
                _nonneg("capex_cny_per_kwh", "CNY/kWh", "battery energy part; 0 otherwise"),
                _nonneg("fom_cny_per_kw_year", "CNY/(kW*year)"),
                Column("lifetime_years", "float", unit="year", min=1),
                *_src(),
            ),
        ),
        Table(
            "params",
            key=("parameter",),
            doc="National scalar parameters.",
            columns=(
                Column("parameter", "key"),
                Column("value", "float"),
                Column("unit", "str"),
                *_src(),
            ),
        ),
        Table(
            "targets",
            key=("target", "year"),
            columns=(
                Column(
                    "target",
                    "key",
                    choices=("total_eflops", "intelligent_share", "green_share_new_hub"),
                ),
                Column("year", "int", unit="year"),
                _nonneg("value", "see target"),
                *_src(),
            ),
        ),
        Table(
            "calibration",
            key=("metric", "year"),
            doc="Published national figures the data set must reproduce.",
            columns=(
                Column(
                    "metric", "key", choices=("racks_std", "total_eflops", "intelligent_eflops")
                ),
                Column("year", "int", unit="year"),
                _nonneg("value", "see metric"),
                _nonneg("tolerance_frac", "1"),
                *_src(),
            ),
        ),
        Table(
            "outcomes",
            key=("metric", "year"),
            doc=(
                "Published outcomes the model's answers are checked against "
                "(planner validate): a range from low to high, and how far outside it an "
                "answer may fall (inf: shown, not checked)."
            ),
            columns=(
                Column("metric", "key", choices=OUTCOME_METRICS),
                Column("year", "int", unit="year"),
                _nonneg("published_low", "see metric", "lowest published figure"),
                _nonneg("published_high", "see metric", "highest published figure"),
                _nonneg("tolerance_frac", "1", "allowed distance from the range", allow_inf=True),
                *_src(),
            ),
        ),
        Table(
            "migration_cases",
            key=("case",),
            doc=(
                "Published what-ifs of moving a fixed load between provinces, reproduced by "
                "planner validate with the model's own PUE and grid factors."
            ),
            columns=(
                Column("case", "key"),
                Column(
                    "origin_site",
                    "key",
                    ref="sites",
                    doc="site whose climate (PUE) the origin shares",
                ),
                _nonneg("origin_grid_ef_tco2_per_mwh", "tCO2/MWh", "origin province's factor"),
                Column("destination_site", "key", ref="sites"),
                Column("published_change_frac", "float", min=-1.0, doc="emissions change"),
                _nonneg("tolerance_frac", "1", "allowed relative distance from the figure"),
                *_src(),
            ),
        ),
        Table(
            "regions",
            key=("region",),
            columns=(
                Column("region", "key"),
                Column("name_en", "str"),
                Column("name_zh", "str"),
                Column("lat_deg", "float", unit="degree_north", min=-90, max=90),
                Column("lon_deg", "float", unit="degree_east", min=-180, max=180),
                *_src(),
            ),
        ),
        Table(
            "services",
            key=("service",),
            columns=(
                Column("service", "key"),
                Column("name_en", "str"),
                Column("name_zh", "str"),
                _nonneg("max_latency_ms", "ms", "one-way; inf for no limit", allow_inf=True),
                *_src(),
            ),
        ),
        Table(
            "demand",
            key=("region", "service", "rack_class", "year"),
            doc="Compute demand by origin region, service (latency class) and rack class.",
            columns=(
                Column("region", "key", ref="regions"),
                Column("service", "key", ref="services"),
                Column("rack_class", "key", ref="rack_classes"),
                Column("year", "int", unit="year"),
                _nonneg("demand_eflops", "EFLOPS"),
                *_src(),
            ),
        ),
        Table(
            "latency",
            key=("region", "site"),
            columns=(
                Column("region", "key", ref="regions"),
                Column("site", "key", ref="sites"),
                _nonneg("distance_km", "km"),
                _nonneg("latency_ms", "ms", "one-way"),
                Column("method", "str"),
                *_src(),
            ),
        ),
    )
}

# Scalars in params.csv that the loader requires, with their units.
REQUIRED_PARAMS: dict[str, str] = {
    "base_year": "year",
    "discount_rate_frac": "1",
    "it_kw_per_std_rack": "kW/std_rack",
    "pue_free_cooling_below_c": "degC",
    "pue_slope_per_c": "1/degC",
    "transfer_cost_cny_per_eflops_year_per_1000km": "CNY/(EFLOPS*year*1000km)",
    "gec_price_cny_per_mwh": "CNY/MWh",
    "battery_roundtrip_efficiency_frac": "1",
    "battery_max_duration_h": "h",
    "fibre_km_per_ms": "km/ms",
    "fibre_route_factor": "1",
    "fp16_per_fp32_intelligent": "1",
}

# Variables of the hourly profile file data/profiles.nc, dims (site, hour).
PROFILE_VARIABLES: dict[str, tuple[str, str]] = {
    "solar_cf": ("1", "solar capacity factor (AC output / nameplate)"),
    "wind_cf": ("1", "wind capacity factor"),
    "hydro_availability_frac": ("1", "hydro contract availability"),
    "temperature_c": ("degC", "ambient dry-bulb temperature"),
}
# Diagnostic variables of data/profiles.nc, dims (site, hour): written by the generator
# for the calibration report, not read into the model's inputs.
PROFILE_DIAGNOSTICS: dict[str, tuple[str, str]] = {
    "ghi_w_m2": ("W/m2", "global horizontal irradiance behind solar_cf (from MERRA-2)"),
}

# Units and long names of the variables in the validated inputs Dataset (dims in brackets).
INPUT_VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    # name: (dims, units, long_name)
    "site_hub": (("site",), "", "hub the site belongs to"),
    "site_east_west": (("site",), "", "east or west"),
    "site_in_national_hub": (("site",), "", "site lies in a national hub node"),
    "site_name_en": (("site",), "", "site name"),
    "site_name_zh": (("site",), "", "site name (Chinese)"),
    "site_lat_deg": (("site",), "degree_north", "latitude"),
    "site_lon_deg": (("site",), "degree_east", "longitude"),
    "pue_ceiling": (("site",), "1", "PUE ceiling for new builds"),
    "occupancy_min_frac": (("site",), "1", "minimum rack occupancy of new racks"),
    "stock_occupancy_frac": (("site",), "1", "occupancy of the existing racks"),
    "rack_limit_std": (("site",), "std_rack", "rack limit"),
    "build_limit_std_per_year": (("site",), "std_rack/year", "build-rate limit"),
    "grid_limit_mw": (("site",), "MW", "grid-connection limit"),
    "new_build_allowed": (("site",), "", "new racks may be built"),
    "campus_phase_std": (("site",), "std_rack", "racks per campus phase"),
    "campus_phase_cost_cny": (("site",), "CNY", "fixed cost per campus phase"),
    "pue_min": (("site",), "1", "PUE in free cooling"),
    "solar_limit_mw": (("site",), "MW", "solar capacity limit"),
    "wind_limit_mw": (("site",), "MW", "wind capacity limit"),
    "hydro_limit_mw": (("site",), "MW", "hydro contract limit"),
    "battery_limit_mw": (("site",), "MW", "battery power limit"),
    "hydro_price_cny_per_mwh": (("site",), "CNY/MWh", "hydro contract energy price"),
    "electricity_price_cny_per_mwh": (("site", "year"), "CNY/MWh", "grid price, flat period"),
    "grid_ef_tco2_per_mwh": (("site", "year"), "tCO2/MWh", "grid emission factor"),
    "utilisation_frac": (("rack_class",), "1", "average IT draw / nameplate"),
    "om_cny_per_std_rack_year": (("rack_class",), "CNY/(std_rack*year)", "fixed O&M"),
    "lifetime_years": (("rack_class",), "year", "rack lifetime (facility; retirement)"),
    "it_lifetime_years": (("rack_class",), "year", "IT equipment lifetime (annualises IT capex)"),
    "module_std_racks": (("rack_class",), "std_rack", "build module size"),
    "eflops_per_std_rack": (("rack_class", "year"), "EFLOPS/std_rack", "compute per new rack"),
    "refresh_eflops_per_std_rack": (
        ("rack_class", "refresh_year"),
        "EFLOPS/std_rack",
        "compute per rack of servers bought in the year (renewals of existing racks)",
    ),
    "capex_facility_cny_per_std_rack": (("rack_class", "year"), "CNY/std_rack", "facility capex"),
    "capex_it_cny_per_std_rack": (("rack_class", "year"), "CNY/std_rack", "IT capex"),
    "load_shape_frac": (
        ("rack_class", "hour_of_day"),
        "1",
        "hourly IT draw relative to the daily mean",
    ),
    "stock_racks_std": (("site", "rack_class", "vintage"), "std_rack", "existing racks"),
    "stock_eflops_per_std_rack": (
        ("site", "rack_class", "vintage"),
        "EFLOPS/std_rack",
        "compute per existing rack at the end of the base year",
    ),
    "target_total_eflops": (("year",), "EFLOPS", "national compute target"),
    "target_intelligent_share_frac": (("year",), "1", "intelligent share target"),
    "target_green_share_frac": (("year",), "1", "green share of new hub capacity"),
    "tech_capex_cny_per_kw": (("tech", "year"), "CNY/kW", "capex"),
    "tech_capex_cny_per_kwh": (("tech", "year"), "CNY/kWh", "energy capex (battery)"),
    "tech_fom_cny_per_kw_year": (("tech", "year"), "CNY/(kW*year)", "fixed O&M"),
    "tech_lifetime_years": (("tech", "year"), "year", "lifetime"),
    "demand_eflops": (("region", "service", "rack_class", "year"), "EFLOPS", "compute demand"),
    "service_max_latency_ms": (("service",), "ms", "latency limit (one-way)"),
    "latency_ms": (("region", "site"), "ms", "one-way latency"),
    "distance_km": (("region", "site"), "km", "fibre distance"),
    "solar_cf": (("site", "hour"), "1", "solar capacity factor"),
    "wind_cf": (("site", "hour"), "1", "wind capacity factor"),
    "hydro_availability_frac": (("site", "hour"), "1", "hydro availability"),
    "temperature_c": (("site", "hour"), "degC", "ambient temperature"),
    "pue": (("site", "hour"), "1", "hourly PUE"),
    "price_multiplier": (("site", "hour"), "1", "time-of-use multiplier"),
}
