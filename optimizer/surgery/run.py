"""One scheduling run end to end: solve, validate with the independent validator, KPIs.

The CLI, the benchmark script and the scenario stage call this, so they all report the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimizer.plan import Validation
from optimizer.surgery.kpis import kpis
from optimizer.surgery.model import Input, Plan
from optimizer.surgery.settings import Settings
from optimizer.surgery.solver import solve
from optimizer.surgery.validate import Breakdown, evaluate, validate


@dataclass
class Run:
    """A plan with its validation, official term breakdown and KPIs."""

    plan: Plan
    validation: Validation
    breakdown: Breakdown
    kpis: dict[str, Any]


def run(inp: Input, settings: Settings | None = None) -> Run:
    """Solve ``inp`` and check the plan independently."""
    settings = settings or Settings()
    plan = solve(inp, settings)
    return Run(plan, validate(inp, plan, settings), evaluate(inp, plan), kpis(inp, plan, settings))
