"""Capacity stage: 24/7 status and procedures per week each program hospital can deliver (LP with duals).

Staff = people in post plus the recruits the deployment stage sent (when it ran and found a plan).
Demand = the run's surgical demand (after catchment moves and multipliers).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from optimizer.capacity.build import from_dataset
from optimizer.capacity.kpis import network_kpis, statuses
from optimizer.capacity.model import DeployedStaff, SurgicalDemand, solve
from optimizer.capacity.validate import validate
from optimizer.domain import SURGICAL_SPECIALTIES, Specialty
from optimizer.scenarios.stage import RunContext, StageOutput


def _demand(surgical: pd.DataFrame, keep: set[str]) -> dict[tuple[str, Specialty], SurgicalDemand]:
    names = {s.value for s in SURGICAL_SPECIALTIES}
    rows = surgical[surgical["clues"].isin(keep) & surgical["specialty"].isin(names)]
    grouped = rows.groupby(["clues", "specialty"])[["procedures_per_week", "or_hours_per_week"]].sum()
    return {(c, Specialty(s)): SurgicalDemand(float(r.procedures_per_week), float(r.or_hours_per_week))
            for (c, s), r in grouped.iterrows() if r.or_hours_per_week > 0}


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
    s = ctx.scenario.capacity
    inp = from_dataset(ctx.dataset)
    inp = replace(inp, demand=_demand(ctx.demand.surgical, {h.clues for h in inp.hospitals}))
    inp = inp.with_staff(deployed_staff(ctx))
    plan = solve(inp, s)
    check = validate(inp, plan, s)
    status = statuses(inp, s)
    by_clues = {r.clues: r for r in plan.hospitals}
    rows = []
    for h, st in zip(inp.hospitals, status, strict=True):
        demand = sum(d.procedures_per_week for (c, _), d in inp.demand.items() if c == h.clues)
        res = by_clues.get(h.clues)
        rows.append((h.clues, h.name, h.cve_ent, h.marginalisation_degree, h.operating_rooms, st.rooms_24_7,
                     st.status, st.limiting_role, st.missing_roles, demand,
                     res.procedures_per_week if res else 0.0, res.room_hours if res else 0.0))
    hospitals = pd.DataFrame(rows, columns=[
        "clues", "name", "cve_ent", "marginalisation_degree", "operating_rooms", "rooms_24_7", "status_24_7",
        "limiting_role", "missing_roles", "demand_procedures_per_week", "procedures_per_week",
        "or_hours_per_week"])
    bottlenecks = pd.DataFrame(
        [(r.kind, r.clues, r.key, r.rhs, r.used, r.dual) for r in plan.resources if r.dual > 1e-9],
        columns=["kind", "clues", "key", "rhs", "used", "dual"]).sort_values(
        ["dual", "clues", "kind", "key"], ascending=[False, True, True, True]).head(50)
    kpis = network_kpis(inp, plan, status)
    kpis["validator_objective"] = check.objective
    kpis["certified_optimal"] = check.certified_optimal
    log = [f"capacity: {plan.status}, {kpis['procedures_per_week']:.0f} of {kpis['demand_procedures_per_week']:.0f} "
           f"procedures/week, {kpis['rooms_staffable_24_7']} rooms staffable 24/7, {plan.solve_seconds:.2f} s"]
    return StageOutput(plan.status, kpis, {"hospitals": hospitals, "bottlenecks": bottlenecks},
                       list(check.violations), plan.explanation or None, log, extra={"input": inp})
