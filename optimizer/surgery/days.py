"""CP-SAT day planning: the admission day of every patient on an aggregate model of the hospital.

Exact on what decides feasibility most often (each surgeon's minutes per day), and aggregate on the rest:
theatre minutes per day (with open theatres as 0/1 choices, so S5 is priced), beds per day over all rooms.
Its answer orders and steers the construction; rooms, genders and nurses are decided afterwards.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.solvers.cpsat import found, solve_cpsat
from optimizer.surgery.model import Input


def _solved(m: cp_model.CpModel, time_limit_s: float, seed: int, workers: int) -> cp_model.CpSolver | None:
    """Solve ``m`` within ``time_limit_s`` (at least 0.5 s), completing its hint first (up to 10,000 conflicts);
    the solver when it found a plan, else None."""
    solver, status = solve_cpsat(m, max(0.5, time_limit_s), seed, workers, hint_conflict_limit=10_000)
    return solver if found(status) else None


def _options(inp: Input, p: int) -> list[int]:
    """Admissible days of ``p`` with one theatre and the surgeon long enough for the surgery."""
    pat = inp.patients[p]
    return [d for d in range(pat.release_day, pat.last_day(inp.days) + 1)
            if inp.surgeon_max_time[pat.surgeon][d] >= pat.duration
            and any(row[d] >= pat.duration for row in inp.theatre_availability)]


def plan_days(inp: Input, time_limit_s: float, seed: int, workers: int,
              hint: bool = True) -> dict[int, int] | None:
    """Admission day per admitted patient (postponed optional patients are absent), ``None`` if no answer.

    The model is built from per-day and per-surgeon-day lists (linear in the options, under a second on the
    largest competition instance). It is solved twice in half the time each, from :func:`greedy_days` as a
    complete hint and from no hint, and the better answer is kept: at 9 s on a loaded machine the hint took i27
    from 72,500-81,400 to 55,400 (delay and postponements) and i08 from 4,600-8,250 to 3,200, while i13 did
    better without it (15,000 against 17,700). When neither solve answers in time (i22 and i27 under load 9-12)
    the greedy plan itself is returned if it admits every mandatory patient (it meets the model's constraints),
    instead of a second, longer solve. ``hint=False``: one solve from no hint, the whole time."""
    m = cp_model.CpModel()
    D, T = inp.days, len(inp.theatre_ids)
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    cost = []
    greedy, beds = greedy_days(inp)
    by_day: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in range(D)]
    by_surgeon_day: dict[tuple[int, int], list] = {}
    present: list[dict[str, list]] = [{"A": [], "B": []} for _ in range(D)]
    for p, pat in enumerate(inp.patients):
        for d in _options(inp, p):
            v = x[p, d] = m.new_bool_var(f"x{p}_{d}")
            cost.append(inp.weights["patient_delay"] * (d - pat.release_day) * v)
            by_day[d].append((p, v))
            by_surgeon_day.setdefault((pat.surgeon, d), []).append(pat.duration * v)
            for e in range(d, min(D, d + pat.length_of_stay)):
                present[e][pat.gender].append(v)
        chosen = [x[p, d] for d in _options(inp, p)]
        if pat.mandatory:
            m.add_exactly_one(chosen)
        else:
            m.add_at_most_one(chosen)
            cost.append(inp.weights["unscheduled_optional"] * (1 - sum(chosen)))
    for (u, d), terms in by_surgeon_day.items():
        m.add(sum(terms) <= inp.surgeon_max_time[u][d])
    for d in range(D):
        if by_day[d]:
            opened = [m.new_bool_var(f"o{t}_{d}") for t in range(T)]
            m.add(sum(inp.patients[p].duration * v for p, v in by_day[d])
                  <= sum(inp.theatre_availability[t][d] * opened[t] for t in range(T)))
            cost.append(inp.weights["open_operating_theater"] * sum(opened))
            need = sum(inp.patients[p].duration for p, dd in greedy.items() if dd == d)
            for t in sorted(range(T), key=lambda k: -inp.theatre_availability[k][d]):
                m.add_hint(opened[t], need > 0)
                need -= inp.theatre_availability[t][d]
        female = _beds_by_gender(inp, m, present[d], d)
        women = beds.female_rooms(d)
        for r, v in enumerate(female):
            m.add_hint(v, r in women if beds.gender[r][d] is None else beds.gender[r][d] == "A")
    for (p, d), v in x.items():
        m.add_hint(v, greedy.get(p) == d)
    m.minimize(sum(cost))
    answers = []
    for hinted in (True, False) if hint else (False,):  # the hint leads CP-SAT far on large instances,
        if not hinted:  # astray on some
            m.clear_hints()
        solver = _solved(m, time_limit_s / 2 if hint else time_limit_s, seed, workers)
        if solver is not None:
            answers.append((solver.objective_value, {p: d for (p, d), v in x.items() if solver.boolean_value(v)}))
    if answers:
        return min(answers, key=lambda a: a[0])[1]
    complete = hint and all(p in greedy for p, pat in enumerate(inp.patients) if pat.mandatory)
    return greedy if complete else None  # no CP-SAT answer in time (a loaded machine): the greedy plan


class _Beds:
    """Beds by gender per day as the day plan sees them: rooms with an occupant keep the occupant's gender, the
    other rooms may go to either gender (a subset sum over their free beds, kept as a bit set per day)."""

    def __init__(self, inp: Input) -> None:
        D, R = inp.days, len(inp.room_ids)
        self.free = [[inp.room_capacity[r]] * D for r in range(R)]
        self.gender: list[list[str | None]] = [[None] * D for _ in range(R)]
        for o in inp.occupants:
            for d in range(min(D, o.length_of_stay)):
                self.free[o.room][d] -= 1
                self.gender[o.room][d] = o.gender
        self.fixed = [{g: sum(self.free[r][d] for r in range(R) if self.gender[r][d] == g) for g in "AB"}
                      for d in range(D)]
        self.open_rooms = [[r for r in range(R) if self.gender[r][d] is None] for d in range(D)]
        self.prefix: list[list[int]] = []  # per day: bed sums reachable with the first k gender-free rooms
        for d in range(D):
            reach = [1]
            for r in self.open_rooms[d]:
                reach.append(reach[-1] | reach[-1] << self.free[r][d])
            self.prefix.append(reach)
        self.count = [{"A": 0, "B": 0} for _ in range(D)]

    def _window(self, d: int, extra: str | None) -> tuple[int, int]:
        """Female beds the gender-free rooms must give on day ``d``: at least ``lo``, at most ``hi``."""
        need = {g: self.count[d][g] + (g == extra) - self.fixed[d][g] for g in "AB"}
        return max(0, need["A"]), sum(self.free[r][d] for r in self.open_rooms[d]) - max(0, need["B"])

    def fits(self, d: int, gender: str) -> bool:
        """One more person of ``gender`` on day ``d`` still fits some split of the gender-free rooms."""
        lo, hi = self._window(d, gender)
        return hi >= lo and (self.prefix[d][-1] >> lo) & ((1 << (hi - lo + 1)) - 1) != 0

    def female_rooms(self, d: int) -> set[int]:
        """The gender-free rooms given to women on day ``d`` in a split that fits everyone counted."""
        lo, hi = self._window(d, None)
        reach = self.prefix[d]
        target = next((b for b in range(lo, hi + 1) if reach[-1] >> b & 1), lo)
        chosen = set()
        for k in range(len(self.open_rooms[d]), 0, -1):
            if not reach[k - 1] >> target & 1:
                r = self.open_rooms[d][k - 1]
                chosen.add(r)
                target -= self.free[r][d]
        return chosen

    def add(self, d: int, gender: str) -> None:
        self.count[d][gender] += 1


#: Orders of the optional patients tried by :func:`greedy_days` (the postponement weight is per patient, so the
#: ones using the least of the binding resource should go first: surgeon minutes, bed-days, or both).
GREEDY_ORDERS = (
    lambda pat: pat.duration * pat.length_of_stay,
    lambda pat: (pat.length_of_stay, pat.duration),
    lambda pat: (pat.duration, pat.length_of_stay),
)


def greedy_days(inp: Input) -> tuple[dict[int, int], _Beds]:
    """A quick solution of the day plan, used as its hint: mandatory patients by due day, then optional ones in
    each order of ``GREEDY_ORDERS``, each on the earliest day with the surgeon's minutes, pooled theatre minutes
    and a bed of its gender (``_Beds``) left on every day of the stay; the cheapest in delay and postponements.
    Returns the days and the beds (for the room genders)."""
    pats = inp.patients
    w_delay, w_out = inp.weights["patient_delay"], inp.weights["unscheduled_optional"]
    best = None
    for key in GREEDY_ORDERS:
        order = sorted(range(len(pats)), key=lambda p, k=key: (not pats[p].mandatory, pats[p].last_day(inp.days))
                       if pats[p].mandatory else (True, k(pats[p])))
        days, beds = _greedy(inp, order)
        cost = sum(w_delay * (d - pats[p].release_day) for p, d in days.items()) + w_out * (len(pats) - len(days))
        if best is None or cost < best[0]:
            best = (cost, days, beds)
    return best[1], best[2]


def _greedy(inp: Input, order: list[int]) -> tuple[dict[int, int], _Beds]:
    D = inp.days
    su = [list(row) for row in inp.surgeon_max_time]
    ot = [sum(inp.theatre_availability[t][d] for t in range(len(inp.theatre_ids))) for d in range(D)]
    beds = _Beds(inp)
    out: dict[int, int] = {}
    for p in order:
        pat = inp.patients[p]
        for d in _options(inp, p):
            stay = range(d, min(D, d + pat.length_of_stay))
            if su[pat.surgeon][d] >= pat.duration and ot[d] >= pat.duration and \
                    all(beds.fits(e, pat.gender) for e in stay):
                su[pat.surgeon][d] -= pat.duration
                ot[d] -= pat.duration
                for e in stay:
                    beds.add(e, pat.gender)
                out[p] = d
                break
    return out, beds


def _beds_by_gender(inp: Input, m: cp_model.CpModel, present: dict[str, list], d: int) -> list:
    """Each room holds one gender on day ``d`` (0/1 per room, fixed by its occupants); people of each gender
    present that day (``present[gender]``: their day variables) fit in the beds of the rooms given to it.
    Returns the rooms' gender variables (1: women)."""
    female = [m.new_bool_var(f"f{r}_{d}") for r in range(len(inp.room_ids))]
    beds_f, beds_m = list(inp.room_capacity), list(inp.room_capacity)
    for o in inp.occupants:
        if o.length_of_stay > d:
            m.add(female[o.room] == (1 if o.gender == "A" else 0))
            beds_f[o.room] -= 1
            beds_m[o.room] -= 1
    for gender, flag in (("A", 1), ("B", 0)):
        if present[gender]:
            beds = beds_f if flag else beds_m
            m.add(sum(present[gender]) <= sum(beds[r] * (female[r] if flag else 1 - female[r])
                                              for r in range(len(female))))
    return female


def plan_rooms(inp: Input, days: dict[int, int], time_limit_s: float, seed: int,
               workers: int) -> dict[int, int] | None:
    """A room for each patient of the day plan: exact beds, genders and compatibilities (occupants included);
    an optional patient may be dropped (priced at the postponement weight), a mandatory one may not."""
    m = cp_model.CpModel()
    R, D = len(inp.room_ids), inp.days
    female = [[m.new_bool_var(f"f{r}_{d}") for d in range(D)] for r in range(R)]
    load: list[list[list]] = [[[] for _ in range(D)] for _ in range(R)]
    free = [[inp.room_capacity[r]] * D for r in range(R)]
    for o in inp.occupants:
        for d in range(min(D, o.length_of_stay)):
            m.add(female[o.room][d] == (1 if o.gender == "A" else 0))
            free[o.room][d] -= 1
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    dropped = []
    for p, day in days.items():
        pat = inp.patients[p]
        stay = range(day, min(D, day + pat.length_of_stay))
        for r in range(R):
            if r not in pat.incompatible_rooms:
                y[p, r] = v = m.new_bool_var(f"y{p}_{r}")
                for d in stay:
                    load[r][d].append(v)
                    m.add_implication(v, female[r][d] if pat.gender == "A" else female[r][d].Not())
        chosen = [y[p, r] for r in range(R) if (p, r) in y]
        if pat.mandatory:
            m.add_exactly_one(chosen)
        else:
            m.add_at_most_one(chosen)
            dropped.append(1 - sum(chosen))
    for r in range(R):
        for d in range(D):
            if load[r][d]:
                m.add(sum(load[r][d]) <= max(0, free[r][d]))
    if dropped:
        m.minimize(sum(dropped))
    solver = _solved(m, time_limit_s, seed, workers)
    if solver is None:
        return None
    return {p: r for (p, r), v in y.items() if solver.boolean_value(v)}
