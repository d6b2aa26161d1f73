"""One roster run end to end: solve, validate, the one KPI dict and the plan tables.

The CLI (``bienestar roster``), the scenario stage (one run per hospital, in worker processes) and the API
call :func:`run`, so they report the same numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer.plan import Run
from optimizer.rostering.instance import RosterInstance
from optimizer.rostering.kpis import roster_kpis
from optimizer.rostering.model import RosterPlan, solve
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import RosterValidation, validate


def kpis(inst: RosterInstance, plan: RosterPlan, settings: RosterSettings | None = None,
         validation: RosterValidation | None = None) -> dict[str, Any]:
    """The one KPI dict of a roster: solve outcome, the validator's objective (penalty points), people, cover
    places required and filled (person-shifts over the horizon), the fill rate (None without a roster) and
    hours worked (h over the horizon)."""
    check = validation if validation is not None else validate(inst, plan, settings)
    out: dict[str, Any] = {"status": plan.status, "objective": plan.objective, "bound": plan.bound, "gap": plan.gap,
                           "solve_seconds": plan.solve_seconds, "first_feasible_seconds": plan.first_feasible_seconds,
                           "validator_objective": check.objective if plan.roster else None,
                           "people": len(inst.staff), "required_places": 0, "filled_places": 0,
                           "cover_fill_rate": None, "hours_worked": 0.0}
    if plan.roster:
        kp = roster_kpis(inst, plan.roster)
        req = sum(k.required_places for k in kp)
        out.update(required_places=req, filled_places=sum(k.filled_places for k in kp),
                   cover_fill_rate=sum(k.filled_places for k in kp) / req if req else 1.0,
                   hours_worked=sum(k.hours_worked for k in kp))
    return out


def run_tables(inst: RosterInstance, plan: RosterPlan) -> dict[str, pd.DataFrame]:
    """``roster`` (one row per person x day: shift id, ``""`` = off) and ``by_role`` (cover places required and
    filled, fill rate, hours worked and contract hours over the horizon)."""
    roles = {s.id: s.role for s in inst.staff}
    roster = pd.DataFrame([(sid, roles[sid], d, shift) for sid, days in sorted(plan.roster.items())
                           for d, shift in enumerate(days)], columns=["staff_id", "role", "day", "shift"])
    by_role = pd.DataFrame(
        [(k.role, k.people, k.required_places, k.filled_places, k.fill_rate, k.hours_worked, k.contract_hours)
         for k in (roster_kpis(inst, plan.roster) if plan.roster else [])],
        columns=["role", "people", "required_places", "filled_places", "fill_rate", "hours_worked",
                 "contract_hours"])
    return {"roster": roster, "by_role": by_role}


def run(inst: RosterInstance, settings: RosterSettings | None = None) -> Run[RosterPlan]:
    """Solve ``inst``, check the roster independently, and measure it."""
    s = settings or RosterSettings()
    plan = solve(inst, s)
    check = validate(inst, plan, s)
    k = kpis(inst, plan, s, check)
    log = [f"roster {inst.name or ''}: {plan.status}, objective {plan.objective}, {plan.solve_seconds:.1f} s"]
    return Run(plan, check, k, run_tables(inst, plan), log)
