"""The where-next model on the shared contract (``optimizer/plan.py``): solve, validate, KPIs, one run.

``Input`` is a :class:`~optimizer.access.where_next.WhereNextInput` (demand points x candidate sites, minutes),
``Settings`` an :class:`~optimizer.access.settings.AccessSettings` whose ``model`` picks MCLP or p-median, and
``Plan`` a :class:`~optimizer.access.where_next.WhereNextPlan`. The CLI, the benchmarks and the scenario runner
call :func:`run`, so they report the same numbers from a validated plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.access.mclp import solve_mclp
from optimizer.access.pmedian import solve_pmedian
from optimizer.access.settings import AccessSettings
from optimizer.access.validate import validate_where_next
from optimizer.access.where_next import WhereNextInput, WhereNextPlan
from optimizer.i18n import said
from optimizer.plan import Validation


def solve(inp: WhereNextInput, settings: AccessSettings | None = None) -> WhereNextPlan:
    """The where-next plan of ``settings.model`` (``mclp`` or ``pmedian``) within ``settings.time_limit_s``."""
    settings = settings or AccessSettings()
    return solve_mclp(inp, settings) if settings.model == "mclp" else solve_pmedian(inp, settings)


def validate(inp: WhereNextInput, plan: WhereNextPlan, settings: AccessSettings | None = None) -> Validation:
    """Independent check of ``plan`` on ``inp``: feasibility and the objective recomputed from the matrix
    (the check needs nothing from ``settings``; the argument keeps the contract's shape)."""
    del settings
    return validate_where_next(inp, plan)


def kpis(inp: WhereNextInput, plan: WhereNextPlan, settings: AccessSettings | None = None,
         ) -> dict[str, float | int | str | None]:
    """Headline numbers of a where-next plan: people (Census 2020 persons) within ``inp.minutes_limit``
    before and after, sites chosen, objective, bound, relative gap and wall seconds."""
    del settings
    return {"model": plan.model, "status": plan.status, "k": inp.k, "demand_points": len(inp.demand_ids),
            "candidates": len(inp.candidate_ids), "sites_chosen": len(plan.chosen),
            "minutes_limit": inp.minutes_limit, "population": int(inp.population.sum()),
            "population_covered_before": plan.population_covered_before,
            "population_covered_after": plan.population_covered_after, "objective": plan.objective,
            "bound": plan.bound, "gap": plan.gap, "solve_seconds": plan.solve_seconds}


@dataclass
class WhereNextRun:
    """A solved, validated where-next plan with its KPIs and per-site table."""

    plan: WhereNextPlan
    validation: Validation
    kpis: dict[str, float | int | str | None]
    tables: dict[str, pd.DataFrame]


def run(inp: WhereNextInput, settings: AccessSettings | None = None) -> WhereNextRun:
    """Solve, validate and measure. A plan that fails the validator keeps its numbers but gets status
    ``error`` and the violations as its explanation."""
    settings = settings or AccessSettings()
    plan = solve(inp, settings)
    check = validate(inp, plan, settings)
    if not check.ok:
        plan.status = "error"
        plan.explanation = said("models.failed_validation", violations="; ".join(check.violations))
    return WhereNextRun(plan, check, kpis(inp, plan, settings), {"sites": plan.sites})
