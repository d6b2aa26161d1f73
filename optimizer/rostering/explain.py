"""Explain an infeasible roster: which hard rules, for which person or day, cannot hold together.

The model is rebuilt with one assumption literal per rule group (a person's minimum minutes, a day's minimum
cover, a published cell, ...). CP-SAT returns a subset of assumptions that is already infeasible; a deletion
pass then drops every rule that is not needed for the conflict, so the message names a small set of rules a
planner can act on (give someone a day back, lower a minimum, accept a change in the published period).
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from optimizer.i18n import Msg, Said, msg, said
from optimizer.rostering.cpsat import build_model
from optimizer.rostering.instance import RosterInstance
from optimizer.solvers.cpsat import found, solve_cpsat

#: Deletion-pass steps at most (each is a short CP-SAT call).
MAX_DELETION_STEPS = 40


def _infeasible_with(model: cp_model.CpModel, lits: list[int], limit: float, seed: int) -> bool | None:
    """True if the model is infeasible under only the assumptions ``lits`` (None = undecided in time)."""
    model.ClearAssumptions()
    model.AddAssumptions([model.GetBoolVarFromProtoIndex(i) for i in lits])
    _, status = solve_cpsat(model, max(0.1, limit), seed)
    if status == cp_model.INFEASIBLE:
        return True
    if found(status):
        return False
    return None


def explain_infeasibility(inst: RosterInstance, time_limit_s: float = 20.0, seed: int = 0) -> list[Said]:
    """Messages ``"rule <number> <rule>: <person/day detail>"`` for a small set of rules that conflict (English
    text carrying its catalogue message: HR reads them in their language)."""
    t0 = time.monotonic()
    built = build_model(inst, symmetry_breaking=False, explain=True)
    model = built.model
    model.ClearObjective()
    all_lits = list(built.guards)
    solver, status = solve_cpsat(model, time_limit_s / 2, seed)
    if status != cp_model.INFEASIBLE:
        return [said("models.rostering.not_proven")]
    core = list(solver.SufficientAssumptionsForInfeasibility()) or all_lits
    i = 0
    steps = 0
    while i < len(core) and steps < MAX_DELETION_STEPS:
        left = time_limit_s - (time.monotonic() - t0)
        if left <= 0.2:
            break
        trial = core[:i] + core[i + 1 :]
        steps += 1
        if trial and _infeasible_with(model, trial, min(2.0, left), seed):
            core = trial
        else:
            i += 1
    return [conflict_line(built.guards[lit][0], built.guards[lit][3]) for lit in core]


def conflict_line(rule: str, text: Msg) -> Said:
    """``rule 9 days off: ANA is off on days 3``: the rule's number, its name from the catalogue
    (``models.rostering.rule.<name>``) and the person/day detail."""
    number, name = rule.split(" ", 1)
    return said("models.rostering.conflict", number=number, rule=msg(f"models.rostering.rule.{name.replace(' ', '_')}"),
                detail=text)
