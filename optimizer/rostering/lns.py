"""Large-neighbourhood search (LNS) around the incumbent roster, each step a short CP-SAT solve.

Each step frees one neighbourhood (a set of person-day cells), fixes every other cell to the incumbent, hints
the incumbent, caps the objective at the incumbent's value and lets CP-SAT re-optimise the freed cells for at
most ``RosterSettings.lns_step_s`` seconds. A step is kept when it does not worsen the objective. The
neighbourhoods, most targeted first:

* short cover: a cover line below its requirement (chosen at random among them); the people who may work
  its shift on its day are freed (up to ``lns_target_staff`` of them) over a window of 2-4 days either side.
  Under-cover costs 100 per person in the benchmark, so that is where a better roster must differ;
* a box: a third of the people over a random window of 7-14 days;
* a staff group: 2-6 random people over the whole horizon (with roles: people of one role);
* a day window: everybody over a random window of 3-7 days.

Measured at 30 s under a load of 4-6 on 2 cores (single runs; benchmarks/results/rostering.md): after a short
full solve, this LNS reached 8,296-10,039 on Instance12 where CP-SAT alone (its own LNS workers included)
ended at 13,091-14,285; the short-cover and box steps gave nearly all of that. Instance10 6,023 against 6,629,
Instance11 5,554 against 6,259. On Instance5/7 it stalls (Instance7 1,399 against 1,068 for the full solve),
so it is used only on the larger instances (``RosterSettings.decomposition_min_cells``).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

from ortools.sat.python import cp_model

from optimizer.rostering.cpsat import BuiltModel
from optimizer.rostering.instance import Roster, RosterInstance
from optimizer.rostering.settings import RosterSettings

Cells = set[tuple[str, int]]


def short_lines(inst: RosterInstance, roster: Roster) -> list[tuple[int, str, str | None]]:
    """Cover lines ``(day, slot, role)`` of ``roster`` below their requirement (where a better roster differs)."""
    slots = {s.id: s.slots for s in inst.shifts}
    role = {e.id: e.role for e in inst.staff}
    count: dict[tuple[int, str, str | None], int] = defaultdict(int)
    for eid, row in roster.items():
        for d, x in enumerate(row):
            for slot in slots[x] if x else ():
                count[(d, slot, role[eid])] += 1
                count[(d, slot, None)] += 1
    return [(c.day, c.slot, c.role) for c in inst.cover if count[(c.day, c.slot, c.role)] < c.requirement]


def neighbourhood(
    inst: RosterInstance, roster: Roster, rng: random.Random, settings: RosterSettings
) -> tuple[str, Cells]:
    """Pick one neighbourhood kind at random (see the module docstring) and return its name and free cells."""
    staff = inst.staff_ids
    H = inst.horizon
    short = short_lines(inst, roster)
    pick = rng.random()
    if short and pick < 0.7:
        day, slot, role = rng.choice(short)
        shifts = {s.id for s in inst.shifts if slot in s.slots}
        able = [
            e.id for e in inst.staff
            if (role is None or e.role == role)
            and any(inst.allowed(e, s, day) for s in shifts)
        ]
        people = rng.sample(able, min(len(able), settings.lns_target_staff)) if able else staff
        r = rng.randint(2, 4)
        return "short cover", {(e, d) for e in people for d in range(max(0, day - r), min(H, day + r + 1))}
    if pick < 0.85:
        width = min(H, rng.randint(7, 14))
        start = rng.randrange(0, H - width + 1)
        people = rng.sample(staff, max(2, len(staff) // 3))
        return "box", {(e, d) for e in people for d in range(start, start + width)}
    if pick < 0.93:
        roles = sorted({e.role for e in inst.staff})
        pool = staff
        if len(roles) > 1:
            chosen = rng.choice(roles)
            pool = [e.id for e in inst.staff if e.role == chosen]
        people = rng.sample(pool, min(len(pool), rng.randint(2, 6)))
        return "staff group", {(e, d) for e in people for d in range(H)}
    width = min(H, rng.randint(3, 7))
    start = rng.randrange(0, H - width + 1)
    return "day window", {(e, d) for e in staff for d in range(start, start + width)}


def _fix(model: cp_model.CpModel, index: int, value: int) -> None:
    """Fix variable ``index`` of ``model`` to ``value`` by shrinking its domain in the proto."""
    domain = model.Proto().variables[index].domain
    domain.clear()
    domain.extend([value, value])


def _cap_objective(model: cp_model.CpModel, value: int) -> None:
    """Restrict the objective (offset included) to ``<= value`` through the objective domain of the proto."""
    objective = model.Proto().objective
    domain = objective.domain
    domain.clear()
    domain.extend([-(2**62), value - int(round(objective.offset))])


def lns_improve(
    inst: RosterInstance,
    built: BuiltModel,
    incumbent: Roster,
    objective: int,
    deadline: float,
    settings: RosterSettings,
    lower_bound: float,
) -> tuple[Roster, int, int]:
    """Improve ``incumbent`` until ``deadline`` (``time.monotonic()``); returns roster, objective, steps.

    Stops early when the objective reaches ``lower_bound`` (proven optimal) or after
    ``settings.lns_stall_steps`` steps in a row without improvement (a local optimum of these
    neighbourhoods; the caller then polishes with a full solve). Never returns a worse roster.
    """
    rng = random.Random(settings.seed)
    steps = stall = 0
    while time.monotonic() < deadline - 0.2 and objective > lower_bound and stall < settings.lns_stall_steps:
        steps += 1
        stall += 1
        _, free = neighbourhood(inst, incumbent, rng, settings)
        sub = built.model.clone()
        sub.ClearHints()
        for (e, d, s), var in built.x.items():
            value = 1 if incumbent[e][d] == s else 0
            if (e, d) not in free:
                _fix(sub, var.Index(), value)
            sub.AddHint(var, value)
        _cap_objective(sub, objective)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, min(settings.lns_step_s, deadline - time.monotonic()))
        solver.parameters.num_workers = settings.lns_workers
        solver.parameters.random_seed = settings.seed + steps
        status = solver.Solve(sub)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = int(round(solver.ObjectiveValue()))
            if value < objective:
                stall = 0
            if value <= objective:
                incumbent = built.roster(solver, inst)
                objective = value
    return incumbent, objective, steps
