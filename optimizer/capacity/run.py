"""One capacity run end to end: solve, validate, 24/7 status, KPIs, marginal person and team gains.

This is what the CLI, the API and the scenario runner call, so they all report the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.capacity.kpis import HospitalStatus, network_kpis, statuses
from optimizer.capacity.marginal import MarginalGain, TeamGain, best_teams, bottlenecks, marginal_gains, team_gains
from optimizer.capacity.model import CapacityInput, CapacityPlan, solve
from optimizer.capacity.settings import CapacitySettings
from optimizer.capacity.validate import Validation, validate


class CapacityRunError(RuntimeError):
    """The LP did not solve or its plan failed the independent validation."""


@dataclass
class CapacityRun:
    """Everything a planner reads from one capacity run."""

    plan: CapacityPlan
    validation: Validation
    statuses: list[HospitalStatus]
    kpis: dict[str, float | int | str | bool]
    gains: list[MarginalGain]  # one more person, every hospital x role
    teams: list[TeamGain]  # one more full team, every hospital x specialty with demand
    bottlenecks: list[MarginalGain]  # top persons per peso
    best_teams: list[TeamGain]  # top teams per peso


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
    kpis = network_kpis(inp, plan, st) | {"certified_optimal": check.certified_optimal, "gap": plan.gap}
    return CapacityRun(plan, check, st, kpis, gains, teams, bottlenecks(gains, top), best_teams(teams, top))
