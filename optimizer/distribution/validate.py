"""Independent validators: recompute feasibility and objective from a plan and its input alone.

Nothing here calls a solver or reuses engine code paths: times, loads and distances are re-simulated from
the matrices, so a bug in an engine adapter or in ``problem.simulate`` shows up as a violation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from optimizer.distribution.problem import RoutingPlan, RoutingProblem


@dataclass
class RouteValidation:
    """Violations found (empty = feasible) and the recomputed totals."""

    violations: list[str] = field(default_factory=list)
    distance: int = 0  # distance units, recomputed
    objective: int = 0  # cost units, recomputed

    @property
    def ok(self) -> bool:
        return not self.violations


def validate_routes(problem: RoutingProblem, plan: RoutingPlan, eps: float = 1e-9) -> RouteValidation:
    """Check capacities, time windows, shifts, cold chain, each delivery made exactly once, and distances."""
    out = RouteValidation()
    v = out.violations
    n_stops = len(problem.stops)
    per_type = Counter(r.vehicle_type for r in plan.routes if r.stops)
    for t, used in per_type.items():
        if not 0 <= t < len(problem.vehicle_types):
            v.append(f"route uses unknown vehicle type {t}")
        elif used > problem.vehicle_types[t].count:
            vt = problem.vehicle_types[t]
            v.append(f"vehicle type {vt.type_id}: {used} routes but only {vt.count} vehicles")
    ids = Counter(r.vehicle_id for r in plan.routes if r.stops)
    v.extend(f"vehicle {vid} drives {c} routes" for vid, c in ids.items() if c > 1)
    visits: Counter[int] = Counter()
    for r in plan.routes:
        if not r.stops or not 0 <= r.vehicle_type < len(problem.vehicle_types):
            continue
        vt = problem.vehicle_types[r.vehicle_type]
        depot = problem.depots[vt.depot]
        dur = problem.durations[vt.profile]
        who = f"vehicle {r.vehicle_id}"
        if r.departure < max(vt.tw_early, depot.tw_early):
            v.append(f"{who}: leaves at {r.departure}, before its shift/depot opens")
        load = [0.0] * len(problem.dimensions)
        t = r.departure
        prev = depot.location
        dist = 0
        for pos, idx in enumerate(r.stops):
            if not 0 <= idx < n_stops:
                v.append(f"{who}: unknown stop index {idx}")
                continue
            visits[idx] += 1
            s = problem.stops[idx]
            if s.cold and not vt.cold:
                v.append(f"{who}: carries cold-chain stop {s.stop_id} but is not refrigerated")
            load = [a + b for a, b in zip(load, s.demand, strict=True)]
            t += int(dur[prev, s.location])
            dist += int(problem.distance[prev, s.location])
            if pos < len(r.arrivals) and r.arrivals[pos] != t:
                v.append(f"{who}: reported ETA {r.arrivals[pos]} at stop {s.stop_id}, recomputed {t}")
            start = max(t, s.tw_early)
            if start > s.tw_late:
                v.append(f"{who}: starts stop {s.stop_id} at {start}, after its window closes at {s.tw_late}")
            t = start + s.service
            prev = s.location
        t += int(dur[prev, depot.location])
        dist += int(problem.distance[prev, depot.location])
        if t > min(vt.tw_late, depot.tw_late):
            v.append(f"{who}: back at depot {depot.depot_id} at {t}, after the shift ends "
                     f"{min(vt.tw_late, depot.tw_late)}")
        for dim, used, cap in zip(problem.dimensions, load, vt.capacity, strict=True):
            if used > cap + eps:
                v.append(f"{who}: {dim} load {used:g} exceeds capacity {cap:g}")
        if r.distance != dist:
            v.append(f"{who}: reported distance {r.distance}, recomputed {dist}")
        out.distance += dist
        out.objective += vt.fixed_cost + vt.unit_distance_cost * dist
    for idx, c in visits.items():
        if c > 1:
            v.append(f"stop {problem.stops[idx].stop_id} delivered {c} times")
    unserved = set(plan.unserved)
    for idx in range(n_stops):
        s = problem.stops[idx]
        if idx in visits and idx in unserved:
            v.append(f"stop {s.stop_id} is both routed and reported unserved")
        elif idx not in visits and idx not in unserved:
            v.append(f"stop {s.stop_id} is neither routed nor reported unserved")
        elif idx not in visits and s.required:
            v.append(f"required stop {s.stop_id} is not delivered")
    out.objective += sum(problem.stops[i].penalty for i in unserved if 0 <= i < n_stops)
    if plan.distance != out.distance:
        v.append(f"plan reports distance {plan.distance}, recomputed {out.distance}")
    if plan.objective != out.objective:
        v.append(f"plan reports objective {plan.objective}, recomputed {out.objective}")
    return out
