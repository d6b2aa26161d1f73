"""Numbers a logistics planner reads: fill rates (by facility, state, criticality), units short, routes."""

from __future__ import annotations

import pandas as pd

from optimizer.distribution.allocation import AllocationInput, AllocationPlan
from optimizer.distribution.problem import RoutingPlan, RoutingProblem, route_cost


def allocation_kpis(inp: AllocationInput, plan: AllocationPlan, facilities: pd.DataFrame) -> dict:
    """Fill rate = mean over order lines of shipped / need (unit-free); units short = need - shipped."""
    lines = plan.lines[plan.lines["need"] > 0].copy()
    lines["short"] = (lines["need"] - lines["shipped"]).clip(lower=0)
    state = facilities.set_index("clues")["cve_ent"]
    lines["state"] = lines["clues"].map(state)

    def group(col: str) -> dict:
        g = lines.groupby(col)
        return {str(k): {"fill_rate": round(float(v["fill"].mean()), 4), "units_short": int(round(v["short"].sum())),
                         "lines": len(v)} for k, v in g}

    fac = lines.groupby("clues")["fill"].mean()
    sup = lines[lines["suppliable"]]
    return {
        "lines": len(lines), "facilities": int(lines["clues"].nunique()),
        "units_needed": int(round(lines["need"].sum())), "units_shipped": int(round(lines["shipped"].sum())),
        "units_short": int(round(lines["short"].sum())),
        "fill_rate": round(float(lines["fill"].mean()), 4) if len(lines) else 1.0,
        "min_facility_fill": round(float(sup.groupby("clues")["fill"].mean().min()), 4) if len(sup) else 1.0,
        "facilities_below_50pct": int((fac < 0.5).sum()),
        "unsuppliable_lines": int((~lines["suppliable"]).sum()),
        "by_criticality": group("criticality"), "by_state": group("state"),
    }


def routing_kpis(problem: RoutingProblem, plan: RoutingPlan) -> dict:
    """Vehicles, stops, km and cost of one routing plan, plus what was left unserved and why."""
    used = [r for r in plan.routes if r.stops]
    return {
        "status": plan.status, "engine": plan.engine, "vehicles": len(used),
        "stops": sum(len(r.stops) for r in used),
        "km": round(plan.distance * problem.distance_unit, 1),
        "cost_mxn": round(sum(route_cost(problem, r) for r in used) * problem.cost_unit, 2),
        "unserved": len(plan.unserved),
        "unserved_reasons": {problem.stops[i].stop_id: plan.unserved_reasons.get(i, "") for i in plan.unserved},
        "solve_seconds": round(plan.solve_seconds, 3), "explanation": plan.explanation,
    }
