"""The numbers a planner reads from a roster: cover filled, hours against contract, nights/weekends spread."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from optimizer.rostering.instance import Roster, RosterInstance


@dataclass(frozen=True)
class RoleKpis:
    """Per role (unit): people, cover and workload figures."""

    role: str
    people: int
    required_places: int  # sum over cover lines of the preferred requirement (person-shifts)
    filled_places: int  # sum over cover lines of min(requirement, people present)
    short_lines: int  # cover lines (day x slot) below their requirement
    hours_worked: float  # total over the horizon
    contract_hours: float  # total over the horizon (weekly hours x weeks), 0 when unknown
    nights_min: int
    nights_max: int
    weekends_min: int
    weekends_max: int

    @property
    def fill_rate(self) -> float:
        """Share of the required places that are filled (1.0 = full cover)."""
        return self.filled_places / self.required_places if self.required_places else 1.0


def roster_kpis(inst: RosterInstance, roster: Roster, night_shifts: frozenset[str] = frozenset({"N", "G"})) -> list[
    RoleKpis
]:
    """KPIs per role of ``roster`` (``night_shifts`` are the shift ids counted as nights)."""
    slots = {s.id: s.slots for s in inst.shifts}
    lengths = {s.id: s.length for s in inst.shifts}
    present: dict[tuple[int, str, str], int] = defaultdict(int)
    for e in inst.staff:
        for d, x in enumerate(roster[e.id]):
            for slot in slots.get(x, ()) if x else ():
                present[(d, slot, e.role)] += 1
    out = []
    for role in sorted({e.role for e in inst.staff}):
        people = [e for e in inst.staff if e.role == role]
        lines = [c for c in inst.cover if c.role in (role, None)]
        req = sum(c.requirement for c in lines)
        filled = sum(min(c.requirement, present[(c.day, c.slot, role)]) for c in lines)
        short = sum(1 for c in lines if present[(c.day, c.slot, role)] < c.requirement)
        nights = [sum(1 for x in roster[e.id] if x in night_shifts) for e in people]
        weekends = [
            sum(1 for w in range(inst.weeks) if any(roster[e.id][d] for d in (7 * w + 5, 7 * w + 6)))
            for e in people
        ]
        out.append(
            RoleKpis(
                role=role or "all",
                people=len(people),
                required_places=req,
                filled_places=filled,
                short_lines=short,
                hours_worked=sum(lengths[x] for e in people for x in roster[e.id] if x) / 60.0,
                contract_hours=sum((e.weekly_hours or 0.0) * inst.horizon / 7 for e in people),
                nights_min=min(nights, default=0),
                nights_max=max(nights, default=0),
                weekends_min=min(weekends, default=0),
                weekends_max=max(weekends, default=0),
            )
        )
    return out

