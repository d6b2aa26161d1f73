"""Independent checks of access outputs, from the plan / report and the input alone (no solver objects).

- :func:`validate_where_next` recomputes a where-next plan's feasibility (known, distinct candidates, at
  most K, within budget) and its objective straight from the minutes matrix.
- :func:`validate_report` checks that every access table's population sums to the census total.
"""

from __future__ import annotations

import numpy as np

from optimizer.access.kpis import AccessReport
from optimizer.access.where_next import WhereNextInput, WhereNextPlan
from optimizer.plan import Validation

#: Relative tolerance when comparing a reported objective to the recomputed one.
REL_TOL = 1e-6


def validate_where_next(inp: WhereNextInput, plan: WhereNextPlan) -> Validation:
    """Recompute feasibility and the objective of ``plan`` on ``inp``."""
    out = Validation()
    if plan.status == "infeasible" or (plan.status == "time_limit" and not plan.chosen):
        return out
    position = {c: j for j, c in enumerate(inp.candidate_ids)}
    unknown = [c for c in plan.chosen if c not in position]
    if unknown:
        out.violations.append(f"chosen site(s) not among the candidates: {', '.join(unknown[:5])}")
        return out
    if len(set(plan.chosen)) != len(plan.chosen):
        out.violations.append("a site is chosen twice")
    if len(plan.chosen) > inp.k:
        out.violations.append(f"{len(plan.chosen)} sites chosen, K = {inp.k}")
    cols = [position[c] for c in plan.chosen]
    spent = float(sum(inp.site_cost[j] for j in cols))
    if inp.budget is not None and spent > inp.budget * (1 + REL_TOL) + 1e-9:
        out.violations.append(f"cost {spent:,.2f} exceeds the budget {inp.budget:,.2f}")
    nearest = inp.existing_minutes.copy()
    for j in cols:
        nearest = np.minimum(nearest, inp.minutes[:, j])
    if plan.model == "mclp":
        out.objective = float(sum(w for w, d in zip(inp.weight, nearest, strict=True)
                                  if d <= inp.minutes_limit))
    else:
        out.objective = float(sum(w * d for w, d in zip(inp.weight, nearest, strict=True) if w > 0))
    if plan.objective is None or not np.isclose(plan.objective, out.objective, rtol=REL_TOL, atol=1e-6):
        out.violations.append(f"reported objective {plan.objective} != recomputed {out.objective}")
    covered_after = int(sum(p for p, d in zip(inp.population, nearest, strict=True) if d <= inp.minutes_limit))
    if covered_after != plan.population_covered_after:
        out.violations.append(f"population_covered_after {plan.population_covered_after} != {covered_after}")
    added = int(plan.sites["population_added"].sum()) if len(plan.sites) else 0
    if added != plan.population_covered_after - plan.population_covered_before:
        out.violations.append(f"sites add {added} people, but coverage rose by "
                              f"{plan.population_covered_after - plan.population_covered_before}")
    return out


def validate_report(report: AccessReport) -> Validation:
    """Every table's population (each reach row across its bands) sums to the census total in scope."""
    out = Validation()
    total = report.total_population
    for name in ("by_state", "by_degree"):
        got = int(getattr(report, name)["population"].sum())
        if got != total:
            out.violations.append(f"{name}: population sums to {got:,}, census total is {total:,}")
    bands = report.reach_bands
    for rec in bands.to_dict(orient="records"):
        got = sum(int(v) for k, v in rec.items() if k not in {"reach", "population"})
        if got != total or rec["population"] != total:
            out.violations.append(f"reach_bands[{rec['reach']}]: bands sum to {got:,}, census total is {total:,}")
    for t in report.thresholds:
        within = int(report.by_state[f"within_{t:g}"].sum())
        if within != report.headline[f"within_{t:g}"]:
            out.violations.append(f"by_state within {t:g} min sums to {within:,}, headline says "
                                  f"{report.headline[f'within_{t:g}']:,}")
    return out
