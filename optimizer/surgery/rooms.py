"""The room plan: a room for each patient of the day plan, exact on beds, genders and compatibilities.

A best-fit greedy assignment (mandatory patients first, then optional ones, each by admission day) is the
complete hint of a CP-SAT model that may drop optional patients (fewest dropped). Without the hint CP-SAT kept
396 of i27's 436 day-plan patients in 5 s and 425 in 20 s.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.solvers.cpsat import found, solve_cpsat
from optimizer.surgery.model import Input


class Wards:
    """Free beds and the gender of every room-day (``None``: empty), occupants included."""

    def __init__(self, inp: Input) -> None:
        D, R = inp.days, len(inp.room_ids)
        self.inp = inp
        self.free = [[inp.room_capacity[r]] * D for r in range(R)]
        self.gender: list[list[str | None]] = [[None] * D for _ in range(R)]
        for o in inp.occupants:
            for d in range(min(D, o.length_of_stay)):
                self.free[o.room][d] -= 1
                self.gender[o.room][d] = o.gender

    def stay(self, p: int, day: int) -> range:
        return range(day, min(self.inp.days, day + self.inp.patients[p].length_of_stay))

    def fits(self, p: int, day: int, r: int) -> bool:
        """Room ``r`` is compatible with ``p`` and has a bed of ``p``'s gender on every day of the stay."""
        g = self.inp.patients[p].gender
        return r not in self.inp.patients[p].incompatible_rooms and all(
            self.free[r][d] > 0 and self.gender[r][d] in (None, g) for d in self.stay(p, day))

    def waste(self, p: int, day: int, r: int) -> tuple[int, int]:
        """Best fit: days of the stay on which the room is still empty (a gender fixed for nothing else), then the
        free beds left."""
        days = self.stay(p, day)
        return sum(self.gender[r][d] is None for d in days), sum(self.free[r][d] for d in days)

    def put(self, p: int, day: int, r: int) -> None:
        for d in self.stay(p, day):
            self.free[r][d] -= 1
            self.gender[r][d] = self.inp.patients[p].gender


def greedy_rooms(inp: Input, days: dict[int, int]) -> tuple[dict[int, int], Wards]:
    """Best-fit rooms: mandatory patients, then optional ones, each by admission day and longest stay first;
    a patient with no fitting room is left out (an optional one is postponed)."""
    wards = Wards(inp)
    out: dict[int, int] = {}
    pats = inp.patients
    for p in sorted(days, key=lambda q: (not pats[q].mandatory, days[q], -pats[q].length_of_stay)):
        fitting = [r for r in range(len(inp.room_ids)) if wards.fits(p, days[p], r)]
        if fitting:
            r = min(fitting, key=lambda k: wards.waste(p, days[p], k))
            wards.put(p, days[p], r)
            out[p] = r
    return out, wards


def plan_rooms(inp: Input, days: dict[int, int], time_limit_s: float, seed: int,
               workers: int) -> dict[int, int] | None:
    """A room for each patient of the day plan: exact beds, genders and compatibilities (occupants included);
    an optional patient may be dropped (fewest dropped), a mandatory one may not. CP-SAT from the greedy rooms
    as a complete hint (i27: 427 of 436 kept in 2 s); the greedy rooms themselves when CP-SAT has no answer in
    time and they keep every mandatory patient; else ``None``."""
    m, y, female = _room_model(inp, days)
    greedy, wards = greedy_rooms(inp, days)
    _hint(m, y, female, greedy, wards)
    solver, status = solve_cpsat(m, max(0.5, time_limit_s), seed, workers, hint_conflict_limit=10_000)
    if found(status):
        return {p: r for (p, r), v in y.items() if solver.boolean_value(v)}
    complete = all(p in greedy for p in days if inp.patients[p].mandatory)
    return greedy if complete else None  # no CP-SAT answer in time: the greedy rooms when they are complete


def _room_model(inp: Input, days: dict[int, int]) -> tuple[cp_model.CpModel, dict, list[list[cp_model.IntVar]]]:
    """``y[p, r]`` (patient ``p`` in room ``r`` for the whole stay) and ``female[r][d]`` (room ``r`` holds women
    on day ``d``): beds per room-day, one gender per room-day, fewest optional patients dropped."""
    m = cp_model.CpModel()
    R, D = len(inp.room_ids), inp.days
    female = [[m.new_bool_var(f"f{r}_{d}") for d in range(D)] for r in range(R)]
    load: list[list[list]] = [[[] for _ in range(D)] for _ in range(R)]
    free = Wards(inp).free
    for o in inp.occupants:
        for d in range(min(D, o.length_of_stay)):
            m.add(female[o.room][d] == (1 if o.gender == "A" else 0))
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    dropped = []
    for p, day in days.items():
        pat = inp.patients[p]
        for r in range(R):
            if r not in pat.incompatible_rooms:
                y[p, r] = v = m.new_bool_var(f"y{p}_{r}")
                for d in range(day, min(D, day + pat.length_of_stay)):
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
    return m, y, female


def _hint(m: cp_model.CpModel, y: dict[tuple[int, int], cp_model.IntVar], female: list[list[cp_model.IntVar]],
          rooms: dict[int, int], wards: Wards) -> None:
    """The greedy rooms as a complete hint (an empty room-day hinted as men's)."""
    for (p, r), v in y.items():
        m.add_hint(v, rooms.get(p) == r)
    for r, row in enumerate(female):
        for d, v in enumerate(row):
            m.add_hint(v, wards.gender[r][d] == "A")
