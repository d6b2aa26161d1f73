"""The independent validator catches each broken hard rule on hand-made rosters and recomputes the objective."""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimizer.rostering.instance import CoverLine, FairnessRule, RosterInstance, ShiftRequest, ShiftType, Staff
from optimizer.rostering.validate import check_roster

A = Staff("A", {"D": 10, "N": 3}, max_total_minutes=5760, min_total_minutes=1920, max_consecutive_shifts=5,
          min_consecutive_shifts=2, min_consecutive_days_off=2, max_weekends=1)


def base() -> RosterInstance:
    shifts = [ShiftType("D", 480), ShiftType("N", 600, forbidden_next=frozenset({"D"}))]
    return RosterInstance(horizon=14, shifts=shifts, staff=[A])


def row(text: str) -> list[str]:
    """'DDD....' -> ['D', 'D', 'D', '', ...] (one character per day, '.' = off)."""
    return ["" if ch == "." else ch for ch in text]


GOOD = "DDD....DDD...."


def test_good_roster_is_feasible() -> None:
    assert check_roster(base(), {"A": row(GOOD)}).violations == []


@pytest.mark.parametrize(
    ("roster", "rule"),
    [
        ("DND....DDD....", "2 shift rotation"),
        ("DDN....NNN....", "3 max shifts per type"),
        ("DDD....DDDDDD.", "5 max consecutive shifts"),
        ("DDD....D......", "6 min consecutive shifts"),
        ("DDD.DDD.......", "7 min consecutive days off"),
        ("DDD..DD.....DD", "8 max weekends"),
    ],
)
def test_each_sequence_rule_is_caught(roster: str, rule: str) -> None:
    rules = {v.rule for v in check_roster(base(), {"A": row(roster)}).violations}
    assert rules == {rule}


def test_edge_runs_are_not_checked_against_minimums() -> None:
    # 1-day runs of work at the start and at the end touch the horizon's edges: allowed
    inst = base()
    inst.staff = [replace(A, max_weekends=2)]
    assert check_roster(inst, {"A": row("D....DDD.....D")}).violations == []
    # and a 1-day rest at the end too
    assert check_roster(inst, {"A": row("DD...DDD...DD.")}).violations == []


def test_total_minutes_both_ways() -> None:
    inst = base()
    inst.staff = [replace(A, max_total_minutes=2400)]
    assert {v.rule for v in check_roster(inst, {"A": row(GOOD)}).violations} == {"4 total minutes"}
    inst.staff = [replace(A, min_total_minutes=3000)]
    assert {v.rule for v in check_roster(inst, {"A": row(GOOD)}).violations} == {"4 total minutes"}


def test_days_off_minimum_cover_published_cells_and_shape() -> None:
    inst = base()
    inst.days_off = {"A": {8}}
    v = check_roster(inst, {"A": row(GOOD)}).violations
    assert [(x.rule, x.staff, x.day) for x in v] == [("9 days off", "A", 8)]

    inst = base()
    inst.cover = [CoverLine(0, "D", 2, 100, 1, minimum=2)]
    v = check_roster(inst, {"A": row(GOOD)}).violations
    assert [(x.rule, x.day) for x in v] == [("10 minimum cover", 0)]

    inst = base()
    inst.previous, inst.pinned_days = {"A": row("N.............")}, 1
    v = check_roster(inst, {"A": row(GOOD)}).violations
    assert [(x.rule, x.day) for x in v] == [("11 published cell", 0)]
    inst.days_off = {"A": {0}}  # a sick call on a published day: the cell must now be a day off
    assert [x.rule for x in check_roster(inst, {"A": row(".DD....DDD....")}).violations] == []

    v = check_roster(base(), {"A": row("DDX....DDD....")}).violations
    assert "1 one shift per day" in {x.rule for x in v}
    v = check_roster(base(), {"A": row("DDD")}).violations
    assert "1 one shift per day" in {x.rule for x in v}


def test_objective_recomputed_by_hand() -> None:
    b = replace(A, id="B")
    inst = base()
    inst.staff = [A, b]
    inst.requests = [
        ShiftRequest("A", 0, "D", 3, on=True),  # met: 0
        ShiftRequest("A", 4, "D", 2, on=True),  # A is off on day 4: 2
        ShiftRequest("B", 0, "N", 5, on=False),  # B works D, not N: 0
        ShiftRequest("B", 7, "D", 7, on=False),  # B works D on day 7: 7
    ]
    inst.cover = [
        CoverLine(0, "D", 3, 100, 1),  # 2 on D: 1 short -> 100
        CoverLine(1, "D", 1, 100, 1),  # 2 on D: 1 over -> 1
        CoverLine(2, "N", 1, 100, 1),  # nobody on N: 100
    ]
    inst.fairness = [FairnessRule("nights", "shifts", 4, frozenset({"N"})), FairnessRule("weekends", "weekends", 6)]
    roster = {"A": row("DDD....NNN...."), "B": row("DDD..DDDDD....")}
    report = check_roster(inst, roster)
    assert report.violations == []
    assert report.breakdown == {
        "shift_on_requests": 2,
        "shift_off_requests": 7,
        "cover_under": 200,
        "cover_over": 1,
        "fairness_nights": 4 * 3,  # A 3 nights, B 0
        "fairness_weekends": 6 * 1,  # A 0 weekends, B 1
    }
    assert report.objective == 2 + 7 + 200 + 1 + 12 + 6
