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
    """Solve ``m`` within ``time_limit_s`` (at least 0.5 s); the solver when it found a plan, else None."""
    solver, status = solve_cpsat(m, max(0.5, time_limit_s), seed, workers)
    return solver if found(status) else None


def _options(inp: Input, p: int) -> range:
    pat = inp.patients[p]
    return range(pat.release_day, pat.last_day(inp.days) + 1)


def plan_days(inp: Input, time_limit_s: float, seed: int, workers: int) -> dict[int, int] | None:
    """Admission day per admitted patient (postponed optional patients are absent), ``None`` if no answer."""
    m = cp_model.CpModel()
    D, T = inp.days, len(inp.theatre_ids)
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    cost = []
    for p, pat in enumerate(inp.patients):
        for d in _options(inp, p):
            if any(inp.theatre_availability[t][d] >= pat.duration for t in range(T)) and \
                    inp.surgeon_max_time[pat.surgeon][d] >= pat.duration:
                x[p, d] = m.new_bool_var(f"x{p}_{d}")
                cost.append(inp.weights["patient_delay"] * (d - pat.release_day) * x[p, d])
        chosen = [x[p, d] for d in _options(inp, p) if (p, d) in x]
        if pat.mandatory:
            m.add_exactly_one(chosen)
        else:
            m.add_at_most_one(chosen)
            cost.append(inp.weights["unscheduled_optional"] * (1 - sum(chosen)))
    for u in range(len(inp.surgeon_ids)):
        for d in range(D):
            terms = [inp.patients[p].duration * v for (p, dd), v in x.items() if dd == d
                     and inp.patients[p].surgeon == u]
            if terms:
                m.add(sum(terms) <= inp.surgeon_max_time[u][d])
    for d in range(D):
        terms = [inp.patients[p].duration * v for (p, dd), v in x.items() if dd == d]
        if terms:
            opened = [m.new_bool_var(f"o{t}_{d}") for t in range(T)]
            m.add(sum(terms) <= sum(inp.theatre_availability[t][d] * opened[t] for t in range(T)))
            cost.append(inp.weights["open_operating_theater"] * sum(opened))
    for d in range(D):
        _beds_by_gender(inp, m, x, d)
    m.minimize(sum(cost))
    solver = _solved(m, time_limit_s, seed, workers)
    if solver is None:
        return None
    return {p: d for (p, d), v in x.items() if solver.boolean_value(v)}


def _beds_by_gender(inp: Input, m: cp_model.CpModel, x: dict, d: int) -> None:
    """Each room holds one gender on day ``d`` (0/1 per room, fixed by its occupants); people of each gender
    present that day fit in the beds of the rooms given to that gender."""
    female = [m.new_bool_var(f"f{r}_{d}") for r in range(len(inp.room_ids))]
    beds_f, beds_m = list(inp.room_capacity), list(inp.room_capacity)
    for o in inp.occupants:
        if o.length_of_stay > d:
            m.add(female[o.room] == (1 if o.gender == "A" else 0))
            beds_f[o.room] -= 1
            beds_m[o.room] -= 1
    for gender, flag in (("A", 1), ("B", 0)):
        present = [v for (p, dd), v in x.items() if dd <= d < dd + inp.patients[p].length_of_stay
                   and inp.patients[p].gender == gender]
        if present:
            beds = beds_f if flag else beds_m
            m.add(sum(present) <= sum(beds[r] * (female[r] if flag else 1 - female[r])
                                      for r in range(len(female))))


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
