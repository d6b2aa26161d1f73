"""Distribution stage: the week's allocation under shortage (lexicographic LP), then the first delivery
day's routes per depot (PyVRP or OR-Tools), each checked by the distribution package's validators.

The week planned starts on the first Monday of the scenario's ``planning_month`` in ``planning_year``;
demand history is the run's medicine demand (after the scenario's multipliers), so a flu season or a
closed depot shows up in fill rates, kilometres and cost. When the scenario's ``distribution.central_supply``
lists lots, they are first split among the depots within their storage (checked by the central validator)
and the week is allocated with them. A thin adapter over :func:`optimizer.distribution.run`.
"""

from __future__ import annotations

import datetime as dt

from optimizer import distribution
from optimizer.distribution.model import load_input
from optimizer.scenarios.stage import RunContext, StageOutput


def planning_day(year: int, month: int) -> dt.date:
    """First Monday of ``month`` in ``year`` (the week the run allocates; its Monday is routed)."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def run(ctx: RunContext) -> StageOutput:
    """Allocate the planning week's stock and route its first delivery day."""
    s = ctx.scenario.distribution
    day = planning_day(ctx.scenario.planning_year, ctx.scenario.planning_month)
    inp = load_input(ctx.dataset, day, s, weekly=ctx.demand.medicine_weekly)
    out = distribution.run(inp, s)
    return StageOutput(out.plan.status, out.kpis, out.tables, out.validation.violations, out.plan.explanation,
                       out.log)
