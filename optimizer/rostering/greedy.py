"""A fast greedy roster used as the CP-SAT solution hint.

Day by day, the greediest unmet cover line (largest under-cover weight times people missing) takes the
candidate with the best score among those who can still work it without breaking a rule that can be checked
forward (days off, published cells, shift rotation, maximum per type, maximum minutes, maximum consecutive
shifts, maximum weekends). The score favours people far below their minimum minutes and people who asked for
the shift, and avoids people who asked not to. Minimum-run rules are not enforced: the hint only needs to be
close, CP-SAT repairs the rest.
"""

from __future__ import annotations

from collections import defaultdict

from optimizer.rostering.instance import Roster, RosterInstance, is_weekend_day
from optimizer.rostering.validate import pinned_cell


def greedy_roster(inst: RosterInstance) -> Roster:
    """A roster built in one pass over the days (milliseconds for the benchmark sizes)."""
    H = inst.horizon
    lengths = {s.id: s.length for s in inst.shifts}
    forbidden = {s.id: s.forbidden_next for s in inst.shifts}
    shifts_for_slot: dict[str, list[str]] = defaultdict(list)
    for s in inst.shifts:
        for slot in s.slots:
            shifts_for_slot[slot].append(s.id)
    roster: Roster = {e.id: [""] * H for e in inst.staff}
    minutes = {e.id: 0 for e in inst.staff}
    per_type = {e.id: defaultdict(int) for e in inst.staff}
    run = {e.id: 0 for e in inst.staff}
    weekends = {e.id: 0 for e in inst.staff}
    wish: dict[tuple[str, int, str], int] = defaultdict(int)
    for r in inst.requests:
        wish[(r.staff, r.day, r.shift)] += r.weight if r.on else -r.weight
    cover_by_day = defaultdict(list)
    for c in inst.cover:
        cover_by_day[c.day].append(c)

    def assign(eid: str, d: int, s: str) -> None:
        roster[eid][d] = s
        minutes[eid] += lengths[s]
        per_type[eid][s] += 1
        if is_weekend_day(d) and not (d % 7 == 6 and d > 0 and roster[eid][d - 1]):
            weekends[eid] += 1

    for d in range(H):
        for e in inst.staff:  # published cells first
            pin = pinned_cell(inst, e.id, d)
            if pin:
                assign(e.id, d, pin)
        filled: dict[tuple[str, str | None], int] = defaultdict(int)
        for e in inst.staff:
            if roster[e.id][d]:
                for slot in inst.shift(roster[e.id][d]).slots:
                    filled[(slot, e.role)] += 1
                    filled[(slot, None)] += 1
        while True:
            best = None
            for c in cover_by_day[d]:
                missing = max(c.minimum, c.requirement) - filled[(c.slot, c.role)]
                if missing <= 0:
                    continue
                for e in inst.staff:
                    if roster[e.id][d] or (c.role is not None and e.role != c.role):
                        continue
                    if pinned_cell(inst, e.id, d) is not None or d in inst.days_off.get(e.id, set()):
                        continue
                    if run[e.id] >= e.max_consecutive_shifts:
                        continue
                    new_weekend = is_weekend_day(d) and not (d % 7 == 6 and d > 0 and roster[e.id][d - 1])
                    if new_weekend and weekends[e.id] >= e.max_weekends:
                        continue
                    prev = roster[e.id][d - 1] if d > 0 else ""
                    for s in shifts_for_slot[c.slot]:
                        if per_type[e.id][s] >= e.max_shifts.get(s, 0):
                            continue
                        if minutes[e.id] + lengths[s] > e.max_total_minutes:
                            continue
                        if prev and s in forbidden[prev]:
                            continue
                        deficit = max(0, e.min_total_minutes - minutes[e.id]) / max(1, e.min_total_minutes)
                        gain = (10 if c.minimum > filled[(c.slot, c.role)] else 0) + c.weight_under * missing
                        score = (gain, wish[(e.id, d, s)] + 50 * deficit - 5 * new_weekend)
                        if best is None or score > best[0]:
                            best = (score, e.id, s)
            if best is None:
                break
            _, eid, s = best
            assign(eid, d, s)
            for slot in inst.shift(s).slots:
                filled[(slot, next(e.role for e in inst.staff if e.id == eid))] += 1
                filled[(slot, None)] += 1
        for e in inst.staff:
            run[e.id] = run[e.id] + 1 if roster[e.id][d] else 0
    return roster
