"""LNS around the incumbent: short-cover detection, neighbourhoods inside the horizon, the objective cap, and
steps that never worsen the roster and keep every hard rule (also with roles, where staff groups stay in one
role)."""

from __future__ import annotations

import random
import time

from ortools.sat.python import cp_model

from optimizer.rostering.cpsat import build_model
from optimizer.rostering.instance import CoverLine, RosterInstance, ShiftType, Staff
from optimizer.rostering.lns import _cap_objective, lns_improve, neighbourhood, short_lines
from optimizer.rostering.model import _polish
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import validate
from tests.test_rostering_model import brute_force, random_instance

FAST = RosterSettings(time_limit_s=20, seed=0, lns_step_s=0.5)


def _first_roster(inst: RosterInstance):  # noqa: ANN202 - (built model, roster)
    built = build_model(inst)
    solver = cp_model.CpSolver()
    solver.parameters.stop_after_first_solution = True
    solver.parameters.num_workers = 1
    assert solver.Solve(built.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    return built, built.roster(solver, inst)


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
    built, roster = _first_roster(inst)
    rng = random.Random(0)
    role = {e.id: e.role for e in inst.staff}
    kinds = set()
    for _ in range(200):
        kind, free = neighbourhood(inst, roster, rng, FAST)
        kinds.add(kind)
        assert free and all(e in role and 0 <= d < inst.horizon for e, d in free)
        if kind == "staff group":
            assert len({role[e] for e, _ in free}) == 1
    assert {"box", "staff group", "day window"} <= kinds


def test_objective_cap_cuts_below_the_optimum() -> None:
    inst = random_instance(3, 5, 2)
    best = brute_force(inst)
    built = build_model(inst)
    capped = built.model.clone()
    _cap_objective(capped, best)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.Solve(capped) == cp_model.OPTIMAL and round(solver.ObjectiveValue()) == best
    below = built.model.clone()
    _cap_objective(below, best - 1)
    assert solver.Solve(below) == cp_model.INFEASIBLE


def test_lns_with_roles_never_worsens_and_keeps_feasibility() -> None:
    inst = random_instance(41, 14, 2, staff=6, roles=2)
    built, start = _first_roster(inst)
    start_obj = validate(inst, start).objective
    roster, obj, steps = lns_improve(inst, built, start, start_obj, time.monotonic() + 3, FAST, lower_bound=0)
    report = validate(inst, roster)
    assert steps >= 1 and report.feasible and report.objective == obj <= start_obj


def test_lns_reaches_brute_force_optimum_on_a_tiny_instance() -> None:
    inst = random_instance(4, 6, 2)
    best = brute_force(inst)
    built, start = _first_roster(inst)
    start_obj = validate(inst, start).objective
    # two people, six days: every "staff group" step frees the whole roster, so the optimum is reachable
    roster, obj, _ = lns_improve(inst, built, start, start_obj, time.monotonic() + 5, FAST, lower_bound=best)
    assert validate(inst, roster).feasible and obj == validate(inst, roster).objective == best


def test_stalled_lns_stops_and_the_hinted_full_solve_reaches_the_optimum() -> None:
    inst = random_instance(4, 6, 2)
    best = brute_force(inst)
    built, start = _first_roster(inst)
    start_obj = validate(inst, start).objective
    stall = RosterSettings(time_limit_s=20, seed=0, lns_stall_steps=1, lns_step_s=0.2)
    t = time.monotonic()
    roster, obj, steps = lns_improve(inst, built, start, start_obj, t + 10, stall, lower_bound=0)
    assert time.monotonic() - t < 5 and steps >= 1 and validate(inst, roster).objective == obj
    roster, obj, bound, status = _polish(inst, built, stall, roster, obj, 0.0, time.monotonic() + 5)
    assert status == cp_model.OPTIMAL and obj == validate(inst, roster).objective == best == round(bound)
