"""Fast feasible construction: mandatory patients first (earliest due day first), then optional ones.

Each patient goes to the cheapest of a few candidate (day, room, theatre) triples that break no hard rule,
evaluated exactly on the incremental state; an optional patient is admitted only when that is cheaper than
postponing them. Nurses then get a greedy pass: each occupied room-shift takes the rostered nurse with the
smallest exact cost change.
"""

from __future__ import annotations

import time

from optimizer.surgery.state import State

#: Days tried per patient (the first ones from release day that have room and theatre time).
DAYS_TRIED = 4
#: Rooms tried per day (best age match first).
ROOMS_TRIED = 4


def patient_order(st: State, days: dict[int, int]) -> list[int]:
    """Mandatory patients by due day then release day, then optional ones the day plan admits, then the rest."""
    pats = st.inp.patients
    return sorted(range(st.P), key=lambda p: (not pats[p].mandatory, p not in days, pats[p].last_day(st.D),
                                              pats[p].release_day, -pats[p].duration))


def _days_to_try(st: State, p: int, preferred: int | None, force: bool) -> list[int]:
    pat = st.inp.patients[p]
    days = list(range(pat.release_day, pat.last_day(st.D) + 1))
    if preferred is not None and pat.mandatory and force:
        return [preferred]
    if preferred is not None:
        days.remove(preferred)
        days.insert(0, preferred)
    return days


def best_theatre(st: State, p: int, day: int) -> int:
    """A theatre with time left: the surgeon's own theatre that day, else an open one, else the freest."""
    u = st.inp.patients[p].surgeon
    fits = [t for t in range(st.T) if st.theatre_fits(p, day, t)]
    if not fits:
        return -1
    return min(fits, key=lambda t: (-st.su_ot[u][day][t], st.ot_count[t][day] == 0, -st.ot_load[t][day]))


def candidate_rooms(st: State, p: int, day: int) -> list[int]:
    """Rooms with a bed for ``p`` on every day of the stay, closest age group and fullest first."""
    age = st.age[p]
    rooms = [r for r in range(st.R) if st.room_fits(p, day, r)]

    def key(r: int) -> tuple[int, int]:
        ages = st.rd_age[r][day]
        spread = max((abs(g - age) for g in range(st.G) if ages[g]), default=0)
        return spread, -len(st.rd_stays[r][day])

    return sorted(rooms, key=key)[:ROOMS_TRIED]


def _least_bad(st: State, p: int, day: int) -> tuple[int, int, int, int]:
    """The cheapest (penalised) room and theatre on the day plan's day when none is free: the day plan keeps
    surgeons within their minutes, and the annealing then moves people out of an overfull room."""
    pat = st.inp.patients[p]
    t = best_theatre(st, p, day)
    if t < 0:
        t = max(range(st.T), key=lambda k: st.avail[k][day] - st.ot_load[k][day])
    best = None
    for r in range(st.R):
        if r not in pat.incompatible_rooms:
            delta = st.place(p, day, r, t)
            st.unplace(p)
            if best is None or delta < best[0]:
                best = (delta, day, r, t)
    return best


def insert_best(st: State, p: int, preferred: int | None = None, force: bool = False) -> bool:
    """Admit ``p`` at the cheapest tried triple, the day plan's day first (or leave an optional patient out when
    that is cheaper)."""
    pat = st.inp.patients[p]
    best: tuple[int, int, int, int] | None = None
    tried = 0
    for day in _days_to_try(st, p, preferred, force):
        t = best_theatre(st, p, day)
        if t < 0:
            continue
        rooms = candidate_rooms(st, p, day)
        if not rooms:
            continue
        for r in rooms:
            delta = st.place(p, day, r, t)
            if best is None or delta < best[0]:
                best = (delta, day, r, t)
            st.unplace(p)
        tried += 1
        if tried >= DAYS_TRIED or day == preferred:
            break
    if best is None and pat.mandatory and preferred is not None and force:
        best = _least_bad(st, p, preferred)
    if best is None or (not pat.mandatory and best[0] >= 0):
        return False
    st.place(p, best[1], best[2], best[3])
    return True


def best_nurse(st: State, r: int, s: int) -> int:
    """Give room ``r`` in shift ``s`` the rostered nurse with the best exact cost change; returns the change."""
    base = st.rn[r][s]
    best_n, best_c = base, 0
    for n in st.working[s]:
        if n != base:
            c = st.set_nurse(r, s, n)
            st.set_nurse(r, s, base)
            if c < best_c:
                best_n, best_c = n, c
    return st.set_nurse(r, s, best_n)


def greedy_nurses(st: State) -> None:
    """Each occupied room-shift, in time order and heaviest room first, takes its best nurse."""
    for s in range(st.S):
        d = s // st.spd
        for r in sorted((r for r in range(st.R) if st.rd_stays[r][d]), key=lambda r: -st.rs_load[r][s]):
            best_nurse(st, r, s)


def place_planned(st: State, days: dict[int, int], rooms: dict[int, int]) -> None:
    """Admit the patients of the CP-SAT day and room plans, mandatory ones first, each in a theatre with time
    left (the least loaded one otherwise; the annealing then repairs the overtime)."""
    pats = st.inp.patients
    for p in sorted(rooms, key=lambda q: (not pats[q].mandatory, -pats[q].duration)):
        day = days[p]
        t = best_theatre(st, p, day)
        if t < 0:
            if not pats[p].mandatory:
                continue
            t = max(range(st.T), key=lambda k: st.avail[k][day] - st.ot_load[k][day])
        st.place(p, day, rooms[p], t)


def construct(st: State, days: dict[int, int] | None = None, rooms: dict[int, int] | None = None,
              deadline: float = float("inf"), force: bool = True) -> list[int]:
    """Admit every patient the construction can place, steered by a day plan (patient -> day) and a room plan
    (patient -> room) when given; returns the mandatory patients left out (the repair stops at ``deadline``)."""
    days = days or {}
    if rooms:
        place_planned(st, days, rooms)
    missing = []
    for p in patient_order(st, days):
        if st.adm[p] >= 0:
            continue
        if not insert_best(st, p, days.get(p), force) and st.inp.patients[p].mandatory:
            missing.append(p)
    missing = [p for p in missing if not repair(st, p, deadline)]
    repair_theatres(st)
    repair_rooms(st, deadline)
    greedy_nurses(st)
    return missing


def _blockers(st: State, p: int, day: int, room: int, theatre: int) -> set[int]:
    """Patients whose removal frees room ``room``, theatre ``theatre`` and the surgeon of ``p`` on ``day``."""
    u = st.inp.patients[p].surgeon
    out = {q for d in range(day, min(st.D, day + st.los[p])) for q in st.rd_stays[room][d] if q < st.P}
    out |= {q for q in range(st.P) if st.adm[q] == day and (st.ot[q] == theatre or st.inp.patients[q].surgeon == u)}
    return out


#: Ejection options tried per left-out mandatory patient.
REPAIR_OPTIONS = 200


def _repair_options(st: State, p: int) -> list[tuple[int, int, int]]:
    """Every (day, room, theatre) for ``p``, fewest mandatory patients in the way first, then fewest in all
    (the first ``REPAIR_OPTIONS``)."""
    pat, pats = st.inp.patients[p], st.inp.patients
    options = []
    for day in range(pat.release_day, pat.last_day(st.D) + 1):
        for t in range(st.T):
            for r in range(st.R):
                if r not in pat.incompatible_rooms:
                    b = _blockers(st, p, day, r, t)
                    options.append((sum(pats[q].mandatory for q in b), len(b), day, r, t))
    return [(day, r, t) for *_, day, r, t in sorted(options)[:REPAIR_OPTIONS]]


def repair(st: State, p: int, deadline: float = float("inf")) -> bool:
    """Admit a mandatory patient the construction left out: postpone the patients in the way of one
    (day, room, theatre) (fewest mandatory ones first), admit ``p``, re-insert them; undo when a mandatory one
    no longer fits."""
    pats = st.inp.patients
    for day, r, t in _repair_options(st, p):
        if time.monotonic() > deadline:
            break
        ejected = [(q, st.adm[q], st.room[q], st.ot[q]) for q in _blockers(st, p, day, r, t)]
        ejected.sort(key=lambda e: (not pats[e[0]].mandatory, pats[e[0]].last_day(st.D)))
        for q, *_ in ejected:
            st.unplace(q)
        if st.room_fits(p, day, r) and st.theatre_fits(p, day, t):
            st.place(p, day, r, t)
            if all(insert_best(st, q) or not pats[q].mandatory for q, *_ in ejected):
                return True
            st.unplace(p)
            for q, *_ in ejected:
                if st.adm[q] >= 0:
                    st.unplace(q)
        for q, d, rr, tt in ejected:
            st.place(q, d, rr, tt)
    return False


def _overloaded(st: State) -> list[tuple[int, int]]:
    return [(t, d) for t in range(st.T) for d in range(st.D) if st.ot_load[t][d] > st.avail[t][d]]


def repair_theatres(st: State) -> None:
    """Undo theatre overtime the aggregate day plan can leave (its theatre minutes are pooled per day): move
    surgeries to another theatre the same day, else re-insert optional patients elsewhere (or postpone them),
    else move a mandatory patient to another day of its window."""
    pats = st.inp.patients
    for t, d in _overloaded(st):
        here = sorted((p for p in range(st.P) if st.adm[p] == d and st.ot[p] == t),
                      key=lambda p: (pats[p].mandatory, -pats[p].duration))
        for p in here:
            if st.ot_load[t][d] <= st.avail[t][d]:
                break
            other = next((k for k in range(st.T) if k != t and st.theatre_fits(p, d, k)), -1)
            if other >= 0:
                st.place(p, d, st.room[p], other)
            elif not pats[p].mandatory:
                st.unplace(p)
                insert_best(st, p)
            else:
                old = (st.adm[p], st.room[p], st.ot[p])
                st.unplace(p)
                if not insert_best(st, p):
                    st.place(p, *old)


def _room_day_broken(st: State, r: int, d: int) -> bool:
    n = len(st.rd_stays[r][d])
    f = st.rd_female[r][d]
    return n > st.cap[r] or min(f, n - f) > 0


def repair_rooms(st: State, deadline: float = float("inf")) -> None:
    """Undo overfull or mixed-gender room-days (left when no room plan was found): move a patient of that
    room-day to another room that fits the whole stay, else re-insert them elsewhere (optional ones may end up
    postponed; a mandatory one may eject optional patients, and goes back when nothing else fits)."""
    pats = st.inp.patients
    for r in range(st.R):
        for d in range(st.D):
            here = sorted((p for p in st.rd_stays[r][d] if p < st.P), key=lambda p: pats[p].mandatory)
            for p in here:
                if not _room_day_broken(st, r, d):
                    break
                other = next((k for k in range(st.R) if k != r and st.room_fits(p, st.adm[p], k)), -1)
                if other >= 0:
                    st.place(p, st.adm[p], other, st.ot[p])
                    continue
                old = (st.adm[p], st.room[p], st.ot[p])
                st.unplace(p)
                if not insert_best(st, p) and pats[p].mandatory and not repair(st, p, deadline):
                    st.place(p, *old)
