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
        **dispatch_kpis(plan),
    }


def dispatch_kpis(plan: AllocationPlan) -> dict:
    """Depot dispatch capacity this week: per depot m3 / kg used against the fleet's capacity (all SKUs and
    cold-chain SKUs alone), and which depots' capacity binds (``binding_constraint`` names the constraint)."""
    if plan.dispatch is None:
        return {"dispatch": [], "dispatch_binding": [], "binding_constraint": ""}
    d = plan.dispatch
    rows = [{"depot_id": r.depot_id, "m3": round(float(r.m3), 3), "dispatch_m3": float(r.dispatch_m3),
             "kg": round(float(r.kg), 1), "dispatch_kg": float(r.dispatch_kg),
             "cold_m3": round(float(r.cold_m3), 3), "cold_dispatch_m3": float(r.cold_dispatch_m3),
             "cold_kg": round(float(r.cold_kg), 1), "cold_dispatch_kg": float(r.cold_dispatch_kg),
             "binding": r.binding} for r in d.itertuples(index=False)]
    binding = [f"{r['depot_id']}: {r['binding']}" for r in rows if r["binding"]]
    return {"dispatch": rows, "dispatch_binding": binding,
            "binding_constraint": "depot dispatch capacity" if binding else ""}


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
