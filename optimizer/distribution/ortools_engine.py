"""Route with OR-Tools routing (parallel cheapest insertion start + guided local search): the comparison engine.

The insertion start is used because the cheapest-arc start found no first solution on tight-window instances
such as R101 and RC101 within 5 s.

OR-Tools' guided local search is deterministic for a given model, so ``seed`` is recorded but has no effect.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.distribution.precheck import screen
from optimizer.distribution.problem import (
    PlannedRoute,
    RoutingPlan,
    RoutingProblem,
    latest_departure,
    plan_objective,
    simulate,
)
from optimizer.i18n import said

_HORIZON_CAP = 2**40


@dataclass
class _Model:
    """An OR-Tools routing model of ``problem``'s active stops: node ``nd + k`` is stop ``active[k]``, nodes
    below ``nd`` are the depots; vehicle ``v`` is ``vehicles[v]`` (type index, vehicle id)."""

    problem: RoutingProblem
    active: list[int]
    vehicles: list[tuple[int, str]]
    nd: int
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel

    def stop_index(self, k: int) -> int:
        """The solver index of the ``k``-th active stop."""
        return self.manager.NodeToIndex(self.nd + k)


def solve_ortools(problem: RoutingProblem, time_limit_s: float, seed: int = 1) -> RoutingPlan:
    """Best routes OR-Tools finds in ``time_limit_s`` seconds; impossible stops are reported, not searched."""
    t0 = time.perf_counter()
    early, bad, active = screen(problem, "ortools", time_limit_s, seed, t0)
    if early is not None:
        return early
    m = _build(problem, active)
    solution = m.routing.SolveWithParameters(_search_parameters(time_limit_s))
    if solution is None:
        return RoutingPlan(
            "ortools", "time_limit", [], unserved=list(range(len(problem.stops))), time_limit=time_limit_s,
            seed=seed, solve_seconds=time.perf_counter() - t0,
            explanation=said("models.distribution.ortools_none", seconds=f"{time_limit_s:g}",
                             vehicles=len(m.vehicles), stops=len(active), status=m.routing.status()),
        )
    routes = _routes(m, solution)
    served = {i for r in routes for i in r.stops}
    unserved = sorted(set(range(len(problem.stops))) - served)
    reasons = {i: bad.get(i, "left out by the search: no vehicle had room or time for it today") for i in unserved}
    plan = RoutingPlan(
        engine="ortools", status="feasible", routes=routes, unserved=unserved,
        distance=sum(r.distance for r in routes), time_limit=time_limit_s, seed=seed, unserved_reasons=reasons,
    )
    plan.objective = plan_objective(problem, plan)
    plan.solve_seconds = time.perf_counter() - t0
    return plan


def _build(problem: RoutingProblem, active: list[int]) -> _Model:
    """The routing model: arc costs and travel times per vehicle, time windows, loads, the cold chain."""
    vehicles = problem.vehicle_ids()
    nd = len(problem.depots)
    starts = [problem.vehicle_types[t].depot for t, _ in vehicles]
    n_nodes = nd + len(active)
    manager = pywrapcp.RoutingIndexManager(n_nodes, len(vehicles), starts, starts)
    m = _Model(problem, active, vehicles, nd, manager, pywrapcp.RoutingModel(manager))
    time_cb = _costs_and_times(m)
    _time_windows(m, time_cb)
    _loads(m)
    _cold_chain(m)
    return m


def _costs_and_times(m: _Model) -> dict[int, int]:
    """Arc cost (distance x the vehicle type's unit cost) and fixed cost per vehicle; one travel-plus-service
    time callback per speed profile (returned, profile -> callback index)."""
    problem, routing = m.problem, m.routing
    node_loc = np.array([d.location for d in problem.depots] + [problem.stops[i].location for i in m.active])
    service = np.array([0] * m.nd + [problem.stops[i].service for i in m.active], dtype=np.int64)
    sub_dist = problem.distance[np.ix_(node_loc, node_loc)].astype(np.int64)
    cost_cb: dict[int, int] = {}
    time_cb: dict[int, int] = {}
    for v, (t, _) in enumerate(m.vehicles):
        vt = problem.vehicle_types[t]
        if vt.unit_distance_cost not in cost_cb:
            cost_cb[vt.unit_distance_cost] = routing.RegisterTransitMatrix(
                (sub_dist * vt.unit_distance_cost).tolist()
            )
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[vt.unit_distance_cost], v)
        routing.SetFixedCostOfVehicle(vt.fixed_cost, v)
        if vt.profile not in time_cb:
            dur = problem.durations[vt.profile][np.ix_(node_loc, node_loc)].astype(np.int64)
            time_cb[vt.profile] = routing.RegisterTransitMatrix((dur + service[:, None]).tolist())
    return time_cb


def _time_windows(m: _Model, time_cb: dict[int, int]) -> None:
    """The time dimension: each stop within its window (optional stops may be dropped at their penalty),
    each vehicle within its own and its depot's hours, departures as late as the plan allows."""
    problem, routing = m.problem, m.routing
    horizon = min(
        _HORIZON_CAP,
        max([vt.tw_late for vt in problem.vehicle_types] + [d.tw_late for d in problem.depots]),
    )
    routing.AddDimensionWithVehicleTransits(
        [time_cb[problem.vehicle_types[t].profile] for t, _ in m.vehicles], horizon, horizon, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    for k, i in enumerate(m.active):
        s = problem.stops[i]
        index = m.stop_index(k)
        time_dim.CumulVar(index).SetRange(s.tw_early, min(s.tw_late, horizon))
        if not s.required:
            routing.AddDisjunction([index], s.penalty)
    for v, (t, _) in enumerate(m.vehicles):
        vt = problem.vehicle_types[t]
        depot = problem.depots[vt.depot]
        early, late = max(vt.tw_early, depot.tw_early), min(vt.tw_late, depot.tw_late, horizon)
        time_dim.CumulVar(routing.Start(v)).SetRange(early, late)
        time_dim.CumulVar(routing.End(v)).SetRange(early, late)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(v)))


def _loads(m: _Model) -> None:
    """One capacity dimension per load dimension of the problem (integer units)."""
    problem = m.problem
    for dim_k, name in enumerate(problem.dimensions):
        demand = [0] * m.nd + [problem.int_demand(problem.stops[i])[dim_k] for i in m.active]
        cb = m.routing.RegisterUnaryTransitVector(demand)
        caps = [problem.int_capacity(problem.vehicle_types[t])[dim_k] for t, _ in m.vehicles]
        m.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load_{name}")


def _cold_chain(m: _Model) -> None:
    """Cold-chain stops ride only refrigerated vehicles."""
    problem = m.problem
    dry_vehicles = [v for v, (t, _) in enumerate(m.vehicles) if not problem.vehicle_types[t].cold]
    if not dry_vehicles:
        return
    for k, i in enumerate(m.active):
        if problem.stops[i].cold:
            m.routing.VehicleVar(m.stop_index(k)).RemoveValues(dry_vehicles)


def _search_parameters(time_limit_s: float) -> object:
    """Parallel cheapest insertion, then guided local search until ``time_limit_s``."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    return params


def _routes(m: _Model, solution: object) -> list[PlannedRoute]:
    """The non-empty routes of ``solution``, simulated with the latest departure that keeps them feasible."""
    problem, routing = m.problem, m.routing
    routes: list[PlannedRoute] = []
    for v, (t, vid) in enumerate(m.vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        stops: list[int] = []
        while not routing.IsEnd(index):
            stops.append(m.active[m.manager.IndexToNode(index) - m.nd])
            index = solution.Value(routing.NextVar(index))
        if stops:
            route = simulate(problem, t, stops, latest_departure(problem, t, stops))
            route.vehicle_id = vid
            routes.append(route)
    return routes
