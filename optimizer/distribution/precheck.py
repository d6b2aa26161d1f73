"""Stops no vehicle can ever serve, found before any search so infeasibility gets a plain explanation.

A stop is impossible when, for every vehicle type, one of these holds: it needs cold chain and the vehicle is
not refrigerated; its demand alone exceeds the vehicle's capacity in some dimension; or even leaving at shift
start and driving straight there, the vehicle cannot start service by the window's end, or cannot be back at
its depot by the shift end.
"""

from __future__ import annotations

import time

from optimizer.distribution.problem import RoutingPlan, RoutingProblem, Stop, VehicleType


def _reason(problem: RoutingProblem, stop: Stop, vt: VehicleType) -> str | None:
    if stop.cold and not vt.cold:
        return "needs a cold-chain vehicle"
    for dim, d, c in zip(problem.dimensions, stop.demand, vt.capacity, strict=True):
        if d > c + 1e-9:
            return f"{dim} {d:g} exceeds the vehicle capacity {c:g}"
    depot = problem.depots[vt.depot]
    dur = problem.durations[vt.profile]
    leave = max(vt.tw_early, depot.tw_early)
    arrive = leave + int(dur[depot.location, stop.location])
    start = max(arrive, stop.tw_early)
    if start > stop.tw_late:
        return f"earliest arrival {arrive} is after the window end {stop.tw_late}"
    back = start + stop.service + int(dur[stop.location, depot.location])
    if back > min(vt.tw_late, depot.tw_late):
        return f"cannot be back at depot {depot.depot_id} by {min(vt.tw_late, depot.tw_late)} (earliest {back})"
    return None


def impossible_stops(problem: RoutingProblem) -> dict[int, str]:
    """Stop index -> why no vehicle type can serve it (the reason for the nearest-to-feasible type)."""
    out: dict[int, str] = {}
    for i, stop in enumerate(problem.stops):
        reasons = []
        for vt in problem.vehicle_types:
            r = _reason(problem, stop, vt)
            if r is None:
                break
            reasons.append(f"{vt.type_id}: {r}")
        else:
            out[i] = "; ".join(reasons[:3]) + (f"; ... ({len(reasons)} vehicle types)" if len(reasons) > 3 else "")
    return out


def explain_impossible(problem: RoutingProblem, bad: dict[int, str]) -> str:
    """One sentence per impossible required stop (at most ten), for ``RoutingPlan.explanation``."""
    lines = [f"stop {problem.stops[i].stop_id}: {why}" for i, why in list(bad.items())[:10]]
    more = f" (+{len(bad) - 10} more)" if len(bad) > 10 else ""
    return "no vehicle can serve " + " | ".join(lines) + more


def screen(problem: RoutingProblem, engine: str, time_limit_s: float, seed: int,
           t0: float) -> tuple[RoutingPlan | None, dict[int, str], list[int]]:
    """Split stops into impossible ones (with reasons) and the rest before any search.

    Returns ``(plan, bad, active)``: ``plan`` is the engine's answer already (infeasible, with an
    explanation) when a *required* stop is impossible, else None and the search goes on over ``active``.
    """
    bad = impossible_stops(problem)
    bad_required = {i: r for i, r in bad.items() if problem.stops[i].required}
    active = [i for i in range(len(problem.stops)) if i not in bad]
    if not bad_required:
        return None, bad, active
    return RoutingPlan(
        engine, "infeasible", [], unserved=sorted(bad), time_limit=time_limit_s, seed=seed,
        explanation=explain_impossible(problem, bad_required), unserved_reasons=bad,
        solve_seconds=time.perf_counter() - t0,
    ), bad, active
