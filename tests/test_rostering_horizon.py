"""Rolling-horizon construction (``horizon.py``): rosters built block by block keep every hard rule of the whole
horizon (checked by the independent validator), including the rules that cross a block boundary (maximum and
minimum runs, minimum rest, forbidden successions), weekends and the exact horizon totals; ``solve`` uses it
only from ``rolling_min_days`` on; Instance20 (182 days) gets a validated roster within 60 s."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from optimizer.rostering.horizon import block_starts, most_work_days, pro_rata, rolling_construct
from optimizer.rostering.instance import CoverLine, RosterInstance, ShiftRequest, ShiftType, Staff
from optimizer.rostering.io import parse_instance, parse_text
from optimizer.rostering.model import solve, use_rolling_horizon
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import check_roster

BENCH = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "rostering"


def _runs(row: list[str]) -> list[tuple[int, int]]:
    """Maximal working runs ``(first day, last day)`` of a row."""
    runs, start = [], None
    for d, s in enumerate([*row, ""]):
        if s and start is None:
            start = d
        elif not s and start is not None:
            runs.append((start, d - 1))
            start = None
    return runs


def generated(seed: int, horizon: int, staff: int) -> RosterInstance:
    """A random instance with every rule kind active and tight: a night that may not be followed by a day,
    runs of 2-4, rests of 2, weekends capped, a minimum of minutes, holidays across block boundaries."""
    rng = random.Random(seed)
    shifts = [ShiftType("D", 480), ShiftType("N", 600, forbidden_next=frozenset({"D"}))]
    people = []
    for i in range(staff):
        work_days = horizon * 4 // 7
        people.append(Staff(
            f"P{i}", {"D": horizon, "N": horizon // 4}, max_total_minutes=(work_days + 2) * 600,
            min_total_minutes=(work_days - 4) * 480, max_consecutive_shifts=rng.randint(3, 4),
            min_consecutive_shifts=2, min_consecutive_days_off=2, max_weekends=horizon // 7 // 2 + 1,
        ))
    days_off = {}
    for e in people:
        a = rng.randrange(horizon - 5)
        days_off[e.id] = set(range(a, a + rng.randint(1, 5)))
    requests = [ShiftRequest(e.id, rng.randrange(horizon), rng.choice("DN"), rng.randint(1, 3), rng.random() < 0.5)
                for e in people for _ in range(4)]
    cover = [CoverLine(d, s, rng.randint(1, staff // 2), 100, 1) for d in range(horizon) for s in "DN"]
    return RosterInstance(horizon=horizon, shifts=shifts, staff=people, days_off=days_off, requests=requests,
                          cover=cover, name=f"gen{seed}")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_block_construction_keeps_every_hard_rule(seed: int) -> None:
    inst = generated(seed, 56, 6)
    roster = rolling_construct(inst, time.monotonic() + 20, seed, block_days=7)
    assert roster is not None
    report = check_roster(inst, roster)
    assert report.feasible, [v.message for v in report.violations]


def test_max_consecutive_rule_across_block_boundaries() -> None:
    # one person asked for every day, at most 3 days in a row, off every Thursday (day 3 of each 7-day block):
    # each block alone would be worked Fri-Sun and Mon-Wed, a run of 6 across every block boundary
    days_off = {d for d in range(42) if d % 7 == 3}
    person = Staff("A", {"D": 42}, 42 * 480, 0, 3, 1, 1, 6)
    cover = [CoverLine(d, "D", 1, 100, 0) for d in range(42)]
    inst = RosterInstance(horizon=42, shifts=[ShiftType("D", 480)], staff=[person], days_off={"A": days_off},
                          cover=cover)
    week = RosterInstance(horizon=7, shifts=[ShiftType("D", 480)], staff=[person], days_off={"A": {3}},
                          cover=cover[:7])
    alone = rolling_construct(week, time.monotonic() + 20, 0, block_days=7)
    assert alone is not None and alone["A"] == ["D", "D", "D", "", "D", "D", "D"]  # the naive block optimum
    roster = rolling_construct(inst, time.monotonic() + 20, 0, block_days=7)
    assert roster is not None
    report = check_roster(inst, roster)
    assert report.feasible, [v.message for v in report.violations]
    assert max(b - a + 1 for a, b in _runs(roster["A"])) <= 3
    assert sum(1 for s in roster["A"] if s) >= 30  # 36 free days, at most 3 of 4 in a row around the Thursdays


def test_minimum_run_and_rest_across_block_boundaries_and_exact_totals() -> None:
    # runs of at least 3 and rests of at least 2, exactly 20 shifts in 35 days, cover wants everybody daily
    staff = [Staff(p, {"D": 35}, 20 * 480, 20 * 480, 5, 3, 2, 5) for p in "AB"]
    inst = RosterInstance(horizon=35, shifts=[ShiftType("D", 480)], staff=staff,
                          days_off={"A": {6, 7}, "B": {13}},
                          cover=[CoverLine(d, "D", 2, 10, 0) for d in range(35)])
    roster = rolling_construct(inst, time.monotonic() + 20, 0, block_days=7)
    assert roster is not None
    report = check_roster(inst, roster)
    assert report.feasible, [v.message for v in report.violations]
    assert all(sum(1 for s in roster[p] if s) == 20 for p in "AB")


TEXT = """SECTION_HORIZON
28

SECTION_SHIFTS
E,480,
L,480,E

SECTION_STAFF
A,E=28|L=10,9600,7200,4,2,2,2
B,E=28|L=10,9600,7200,4,2,2,2
C,E=28|L=10,9600,7200,4,2,2,2

SECTION_DAYS_OFF
A,6,7
B,13,14
C,20

SECTION_SHIFT_ON_REQUESTS
A,8,L,2

SECTION_SHIFT_OFF_REQUESTS
B,5,E,3

SECTION_COVER
""" + "".join(f"{d},E,1,100,1\n{d},L,1,100,1\n" for d in range(28))


def test_parsed_text_instance_a_late_shift_never_followed_by_an_early_one_across_blocks() -> None:
    inst = parse_text(TEXT, "horizon-test.txt")
    roster = rolling_construct(inst, time.monotonic() + 20, 1, block_days=7)
    assert roster is not None
    report = check_roster(inst, roster)
    assert report.feasible, [v.message for v in report.violations]
    for row in roster.values():
        assert not any(row[d] == "L" and row[d + 1] == "E" for d in range(27))


def test_helpers() -> None:
    assert block_starts(182, 28) == [0, 28, 56, 84, 112, 140, 168]
    assert block_starts(30, 28) == [0]  # a 2-day remainder joins the block before
    assert pro_rata(100, 0.25, 5, upper=True) == 30 and pro_rata(100, 0.25, 5, upper=False) == 20
    assert pro_rata(10, 0.95, 3, upper=True) == 10 and pro_rata(10, 0.1, 3, upper=False) == 0
    e = Staff("A", {"D": 10}, 0, 0, 2, 1, 1, 1)
    inst = RosterInstance(horizon=10, shifts=[ShiftType("D", 480)], staff=[e], days_off={"A": {4}})
    assert most_work_days(inst, e, 0, 10) == 3 + 4  # days 0-3: 3 of 4 (runs of 2), days 5-9: 4 of 5


def test_solve_uses_rolling_horizon_only_from_its_threshold() -> None:
    inst = generated(5, 42, 5)
    settings = RosterSettings(time_limit_s=6, seed=0, rolling_min_days=42, rolling_block_days=14, lns_step_s=0.3)
    assert use_rolling_horizon(inst, settings)
    assert not use_rolling_horizon(inst, RosterSettings())  # default threshold 100 days: 1-19 keep their path
    plan = solve(inst, settings)
    assert plan.status == "feasible" and plan.violations == []
    assert plan.first_feasible_seconds is not None and plan.first_feasible_seconds < plan.solve_seconds <= 7
    assert check_roster(inst, plan.roster).objective == plan.objective


@pytest.mark.slow
def test_instance20_gets_a_validated_roster_within_60_s() -> None:
    path = BENCH / "Instance20.txt"
    if not path.exists():
        pytest.skip(f"{path} is absent (needs ../shared/benchmarks/rostering)")
    inst = parse_instance(path)
    plan = solve(inst, RosterSettings(time_limit_s=60, seed=0))
    assert plan.status == "feasible" and plan.solve_seconds < 61
    report = check_roster(inst, plan.roster)
    assert report.feasible and report.objective == plan.objective
