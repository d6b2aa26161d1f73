"""The published day's routing as one machine-readable file (``plan_<day>.json``), so the day can be re-loaded.

`bienestar distribute --out DIR` writes it next to the manifests; `bienestar urgent` reads it, adds the urgent
stop and writes it back. It holds, per depot, the whole routing problem (stops with their manifest lines,
vehicle types, integer distance and duration matrices, coordinates) and the published plan (routes with
ETAs, unserved stops), plus what an urgent order needs that the problem lacks: the dataset folder (CLUES and
SKU catalogues), the distance settings (detour factor, matrix file, speed of each duration profile), the
unloading-time rule and the depots' stock left after the week's allocation (units by SKU).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from optimizer.distribution.problem import (
    DepotNode,
    ManifestLine,
    PlannedRoute,
    RoutingPlan,
    RoutingProblem,
    Stop,
    VehicleType,
)
from optimizer.i18n import MsgError, msg

FORMAT = "bienestar-day-plan/1"


class PlanFileError(MsgError):
    """A plan file that is missing or not a day plan (names the file and what is wrong, in the reader's
    language: :class:`optimizer.i18n.MsgError`)."""


@dataclass
class DepotDay:
    """One depot's routing problem and published plan."""

    depot_id: str
    problem: RoutingProblem
    plan: RoutingPlan
    speeds_kmh: list[float]  # speed of each duration profile, km/h (new locations get durations at these)
    stock_left: dict[str, int] = field(default_factory=dict)  # SKU -> units at the depot after the week's plan


@dataclass
class DayPlan:
    """Everything needed to re-load the day's routing problem and change it."""

    day: dt.date
    dataset: Path
    detour_factor: float  # road km per haversine km
    matrix_file: Path | None
    service_minutes: float  # fixed unloading minutes per stop
    service_minutes_per_m3: float  # extra unloading minutes per m3
    depots: list[DepotDay]

    def depot(self, depot_id: str) -> DepotDay:
        return next(d for d in self.depots if d.depot_id == depot_id)


def plan_path(out: Path, day: dt.date) -> Path:
    """Where ``distribute --out`` writes the day's plan file."""
    return Path(out) / f"plan_{day.isoformat()}.json"


def _problem_dict(p: RoutingProblem) -> dict:
    return {
        "name": p.name, "depots": [asdict(d) for d in p.depots],
        "stops": [asdict(s) for s in p.stops], "vehicle_types": [asdict(v) for v in p.vehicle_types],
        "distance": p.distance.astype(np.int64).tolist(),
        "durations": [d.astype(np.int64).tolist() for d in p.durations],
        "dimensions": list(p.dimensions), "load_scale": list(p.load_scale), "distance_unit": p.distance_unit,
        "distance_label": p.distance_label, "time_unit_seconds": p.time_unit_seconds, "cost_unit": p.cost_unit,
        "coords": None if p.coords is None else np.asarray(p.coords, float).tolist(),
        "geographic": p.geographic, "convention": p.convention,
    }


def _problem_from(d: dict) -> RoutingProblem:
    stops = [Stop(**{**s, "demand": tuple(s["demand"]), "lines": tuple(ManifestLine(**ln) for ln in s["lines"])})
             for s in d["stops"]]
    vtypes = [VehicleType(**{**v, "capacity": tuple(v["capacity"])}) for v in d["vehicle_types"]]
    return RoutingProblem(
        name=d["name"], depots=[DepotNode(**x) for x in d["depots"]], stops=stops, vehicle_types=vtypes,
        distance=np.array(d["distance"], dtype=np.int64),
        durations=[np.array(m, dtype=np.int64) for m in d["durations"]], dimensions=tuple(d["dimensions"]),
        load_scale=tuple(d["load_scale"]), distance_unit=d["distance_unit"], distance_label=d["distance_label"],
        time_unit_seconds=d["time_unit_seconds"], cost_unit=d["cost_unit"],
        coords=None if d["coords"] is None else np.array(d["coords"], float), geographic=d["geographic"],
        convention=d["convention"],
    )


def _plan_dict(p: RoutingPlan) -> dict:
    out = asdict(p)
    out["unserved_reasons"] = {str(k): v for k, v in p.unserved_reasons.items()}
    return out


def _plan_from(d: dict) -> RoutingPlan:
    routes = [PlannedRoute(**r) for r in d.pop("routes")]
    reasons = {int(k): v for k, v in d.pop("unserved_reasons").items()}
    return RoutingPlan(routes=routes, unserved_reasons=reasons, **d)


def save_day_plan(plan: DayPlan, path: Path) -> Path:
    """Write ``plan`` as JSON to ``path``."""
    doc = {
        "format": FORMAT, "day": plan.day.isoformat(), "dataset": str(plan.dataset),
        "detour_factor": plan.detour_factor, "matrix_file": None if plan.matrix_file is None else str(plan.matrix_file),
        "service_minutes": plan.service_minutes, "service_minutes_per_m3": plan.service_minutes_per_m3,
        "depots": [{"depot_id": d.depot_id, "speeds_kmh": d.speeds_kmh, "stock_left": d.stock_left,
                    "problem": _problem_dict(d.problem), "plan": _plan_dict(d.plan)} for d in plan.depots],
    }
    Path(path).write_text(json.dumps(doc))
    return Path(path)


def load_day_plan(path: Path) -> DayPlan:
    """Read a plan file written by :func:`save_day_plan`."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise PlanFileError(msg("data.plan.no_file", file=str(path))) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise PlanFileError(msg("data.plan.unreadable", file=str(path), detail=str(exc))) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PlanFileError(msg("data.plan.not_plan", file=str(path), format=FORMAT))
    try:
        depots = [DepotDay(d["depot_id"], _problem_from(d["problem"]), _plan_from(dict(d["plan"])),
                           [float(s) for s in d["speeds_kmh"]], {k: int(v) for k, v in d["stock_left"].items()})
                  for d in doc["depots"]]
        return DayPlan(dt.date.fromisoformat(doc["day"]), Path(doc["dataset"]), float(doc["detour_factor"]),
                       None if doc["matrix_file"] is None else Path(doc["matrix_file"]),
                       float(doc["service_minutes"]), float(doc["service_minutes_per_m3"]), depots)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(msg("data.plan.damaged", file=str(path),
                                detail=f"{type(exc).__name__}: {exc}")) from exc
