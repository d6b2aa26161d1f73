"""Files for drivers and maps: a CSV manifest per vehicle, one XLSX with a sheet per vehicle, a GeoJSON, and
the machine-readable day plan (``plan_<day>.json``, see ``planfile``) that `bienestar urgent` re-loads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from optimizer.distribution.planfile import DayPlan, DepotDay, plan_path, save_day_plan
from optimizer.distribution.problem import RoutingPlan, RoutingProblem

if TYPE_CHECKING:
    from optimizer.distribution.model import DistributionResult


def clock(seconds: int) -> str:
    """HH:MM for seconds after midnight."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def manifest_rows(problem: RoutingProblem, depot_id: str, routes: list) -> list[dict]:
    """One row per (stop, SKU line) in visit order, with ETA and the delivery window."""
    rows = []
    for r in routes:
        for seq, (idx, eta, start) in enumerate(zip(r.stops, r.arrivals, r.service_starts, strict=True), 1):
            s = problem.stops[idx]
            for ln in s.lines:
                rows.append({
                    "vehicle_id": r.vehicle_id, "depot_id": depot_id, "departure": clock(r.departure),
                    "seq": seq, "stop_id": s.stop_id, "clues": s.facility, "facility": s.name,
                    "eta": clock(eta), "unload_at": clock(start),
                    "window": f"{clock(s.tw_early)}-{clock(s.tw_late + s.service)}",
                    "sku": ln.sku, "medicine": ln.name, "units": ln.units, "cold_chain": ln.cold_chain,
                    "return": clock(r.return_time),
                })
    return rows


class DepotRoutes(Protocol):
    """A depot's routing problem and plan (``model.DayRoutes`` or ``planfile.DepotDay``)."""

    depot_id: str
    problem: RoutingProblem
    plan: RoutingPlan


def manifest_sheet(depot_id: str, vehicle_id: str) -> str:
    """XLSX sheet name of one vehicle's manifest (Excel allows 31 characters)."""
    return f"{depot_id}_{vehicle_id}"[:31]


def routes_geojson(days: list[DepotRoutes]) -> dict:
    """FeatureCollection: a LineString per route (depot -> stops -> depot) and a Point per stop with its ETA."""
    features = []
    for dr in days:
        p = dr.problem
        coords = p.coords
        for r in dr.plan.routes:
            depot_loc = p.depots[p.vehicle_types[r.vehicle_type].depot].location
            path = [depot_loc, *[p.stops[i].location for i in r.stops], depot_loc]
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[float(coords[k, 0]), float(coords[k, 1])]
                                                                   for k in path]},
                "properties": {"kind": "route", "depot_id": dr.depot_id, "vehicle_id": r.vehicle_id,
                               "stops": len(r.stops), "km": round(r.distance * p.distance_unit, 1),
                               "m3": round(r.load[0], 3), "kg": round(r.load[1], 1),
                               "departure": clock(r.departure), "return": clock(r.return_time)},
            })
            for seq, (idx, eta) in enumerate(zip(r.stops, r.arrivals, strict=True), 1):
                s = p.stops[idx]
                features.append({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(coords[s.location, 0]),
                                                                  float(coords[s.location, 1])]},
                    "properties": {"kind": "stop", "vehicle_id": r.vehicle_id, "seq": seq, "stop_id": s.stop_id,
                                   "clues": s.facility, "facility": s.name, "eta": clock(eta),
                                   "cold_chain": s.cold},
                })
    return {"type": "FeatureCollection", "features": features}


def write_outputs(result: DistributionResult, out: Path) -> list[Path]:
    """Write manifests (CSV per vehicle + XLSX), ``routes_<day>.geojson``, ``shipments_<week>.csv`` (with the
    delivery day of each row), the
    central split ``central_split_<week>.csv`` (when there is one) and the day plan ``plan_<day>.json``."""
    out.mkdir(parents=True, exist_ok=True)
    tag = result.day.isoformat()
    written: list[Path] = []
    path = shipments_path(out, result.day)
    weekly_shipments(result).to_csv(path, index=False)
    written.append(path)
    if result.central is not None:
        path = out / f"central_split_{result.inp.week_start.isoformat()}.csv"
        result.central.split.to_csv(path, index=False)
        written.append(path)
    sheets: dict[str, pd.DataFrame] = {}
    mdir = out / f"manifests_{tag}"
    mdir.mkdir(exist_ok=True)
    for dr in result.routes:
        for r in dr.plan.routes:
            frame = pd.DataFrame(manifest_rows(dr.problem, dr.depot_id, [r]))
            path = mdir / f"{dr.depot_id}_{r.vehicle_id}.csv"
            frame.to_csv(path, index=False)
            written.append(path)
            sheets[manifest_sheet(dr.depot_id, r.vehicle_id)] = frame
    if sheets:
        written.append(write_sheets(out / f"manifests_{tag}.xlsx", sheets))
    path = out / f"routes_{tag}.geojson"
    path.write_text(json.dumps(routes_geojson(result.routes)))
    written.append(path)
    written.append(save_day_plan(day_plan_of(result), plan_path(out, result.day)))
    return written


def shipments_path(out: Path, day: dt.date) -> Path:
    """The week's shipments file of ``day`` (weeks start on Monday)."""
    return Path(out) / f"shipments_{(day - dt.timedelta(days=day.weekday())).isoformat()}.csv"


def weekly_shipments(result: DistributionResult) -> pd.DataFrame:
    """The week's shipments with the day each is delivered (the delivery calendar) and ``order`` = weekly
    (`bienestar urgent` appends rows whose ``order`` is the urgent stop's id)."""
    from optimizer.distribution.model import delivery_calendar

    ship = result.allocation.shipments
    cal = delivery_calendar(result.inp, ship)
    days = cal.assign(delivery_day=[(result.inp.week_start + dt.timedelta(days=int(w))).isoformat()
                                    for w in cal["weekday"]])[["depot_id", "clues", "delivery_day"]]
    ship = ship.assign(units=ship["units"].round().astype(int))  # whole units by construction
    return ship.merge(days, on=["depot_id", "clues"], how="left").assign(order="weekly")


def append_urgent_shipments(out: Path, day: dt.date, depot_id: str, clues: str, stop_id: str,
                            items: tuple[tuple[str, int], ...]) -> Path:
    """Add an urgent order's lines (SKU, units) to the week's shipments file: from ``depot_id``'s stock left
    after the week's plan (no lot named: ``lot_id`` blank), delivered on ``day``, ``order`` = the stop id."""
    path = shipments_path(out, day)
    ship = pd.read_csv(path, dtype={"depot_id": str, "lot_id": str, "clues": str, "sku": str, "delivery_day": str})
    ship["units"] = ship["units"].round().astype(int)
    if "order" not in ship.columns:  # a file from before urgent rows were recorded
        ship["order"] = "weekly"
    rows = pd.DataFrame([{"depot_id": depot_id, "lot_id": "", "clues": clues, "sku": sku, "units": int(units),
                          "delivery_day": day.isoformat(), "order": stop_id} for sku, units in items])
    if "delivery_day" not in ship.columns:  # an older file: the validator matches its rows by (depot, facility)
        rows = rows.drop(columns="delivery_day")
    pd.concat([ship, rows], ignore_index=True).to_csv(path, index=False)
    return path


def day_plan_of(result: DistributionResult) -> DayPlan:
    """The day's routing as a :class:`planfile.DayPlan`, with each depot's stock left after the week's
    shipments (units of lots not expired on the day, by SKU)."""
    inp = result.inp
    lots = inp.allocation.lots
    usable = lots[pd.to_datetime(lots["expiry_date"]).dt.date > result.day]
    held = usable.groupby(["depot_id", "sku"])["units"].sum()
    shipped = result.allocation.shipments.groupby(["depot_id", "sku"])["units"].sum()
    left = held.sub(shipped, fill_value=0).clip(lower=0)
    st = inp.settings
    depots = []
    for dr in result.routes:
        veh = inp.vehicles[inp.vehicles["depot_id"] == dr.depot_id]
        stock = left.loc[dr.depot_id] if dr.depot_id in left.index.get_level_values(0) else pd.Series(dtype=float)
        depots.append(DepotDay(dr.depot_id, dr.problem, dr.plan, sorted(set(veh["speed_kmh"].astype(float))),
                               {str(k): int(v) for k, v in stock.items() if v > 0}))
    return DayPlan(result.day, Path(inp.dataset_root or ".").resolve(), st.detour_factor,
                   None if inp.matrix_file is None else Path(inp.matrix_file).resolve(), st.service_minutes,
                   st.service_minutes_per_m3, depots)


def write_vehicle_update(out: Path, day: DayPlan, depot_id: str, vehicle_id: str) -> list[Path]:
    """After a change to one vehicle's route: rewrite that vehicle's CSV manifest and XLSX sheet (other
    sheets copied as they were), the GeoJSON and the day plan file. Returns the files written."""
    out = Path(out)
    tag = day.day.isoformat()
    dd = day.depot(depot_id)
    route = next(r for r in dd.plan.routes if r.vehicle_id == vehicle_id)
    frame = pd.DataFrame(manifest_rows(dd.problem, depot_id, [route]))
    mdir = out / f"manifests_{tag}"
    mdir.mkdir(parents=True, exist_ok=True)
    written = [mdir / f"{depot_id}_{vehicle_id}.csv"]
    frame.to_csv(written[0], index=False)
    xlsx = out / f"manifests_{tag}.xlsx"
    sheets = pd.read_excel(xlsx, sheet_name=None) if xlsx.exists() else {}
    sheets[manifest_sheet(depot_id, vehicle_id)] = frame
    written.append(write_sheets(xlsx, sheets))
    geo = out / f"routes_{tag}.geojson"
    geo.write_text(json.dumps(routes_geojson(day.depots)))
    written.append(geo)
    written.append(save_day_plan(day, plan_path(out, day.day)))
    return written


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write ``sheets`` (sheet name -> table) as one workbook at ``path``; returns ``path``."""
    with pd.ExcelWriter(path) as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
    return path
