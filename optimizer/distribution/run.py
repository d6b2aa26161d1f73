"""One distribution run end to end: input (with the central split), allocation, routes, independent checks,
the one KPI dict and the plan tables; :func:`run_distribution` also writes the published files.

The CLI (``bienestar distribute``), the scenario stage and the API call these, so they report the same
numbers. The model (:mod:`.model`) returns data; :mod:`.outputs` writes it (no import cycle).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.data.dataset import load_dataset
from optimizer.distribution.kpis import allocation_kpis, routing_kpis
from optimizer.distribution.model import DistributionError, DistributionInput, DistributionResult, load_input, solve
from optimizer.distribution.outputs import manifest_rows, write_outputs
from optimizer.distribution.problem import route_cost
from optimizer.distribution.settings import DistributionSettings
from optimizer.distribution.validate import validate_allocation, validate_routes
from optimizer.plan import Run, Validation


def validate(inp: DistributionInput, plan: DistributionResult, settings: DistributionSettings | None = None
             ) -> Validation:
    """Every independent check of a distribution plan, recomputed from the plan's tables and routes: the
    central split's, the allocation's (stock, capacity, eligibility, whole units) and each depot's routes'.
    ``objective`` is the day's routing cost recomputed from the routes, MXN."""
    v = [f"central split: {x}" for x in plan.central_violations]
    if len(plan.allocation.shipments):
        v.extend(validate_allocation(inp.allocation, plan.allocation.shipments).violations)
    for r in plan.routes:
        v.extend(f"depot {r.depot_id}: {x}" for x in validate_routes(r.problem, r.plan).violations)
    return Validation(v, plan.objective)


def kpis(inp: DistributionInput, plan: DistributionResult, settings: DistributionSettings | None = None
         ) -> dict[str, Any]:
    """The one KPI dict of a distribution plan: the day, the central split (units shipped and left), the
    allocation (status, fill rates by criticality and group) and the day's routes (vehicles, stops, km, MXN)."""
    out: dict[str, Any] = {"day": plan.day.isoformat()}
    if plan.central is not None:
        c = plan.central
        out.update({"central_status": c.status, "central_units_shipped": int(c.split["units"].sum()),
                    "central_units_left": int(c.left["units"].sum()) if len(c.left) else 0,
                    "central_units_left_storage_full": int(c.left["storage_full"].sum()) if len(c.left) else 0,
                    "central_warnings": plan.central_warnings})
    alloc = plan.allocation
    planned = alloc.status in ("optimal", "feasible")
    out["allocation_status"] = alloc.status
    out.update(allocation_kpis(inp.allocation, alloc, inp.facilities) if planned else {})
    if inp.warnings:
        out["warnings"] = inp.warnings
    if planned:
        depots = [routing_kpis(r.problem, r.plan) for r in plan.routes]
        out.update({
            "routing_engine": inp.settings.routing.engine, "depots_routed": len(depots),
            "vehicles": sum(d["vehicles"] for d in depots), "stops": sum(d["stops"] for d in depots),
            "km": sum(d["km"] for d in depots), "cost_mxn": sum(d["cost_mxn"] for d in depots),
            "unserved_stops": sum(d["unserved"] for d in depots), "note": plan.note,
        })
    return out


def run_tables(plan: DistributionResult) -> dict[str, pd.DataFrame]:
    """The plan as tables: ``central_split`` (when a central supply was split), ``lines`` and ``shipments``
    (units per facility x SKU x lot), ``dispatch`` (when the dispatch capacity was modelled), ``manifest``,
    ``route_stops`` and ``routes`` (km, MXN per vehicle)."""
    tables: dict[str, pd.DataFrame] = {}
    if plan.central is not None:
        tables["central_split"] = plan.central.split
    tables.update({"lines": plan.allocation.lines, "shipments": plan.allocation.shipments})
    if plan.allocation.dispatch is not None:
        tables["dispatch"] = plan.allocation.dispatch
    manifests, stops, routes_rows = [], [], []
    for r in plan.routes:
        manifests.extend(manifest_rows(r.problem, r.depot_id, r.plan.routes))
        for route in r.plan.routes:
            if not route.stops:
                continue
            routes_rows.append((r.depot_id, route.vehicle_id, len(route.stops),
                                route.distance * r.problem.distance_unit,
                                route_cost(r.problem, route) * r.problem.cost_unit))
            for seq, idx in enumerate(route.stops, 1):
                stops.append((r.depot_id, route.vehicle_id, seq, r.problem.stops[idx].facility))
    tables["manifest"] = pd.DataFrame(manifests)
    tables["route_stops"] = pd.DataFrame(stops, columns=["depot_id", "vehicle_id", "seq", "clues"])
    tables["routes"] = pd.DataFrame(routes_rows, columns=["depot_id", "vehicle_id", "stops", "km", "cost_mxn"])
    return tables


def run(inp: DistributionInput, settings: DistributionSettings | None = None) -> Run[DistributionResult]:
    """Solve ``inp``, check every part independently, and measure it."""
    plan = solve(inp, settings)
    inp = plan.inp
    check = validate(inp, plan, inp.settings)
    k = kpis(inp, plan, inp.settings)
    log = [f"distribution: allocation {plan.allocation.status} (fill rate {k.get('fill_rate', 0):.3f}), "
           f"{k.get('vehicles', 0)} vehicles, {k.get('km', 0):,.0f} km on {plan.day}"]
    return Run(plan, check, k, run_tables(plan), log)


def run_distribution(dataset: Path, day: dt.date, settings: DistributionSettings | None = None,
                     out: Path | None = None, matrix_file: Path | None = None,
                     central_supply: Path | None = None) -> Run[DistributionResult]:
    """Load the dataset, (split ``central_supply`` among depots,) allocate the week, route ``day``, validate
    every stage (:func:`run`), write outputs to ``out``; the run's plan carries the files written and the
    wall time of the whole call (s). Raises :class:`DistributionError` when the allocation gives no plan
    (``bienestar distribute``)."""
    t0 = time.perf_counter()
    try:
        ds = load_dataset(dataset)
    except FileNotFoundError as exc:
        raise DistributionError(str(exc)) from exc
    inp = load_input(ds, day, settings, matrix_file, central_supply=central_supply)
    done = run(inp)
    result = done.plan
    if result.allocation.status not in {"optimal", "feasible"}:
        raise DistributionError(f"allocation {result.allocation.status}: {result.allocation.explanation}")
    if out is not None:
        result.files = write_outputs(result, out)
    result.solve_seconds = time.perf_counter() - t0
    return done
