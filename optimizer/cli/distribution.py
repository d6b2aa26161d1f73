"""`bienestar route` (public routing benchmarks) and `bienestar distribute` (weekly allocation + daily routes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from optimizer.cli.common import (
    JsonOption,
    ScenarioOption,
    console,
    err_console,
    fail,
    label,
    print_json,
    resolve_inputs,
    table,
)
from optimizer.distribution.io import BenchmarkFormatError, read_benchmark, routes_to_customer_ids
from optimizer.distribution.kpis import routing_kpis
from optimizer.distribution.routing import solve_routes
from optimizer.distribution.settings import DistributionSettings, RoutingSettings
from optimizer.distribution.validate import validate_routes
from optimizer.i18n import in_lang, t
from optimizer.jsonio import plain

if TYPE_CHECKING:
    from optimizer.distribution.model import DistributionResult
    from optimizer.plan import Run


def route(
    benchmark: Path = typer.Option(..., "--benchmark", help="Solomon .txt or CVRPLIB .vrp instance file"),
    time_limit: float = typer.Option(10.0, "--time-limit", help="seconds of search"),
    engine: str = typer.Option("pyvrp", "--engine", help="pyvrp | ortools"),
    seed: int = typer.Option(1, "--seed", help="random seed (PyVRP)"),
    as_json: bool = JsonOption,
) -> None:
    """Solve a public VRPTW/CVRP instance; routes use the instance's customer numbers (depot excluded)."""
    if engine not in {"pyvrp", "ortools"}:
        fail(t("cli.distribution.engine", engine=engine), as_json)
    if time_limit <= 0:
        fail(t("cli.distribution.time_limit"), as_json)
    try:
        problem = read_benchmark(benchmark)
    except BenchmarkFormatError as exc:
        fail(exc, as_json)
    plan = solve_routes(problem, RoutingSettings(engine=engine, time_limit_s=time_limit, seed=seed))
    if plan.status not in {"optimal", "feasible"}:
        fail(t("cli.distribution.no_plan", name=problem.name, status=label("common.status", plan.status),
               explanation=in_lang(plan.explanation)), as_json)
    check = validate_routes(problem, plan)
    if not check.ok:
        fail(t("cli.distribution.benchmark_invalid", name=problem.name, engine=engine,
               violations="; ".join(check.violations[:5])), as_json)
    routes = routes_to_customer_ids(problem, [r.stops for r in plan.routes if r.stops])
    distance = round(check.distance * problem.distance_unit, 6)
    if as_json:
        print_json({
            "distance": distance, "vehicles": len(routes), "routes": routes, "instance": problem.name,
            "engine": engine, "seed": seed, "status": plan.status, "convention": problem.convention,
            "solve_seconds": round(plan.solve_seconds, 3),
        })
        return
    console.print(t("cli.distribution.benchmark_summary", name=problem.name, convention=problem.convention,
                    engine=engine, seed=seed, distance=f"{distance:g}", vehicles=len(routes),
                    status=label("common.status", plan.status), seconds=f"{plan.solve_seconds:.1f}"))
    for k, r in enumerate(routes, 1):
        console.print(f"Route #{k}: {' '.join(map(str, r))}")


def distribute(
    dataset: Path | None = typer.Option(None, "--dataset", help="dataset folder (bienestar data generate --out DIR)"),
    scenario: Path | None = ScenarioOption,
    day: str = typer.Option(..., "--day", help="delivery day, YYYY-MM-DD"),
    out: Path | None = typer.Option(None, "--out", help="folder for manifests (CSV, XLSX) and GeoJSON"),
    engine: str | None = typer.Option(None, "--engine", help="pyvrp | ortools (default pyvrp)"),
    time_limit: float | None = typer.Option(None, "--time-limit", help="seconds of routing search per depot (10)"),
    seed: int | None = typer.Option(None, "--seed", help="random seed of routing and allocation (1)"),
    distance_matrix: Path | None = typer.Option(
        None, "--distance-matrix", help="CSV from,to,km (depot ids / CLUES) overriding haversine x detour"),
    central_supply: Path | None = typer.Option(
        None, "--central-supply", help="CSV sku,units,expiry_date arriving at the central warehouse this week: "
        "split among depots (storage m3 limits) before the allocation"),
    as_json: bool = JsonOption,
) -> None:
    """Allocate this week's stock under shortage, route the day's deliveries, write manifests and GeoJSON."""
    from optimizer.distribution.central import CentralSupplyError
    from optimizer.distribution.matrix import MatrixFileError
    from optimizer.distribution.model import DistributionError
    from optimizer.distribution.run import run_distribution

    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        fail(t("cli.distribution.bad_day", day=day), as_json)
    if engine is not None and engine not in {"pyvrp", "ortools"}:
        fail(t("cli.distribution.engine", engine=engine), as_json)
    sc, dataset = resolve_inputs(dataset, scenario, as_json)
    base = sc.distribution if sc is not None else DistributionSettings(routing=RoutingSettings())
    given = {k: v for k, v in {"engine": engine, "time_limit_s": time_limit, "seed": seed}.items() if v is not None}
    update = {"routing": base.routing.model_copy(update=given)}
    if seed is not None:  # one seed for the run: routing search and the allocation's HiGHS runs
        update["allocation"] = base.allocation.model_copy(update={"seed": seed})
    settings = base.model_copy(update=update)
    try:
        result = run_distribution(dataset, when, settings, out, matrix_file=distance_matrix,
                                  central_supply=central_supply)
    except (DistributionError, MatrixFileError, CentralSupplyError) as exc:
        fail(exc, as_json)
    if as_json:
        print_json(_distribute_doc(result))
        return
    _print_distribution(result, day)


def _distribute_doc(result: Run[DistributionResult]) -> dict[str, Any]:
    """``distribute --json``: the run's status, validation and one KPI dict (as a scenario run reports them),
    then the detail rows behind them: routes per depot and, with a central supply, its split per depot and
    what stays at the central warehouse."""
    plan = result.plan
    doc: dict[str, Any] = {
        "status": plan.status, "day": plan.day.isoformat(), "week_start": plan.inp.week_start.isoformat(),
        "objective": plan.objective, "explanation": plan.explanation, "solve_seconds": round(plan.solve_seconds, 3),
        "validation": {"violations": result.validation.violations, "objective": result.validation.objective},
        "kpis": result.kpis,
        "depots": [routing_kpis(r.problem, r.plan) | {"depot_id": r.depot_id} for r in plan.routes],
        "files": [str(p) for p in plan.files],
    }
    if plan.central is not None:
        doc["central_by_depot"] = plan.central.by_depot.to_dict(orient="records")
        doc["central_left"] = plan.central.left.to_dict(orient="records")
    return doc


def _print_distribution(result: Run[DistributionResult], day: str) -> None:
    """The console report of ``distribute``: warnings, the central split, the allocation, the day's routes."""
    plan, k = result.plan, result.kpis
    for w in k.get("warnings", []):
        err_console.print(f"[yellow]{t('cli.warning')}[/] {in_lang(w)}")
    if plan.central is not None:
        _print_central(plan, k)
    console.print(t("cli.distribution.allocation", status=label("common.status", k["allocation_status"]),
                    seconds=f"{plan.allocation.solve_seconds:.1f}", fill=f"{k['fill_rate']:.1%}",
                    min_fill=f"{k['min_facility_fill']:.1%}", short=f"{k['units_short']:,}"))
    if plan.explanation:
        console.print(f"[yellow]{in_lang(plan.explanation)}[/]", highlight=False)
    console.print(table(t("cli.distribution.by_criticality"), _heads("criticality", "fill", "short"),
                        [(label("enums.criticality", c), f"{v['fill_rate']:.1%}", v["units_short"])
                         for c, v in k["by_criticality"].items()]))
    console.print(table(t("cli.distribution.by_state"), _heads("state", "fill", "short"),
                        [(s, f"{v['fill_rate']:.1%}", v["units_short"]) for s, v in k["by_state"].items()]))
    depots = [routing_kpis(r.problem, r.plan) | {"depot_id": r.depot_id} for r in plan.routes]
    console.print(table(
        t("cli.distribution.routes", day=day, engine=k["routing_engine"]),
        _heads("depot", "status", "vehicles", "stops", "km", "cost", "unserved"),
        [(d["depot_id"], label("common.status", d["status"]), d["vehicles"], d["stops"], d["km"], d["cost_mxn"],
          d["unserved"])
         for d in depots],
    ))
    for v in result.validation.violations[:5]:
        err_console.print(f"[bold red]{t('cli.failed_validation')}[/] {v}")
    for path in plan.files:
        console.print(t("cli.wrote", None, path=str(path)), highlight=False)


def _print_central(plan: DistributionResult, k: dict[str, Any]) -> None:
    """The central split per depot and what stays at the central warehouse."""
    c = plan.central
    assert c is not None
    for w in k.get("central_warnings", []):
        err_console.print(f"[yellow]{t('cli.warning')}[/] {in_lang(w)}")
    console.print(t("cli.distribution.central", status=label("common.status", k["central_status"]),
                    seconds=f"{c.solve_seconds:.2f}", shipped=f"{k['central_units_shipped']:,}",
                    left=f"{k['central_units_left']:,}", full=f"{k['central_units_left_storage_full']:,}"))
    console.print(table(t("cli.distribution.central_by_depot"),
                        _heads("depot", "units", "dry", "free_dry", "cold", "free_cold", "need", "fill_share"),
                        [(d["depot_id"], d["units"], d["m3"], d["room_m3"], d["cold_m3"], d["cold_room_m3"],
                          d["need"], f"{d['fill']:.1%}") for d in c.by_depot.to_dict(orient="records")]))
    full = [r for r in c.left.to_dict(orient="records") if r["storage_full"] > 0]
    if full:
        console.print(table(t("cli.distribution.left_full"),
                            _heads("sku", "units", "storage_full", "no_need", "expired"),
                            [(r["sku"], r["units"], r["storage_full"], r["no_need"], r["expired"]) for r in full]))


def _heads(*names: str) -> list[str]:
    """Column headings of the distribution report in ``BIENESTAR_LANG``."""
    return [t(f"cli.distribution.col.{n}") for n in names]


def _day_plan_file(folder: Path, day: str | None, as_json: bool) -> Path:
    """The plan_<day>.json in ``folder`` (``--day`` picks one when the folder holds several)."""
    if not folder.is_dir():
        fail(t("cli.distribution.plan_not_folder", folder=str(folder)), as_json)
    if day is not None:
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            fail(t("cli.distribution.bad_day", day=day), as_json)
        return folder / f"plan_{when.isoformat()}.json"
    found = sorted(folder.glob("plan_*.json"))
    if len(found) != 1:
        fail(t("cli.distribution.day_plans", folder=str(folder), count=len(found))
             + t("cli.distribution.run_first" if not found else "cli.distribution.choose_day"), as_json)
    return found[0]


def urgent(
    plan_dir: Path = typer.Option(..., "--plan", help="folder `bienestar distribute --out DIR` wrote"),
    clues: str = typer.Option(..., "--clues", help="CLUES of the receiving facility"),
    item: list[str] = typer.Option([], "--item", help="SKU=UNITS (repeat for several SKUs)"),
    window: str | None = typer.Option(None, "--window", help="delivery window HH:MM-HH:MM (default: opening hours)"),
    cold: bool = typer.Option(False, "--cold", help="needs cold chain (implied by any cold-chain SKU)"),
    m3: float | None = typer.Option(None, "--m3", help="load volume, m3 (overrides the SKUs' volume)"),
    kg: float | None = typer.Option(None, "--kg", help="load weight, kg (overrides the SKUs' weight)"),
    now: str | None = typer.Option(None, "--now", help="time of the call HH:MM: vehicles already on the road keep "
                                   "their departure and the stops reached (default: before any departure)"),
    day: str | None = typer.Option(None, "--day", help="which day's plan, YYYY-MM-DD (when the folder has several)"),
    dataset: Path | None = typer.Option(None, "--dataset", help="dataset folder (default: the one the plan used)"),
    reopt_seconds: float = typer.Option(1.0, "--reopt-seconds", help="seconds to re-optimise the receiving route"),
    as_json: bool = JsonOption,
) -> None:
    """Put an urgent order into the day's published routes: cheapest feasible slot, only that route changes."""
    from optimizer.data.dataset import load_dataset
    from optimizer.distribution.outputs import append_urgent_shipments, write_vehicle_update
    from optimizer.distribution.planfile import PlanFileError, load_day_plan
    from optimizer.distribution.urgent import (
        UrgentOrder,
        UrgentOrderError,
        parse_clock,
        parse_item,
        parse_window,
        place_urgent,
    )

    if reopt_seconds <= 0:
        fail(t("cli.distribution.reopt_positive"), as_json)
    path = _day_plan_file(plan_dir, day, as_json)
    try:
        order = UrgentOrder(clues.strip(), tuple(parse_item(i) for i in item),
                            parse_window(window) if window is not None else None, cold, m3, kg,
                            parse_clock(now) if now is not None else None)
        day_plan = load_day_plan(path)
        root = dataset or day_plan.dataset
        if not (root / "facilities.csv").exists():
            fail(t("cli.distribution.no_facilities", folder=str(root)), as_json)
        ds = load_dataset(root)
        new_day, outcome = place_urgent(day_plan, order, ds.facilities, ds.medicines, reopt_seconds)
    except (UrgentOrderError, PlanFileError) as exc:
        fail(exc, as_json)
    if outcome.inserted and not outcome.violations:
        changed = write_vehicle_update(plan_dir, new_day, outcome.depot_id, outcome.vehicle_id)
        if order.items:
            changed.append(append_urgent_shipments(plan_dir, new_day.day, outcome.depot_id, order.clues,
                                                   outcome.stop_id, order.items))
        outcome.changed_files = [str(p) for p in changed]
    if as_json:
        status = "inserted" if outcome.inserted and not outcome.violations else (
            "invalid" if outcome.inserted else "not_inserted")
        print_json({"status": status, **plain(outcome), "plan_file": str(path)})
    elif outcome.inserted and not outcome.violations:
        console.print(t("cli.urgent.inserted", stop=outcome.stop_id, load=_load_text(outcome),
                        depot=outcome.depot_id, vehicle=outcome.vehicle_id,
                        idle=t("cli.urgent.idle") if outcome.new_vehicle else "", seq=outcome.seq,
                        stops=outcome.route_stops, eta=outcome.eta, unload=outcome.unload_at,
                        km=f"{outcome.extra_km:g}", cost=f"{outcome.extra_cost_mxn:,.2f}",
                        seconds=f"{outcome.solve_seconds:.2f}"), highlight=False)
        for p in outcome.changed_files:
            console.print(t("cli.rewrote", path=p), highlight=False)
    if outcome.inserted and outcome.violations:
        fail(t("cli.urgent.invalid", violations="; ".join(outcome.violations[:5])), as_json)
    if not outcome.inserted:
        if not as_json:
            err_console.print(f"[bold red]{t('cli.urgent.not_inserted')}[/] "
                              + t("cli.urgent.no_vehicle", stop=outcome.stop_id, load=_load_text(outcome),
                                  binding=_binding_text(outcome.binding), why=in_lang(outcome.explanation)),
                              highlight=False)
        raise typer.Exit(1)


def _load_text(outcome: Any) -> str:
    """An urgent order's load as the reader says it: ``0.5 m3, 12 kg, cold chain, window 07:00-19:00``."""
    cold = t("cli.urgent.cold") if outcome.cold else ""
    return t("cli.urgent.load", m3=f"{outcome.m3:g}", kg=f"{outcome.kg:g}", cold=cold, window=outcome.window)


def _binding_text(binding: str) -> str:
    """The binding constraint's name in the reader's language (``fleet`` has its own)."""
    key = "cli.urgent.fleet" if binding == "fleet" else f"models.urgent.rule.{binding.replace(' ', '_')}"
    return t(key)


def check_published(
    plan_dir: Path = typer.Option(..., "--plan", help="folder `bienestar distribute --out DIR` wrote"),
    day: str | None = typer.Option(None, "--day", help="which day's plan, YYYY-MM-DD (when the folder has several)"),
    as_json: bool = JsonOption,
) -> None:
    """Re-check the published day from its files alone: routes, shipments vs the day plan, manifests."""
    from optimizer.distribution.planfile import PlanFileError, load_day_plan
    from optimizer.distribution.published import validate_published

    path = _day_plan_file(plan_dir, day, as_json)
    try:
        when = load_day_plan(path).day
        violations = validate_published(plan_dir, when)
    except PlanFileError as exc:
        fail(exc, as_json)
    if as_json:
        print_json({"status": "ok" if not violations else "violations", "day": when.isoformat(),
                    "plan_file": str(path), "violations": violations})
    elif not violations:
        console.print(t("cli.published.agree", folder=str(plan_dir), day=when.isoformat()), highlight=False)
    else:
        err_console.print(f"[bold red]{t('cli.published.problems', count=len(violations))}[/] "
                          + t("cli.published.in_files", day=when.isoformat()))
        for v in violations[:20]:
            err_console.print(f"  {v}", markup=False, highlight=False)
    if violations:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `route`, `distribute`, `urgent` and `check-published` to the root command."""
    app.command("route")(route)
    app.command("distribute")(distribute)
    app.command("urgent")(urgent)
    app.command("check-published")(check_published)
