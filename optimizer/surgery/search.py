"""Simulated annealing over the whole schedule with exact incremental costs (``state.State``).

Moves: re-admit a patient on another day / room / theatre (or postpone / admit an optional one), change only
the room, change only the theatre, swap the rooms of two patients, give a room-shift another rostered nurse,
swap the nurses of two rooms in one shift, and give one nurse a room for a block of consecutive shifts
(continuity of care). While the state has no hard violation, moves that would create one are skipped before
being tried.
"""

from __future__ import annotations

import math
import random
import time

from optimizer.surgery.state import HARD, State

#: Seconds between copies of an improved state (a copy costs a few milliseconds on the largest instances).
SNAPSHOT_S = 0.25


class Annealer:
    """One annealing run on a state, with the best state's plan kept."""

    def __init__(self, st: State, rng: random.Random) -> None:
        self.st, self.rng = st, rng
        self.best_cost = st.cost
        self.best_plan = st.to_plan()
        self.moves = [
            (self.move_readmit, 30), (self.move_room, 15), (self.move_theatre, 8), (self.move_swap_rooms, 7),
            (self.move_nurse, 20), (self.move_nurse_swap, 10), (self.move_nurse_block, 15), (self.move_admit, 5),
            (self.move_replace, 5),
        ]
        self.optional = [p for p in range(st.P) if not st.inp.patients[p].mandatory]
        self.table = [m for m, w in self.moves for _ in range(w)]
        self.ups: list[int] | None = None  # cost increases seen, while calibrating

    # ----- acceptance -----
    def _accept(self, delta: int, temp: float) -> bool:
        if self.ups is not None and 0 < delta < HARD:
            self.ups.append(delta)
        return delta <= 0 or (temp > 0 and self.rng.random() < math.exp(-delta / temp))

    def _feasible(self) -> bool:
        return self.st.cost < HARD

    # ----- patient moves -----
    def _random_target(self, p: int) -> tuple[int, int, int]:
        st, pat = self.st, self.st.inp.patients[p]
        day = self.rng.randint(pat.release_day, pat.last_day(st.D))
        room = self.rng.randrange(st.R)
        while room in pat.incompatible_rooms:
            room = self.rng.randrange(st.R)
        return day, room, self.rng.randrange(st.T)

    def _try_place(self, p: int, day: int, room: int, theatre: int, temp: float) -> None:
        st = self.st
        if self._feasible() and not (st.room_fits(p, day, room) and st.theatre_fits(p, day, theatre)):
            return
        old = (st.adm[p], st.room[p], st.ot[p])
        delta = st.place(p, day, room, theatre)
        if not self._accept(delta, temp):
            self._restore(p, old)

    def _restore(self, p: int, old: tuple[int, int, int]) -> None:
        if old[0] < 0:
            self.st.unplace(p)
        else:
            self.st.place(p, *old)

    def move_readmit(self, temp: float) -> None:
        """Another day, room and theatre for a patient; postpone or admit an optional patient."""
        st, p = self.st, self.rng.randrange(self.st.P)
        pat = st.inp.patients[p]
        if not pat.mandatory and st.adm[p] >= 0 and self.rng.random() < 0.1:
            old = (st.adm[p], st.room[p], st.ot[p])
            if not self._accept(st.unplace(p), temp):
                self._restore(p, old)
            return
        self._try_place(p, *self._random_target(p), temp)

    def move_admit(self, temp: float) -> None:
        """A postponed optional patient takes the earliest free (day, theatre, room), if any."""
        st = self.st
        p = self.rng.choice(self.optional) if self.optional else -1
        if p < 0 or st.adm[p] >= 0:
            return
        pat = st.inp.patients[p]
        rooms = [r for r in range(st.R) if r not in pat.incompatible_rooms]
        self.rng.shuffle(rooms)
        for day in range(pat.release_day, st.D):
            theatres = [t for t in range(st.T) if st.theatre_fits(p, day, t)]
            if not theatres:
                continue
            room = next((r for r in rooms if st.room_fits(p, day, r)), -1)
            if room >= 0:
                u = pat.surgeon
                t = max(theatres, key=lambda k: (st.su_ot[u][day][k], st.ot_count[k][day]))
                self._try_place(p, day, room, t, temp)
                return

    def move_replace(self, temp: float) -> None:
        """A postponed optional patient takes the day, room and theatre of an admitted optional patient with
        the same surgeon, who is postponed."""
        st = self.st
        p = self.rng.choice(self.optional) if self.optional else -1
        q = self._admitted()
        pats = st.inp.patients
        if p < 0 or q < 0 or st.adm[p] >= 0 or pats[q].mandatory or pats[p].surgeon != pats[q].surgeon:
            return
        day, room, theatre = st.adm[q], st.room[q], st.ot[q]
        if day < pats[p].release_day or room in pats[p].incompatible_rooms:
            return
        delta = st.unplace(q)
        if st.room_fits(p, day, room) and st.theatre_fits(p, day, theatre):
            delta += st.place(p, day, room, theatre)
            if self._accept(delta, temp):
                return
            st.unplace(p)
        st.place(q, day, room, theatre)

    def calibrate(self, samples: int = 2000) -> float:
        """Median cost increase of the moves tried in a short descent (only improvements kept): the start
        temperature, so that about a third of typical worsening moves are accepted at first."""
        self.ups = []
        for _ in range(samples):
            self.rng.choice(self.table)(0.0)
        ups, self.ups = sorted(self.ups), None
        return float(ups[len(ups) // 2]) if ups else 10.0

    def _admitted(self) -> int:
        st = self.st
        for _ in range(20):
            p = self.rng.randrange(st.P)
            if st.adm[p] >= 0:
                return p
        return -1

    def move_room(self, temp: float) -> None:
        """Another room, same day and theatre."""
        p = self._admitted()
        if p >= 0:
            _, room, _ = self._random_target(p)
            self._try_place(p, self.st.adm[p], room, self.st.ot[p], temp)

    def move_theatre(self, temp: float) -> None:
        """Another theatre, same day and room (only the theatre and surgeon terms change)."""
        st, p = self.st, self._admitted()
        if p < 0:
            return
        old, t = st.ot[p], self.rng.randrange(st.T)
        if t == old or self._feasible() and not st.theatre_fits(p, st.adm[p], t):
            return
        if not self._accept(st.set_theatre(p, t), temp):
            st.set_theatre(p, old)

    def move_swap_rooms(self, temp: float) -> None:
        """Two admitted patients exchange rooms."""
        st = self.st
        p, q = self._admitted(), self._admitted()
        if p < 0 or q < 0 or p == q or st.room[p] == st.room[q]:
            return
        rp, rq = st.room[p], st.room[q]
        if rq in st.inp.patients[p].incompatible_rooms or rp in st.inp.patients[q].incompatible_rooms:
            return
        old_p, old_q = (st.adm[p], rp, st.ot[p]), (st.adm[q], rq, st.ot[q])
        delta = st.unplace(q) + st.place(p, old_p[0], rq, old_p[2]) + st.place(q, old_q[0], rp, old_q[2])
        if st.cost >= HARD and delta > 0 or not self._accept(delta, temp):
            st.unplace(q)
            st.place(p, *old_p)
            st.place(q, *old_q)

    # ----- nurse moves -----
    def _occupied_room_shift(self) -> tuple[int, int] | None:
        st = self.st
        i = self.rng.randrange(st.P + st.O)
        if st.adm[i] < 0:
            return None
        days = range(st.adm[i], min(st.D, st.adm[i] + st.los[i]))
        return st.room[i], self.rng.choice(days) * st.spd + self.rng.randrange(st.spd)

    def move_nurse(self, temp: float) -> None:
        """Another rostered nurse for an occupied room-shift."""
        rs = self._occupied_room_shift()
        if rs is None or not self.st.working[rs[1]]:
            return
        r, s = rs
        old = self.st.rn[r][s]
        if not self._accept(self.st.set_nurse(r, s, self._nurse_for(r, s)), temp):
            self.st.set_nurse(r, s, old)

    def _nurse_for(self, r: int, s: int) -> int:
        """A rostered nurse for room ``r`` in shift ``s``: half the time one the people there already know."""
        st = self.st
        here = st.rd_stays[r][s // st.spd]
        if here and self.rng.random() < 0.5:
            known = [n for n in st.cont[next(iter(here))] if st.nmax[n][s] >= 0]
            if known:
                return self.rng.choice(known)
        return self.rng.choice(st.working[s])

    def move_nurse_swap(self, temp: float) -> None:
        """Two occupied rooms of one shift exchange their nurses (each nurse's number of rooms is kept, so the
        skill and continuity terms move without piling work on one nurse)."""
        st, a, b = self.st, self._occupied_room_shift(), self._occupied_room_shift()
        if a is None or b is None:
            return
        r1, s = a
        r2 = b[0]
        n1, n2 = st.rn[r1][s], st.rn[r2][s]
        if r1 == r2 or n1 == n2 or not st.rd_stays[r2][s // st.spd]:
            return
        delta = st.set_nurse(r1, s, n2) + st.set_nurse(r2, s, n1)
        if not self._accept(delta, temp):
            st.set_nurse(r2, s, n2)
            st.set_nurse(r1, s, n1)

    def move_nurse_block(self, temp: float) -> None:
        """One nurse takes a room for every shift she works in a block of up to four days."""
        rs = self._occupied_room_shift()
        if rs is None or not self.st.working[rs[1]]:
            return
        st, (r, s) = self.st, rs
        n = self._nurse_for(r, s)
        d0 = s // st.spd
        span = range(max(0, d0 - self.rng.randint(0, 3)) * st.spd, min(st.D, d0 + self.rng.randint(1, 4)) * st.spd)
        old = [(t, st.rn[r][t]) for t in span if st.nmax[n][t] >= 0]
        delta = sum(st.set_nurse(r, t, n) for t, _ in old)
        if not self._accept(delta, temp):
            for t, m in reversed(old):
                st.set_nurse(r, t, m)

    # ----- the run -----
    def snapshot(self) -> None:
        """Keep the current state as the best one."""
        self.best_cost = self.st.cost
        self.best_plan = self.st.to_plan()

    def run(self, deadline: float, t_start: float, t_end: float) -> int:
        """Anneal from temperature ``t_start`` to ``t_end`` (cost units) until ``deadline`` (time.monotonic);
        the best state is copied at most every ``SNAPSHOT_S`` seconds and at the end. Returns the iterations."""
        start = last = time.monotonic()
        span = max(1e-6, deadline - start)
        temp, it = t_start, 0
        table, rng = self.table, self.rng
        while True:
            it += 1
            if it % 200 == 0:
                now = time.monotonic()
                if now >= deadline:
                    break
                temp = t_start * (t_end / t_start) ** ((now - start) / span)
                if self.st.cost < self.best_cost and now - last > SNAPSHOT_S:
                    self.snapshot()
                    last = now
            rng.choice(table)(temp)
        if self.st.cost < self.best_cost:
            self.snapshot()
        return it
