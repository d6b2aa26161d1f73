"""Capacity stage: 24/7 status and procedures per week each program hospital can deliver (LP with duals).

A thin adapter: staff = people in post plus the recruits the deployment stage sent (when it ran and found
a plan); demand = the run's surgical demand (after catchment moves and multipliers; the records are not
aggregated again), grouped by :func:`optimizer.capacity.inputs.demand_from_table`; then
:func:`optimizer.capacity.run`.
"""

from __future__ import annotations

from optimizer import capacity
from optimizer.capacity.inputs import from_dataset
from optimizer.capacity.model import DeployedStaff
from optimizer.domain import Specialty
from optimizer.scenarios.stage import RunContext, StageOutput


def deployed_staff(ctx: RunContext) -> list[DeployedStaff]:
    """People the deployment stage sent, with their contract hours (empty when it did not run)."""
    out = ctx.output("deployment")
    if out is None or out.tables["assignments"].empty:
        return []
    hours = ctx.dataset.specialists.set_index("specialist_id")["weekly_hours"]
    return [DeployedStaff(r.specialist_id, Specialty(r.role), float(hours[r.specialist_id]), r.hospital)
            for r in out.tables["assignments"].itertuples(index=False)]


def run(ctx: RunContext) -> StageOutput:
    """Solve the capacity LP of the program hospitals with the staff they have after deployment."""
    inp = from_dataset(ctx.dataset, surgical=ctx.demand.surgical).with_staff(deployed_staff(ctx))
    out = capacity.run(inp, ctx.scenario.capacity)
    return StageOutput(out.plan.status, out.kpis, out.tables, list(out.validation.violations),
                       out.plan.explanation, out.log, extra={"input": inp})
