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

from optimizer.rostering.instance import Roster, RosterInstance, Staff, is_weekend_day
from optimizer.rostering.validate import pinned_cell


def greedy_roster(inst: RosterInstance) -> Roster:
    """A roster built in one pass over the days (milliseconds for the benchmark sizes)."""
    g = _Greedy(inst)
    for d in range(inst.horizon):
        g.fill_day(d)
    return g.roster


Score = tuple[tuple[int, float], str, str]  # ((cover gain, preference), staff id, shift id)


class _Greedy:
    """The roster so far and what each person has used of their limits: minutes, shifts per type, the
    current run of days on, weekends worked; wishes (request weights, + on / - off) per (person, day, shift)."""

    def __init__(self, inst: RosterInstance) -> None:
        self.inst = inst
        self.lengths = {s.id: s.length for s in inst.shifts}
        self.forbidden = {s.id: s.forbidden_next for s in inst.shifts}
        self.shifts_for_slot: dict[str, list[str]] = defaultdict(list)
        for s in inst.shifts:
            for slot in s.slots:
                self.shifts_for_slot[slot].append(s.id)
        self.roster: Roster = {e.id: [""] * inst.horizon for e in inst.staff}
        self.minutes = {e.id: 0 for e in inst.staff}
        self.per_type = {e.id: defaultdict(int) for e in inst.staff}
        self.run = {e.id: 0 for e in inst.staff}
        self.weekends = {e.id: 0 for e in inst.staff}
        self.wish: dict[tuple[str, int, str], int] = defaultdict(int)
        for r in inst.requests:
            self.wish[(r.staff, r.day, r.shift)] += r.weight if r.on else -r.weight
        self.cover_by_day = defaultdict(list)
        for c in inst.cover:
            self.cover_by_day[c.day].append(c)

    def _new_weekend(self, eid: str, d: int) -> bool:
        """Whether working day ``d`` starts a weekend the person has not worked yet."""
        return is_weekend_day(d) and not (d % 7 == 6 and d > 0 and self.roster[eid][d - 1])

    def assign(self, eid: str, d: int, s: str) -> None:
        if self._new_weekend(eid, d):
            self.weekends[eid] += 1
        self.roster[eid][d] = s
        self.minutes[eid] += self.lengths[s]
        self.per_type[eid][s] += 1

    def fill_day(self, d: int) -> None:
        """Published cells first, then the greediest unmet cover line's best candidate until none is left."""
        inst = self.inst
        for e in inst.staff:
            pin = pinned_cell(inst, e.id, d)
            if pin:
                self.assign(e.id, d, pin)
        filled: dict[tuple[str, str | None], int] = defaultdict(int)
        for e in inst.staff:
            if self.roster[e.id][d]:
                for slot in inst.shift(self.roster[e.id][d]).slots:
                    filled[(slot, e.role)] += 1
                    filled[(slot, None)] += 1
        while (best := self._best(d, filled)) is not None:
            _, eid, s = best
            self.assign(eid, d, s)
            for slot in inst.shift(s).slots:
                filled[(slot, next(e.role for e in inst.staff if e.id == eid))] += 1
                filled[(slot, None)] += 1
        for e in inst.staff:
            self.run[e.id] = self.run[e.id] + 1 if self.roster[e.id][d] else 0

    def _best(self, d: int, filled: dict[tuple[str, str | None], int]) -> Score | None:
        """The best (cover line, person, shift) of day ``d``: cover gain first (a missing minimum counts 10),
        then the person's wish, their deficit of minimum minutes, and not starting a new weekend."""
        best: Score | None = None
        weekend_day = is_weekend_day(d)
        roster, weekends, minutes, wish = self.roster, self.weekends, self.minutes, self.wish  # hot loop
        per_type, lengths, forbidden = self.per_type, self.lengths, self.forbidden
        for c in self.cover_by_day[d]:
            missing = max(c.minimum, c.requirement) - filled[(c.slot, c.role)]
            if missing <= 0:
                continue
            gain = (10 if c.minimum > filled[(c.slot, c.role)] else 0) + c.weight_under * missing
            for e in self._free(d, c.role):
                new_weekend = weekend_day and not (d % 7 == 6 and d > 0 and roster[e.id][d - 1])
                if new_weekend and weekends[e.id] >= e.max_weekends:
                    continue
                prev = roster[e.id][d - 1] if d > 0 else ""
                for s in self.shifts_for_slot[c.slot]:
                    if per_type[e.id][s] >= e.max_shifts.get(s, 0) or minutes[e.id] + lengths[s] > e.max_total_minutes \
                            or prev and s in forbidden[prev]:
                        continue
                    deficit = max(0, e.min_total_minutes - minutes[e.id]) / max(1, e.min_total_minutes)
                    score = (gain, wish[(e.id, d, s)] + 50 * deficit - 5 * new_weekend)
                    if best is None or score > best[0]:
                        best = (score, e.id, s)
        return best

    def _free(self, d: int, role: str | None) -> list[Staff]:
        """People of ``role`` (anybody for None) unassigned on day ``d``, without a published cell or a day off
        there, and not at their maximum run of days on."""
        inst, roster, run = self.inst, self.roster, self.run
        return [e for e in inst.staff
                if not (roster[e.id][d] or (role is not None and e.role != role))
                and pinned_cell(inst, e.id, d) is None and d not in inst.days_off.get(e.id, ())
                and run[e.id] < e.max_consecutive_shifts]
