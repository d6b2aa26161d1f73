"""Distribution stage: the week's allocation under shortage (lexicographic LP), then the first delivery
day's routes per depot (PyVRP or OR-Tools), each checked by the distribution package's validators.

The week planned starts on the first Monday of the scenario's ``planning_month`` in ``planning_year``;
demand history is the run's medicine demand (after the scenario's multipliers), so a flu season or a
closed depot shows up in fill rates, kilometres and cost. When the scenario's ``distribution.central_supply``
lists lots, they are first split among the depots within their storage (checked by the central validator)
and the week is allocated with them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from optimizer.distribution.allocation import solve_allocation
from optimizer.distribution.central import central_lots
from optimizer.distribution.kpis import allocation_kpis, routing_kpis
from optimizer.distribution.model import DistributionInput, plan_day, with_central_supply
from optimizer.distribution.outputs import manifest_rows
from optimizer.distribution.problem import route_cost
from optimizer.distribution.validate import validate_allocation
from optimizer.scenarios.stage import RunContext, StageOutput, status_of


def planning_day(year: int, month: int) -> dt.date:
    """First Monday of ``month`` in ``year`` (the week the run allocates; its Monday is routed)."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def run(ctx: RunContext) -> StageOutput:
    """Allocate the planning week's stock and route its first delivery day."""
    s = ctx.scenario.distribution
    day = planning_day(ctx.scenario.planning_year, ctx.scenario.planning_month)
    kpis: dict = {"day": day.isoformat()}
    tables: dict[str, pd.DataFrame] = {}
    violations: list[str] = []
    if s.central_supply:
        lots = central_lots(s.central_supply, ctx.dataset.medicines)
        inp, central, check, ci = with_central_supply(ctx.dataset, day, s, lots, weekly=ctx.demand.medicine_weekly)
        violations.extend(f"central split: {v}" for v in check.violations)
        tables["central_split"] = central.split
        kpis.update({"central_status": central.status, "central_units_shipped": int(central.split["units"].sum()),
                     "central_units_left": int(central.left["units"].sum()) if len(central.left) else 0,
                     "central_units_left_storage_full":
                         int(central.left["storage_full"].sum()) if len(central.left) else 0,
                     "central_warnings": ci.warnings})
    else:
        inp = DistributionInput.from_dataset(ctx.dataset, day, s, weekly=ctx.demand.medicine_weekly)
    alloc = solve_allocation(inp.allocation, s.allocation)
    violations.extend(validate_allocation(inp.allocation, alloc.shipments).violations if len(alloc.shipments) else [])
    planned = alloc.status in ("optimal", "feasible")  # feasible: the full LP stopped early, plan at hand
    kpis["allocation_status"] = alloc.status
    kpis.update(allocation_kpis(inp.allocation, alloc, inp.facilities) if planned else {})
    if inp.warnings:
        kpis["warnings"] = inp.warnings
    tables.update({"lines": alloc.lines, "shipments": alloc.shipments})
    if alloc.dispatch is not None:
        tables["dispatch"] = alloc.dispatch
    statuses = [alloc.status]
    manifests, stops, routes_rows = [], [], []
    if planned:
        routes, note = plan_day(inp, alloc, day)
        depot_kpis = []
        for r in routes:
            statuses.append(r.plan.status)
            violations.extend(f"depot {r.depot_id}: {v}" for v in r.violations)
            depot_kpis.append(routing_kpis(r.problem, r.plan) | {"depot_id": r.depot_id})
            manifests.extend(manifest_rows(r.problem, r.depot_id, r.plan.routes))
            for route in r.plan.routes:
                if not route.stops:
                    continue
                routes_rows.append((r.depot_id, route.vehicle_id, len(route.stops),
                                    route.distance * r.problem.distance_unit,
                                    route_cost(r.problem, route) * r.problem.cost_unit))
                for seq, idx in enumerate(route.stops, 1):
                    stops.append((r.depot_id, route.vehicle_id, seq, r.problem.stops[idx].facility))
        kpis.update({
            "routing_engine": s.routing.engine, "depots_routed": len(depot_kpis),
            "vehicles": sum(d["vehicles"] for d in depot_kpis), "stops": sum(d["stops"] for d in depot_kpis),
            "km": sum(d["km"] for d in depot_kpis), "cost_mxn": sum(d["cost_mxn"] for d in depot_kpis),
            "unserved_stops": sum(d["unserved"] for d in depot_kpis), "note": note,
        })
    tables["manifest"] = pd.DataFrame(manifests)
    tables["route_stops"] = pd.DataFrame(stops, columns=["depot_id", "vehicle_id", "seq", "clues"])
    tables["routes"] = pd.DataFrame(routes_rows, columns=["depot_id", "vehicle_id", "stops", "km", "cost_mxn"])
    status = status_of(statuses)
    log = [f"distribution: allocation {alloc.status} (fill rate {kpis.get('fill_rate', 0):.3f}), "
           f"{kpis.get('vehicles', 0)} vehicles, {kpis.get('km', 0):,.0f} km on {day}"]
    return StageOutput(status, kpis, tables, violations, alloc.explanation or None, log)
