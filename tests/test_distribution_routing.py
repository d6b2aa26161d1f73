"""Routing: engines reach known optima, the validator catches each broken rule, urgent insertion, readers."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.distribution.insertion import insert_urgent
from optimizer.distribution.io import customer_ids_to_stops, read_benchmark, read_solution_routes
from optimizer.distribution.ortools_engine import solve_ortools
from optimizer.distribution.problem import (
    DepotNode,
    RoutingPlan,
    RoutingProblem,
    Stop,
    VehicleType,
    plan_objective,
    simulate,
)
from optimizer.distribution.pyvrp_engine import solve_pyvrp
from optimizer.distribution.validate import validate_routes

BENCH = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "routing"
needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason=f"benchmark folder {BENCH} absent (../shared)")


def tiny_vrptw(seed: int = 3, n: int = 6) -> RoutingProblem:
    """Random 6-customer VRPTW, integer Euclidean distances, travel time = distance, 3 vehicles."""
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 50, size=(n + 1, 2)).astype(float)
    d = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))).astype(np.int64)
    stops = []
    for i in range(1, n + 1):
        early = int(rng.integers(0, 80))
        stops.append(Stop(str(i), i, (float(rng.integers(1, 5)),), early, early + int(rng.integers(30, 90)), 5))
    fleet = VehicleType("v", 0, (8.0,), count=3, tw_early=0, tw_late=300)
    return RoutingProblem("tiny", [DepotNode("0", 0, 0, 300)], stops, [fleet], d, [d.copy()], coords=xy)


def brute_force(p: RoutingProblem) -> int:
    """Optimal distance by enumerating every order of the customers cut into at most 3 feasible routes."""
    n = len(p.stops)
    vt = p.vehicle_types[0]
    best = math.inf
    cache: dict[tuple[int, ...], int | None] = {}

    def route_cost(r: tuple[int, ...]) -> int | None:
        if r not in cache:
            sim = simulate(p, 0, list(r), 0)
            ok = (sum(p.stops[i].demand[0] for i in r) <= vt.capacity[0]
                  and all(s <= p.stops[i].tw_late for i, s in zip(r, sim.service_starts, strict=True))
                  and sim.return_time <= vt.tw_late)
            cache[r] = sim.distance if ok else None
        return cache[r]

    for perm in itertools.permutations(range(n)):
        for cuts in itertools.combinations(range(1, n), 2):
            for k in range(3):  # use 0, 1 or 2 of the two cut points
                for chosen in itertools.combinations(cuts, k):
                    bounds = (0, *chosen, n)
                    total = 0
                    for a, b in itertools.pairwise(bounds):
                        c = route_cost(perm[a:b])
                        if c is None:
                            break
                        total += c
                    else:
                        best = min(best, total)
    return int(best)


def test_small_vrptw_reaches_brute_force_optimum() -> None:
    p = tiny_vrptw()
    opt = brute_force(p)
    for solver in (solve_pyvrp, solve_ortools):
        plan = solver(p, 1.0, 1)
        check = validate_routes(p, plan)
        assert plan.status == "feasible" and check.ok, check.violations
        assert check.distance == plan.distance
        assert check.distance >= opt
    assert solve_pyvrp(p, 1.0, 1).distance == opt


def two_depot_cold_problem() -> RoutingProblem:
    """Two depots, a refrigerated and a dry van at each, cold and dry stops with clinic windows."""
    rng = np.random.default_rng(7)
    xy = np.vstack([[0.0, 0.0], [100.0, 0.0], rng.uniform(-20, 120, size=(10, 2))])
    d = np.round(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))).astype(np.int64)
    depots = [DepotNode("A", 0, 0, 1000), DepotNode("B", 1, 0, 1000)]
    stops = [Stop(f"s{i}", 2 + i, (1.0, 50.0), 100, 700, 10, cold=i % 3 == 0) for i in range(10)]
    fleet = [VehicleType("A-cold", 0, (4.0, 500.0), cold=True, tw_late=1000, fixed_cost=100),
             VehicleType("A-dry", 0, (6.0, 400.0), tw_late=1000, fixed_cost=50),
             VehicleType("B-cold", 1, (4.0, 500.0), cold=True, tw_late=1000, fixed_cost=100),
             VehicleType("B-dry", 1, (6.0, 400.0), tw_late=1000, fixed_cost=50)]
    return RoutingProblem("md", depots, stops, fleet, d, [d.copy()], dimensions=("m3", "kg"),
                          load_scale=(1000.0, 10.0), coords=xy)


@pytest.mark.parametrize("solver", [solve_pyvrp, solve_ortools])
def test_multi_depot_heterogeneous_cold_chain(solver) -> None:
    p = two_depot_cold_problem()
    plan = solver(p, 1.0, 2)
    check = validate_routes(p, plan)
    assert plan.status == "feasible" and check.ok, check.violations
    assert not plan.unserved
    for r in plan.routes:
        if any(p.stops[i].cold for i in r.stops):
            assert p.vehicle_types[r.vehicle_type].cold
    assert check.objective == plan.objective


def valid_plan(p: RoutingProblem) -> RoutingPlan:
    plan = solve_pyvrp(p, 0.5, 1)
    assert validate_routes(p, plan).ok
    return plan


def test_validator_catches_each_broken_rule() -> None:
    p = two_depot_cold_problem()
    plan = valid_plan(p)
    multi = next(r for r in plan.routes if len(r.stops) >= 2)

    def broken(mutate) -> list[str]:
        bad = RoutingPlan(plan.engine, plan.status, [simulate(p, r.vehicle_type, list(r.stops), r.departure)
                                                     for r in plan.routes], list(plan.unserved))
        for r, orig in zip(bad.routes, plan.routes, strict=True):
            r.vehicle_id = orig.vehicle_id
        mutate(bad)
        bad.distance = sum(r.distance for r in bad.routes)
        bad.objective = plan_objective(p, bad)
        return validate_routes(p, bad).violations

    k = plan.routes.index(multi)
    # a delivery made twice
    assert any("delivered 2 times" in v for v in broken(lambda b: b.routes[k].stops.append(multi.stops[0])))
    # a delivery dropped without being reported
    assert any("neither routed" in v for v in broken(lambda b: b.routes[k].stops.pop()))
    # cold stop on a dry vehicle
    cold_route = next(i for i, r in enumerate(plan.routes) if any(p.stops[s].cold for s in r.stops))
    dry_type = next(t for t, vt in enumerate(p.vehicle_types)
                    if not vt.cold and vt.depot == p.vehicle_types[plan.routes[cold_route].vehicle_type].depot)

    def to_dry(b: RoutingPlan) -> None:
        b.routes[cold_route].vehicle_type = dry_type
    assert any("not refrigerated" in v for v in broken(to_dry))
    # window: leave too late
    late = broken(lambda b: setattr(b.routes[k], "departure", 650))
    assert any("window closes" in v for v in late) or any("shift ends" in v for v in late)
    # capacity: triple one stop's demand through a heavier copy of the problem
    heavy = [Stop(s.stop_id, s.location, (s.demand[0] * 10, s.demand[1]), s.tw_early, s.tw_late, s.service, s.cold)
             for s in p.stops]
    p_heavy = RoutingProblem(p.name, p.depots, heavy, p.vehicle_types, p.distance, p.durations, p.dimensions,
                             p.load_scale)
    assert any("m3 load" in v for v in validate_routes(p_heavy, plan).violations)
    # misreported distance and ETA
    assert any("reported distance" in v for v in broken(lambda b: setattr(b.routes[k], "distance", 1)))
    assert any("reported ETA" in v for v in broken(lambda b: b.routes[k].arrivals.__setitem__(0, -5)))
    # more routes than vehicles of a type
    def dup(b: RoutingPlan) -> None:
        extra = simulate(p, multi.vehicle_type, [], multi.departure)
        extra.stops = [b.routes[k].stops.pop()]
        extra.vehicle_id = "ghost"
        b.routes.append(simulate(p, multi.vehicle_type, extra.stops, multi.departure))
        b.routes[-1].vehicle_id = "ghost"
    assert any("only 1 vehicles" in v for v in broken(dup))


def test_impossible_stop_is_explained_not_searched() -> None:
    p = two_depot_cold_problem()
    far = Stop("far", 2, (100.0, 1.0), 0, 1000, 0)
    p.stops.append(far)
    for solver in (solve_pyvrp, solve_ortools):
        plan = solver(p, 0.5, 1)
        assert plan.status == "infeasible"
        assert "stop far" in plan.explanation and "exceeds the vehicle capacity" in plan.explanation


def test_urgent_insertion_keeps_other_routes() -> None:
    p = two_depot_cold_problem()
    plan = valid_plan(p)
    urgent = Stop("urgent", 5, (0.5, 10.0), 100, 700, 10, cold=True)
    p2, plan2, res = insert_urgent(p, plan, urgent, reopt_seconds=0.2)
    check = validate_routes(p2, plan2)
    assert res.inserted and check.ok, check.violations
    new = len(p2.stops) - 1
    touched = [r for r in plan2.routes if new in r.stops]
    assert len(touched) == 1 and p2.vehicle_types[touched[0].vehicle_type].cold
    before = {r.vehicle_id: (r.stops, r.arrivals) for r in plan.routes}
    for r in plan2.routes:
        if new not in r.stops and r.vehicle_id in before:
            assert (r.stops, r.arrivals) == before[r.vehicle_id]
    assert plan2.objective - plan.objective == res.added_cost
    # an order nobody can take is reported, not forced in
    impossible = Stop("huge", 5, (50.0, 10.0), 100, 700, 10, required=False, penalty=10**6)
    p3, plan3, res3 = insert_urgent(p, plan, impossible)
    assert not res3.inserted and validate_routes(p3, plan3).ok
    assert plan3.objective == plan.objective + 10**6


@needs_bench
def test_dimacs_solutions_validate_and_match_bks() -> None:
    """Our Solomon reader + validator reproduce every published DIMACS optimum exactly."""
    import csv

    bks = {r["instance"]: float(r["bks_distance"]) for r in csv.DictReader((BENCH / "BKS.csv").open())
           if r["rounding"] == "dimacs_truncate_1dp"}
    for path in sorted((BENCH / "solomon").glob("*.txt")):
        p = read_benchmark(path)
        routes = customer_ids_to_stops(p, read_solution_routes(BENCH / "solomon" / "sol_dimacs" / f"{path.stem}.sol"))
        plan = RoutingPlan("published", "feasible", [simulate(p, 0, r, 0) for r in routes])
        for k, r in enumerate(plan.routes):
            r.vehicle_id = f"v{k}"
        plan.distance = sum(r.distance for r in plan.routes)
        plan.objective = plan_objective(p, plan)
        check = validate_routes(p, plan)
        assert check.ok, (path.stem, check.violations[:3])
        assert round(check.distance * p.distance_unit, 1) == bks[path.stem]


@needs_bench
def test_route_cli_json_on_c101() -> None:
    res = CliRunner().invoke(app, ["route", "--benchmark", str(BENCH / "solomon" / "C101.txt"),
                                   "--time-limit", "2", "--seed", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["vehicles"] == len(out["routes"]) == 10
    assert sorted(c for r in out["routes"] for c in r) == list(range(1, 101))
    assert out["distance"] == pytest.approx(827.3, abs=0.05)  # DIMACS optimum


@needs_bench
def test_cvrplib_reader_and_bad_file(tmp_path: Path) -> None:
    p = read_benchmark(BENCH / "cvrplib" / "A" / "A-n32-k5.vrp")
    assert len(p.stops) == 31 and p.vehicle_types[0].capacity == (100.0,)
    plan = solve_pyvrp(p, 1.0, 1)
    assert validate_routes(p, plan).ok and plan.distance >= 784
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\n")
    res = CliRunner().invoke(app, ["route", "--benchmark", str(bad), "--json"])
    assert res.exit_code != 0 and "neither a Solomon" in json.loads(res.output)["error"]


def test_distance_matrix_file_overrides_and_bad_rows(tmp_path: Path) -> None:
    from optimizer.distribution.matrix import MatrixFileError, road_km

    good = tmp_path / "m.csv"
    good.write_text("from,to,km\nD001,OCIMB000001,123.4\n")
    lat, lon = np.array([17.0, 17.5]), np.array([-96.7, -96.0])
    km = road_km(["D001", "OCIMB000001"], lat, lon, 1.3, good)
    assert km[0, 1] == 123.4  # the listed pair is replaced
    assert km[1, 0] > 80  # haversine x 1.3 for the pair the file does not list
    bad = tmp_path / "bad.csv"
    bad.write_text("from,to,km\nD001,OCIMB000001,12\nD001,X,-3\n")
    with pytest.raises(MatrixFileError, match=r"bad.csv, row 3, field 'km'"):
        road_km(["D001", "OCIMB000001"], lat, lon, 1.3, bad)
