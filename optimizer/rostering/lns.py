"""Decomposition for large instances: large-neighbourhood search over staff groups and week windows.

Starting from the incumbent roster, each step frees one neighbourhood and fixes every other cell to the
incumbent, then lets CP-SAT re-optimise the freed part (hinted with the incumbent) for a few seconds:

* a staff group: a random set of people (all days), with the people of one role together when roles exist;
* a week window: every person over a random window of 7 or 14 days;
* a short-cover window: every person over the days around a day whose cover is below its requirement.

A step is kept when it does not worsen the objective. The size of the neighbourhood adapts: it grows after
a step that was solved to optimality without improving (the neighbourhood was too easy) and shrinks after
a step that timed out.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

from ortools.sat.python import cp_model

from optimizer.rostering.cpsat import BuiltModel
from optimizer.rostering.instance import Roster, RosterInstance
from optimizer.rostering.settings import RosterSettings


def _fix(model: cp_model.CpModel, index: int, value: int) -> None:
    """Fix variable ``index`` of ``model`` to ``value`` by shrinking its domain in the proto."""
    domain = model.Proto().variables[index].domain
    domain.clear()
    domain.extend([value, value])


def _short_days(inst: RosterInstance, roster: Roster) -> list[int]:
    """Days with at least one cover line below its requirement (where a better roster must change)."""
    slots = {s.id: s.slots for s in inst.shifts}
    role = {e.id: e.role for e in inst.staff}
    count: dict[tuple[int, str, str | None], int] = defaultdict(int)
    for eid, row in roster.items():
        for d, x in enumerate(row):
            for slot in slots[x] if x else ():
                count[(d, slot, role[eid])] += 1
                count[(d, slot, None)] += 1
    return sorted({c.day for c in inst.cover if count[(c.day, c.slot, c.role)] < c.requirement})


def lns_improve(
    inst: RosterInstance,
    built: BuiltModel,
    incumbent: Roster,
    objective: int,
    deadline: float,
    settings: RosterSettings,
    lower_bound: float,
) -> tuple[Roster, int, int]:
    """Improve ``incumbent`` until ``deadline`` (``time.monotonic()``); returns roster, objective, steps."""
    rng = random.Random(settings.seed)
    staff = inst.staff_ids
    H = inst.horizon
    frac = 0.25
    steps = 0
    while time.monotonic() < deadline - 0.5 and objective > lower_bound:
        steps += 1
        pick = rng.random()
        short = _short_days(inst, incumbent)
        if pick < 0.4:
            k = max(2, int(round(frac * len(staff))))
            free_staff = set(rng.sample(staff, min(k, len(staff))))
            free = {(e, d) for e in free_staff for d in range(H)}
        elif pick < 0.7 and short:
            centre = rng.choice(short)
            width = max(3, int(round(frac * 14)))
            free = {(e, d) for e in staff for d in range(max(0, centre - width), min(H, centre + width + 1))}
        else:
            width = min(H, max(7, 7 * int(round(frac * 4 + 0.5))))
            start = rng.randrange(0, max(1, H - width + 1))
            free = {(e, d) for e in staff for d in range(start, start + width)}
        sub = built.model.clone()
        for (e, d, s), var in built.x.items():
            if (e, d) not in free:
                _fix(sub, var.Index(), 1 if incumbent[e][d] == s else 0)
        sub.ClearHints()
        for (e, d, s), var in built.x.items():
            sub.AddHint(var, 1 if incumbent[e][d] == s else 0)
        sub.Add(sum(built.terms.values()) <= objective)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.5, min(3.0, deadline - time.monotonic()))
        solver.parameters.num_workers = settings.workers
        solver.parameters.random_seed = settings.seed + steps
        solver.parameters.subsolvers.extend(settings.subsolvers)
        status = solver.Solve(sub)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = int(round(solver.ObjectiveValue()))
            if value <= objective:
                improved = value < objective
                incumbent = built.roster(solver, inst)
                objective = value
                if status == cp_model.OPTIMAL and not improved:
                    frac = min(0.6, frac * 1.15)
            if status == cp_model.FEASIBLE:
                frac = max(0.08, frac / 1.15)
        else:
            frac = max(0.08, frac / 1.15)
    return incumbent, objective, steps
