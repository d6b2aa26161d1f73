"""CP-SAT roster model: brute-force optima on tiny instances, the published Instance1 optimum, symmetry
breaking and role decomposition that keep the optimum, and infeasibility explanations naming rule and person."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import replace
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from optimizer.i18n import in_lang
from optimizer.rostering.cpsat import build_model, identical_groups
from optimizer.rostering.greedy import greedy_roster
from optimizer.rostering.instance import (
    CoverLine,
    FairnessRule,
    Roster,
    RosterInstance,
    ShiftRequest,
    ShiftType,
    Staff,
)
from optimizer.rostering.io import parse_instance
from optimizer.rostering.lns import lns_improve
from optimizer.rostering.model import solve
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import check_roster

BENCH = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "rostering"
FAST = RosterSettings(time_limit_s=20, seed=0)


def random_instance(seed: int, horizon: int, shifts: int, staff: int = 2, roles: int = 1) -> RosterInstance:
    """A tiny random instance with every rule kind active."""
    rng = random.Random(seed)
    ids = ["D", "N"][:shifts]
    types = [ShiftType("D", 480), ShiftType("N", 600, forbidden_next=frozenset({"D"}))][:shifts]
    people = [
        Staff(
            f"P{i}", {s: rng.randint(1, horizon) for s in ids}, max_total_minutes=rng.randint(3, horizon) * 500,
            min_total_minutes=rng.randint(0, 2) * 480, max_consecutive_shifts=rng.randint(2, 4),
            min_consecutive_shifts=rng.randint(1, 2), min_consecutive_days_off=rng.randint(1, 2),
            max_weekends=rng.randint(0, 1), role=f"r{i % roles}" if roles > 1 else "",
        )
        for i in range(staff)
    ]
    days_off = {p.id: {rng.randrange(horizon)} for p in people if rng.random() < 0.5}
    requests = [
        ShiftRequest(p.id, rng.randrange(horizon), rng.choice(ids), rng.randint(1, 3), on=rng.random() < 0.5)
        for p in people for _ in range(3)
    ]
    role_names = [f"r{k}" for k in range(roles)] if roles > 1 else [None]
    cover = [CoverLine(d, s, rng.randint(0, 2), rng.choice([10, 100]), rng.randint(0, 2), role=r)
             for d in range(horizon) for s in ids for r in role_names]
    return RosterInstance(horizon=horizon, shifts=types, staff=people, days_off=days_off, requests=requests,
                          cover=cover, name=f"random{seed}")


def brute_force(inst: RosterInstance) -> int:
    """Optimum by enumerating every roster (each person's rows pre-filtered by the person-level rules)."""
    options = ["", *inst.shift_ids]
    rows: dict[str, list[list[str]]] = {}
    for e in inst.staff:
        alone = replace(inst, staff=[e], cover=[], requests=[], fairness=[])
        rows[e.id] = [list(r) for r in itertools.product(options, repeat=inst.horizon)
                      if check_roster(alone, {e.id: list(r)}).feasible]
    best = None
    for combo in itertools.product(*(rows[e.id] for e in inst.staff)):
        roster: Roster = {e.id: r for e, r in zip(inst.staff, combo, strict=True)}
        report = check_roster(inst, roster)
        if report.feasible and (best is None or report.objective < best):
            best = report.objective
    assert best is not None, "the random instance has no feasible roster"
    return best


@pytest.mark.parametrize(("seed", "horizon", "shifts"), [(1, 7, 1), (2, 7, 1), (3, 5, 2), (4, 6, 2), (5, 6, 2)])
def test_tiny_instances_reach_brute_force_optimum(seed: int, horizon: int, shifts: int) -> None:
    inst = random_instance(seed, horizon, shifts)
    plan = solve(inst, FAST)
    assert plan.status == "optimal"
    assert plan.objective == brute_force(inst)
    assert check_roster(inst, plan.roster).objective == plan.objective and plan.violations == []


def test_fairness_optimum_matches_brute_force() -> None:
    inst = random_instance(7, 6, 2, staff=2)
    inst.fairness = [FairnessRule("nights", "shifts", 7, frozenset({"N"})), FairnessRule("weekends", "weekends", 9)]
    plan = solve(inst, FAST)
    assert plan.status == "optimal" and plan.objective == brute_force(inst)


def test_instance1_published_optimum() -> None:
    path = BENCH / "Instance1.txt"
    if not path.exists():
        pytest.skip(f"{path} absent: the shared Curtois & Qu instances are needed (../shared/benchmarks)")
    inst = parse_instance(path)
    plan = solve(inst, RosterSettings(time_limit_s=30, seed=1))
    assert (plan.status, plan.objective, plan.violations) == ("optimal", 607, [])


def test_symmetry_breaking_keeps_the_optimum() -> None:
    inst = random_instance(11, 7, 1, staff=1)
    p = inst.staff[0]
    inst.staff = [replace(p, id=f"Q{i}") for i in range(3)]  # three interchangeable people
    inst.requests, inst.days_off = [], {}
    assert identical_groups(inst) == [["Q0", "Q1", "Q2"]]
    with_sb = solve(inst, FAST)
    without = solve(inst, FAST.model_copy(update={"symmetry_breaking": False}))
    assert with_sb.status == without.status == "optimal"
    assert with_sb.objective == without.objective


def test_role_decomposition_is_exact() -> None:
    inst = random_instance(13, 7, 2, staff=4, roles=2)
    inst.fairness = [FairnessRule("nights", "shifts", 3, frozenset({"N"}))]
    split = solve(inst, FAST)  # solved per role
    built = build_model(inst)  # the joint model, solved directly
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 20
    solver.parameters.num_workers = 2
    assert solver.Solve(built.model) == cp_model.OPTIMAL
    assert split.status == "optimal" and split.objective == int(solver.ObjectiveValue())


def test_greedy_hint_path_solves_to_the_same_optimum() -> None:
    inst = random_instance(3, 5, 2)
    hint = greedy_roster(inst)
    assert set(hint) == set(inst.staff_ids) and all(len(r) == inst.horizon for r in hint.values())
    plan = solve(inst, FAST.model_copy(update={"greedy_hint": True}))
    assert plan.objective == brute_force(inst) and plan.greedy_objective is not None


def test_infeasible_names_rule_person_and_day() -> None:
    shifts = [ShiftType("D", 480)]
    a = Staff("ANA", {"D": 7}, 7 * 480, 0, 7, 1, 1, 2, role="anaesthesiology")
    inst = RosterInstance(
        horizon=7, shifts=shifts, staff=[a], days_off={"ANA": {3}},
        cover=[CoverLine(d, "D", 1, 100, 1, role="anaesthesiology", minimum=1) for d in range(7)],
    )
    plan = solve(inst, FAST)
    assert plan.status == "infeasible" and plan.objective is None
    text = " | ".join(plan.conflict)  # English text (logs, --json)
    assert "rule 9 days off: ANA is off on days 3" in text
    assert "rule 10 minimum cover: at least 1 of anaesthesiology on D on day 3" in text
    shown = " | ".join(in_lang(c, "es") for c in plan.conflict)  # what HR reads, Spanish first
    assert "regla 9 días de descanso: ANA descansa los días 3" in shown
    assert "regla 10 cobertura mínima: al menos 1 de anaesthesiology en D el día 3" in shown
    assert in_lang(plan.explanation, "es") == "; ".join(in_lang(c, "es") for c in plan.conflict)
    assert len(plan.conflict) == 2  # the deletion pass leaves only the two rules in conflict


def test_status_and_times_are_reported() -> None:
    inst = random_instance(4, 6, 2)
    plan = solve(inst, FAST)
    assert plan.seed == 0 and plan.solve_seconds > 0 and plan.first_feasible_seconds is not None
    assert plan.bound == plan.objective and plan.gap == 0.0


def test_lns_never_worsens_and_keeps_feasibility() -> None:
    inst = random_instance(17, 14, 2, staff=4)
    built = build_model(inst)
    first = cp_model.CpSolver()
    first.parameters.stop_after_first_solution = True
    first.parameters.num_workers = 1
    assert first.Solve(built.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    start = built.roster(first, inst)
    start_obj = check_roster(inst, start).objective
    roster, obj, steps = lns_improve(inst, start, start_obj, time.monotonic() + 3, FAST, lower_bound=0)
    report = check_roster(inst, roster)
    assert steps >= 1 and report.feasible and report.objective == obj <= start_obj


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_longer_minimum_runs_match_brute_force(seed: int) -> None:
    inst = random_instance(seed, 8, 1)
    inst.staff = [replace(e, min_consecutive_shifts=3, min_consecutive_days_off=3, max_consecutive_shifts=5,
                          min_total_minutes=0) for e in inst.staff]
    plan = solve(inst, FAST)
    assert plan.status == "optimal" and plan.objective == brute_force(inst)
