"""Urgent orders: add one delivery to today's published routes without re-planning the rest.

The new stop goes to its cheapest feasible slot (any position of any route in use, or an idle vehicle of the
right kind), then only the route that received it is re-optimised by a short local search (relocate one stop,
reverse a segment: 2-opt), accepting feasible improvements only. Every other route keeps its stops, order
and times, so drivers already on the road are not disturbed. Given the time ``now``, a vehicle already on the
road keeps its departure and the stops it has reached or is driving to.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

from optimizer.distribution.problem import (
    PlannedRoute,
    RoutingPlan,
    RoutingProblem,
    Stop,
    latest_departure,
    plan_objective,
    simulate,
)


@dataclass
class InsertionResult:
    """Where the urgent stop went and what it cost."""

    inserted: bool
    vehicle_id: str = ""
    position: int = -1  # 0-based position in the final route
    added_cost: int = 0  # cost units, after the local re-optimisation
    reason: str = ""  # why it could not be inserted
    solve_seconds: float = 0.0


def committed(problem: RoutingProblem, route: PlannedRoute, now: int | None) -> tuple[int, int | None]:
    """(stops that can no longer move, fixed departure) of a published route at time ``now``.

    Before ``now`` is known (None) or before the vehicle leaves, nothing is fixed. Once it has left, a new
    stop may only go where the vehicle has not yet driven off: after a stop it is still at (or has not
    reached) at ``now``, never on a leg it is already driving (no U-turn). All stops fixed plus one (no slot)
    when it is on its way back to the depot."""
    if now is None or route.departure >= now:
        return 0, None
    left = [route.departure] + [start + problem.stops[i].service
                                for i, start in zip(route.stops, route.service_starts, strict=True)]
    return sum(1 for t in left if t < now), route.departure


def route_feasible(problem: RoutingProblem, vt_index: int, stops: list[int], departure: int | None = None) -> bool:
    """Capacity, cold chain, windows and shift end of one route, leaving at ``departure`` (default: the
    earliest possible time)."""
    vt = problem.vehicle_types[vt_index]
    load = [0.0] * len(problem.dimensions)
    for i in stops:
        s = problem.stops[i]
        if s.cold and not vt.cold:
            return False
        load = [a + b for a, b in zip(load, s.demand, strict=True)]
    if any(u > c + 1e-9 for u, c in zip(load, vt.capacity, strict=True)):
        return False
    depot = problem.depots[vt.depot]
    start = max(vt.tw_early, depot.tw_early) if departure is None else departure
    r = simulate(problem, vt_index, stops, start)
    if any(start > problem.stops[i].tw_late for i, start in zip(stops, r.service_starts, strict=True)):
        return False
    return r.return_time <= min(vt.tw_late, depot.tw_late)


def _distance(problem: RoutingProblem, vt_index: int, stops: list[int]) -> int:
    loc = problem.depots[problem.vehicle_types[vt_index].depot].location
    path = [loc, *[problem.stops[i].location for i in stops], loc]
    return int(sum(problem.distance[a, b] for a, b in zip(path, path[1:], strict=False)))


def _cost(problem: RoutingProblem, vt_index: int, stops: list[int]) -> int:
    vt = problem.vehicle_types[vt_index]
    return vt.fixed_cost + vt.unit_distance_cost * _distance(problem, vt_index, stops) if stops else 0


def _improve(problem: RoutingProblem, vt_index: int, stops: list[int], deadline: float, fixed: int = 0,
             departure: int | None = None) -> list[int]:
    """First-improvement relocate + 2-opt on one route (its first ``fixed`` stops stay put) until no move
    helps or the deadline passes."""
    head, best = list(stops[:fixed]), list(stops[fixed:])
    best_cost = _cost(problem, vt_index, head + best)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        n = len(best)
        candidates = []
        for i in range(n):
            for j in range(n):
                if i != j:
                    moved = best[:i] + best[i + 1:]
                    candidates.append(moved[:j] + [best[i]] + moved[j:])
        for i in range(n - 1):
            for j in range(i + 2, n + 1):
                candidates.append(best[:i] + best[i:j][::-1] + best[j:])
        for cand in candidates:
            c = _cost(problem, vt_index, head + cand)
            if c < best_cost and route_feasible(problem, vt_index, head + cand, departure):
                best, best_cost, improved = cand, c, True
                break
    return head + best


def _leave(prob: RoutingProblem, now: int | None, vt_index: int, fixed_departure: int | None) -> int | None:
    """Departure of a vehicle of type ``vt_index``: its committed departure when on the road, else no earlier
    than ``now`` (None: free to choose, before any call)."""
    if fixed_departure is not None or now is None:
        return fixed_departure
    vt = prob.vehicle_types[vt_index]
    return max(vt.tw_early, prob.depots[vt.depot].tw_early, now)


def _cheapest_slot(
    prob: RoutingProblem, routes: list[PlannedRoute], new: int, now: int | None
) -> tuple[tuple[int, int, int, int] | None, list[tuple[int, str]]]:
    """The cheapest feasible place for stop ``new``: (added cost, route index or -1 for an idle vehicle,
    position, vehicle type), or None; and the idle vehicles (type, id). Stops already committed stay."""
    best: tuple[int, int, int, int] | None = None
    for k, r in enumerate(routes):
        base = _cost(prob, r.vehicle_type, r.stops)
        fixed, dep = committed(prob, r, now)
        for pos in range(fixed, len(r.stops) + 1):
            cand = r.stops[:pos] + [new] + r.stops[pos:]
            if route_feasible(prob, r.vehicle_type, cand, _leave(prob, now, r.vehicle_type, dep)):
                delta = _cost(prob, r.vehicle_type, cand) - base
                if best is None or delta < best[0]:
                    best = (delta, k, pos, r.vehicle_type)
    used = {r.vehicle_id for r in routes if r.stops}
    idle = [(t, vid) for t, vid in prob.vehicle_ids() if vid not in used]
    for t, _vid in idle:
        if route_feasible(prob, t, [new], _leave(prob, now, t, None)):
            delta = _cost(prob, t, [new])
            if best is None or delta < best[0]:
                best = (delta, -1, 0, t)
    return best, idle


def insert_urgent(problem: RoutingProblem, plan: RoutingPlan, stop: Stop, reopt_seconds: float = 1.0,
                  now: int | None = None) -> tuple[RoutingProblem, RoutingPlan, InsertionResult]:
    """Problem and plan with ``stop`` added at its cheapest feasible slot; other routes untouched.

    ``now`` (time units): vehicles on the road keep their departure and the stops they have reached or are
    driving to (see :func:`committed`); vehicles still at the depot leave no earlier than ``now``.
    """
    t0 = time.perf_counter()
    prob = copy.copy(problem)
    prob.stops = [*problem.stops, stop]
    new = len(prob.stops) - 1
    routes = [copy.copy(r) for r in plan.routes]
    best, idle = _cheapest_slot(prob, routes, new, now)
    out = copy.copy(plan)
    if best is None:
        out.unserved = [*plan.unserved, new]
        out.unserved_reasons = {**plan.unserved_reasons, new: "no route or idle vehicle can take it feasibly"}
        out.objective = plan_objective(prob, out)
        return prob, out, InsertionResult(False, reason=out.unserved_reasons[new],
                                          solve_seconds=time.perf_counter() - t0)
    _, k, pos, t = best
    if k < 0:
        vid = next(v for tt, v in idle if tt == t)
        stops = [new]
    else:
        vid = routes[k].vehicle_id
        stops = routes[k].stops[:pos] + [new] + routes[k].stops[pos:]
    before = _cost(prob, t, routes[k].stops) if k >= 0 else 0
    fixed, dep = committed(prob, routes[k], now) if k >= 0 else (0, None)
    stops = _improve(prob, t, stops, time.perf_counter() + reopt_seconds, fixed, _leave(prob, now, t, dep))
    departure = dep if dep is not None else max(latest_departure(prob, t, stops), _leave(prob, now, t, None) or 0)
    route = simulate(prob, t, stops, departure)
    route.vehicle_id = vid
    if k < 0:
        routes.append(route)
    else:
        routes[k] = route
    out.routes = routes
    out.distance = sum(r.distance for r in routes)
    out.objective = plan_objective(prob, out)
    result = InsertionResult(True, vid, stops.index(new), _cost(prob, t, stops) - before,
                             solve_seconds=time.perf_counter() - t0)
    return prob, out, result
