"""Deployment stage: which recruit goes to which program hospital (MIP), checked by its validator."""

from __future__ import annotations

import pandas as pd

from optimizer.deployment.access_term import access_summary, with_access_from_dataset
from optimizer.deployment.inputs import from_tables
from optimizer.deployment.model import solve
from optimizer.deployment.validate import validate
from optimizer.scenarios.stage import RunContext, StageOutput


def run(ctx: RunContext) -> StageOutput:
    """Solve the deployment of the run's recruit pool against the run's surgical demand."""
    ds, s = ctx.dataset, ctx.scenario.deployment
    # hours really at work, as the capacity stage counts them, so its 24/7 status agrees with the teams formed
    availability = ctx.scenario.capacity.allowances.availability
    inp = with_access_from_dataset(from_tables(ds.facilities, ds.specialists, ctx.demand.surgical, ds.states,
                                               availability=availability), s, ds)
    plan = solve(inp, s)
    check = validate(inp, s, plan)
    assignments = pd.DataFrame(
        [(a.specialist, a.hospital, a.role.value, a.incentive_mxn, a.km) for a in plan.assignments],
        columns=["specialist_id", "hospital", "role", "pay_mxn_month", "km"])
    teams = pd.DataFrame([(t.hospital, t.specialty.value, t.slots) for t in plan.teams],
                         columns=["hospital", "specialty", "slots"])
    short = pd.DataFrame([(x.hospital, x.specialty.value, x.demand, x.covered, x.reason) for x in plan.short],
                         columns=["hospital", "specialty", "demand_per_week", "covered_per_week", "reason"])
    kpis = {
        "status": plan.status,
        "objective": plan.objective,
        "validator_objective": check.objective,
        "gap": plan.gap,
        "candidates": plan.n_candidates,
        "deployed": len(assignments),
        "team_slots": int(teams["slots"].sum()) if len(teams) else 0,
        "demand_procedures_per_week": check.demand,
        "covered_procedures_per_week": check.covered,
        "coverage_pct": 100.0 * check.covered / check.demand if check.demand > 0 else 0.0,
        "pay_mxn_month": float(assignments["pay_mxn_month"].sum()),
        "relocation_km": float(assignments["km"].sum()),
        "solve_seconds": plan.solve_seconds,
    }
    if inp.access is not None:
        acc = access_summary(inp.access, plan)
        kpis["access_people_gained"] = acc.people_gained
        kpis["access_weighted_gained"] = acc.weighted_gained
        kpis["access_people_within_after"] = acc.people_within_after
    log = [f"deployment: {plan.status}, {len(assignments)} of {plan.n_candidates} recruits deployed, "
           f"{kpis['team_slots']} team slots, {plan.solve_seconds:.1f} s"]
    return StageOutput(plan.status, kpis, {"assignments": assignments, "teams": teams, "short": short},
                       check.violations, plan.explanation, log, extra={"plan": plan})
