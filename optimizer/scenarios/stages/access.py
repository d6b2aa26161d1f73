"""Access stage: minutes from every municipality to the nearest hospital with 24/7 surgery, by state.

The 24/7 hospitals are the program hospitals the capacity stage finds able to keep at least one operating
room open round the clock (with the recruits deployed), plus the other open hospitals of the network that
can do so with their staff in post (people reach surgery wherever it runs 24/7; the run's shared 24/7 base
set, :mod:`optimizer.scenarios.links`, the same base the deployment's access term starts from). Without a
capacity stage, the access package's stand-in (program hospitals with a room).
"""

from __future__ import annotations

import pandas as pd

from optimizer.access.kpis import access_report, municipality_access_table, points_access_table
from optimizer.access.scope import default_24_7
from optimizer.access.validate import validate_report
from optimizer.scenarios.stage import RunContext, StageOutput


def hospitals_24_7(ctx: RunContext) -> list[str]:
    """CLUES of the hospitals that run 24/7 surgery in this run (sorted)."""
    cap = ctx.output("capacity")
    if cap is not None:
        h = cap.tables["hospitals"]
        others = ctx.shared.base_24_7 - set(h["clues"])
        return sorted(set(h.loc[h["rooms_24_7"] >= 1, "clues"]) | others)
    return sorted(default_24_7(ctx.dataset.hospitals))


def run(ctx: RunContext) -> StageOutput:
    """Access KPIs (population within each threshold, by state and degree, equity) for the run's 24/7 set."""
    s = ctx.scenario.access
    scope = ctx.shared.access_scope
    keys = hospitals_24_7(ctx)
    report = access_report(scope, keys, s.minutes, s.worst_served)
    check = validate_report(report)
    kpis = {"hospitals_24_7": report.hospitals_24_7, "total_population": report.total_population,
            "population_points": report.population_points,
            **{k: v for k, v in report.headline.items()}, **{f"equity_{k}": v for k, v in report.equity.items()}}
    tables = {k: v for k, v in report.tables().items()}
    tables["hospitals_24_7"] = pd.DataFrame({"clues": keys})
    # Minutes to the nearest 24/7 hospital from every population point, and per municipality aggregated from
    # its points: the report and the web page map the municipalities and count people by band on the points.
    tables["points"] = points_access_table(scope, keys)
    tables["municipalities"] = municipality_access_table(scope, keys, s.minutes)
    first = s.minutes[0]
    log = [f"access: {len(keys)} hospitals 24/7, {100 * (report.headline.get(f'share_{first:g}') or 0):.1f}% "
           f"of people within {first:g} min"]
    return StageOutput("computed", kpis, tables, list(check.violations), None, log)
