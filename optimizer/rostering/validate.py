"""Independent roster validator: every hard rule and the objective, recomputed from a roster alone.

It reads only the ``RosterInstance`` and the roster (staff id -> shift id or ``""`` per day); it shares no code
with the CP-SAT model, so a modelling error shows up as a disagreement between the two. The hard rules are
numbered as in the benchmark README (1-9) plus the hospital extensions (10 hard minimum cover, 11 pinned
published cells).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from optimizer.plan import Validation
from optimizer.rostering.instance import FairnessRule, Roster, RosterInstance, Staff


class RosterPlanLike(Protocol):
    """Any plan carrying a roster (staff id -> shift id or ``""`` per day), e.g. ``model.RosterPlan``."""

    roster: Roster


@dataclass(frozen=True)
class Violation:
    """One broken hard rule, naming the person and/or day concerned."""

    rule: str
    message: str
    staff: str | None = None
    day: int | None = None


@dataclass
class RosterCheck:
    """Result of validating a roster: violations (empty = feasible), objective and its breakdown."""

    violations: list[Violation] = field(default_factory=list)
    objective: int = 0
    breakdown: dict[str, int] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.violations


def _runs(flags: list[bool], value: bool) -> list[tuple[int, int]]:
    """Maximal runs ``(start, end)`` (inclusive) of ``value`` in ``flags``."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for d, f in enumerate(flags + [not value]):
        if f == value and start is None:
            start = d
        elif f != value and start is not None:
            runs.append((start, d - 1))
            start = None
    return runs


def pinned_cell(inst: RosterInstance, person: str, day: int) -> str | None:
    """The shift a published (pinned) cell must keep, or None when the cell is free.

    A pinned cell keeps what the previous roster said, except on the person's hard days off (a sick call in
    the published period), where it must be a day off.
    """
    if inst.previous is None or day >= inst.pinned_days or person not in inst.previous:
        return None
    if day in inst.days_off.get(person, set()):
        return ""
    return inst.previous[person][day]


def fairness_members(inst: RosterInstance, staff: list[Staff], kind: str, shifts: frozenset[str]) -> list[Staff]:
    """People of one role that a fairness rule compares: those who may work at least one counted shift."""
    if kind == "weekends":
        return [e for e in staff if e.max_weekends > 0]
    return [e for e in staff if any(e.max_shifts.get(s, 0) > 0 for s in shifts)]


def _check_person(inst: RosterInstance, e: Staff, row: list[str], out: list[Violation]) -> None:
    """Every rule on one person's row (rules 2-9 and 11), in rule order."""
    work = [bool(x) for x in row]
    _check_rotation(inst, e, row, out)
    _check_shift_counts_and_minutes(inst, e, row, out)
    _check_runs(inst.horizon, e, work, out)
    _check_weekends(inst.horizon, e, work, out)
    for d in sorted(inst.days_off.get(e.id, set())):
        if d < inst.horizon and work[d]:
            out.append(Violation("9 days off", f"{e.id}: works {row[d]} on day off {d}", e.id, d))
    for d in range(inst.horizon):
        want = pinned_cell(inst, e.id, d)
        if want is not None and row[d] != want:
            out.append(
                Violation("11 published cell", f"{e.id}: day {d} is published as {want or 'off'!r}", e.id, d)
            )


def _check_rotation(inst: RosterInstance, e: Staff, row: list[str], out: list[Violation]) -> None:
    """Rule 2: no shift followed the next day by a shift it forbids."""
    forbidden = {s.id: s.forbidden_next for s in inst.shifts}
    for d in range(inst.horizon - 1):
        a, b = row[d], row[d + 1]
        if a and b and b in forbidden[a]:
            out.append(Violation("2 shift rotation", f"{e.id}: {b} on day {d + 1} may not follow {a}", e.id, d + 1))


def _check_shift_counts_and_minutes(inst: RosterInstance, e: Staff, row: list[str], out: list[Violation]) -> None:
    """Rules 3 and 4: shifts of each type at most the person's maximum; total minutes within the limits."""
    lengths = {s.id: s.length for s in inst.shifts}
    for sid in inst.shift_ids:
        n = sum(1 for x in row if x == sid)
        cap = e.max_shifts.get(sid, 0)
        if n > cap:
            out.append(Violation("3 max shifts per type", f"{e.id}: {n} {sid} shifts > max {cap}", e.id))
    minutes = sum(lengths[x] for x in row if x)
    if minutes > e.max_total_minutes:
        out.append(Violation("4 total minutes", f"{e.id}: {minutes} min > max {e.max_total_minutes}", e.id))
    if minutes < e.min_total_minutes:
        out.append(Violation("4 total minutes", f"{e.id}: {minutes} min < min {e.min_total_minutes}", e.id))


def _check_runs(H: int, e: Staff, work: list[bool], out: list[Violation]) -> None:
    """Rules 5-7: runs of days on at most the maximum and (inside the horizon) at least the minimum; runs of
    days off (inside the horizon) at least the minimum."""
    for a, b in _runs(work, True):
        length = b - a + 1
        if length > e.max_consecutive_shifts:
            out.append(
                Violation("5 max consecutive shifts", f"{e.id}: {length} days on from day {a}", e.id, a)
            )
        if a > 0 and b < H - 1 and length < e.min_consecutive_shifts:
            out.append(
                Violation("6 min consecutive shifts", f"{e.id}: only {length} days on from day {a}", e.id, a)
            )
    for a, b in _runs(work, False):
        length = b - a + 1
        if a > 0 and b < H - 1 and length < e.min_consecutive_days_off:
            out.append(
                Violation("7 min consecutive days off", f"{e.id}: only {length} days off from day {a}", e.id, a)
            )


def _weekends_worked(H: int, work: list[bool]) -> int:
    """Weekends (days 5-6 of each week) with at least one day worked."""
    return sum(1 for w in range((H + 6) // 7) if any(d < H and work[d] for d in (7 * w + 5, 7 * w + 6)))


def _check_weekends(H: int, e: Staff, work: list[bool], out: list[Violation]) -> None:
    """Rule 8: weekends worked at most the person's maximum."""
    weekends = _weekends_worked(H, work)
    if weekends > e.max_weekends:
        out.append(Violation("8 max weekends", f"{e.id}: {weekends} weekends worked > max {e.max_weekends}", e.id))


def check_roster(inst: RosterInstance, roster: Roster) -> RosterCheck:
    """Check every hard rule of ``inst`` on ``roster`` and recompute the objective from scratch (the rules as
    :class:`Violation` records; the solver's own steps call this on partial rosters too)."""
    report = RosterCheck()
    out = report.violations
    rows = _rows(inst, roster, out)
    under, over = _cover(inst, rows, out)
    on = sum(r.weight for r in inst.requests if r.on and rows[r.staff][r.day] != r.shift)
    off = sum(r.weight for r in inst.requests if not r.on and rows[r.staff][r.day] == r.shift)
    report.breakdown = {"shift_on_requests": on, "shift_off_requests": off, "cover_under": under, "cover_over": over}
    by_role: dict[str, list[Staff]] = defaultdict(list)
    for e in inst.staff:
        by_role[e.role].append(e)
    for rule in inst.fairness:
        report.breakdown[f"fairness_{rule.name}"] = _fairness(inst, rows, by_role, rule)
    if inst.previous is not None:
        changes = sum(
            1
            for e in inst.staff
            if e.id in inst.previous
            for d in range(inst.pinned_days, inst.horizon)
            if rows[e.id][d] != inst.previous[e.id][d]
        )
        report.breakdown["changes"] = inst.change_weight * changes
    report.objective = sum(report.breakdown.values())
    return report


def _rows(inst: RosterInstance, roster: Roster, out: list[Violation]) -> dict[str, list[str]]:
    """Rule 1 (one known shift or a day off per person and day) and every person's rules; returns each
    person's row over the horizon, unknown shifts read as days off and missing days padded."""
    H = inst.horizon
    shift_ids = set(inst.shift_ids)
    staff_by_id = {e.id: e for e in inst.staff}
    for sid in roster:
        if sid not in staff_by_id:
            out.append(Violation("1 one shift per day", f"roster names unknown staff {sid!r}", sid))
    rows: dict[str, list[str]] = {}
    for e in inst.staff:
        row = list(roster.get(e.id, []))
        if len(row) != H:
            out.append(Violation("1 one shift per day", f"{e.id}: {len(row)} days in the roster, need {H}", e.id))
            row = (row + [""] * H)[:H]
        for d, x in enumerate(row):
            if x and x not in shift_ids:
                out.append(Violation("1 one shift per day", f"{e.id}: unknown shift {x!r} on day {d}", e.id, d))
                row[d] = ""
        rows[e.id] = row
        _check_person(inst, e, row, out)
    return rows


def _cover(inst: RosterInstance, rows: dict[str, list[str]], out: list[Violation]) -> tuple[int, int]:
    """Rule 10 (minimum cover per day, slot and role) and the weighted under- and over-cover terms."""
    slots = {s.id: s.slots for s in inst.shifts}
    count: dict[tuple[int, str, str], int] = defaultdict(int)
    for e in inst.staff:
        for d, x in enumerate(rows[e.id]):
            if x:
                for slot in slots[x]:
                    count[(d, slot, e.role)] += 1
    roles = {e.role for e in inst.staff}
    under = over = 0
    for c in inst.cover:
        n = sum(count[(c.day, c.slot, r)] for r in roles) if c.role is None else count[(c.day, c.slot, c.role)]
        under += c.weight_under * max(0, c.requirement - n)
        over += c.weight_over * max(0, n - c.requirement)
        if n < c.minimum:
            who = "anybody" if c.role is None else c.role
            out.append(
                Violation("10 minimum cover", f"day {c.day} {c.slot}: {n} of {who} < minimum {c.minimum}", day=c.day)
            )
    return under, over


def _fairness(inst: RosterInstance, rows: dict[str, list[str]], by_role: dict[str, list[Staff]],
              rule: FairnessRule) -> int:
    """One fairness term: weight x (most - fewest) counted shifts or weekends among comparable people of each
    role (at least two of them)."""
    total = 0
    for members in by_role.values():
        people = fairness_members(inst, members, rule.kind, rule.shifts)
        if len(people) < 2:
            continue
        if rule.kind == "weekends":
            counts = [_weekends_worked(inst.horizon, [bool(x) for x in rows[e.id]]) for e in people]
        else:
            counts = [sum(1 for x in rows[e.id] if x in rule.shifts) for e in people]
        total += rule.weight * (max(counts) - min(counts))
    return total


@dataclass
class RosterValidation(Validation):
    """The contract's verdict on a roster plan: violated hard rules as sentences, the objective (weighted
    penalty points) recomputed from the roster alone, its breakdown by term, and the rules as records."""

    objective: int = 0
    breakdown: dict[str, int] = field(default_factory=dict)
    rules: list[Violation] = field(default_factory=list)


def validate(inst: RosterInstance, plan: RosterPlanLike, settings: object | None = None) -> RosterValidation:
    """Check ``plan.roster`` against every hard rule of ``inst`` (``settings`` change no rule; the argument
    keeps the contract's order)."""
    report = check_roster(inst, plan.roster)
    return RosterValidation([v.message for v in report.violations], report.objective, report.breakdown,
                            report.violations)
