"""Rolling-horizon construction of a first roster for long horizons (half a year, a year).

Why: the person-by-person ``lns.construct`` solves each person over the whole horizon. On Instance20 (182 days x
50 staff x 6 shifts) one such sub-solve took 0.2-6.8 s (median 0.33 s) and the 50 of them 32.7 s, more than
the half of a 60 s limit they get, so the call returned no roster; on Instance24 (364 x 150 x 32) building the
full CP-SAT model alone took 53 s (benchmarks/results/rostering-horizon.md).

How: the horizon is cut into blocks of ``block_days`` days (a short last block joins the one before), solved in
order, and in each block the people one after the other in a random order: each person's best row for the
block given the rows already chosen (``lns.sub_solve``, the same rule code as the full model). One person's
block is solved on a window sub-instance (``window_instance``) of that person alone on the days
``[lead, end + lookahead)``, everybody else folded into the cover lines as counts:

* ``lead`` (a Monday, at least ``lookback_days`` before the block) starts a stretch of the person's
  already-rostered days that enter the window fixed, so the sequence rules crossing the block boundary
  (maximum and minimum consecutive shifts, minimum consecutive days off, forbidden successions) are the
  window's own rules on real days: exact, not approximated;
* the ``lookahead`` days after the block are solved too but not kept; they stop the block from ending in a
  state the next block cannot continue (a one-day run before a hard day off);
* horizon totals (maximum shifts per type, maximum and minimum minutes, maximum weekends) become what is left
  after the days before ``lead``; for a window ending before the horizon they are also held to their share
  of the horizon up to the window's end (``pro_rata``, ``_minutes_window``), so early blocks cannot use up a
  person's cap or leave the last block an impossible minimum; the window that reaches the last day has the
  exact totals, so the horizon totals hold exactly in the finished roster.

A person whose window has no row in its time is tried with four times the time, then freed from further back
(a dead end left by an earlier block), and from day 0 on given two more blocks at a time, up to the whole
horizon (the exact problem for that person given everybody else). The finished roster is checked by the
validator against the original instance by the caller.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, replace

from optimizer.rostering.instance import CoverLine, Roster, RosterInstance, ShiftRequest, Staff
from optimizer.rostering.lns import sub_solve

#: Default block length (days) and days solved past a block without being kept.
BLOCK_DAYS = 28
LOOKAHEAD_DAYS = 7
#: Most and least seconds one person's window sub-solve is given (most prove optimality in 0.02-0.15 s).
PERSON_STEP_S = 1.0
MIN_STEP_S = 0.05


def lookback_days(inst: RosterInstance) -> int:
    """Fixed days a window needs before its block so that every sequence rule crossing the boundary is
    checked on real days: the longest maximum run + 1 (a window of ``k + 1`` days), minimum run or rest."""
    longest = max(
        (max(e.max_consecutive_shifts + 1, e.min_consecutive_shifts, e.min_consecutive_days_off) for e in inst.staff),
        default=1,
    )
    return longest + 1


def pro_rata(limit: int, share: float, slack: int, upper: bool) -> int:
    """A horizon total ``limit`` held to ``share`` of the horizon: rounded up plus ``slack`` (never above the
    limit) for a maximum, rounded down minus ``slack`` (never below 0) for a minimum."""
    if upper:
        return min(limit, math.ceil(limit * share) + slack)
    return max(0, math.floor(limit * share) - slack)


def most_work_days(inst: RosterInstance, e: Staff, first: int, stop: int) -> int:
    """Most days ``e`` can work in ``[first, stop)``: outside hard days off, at most ``k`` of every ``k + 1``
    days in a row (``k`` the maximum consecutive shifts). An upper bound on the days, used to keep the minimum
    minutes reachable."""
    off = inst.days_off.get(e.id, set())
    k = max(1, e.max_consecutive_shifts)
    total = run = 0
    for d in range(first, stop + 1):
        if d < stop and d not in off:
            run += 1
        else:
            total += run - run // (k + 1)
            run = 0
    return total


def _available(inst: RosterInstance, e: Staff, first: int, stop: int) -> int:
    """Days of ``[first, stop)`` that are not hard days off of ``e``."""
    off = inst.days_off.get(e.id, set())
    return sum(1 for d in range(first, stop) if d not in off)


def _minutes_window(inst: RosterInstance, e: Staff, stop: int, longest: int) -> tuple[int, int]:
    """The (minimum, maximum) minutes ``e`` may have worked by day ``stop`` (before the horizon's end).

    Both are the horizon totals' share by ``e``'s available days (holidays count for nothing), widened by the
    longest shift (``longest`` minutes); the minimum is also at least what the days after ``stop`` could not
    make up (``e``'s longest allowed shift on each of ``most_work_days``). A window that still cannot reach its
    minimum is a dead end that ``rolling_construct`` backs out of.
    """
    H = inst.horizon
    share = _available(inst, e, 0, stop) / max(1, _available(inst, e, 0, H))
    own = max((s.length for s in inst.shifts if e.max_shifts.get(s.id, 0) > 0), default=0)
    reach = e.min_total_minutes - own * most_work_days(inst, e, stop, H)
    low = max(pro_rata(e.min_total_minutes, share, longest, upper=False), reach)
    high = max(low, pro_rata(e.max_total_minutes, share, longest, upper=True))
    return low, high


def _weekends_worked(row: list[str], days: int) -> int:
    """Weekends (Saturday or Sunday worked) among the first ``days`` days of ``row`` (``days`` a multiple of 7)."""
    return sum(1 for w in range(days // 7) if row[7 * w + 5] or row[7 * w + 6])


class _Filled:
    """How many people of the roster being built fill each ``(day, slot, role)`` (role ``None``: anybody),
    and the instance's cover lines by day."""

    def __init__(self, inst: RosterInstance) -> None:
        self.slots = {s.id: s.slots for s in inst.shifts}
        self.role = {e.id: e.role for e in inst.staff}
        self.count: dict[tuple[int, str, str | None], int] = defaultdict(int)
        self.cover_by_day: list[list[CoverLine]] = [[] for _ in range(inst.horizon)]
        for c in inst.cover:
            self.cover_by_day[c.day].append(c)

    def add(self, eid: str, row: list[str], first: int, sign: int) -> None:
        """Count (``sign`` 1) or uncount (-1) the shifts of ``row``, whose first entry is day ``first``."""
        for i, s in enumerate(row):
            for slot in self.slots[s] if s else ():
                self.count[(first + i, slot, self.role[eid])] += sign
                self.count[(first + i, slot, None)] += sign


def window_instance(
    inst: RosterInstance, roster: Roster, eid: str, lead: int, stop: int, filled: _Filled,
    requests: list[ShiftRequest],
) -> RosterInstance:
    """Person ``eid`` alone on the days ``[lead, stop)`` (``lead`` a multiple of 7, so weekdays keep their
    place), everybody else folded into the cover lines.

    A cover line asks for its requirement minus the people ``filled`` already counts there (everybody else;
    it may go negative, then every person of ``eid`` there is over-cover), so the window's objective is the
    full objective of the merged roster up to a constant. Hard minimum cover is left to the validator (one
    person cannot be held to a floor that the people after them may still fill), as are fairness spreads
    (soft; the LNS sees them). ``eid``'s horizon totals become what is left after ``roster``'s days before
    ``lead`` and, when ``stop`` is before the horizon's end, their share up to ``stop`` (``pro_rata``,
    ``_minutes_window``). ``requests`` are ``eid``'s own; days are renumbered from ``lead``.
    """
    H = inst.horizon
    e = next(p for p in inst.staff if p.id == eid)
    final = stop >= H
    share = stop / H
    lengths = {s.id: s.length for s in inst.shifts}
    before = roster[eid][:lead]
    caps = {}
    for s, cap in e.max_shifts.items():
        limit = cap if final else pro_rata(cap, share, 1, upper=True)
        caps[s] = max(0, limit - sum(1 for x in before if x == s)) if cap > 0 else 0
    min_minutes, max_minutes = (
        (e.min_total_minutes, e.max_total_minutes) if final else _minutes_window(inst, e, stop, max(lengths.values()))
    )
    used_minutes = sum(lengths[s] for s in before if s)
    max_weekends = e.max_weekends if final else pro_rata(e.max_weekends, share, 1, upper=True)
    person = replace(
        e,
        max_shifts=caps,
        max_total_minutes=max(0, max_minutes - used_minutes),
        min_total_minutes=max(0, min_minutes - used_minutes),
        max_weekends=max(0, max_weekends - _weekends_worked(roster[eid], lead)),
    )
    return replace(
        inst,
        horizon=stop - lead,
        staff=[person],
        days_off={eid: {d - lead for d in inst.days_off.get(eid, set()) if lead <= d < stop}},
        requests=[ShiftRequest(r.staff, r.day - lead, r.shift, r.weight, r.on)
                  for r in requests if lead <= r.day < stop],
        cover=[
            CoverLine(c.day - lead, c.slot, c.requirement - filled.count[(c.day, c.slot, c.role)], c.weight_under,
                      c.weight_over, c.role, 0)
            for d in range(lead, stop) for c in filled.cover_by_day[d]
            if c.role is None or c.role == e.role
        ],
        fairness=[],
        previous=None if inst.previous is None or eid not in inst.previous else {eid: inst.previous[eid][lead:stop]},
        pinned_days=max(0, min(stop, inst.pinned_days) - lead),
        name=f"{inst.name}:{eid}[{lead}:{stop}]",
    )


@dataclass
class _Rolling:
    """The roster being built block by block, the cover it fills, and how far a person's window reaches
    before its first day (``lookback``) and past its last (``lookahead``), in days."""

    inst: RosterInstance
    roster: Roster
    filled: _Filled
    lookahead: int
    lookback: int


def _solve_person(
    rc: _Rolling, eid: str, first: int, end: int, seconds: float, seed: int, requests: list[ShiftRequest],
) -> bool:
    """Roster ``eid`` on days ``[first, end)`` given every other row of ``rc.roster`` (updated in place, as is
    ``rc.filled``) within ``seconds``; the window also solves ``rc.lookahead`` days past ``end`` without keeping
    them. False when no row was found (none exists, or none in time)."""
    inst, roster, filled, lookahead, lookback = rc.inst, rc.roster, rc.filled, rc.lookahead, rc.lookback
    H = inst.horizon
    lead = max(0, (first - lookback) // 7 * 7)
    stop = min(H, end + lookahead)
    sub_inst = window_instance(inst, roster, eid, lead, stop, filled, requests)
    row = roster[eid][lead:stop]
    for d in range(first - lead, stop - lead):
        row[d] = ""
    free = {(eid, d) for d in range(first - lead, stop - lead)}
    found = sub_solve(sub_inst, free, {eid: row}, seconds, seed)
    if found is None:
        return False
    roster[eid][first:end] = found[0][eid][first - lead : end - lead]
    filled.add(eid, roster[eid][first:end], first, 1)
    return True


def block_starts(horizon: int, block_days: int) -> list[int]:
    """First days of the blocks: every ``block_days`` days, a last block shorter than half a block merged into
    the one before (a short last block must make up each person's exact minimum minutes in too few days)."""
    starts = list(range(0, horizon, block_days))
    if len(starts) > 1 and horizon - starts[-1] < block_days // 2:
        starts.pop()
    return starts


def rolling_construct(
    inst: RosterInstance, deadline: float, seed: int, block_days: int = BLOCK_DAYS,
    lookahead: int = LOOKAHEAD_DAYS, pace_until: float | None = None,
) -> Roster | None:
    """A roster of ``inst`` built block by block (module docstring); None when out of time or stuck.

    ``deadline`` and ``pace_until`` are ``time.monotonic()`` instants. Each person's window gets an equal share
    of the time left until ``pace_until`` (default ``deadline``; between ``MIN_STEP_S`` and ``PERSON_STEP_S``)
    and keeps the best row found in it. A window with no row in its share is tried again with four times the
    share, then the person is freed from further back (module docstring), and from day 0 on the window takes
    two more blocks at a time (the person's later blocks are then skipped); the work stops at ``deadline``. The
    result keeps every hard rule of each window; the caller validates it against the whole instance.
    """
    H = inst.horizon
    pace = deadline if pace_until is None else min(deadline, pace_until)
    lookback = lookback_days(inst)
    roster: Roster = {e.id: [""] * H for e in inst.staff}
    rng = random.Random(seed)
    order = inst.staff_ids
    starts = block_starts(H, block_days)
    filled = _Filled(inst)
    rc = _Rolling(inst, roster, filled, lookahead, lookback)
    requests: dict[str, list[ShiftRequest]] = defaultdict(list)
    for r in inst.requests:
        requests[r.staff].append(r)
    step = 0
    ready = dict.fromkeys(order, 0)  # each person is rostered on the days before this one
    for b, start in enumerate(starts):
        end = starts[b + 1] if b + 1 < len(starts) else H
        rng.shuffle(order)
        for i, eid in enumerate(order):
            step += 1
            first, last, patience = max(start, ready[eid]), end, 1
            while first < last:
                calls_left = (len(starts) - b - 1) * len(order) + len(order) - i
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                share = min(PERSON_STEP_S, max(MIN_STEP_S, (pace - time.monotonic()) / calls_left))
                seconds = min(left / 2, share * patience * max(1.0, (last - first) / block_days))
                if first == 0 and last == H and patience > 1:
                    seconds = left / 2  # the last resort: the person's exact problem, as long as it takes
                if _solve_person(rc, eid, first, last, seconds, seed + step, requests[eid]):
                    ready[eid] = last
                    break
                if patience == 1:
                    patience = 4  # no row in its share of time (Instance22: 0.1-0.15 s where 0.1 s was given)
                elif first > 0:
                    # a dead end left by earlier blocks: free this person from further back
                    back = max(0, first - max(block_days, 2 * (end - first)))
                    filled.add(eid, roster[eid][back:first], back, -1)
                    roster[eid][back:first] = [""] * (first - back)
                    first, patience = back, 1
                elif last < H:
                    # from day 0 on and still none: the blocks' shares of the totals are too tight for this
                    # person; take further blocks at once (up to the exact problem over the whole horizon)
                    last, patience = min(H, last + 2 * block_days), 1
                else:
                    return None
    return roster
