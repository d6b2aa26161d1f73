"""Files for drivers and maps: a CSV manifest per vehicle, one XLSX with a sheet per vehicle, a GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.distribution.problem import RoutingProblem

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


def routes_geojson(result: DistributionResult) -> dict:
    """FeatureCollection: a LineString per route (depot -> stops -> depot) and a Point per stop with its ETA."""
    features = []
    for dr in result.routes:
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
    """Write manifests (CSV per vehicle + XLSX) and ``routes.geojson`` and ``shipments.csv`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    tag = result.day.isoformat()
    written: list[Path] = []
    ship = result.allocation.shipments
    path = out / f"shipments_{result.inp.week_start.isoformat()}.csv"
    ship.to_csv(path, index=False)
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
            sheets[f"{dr.depot_id}_{r.vehicle_id}"[:31]] = frame
    if sheets:
        path = out / f"manifests_{tag}.xlsx"
        with pd.ExcelWriter(path) as xl:
            for name, frame in sheets.items():
                frame.to_excel(xl, sheet_name=name, index=False)
        written.append(path)
    path = out / f"routes_{tag}.geojson"
    path.write_text(json.dumps(routes_geojson(result)))
    written.append(path)
    return written
