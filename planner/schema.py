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

# ---------------------------------------------------------------------- the quantities

INPUT = "input"  # in the inputs Dataset: read by the loader from a table, or computed there
MODEL = "model"  # in the inputs Dataset, set by the model file
RESULT = "result"  # in results.nc: the solution and what the results stage derives
FORMULATION = "formulation"  # a Pyomo component no result holds
SLICED = "sliced"  # added by the time slicing (planner.inputs.timeslices)
SUMMARY = "summary"  # a per-year figure of summary.json that no result variable is


@dataclass(frozen=True)
class Quantity:
    """One quantity under one name, from the CSV column to the results (Switch-style).

    ``table`` (and ``column``, when the column is named otherwise) is where the loader
    copies an input from; an input with no table is computed by the loader. ``fill`` is
    the value of combinations the table leaves out (None: every combination must be
    present). The unit is in the name's suffix (:data:`UNIT_SUFFIXES`).
    """

    name: str
    dims: tuple[str, ...]
    unit: str
    long_name: str
    stage: str
    table: str | None = None
    column: str | None = None
    fill: float | None = None
    result_dims: tuple[str, ...] | None = None  # in results.nc, when written out in more detail

    @property
    def source_column(self) -> str:
        return self.column or self.name


QUANTITIES: dict[str, Quantity] = {
    q.name: q
    for q in (
        # --- inputs: read by the loader from a table (or computed there)
        Quantity(
            "site_hub", ("site",), "", "hub the site belongs to", INPUT, table="sites", column="hub"
        ),
        Quantity("site_east_west", ("site",), "", "east or west", INPUT),
        Quantity("site_in_national_hub", ("site",), "", "site lies in a national hub node", INPUT),
        Quantity(
            "site_name_en", ("site",), "", "site name", INPUT, table="sites", column="name_en"
        ),
        Quantity(
            "site_name_zh",
            ("site",),
            "",
            "site name (Chinese)",
            INPUT,
            table="sites",
            column="name_zh",
        ),
        Quantity(
            "site_lat_deg",
            ("site",),
            "degree_north",
            "latitude",
            INPUT,
            table="sites",
            column="lat_deg",
        ),
        Quantity(
            "site_lon_deg",
            ("site",),
            "degree_east",
            "longitude",
            INPUT,
            table="sites",
            column="lon_deg",
        ),
        Quantity("pue_ceiling", ("site",), "1", "PUE ceiling for new builds", INPUT, table="sites"),
        Quantity(
            "occupancy_min_frac",
            ("site",),
            "1",
            "minimum rack occupancy of new racks",
            INPUT,
            table="sites",
        ),
        Quantity(
            "stock_occupancy_frac",
            ("site",),
            "1",
            "occupancy of the existing racks",
            INPUT,
            table="sites",
        ),
        Quantity("rack_limit_std", ("site",), "std_rack", "rack limit", INPUT, table="site_limits"),
        Quantity(
            "build_limit_std_per_year",
            ("site",),
            "std_rack/year",
            "build-rate limit",
            INPUT,
            table="site_limits",
        ),
        Quantity(
            "grid_limit_mw", ("site",), "MW", "grid-connection limit", INPUT, table="site_limits"
        ),
        Quantity(
            "new_build_allowed", ("site",), "", "new racks may be built", INPUT, table="site_limits"
        ),
        Quantity(
            "campus_phase_std",
            ("site",),
            "std_rack",
            "racks per campus phase",
            INPUT,
            table="site_limits",
        ),
        Quantity(
            "campus_phase_cost_cny",
            ("site",),
            "CNY",
            "fixed cost per campus phase",
            INPUT,
            table="site_limits",
        ),
        Quantity("pue_min", ("site",), "1", "PUE in free cooling", INPUT, table="site_energy"),
        Quantity(
            "solar_limit_mw", ("site",), "MW", "solar capacity limit", INPUT, table="site_energy"
        ),
        Quantity(
            "wind_limit_mw", ("site",), "MW", "wind capacity limit", INPUT, table="site_energy"
        ),
        Quantity(
            "hydro_limit_mw", ("site",), "MW", "hydro contract limit", INPUT, table="site_energy"
        ),
        Quantity(
            "battery_limit_mw", ("site",), "MW", "battery power limit", INPUT, table="site_energy"
        ),
        Quantity(
            "hydro_price_cny_per_mwh",
            ("site",),
            "CNY/MWh",
            "hydro contract energy price",
            INPUT,
            table="site_energy",
        ),
        Quantity(
            "electricity_price_cny_per_mwh",
            ("site", "year"),
            "CNY/MWh",
            "grid price, flat period",
            INPUT,
            table="grid",
        ),
        Quantity(
            "grid_ef_tco2_per_mwh",
            ("site", "year"),
            "tCO2/MWh",
            "grid emission factor",
            INPUT,
            table="grid",
            result_dims=("site", "year", "timestep"),  # the results write it per time step
        ),
        Quantity(
            "utilisation_frac",
            ("rack_class",),
            "1",
            "average IT draw / nameplate",
            INPUT,
            table="rack_classes",
        ),
        Quantity(
            "om_cny_per_std_rack_year",
            ("rack_class",),
            "CNY/(std_rack*year)",
            "fixed O&M",
            INPUT,
            table="rack_classes",
        ),
        Quantity(
            "lifetime_years",
            ("rack_class",),
            "year",
            "rack lifetime (facility; retirement)",
            INPUT,
            table="rack_classes",
        ),
        Quantity(
            "it_lifetime_years",
            ("rack_class",),
            "year",
            "IT equipment lifetime (annualises IT capex)",
            INPUT,
            table="rack_classes",
        ),
        Quantity(
            "module_std_racks",
            ("rack_class",),
            "std_rack",
            "build module size",
            INPUT,
            table="rack_classes",
        ),
        Quantity(
            "eflops_per_std_rack",
            ("rack_class", "year"),
            "EFLOPS/std_rack",
            "compute per new rack",
            INPUT,
        ),
        Quantity(
            "refresh_eflops_per_std_rack",
            ("rack_class", "refresh_year"),
            "EFLOPS/std_rack",
            "compute per rack of servers bought in the year (renewals of existing racks)",
            INPUT,
        ),
        Quantity(
            "capex_facility_cny_per_std_rack",
            ("rack_class", "year"),
            "CNY/std_rack",
            "facility capex",
            INPUT,
            table="rack_build",
        ),
        Quantity(
            "capex_it_cny_per_std_rack",
            ("rack_class", "year"),
            "CNY/std_rack",
            "IT capex",
            INPUT,
            table="rack_build",
        ),
        Quantity(
            "load_shape_rel",
            ("rack_class", "hour_of_day"),
            "1",
            "hourly IT draw relative to the daily mean",
            INPUT,
            table="load_shapes",
            column="load_frac",
        ),
        Quantity(
            "stock_racks_std",
            ("site", "rack_class", "vintage"),
            "std_rack",
            "existing racks",
            INPUT,
            table="stock",
            column="racks_std",
            fill=0.0,
        ),
        Quantity(
            "stock_eflops_per_std_rack",
            ("site", "rack_class", "vintage"),
            "EFLOPS/std_rack",
            "compute per existing rack at the end of the base year",
            INPUT,
        ),
        Quantity("target_total_eflops", ("year",), "EFLOPS", "national compute target", INPUT),
        Quantity(
            "target_intelligent_share_frac", ("year",), "1", "intelligent share target", INPUT
        ),
        Quantity(
            "target_green_share_frac", ("year",), "1", "green share of new hub capacity", INPUT
        ),
        Quantity(
            "tech_capex_cny_per_kw",
            ("tech", "year"),
            "CNY/kW",
            "capex",
            INPUT,
            table="technologies",
            column="capex_cny_per_kw",
        ),
        Quantity(
            "tech_capex_cny_per_kwh",
            ("tech", "year"),
            "CNY/kWh",
            "energy capex (battery)",
            INPUT,
            table="technologies",
            column="capex_cny_per_kwh",
        ),
        Quantity(
            "tech_fom_cny_per_kw_year",
            ("tech", "year"),
            "CNY/(kW*year)",
            "fixed O&M",
            INPUT,
            table="technologies",
            column="fom_cny_per_kw_year",
        ),
        Quantity(
            "tech_lifetime_years",
            ("tech", "year"),
            "year",
            "lifetime",
            INPUT,
            table="technologies",
            column="lifetime_years",
        ),
        Quantity(
            "demand_eflops",
            ("region", "service", "rack_class", "year"),
            "EFLOPS",
            "compute demand",
            INPUT,
            table="demand",
            fill=0.0,
        ),
        Quantity(
            "service_max_latency_ms",
            ("service",),
            "ms",
            "latency limit (one-way)",
            INPUT,
            table="services",
            column="max_latency_ms",
        ),
        Quantity("latency_ms", ("region", "site"), "ms", "one-way latency", INPUT, table="latency"),
        Quantity("distance_km", ("region", "site"), "km", "fibre distance", INPUT, table="latency"),
        Quantity("solar_cf", ("site", "hour"), "1", "solar capacity factor", INPUT),
        Quantity("wind_cf", ("site", "hour"), "1", "wind capacity factor", INPUT),
        Quantity("hydro_availability_frac", ("site", "hour"), "1", "hydro availability", INPUT),
        Quantity("temperature_c", ("site", "hour"), "degC", "ambient temperature", INPUT),
        Quantity("pue", ("site", "hour"), "1", "hourly PUE", INPUT),
        Quantity("price_multiplier", ("site", "hour"), "1", "time-of-use multiplier", INPUT),
        Quantity("hub_name_en", ("hub",), "", "hub name", INPUT, table="hubs", column="name_en"),
        Quantity(
            "hub_name_zh", ("hub",), "", "hub name (Chinese)", INPUT, table="hubs", column="name_zh"
        ),
        Quantity(
            "rack_class_name_en",
            ("rack_class",),
            "",
            "rack class name",
            INPUT,
            table="rack_classes",
            column="name_en",
        ),
        Quantity(
            "rack_class_name_zh",
            ("rack_class",),
            "",
            "rack class name (Chinese)",
            INPUT,
            table="rack_classes",
            column="name_zh",
        ),
        Quantity(
            "region_name_en",
            ("region",),
            "",
            "region name",
            INPUT,
            table="regions",
            column="name_en",
        ),
        Quantity(
            "region_name_zh",
            ("region",),
            "",
            "region name (Chinese)",
            INPUT,
            table="regions",
            column="name_zh",
        ),
        Quantity(
            "service_name_en",
            ("service",),
            "",
            "service name",
            INPUT,
            table="services",
            column="name_en",
        ),
        Quantity(
            "service_name_zh",
            ("service",),
            "",
            "service name (Chinese)",
            INPUT,
            table="services",
            column="name_zh",
        ),
        # --- set by the model file
        Quantity(
            "target_hourly_cfe_share_frac",
            ("year",),
            "1",
            "hourly-matched carbon-free share target of new hub capacity (0: off)",
            MODEL,
        ),
        Quantity(
            "carbon_cap_tco2", ("year",), "tCO2/year", "national carbon cap (inf: no cap)", MODEL
        ),
        Quantity(
            "carbon_price_cny_per_tco2", (), "CNY/tCO2", "carbon price on grid emissions", MODEL
        ),
        # --- results (results.nc)
        Quantity(
            "build_modules", ("site", "rack_class", "year"), "module", "new build modules", RESULT
        ),
        Quantity(
            "racks_new_std",
            ("site", "rack_class", "year"),
            "std_rack",
            "new racks built in the year",
            RESULT,
        ),
        Quantity(
            "racks_total_std",
            ("site", "rack_class", "year"),
            "std_rack",
            "racks in service",
            RESULT,
        ),
        Quantity(
            "mean_eflops_per_std_rack",
            ("site", "rack_class", "year"),
            "EFLOPS/std_rack",
            "average compute per rack in service",
            RESULT,
        ),
        Quantity(
            "compute_eflops", ("site", "rack_class", "year"), "EFLOPS", "compute in service", RESULT
        ),
        Quantity(
            "compute_new_eflops",
            ("site", "rack_class", "year"),
            "EFLOPS",
            "compute in service of racks built under the plan",
            RESULT,
        ),
        Quantity(
            "served_site_eflops",
            ("site", "rack_class", "year"),
            "EFLOPS",
            "demand served at the site (its occupied compute)",
            RESULT,
        ),
        Quantity(
            "idle_stock_eflops",
            ("site", "rack_class", "year"),
            "EFLOPS",
            "existing racks' compute below their occupancy",
            RESULT,
        ),
        Quantity(
            "total_compute_eflops", ("year",), "EFLOPS", "national compute in service", RESULT
        ),
        Quantity(
            "campus_phases", ("site", "year"), "phase", "campus phases opened in the year", RESULT
        ),
        Quantity("facility_load_mw", ("site", "year", "timestep"), "MW", "facility load", RESULT),
        Quantity("grid_import_mw", ("site", "year", "timestep"), "MW", "grid import", RESULT),
        Quantity(
            "solar_mw",
            ("site", "year", "timestep"),
            "MW",
            "solar output available (capacity factor x capacity)",
            RESULT,
        ),
        Quantity(
            "wind_mw",
            ("site", "year", "timestep"),
            "MW",
            "wind output available (capacity factor x capacity)",
            RESULT,
        ),
        Quantity(
            "solar_used_mw",
            ("site", "year", "timestep"),
            "MW",
            "solar output used (available less prorated curtailment)",
            RESULT,
        ),
        Quantity(
            "wind_used_mw",
            ("site", "year", "timestep"),
            "MW",
            "wind output used (available less prorated curtailment)",
            RESULT,
        ),
        Quantity("hydro_mw", ("site", "year", "timestep"), "MW", "hydro contract output", RESULT),
        Quantity(
            "battery_charge_mw", ("site", "year", "timestep"), "MW", "battery charging", RESULT
        ),
        Quantity(
            "battery_discharge_mw",
            ("site", "year", "timestep"),
            "MW",
            "battery discharging",
            RESULT,
        ),
        Quantity(
            "battery_soc_mwh",
            ("site", "year", "timestep"),
            "MWh",
            "battery state of charge at the end of the time step",
            RESULT,
        ),
        Quantity(
            "curtailment_mw", ("site", "year", "timestep"), "MW", "curtailed solar and wind", RESULT
        ),
        Quantity("solar_new_mw", ("site", "year"), "MW", "new solar capacity", RESULT),
        Quantity("wind_new_mw", ("site", "year"), "MW", "new wind capacity", RESULT),
        Quantity("battery_power_new_mw", ("site", "year"), "MW", "new battery power", RESULT),
        Quantity("battery_energy_new_mwh", ("site", "year"), "MWh", "new battery energy", RESULT),
        Quantity("solar_capacity_mw", ("site", "year"), "MW", "solar capacity in service", RESULT),
        Quantity("wind_capacity_mw", ("site", "year"), "MW", "wind capacity in service", RESULT),
        Quantity("battery_power_mw", ("site", "year"), "MW", "battery power in service", RESULT),
        Quantity(
            "battery_energy_mwh", ("site", "year"), "MWh", "battery energy in service", RESULT
        ),
        Quantity("hydro_contract_mw", ("site", "year"), "MW", "hydro contract", RESULT),
        Quantity("gec_mwh", ("site", "year"), "MWh/year", "green certificates bought", RESULT),
        Quantity(
            "emissions_tco2", ("site", "year"), "tCO2/year", "emissions of grid imports", RESULT
        ),
        Quantity(
            "served_eflops",
            ("region", "service", "rack_class", "site", "year"),
            "EFLOPS",
            "demand served by each site",
            RESULT,
        ),
        Quantity(
            "unserved_eflops",
            ("region", "service", "rack_class", "year"),
            "EFLOPS",
            "demand not served",
            RESULT,
        ),
        Quantity(
            "shortfall_total_eflops",
            ("year",),
            "EFLOPS",
            "shortfall of the national compute target",
            RESULT,
        ),
        Quantity(
            "shortfall_intelligent_eflops",
            ("year",),
            "EFLOPS",
            "shortfall of the intelligent share target",
            RESULT,
        ),
        Quantity(
            "green_shortfall_mwh",
            ("hub", "year"),
            "MWh/year",
            "shortfall of the green share target",
            RESULT,
        ),
        Quantity(
            "cfe_matched_mw",
            ("site", "year", "timestep"),
            "MW",
            "hourly matched carbon-free supply of new capacity",
            RESULT,
        ),
        Quantity(
            "cfe_shortfall_mwh",
            ("hub", "year"),
            "MWh/year",
            "shortfall of the hourly matched carbon-free target",
            RESULT,
        ),
        Quantity("carbon_excess_tco2", ("year",), "tCO2/year", "emissions above the cap", RESULT),
        Quantity(
            "cost_cny", ("component", "year"), "CNY/year", "undiscounted cost by component", RESULT
        ),
        Quantity(
            "site_cost_cny",
            ("component", "site", "year"),
            "CNY/year",
            "undiscounted cost by component and site (penalties: none)",
            RESULT,
        ),
        Quantity(
            "green_supply_mwh", ("hub", "year"), "MWh/year", "green supply of the hub", RESULT
        ),
        Quantity(
            "new_capacity_energy_mwh",
            ("hub", "year"),
            "MWh/year",
            "energy of new capacity in the hub",
            RESULT,
        ),
        Quantity(
            "green_share_frac",
            ("hub", "year"),
            "1",
            "share of the new capacity's energy met by green supply (<= 1)",
            RESULT,
        ),
        Quantity("discount_factor", ("year",), "1", "discount factor of the year", RESULT),
        Quantity(
            "energy_mix_mwh",
            ("source", "site", "year"),
            "MWh/year",
            "energy consumed by source",
            RESULT,
        ),
        # --- formulation only (Pyomo components no result holds)
        Quantity(
            "grid_energy_mwh", ("site", "year"), "MWh/year", "grid energy imported", FORMULATION
        ),
        Quantity("hydro_energy_mwh", ("site", "year"), "MWh/year", "hydro energy", FORMULATION),
        Quantity(
            "facility_energy_mwh", ("site", "year"), "MWh/year", "facility energy", FORMULATION
        ),
        # --- time slices (planner.inputs.timeslices)
        Quantity(
            "timestep_weight_h",
            ("timestep",),
            "h/year",
            "hours of the year each timestep stands for",
            SLICED,
        ),
        Quantity("timestep_day", ("timestep",), "", "representative day", SLICED),
        Quantity("timestep_hour_of_day", ("timestep",), "", "hour of day", SLICED),
        # --- per-year figures of summary.json (per_year.<year>.<name>)
        Quantity("total_eflops", ("year",), "EFLOPS", "national compute in service", SUMMARY),
        Quantity(
            "intelligent_eflops", ("year",), "EFLOPS", "intelligent compute in service", SUMMARY
        ),
        Quantity(
            "intelligent_share", ("year",), "1", "intelligent share of compute in service", SUMMARY
        ),
        Quantity(
            "green_share", ("year",), "1", "green power share of new capacity, lowest hub", SUMMARY
        ),
        Quantity("energy_mwh", ("year",), "MWh/year", "data-centre electricity", SUMMARY),
        # --- national scalars of params.csv
        *(
            Quantity(name, (), unit, f"{name} (params.csv)", INPUT, table="params")
            for name, unit in REQUIRED_PARAMS.items()
        ),
    )
}
"""Every quantity of the inputs Dataset, the results and the Pyomo model, by name."""


def sliced_dims(dims: tuple[str, ...]) -> tuple[str, ...]:
    """Dims in the time-sliced inputs (``planner.inputs.timeslices``): the hour of the
    year and the hour of the day become the time step."""
    return tuple("timestep" if d in ("hour", "hour_of_day") else d for d in dims)


def quantities(stage: str) -> dict[str, Quantity]:
    """The quantities of one stage (:data:`INPUT`, :data:`MODEL`, :data:`RESULT` ...)."""
    return {n: q for n, q in QUANTITIES.items() if q.stage == stage}


# Units and long names of the variables the loader builds from the tables (dims in
# brackets); the national scalars of params.csv are added with the units the file gives.
INPUT_VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    n: (q.dims, q.unit, q.long_name)
    for n, q in QUANTITIES.items()
    if q.stage == INPUT and q.table != "params"
}
MODEL_VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    n: (q.dims, q.unit, q.long_name) for n, q in QUANTITIES.items() if q.stage == MODEL
}

# A name's unit suffix -> the unit it promises (the unit may add a "/year" for an annual
# flow), longest suffix first. Names without a unit (labels, flags) have the unit "".
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_eflops_per_std_rack", "EFLOPS/std_rack"),
    ("_cny_per_std_rack_year", "CNY/(std_rack*year)"),
    ("_cny_per_std_rack", "CNY/std_rack"),
    ("_cny_per_kw_year", "CNY/(kW*year)"),
    ("_cny_per_kwh", "CNY/kWh"),
    ("_cny_per_kw", "CNY/kW"),
    ("_cny_per_mwh", "CNY/MWh"),
    ("_cny_per_tco2", "CNY/tCO2"),
    ("_cny_per_eflops", "CNY/EFLOPS"),
    ("_tco2_per_mwh", "tCO2/MWh"),
    ("_std_per_year", "std_rack/year"),
    ("_kw_per_std_rack", "kW/std_rack"),
    ("_cny_per_eflops_year_per_1000km", "CNY/(EFLOPS*year*1000km)"),
    ("_km_per_ms", "km/ms"),
    ("_per_c", "1/degC"),
    ("_std_racks", "std_rack"),
    ("_std", "std_rack"),
    ("_eflops", "EFLOPS"),
    ("_mwh", "MWh"),
    ("_mw", "MW"),
    ("_cny", "CNY"),
    ("_tco2", "tCO2"),
    ("_frac", "1"),
    ("_rel", "1"),
    ("_cf", "1"),
    ("_years", "year"),
    ("_km", "km"),
    ("_ms", "ms"),
    ("_c", "degC"),
    ("_deg", "degree"),
    ("_h", "h"),
    ("_modules", "module"),
    ("_phases", "phase"),
    ("_year", "year"),
)

# Dimensionless quantities named by their own convention rather than a suffix.
UNITLESS_NAMES = (
    "pue",
    "pue_min",
    "pue_ceiling",
    "price_multiplier",
    "discount_factor",
    "fibre_route_factor",
    "fp16_per_fp32_intelligent",
)


def unit_of_name(name: str) -> str | None:
    """The unit a quantity's name promises by its suffix (None: no unit suffix)."""
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix) or name == suffix[1:]:
            return unit
    return "1" if name in UNITLESS_NAMES else None


def name_matches_unit(name: str, unit: str) -> bool:
    """Whether ``unit`` is what the name's suffix promises (an annual flow may add /year)."""
    promised = unit_of_name(name)
    if promised is None:
        return unit == ""
    if promised == "degree":
        return unit.startswith("degree")
    return unit == promised or unit == f"{promised}/year"
