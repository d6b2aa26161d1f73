"""CP-SAT day planning: the admission day of every patient on an aggregate model of the hospital.

Exact on what decides feasibility most often (each surgeon's minutes per day), and aggregate on the rest:
theatre minutes per day (with open theatres as 0/1 choices, so S5 is priced), beds per day over all rooms.
Its answer orders and steers the construction; rooms, genders and nurses are decided afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.solvers.cpsat import found, solve_cpsat
from optimizer.surgery.day_lp import lp_values, mip_days, options
from optimizer.surgery.model import Input
from optimizer.surgery.rooms import Wards


def _solved(m: cp_model.CpModel, time_limit_s: float, seed: int, workers: int) -> cp_model.CpSolver | None:
    """Solve ``m`` within ``time_limit_s`` (at least 0.5 s), completing its hint first (up to 10,000 conflicts);
    the solver when it found a plan, else None."""
    solver, status = solve_cpsat(m, max(0.5, time_limit_s), seed, workers, hint_conflict_limit=10_000)
    return solver if found(status) else None


def plan_days(inp: Input, time_limit_s: float, seed: int, workers: int, hint: bool = True,
              second: str = "mip") -> dict[int, int] | None:
    """Admission day per admitted patient (postponed optional patients are absent), ``None`` if no answer.

    The greedy plan of :func:`greedy_days`, guided by the LP relaxation (:func:`day_lp.lp_values`), is the
    start. Two solves of half the time each follow and the best of the three plans is kept: CP-SAT from the
    start as a complete hint, then (``second``) HiGHS's MIP from the start (``"mip"``) or CP-SAT from no hint
    (``"cpsat"``). ``hint=False``: one CP-SAT solve from no hint, the whole time. The greedy start itself is
    returned when no solve answers in time (i22 and i27 under load 9-12) and it admits every mandatory patient
    (it meets the model's constraints)."""
    lp = lp_values(inp) if hint else None
    greedy, beds = greedy_days(inp, lp)
    model = _day_model(inp)
    answers = []
    if hint:
        model.hint(inp, greedy, beds)
        answers.append(model.solve(time_limit_s / 2, seed, workers))
        if second == "mip":
            answers.append(mip_days(inp, time_limit_s / 2, greedy))
        else:
            model.m.clear_hints()
            answers.append(model.solve(time_limit_s / 2, seed, workers))
        if all(p in greedy for p, pat in enumerate(inp.patients) if pat.mandatory):
            answers.append((_plan_cost(inp, greedy), greedy))
    else:
        answers.append(model.solve(time_limit_s, seed, workers))
    answers = [a for a in answers if a is not None]
    return min(answers, key=lambda a: a[0])[1] if answers else None


def _plan_cost(inp: Input, days: dict[int, int]) -> float:
    """Delay, postponements and (upper bound) open theatres of a day plan: each day opens its theatres, longest
    first, until the surgery minutes fit."""
    pats, w = inp.patients, inp.weights
    cost = sum(w["patient_delay"] * (d - pats[p].release_day) for p, d in days.items())
    cost += w["unscheduled_optional"] * sum(not pat.mandatory and p not in days for p, pat in enumerate(pats))
    return cost + w["open_operating_theater"] * sum(len(_opened(inp, days, d)) for d in range(inp.days))


def _opened(inp: Input, days: dict[int, int], d: int) -> set[int]:
    """Theatres a greedy plan opens on day ``d``: longest first, until its surgery minutes fit."""
    need = sum(inp.patients[p].duration for p, dd in days.items() if dd == d)
    out = set()
    for t in sorted(range(len(inp.theatre_ids)), key=lambda k: -inp.theatre_availability[k][d]):
        if need <= 0:
            break
        out.add(t)
        need -= inp.theatre_availability[t][d]
    return out


@dataclass
class _DayModel:
    """The CP-SAT day model and its variables: admissions ``x[p, d]``, open theatres and room genders per day."""

    m: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]
    opened: dict[int, list[cp_model.IntVar]]
    female: dict[int, list[cp_model.IntVar]]

    def solve(self, time_limit_s: float, seed: int, workers: int) -> tuple[float, dict[int, int]] | None:
        """Objective and admission days, or ``None`` without an answer in time."""
        solver = _solved(self.m, time_limit_s, seed, workers)
        if solver is None:
            return None
        return solver.objective_value, {p: d for (p, d), v in self.x.items() if solver.boolean_value(v)}

    def hint(self, inp: Input, days: dict[int, int], beds: _Beds) -> None:
        """A complete hint from a greedy plan: admissions, open theatres (longest first until the minutes fit)
        and room genders (``beds``' split of the gender-free rooms)."""
        for (p, d), v in self.x.items():
            self.m.add_hint(v, days.get(p) == d)
        for d, opened in self.opened.items():
            chosen = _opened(inp, days, d)
            for t, v in enumerate(opened):
                self.m.add_hint(v, t in chosen)
        for d, female in self.female.items():
            women = beds.female_rooms(d)
            for r, v in enumerate(female):
                self.m.add_hint(v, r in women if beds.gender[r][d] is None else beds.gender[r][d] == "A")


def _day_model(inp: Input) -> _DayModel:
    """The CP-SAT day model, built from per-day and per-surgeon-day lists (linear in the options, under a
    second on the largest competition instance)."""
    m = cp_model.CpModel()
    D, T = inp.days, len(inp.theatre_ids)
    model = _DayModel(m, {}, {}, {})
    cost = []
    by_day: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in range(D)]
    by_surgeon_day: dict[tuple[int, int], list] = {}
    present: list[dict[str, list]] = [{"A": [], "B": []} for _ in range(D)]
    for p, pat in enumerate(inp.patients):
        chosen = []
        for d in options(inp, p):
            v = model.x[p, d] = m.new_bool_var(f"x{p}_{d}")
            chosen.append(v)
            cost.append(inp.weights["patient_delay"] * (d - pat.release_day) * v)
            by_day[d].append((p, v))
            by_surgeon_day.setdefault((pat.surgeon, d), []).append(pat.duration * v)
            for e in range(d, min(D, d + pat.length_of_stay)):
                present[e][pat.gender].append(v)
        if pat.mandatory:
            m.add_exactly_one(chosen)
        else:
            m.add_at_most_one(chosen)
            cost.append(inp.weights["unscheduled_optional"] * (1 - sum(chosen)))
    for (u, d), terms in by_surgeon_day.items():
        m.add(sum(terms) <= inp.surgeon_max_time[u][d])
    for d in range(D):
        if by_day[d]:
            opened = model.opened[d] = [m.new_bool_var(f"o{t}_{d}") for t in range(T)]
            m.add(sum(inp.patients[p].duration * v for p, v in by_day[d])
                  <= sum(inp.theatre_availability[t][d] * opened[t] for t in range(T)))
            cost.append(inp.weights["open_operating_theater"] * sum(opened))
        model.female[d] = _beds_by_gender(inp, m, present[d], d)
    m.minimize(sum(cost))
    return model


class _Beds:
    """Beds by gender per day as the day plan sees them: rooms with an occupant keep the occupant's gender, the
    other rooms may go to either gender (a subset sum over their free beds, kept as a bit set per day)."""

    def __init__(self, inp: Input) -> None:
        D, R = inp.days, len(inp.room_ids)
        wards = Wards(inp)
        self.free, self.gender = wards.free, wards.gender
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
#: Passes of :func:`_greedy_complete` (each moves the mandatory patients left out to the front of the order).
GREEDY_PASSES = 8


def greedy_days(inp: Input, lp: dict[tuple[int, int], float] | None = None) -> tuple[dict[int, int], _Beds]:
    """A quick solution of the day plan, used as its hint: mandatory patients by due day, then optional ones in
    each order of ``GREEDY_ORDERS``, each on the earliest day with the surgeon's minutes, pooled theatre minutes
    and a bed of its gender (``_Beds``) left on every day of the stay. With the LP relaxation's values ``lp``
    also: optional patients by their admitted share in the LP, each on its days by LP value (i27: 42,085
    against 55,940 for the best order without it). The cheapest plan in delay and postponements that admits
    every mandatory patient (the cheapest of all if none does). Returns the days and the beds."""
    pats = inp.patients
    w_delay, w_out = inp.weights["patient_delay"], inp.weights["unscheduled_optional"]
    earliest = {p: options(inp, p) for p in range(len(pats))}
    runs = [(sorted(range(len(pats)), key=lambda p, k=key: (not pats[p].mandatory, pats[p].last_day(inp.days))
                    if pats[p].mandatory else (True, k(pats[p]))), earliest) for key in GREEDY_ORDERS]
    if lp is not None:
        ranked, share = _lp_preferences(earliest, lp)
        runs.append((sorted(range(len(pats)), key=lambda p: (not pats[p].mandatory, pats[p].last_day(inp.days))
                            if pats[p].mandatory else (True, -share[p])), ranked))
    best = None
    for order, days_of in runs:
        days, beds = _greedy_complete(inp, order, days_of)
        missing = sum(pats[p].mandatory and p not in days for p in range(len(pats)))
        cost = sum(w_delay * (d - pats[p].release_day) for p, d in days.items()) + w_out * (len(pats) - len(days))
        if best is None or (missing, cost) < best[0]:
            best = ((missing, cost), days, beds)
    return best[1], best[2]


def _lp_preferences(days_of: dict[int, list[int]], lp: dict[tuple[int, int], float]
                    ) -> tuple[dict[int, list[int]], dict[int, float]]:
    """Each patient's days by decreasing LP value (earliest first among equals), and its admitted share."""
    ranked = {p: sorted(days, key=lambda d, p=p: (-lp.get((p, d), 0.0), d)) for p, days in days_of.items()}
    share = {p: sum(lp.get((p, d), 0.0) for d in days) for p, days in days_of.items()}
    return ranked, share


def _greedy_complete(inp: Input, order: list[int], days_of: dict[int, list[int]]) -> tuple[dict[int, int], _Beds]:
    """:func:`_greedy`, and again with the mandatory patients it left out moved to the front (at most
    ``GREEDY_PASSES`` passes: i22 in the LP order left 2 out at first, none after)."""
    days, beds = _greedy(inp, order, days_of)
    for _ in range(GREEDY_PASSES - 1):
        missing = [p for p in order if inp.patients[p].mandatory and p not in days]
        if not missing:
            break
        order = missing + [p for p in order if p not in set(missing)]
        days, beds = _greedy(inp, order, days_of)
    return days, beds


def _greedy(inp: Input, order: list[int], days_of: dict[int, list[int]]) -> tuple[dict[int, int], _Beds]:
    """Each patient in ``order`` on the first of its days (``days_of``) with the surgeon's minutes, pooled theatre
    minutes and a bed of its gender on every day of the stay."""
    D = inp.days
    su = [list(row) for row in inp.surgeon_max_time]
    ot = [sum(inp.theatre_availability[t][d] for t in range(len(inp.theatre_ids))) for d in range(D)]
    beds = _Beds(inp)
    out: dict[int, int] = {}
    for p in order:
        pat = inp.patients[p]
        for d in days_of[p]:
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
