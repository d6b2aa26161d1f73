"""Medicine distribution for one week and one delivery day: allocation (stage 1) then routes (stage 2).

``DistributionInput.from_dataset`` turns a dataset folder into the allocation tables (forecast demand, safety
stock, stock on hand, depot lots, dispatch capacity, which depot may supply which facility) and keeps what
the routing needs (coordinates, delivery windows, fleet). ``plan_day`` then routes the deliveries due on a
day, one routing instance per depot (a facility's shipment comes from a known depot, so depots do not share
stops); ``solve`` does both and returns the plan as data. Writing files is :mod:`.outputs`' job, and
:mod:`.run` chains everything (``run``, ``run_distribution``).

Delivery calendar: each depot's facilities are split into ``delivery_days_per_week`` contiguous sectors by
bearing from the depot, balanced by shipped volume, Monday first, so each day's route covers one direction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.data.aggregate import medicine_demand_weekly
from optimizer.data.dataset import Dataset
from optimizer.data.loaders import find_table, read_rows
from optimizer.distribution.allocation import AllocationInput, AllocationPlan, solve_allocation
from optimizer.distribution.central import (
    STORAGE_COLUMNS,
    CentralInput,
    CentralPlan,
    central_lots,
    read_central_supply,
    solve_central,
    storage_table,
)
from optimizer.distribution.forecast import forecast_demand, order_up_to, unit_dispersion
from optimizer.distribution.matrix import road_km, seconds
from optimizer.distribution.problem import (
    DepotNode,
    ManifestLine,
    RoutingPlan,
    RoutingProblem,
    Stop,
    VehicleType,
    route_cost,
)
from optimizer.distribution.routing import solve_routes
from optimizer.distribution.settings import DistributionSettings
from optimizer.distribution.validate import CentralValidation, validate_allocation, validate_central, validate_routes
from optimizer.plan import Status

#: Cost units per MXN in routing instances (1e-4 MXN per unit, so MXN/km costs become integers per metre).
COST_UNITS_PER_MXN = 10_000
SERVED_KINDS = ("hospital", "umf", "pharmacy")


class DistributionError(ValueError):
    """A dataset or request that cannot be planned; the message says what and where."""


@dataclass
class DistributionInput:
    """Allocation tables for the week plus what routing needs (coordinates, windows, fleet)."""

    allocation: AllocationInput
    facilities: pd.DataFrame  # clues, name, kind, cve_ent, lat, lon, open_minute, close_minute
    depots: pd.DataFrame  # depot_id, name, lat, lon
    vehicles: pd.DataFrame  # Vehicle fields
    medicines: pd.DataFrame  # Medicine fields
    week_start: dt.date
    settings: DistributionSettings = field(default_factory=DistributionSettings)
    matrix_file: Path | None = None
    dataset_root: Path | None = None  # the dataset folder (urgent orders re-read its catalogues)
    absent_storage: tuple[str, ...] = ()  # storage columns the depots file lacks (older format)
    warnings: list[str] = field(default_factory=list)  # about the input (older file formats), for the report
    day: dt.date | None = None  # the delivery day routed (None: the week's first weekday)
    central: CentralSplit | None = None  # the central supply's split among depots, already in the depots' lots

    @classmethod
    def from_dataset(cls, ds: Dataset, day: dt.date, settings: DistributionSettings | None = None,
                     supply: pd.DataFrame | None = None, matrix_file: Path | None = None,
                     weekly: pd.DataFrame | None = None) -> DistributionInput:
        """Build the week's input from a dataset; ``supply`` (depot_id, sku, units, expiry_date) is stock
        arriving from the central warehouse this week, added to the depots' lots. ``weekly`` (clues, sku, week,
        units) replaces the demand history read from the records (scenarios pass demand after multipliers)."""
        settings = settings or DistributionSettings()
        a = settings.allocation
        week_start = day - dt.timedelta(days=day.weekday())
        fac = ds.facilities[ds.facilities["kind"].isin(SERVED_KINDS) & (ds.facilities["status"] == "open")]
        fac = fac.reset_index(drop=True)
        depots = ds.depots[ds.depots["status"] == "open"].reset_index(drop=True)
        vehicles = ds.vehicles[ds.vehicles["depot_id"].isin(depots["depot_id"])].reset_index(drop=True)
        if fac.empty or depots.empty or vehicles.empty:
            raise DistributionError(
                f"{ds.root}: need open facilities, open depots and vehicles "
                f"(found {len(fac)}, {len(depots)}, {len(vehicles)})")
        delivery = week_start + dt.timedelta(days=math.ceil(a.lead_time_days))
        weekly = medicine_demand_weekly(ds.records_dir) if weekly is None else weekly
        fc = forecast_demand(weekly, week_start, a.history_weeks,
                             float(ds.records_meta.get("expansion_factor", 1.0)), unit_dispersion(ds.records_dir))
        fc = fc[fc["clues"].isin(fac["clues"])]
        level, _safety = order_up_to(fc["forecast"], fc["sigma"], a.review_days, a.lead_time_days,
                                     a.service_level_z)
        stock = ds.stock.copy()
        stock["expiry"] = pd.to_datetime(stock["expiry_date"]).dt.date
        onhand = stock[stock["location"].isin(fac["clues"]) & (stock["expiry"] > delivery)]
        onhand = onhand.rename(columns={"location": "clues"})[["clues", "sku", "units", "expiry_date"]]
        held = onhand.groupby(["clues", "sku"])["units"].sum()
        lines = fc[["clues", "sku"]].copy()
        current = pd.Series([held.get((c, s), 0) for c, s in zip(lines["clues"], lines["sku"], strict=True)],
                            index=lines.index, dtype=float)
        lines["need"] = np.ceil(np.maximum(0.0, level.to_numpy() - current.to_numpy()) - 1e-9)
        lines["daily_rate"] = fc["mean_rate"].to_numpy() / 7.0  # steadier than the 8-week average for FEFO
        lines = lines[lines["need"] > 0].reset_index(drop=True)
        lots = stock[stock["location"].isin(depots["depot_id"])].rename(columns={"location": "depot_id"})
        lots = lots[["depot_id", "sku", "units", "expiry_date"]]
        if supply is not None and len(supply):
            lots = pd.concat([lots, supply[["depot_id", "sku", "units", "expiry_date"]]], ignore_index=True)
        lots = lots.reset_index(drop=True)
        lots["lot_id"] = [f"{d}/{s}/{e}/{k}" for k, (d, s, e) in
                          enumerate(lots[["depot_id", "sku", "expiry_date"]].itertuples(index=False))]
        days = a.delivery_days_per_week * a.fleet_utilisation
        caps = []
        for d in depots["depot_id"]:
            v = vehicles[vehicles["depot_id"] == d]
            c = v[v["cold_chain"].astype(bool)]
            caps.append({"depot_id": d, "dispatch_m3": v["capacity_m3"].sum() * days,
                         "dispatch_kg": v["capacity_kg"].sum() * days,
                         "cold_dispatch_m3": c["capacity_m3"].sum() * days,
                         "cold_dispatch_kg": c["capacity_kg"].sum() * days})
        arcs = _eligible_arcs(fac, depots, vehicles, settings, matrix_file)
        med = ds.medicines.copy()
        med["cold_chain"] = med["cold_chain"].astype(bool)
        alloc = AllocationInput(lines=lines, lots=lots, onhand=onhand, medicines=med,
                                depots=pd.DataFrame(caps), arcs=arcs, delivery_date=delivery)
        absent, warnings = absent_storage_columns(ds)
        return cls(alloc, fac, depots, vehicles, med, week_start, settings, matrix_file, Path(ds.root), absent,
                   warnings, day)


def absent_storage_columns(ds: Dataset) -> tuple[tuple[str, ...], list[str]]:
    """Depot storage columns (m3) the dataset's depots file does not have (a file written before storage was
    recorded loads with them unset) and one warning per such column naming the file: that storage is then
    unlimited for the central split."""
    path = find_table(Path(ds.root), "depots")
    if path is None:
        return (), []
    header, _rows = read_rows(path)
    absent = tuple(c for c in STORAGE_COLUMNS if c not in header)
    label = {"capacity_m3": "dry", "cold_capacity_m3": "cold-room"}
    n = len(ds.depots)
    return absent, [f"{path}: no column '{c}' (an older depots file): {label[c]} storage treated as unlimited "
                    f"at all {n} depots" for c in absent]


def _eligible_arcs(fac: pd.DataFrame, depots: pd.DataFrame, vehicles: pd.DataFrame,
                   settings: DistributionSettings, matrix_file: Path | None) -> pd.DataFrame:
    """Depot -> facility pairs a vehicle of the depot can serve within one shift and the facility's hours,
    limited to ``max_depot_km`` except for each facility's nearest reachable depot."""
    ids = list(depots["depot_id"]) + list(fac["clues"])
    lat = np.concatenate([depots["lat"].to_numpy(float), fac["lat"].to_numpy(float)])
    lon = np.concatenate([depots["lon"].to_numpy(float), fac["lon"].to_numpy(float)])
    km = road_km(ids, lat, lon, settings.detour_factor, matrix_file)
    nd = len(depots)
    service = settings.service_minutes
    open_min = fac["open_minute"].to_numpy(float)
    close_min = fac["close_minute"].to_numpy(float)
    reachable = np.zeros((nd, len(fac)), dtype=bool)
    for i, d in enumerate(depots["depot_id"]):
        v = vehicles[vehicles["depot_id"] == d]
        if v.empty:
            continue
        speed = v["speed_kmh"].to_numpy(float)[:, None]
        arrive = v["shift_start_min"].to_numpy(float)[:, None] + km[i, nd:][None, :] / speed * 60
        start = np.maximum(arrive, open_min[None, :])
        back = start + service + km[nd:, i][None, :] / speed * 60
        ok = (start + service <= close_min[None, :]) & (back <= v["shift_end_min"].to_numpy(float)[:, None])
        reachable[i] = ok.any(axis=0)
    out_km = np.where(reachable, km[:nd, nd:], np.inf)
    nearest = out_km.min(axis=0)
    keep = reachable & ((out_km <= settings.allocation.max_depot_km) | (out_km == nearest[None, :]))
    di, fj = np.nonzero(keep)
    rows = list(zip(depots["depot_id"].to_numpy()[di], fac["clues"].to_numpy()[fj], out_km[di, fj], strict=True))
    return pd.DataFrame(rows, columns=["depot_id", "clues", "km"])


def delivery_calendar(inp: DistributionInput, shipments: pd.DataFrame) -> pd.DataFrame:
    """Weekday (0 = Monday) on which each depot delivers to each facility: bearing sectors balanced by m3."""
    days = inp.settings.allocation.delivery_days_per_week
    med = inp.medicines.set_index("sku")
    s = shipments.assign(m3=shipments["units"] * shipments["sku"].map(med["volume_l"]) / 1000.0)
    vol = s.groupby(["depot_id", "clues"], as_index=False)["m3"].sum()
    fac = inp.facilities.set_index("clues")
    dep = inp.depots.set_index("depot_id")
    out = []
    for d, grp in vol.groupby("depot_id"):
        dy = fac.loc[grp["clues"], "lat"].to_numpy(float) - float(dep.at[d, "lat"])
        dx = (fac.loc[grp["clues"], "lon"].to_numpy(float) - float(dep.at[d, "lon"])) * math.cos(
            math.radians(float(dep.at[d, "lat"])))
        g = grp.assign(bearing=np.arctan2(dy, dx)).sort_values("bearing")
        cum = g["m3"].cumsum().to_numpy() - g["m3"].to_numpy() / 2
        total = max(g["m3"].sum(), 1e-12)
        g["weekday"] = np.minimum((cum / total * days).astype(int), days - 1)
        out.append(g[["depot_id", "clues", "weekday"]])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["depot_id", "clues", "weekday"])


def _chunks(lines: list[ManifestLine], vol: dict[str, float], kg: dict[str, float],
            cap: tuple[float, float]) -> list[list[ManifestLine]]:
    """Split one delivery's lines into loads that each fit ``cap`` (m3, kg) (first fit, splitting a line when
    it alone is too big)."""
    loads: list[list[ManifestLine]] = [[]]
    used = [0.0, 0.0]
    for ln in lines:
        left = ln.units
        while left > 0:
            room_units = min(
                math.floor((cap[0] - used[0]) / vol[ln.sku] + 1e-9) if vol[ln.sku] > 0 else left,
                math.floor((cap[1] - used[1]) / kg[ln.sku] + 1e-9) if kg[ln.sku] > 0 else left,
            )
            take = min(left, room_units)
            if take <= 0:
                if not loads[-1]:
                    raise DistributionError(f"one unit of {ln.sku} does not fit any vehicle")
                loads.append([])
                used = [0.0, 0.0]
                continue
            loads[-1].append(ManifestLine(ln.sku, ln.name, take, ln.cold_chain))
            used[0] += take * vol[ln.sku]
            used[1] += take * kg[ln.sku]
            left -= take
    return [ld for ld in loads if ld]


def build_day_problem(inp: DistributionInput, depot_id: str, shipments: pd.DataFrame) -> RoutingProblem:
    """Routing instance of one depot for one day: its vehicles and the day's deliveries (cold and dry loads as
    separate stops, each fitting a vehicle). Times in seconds after midnight, distances in metres."""
    st = inp.settings
    dep = inp.depots.set_index("depot_id").loc[depot_id]
    veh = inp.vehicles[inp.vehicles["depot_id"] == depot_id].reset_index(drop=True)
    fac = inp.facilities.set_index("clues")
    med = inp.medicines.set_index("sku")
    vol = (med["volume_l"] / 1000.0).to_dict()
    kg = med["weight_kg"].astype(float).to_dict()
    clues_list = sorted(shipments["clues"].unique())
    ids = [depot_id, *clues_list]
    lat = np.array([float(dep["lat"]), *fac.loc[clues_list, "lat"].astype(float)])
    lon = np.array([float(dep["lon"]), *fac.loc[clues_list, "lon"].astype(float)])
    km = road_km(ids, lat, lon, st.detour_factor, inp.matrix_file)
    metres = np.round(km * 1000.0).astype(np.int64)
    speeds = sorted(set(veh["speed_kmh"].astype(float)))
    durations = [seconds(km, s) for s in speeds]
    cold_veh = veh[veh["cold_chain"].astype(bool)]
    cap_cold = (float(cold_veh["capacity_m3"].max()), float(cold_veh["capacity_kg"].max())) if len(cold_veh) else None
    cap_any = (float(veh["capacity_m3"].max()), float(veh["capacity_kg"].max()))
    penalty = int(st.unserved_penalty_mxn * COST_UNITS_PER_MXN)
    stops: list[Stop] = []
    for loc, clues in enumerate(clues_list, start=1):
        f = fac.loc[clues]
        rows = shipments[shipments["clues"] == clues].groupby("sku", as_index=False)["units"].sum()
        for cold in (True, False):
            part = rows[rows["sku"].map(med["cold_chain"]).astype(bool) == cold]
            if part.empty:
                continue
            lines = [ManifestLine(s, str(med.at[s, "name"]), int(u), cold)
                     for s, u in part.itertuples(index=False) if u >= 1]
            cap = (cap_cold or cap_any) if cold else cap_any
            for k, load in enumerate(_chunks(lines, vol, kg, cap), start=1):
                m3 = sum(ln.units * vol[ln.sku] for ln in load)
                w = sum(ln.units * kg[ln.sku] for ln in load)
                service = int(round((st.service_minutes + st.service_minutes_per_m3 * m3) * 60))
                stops.append(Stop(
                    stop_id=f"{clues}/{'cold' if cold else 'dry'}/{k}", location=loc, demand=(m3, w),
                    tw_early=int(f["open_minute"]) * 60, tw_late=max(int(f["open_minute"]) * 60,
                                                                     int(f["close_minute"]) * 60 - service),
                    service=service, cold=cold, required=False, penalty=penalty, facility=clues,
                    name=str(f["name"]), lines=tuple(load),
                ))
    vtypes = [
        VehicleType(
            type_id=str(v.vehicle_id), depot=0, capacity=(float(v.capacity_m3), float(v.capacity_kg)),
            cold=bool(v.cold_chain), tw_early=int(v.shift_start_min) * 60, tw_late=int(v.shift_end_min) * 60,
            fixed_cost=int(round(float(v.fixed_cost) * COST_UNITS_PER_MXN)),
            unit_distance_cost=int(round(float(v.cost_per_km) * COST_UNITS_PER_MXN / 1000.0)),
            profile=speeds.index(float(v.speed_kmh)),
        )
        for v in veh.itertuples(index=False)
    ]
    depot = DepotNode(depot_id, 0, min(vt.tw_early for vt in vtypes), max(vt.tw_late for vt in vtypes))
    return RoutingProblem(
        name=f"{depot_id} {inp.week_start.isoformat()}", depots=[depot], stops=stops, vehicle_types=vtypes,
        distance=metres, durations=durations, dimensions=("m3", "kg"), load_scale=(1000.0, 10.0),
        distance_unit=0.001, distance_label="km", time_unit_seconds=1.0, cost_unit=1.0 / COST_UNITS_PER_MXN,
        coords=np.column_stack([lon, lat]), geographic=True,
        convention=f"haversine_x{st.detour_factor:g}" + (" + matrix file" if inp.matrix_file else ""),
    )


@dataclass
class CentralSplit:
    """The central supply split among depots (LP), its independent check and the input's warnings."""

    plan: CentralPlan
    violations: list[str]
    warnings: list[str]


@dataclass
class DayRoutes:
    """Routing of one depot on the day, with its independent check."""

    depot_id: str
    problem: RoutingProblem
    plan: RoutingPlan
    violations: list[str]


@dataclass
class DistributionResult:
    """Allocation of the week and routes of the day."""

    day: dt.date
    inp: DistributionInput
    allocation: AllocationPlan
    allocation_violations: list[str]
    routes: list[DayRoutes]
    integer_tiers: dict[str, float] = field(default_factory=dict)  # tiers of the whole-unit plan (validator)
    central: CentralPlan | None = None  # split of the central supply among depots (``--central-supply``)
    central_violations: list[str] = field(default_factory=list)
    central_warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    solve_seconds: float = 0.0
    note: str = ""

    # -- the plan contract (optimizer.plan.PlanLike) --
    @property
    def status(self) -> Status:
        """The worst of the allocation's and the routes' statuses."""
        found = [self.allocation.status, *(r.plan.status for r in self.routes)]
        return next((s for s in STATUSES_WORST_FIRST if s in found), "error")

    @property
    def objective(self) -> float | None:
        """Total routing cost of the day, MXN (None when the allocation gave no plan to route)."""
        if self.allocation.status not in ("optimal", "feasible"):
            return None
        return sum(route_cost(r.problem, rt) * r.problem.cost_unit for r in self.routes for rt in r.plan.routes)

    @property
    def bound(self) -> float | None:
        """No proven lower bound on the routing cost (heuristic routing)."""
        return None

    @property
    def gap(self) -> float | None:
        return None

    @property
    def explanation(self) -> str | None:
        """Why the allocation stopped short (its stopped tier, dispatch capacity), or None."""
        return self.allocation.explanation or None


#: Statuses from worst to best (a plan's status is the worst of its parts).
STATUSES_WORST_FIRST: tuple[Status, ...] = ("error", "infeasible", "time_limit", "feasible", "optimal")


def solve(inp: DistributionInput, settings: DistributionSettings | None = None) -> DistributionResult:
    """Allocate the week of ``inp`` (lexicographic LP) and route its day (``inp.day``, default the week's
    Monday), each depot's routes checked by the routing validator; nothing is written (see
    :mod:`optimizer.distribution.outputs`). When the allocation gives no plan, nothing is routed and the
    plan's status says why."""
    t0 = time.perf_counter()
    if settings is not None and settings is not inp.settings:
        inp = dataclasses.replace(inp, settings=settings)
    day = inp.day or inp.week_start
    alloc = solve_allocation(inp.allocation, inp.settings.allocation)
    planned = alloc.status in {"optimal", "feasible"}  # feasible: the full LP stopped early, plan at hand
    check = validate_allocation(inp.allocation, alloc.shipments) if planned or len(alloc.shipments) else None
    routes, note = plan_day(inp, alloc, day) if planned else ([], "")
    result = DistributionResult(day, inp, alloc, check.violations if check else [], routes,
                                check.tiers if check else {}, note=note)
    if inp.central is not None:
        result.central, result.central_violations = inp.central.plan, inp.central.violations
        result.central_warnings = inp.central.warnings
    result.solve_seconds = time.perf_counter() - t0
    return result


def plan_day(inp: DistributionInput, allocation: AllocationPlan, day: dt.date) -> tuple[list[DayRoutes], str]:
    """Route, per depot, the deliveries the calendar puts on ``day``; returns the routes and a note."""
    weekday = day.weekday()
    days = inp.settings.allocation.delivery_days_per_week
    if weekday >= days:
        return [], f"{day.isoformat()} is not a delivery day (deliveries run the first {days} weekdays)"
    cal = delivery_calendar(inp, allocation.shipments)
    today = cal[cal["weekday"] == weekday]
    ship = allocation.shipments.merge(today[["depot_id", "clues"]], on=["depot_id", "clues"])
    out: list[DayRoutes] = []
    for depot_id, grp in ship.groupby("depot_id"):
        problem = build_day_problem(inp, str(depot_id), grp)
        plan = solve_routes(problem, inp.settings.routing)
        check = validate_routes(problem, plan)
        out.append(DayRoutes(str(depot_id), problem, plan, check.violations))
    return out, ""


def central_input(inp: DistributionInput, lots: pd.DataFrame) -> CentralInput:
    """The central split's tables from the week's input (built without supply) and the central ``lots``.

    A depot's need for SKU s is the allocation's need of the facilities whose nearest eligible depot it is,
    minus the depot's usable stock of s (units); storage counts every lot the depot holds.
    """
    a = inp.allocation
    home = a.arcs.sort_values(["clues", "km"]).drop_duplicates("clues")[["clues", "depot_id"]]
    wanted = a.lines.merge(home, on="clues").groupby(["depot_id", "sku"])["need"].sum()
    depot_lots = a.lots[a.lots["depot_id"].isin(inp.depots["depot_id"])]
    usable = depot_lots[pd.to_datetime(depot_lots["expiry_date"]).dt.date > a.delivery_date]
    held = usable.groupby(["depot_id", "sku"])["units"].sum()
    need = wanted.sub(held, fill_value=0).clip(lower=0)
    need = need[need.index.isin(wanted.index)].rename("need").reset_index()
    depots, warnings = storage_table(inp.depots, depot_lots, inp.medicines, inp.absent_storage)
    return CentralInput(lots.reset_index(drop=True), need[need["need"] > 0].reset_index(drop=True), depots,
                        inp.medicines, a.delivery_date, warnings)


def with_central_supply(ds: Dataset, day: dt.date, settings: DistributionSettings, lots: pd.DataFrame,
                        matrix_file: Path | None = None, weekly: pd.DataFrame | None = None) -> tuple[
        DistributionInput, CentralPlan, CentralValidation, CentralInput]:
    """Split the central ``lots`` among depots (within storage), check the split independently, and build the
    week's input with the split added to the depots' lots. Raises :class:`DistributionError` when the split
    LP stops without an optimum."""
    weekly = medicine_demand_weekly(ds.records_dir) if weekly is None else weekly
    base = DistributionInput.from_dataset(ds, day, settings, matrix_file=matrix_file, weekly=weekly)
    ci = central_input(base, lots)
    central = solve_central(ci, base.settings.allocation)
    if central.status != "optimal":
        raise DistributionError(f"central split {central.status}: {central.explanation}")
    check = validate_central(ci, central.split)
    inp = DistributionInput.from_dataset(ds, day, settings, supply=central.split, matrix_file=matrix_file,
                                         weekly=weekly)
    inp.central = CentralSplit(central, check.violations, ci.warnings)
    return inp, central, check, ci


def load_input(ds: Dataset, day: dt.date, settings: DistributionSettings | None = None,
               matrix_file: Path | None = None, weekly: pd.DataFrame | None = None,
               central_supply: Path | None = None) -> DistributionInput:
    """The input of ``day``'s week: when a central supply is given (``central_supply`` CSV, else the
    settings' inline ``central_supply`` lots) it is first split among the depots within their storage
    (checked independently; the split rides on ``input.central``) and added to the depots' lots."""
    settings = settings or DistributionSettings()
    if central_supply is not None:
        lots = read_central_supply(central_supply, ds.medicines)
    elif settings.central_supply:
        lots = central_lots(settings.central_supply, ds.medicines)
    else:
        return DistributionInput.from_dataset(ds, day, settings, matrix_file=matrix_file, weekly=weekly)
    return with_central_supply(ds, day, settings, lots, matrix_file, weekly)[0]

