"""Large-neighbourhood search (LNS) over people: re-roster a few people over the whole horizon, exactly.

Each person's labour rules are independent of everybody else's; only cover (and fairness) couples people. A
step frees ``k`` people (2-``lns_max_people``), keeps everybody else's row fixed, and builds a sub-model holding
only the freed people's variables and rules plus the cover lines with the fixed people's shifts as constants
(``cpsat.build_model(free=..., fixed=...)``). That sub-model has a few hundred variables and CP-SAT usually
solves it to optimality in tens of milliseconds, so a minute holds hundreds to thousands of steps where the
former LNS (a copy of the whole model with cells fixed through proto domains) ran about one a second. A step
is kept when it does not worsen the objective, so the search also walks across plateaus of equal cost.

Neighbourhoods (the freed people):

* a costly cover line (under- or over-covered, chosen with probability proportional to its penalty): one
  person who can change that line (for under-cover, someone allowed to work its shift that day who does not;
  for over-cover, someone working it) plus people working that day, who can trade shifts with them;
* an unmet request: its person plus others;
* random people (of one role when the instance has roles).

``k`` grows by one after ``lns_stall_steps`` steps without improvement (larger moves to leave a local optimum,
up to ``lns_max_people``) and falls back to 2 after an improvement.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

from ortools.sat.python import cp_model

from optimizer.rostering.cpsat import build_model
from optimizer.rostering.instance import Roster, RosterInstance
from optimizer.rostering.settings import RosterSettings


def short_lines(inst: RosterInstance, roster: Roster) -> list[tuple[int, str, str | None]]:
    """Cover lines ``(day, slot, role)`` of ``roster`` below their requirement (where a better roster differs)."""
    return [(c.day, c.slot, c.role) for c, n in _line_counts(inst, roster) if n < c.requirement]


def _line_counts(inst: RosterInstance, roster: Roster) -> list[tuple[object, int]]:
    """Every cover line with the number of people filling it in ``roster``."""
    slots = {s.id: s.slots for s in inst.shifts}
    role = {e.id: e.role for e in inst.staff}
    count: dict[tuple[int, str, str | None], int] = defaultdict(int)
    for eid, row in roster.items():
        for d, x in enumerate(row):
            for slot in slots[x] if x else ():
                count[(d, slot, role[eid])] += 1
                count[(d, slot, None)] += 1
    return [(c, count[(c.day, c.slot, c.role)]) for c in inst.cover]


Cells = set[tuple[str, int]]


def neighbourhood(inst: RosterInstance, roster: Roster, rng: random.Random, k: int) -> tuple[str, Cells]:
    """Pick one neighbourhood kind at random (see the module docstring); returns its name and the freed cells."""
    H = inst.horizon
    whole = range(H)
    roles = sorted({e.role for e in inst.staff})
    lines = _line_counts(inst, roster)
    under = [(c, c.weight_under * (c.requirement - n)) for c, n in lines if n < c.requirement and c.weight_under]
    over_workers: set[str] = set()
    shifts_of = {s.id: s.slots for s in inst.shifts}
    over_days = {(c.day, c.slot, c.role) for c, n in lines if n > c.requirement}
    for e in inst.staff:
        for d, s in enumerate(roster[e.id]):
            if s and any((d, slot, r) in over_days for slot in shifts_of[s] for r in (None, e.role)):
                over_workers.add(e.id)
    pick = rng.random()
    if under and pick < 0.6:
        c = rng.choices([u[0] for u in under], weights=[u[1] for u in under])[0]
        shifts = {s.id for s in inst.shifts if c.slot in s.slots}
        members = [e for e in inst.staff if c.role is None or e.role == c.role]
        movers = [e.id for e in members if roster[e.id][c.day] not in shifts
                  and any(inst.allowed(e, s, c.day) for s in shifts)] or [e.id for e in members]
        first = rng.choice(movers)
        slack = [e.id for e in members if e.id in over_workers and e.id != first]
        others = [e.id for e in members if e.id != first]
        chosen = {first}
        while len(chosen) < min(k, len(members)):
            chosen.add(rng.choice(slack if slack and rng.random() < 0.5 else others))
        if pick < 0.45:
            return "short line", {(e, d) for e in chosen for d in whole}
        people = set(rng.sample(others, min(len(others), max(2, len(members) // 3)))) | {first}
        r = rng.randint(3, 7)
        return "box", {(e, d) for e in people for d in range(max(0, c.day - r), min(H, c.day + r + 1))}
    pool = [e.id for e in inst.staff]
    if len(roles) > 1:
        chosen_role = rng.choice(roles)
        pool = [e.id for e in inst.staff if e.role == chosen_role]
    return "random", {(e, d) for e in rng.sample(pool, min(len(pool), k)) for d in whole}


def lns_improve(
    inst: RosterInstance,
    incumbent: Roster,
    objective: int,
    deadline: float,
    settings: RosterSettings,
    lower_bound: float,
) -> tuple[Roster, int, int]:
    """Improve ``incumbent`` until ``deadline`` (``time.monotonic()``); returns roster, objective, steps.

    Stops early when the objective reaches ``lower_bound`` (proven optimal). Never returns a worse roster:
    a step's roster is kept only when its objective (the full objective, fixed people included) is not larger.
    """
    rng = random.Random(settings.seed)
    steps = stall = 0
    k = 2
    max_k = min(settings.lns_max_people, len(inst.staff))
    while time.monotonic() < deadline - 0.05 and objective > lower_bound:
        steps += 1
        stall += 1
        _, free = neighbourhood(inst, incumbent, rng, k)
        sub = build_model(inst, free=free, fixed=incumbent)
        sub.hint(incumbent)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, min(settings.lns_step_s, deadline - time.monotonic()))
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = settings.seed + steps
        solver.parameters.linearization_level = 2
        solver.parameters.symmetry_level = 0
        status = solver.Solve(sub.model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = int(round(solver.ObjectiveValue()))
            if value < objective:
                stall, k = 0, 2
            if value <= objective:
                incumbent = sub.roster(solver, inst)
                objective = value
        if stall >= settings.lns_stall_steps and k < max_k:
            stall, k = 0, k + 1
    return incumbent, objective, steps
