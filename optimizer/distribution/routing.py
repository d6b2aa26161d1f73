"""One entry point for routing: pick the engine named in the settings."""

from __future__ import annotations

from optimizer.distribution.ortools_engine import solve_ortools
from optimizer.distribution.problem import RoutingPlan, RoutingProblem
from optimizer.distribution.pyvrp_engine import solve_pyvrp
from optimizer.distribution.settings import RoutingSettings


def solve_routes(problem: RoutingProblem, settings: RoutingSettings | None = None) -> RoutingPlan:
    """Routes for ``problem`` with the configured engine, time limit and seed."""
    settings = settings or RoutingSettings()
    if settings.engine == "pyvrp":
        return solve_pyvrp(problem, settings.time_limit_s, settings.seed)
    return solve_ortools(problem, settings.time_limit_s, settings.seed)
