"""Route with OR-Tools routing (parallel cheapest insertion start + guided local search): the comparison engine.

The insertion start is used because the cheapest-arc start found no first solution on tight-window instances
such as R101 and RC101 within 5 s.

OR-Tools' guided local search is deterministic for a given model, so ``seed`` is recorded but has no effect.
"""

from __future__ import annotations

import time

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

_HORIZON_CAP = 2**40


def solve_ortools(problem: RoutingProblem, time_limit_s: float, seed: int = 1) -> RoutingPlan:
    """Best routes OR-Tools finds in ``time_limit_s`` seconds; impossible stops are reported, not searched."""
    t0 = time.perf_counter()
    early, bad, active = screen(problem, "ortools", time_limit_s, seed, t0)
    if early is not None:
        return early
    vehicles = problem.vehicle_ids()
    nd = len(problem.depots)
    node_loc = np.array([d.location for d in problem.depots] + [problem.stops[i].location for i in active])
    service = np.array([0] * nd + [problem.stops[i].service for i in active], dtype=np.int64)
    starts = [problem.vehicle_types[t].depot for t, _ in vehicles]
    manager = pywrapcp.RoutingIndexManager(len(node_loc), len(vehicles), starts, starts)
    routing = pywrapcp.RoutingModel(manager)

    sub_dist = problem.distance[np.ix_(node_loc, node_loc)].astype(np.int64)
    cost_cb: dict[int, int] = {}
    time_cb: dict[int, int] = {}
    for v, (t, _) in enumerate(vehicles):
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

    horizon = min(
        _HORIZON_CAP,
        max([vt.tw_late for vt in problem.vehicle_types] + [d.tw_late for d in problem.depots]),
    )
    routing.AddDimensionWithVehicleTransits(
        [time_cb[problem.vehicle_types[t].profile] for t, _ in vehicles], horizon, horizon, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    for k, i in enumerate(active):
        s = problem.stops[i]
        index = manager.NodeToIndex(nd + k)
        time_dim.CumulVar(index).SetRange(s.tw_early, min(s.tw_late, horizon))
        if not s.required:
            routing.AddDisjunction([index], s.penalty)
    for v, (t, _) in enumerate(vehicles):
        vt = problem.vehicle_types[t]
        depot = problem.depots[vt.depot]
        time_dim.CumulVar(routing.Start(v)).SetRange(
            max(vt.tw_early, depot.tw_early), min(vt.tw_late, depot.tw_late, horizon)
        )
        time_dim.CumulVar(routing.End(v)).SetRange(
            max(vt.tw_early, depot.tw_early), min(vt.tw_late, depot.tw_late, horizon)
        )
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
    for dim_k, name in enumerate(problem.dimensions):
        demand = [0] * nd + [problem.int_demand(problem.stops[i])[dim_k] for i in active]
        cb = routing.RegisterUnaryTransitVector(demand)
        caps = [problem.int_capacity(problem.vehicle_types[t])[dim_k] for t, _ in vehicles]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load_{name}")
    dry_vehicles = [v for v, (t, _) in enumerate(vehicles) if not problem.vehicle_types[t].cold]
    if dry_vehicles:
        for k, i in enumerate(active):
            if problem.stops[i].cold:
                routing.VehicleVar(manager.NodeToIndex(nd + k)).RemoveValues(dry_vehicles)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return RoutingPlan(
            "ortools", "time_limit", [], unserved=list(range(len(problem.stops))), time_limit=time_limit_s,
            seed=seed, solve_seconds=time.perf_counter() - t0,
            explanation=f"OR-Tools found no feasible plan in {time_limit_s:g} s "
            f"(fleet of {len(vehicles)} vehicles, {len(active)} stops); status {routing.status()}",
        )
    routes: list[PlannedRoute] = []
    for v, (t, vid) in enumerate(vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        stops: list[int] = []
        while not routing.IsEnd(index):
            stops.append(active[manager.IndexToNode(index) - nd])
            index = solution.Value(routing.NextVar(index))
        if stops:
            route = simulate(problem, t, stops, latest_departure(problem, t, stops))
            route.vehicle_id = vid
            routes.append(route)
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
