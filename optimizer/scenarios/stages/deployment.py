"""Deployment stage: which recruit goes to which program hospital (MIP), checked by its validator.

A thin adapter: the input from the run's dataset and demand (hours really at work, as the capacity stage
counts them, so its 24/7 status agrees with the teams formed), the access term from the run's shared
access scope and 24/7 base set, then :func:`optimizer.deployment.run`.
"""

from __future__ import annotations

from optimizer import deployment
from optimizer.deployment.inputs import from_tables
from optimizer.scenarios.stage import RunContext, StageOutput


def run(ctx: RunContext) -> StageOutput:
    """Solve the deployment of the run's recruit pool against the run's surgical demand."""
    ds, s = ctx.dataset, ctx.scenario.deployment
    availability = ctx.scenario.capacity.allowances.availability
    inp = from_tables(ds.facilities, ds.specialists, ctx.demand.surgical, ds.states, availability=availability)
    inp = deployment.with_access(inp, s, ctx.shared.access_scope, ctx.shared.base_24_7)
    out = deployment.run(inp, s)
    return StageOutput(out.plan.status, out.kpis, out.tables, out.validation.violations, out.plan.explanation,
                       out.log, extra={"plan": out.plan})
