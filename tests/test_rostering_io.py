"""Curtois & Qu format: parse, write, round-trip, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.rostering.io import InstanceFormatError, format_instance, parse_instance, parse_text

BENCH = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "rostering"

SMALL = """# a hand-written instance
SECTION_HORIZON
7

SECTION_SHIFTS
D,480,
N,600,D|E
E,480,D

SECTION_STAFF
A,D=5|N=2|E=0,2880,960,4,2,2,1
B,D=7|N=0|E=3,2400,0,5,1,1,1

SECTION_DAYS_OFF
A,0,6
B,3

SECTION_SHIFT_ON_REQUESTS
A,2,D,2

SECTION_SHIFT_OFF_REQUESTS
B,4,E,3

SECTION_COVER
0,D,1,100,1
0,N,1,100,1
"""


def test_parse_small_by_hand() -> None:
    inst = parse_text(SMALL, "small.txt", "small")
    assert inst.horizon == 7
    assert inst.shift_ids == ["D", "N", "E"]
    assert inst.shift("N").forbidden_next == frozenset({"D", "E"})
    a, b = inst.staff
    assert a.max_shifts == {"D": 5, "N": 2, "E": 0} and a.max_total_minutes == 2880
    assert (a.max_consecutive_shifts, a.min_consecutive_shifts, a.min_consecutive_days_off, a.max_weekends) == (
        4, 2, 2, 1)
    assert inst.days_off == {"A": {0, 6}, "B": {3}}
    assert [(r.staff, r.day, r.shift, r.weight, r.on) for r in inst.requests] == [
        ("A", 2, "D", 2, True), ("B", 4, "E", 3, False)]
    assert [(c.day, c.slot, c.requirement, c.weight_under, c.weight_over) for c in inst.cover] == [
        (0, "D", 1, 100, 1), (0, "N", 1, 100, 1)]


def test_round_trip_small() -> None:
    inst = parse_text(SMALL)
    again = parse_text(format_instance(inst))
    assert format_instance(again) == format_instance(inst)
    assert again.staff == inst.staff and again.requests == inst.requests and again.cover == inst.cover
    assert again.shifts == inst.shifts and again.days_off == inst.days_off


@pytest.mark.parametrize("n", [1, 2, 4, 5, 7, 8, 10, 11, 12])
def test_round_trip_benchmark(n: int, tmp_path: Path) -> None:
    path = BENCH / f"Instance{n}.txt"
    if not path.exists():
        pytest.skip(f"{path} absent: the shared Curtois & Qu instances are needed (../shared/benchmarks)")
    inst = parse_instance(path)
    out = tmp_path / "copy.txt"
    out.write_text(format_instance(inst))
    again = parse_instance(out)
    assert again.staff == inst.staff and again.requests == inst.requests and again.cover == inst.cover
    assert again.shifts == inst.shifts and again.days_off == inst.days_off and again.horizon == inst.horizon
    # the data lines are the same as the original file's, in order
    def data(text: str) -> list[str]:
        return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert data(out.read_text()) == data(path.read_text())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SMALL.replace("D,480,", "D,48x,"), "line 6: field 'Length' must be an integer, got '48x'"),
        (SMALL.replace("A,D=5|N=2|E=0", "A,D=5|X=2|E=0"), "line 11: field 'MaxShifts' names unknown shift 'X'"),
        (SMALL.replace("B,3", "Z,3"), "line 16: field 'EmployeeID' 'Z' is not in SECTION_STAFF"),
        (SMALL.replace("A,2,D,2", "A,9,D,2"), "line 19: field 'Day' = 9 is past the horizon"),
        (SMALL.replace("0,N,1,100,1", "0,Q,1,100,1"), "line 26: field 'ShiftID' 'Q' is not in SECTION_SHIFTS"),
        (SMALL.replace("SECTION_COVER", "SECTION_COVERS"), "line 24: unknown section 'SECTION_COVERS'"),
    ],
    ids=["length", "maxshifts", "employee", "day", "shift", "section"],
)
def test_errors_name_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(InstanceFormatError) as err:
        parse_text(text, "bad.txt")
    assert str(err.value) == f"bad.txt, {expected}"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InstanceFormatError, match="cannot read the file"):
        parse_instance(tmp_path / "nope.txt")
