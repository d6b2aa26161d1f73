"""Route with PyVRP (iterated local search, state of the art on VRPTW): the default engine."""

from __future__ import annotations

import time

import numpy as np
import pyvrp
from pyvrp import PenaltyParams, SolveParams
from pyvrp.stop import MaxRuntime

from optimizer.distribution.insertion import route_feasible
from optimizer.distribution.precheck import screen
from optimizer.distribution.problem import (
    PlannedRoute,
    RoutingPlan,
    RoutingProblem,
    latest_departure,
    plan_objective,
    simulate,
)
from optimizer.i18n import joined, msg, said

_BIG = 2**40


def _clip(v: int) -> int:
    return min(int(v), _BIG)


def build_data(problem: RoutingProblem, active: list[int]) -> pyvrp.ProblemData:
    """PyVRP data for the stops in ``active`` (indices into ``problem.stops``).

    Cold chain becomes one extra load dimension: a cold stop loads 1 unit of it and only refrigerated
    vehicles have capacity there, so PyVRP's load feasibility enforces "cold SKUs only on cold vehicles".
    """
    need_cold = any(problem.stops[i].cold for i in active) and not all(vt.cold for vt in problem.vehicle_types)
    n = problem.distance.shape[0]
    coords = problem.coords if problem.coords is not None else np.zeros((n, 2))
    locations = [pyvrp.Location(x=float(coords[k, 0]), y=float(coords[k, 1])) for k in range(n)]
    depots = [pyvrp.Depot(d.location, tw_early=d.tw_early, tw_late=_clip(d.tw_late)) for d in problem.depots]
    clients = []
    for i in active:
        s = problem.stops[i]
        demand = problem.int_demand(s) + ([1 if s.cold else 0] if need_cold else [])
        clients.append(
            pyvrp.Client(
                s.location, delivery=demand, service_duration=s.service, tw_early=s.tw_early,
                tw_late=_clip(s.tw_late), prize=s.penalty if not s.required else 0, required=s.required,
                name=s.stop_id,
            )
        )
    vtypes = []
    for vt in problem.vehicle_types:
        cap = problem.int_capacity(vt) + ([len(active) if vt.cold else 0] if need_cold else [])
        vtypes.append(
            pyvrp.VehicleType(
                num_available=vt.count, capacity=cap, start_depot=vt.depot, end_depot=vt.depot,
                fixed_cost=vt.fixed_cost, tw_early=vt.tw_early, tw_late=_clip(vt.tw_late),
                unit_distance_cost=vt.unit_distance_cost, profile=vt.profile, name=vt.type_id,
            )
        )
    dist = problem.distance.astype(np.int64)
    return pyvrp.ProblemData(
        locations, clients, depots, vtypes, [dist] * len(problem.durations),
        [d.astype(np.int64) for d in problem.durations],
    )


def solve_pyvrp(problem: RoutingProblem, time_limit_s: float, seed: int = 1) -> RoutingPlan:
    """Best routes PyVRP finds in ``time_limit_s`` seconds; impossible stops are reported, not searched."""
    t0 = time.perf_counter()
    early, bad, active = screen(problem, "pyvrp", time_limit_s, seed, t0)
    if early is not None:
        return early
    if not active:
        return RoutingPlan("pyvrp", "optimal", [], unserved=sorted(bad), unserved_reasons=bad,
                           time_limit=time_limit_s, seed=seed, solve_seconds=time.perf_counter() - t0,
                           objective=sum(problem.stops[i].penalty for i in bad))
    data = build_data(problem, active)
    # PyVRP caps its penalty per unit of violation (default 1e5). With costs in small units (1e-4 MXN per
    # metre) and large prizes, one unit of violation (a second late, a cold stop on a dry van) could then
    # be cheaper than a vehicle's fixed cost or a dropped stop; let penalties grow past every cost.
    prize = max((problem.stops[i].penalty for i in active if not problem.stops[i].required), default=0)
    route_scale = max(vt.fixed_cost + 2 * vt.unit_distance_cost * int(problem.distance.max())
                      for vt in problem.vehicle_types)
    params = SolveParams(penalty=PenaltyParams(max_penalty=max(100_000.0, 10.0 * max(prize, route_scale))))
    result = pyvrp.solve(data, MaxRuntime(time_limit_s), seed=seed, collect_stats=False, display=False,
                         params=params)
    best = result.best
    routes: list[PlannedRoute] = []
    used_per_type: dict[int, int] = {}
    for r in best.routes():
        t = r.vehicle_type()
        stops = [active[a.idx] for a in r.schedule() if a.is_client()]
        if not stops:
            continue
        k = used_per_type.get(t, 0)
        used_per_type[t] = k + 1
        vt = problem.vehicle_types[t]
        route = simulate(problem, t, stops, latest_departure(problem, t, stops))
        route.vehicle_id = vt.type_id if vt.count == 1 else f"{vt.type_id}#{k + 1}"
        routes.append(route)
    feasible = best.is_feasible()
    if not feasible and all(not problem.stops[i].required for i in active):
        routes, dropped = _repair(problem, routes)
        feasible = True
    else:
        dropped = {}
    served = {i for r in routes for i in r.stops}
    unserved = sorted(set(range(len(problem.stops))) - served)
    reasons = {**bad, **dropped}
    for i in unserved:
        reasons.setdefault(i, "left out by the search: no vehicle had room or time for it today")
    explanation: str = ""
    if not feasible:
        parts = []
        if best.has_excess_load():
            parts.append(msg("models.distribution.excess_load", load=str(list(best.excess_load()))))
        if best.has_time_warp():
            parts.append(msg("models.distribution.time_warp", units=best.time_warp()))
        missing = [problem.stops[i].stop_id for i in unserved if problem.stops[i].required]
        if missing:
            parts.append(msg("models.distribution.unrouted", count=len(missing), stops=", ".join(missing[:5])))
        explanation = said("models.distribution.pyvrp_none", seconds=f"{time_limit_s:g}", why=joined(*parts) or "",
                           vehicles=problem.num_vehicles)
    if dropped:
        explanation = said("models.distribution.pyvrp_dropped", seconds=f"{time_limit_s:g}", count=len(dropped))
    plan = RoutingPlan(
        engine="pyvrp", status="feasible" if feasible else "time_limit", routes=routes, unserved=unserved,
        distance=sum(r.distance for r in routes), time_limit=time_limit_s, seed=seed, explanation=explanation,
        unserved_reasons={i: reasons[i] for i in unserved},
    )
    plan.objective = plan_objective(problem, plan)
    plan.solve_seconds = time.perf_counter() - t0
    return plan


def _repair(problem: RoutingProblem, routes: list[PlannedRoute]) -> tuple[list[PlannedRoute], dict[int, str]]:
    """Make an infeasible best solution deliverable when every stop is optional: take cold stops off dry
    vans, then drop the last stop of a route until it meets capacity, windows and the shift end."""
    out: list[PlannedRoute] = []
    dropped: dict[int, str] = {}
    for r in routes:
        vt = problem.vehicle_types[r.vehicle_type]
        stops = list(r.stops)
        for i in [i for i in stops if problem.stops[i].cold and not vt.cold]:
            stops.remove(i)
            dropped[i] = "the search ended with it on a dry vehicle; no refrigerated vehicle had room"
        while stops and not route_feasible(problem, r.vehicle_type, stops):
            dropped[stops.pop()] = "the search ended without a feasible slot for it (time limit)"
        if stops:
            fixed = simulate(problem, r.vehicle_type, stops, latest_departure(problem, r.vehicle_type, stops))
            fixed.vehicle_id = r.vehicle_id
            out.append(fixed)
    return out, dropped
