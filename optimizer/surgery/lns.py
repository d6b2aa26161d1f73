"""CP-SAT large-neighbourhood search over the patient part: free a few dozen patients, re-insert them exactly.

A neighbourhood frees a set of patients (those admitted in a window of days with the postponed or later ones that
could come in, those of one or two surgeons, those in a few rooms, or a random set) and gives each a short list
of admission days (its current day included); each freed patient gets a day, a room and a theatre, or an optional
one is postponed. Every other patient and every room-shift's nurse stays as it is. With the nurses fixed every
cost term is exact in the sub-model:

* S1 per room-day (largest minus smallest age group present), H1 gender and H7 beds per room-day;
* S2 and S3 per candidate (patient, day, room): the room's nurses over the stay are known;
* S4 per nurse-shift, an excess variable where the freed patients could push her load over the maximum;
* S5 per theatre-day (open), H4 theatre minutes; S6 per surgeon-day (theatres used beyond the first), H3 minutes;
* S7 delay and S8 postponement per patient, H5 (a mandatory patient must get a day), H6 (days in the window).

So the sub-model's optimum is the best re-insertion of the freed patients, and the state's cost changes by exactly
the sub-model's objective change; the move is applied to the state and kept only when the cost does not rise.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.solvers.cpsat import found, solve_cpsat
from optimizer.surgery.state import HARD, State

Placement = tuple[int, int, int]  # (day, room, theatre); day -1: postponed
#: Gain (cost units) each kind of neighbourhood is credited with before it is tried, for the odds of ``LNS._pick``.
PRIOR_GAIN = 20.0


@dataclass
class Neighbourhood:
    """Freed patients with their admission-day options, and the rooms they may take (``None``: any)."""

    kind: str
    days: dict[int, list[int]]
    rooms: list[int] | None = None


@dataclass
class KindStats:
    """What one kind of neighbourhood achieved: sub-problems solved, improvements, total gain, seconds."""

    tries: int = 0
    improved: int = 0
    gain: int = 0
    seconds: float = 0.0


def _fits_room(st: State, p: int, day: int, r: int) -> bool:
    """Room ``r`` has a free bed of ``p``'s gender on every day of the stay given the fixed people, and a nurse
    in every shift of the stay."""
    fem = st.female[p]
    for e in range(day, min(st.D, day + st.los[p])):
        n = len(st.rd_stays[r][e])
        if n >= st.cap[r]:
            return False
        f = st.rd_female[r][e]
        if (n - f if fem else f) > 0:
            return False
        if any(st.rn[r][s] < 0 for s in range(e * st.spd, (e + 1) * st.spd)):
            return False
    return True


class SubModel:
    """The exact re-insertion model of a neighbourhood on a state from which its patients were removed."""

    def __init__(self, st: State, nb: Neighbourhood) -> None:
        self.st, self.m = st, cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.a: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.c: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.obj: list = []
        self.room_day: dict[tuple[int, int], list] = defaultdict(list)
        self.theatre_day: dict[tuple[int, int], list] = defaultdict(list)
        self.surgeon_day: dict[tuple[int, int], list] = defaultdict(list)
        self.nurse_shift: dict[tuple[int, int], list] = defaultdict(list)
        for p, days in nb.days.items():
            self._patient(p, days, nb.rooms)
        self._rooms()
        self._theatres()
        self._surgeons()
        self._nurses()
        self.m.minimize(sum(self.obj))

    # ----- per patient -----
    def _patient(self, p: int, days: list[int], rooms: list[int] | None) -> None:
        st, m = self.st, self.m
        pat = st.inp.patients[p]
        chosen = []
        for d in days:
            if st.su_max[pat.surgeon][d] - st.su_load[pat.surgeon][d] < pat.duration:
                continue
            theatres = [t for t in range(st.T) if st.avail[t][d] - st.ot_load[t][d] >= pat.duration]
            fitting = [r for r in (rooms if rooms is not None else range(st.R))
                       if r not in pat.incompatible_rooms and _fits_room(st, p, d, r)]
            if not theatres or not fitting:
                continue
            x = self.x[p, d] = m.new_bool_var(f"x{p}_{d}")
            chosen.append(x)
            self.obj.append(st.w_delay * (d - pat.release_day) * x)
            self.surgeon_day[pat.surgeon, d].append((x, pat.duration))
            for t in theatres:
                self.a[p, d, t] = m.new_bool_var(f"a{p}_{d}_{t}")
                self.theatre_day[t, d].append((self.a[p, d, t], pat.duration, pat.surgeon))
            m.add(sum(self.a[p, d, t] for t in theatres) == x)
            for r in fitting:
                self._candidate(p, d, r)
            m.add(sum(self.c[p, d, r] for r in fitting) == x)
        if pat.mandatory:
            m.add_exactly_one(chosen)
        else:
            m.add_at_most_one(chosen)
            self.obj.append(st.w_unscheduled * (1 - sum(chosen)))

    def _candidate(self, p: int, d: int, r: int) -> None:
        """Patient ``p`` in room ``r`` from day ``d``: its skill shortfall and distinct nurses (exact, nurses
        fixed), and its share of each room-day and nurse-shift."""
        st = self.st
        c = self.c[p, d, r] = self.m.new_bool_var(f"c{p}_{d}_{r}")
        short, nurses = 0, set()
        base = d * st.spd
        for s in range(base, min(st.D, d + st.los[p]) * st.spd):
            k = s - base
            n = st.rn[r][s]
            short += max(0, st.skill[p][k] - st.nurse_skill[n])
            nurses.add(n)
            if st.workload[p][k]:
                self.nurse_shift[n, s].append((c, st.workload[p][k]))
        for e in range(d, min(st.D, d + st.los[p])):
            self.room_day[r, e].append((c, st.female[p], st.age[p]))
        coef = st.w_skill * short + st.w_cont * len(nurses)
        if coef:
            self.obj.append(coef * c)

    # ----- shared resources -----
    def _rooms(self) -> None:
        """Beds (H7), one gender (H1) and the age spread (S1) of every room-day a candidate touches."""
        st, m = self.st, self.m
        for (r, e), entries in self.room_day.items():
            fixed = len(st.rd_stays[r][e])
            free = st.cap[r] - fixed
            if len(entries) > free:
                m.add(sum(v for v, _, _ in entries) <= free)
            if not fixed and len({f for _, f, _ in entries}) > 1:
                g = m.new_bool_var(f"g{r}_{e}")
                for v, f, _ in entries:
                    m.add_implication(v, g if f else g.Not())
            self._age_spread(r, e, entries)

    def _age_spread(self, r: int, e: int, entries: list) -> None:
        st, m = self.st, self.m
        ages = st.rd_age[r][e]
        present = [g for g in range(st.G) if ages[g]]
        lo0, hi0 = (present[0], present[-1]) if present else (st.G - 1, 0)
        outside = {a for _, _, a in entries if a < lo0 or a > hi0}
        if not outside:
            return  # every candidate's age group is inside the fixed spread: constant
        hi = m.new_int_var(hi0 if present else 0, st.G - 1, f"hi{r}_{e}")
        lo = m.new_int_var(0, lo0, f"lo{r}_{e}")
        m.add(hi >= lo)
        for age in outside:
            flag = m.new_bool_var(f"age{r}_{e}_{age}")
            for v, _, a in entries:
                if a == age:
                    m.add_implication(v, flag)
            m.add(hi >= age).only_enforce_if(flag)
            m.add(lo <= age).only_enforce_if(flag)
        self.obj.append(st.w_age * (hi - lo))

    def _theatres(self) -> None:
        """Theatre minutes (H4) and open theatres (S5)."""
        st, m = self.st, self.m
        for (t, d), entries in self.theatre_day.items():
            free = st.avail[t][d] - st.ot_load[t][d]
            if sum(dur for _, dur, _ in entries) > free:
                m.add(sum(dur * v for v, dur, _ in entries) <= free)
            if not st.ot_count[t][d]:
                o = m.new_bool_var(f"o{t}_{d}")
                for v, _, _ in entries:
                    m.add_implication(v, o)
                self.obj.append(st.w_open * o)

    def _surgeons(self) -> None:
        """Surgeon minutes (H3) and transfers (S6: theatres used beyond the first on a day)."""
        st, m = self.st, self.m
        uses: dict[tuple[int, int, int], list] = defaultdict(list)
        for (t, d), entries in self.theatre_day.items():
            for v, _, u in entries:
                uses[u, d, t].append(v)
        by_day: dict[tuple[int, int], list] = defaultdict(list)
        for (u, d, t), vs in uses.items():
            if not st.su_ot[u][d][t]:
                used = m.new_bool_var(f"u{u}_{d}_{t}")
                for v in vs:
                    m.add_implication(v, used)
                by_day[u, d].append(used)
        for (u, d), entries in self.surgeon_day.items():
            free = st.su_max[u][d] - st.su_load[u][d]
            if sum(dur for _, dur in entries) > free:
                m.add(sum(dur * v for v, dur in entries) <= free)
            new = by_day.get((u, d), [])
            if new:
                fixed = sum(1 for k in st.su_ot[u][d] if k)
                tr = m.new_int_var(0, st.T, f"tr{u}_{d}")
                m.add(tr >= fixed + sum(new) - 1)
                self.obj.append(st.w_transfer * tr)

    def _nurses(self) -> None:
        """Nurse workload above the maximum (S4), where the freed patients can push it over."""
        st, m = self.st, self.m
        for (n, s), entries in self.nurse_shift.items():
            base, cap = st.nload[n][s], st.nmax[n][s]
            top = base + sum(w for _, w in entries)
            if top > cap:
                ex = m.new_int_var(0, top - cap, f"ex{n}_{s}")
                m.add(ex >= base + sum(w * v for v, w in entries) - cap)
                self.obj.append(st.w_load * ex)

    # ----- solving -----
    def hint(self, old: dict[int, Placement]) -> None:
        """The current placement of the freed patients as the solver's first solution."""
        for (p, d), v in self.x.items():
            self.m.add_hint(v, old[p][0] == d)
        for (p, d, t), v in self.a.items():
            self.m.add_hint(v, old[p][0] == d and old[p][2] == t)
        for (p, d, r), v in self.c.items():
            self.m.add_hint(v, old[p][0] == d and old[p][1] == r)

    def solve(self, limit_s: float, seed: int, workers: int) -> tuple[dict[int, Placement], bool] | None:
        """Placements of the freed patients (day -1: postponed) and whether they are proven optimal."""
        solver, status = solve_cpsat(self.m, limit_s, seed, workers)
        if not found(status):
            return None
        out: dict[int, Placement] = {}
        for (p, d), v in self.x.items():
            if solver.boolean_value(v):
                t = next(t for t in range(self.st.T) if (p, d, t) in self.a and solver.boolean_value(self.a[p, d, t]))
                r = next(r for r in range(self.st.R) if (p, d, r) in self.c and solver.boolean_value(self.c[p, d, r]))
                out[p] = (d, r, t)
        return out, status == cp_model.OPTIMAL


def _apply(st: State, placements: dict[int, Placement]) -> None:
    """Remove every freed patient, then place those with a day."""
    for p in placements:
        if st.adm[p] >= 0:
            st.unplace(p)
    for p, (d, r, t) in placements.items():
        if d >= 0:
            st.place(p, d, r, t)


def reinsert(st: State, nb: Neighbourhood, limit_s: float, seed: int, workers: int) -> tuple[int, bool]:
    """Solve the neighbourhood and keep the answer when the state's cost does not rise; returns the cost change
    and whether the sub-model was solved to optimality."""
    old = {p: (st.adm[p], st.room[p], st.ot[p]) for p in nb.days}
    before = st.cost
    _apply(st, {p: (-1, -1, -1) for p in nb.days})
    sub = SubModel(st, nb)
    sub.hint(old)
    answer = sub.solve(limit_s, seed, workers)
    new = {p: answer[0].get(p, (-1, -1, -1)) for p in nb.days} if answer else old
    _apply(st, new)
    if st.cost > before:
        _apply(st, old)
    return st.cost - before, bool(answer and answer[1])


@dataclass
class LNS:
    """Neighbourhood choice and the sub-problem size, adapted to how fast the sub-problems are solved."""

    st: State
    rng: random.Random
    seed: int = 0
    workers: int = 2
    size: int = 30  # freed patients per sub-problem, adapted
    stats: dict[str, KindStats] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kinds = {"window": self.window, "surgeons": self.surgeons, "rooms": self.rooms,
                      "scattered": self.scattered}
        pats = self.st.inp.patients
        self.by_surgeon: dict[int, list[int]] = defaultdict(list)
        for p, pat in enumerate(pats):
            self.by_surgeon[pat.surgeon].append(p)

    def _window_days(self, p: int, d0: int, d1: int) -> list[int]:
        pat = self.st.inp.patients[p]
        days = list(range(max(pat.release_day, d0), min(pat.last_day(self.st.D), d1) + 1))
        if self.st.adm[p] >= 0 and self.st.adm[p] not in days:
            days.append(self.st.adm[p])
        return days

    def _near_days(self, p: int, spread: int) -> list[int]:
        """The current day and up to ``spread`` days either side (a postponed patient: ``2 spread + 1`` days
        at random in its window)."""
        st, pat = self.st, self.st.inp.patients[p]
        lo, hi = pat.release_day, pat.last_day(st.D)
        if st.adm[p] >= 0:
            return list(range(max(lo, st.adm[p] - spread), min(hi, st.adm[p] + spread) + 1))
        days = list(range(lo, hi + 1))
        return sorted(self.rng.sample(days, min(len(days), 2 * spread + 1)))

    def _cap(self, core: list[int], extra: list[int]) -> list[int]:
        """At most ``size`` patients: the core ones first (a random part if too many), then extras at random."""
        self.rng.shuffle(core)
        self.rng.shuffle(extra)
        return (core + extra)[: self.size]

    def window(self) -> Neighbourhood:
        """Patients admitted in a window of 2-4 days, and postponed or later ones who could come in then."""
        st = self.st
        d0 = self.rng.randrange(st.D)
        d1 = min(st.D - 1, d0 + self.rng.randint(1, 3))
        pats = st.inp.patients
        core = [p for p in range(st.P) if d0 <= st.adm[p] <= d1]
        extra = [p for p in range(st.P) if (st.adm[p] < 0 or st.adm[p] > d1) and pats[p].release_day <= d1
                 and pats[p].last_day(st.D) >= d0]
        return Neighbourhood("window", {p: self._window_days(p, d0, d1) for p in self._cap(core, extra)})

    def surgeons(self) -> Neighbourhood:
        """Every patient of one or two surgeons, each within two days of their current day."""
        us = self.rng.sample(list(self.by_surgeon), min(2, len(self.by_surgeon)))
        chosen = self._cap([p for u in us for p in self.by_surgeon[u]], [])
        return Neighbourhood("surgeons", {p: self._near_days(p, 2) for p in chosen})

    def rooms(self) -> Neighbourhood:
        """Bed packing: the patients of two to four rooms and postponed optional patients, any admissible day,
        any of those rooms."""
        st = self.st
        rooms = self.rng.sample(range(st.R), min(st.R, self.rng.randint(2, 4)))
        core = [p for p in range(st.P) if st.room[p] in rooms]
        extra = [p for p in range(st.P) if st.adm[p] < 0]
        pats = st.inp.patients
        chosen = self._cap(core, extra)
        return Neighbourhood("rooms", {p: list(range(pats[p].release_day, pats[p].last_day(st.D) + 1))
                                       for p in chosen}, rooms)

    def scattered(self) -> Neighbourhood:
        """Random patients, each within two days of their current day."""
        chosen = self.rng.sample(range(self.st.P), min(self.st.P, self.size))
        return Neighbourhood("scattered", {p: self._near_days(p, 2) for p in chosen})

    def _pick(self) -> str:
        """A kind of neighbourhood, with odds proportional to its gain per second so far (each starts as if it
        had gained ``PRIOR_GAIN`` in one second, so every kind is tried)."""
        names = list(self.kinds)
        rates = [(PRIOR_GAIN + k.gain) / (1.0 + k.seconds)
                 for k in (self.stats.get(n, KindStats()) for n in names)]
        return self.rng.choices(names, weights=rates)[0]

    def step(self, limit_s: float) -> int:
        """One sub-problem; returns the cost change (never positive). The size grows after a proven optimum
        and shrinks after a time-out."""
        if self.st.cost >= HARD:
            return 0
        nb = self.kinds[self._pick()]()
        t0 = time.monotonic()
        delta, optimal = reinsert(self.st, nb, limit_s, self.seed + len(self.stats), self.workers)
        stats = self.stats.setdefault(nb.kind, KindStats())
        stats.tries += 1
        stats.improved += delta < 0
        stats.gain -= delta
        stats.seconds += time.monotonic() - t0
        self.size = min(120, self.size + 2) if optimal else max(8, int(self.size * 0.8))
        return delta
