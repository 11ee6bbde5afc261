r"""The aggregates of a plan that near-optimal alternatives minimise and maximise.

An aggregate is one number of a plan: new racks in the western hubs, the western share
of new racks, emissions over the plan years... This module is the catalogue
(:func:`catalogue`: key, what it sums, over which sites, its unit) and each aggregate's
value computed from a run's results Dataset alone (:func:`aggregate_value`), so that an
alternatives folder can be read and re-checked without the model. Its twin in the model,
the same sums as Pyomo expressions, is
:func:`planner.formulation.alternatives.aggregate_terms` (``tests/test_alternatives.py``
holds the two equal).

Sums run over the plan years :math:`y \in Y` and the sites :math:`s \in G` of the
aggregate's group :math:`G`; :math:`y_L` is the last plan year:

============================ =========== ==============================================
key                          unit        value
============================ =========== ==============================================
``west_racks``               std_rack    :math:`\sum_{s \in W, c, y} \mathrm{new}_{s,c,y}`
                                         (new racks at the sites of the western hubs)
``east_racks``               std_rack    the same over the eastern hubs :math:`E`
``west_share``               1           ``west_racks`` / new racks at every site
``west_intelligent_racks``   std_rack    new intelligent racks in the western hubs
``west_eflops``              EFLOPS      :math:`\sum_{s \in W, c} \mathrm{compute\_new}_{s,c,y_L}`:
                                         compute of the racks the plan builds, in service
                                         in the last plan year
``east_eflops``              EFLOPS      the same in the eastern hubs
``racks.<hub>``              std_rack    new racks at the sites of one national hub
``eflops.<hub>``             EFLOPS      new compute in one national hub, last plan year
``emissions``                tCO2        :math:`\sum_{s, y} \mathrm{emissions}_{s,y}`, every site
``solar_wind``               MW          new solar and wind capacity, every site
``grid_energy``              MWh         :math:`\sum_{s,y,t} w_t\, g_{s,y,t}`, grid energy
                                         imported at every site
============================ =========== ==============================================

A western (eastern) hub is a national hub whose sites have ``site_east_west`` ``west``
(``east``); sites outside the national hubs count in neither, but in the totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import xarray as xr

INTELLIGENT = "intelligent"
"""The rack class counted by ``west_intelligent_racks``."""


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of a plan.

    ``measure`` is what it sums (``racks``, ``intelligent_racks``, ``share``, ``eflops``,
    ``emissions``, ``solar_wind``, ``grid_energy``), ``group`` the sites it sums over
    (``west``, ``east``, ``all`` or a national hub, :func:`site_groups`), ``unit`` as in
    :mod:`planner.schema`.
    """

    key: str
    measure: str
    group: str
    unit: str
    long_name: str

    @property
    def is_ratio(self) -> bool:
        """A share: the ratio of two sums (optimised by Dinkelbach's method)."""
        return self.measure == "share"


NATIONAL: tuple[Aggregate, ...] = (
    Aggregate("west_racks", "racks", "west", "std_rack", "new racks in the western hubs"),
    Aggregate("east_racks", "racks", "east", "std_rack", "new racks in the eastern hubs"),
    Aggregate("west_share", "share", "west", "1", "western hubs' share of new racks"),
    Aggregate(
        "west_intelligent_racks",
        "intelligent_racks",
        "west",
        "std_rack",
        "new intelligent racks in the western hubs",
    ),
    Aggregate("west_eflops", "eflops", "west", "EFLOPS", "new compute in the western hubs"),
    Aggregate("east_eflops", "eflops", "east", "EFLOPS", "new compute in the eastern hubs"),
    Aggregate("emissions", "emissions", "all", "tCO2", "emissions over the plan years"),
    Aggregate("solar_wind", "solar_wind", "all", "MW", "new solar and wind capacity"),
    Aggregate("grid_energy", "grid_energy", "all", "MWh", "grid energy over the plan years"),
)
"""The aggregates of every model; :func:`catalogue` adds one per national hub."""

HUB_MEASURES = ("racks", "eflops")
"""Measures with one aggregate per national hub, keyed ``<measure>.<hub>``."""

CAPACITY_KINDS = ("racks", "solar", "wind", "battery")
"""Kinds of the capacity items a SPORES point weighs (:func:`capacity_values`)."""


def site_groups(ds: xr.Dataset) -> dict[str, list]:
    """The sites of each group: ``all``, ``west`` and ``east`` (the national hubs of
    each side, by ``site_east_west``) and each national hub by its id."""
    sites = ds["site"].values.tolist()
    in_hub = [bool(x) for x in ds["site_in_national_hub"].values.tolist()]
    side = [str(x) for x in ds["site_east_west"].values.tolist()]
    hub = [str(x) for x in ds["site_hub"].values.tolist()]
    groups: dict[str, list] = {"all": list(sites), "west": [], "east": []}
    for s, flag, ew, h in zip(sites, in_hub, side, hub, strict=True):
        if not flag:
            continue
        if ew in ("west", "east"):
            groups[ew].append(s)
        groups.setdefault(h, []).append(s)
    return groups


def national_hubs(ds: xr.Dataset) -> list[str]:
    """The national hubs of an inputs or results Dataset, in the order of their sites."""
    return [g for g in site_groups(ds) if g not in ("all", "west", "east")]


def catalogue(hubs: Iterable[str]) -> dict[str, Aggregate]:
    """Every aggregate of a model whose national hubs are ``hubs``, by key."""
    out = {a.key: a for a in NATIONAL}
    for h in hubs:
        out[f"racks.{h}"] = Aggregate(f"racks.{h}", "racks", h, "std_rack", f"new racks in {h}")
        out[f"eflops.{h}"] = Aggregate(f"eflops.{h}", "eflops", h, "EFLOPS", f"new compute in {h}")
    return out


def aggregate_value(results: xr.Dataset, key: str) -> float:
    """The aggregate ``key`` of a plan, from its results Dataset alone (NaN for a share
    of no new racks)."""
    agg = catalogue(national_hubs(results))[key]
    sites = site_groups(results)[agg.group]
    racks = results["racks_new_std"]
    if agg.measure == "racks":
        return float(racks.sel(site=sites).sum())
    if agg.measure == "intelligent_racks":
        classes = [c for c in racks["rack_class"].values.tolist() if c == INTELLIGENT]
        return float(racks.sel(site=sites, rack_class=classes).sum())
    if agg.measure == "share":
        total = float(racks.sum())
        return float(racks.sel(site=sites).sum()) / total if total > 0 else float("nan")
    if agg.measure == "eflops":
        last = results["year"].values[-1]
        return float(results["compute_new_eflops"].sel(site=sites, year=last).sum())
    if agg.measure == "emissions":
        return float(results["emissions_tco2"].sel(site=sites).sum())
    if agg.measure == "solar_wind":
        return float((results["solar_new_mw"] + results["wind_new_mw"]).sel(site=sites).sum())
    if agg.measure == "grid_energy":
        energy = (results["grid_import_mw"] * results["timestep_weight_h"]).sum("timestep")
        return float(energy.sel(site=sites).sum())
    raise ValueError(f"unknown measure {agg.measure!r}")


def capacity_values(results: xr.Dataset) -> dict[str, float]:
    """What a plan builds, item by item, summed over the plan years: ``racks/<site>/<class>``
    [std rack], ``solar/<site>``, ``wind/<site>`` and ``battery/<site>`` (new power) [MW].

    The items a SPORES point weighs (:mod:`planner.alternatives`); their twin in the model
    is :func:`planner.formulation.alternatives.capacity_items`.
    """
    out: dict[str, float] = {}
    racks = results["racks_new_std"].sum("year")
    for s in racks["site"].values.tolist():
        for c in racks["rack_class"].values.tolist():
            out[f"racks/{s}/{c}"] = float(racks.sel(site=s, rack_class=c))
    for kind, name in (
        ("solar", "solar_new_mw"),
        ("wind", "wind_new_mw"),
        ("battery", "battery_power_new_mw"),
    ):
        total = results[name].sum("year")
        for s in total["site"].values.tolist():
            out[f"{kind}/{s}"] = float(total.sel(site=s))
    return out
