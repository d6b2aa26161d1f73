"""One capacity run end to end: solve, validate, 24/7 status, the one KPI dict, plan tables; and, for the
CLI and the API, the marginal person and team gains on top (:func:`run_capacity`).

The CLI, the API and the scenario stage call these, so they all report the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from optimizer.capacity.inputs import from_dataset
from optimizer.capacity.kpis import FULLY, SOME_ROOMS, HospitalStatus, network_kpis, statuses
from optimizer.capacity.marginal import MarginalGain, TeamGain, best_teams, bottlenecks, marginal_gains, team_gains
from optimizer.capacity.model import CapacityInput, CapacityPlan, solve
from optimizer.capacity.settings import CapacitySettings
from optimizer.capacity.validate import CapacityValidation, validate
from optimizer.plan import Run

if TYPE_CHECKING:
    from optimizer.data.dataset import Dataset


class CapacityRunError(RuntimeError):
    """The LP did not solve or its plan failed the independent validation."""


def kpis(inp: CapacityInput, plan: CapacityPlan, settings: CapacitySettings | None = None,
         validation: CapacityValidation | None = None,
         status: list[HospitalStatus] | None = None) -> dict[str, Any]:
    """The one KPI dict of a capacity plan: network totals (procedures/week, rooms 24/7, hours), the
    validator's recomputed objective, its optimality certificate and the plan's gap."""
    s = settings or CapacitySettings()
    check = validation if validation is not None else validate(inp, plan, s)
    st = status if status is not None else statuses(inp, s)
    return network_kpis(inp, plan, st) | {"validator_objective": check.objective,
                                          "certified_optimal": check.certified_optimal, "gap": plan.gap}


def run_tables(inp: CapacityInput, plan: CapacityPlan, status: list[HospitalStatus]) -> dict[str, pd.DataFrame]:
    """``hospitals`` (24/7 status, limiting role, procedures and OR hours per week) and ``bottlenecks`` (the
    50 binding resources with the highest shadow price, weighted procedures/week per unit)."""
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
    return {"hospitals": hospitals, "bottlenecks": bottlenecks}


def run(inp: CapacityInput, settings: CapacitySettings | None = None) -> Run[CapacityPlan]:
    """Solve the network LP, check the plan independently, and report KPIs and tables."""
    s = settings or CapacitySettings()
    plan = solve(inp, s)
    check = validate(inp, plan, s)
    st = statuses(inp, s)
    k = kpis(inp, plan, s, check, st)
    log = [f"capacity: {plan.status}, {k['procedures_per_week']:.0f} of {k['demand_procedures_per_week']:.0f} "
           f"procedures/week, {k['rooms_staffable_24_7']} rooms staffable 24/7, {plan.solve_seconds:.2f} s"]
    return Run(plan, check, k, run_tables(inp, plan, st), log)


@dataclass
class CapacityRun:
    """Everything a planner reads from one capacity run."""

    plan: CapacityPlan
    validation: CapacityValidation
    statuses: list[HospitalStatus]
    kpis: dict[str, float | int | str | bool]
    gains: list[MarginalGain] = field(default_factory=list)  # one more person, every hospital x role
    teams: list[TeamGain] = field(default_factory=list)  # one more full team, every hospital x specialty
    bottlenecks: list[MarginalGain] = field(default_factory=list)  # top persons per peso
    best_teams: list[TeamGain] = field(default_factory=list)  # top teams per peso


def run_capacity(inp: CapacityInput, settings: CapacitySettings | None = None, top: int = 10) -> CapacityRun:
    """Solve and check the network LP, then measure what each extra person and team adds."""
    s = settings or CapacitySettings()
    plan = solve(inp, s)
    if plan.status not in ("optimal", "time_limit"):
        raise CapacityRunError(f"capacity LP: {plan.explanation}")
    check = validate(inp, plan, s)
    if not check.ok:
        raise CapacityRunError("capacity plan failed validation: " + "; ".join(check.violations[:5]))
    st = statuses(inp, s)
    gains = marginal_gains(inp, s)
    teams = team_gains(inp, s)
    k = kpis(inp, plan, s, check, st)
    return CapacityRun(plan, check, st, k, gains, teams, bottlenecks(gains, top), best_teams(teams, top))


def hospitals_24_7_in_post(ds: Dataset, settings: CapacitySettings) -> frozenset[str]:
    """Open hospitals of a loaded dataset that are 24/7 for surgery with their staff in post alone: at least
    one room staffable round the clock (status ``fully_24_7`` or ``24_7_some_rooms``) under ``settings``.
    The base set the deployment's access term and the access KPIs start from."""
    no_demand = pd.DataFrame(columns=["clues", "specialty", "procedures_per_week", "or_hours_per_week"])
    inp = from_dataset(ds, program_only=False, surgical=no_demand)  # the status reads people and rooms only
    return frozenset(s.clues for s in statuses(inp, settings) if s.status in {FULLY, SOME_ROOMS})
