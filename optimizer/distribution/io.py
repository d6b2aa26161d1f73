"""Readers for the public routing benchmarks (Solomon VRPTW and CVRPLIB CVRP) via ``vrplib``.

Conventions (see ../shared/benchmarks/routing/README.md):

* Solomon: DIMACS 12th challenge convention, as used by PyVRP/HGS benchmarking: every arc distance and
  travel time is ``floor(10 * euclid) / 10``; only total distance is minimised, any number of vehicles up to
  the fleet size. Integers handed to the solvers are in tenths, so ``distance_unit = 0.1``. Time windows and
  service times are scaled by 10 too. Compare with the ``distance_only`` / ``dimacs_truncate_1dp`` BKS row.
* CVRPLIB: TSPLIB ``nint`` rounding of each Euclidean arc (``floor(d + 0.5)``), unbounded fleet.

Stop ids are the customer numbers as in the instance file (Solomon row number; CVRPLIB node number minus 1),
so ``[int(stop_id) ...]`` reproduces the ``.sol`` numbering.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import vrplib

from optimizer.distribution.problem import DepotNode, RoutingProblem, Stop, VehicleType


class BenchmarkFormatError(ValueError):
    """An instance file that is not a readable Solomon or CVRPLIB instance (names the file and field)."""


def _euclid(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def read_benchmark(path: str | Path) -> RoutingProblem:
    """Read a Solomon ``.txt`` or CVRPLIB ``.vrp`` file, choosing the reader by content."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkFormatError(f"{path}: no such instance file")
    head = path.read_text(errors="replace")[:2000].upper()
    if "NODE_COORD_SECTION" in head or "DIMENSION" in head:
        return read_cvrplib(path)
    if "CUSTOMER" in head and "VEHICLE" in head:
        return read_solomon(path)
    raise BenchmarkFormatError(f"{path}: neither a Solomon (VEHICLE/CUSTOMER) nor a CVRPLIB (DIMENSION) file")


def read_solomon(path: str | Path) -> RoutingProblem:
    """A Solomon VRPTW instance under the DIMACS truncate-to-0.1 convention (values scaled by 10)."""
    path = Path(path)
    try:
        inst = vrplib.read_instance(str(path), instance_format="solomon")
    except Exception as exc:  # vrplib raises bare ValueError/IndexError on malformed rows
        raise BenchmarkFormatError(f"{path}: not a readable Solomon instance ({exc})") from exc
    for key in ("node_coord", "demand", "time_window", "service_time", "capacity", "vehicles"):
        if key not in inst:
            raise BenchmarkFormatError(f"{path}: field '{key}' missing")
    coords = np.asarray(inst["node_coord"], dtype=float)
    dist = np.floor(10.0 * _euclid(coords) + 1e-9).astype(np.int64)  # tenths, truncated
    tw = np.asarray(inst["time_window"], dtype=np.int64) * 10
    service = np.asarray(inst["service_time"], dtype=np.int64) * 10
    demand = np.asarray(inst["demand"], dtype=float)
    depot = DepotNode("0", 0, int(tw[0, 0]), int(tw[0, 1]))
    stops = [
        Stop(str(i), i, (float(demand[i]),), int(tw[i, 0]), int(tw[i, 1]), int(service[i]))
        for i in range(1, len(coords))
    ]
    fleet = VehicleType(
        "vehicle", 0, (float(inst["capacity"]),), count=int(inst["vehicles"]), tw_early=int(tw[0, 0]),
        tw_late=int(tw[0, 1]),
    )
    return RoutingProblem(
        name=str(inst.get("name", path.stem)), depots=[depot], stops=stops, vehicle_types=[fleet],
        distance=dist, durations=[dist.copy()], distance_unit=0.1, coords=coords,
        convention="dimacs_truncate_1dp",
    )


def read_cvrplib(path: str | Path) -> RoutingProblem:
    """A CVRPLIB CVRP instance (EUC_2D, TSPLIB nint rounding); fleet bounded by the number of customers."""
    path = Path(path)
    try:
        inst = vrplib.read_instance(str(path))
    except Exception as exc:
        raise BenchmarkFormatError(f"{path}: not a readable CVRPLIB instance ({exc})") from exc
    for key in ("node_coord", "demand", "capacity", "depot"):
        if key not in inst:
            raise BenchmarkFormatError(f"{path}: field '{key}' missing")
    ewt = str(inst.get("edge_weight_type", "EUC_2D")).upper()
    if ewt != "EUC_2D":
        raise BenchmarkFormatError(f"{path}: EDGE_WEIGHT_TYPE {ewt} not supported (EUC_2D only)")
    coords = np.asarray(inst["node_coord"], dtype=float)
    depot_idx = int(np.asarray(inst["depot"]).ravel()[0])
    if depot_idx != 0:
        raise BenchmarkFormatError(f"{path}: DEPOT_SECTION must name node 1 (got node {depot_idx + 1})")
    dist = np.floor(_euclid(coords) + 0.5).astype(np.int64)
    demand = np.asarray(inst["demand"], dtype=float)
    stops = [Stop(str(i), i, (float(demand[i]),)) for i in range(1, len(coords))]
    fleet = VehicleType("vehicle", 0, (float(inst["capacity"]),), count=len(stops))
    return RoutingProblem(
        name=str(inst.get("name", path.stem)), depots=[DepotNode("0", 0)], stops=stops, vehicle_types=[fleet],
        distance=dist, durations=[np.zeros_like(dist)], distance_unit=1.0, coords=coords,
        convention="tsplib_nint",
    )


def read_solution_routes(path: str | Path) -> list[list[int]]:
    """Customer numbers per route from a CVRPLIB ``.sol`` file."""
    sol = vrplib.read_solution(str(path))
    return [list(map(int, r)) for r in sol["routes"]]


def routes_to_customer_ids(problem: RoutingProblem, routes: list[list[int]]) -> list[list[int]]:
    """Plan stop indices -> instance customer numbers (the ids printed by ``bienestar route``)."""
    return [[int(problem.stops[i].stop_id) for i in r] for r in routes]


def customer_ids_to_stops(problem: RoutingProblem, routes: list[list[int]]) -> list[list[int]]:
    """Instance customer numbers -> plan stop indices."""
    index = {int(s.stop_id): k for k, s in enumerate(problem.stops)}
    return [[index[c] for c in r] for r in routes]
