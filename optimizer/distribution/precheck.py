"""Stops no vehicle can ever serve, found before any search so infeasibility gets a plain explanation.

A stop is impossible when, for every vehicle type, one of these holds: it needs cold chain and the vehicle is
not refrigerated; its demand alone exceeds the vehicle's capacity in some dimension; or even leaving at shift
start and driving straight there, the vehicle cannot start service by the window's end, or cannot be back at
its depot by the shift end.
"""

from __future__ import annotations

import functools
import time

from optimizer.distribution.problem import RoutingPlan, RoutingProblem, Stop, VehicleType
from optimizer.i18n import joined, msg, msg_of, said


def _reason(problem: RoutingProblem, stop: Stop, vt: VehicleType) -> str | None:
    if stop.cold and not vt.cold:
        return said("models.distribution.needs_cold")
    for dim, d, c in zip(problem.dimensions, stop.demand, vt.capacity, strict=True):
        if d > c + 1e-9:
            return said("models.distribution.over_capacity", dim=dim, demand=f"{d:g}", capacity=f"{c:g}")
    depot = problem.depots[vt.depot]
    dur = problem.durations[vt.profile]
    leave = max(vt.tw_early, depot.tw_early)
    arrive = leave + int(dur[depot.location, stop.location])
    start = max(arrive, stop.tw_early)
    if start > stop.tw_late:
        return said("models.distribution.after_window", arrive=arrive, end=stop.tw_late)
    back = start + stop.service + int(dur[stop.location, depot.location])
    if back > min(vt.tw_late, depot.tw_late):
        return said("models.distribution.not_back", depot=depot.depot_id, by=min(vt.tw_late, depot.tw_late),
                    back=back)
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
            reasons.append(said("models.for_hospital", clues=vt.type_id, text=r))
        else:
            more = said("models.distribution.more_types", count=len(reasons)) if len(reasons) > 3 else None
            out[i] = joined(*reasons[:3], more) or ""
    return out


def explain_impossible(problem: RoutingProblem, bad: dict[int, str]) -> str:
    """One sentence per impossible required stop (at most ten), for ``RoutingPlan.explanation``."""
    lines = [msg("models.distribution.stop", stop=problem.stops[i].stop_id, why=msg_of(why))
             for i, why in list(bad.items())[:10]]
    stops = functools.reduce(lambda a, b: msg("models.distribution.bar", first=a, second=b), lines)
    if len(bad) > 10:
        return said("models.distribution.impossible_more", stops=stops, more=len(bad) - 10)
    return said("models.distribution.impossible", stops=stops)


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
