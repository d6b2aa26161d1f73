"""Incremental solution state for the search: every cost term kept up to date by small exact operations.

Each operation (a stay added to / removed from a room, a surgery added / removed, a room-shift's nurse changed)
returns the exact change of the penalised cost: the official weighted soft cost plus ``HARD`` per unit of any
hard violation (so a partial construction still compares). Occupants are stays ``P..P+O-1`` fixed from day 0.
Every room-shift keeps a nurse rostered in that shift, occupied or not: an empty room costs nothing and a patient
moving in is covered at once; the solution file lists only occupied rooms.
"""

from __future__ import annotations

from optimizer.surgery.model import Input, Plan

#: Penalty per unit of hard violation inside the search (larger than any soft cost of a competition instance).
HARD = 1_000_000
#: Penalty per overtime minute on top of ``HARD`` per overloaded theatre or surgeon day (so a repair move that
#: trades an overload for a missing mandatory patient is not blocked by the minutes alone).
HARD_MINUTE = 1_000


def overtime_penalty(minutes: int) -> int:
    """Search penalty of a theatre's or surgeon's overtime on one day."""
    return HARD + HARD_MINUTE * minutes if minutes > 0 else 0


class State:
    """Admissions, rooms, theatres and nurses with the tables the cost terms are read from."""

    def __init__(self, inp: Input) -> None:
        self.inp = inp
        self.P, self.O = len(inp.patients), len(inp.occupants)
        self.D, self.spd, self.S = inp.days, inp.shifts_per_day, inp.shifts
        self.R, self.T, self.U = len(inp.room_ids), len(inp.theatre_ids), len(inp.surgeon_ids)
        w = inp.weights
        self.w_age, self.w_skill = w["room_mixed_age"], w["room_nurse_skill"]
        self.w_cont, self.w_load = w["continuity_of_care"], w["nurse_eccessive_workload"]
        self.w_open, self.w_transfer = w["open_operating_theater"], w["surgeon_transfer"]
        self.w_delay, self.w_unscheduled = w["patient_delay"], w["unscheduled_optional"]
        stays = list(inp.patients) + list(inp.occupants)
        self.female = [1 if s.gender == "A" else 0 for s in stays]
        self.age = [s.age_group for s in stays]
        self.los = [s.length_of_stay for s in stays]
        self.workload = [s.workload for s in stays]
        self.skill = [s.skill for s in stays]
        self.G, self.L = len(inp.age_groups), inp.skill_levels
        self.adm = [-1] * self.P + [0] * self.O
        self.room = [-1] * self.P + [o.room for o in inp.occupants]
        self.ot = [-1] * self.P
        self.cap = list(inp.room_capacity)
        self.rd_stays: list[list[set[int]]] = [[set() for _ in range(self.D)] for _ in range(self.R)]
        self.rd_female = [[0] * self.D for _ in range(self.R)]
        self.rd_age = [[[0] * self.G for _ in range(self.D)] for _ in range(self.R)]
        self.rs_load = [[0] * self.S for _ in range(self.R)]
        self.rs_skill = [[[0] * self.L for _ in range(self.S)] for _ in range(self.R)]
        self.nurse_skill = [n.skill_level for n in inp.nurses]
        self.nmax = [[n.max_load.get(s, -1) for s in range(self.S)] for n in inp.nurses]
        self.working = [[n for n, nurse in enumerate(inp.nurses) if s in nurse.max_load] for s in range(self.S)]
        self.nload = [[0] * self.S for _ in inp.nurses]
        self.rn = [[-1] * self.S for _ in range(self.R)]
        self.cont: list[dict[int, int]] = [{} for _ in stays]
        self.ot_load = [[0] * self.D for _ in range(self.T)]
        self.ot_count = [[0] * self.D for _ in range(self.T)]
        self.avail = inp.theatre_availability
        self.su_load = [[0] * self.D for _ in range(self.U)]
        self.su_ot = [[[0] * self.T for _ in range(self.D)] for _ in range(self.U)]
        self.su_max = inp.surgeon_max_time
        self._default_nurses()
        self.cost = self.full_cost()
        for i in range(self.P, self.P + self.O):
            self.cost += self.add_stay(i)

    # ----- local cost functions (penalised) -----
    def rd_cost(self, r: int, d: int) -> int:
        """Age mix (S1), capacity (H7) and gender mix (H1) of room ``r`` on day ``d``."""
        n = len(self.rd_stays[r][d])
        if n == 0:
            return 0
        ages = self.rd_age[r][d]
        lo = next(g for g in range(self.G) if ages[g])
        hi = next(g for g in range(self.G - 1, -1, -1) if ages[g])
        f = self.rd_female[r][d]
        return self.w_age * (hi - lo) + HARD * (max(0, n - self.cap[r]) + min(f, n - f))

    def rs_cost(self, r: int, s: int) -> int:
        """Skill shortfall (S2) of the nurse of room ``r`` in shift ``s``, or an uncovered room (H8)."""
        if not self.rd_stays[r][s // self.spd]:
            return 0
        n = self.rn[r][s]
        if n < 0:
            return HARD
        lvl, counts = self.nurse_skill[n], self.rs_skill[r][s]
        return self.w_skill * sum((k - lvl) * counts[k] for k in range(lvl + 1, self.L))

    def ne_cost(self, n: int, s: int) -> int:
        """Workload above the nurse's maximum (S4) in shift ``s``."""
        return self.w_load * max(0, self.nload[n][s] - self.nmax[n][s]) if n >= 0 else 0

    def ct_cost(self, i: int) -> int:
        """Distinct nurses of stay ``i`` (S3)."""
        return self.w_cont * len(self.cont[i])

    def ot_cost(self, t: int, d: int) -> int:
        """Open theatre (S5) and theatre overtime (H4)."""
        if not self.ot_count[t][d]:
            return 0
        return self.w_open + overtime_penalty(self.ot_load[t][d] - self.avail[t][d])

    def su_cost(self, u: int, d: int) -> int:
        """Surgeon transfers (S6) and surgeon overtime (H3)."""
        used = sum(1 for c in self.su_ot[u][d] if c)
        return self.w_transfer * max(0, used - 1) + overtime_penalty(self.su_load[u][d] - self.su_max[u][d])

    def pt_cost(self, p: int) -> int:
        """Delay (S7) of an admitted patient; postponement (S8) or a missing mandatory patient (H5)."""
        pat = self.inp.patients[p]
        if self.adm[p] < 0:
            return HARD if pat.mandatory else self.w_unscheduled
        return self.w_delay * (self.adm[p] - pat.release_day)

    def full_cost(self) -> int:
        """The penalised cost recomputed from the tables (used at start and in tests)."""
        c = sum(self.rd_cost(r, d) for r in range(self.R) for d in range(self.D))
        c += sum(self.rs_cost(r, s) for r in range(self.R) for s in range(self.S))
        c += sum(self.ne_cost(n, s) for n in range(len(self.nmax)) for s in range(self.S) if self.nmax[n][s] >= 0)
        c += sum(self.ct_cost(i) for i in range(self.P + self.O))
        c += sum(self.ot_cost(t, d) for t in range(self.T) for d in range(self.D))
        c += sum(self.su_cost(u, d) for u in range(self.U) for d in range(self.D))
        return c + sum(self.pt_cost(p) for p in range(self.P))

    def _default_nurses(self) -> None:
        """Give every room-shift a rostered nurse (round robin), so no occupied room is ever uncovered."""
        for s in range(self.S):
            ws = self.working[s]
            if ws:
                for r in range(self.R):
                    self.rn[r][s] = ws[r % len(ws)]

    # ----- stays -----
    def _stay_update(self, i: int, sign: int) -> int:
        """Add (``sign=1``) or remove (``-1``) stay ``i`` in its room; returns the exact cost change, computed
        term by term as the tables change (age/gender/beds per day, skill, nurse load, continuity)."""
        r, spd, base = self.room[i], self.spd, self.adm[i] * self.spd
        wl, sk, cont = self.workload[i], self.skill[i], self.cont[i]
        rn, nload, nmax, nskill = self.rn[r], self.nload, self.nmax, self.nurse_skill
        rs_load, rs_skill = self.rs_load[r], self.rs_skill[r]
        w_skill, w_load = self.w_skill, self.w_load
        delta = -self.w_cont * len(cont)
        for d in range(self.adm[i], min(self.D, self.adm[i] + self.los[i])):
            here = self.rd_stays[r][d]
            was_empty = not here
            delta -= self.rd_cost(r, d)
            if sign > 0:
                here.add(i)
            else:
                here.discard(i)
            self.rd_female[r][d] += sign * self.female[i]
            self.rd_age[r][d][self.age[i]] += sign
            delta += self.rd_cost(r, d)
            for s in range(d * spd, d * spd + spd):
                k = s - base
                w = wl[k]
                rs_load[s] += sign * w
                rs_skill[s][sk[k]] += sign
                n = rn[s]
                if n < 0:
                    delta += HARD * (bool(here) - (not was_empty))  # uncovered room (H8)
                    continue
                short = sk[k] - nskill[n]
                if short > 0:
                    delta += sign * w_skill * short
                old = nload[n][s]
                new = old + sign * w
                nload[n][s] = new
                cap = nmax[n][s]
                delta += w_load * (max(0, new - cap) - max(0, old - cap))
                c = cont.get(n, 0) + sign
                if c:
                    cont[n] = c
                else:
                    del cont[n]
        return delta + self.w_cont * len(cont)

    def add_stay(self, i: int) -> int:
        """Put stay ``i`` (``adm`` and ``room`` already set) into its room; returns the cost change."""
        return self._stay_update(i, 1)

    def remove_stay(self, i: int) -> int:
        """Take stay ``i`` out of its room; returns the cost change."""
        return self._stay_update(i, -1)

    # ----- surgeries -----
    def _surgery(self, p: int, sign: int) -> int:
        t, d, pat = self.ot[p], self.adm[p], self.inp.patients[p]
        u = pat.surgeon
        before = self.ot_cost(t, d) + self.su_cost(u, d)
        self.ot_load[t][d] += sign * pat.duration
        self.ot_count[t][d] += sign
        self.su_load[u][d] += sign * pat.duration
        self.su_ot[u][d][t] += sign
        return self.ot_cost(t, d) + self.su_cost(u, d) - before

    def place(self, p: int, day: int, room: int, theatre: int) -> int:
        """Admit patient ``p`` (moving them if admitted); returns the cost change."""
        moved = self.unplace(p) if self.adm[p] >= 0 else 0
        delta = -self.pt_cost(p)
        self.adm[p], self.room[p], self.ot[p] = day, room, theatre
        delta += self.pt_cost(p) + self._surgery(p, 1) + self.add_stay(p)
        self.cost += delta
        return moved + delta

    def set_theatre(self, p: int, theatre: int) -> int:
        """Operate on admitted patient ``p`` in another theatre, same day and room (only the theatre and surgeon
        terms change); returns the cost change."""
        delta = self._surgery(p, -1)
        self.ot[p] = theatre
        delta += self._surgery(p, 1)
        self.cost += delta
        return delta

    def unplace(self, p: int) -> int:
        """Postpone patient ``p``; returns the cost change (also applied to ``self.cost``)."""
        delta = self.remove_stay(p) + self._surgery(p, -1) - self.pt_cost(p)
        self.adm[p], self.room[p], self.ot[p] = -1, -1, -1
        delta += self.pt_cost(p)
        self.cost += delta
        return delta

    # ----- feasibility checks (cheap, before a move) -----
    def room_fits(self, p: int, day: int, room: int) -> bool:
        """Room ``room`` is compatible and has a bed of the right gender for ``p`` on every day of the stay."""
        if room in self.inp.patients[p].incompatible_rooms:
            return False
        fem, cap = self.female[p], self.cap[room]
        stays, females = self.rd_stays[room], self.rd_female[room]
        for d in range(day, min(self.D, day + self.los[p])):
            here = stays[d]
            n = len(here) - (p in here)
            if n >= cap:
                return False
            f = females[d] - (fem if p in here else 0)
            if (f if not fem else n - f) > 0:
                return False
        return True

    def theatre_fits(self, p: int, day: int, theatre: int) -> bool:
        """Theatre time and the surgeon's time are left for ``p`` on ``day``."""
        pat = self.inp.patients[p]
        same = self.adm[p] == day
        own_t = pat.duration if same and self.ot[p] == theatre else 0
        own_u = pat.duration if same else 0
        return (self.ot_load[theatre][day] - own_t + pat.duration <= self.avail[theatre][day]
                and self.su_load[pat.surgeon][day] - own_u + pat.duration <= self.su_max[pat.surgeon][day])

    # ----- nurses -----
    def set_nurse(self, r: int, s: int, n: int) -> int:
        """Make ``n`` the nurse of room ``r`` in shift ``s``; returns the cost change."""
        old = self.rn[r][s]
        if old == n:
            return 0
        here = self.rd_stays[r][s // self.spd]
        before = self.rs_cost(r, s) + self.ne_cost(old, s) + self.ne_cost(n, s)
        before += sum(self.ct_cost(i) for i in here)
        load = self.rs_load[r][s]
        if old >= 0:
            self.nload[old][s] -= load
        self.nload[n][s] += load
        self.rn[r][s] = n
        for i in here:
            cont = self.cont[i]
            if old >= 0:
                c = cont[old] - 1
                if c:
                    cont[old] = c
                else:
                    del cont[old]
            cont[n] = cont.get(n, 0) + 1
        after = self.rs_cost(r, s) + self.ne_cost(old, s) + self.ne_cost(n, s)
        delta = after + sum(self.ct_cost(i) for i in here) - before
        self.cost += delta
        return delta

    # ----- output -----
    def to_plan(self) -> Plan:
        """The plan of the current state (nurses listed only for occupied rooms)."""
        plan = Plan.empty(self.inp)
        for p in range(self.P):
            if self.adm[p] >= 0:
                plan.admission[p], plan.room[p], plan.theatre[p] = self.adm[p], self.room[p], self.ot[p]
        plan.nurse_assignments = sorted(
            (self.rn[r][s], r, s) for r in range(self.R) for s in range(self.S)
            if self.rd_stays[r][s // self.spd] and self.rn[r][s] >= 0
        )
        return plan

    def load_plan(self, plan: Plan) -> None:
        """Adopt a plan's admissions and nurses (used to start from a given solution)."""
        for p, day in enumerate(plan.admission):
            if day is not None:
                self.place(p, day, plan.room[p], plan.theatre[p])
        for n, r, s in plan.nurse_assignments:
            self.set_nurse(r, s, n)
