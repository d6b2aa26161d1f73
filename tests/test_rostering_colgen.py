"""Column generation over people's rows: the master prices a roster exactly as the validator does (re-planning
changes included), the converged LP and the Lagrangian bound never exceed the brute-force optimum, the dive
returns a roster that keeps every hard rule (its exact tail the optimum when the tail holds everybody), and
``solve`` through column generation reaches the optimum on tiny instances."""

from __future__ import annotations

import time

import pytest

from optimizer.rostering import colgen
from optimizer.rostering.instance import FairnessRule
from optimizer.rostering.lns import construct
from optimizer.rostering.model import solve, use_column_generation
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import check_roster
from tests.test_rostering_model import brute_force, random_instance

SEEDS = [(1, 7, 1), (3, 5, 2), (4, 6, 2), (5, 6, 2), (11, 6, 2)]


def _start(inst):
    start = construct(inst, time.monotonic() + 10, 0)
    assert start is not None and check_roster(inst, start).feasible
    return start


@pytest.mark.parametrize(("seed", "horizon", "shifts"), SEEDS)
def test_master_with_the_start_columns_prices_the_roster_like_the_validator(seed, horizon, shifts) -> None:
    inst = random_instance(seed, horizon, shifts, staff=3)
    start = _start(inst)
    cg = colgen.ColumnGeneration(inst, start, seed=0)
    value, _duals = cg.master.solve_lp(5.0)
    assert value == pytest.approx(check_roster(inst, start).objective)


def test_row_cost_counts_changes_from_the_previous_roster() -> None:
    inst = random_instance(4, 6, 2, staff=3)
    start = _start(inst)
    inst.previous = {e: ["" if s else inst.shift_ids[0] for s in row] for e, row in start.items()}
    inst.change_weight = 7
    cg = colgen.ColumnGeneration(inst, start, seed=0)
    value, _duals = cg.master.solve_lp(5.0)
    assert value == pytest.approx(check_roster(inst, start).objective)
    assert check_roster(inst, start).breakdown["changes"] > 0


@pytest.mark.parametrize(("seed", "horizon", "shifts"), SEEDS)
def test_root_bound_and_dive_against_brute_force(seed, horizon, shifts) -> None:
    inst = random_instance(seed, horizon, shifts, staff=3)
    optimum = brute_force(inst)
    cg = colgen.ColumnGeneration(inst, _start(inst), seed=0)
    cg.root(time.monotonic() + 20)
    assert cg.lower_bound is not None
    assert cg.lower_bound <= cg.lp_value + 1e-6
    assert colgen.ceil_bound(cg.lower_bound) <= optimum
    if cg.converged:
        assert cg.lp_value <= optimum + 1e-6  # the LP relaxation of an exact formulation
    roster = cg.dive(time.monotonic() + 20, tail=0)  # dive to the last person
    report = check_roster(inst, roster)
    assert report.feasible and report.objective >= optimum


@pytest.mark.parametrize(("seed", "horizon", "shifts"), SEEDS[:3])
def test_dive_tail_is_rostered_exactly(seed, horizon, shifts) -> None:
    inst = random_instance(seed, horizon, shifts, staff=3)
    cg = colgen.ColumnGeneration(inst, _start(inst), seed=0)
    cg.root(time.monotonic() + 20)
    roster = cg.dive(time.monotonic() + 20, tail=3)  # everybody is in the tail: one exact solve of all 3
    assert check_roster(inst, roster).feasible and check_roster(inst, roster).objective == brute_force(inst)


@pytest.mark.parametrize(("seed", "horizon", "shifts"), SEEDS[:3])
def test_solve_through_column_generation_reaches_the_optimum(seed, horizon, shifts) -> None:
    inst = random_instance(seed, horizon, shifts, staff=3)
    settings = RosterSettings(time_limit_s=10, seed=0, decomposition="always", lns_step_s=0.5)
    assert use_column_generation(inst, settings)
    plan = solve(inst, settings)
    optimum = brute_force(inst)
    assert plan.objective == optimum and plan.violations == []
    assert plan.bound is not None and plan.bound <= optimum


def test_fairness_rules_keep_the_full_solve() -> None:
    inst = random_instance(7, 6, 2, staff=2)
    inst.fairness = [FairnessRule("nights", "shifts", 7, frozenset({"N"}))]
    assert not colgen.applies(inst)
    assert not use_column_generation(inst, RosterSettings(decomposition="always"))


@pytest.mark.parametrize(("seed", "horizon", "shifts"), SEEDS[:3])
def test_person_gaps_split_the_distance_to_the_bound(seed, horizon, shifts) -> None:
    inst = random_instance(seed, horizon, shifts, staff=3)
    start = _start(inst)
    cg = colgen.ColumnGeneration(inst, start, seed=0)
    assert cg.person_gaps(start) is None  # no bound yet
    cg.root(time.monotonic() + 20)
    gaps = cg.person_gaps(start)
    assert gaps is not None and set(gaps) == set(inst.staff_ids)
    assert all(g >= 0 for g in gaps.values())
    # objective - L(pi) = sum of the people's gaps + the cover slacks' (non-negative) part
    assert sum(gaps.values()) <= check_roster(inst, start).objective - cg.lower_bound + 1e-6
