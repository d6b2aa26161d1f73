"""One deployment run end to end: solve, validate, the one KPI dict and the plan tables.

The CLI (``bienestar deploy``), the scenario stage and the API all call :func:`run`, so they report the
same numbers.
"""

from __future__ import annotations

import pandas as pd

from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.kpis import kpis
from optimizer.deployment.model import solve
from optimizer.deployment.plan import DeploymentPlan
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.validate import validate
from optimizer.plan import Run


def run_tables(plan: DeploymentPlan) -> dict[str, pd.DataFrame]:
    """The plan as the tables a scenario run writes: ``assignments`` (pay MXN/month, relocation km),
    ``teams`` (complete 24/7 slots) and ``short`` (procedures/week left uncovered, with the reason)."""
    assignments = pd.DataFrame(
        [(a.specialist, a.hospital, a.role.value, a.incentive_mxn, a.km) for a in plan.assignments],
        columns=["specialist_id", "hospital", "role", "pay_mxn_month", "km"])
    teams = pd.DataFrame([(t.hospital, t.specialty.value, t.slots) for t in plan.teams],
                         columns=["hospital", "specialty", "slots"])
    short = pd.DataFrame([(x.hospital, x.specialty.value, x.demand, x.covered, x.reason) for x in plan.short],
                         columns=["hospital", "specialty", "demand_per_week", "covered_per_week", "reason"])
    return {"assignments": assignments, "teams": teams, "short": short}


def run(inp: DeploymentInput, settings: DeploymentSettings | None = None) -> Run[DeploymentPlan]:
    """Solve ``inp``, check the plan with the independent validator, and measure it."""
    s = settings or DeploymentSettings()
    plan = solve(inp, s)
    check = validate(inp, plan, s)
    k = kpis(inp, plan, s, check)
    log = [f"deployment: {plan.status}, {k['deployed']} of {plan.n_candidates} recruits deployed, "
           f"{k['team_slots']} team slots, {plan.solve_seconds:.1f} s"]
    return Run(plan, check, k, run_tables(plan), log)
