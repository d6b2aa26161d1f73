"""LNS over people: the person-by-person construction keeps every hard rule, short-cover detection,
neighbourhoods inside the horizon and role, the sub-model's objective equal to the full objective on the same
roster (fixed people's penalties included, with fairness and re-planning changes), and LNS steps that never
worsen the roster, keep every hard rule and reach the brute-force optimum on a tiny instance."""

from __future__ import annotations

import random
import time
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

from optimizer.rostering.cpsat import build_model
from optimizer.rostering.instance import CoverLine, FairnessRule, Roster, RosterInstance, ShiftType, Staff
from optimizer.rostering.lns import construct, lns_improve, neighbourhood, short_lines, sub_solve
from optimizer.rostering.model import solve
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import check_roster
from tests.test_rostering_model import brute_force, random_instance

FAST = RosterSettings(time_limit_s=20, seed=0, lns_step_s=0.5)


def _first_roster(inst: RosterInstance) -> Roster:
    built = build_model(inst)
    solver = cp_model.CpSolver()
    solver.parameters.stop_after_first_solution = True
    solver.parameters.num_workers = 1
    assert solver.Solve(built.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    return built.roster(solver, inst)


def test_short_lines_by_hand() -> None:
    shifts = [ShiftType("D", 480), ShiftType("G", 1440, covers=("D", "N"))]
    staff = [Staff(f"P{i}", {"D": 3, "G": 3}, 10**5, 0, 7, 1, 1, 2, role=r) for i, r in enumerate("aab")]
    inst = RosterInstance(
        horizon=2, shifts=shifts, staff=staff,
        cover=[CoverLine(0, "D", 2, 100, 1, role="a"), CoverLine(0, "N", 1, 100, 1, role="b"),
               CoverLine(1, "D", 1, 100, 1), CoverLine(1, "N", 1, 100, 1)],
    )
    # day 0: P0 on D (a has 1 of 2), P2 on G fills D and N for role b; day 1: P1 on G fills D and N for anybody
    roster = {"P0": ["D", ""], "P1": ["", "G"], "P2": ["G", ""]}
    assert short_lines(inst, roster) == [(0, "D", "a")]


def test_neighbourhoods_stay_inside_horizon_and_role() -> None:
    inst = random_instance(31, 14, 2, staff=6, roles=2)
    roster = _first_roster(inst)
    rng = random.Random(0)
    role = {e.id: e.role for e in inst.staff}
    kinds = set()
    for _ in range(300):
        kind, free = neighbourhood(inst, roster, rng, 3)
        kinds.add(kind)
        assert free and all(e in role and 0 <= d < inst.horizon for e, d in free)
        if kind != "box":
            assert len({role[e] for e, _ in free}) == 1
    assert {"random", "short line", "box"} <= kinds


def _fairness_replan_instance() -> RosterInstance:
    inst = random_instance(41, 14, 2, staff=6, roles=2)
    inst.fairness = [FairnessRule("nights", "shifts", 7, frozenset({"N"})), FairnessRule("weekends", "weekends", 9)]
    previous = _first_roster(inst)
    return replace(inst, previous=previous, pinned_days=3, change_weight=5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sub_model_objective_equals_full_objective_on_the_same_roster(seed: int) -> None:
    inst = _fairness_replan_instance() if seed == 3 else random_instance(seed, 14, 2, staff=5)
    roster = _first_roster(inst)
    rng = random.Random(seed)
    for _ in range(6):
        _, free = neighbourhood(inst, roster, rng, 2)
        sub = build_model(inst, free=free, fixed=roster)
        for (e, d, s), var in sub.x.items():  # the freed cells keep the roster too
            sub.model.Add(var == (1 if roster[e][d] == s else 0))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.Solve(sub.model) == cp_model.OPTIMAL
        assert round(solver.ObjectiveValue()) == check_roster(inst, roster).objective
        assert sub.roster(solver, inst) == roster


def test_lns_with_fairness_and_changes_never_worsens_and_keeps_feasibility() -> None:
    inst = _fairness_replan_instance()
    start = _first_roster(inst)
    start_obj = check_roster(inst, start).objective
    roster, obj, steps = lns_improve(inst, start, start_obj, time.monotonic() + 2, FAST, lower_bound=0)
    report = check_roster(inst, roster)
    assert steps >= 1 and report.feasible and report.objective == obj <= start_obj


def test_lns_reaches_brute_force_optimum_on_a_tiny_instance() -> None:
    inst = random_instance(4, 6, 2)
    best = brute_force(inst)
    start = _first_roster(inst)
    start_obj = check_roster(inst, start).objective
    # two people: every "random" step frees the whole roster, so the optimum is reachable
    roster, obj, _ = lns_improve(inst, start, start_obj, time.monotonic() + 5, FAST, lower_bound=best)
    assert check_roster(inst, roster).feasible and obj == check_roster(inst, roster).objective == best


@pytest.mark.parametrize("seed", [17, 41])
def test_construct_gives_a_roster_that_keeps_every_hard_rule(seed: int) -> None:
    inst = random_instance(seed, 14, 2, staff=5)
    roster = construct(inst, time.monotonic() + 10, seed=0)
    assert roster is not None and check_roster(inst, roster).feasible


def test_solve_with_the_lns_path_returns_a_validated_roster() -> None:
    inst = random_instance(17, 14, 2, staff=5)
    plan = solve(inst, RosterSettings(time_limit_s=2, seed=0, decomposition="always"))
    report = check_roster(inst, plan.roster)
    assert plan.status in ("optimal", "feasible") and report.feasible and report.objective == plan.objective
    assert plan.first_feasible_seconds is not None and plan.solve_seconds < 4


def test_objective_cap_keeps_the_optimum_and_cuts_below_it() -> None:
    inst = random_instance(3, 5, 2)
    best = brute_force(inst)
    start = _first_roster(inst)
    everybody = {(e, d) for e in inst.staff_ids for d in range(inst.horizon)}
    found = sub_solve(inst, everybody, start, 5.0, 0, cap=best)
    assert found is not None and found[1] == check_roster(inst, found[0]).objective == best
    assert sub_solve(inst, everybody, start, 5.0, 0, cap=best - 1) is None
