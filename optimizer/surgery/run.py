"""One scheduling run end to end: solve, validate with the independent validator, KPIs.

The CLI, the benchmark script and the scenario stage call this, so they all report the same numbers.
"""

from __future__ import annotations

from optimizer.plan import Run
from optimizer.surgery.kpis import kpis
from optimizer.surgery.model import Input, Plan
from optimizer.surgery.settings import Settings
from optimizer.surgery.solver import solve
from optimizer.surgery.validate import evaluate, validate


def run(inp: Input, settings: Settings | None = None) -> Run[Plan]:
    """Solve ``inp`` and check the plan independently; ``log`` holds the official-style cost breakdown."""
    settings = settings or Settings()
    plan = solve(inp, settings)
    b = evaluate(inp, plan)
    out = kpis(inp, plan, settings)
    out.update({"total_cost": b.total_cost, "hard_violations": b.total_violations})
    return Run(plan, validate(inp, plan, settings), out, log=b.lines())
