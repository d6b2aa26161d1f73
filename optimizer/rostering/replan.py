"""Re-planning: keep the published period, re-solve the draft period with as few changes as possible.

After a sick call (new hard days off for a person), a new hire (a person not in the previous roster) or a
change of cover, ``replan`` pins days ``0 .. published_days - 1`` to what people were told (except the sick
person's new days off, which become days off), and re-solves the rest, adding ``change_weight`` per draft
cell that differs from the previous roster. CP-SAT starts from the previous roster as its hint.
"""

from __future__ import annotations

from dataclasses import replace

from optimizer.rostering.instance import Roster, RosterInstance
from optimizer.rostering.model import RosterPlan, solve
from optimizer.rostering.settings import RosterSettings


def replan(
    inst: RosterInstance,
    previous: Roster,
    published_days: int,
    change_weight: int = 10,
    settings: RosterSettings | None = None,
) -> RosterPlan:
    """Re-solve ``inst`` keeping ``previous`` on the published days and penalising draft-period changes.

    ``inst`` is the changed problem (new days off, new staff, new cover); ``previous`` is the roster that was
    published (staff missing from it are new hires and are free on every day).
    """
    if not 0 <= published_days <= inst.horizon:
        raise ValueError(f"published_days must be within 0..{inst.horizon}, got {published_days}")
    if change_weight < 0:
        raise ValueError("change_weight must be >= 0")
    known = {e.id for e in inst.staff}
    prev = {eid: list(row) for eid, row in previous.items() if eid in known}
    hinted = replace(inst, previous=prev, pinned_days=published_days, change_weight=change_weight)
    return solve(hinted, (settings or RosterSettings()).model_copy(update={"greedy_hint": False}), hint=prev)


def changed_cells(before: Roster, after: Roster, from_day: int = 0) -> list[tuple[str, int, str, str]]:
    """(person, day, before, after) for every cell that differs from ``from_day`` on (people in both)."""
    out = []
    for eid, row in after.items():
        if eid not in before:
            continue
        for d in range(from_day, len(row)):
            if before[eid][d] != row[d]:
                out.append((eid, d, before[eid][d], row[d]))
    return out
