"""The vehicle-routing problem both engines solve, and the plan they return.

One representation serves public benchmarks (Solomon VRPTW, CVRPLIB) and daily medicine deliveries, so the
engines, the validator and the urgent-order insertion are written once. Everything a solver sees is an
integer: distances in *distance units* (tenths of a unit under the DIMACS convention, metres for real roads),
times in *time units* (benchmark units, or seconds for real routes), loads in *load units* per capacity
dimension. Demands and capacities are kept exact (floats) for the validator; engines round demands up and
capacities down, so an engine-feasible route is always feasible in exact arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class DepotNode:
    """A start/end point of routes: a distribution centre or a benchmark depot."""

    depot_id: str
    location: int  # row/column of the distance and duration matrices
    tw_early: int = 0  # time units: the depot opens
    tw_late: int = 2**40  # time units: every route must be back by then


@dataclass(frozen=True)
class ManifestLine:
    """One line of a driver's manifest: units of a SKU for the stop."""

    sku: str
    name: str
    units: int
    cold_chain: bool


@dataclass(frozen=True)
class Stop:
    """A delivery to make exactly once (or to declare unserved when it is optional)."""

    stop_id: str  # instance customer number for benchmarks, "<CLUES>/<cold|dry>/<k>" for deliveries
    location: int
    demand: tuple[float, ...]  # exact load per capacity dimension (e.g. m3, kg)
    tw_early: int = 0  # service may start from (time units); arriving earlier means waiting
    tw_late: int = 2**40  # service must start by (time units)
    service: int = 0  # time units spent at the stop
    cold: bool = False  # holds cold-chain SKUs: only a cold vehicle may carry it
    required: bool = True  # False: may be left unserved at a cost of ``penalty``
    penalty: int = 0  # cost units charged when an optional stop is left unserved
    facility: str = ""  # CLUES of the receiving facility (empty for benchmarks)
    name: str = ""
    lines: tuple[ManifestLine, ...] = ()


@dataclass(frozen=True)
class VehicleType:
    """Identical vehicles based at one depot (``count`` of them; 1 for a named truck)."""

    type_id: str
    depot: int  # index into ``RoutingProblem.depots``
    capacity: tuple[float, ...]  # exact capacity per dimension, same order as ``RoutingProblem.dimensions``
    count: int = 1
    cold: bool = False  # refrigerated: may carry cold-chain stops
    tw_early: int = 0  # shift start (time units): may not leave the depot before
    tw_late: int = 2**40  # shift end (time units): must be back at the depot by
    fixed_cost: int = 0  # cost units per vehicle used
    unit_distance_cost: int = 1  # cost units per distance unit
    profile: int = 0  # which duration matrix (vehicles of different speeds)


@dataclass
class RoutingProblem:
    """Depots, stops, fleet and matrices of one routing instance.

    ``distance[i, j]`` is in distance units and ``durations[p][i, j]`` in time units for profile ``p``;
    ``distance_unit`` converts distance units to the reported unit (0.1 for DIMACS, 0.001 for m -> km) and
    ``cost_unit`` converts cost units to the reported currency.
    """

    name: str
    depots: list[DepotNode]
    stops: list[Stop]
    vehicle_types: list[VehicleType]
    distance: np.ndarray
    durations: list[np.ndarray]
    dimensions: tuple[str, ...] = ("load",)
    load_scale: tuple[float, ...] = (1.0,)  # integer load units per exact unit, per dimension
    distance_unit: float = 1.0
    distance_label: str = "units"
    time_unit_seconds: float = 1.0  # seconds per time unit (1 for real routes; benchmarks are unitless)
    cost_unit: float = 1.0
    coords: np.ndarray | None = None  # (x, y) or (lon, lat) per location, for maps
    geographic: bool = False  # coords are lon/lat
    convention: str = ""  # e.g. "dimacs_truncate_1dp", "tsplib_nint", "haversine_x1.3"

    def __post_init__(self) -> None:
        n = self.distance.shape[0]
        if self.distance.shape != (n, n):
            raise ValueError(f"{self.name}: distance matrix must be square, got {self.distance.shape}")
        for p, dur in enumerate(self.durations):
            if dur.shape != (n, n):
                raise ValueError(f"{self.name}: duration matrix {p} has shape {dur.shape}, expected {(n, n)}")
        if len(self.load_scale) != len(self.dimensions):
            raise ValueError(f"{self.name}: load_scale needs one value per dimension {self.dimensions}")
        for s in self.stops:
            if len(s.demand) != len(self.dimensions):
                raise ValueError(f"{self.name}: stop {s.stop_id} demand has {len(s.demand)} dimensions")
            if not 0 <= s.location < n:
                raise ValueError(f"{self.name}: stop {s.stop_id} location {s.location} outside the matrix")
        for vt in self.vehicle_types:
            if len(vt.capacity) != len(self.dimensions):
                raise ValueError(f"{self.name}: vehicle {vt.type_id} capacity has wrong dimensions")
            if not 0 <= vt.depot < len(self.depots):
                raise ValueError(f"{self.name}: vehicle {vt.type_id} depot index {vt.depot} unknown")
            if not 0 <= vt.profile < len(self.durations):
                raise ValueError(f"{self.name}: vehicle {vt.type_id} profile {vt.profile} unknown")

    @property
    def num_vehicles(self) -> int:
        return sum(vt.count for vt in self.vehicle_types)

    def int_demand(self, stop: Stop) -> list[int]:
        """Solver demand: exact demand scaled and rounded *up* (conservative)."""
        return [math.ceil(d * s - 1e-9) for d, s in zip(stop.demand, self.load_scale, strict=True)]

    def int_capacity(self, vt: VehicleType) -> list[int]:
        """Solver capacity: exact capacity scaled and rounded *down* (conservative)."""
        return [math.floor(c * s + 1e-9) for c, s in zip(vt.capacity, self.load_scale, strict=True)]

    def vehicle_ids(self) -> list[tuple[int, str]]:
        """(vehicle type index, vehicle id) for every individual vehicle."""
        out: list[tuple[int, str]] = []
        for t, vt in enumerate(self.vehicle_types):
            if vt.count == 1:
                out.append((t, vt.type_id))
            else:
                out.extend((t, f"{vt.type_id}#{k + 1}") for k in range(vt.count))
        return out


@dataclass
class PlannedRoute:
    """One vehicle's day: stops in visit order with times, load and distance."""

    vehicle_type: int
    vehicle_id: str
    stops: list[int]  # indices into ``RoutingProblem.stops``
    departure: int  # time units: leaves the depot
    arrivals: list[int]  # time units: arrives at each stop
    service_starts: list[int]  # time units: starts unloading at each stop (after any wait)
    return_time: int  # time units: back at the depot
    load: list[float]  # exact load per dimension
    distance: int  # distance units


@dataclass
class RoutingPlan:
    """What an engine returns: routes, the stops left unserved, status and timing."""

    engine: str
    status: str  # "optimal" | "feasible" | "infeasible"
    routes: list[PlannedRoute]
    unserved: list[int] = field(default_factory=list)
    objective: int = 0  # cost units: fixed costs + distance costs + penalties of unserved optional stops
    distance: int = 0  # distance units over all routes
    solve_seconds: float = 0.0
    time_limit: float = 0.0
    seed: int = 0
    explanation: str = ""
    unserved_reasons: dict[int, str] = field(default_factory=dict)

    @property
    def vehicles_used(self) -> int:
        return sum(1 for r in self.routes if r.stops)


def simulate(problem: RoutingProblem, vt_index: int, stops: list[int], departure: int) -> PlannedRoute:
    """Times, load and distance of visiting ``stops`` in order with vehicle type ``vt_index``.

    The vehicle leaves its depot at ``departure``, waits when it arrives before a window opens and starts
    service at ``max(arrival, tw_early)``. Late starts are *not* repaired here; the validator reports them.
    """
    vt = problem.vehicle_types[vt_index]
    depot_loc = problem.depots[vt.depot].location
    dur = problem.durations[vt.profile]
    t = departure
    prev = depot_loc
    dist = 0
    arrivals: list[int] = []
    starts: list[int] = []
    load = [0.0] * len(problem.dimensions)
    for idx in stops:
        s = problem.stops[idx]
        t += int(dur[prev, s.location])
        dist += int(problem.distance[prev, s.location])
        arrivals.append(t)
        t = max(t, s.tw_early)
        starts.append(t)
        t += s.service
        prev = s.location
        load = [a + b for a, b in zip(load, s.demand, strict=True)]
    t += int(dur[prev, depot_loc])
    dist += int(problem.distance[prev, depot_loc])
    return PlannedRoute(vt_index, vt.type_id, list(stops), departure, arrivals, starts, t, load, dist)


def latest_departure(problem: RoutingProblem, vt_index: int, stops: list[int]) -> int:
    """Latest departure that keeps every window met with no avoidable waiting (driver leaves as late as
    possible); falls back to the shift start when the route is only feasible leaving then."""
    vt = problem.vehicle_types[vt_index]
    base = max(vt.tw_early, problem.depots[vt.depot].tw_early)
    if not stops:
        return base
    first = simulate(problem, vt_index, stops, base)
    # Forward slack: how much later the vehicle may leave without starting any service after its window.
    slack = 2**62
    waited = 0
    for idx, start, arr in zip(stops, first.service_starts, first.arrivals, strict=True):
        waited += start - arr
        slack = min(slack, problem.stops[idx].tw_late - start + waited)
    slack = min(slack, vt.tw_late - first.return_time + waited, first.service_starts[0] - first.arrivals[0])
    return base + max(0, slack)


def route_cost(problem: RoutingProblem, route: PlannedRoute) -> int:
    """Cost units of one used route: fixed cost plus distance cost."""
    if not route.stops:
        return 0
    vt = problem.vehicle_types[route.vehicle_type]
    return vt.fixed_cost + vt.unit_distance_cost * route.distance


def plan_objective(problem: RoutingProblem, plan: RoutingPlan) -> int:
    """Fixed + distance costs of used routes plus penalties of unserved stops (cost units)."""
    routes = sum(route_cost(problem, r) for r in plan.routes)
    return routes + sum(problem.stops[i].penalty for i in plan.unserved)
