"""`bienestar route` (public routing benchmarks) and `bienestar distribute` (weekly allocation + daily routes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, ScenarioOption, console, fail, print_json, resolve_inputs, table
from optimizer.distribution.io import BenchmarkFormatError, read_benchmark, routes_to_customer_ids
from optimizer.distribution.routing import solve_routes
from optimizer.distribution.settings import DistributionSettings, RoutingSettings
from optimizer.distribution.validate import validate_routes


def route(
    benchmark: Path = typer.Option(..., "--benchmark", help="Solomon .txt or CVRPLIB .vrp instance file"),
    time_limit: float = typer.Option(10.0, "--time-limit", help="seconds of search"),
    engine: str = typer.Option("pyvrp", "--engine", help="pyvrp | ortools"),
    seed: int = typer.Option(1, "--seed", help="random seed (PyVRP)"),
    as_json: bool = JsonOption,
) -> None:
    """Solve a public VRPTW/CVRP instance; routes use the instance's customer numbers (depot excluded)."""
    if engine not in {"pyvrp", "ortools"}:
        fail(f"--engine must be pyvrp or ortools, not '{engine}'", as_json)
    if time_limit <= 0:
        fail("--time-limit must be positive (seconds)", as_json)
    try:
        problem = read_benchmark(benchmark)
    except BenchmarkFormatError as exc:
        fail(str(exc), as_json)
    plan = solve_routes(problem, RoutingSettings(engine=engine, time_limit=time_limit, seed=seed))
    if plan.status not in {"optimal", "feasible"}:
        fail(f"{problem.name}: {plan.status}: {plan.explanation}", as_json)
    check = validate_routes(problem, plan)
    if not check.ok:
        fail(f"{problem.name}: the {engine} plan failed validation: {'; '.join(check.violations[:5])}", as_json)
    routes = routes_to_customer_ids(problem, [r.stops for r in plan.routes if r.stops])
    distance = round(check.distance * problem.distance_unit, 6)
    if as_json:
        print_json({
            "distance": distance, "vehicles": len(routes), "routes": routes, "instance": problem.name,
            "engine": engine, "seed": seed, "status": plan.status, "convention": problem.convention,
            "solve_seconds": round(plan.solve_seconds, 3),
        })
        return
    console.print(f"{problem.name} ({problem.convention}) {engine} seed {seed}: distance {distance:g}, "
                  f"{len(routes)} vehicles, {plan.status}, {plan.solve_seconds:.1f} s")
    for k, r in enumerate(routes, 1):
        console.print(f"Route #{k}: {' '.join(map(str, r))}")


def distribute(
    dataset: Path | None = typer.Option(None, "--dataset", help="dataset folder (bienestar data generate --out DIR)"),
    scenario: Path | None = ScenarioOption,
    day: str = typer.Option(..., "--day", help="delivery day, YYYY-MM-DD"),
    out: Path | None = typer.Option(None, "--out", help="folder for manifests (CSV, XLSX) and GeoJSON"),
    engine: str | None = typer.Option(None, "--engine", help="pyvrp | ortools (default pyvrp)"),
    time_limit: float | None = typer.Option(None, "--time-limit", help="seconds of routing search per depot (10)"),
    seed: int | None = typer.Option(None, "--seed", help="random seed (1)"),
    distance_matrix: Path | None = typer.Option(
        None, "--distance-matrix", help="CSV from,to,km (depot ids / CLUES) overriding haversine x detour"),
    as_json: bool = JsonOption,
) -> None:
    """Allocate this week's stock under shortage, route the day's deliveries, write manifests and GeoJSON."""
    from optimizer.distribution.matrix import MatrixFileError
    from optimizer.distribution.model import DistributionError, run_distribution

    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        fail(f"--day '{day}' is not a date YYYY-MM-DD", as_json)
    if engine is not None and engine not in {"pyvrp", "ortools"}:
        fail(f"--engine must be pyvrp or ortools, not '{engine}'", as_json)
    sc, dataset = resolve_inputs(dataset, scenario, as_json)
    base = sc.distribution if sc is not None else DistributionSettings(routing=RoutingSettings())
    given = {k: v for k, v in {"engine": engine, "time_limit": time_limit, "seed": seed}.items() if v is not None}
    settings = base.model_copy(update={"routing": base.routing.model_copy(update=given)})
    try:
        result = run_distribution(dataset, when, settings, out, matrix_file=distance_matrix)
    except (DistributionError, MatrixFileError) as exc:
        fail(str(exc), as_json)
    summary = result.summary()
    if as_json:
        print_json(summary)
        return
    alloc = summary["allocation"]
    console.print(f"Allocation {alloc['status']} in {alloc['solve_seconds']:.1f} s: overall fill "
                  f"{alloc['fill_rate']:.1%}, min facility fill {alloc['min_facility_fill']:.1%}, "
                  f"{alloc['units_short']:,} units short")
    console.print(table("Fill rate by criticality", ["criticality", "fill rate", "units short"],
                        [(k, f"{v['fill_rate']:.1%}", v["units_short"]) for k, v in alloc["by_criticality"].items()]))
    console.print(table("Fill rate by state", ["state", "fill rate", "units short"],
                        [(k, f"{v['fill_rate']:.1%}", v["units_short"]) for k, v in alloc["by_state"].items()]))
    rt = summary["routes"]
    console.print(table(
        f"Routes on {day} ({rt['engine']})", ["depot", "status", "vehicles", "stops", "km", "cost MXN", "unserved"],
        [(d["depot_id"], d["status"], d["vehicles"], d["stops"], d["km"], d["cost_mxn"], d["unserved"])
         for d in rt["depots"]],
    ))
    for path in summary.get("files", []):
        console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add `route` and `distribute` to the root command."""
    app.command("route")(route)
    app.command("distribute")(distribute)
