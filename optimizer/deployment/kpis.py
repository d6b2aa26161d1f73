"""The numbers a planner reads from a deployment plan (procedures per week, MXN per month, km)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from optimizer.deployment.access_term import access_summary
from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.model import DeploymentPlan
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import slot_curves
from optimizer.deployment.validate import DeploymentValidation, validate


@dataclass
class DeploymentKpis:
    """Coverage, 24/7 hospitals, budget, km and women's share of a plan; ``access`` (when the input carries
    access data) is persons within reach of 24/7 surgery before and after the plan
    (:class:`optimizer.deployment.access_term.AccessSummary`)."""

    demand_procedures_per_week: float
    covered_procedures_per_week: float
    coverage_pct: float
    hospitals: int
    hospitals_24_7: int
    team_slots: int
    deployed: int
    candidates: int
    deployed_by_role: dict[str, int]
    pay_mxn_month: float
    budget_mxn_month: float | None
    relocation_km: float
    km_mean: float
    women_share_deployed: float
    moves: int
    departed: int
    coverage_by_state: list[dict[str, float | str]] = field(default_factory=list)
    coverage_by_degree: list[dict[str, float | str]] = field(default_factory=list)
    women_share_by_hospital: dict[str, float] = field(default_factory=dict)
    access: dict[str, float] | None = None


def compute_kpis(inp: DeploymentInput, s: DeploymentSettings, plan: DeploymentPlan) -> DeploymentKpis:
    """KPIs of ``plan``: coverage = min(demand, slots x procedures per slot) per hospital x specialty."""
    idx = inp.hospital_index()
    curves = slot_curves(inp, s)
    slots = plan.slots()
    by_state: dict[str, list[float]] = {}
    by_degree: dict[str, list[float]] = {}
    dem_total = cov_total = 0.0
    for (clues, spec), d in inp.demand.items():
        if clues not in idx or d.procedures_per_week <= 0:
            continue
        h = idx[clues]
        cv = curves.get((h, spec))
        cov = cv.covered(slots.get((clues, spec), 0)) if cv else 0.0
        dem_total += d.procedures_per_week
        cov_total += cov
        for table, key in ((by_state, inp.hospitals[h].cve_ent), (by_degree, inp.hospitals[h].degree.value)):
            acc = table.setdefault(key, [0.0, 0.0])
            acc[0] += d.procedures_per_week
            acc[1] += cov
    sex = {c.specialist_id: c.sex for c in inp.candidates}
    roles: dict[str, int] = {}
    for a in plan.assignments:
        roles[a.role.value] = roles.get(a.role.value, 0) + 1
    where = {a.specialist: a.hospital for a in plan.assignments}
    n = len(plan.assignments)
    km = sum(a.km for a in plan.assignments)
    return DeploymentKpis(
        demand_procedures_per_week=dem_total,
        covered_procedures_per_week=cov_total,
        coverage_pct=100.0 * cov_total / dem_total if dem_total > 0 else 0.0,
        hospitals=len(inp.hospitals),
        hospitals_24_7=len({t.hospital for t in plan.teams if t.slots > 0}),
        team_slots=sum(t.slots for t in plan.teams),
        deployed=n,
        candidates=len(inp.candidates),
        deployed_by_role=dict(sorted(roles.items())),
        pay_mxn_month=sum(a.incentive_mxn for a in plan.assignments),
        budget_mxn_month=s.budget_mxn_month,
        relocation_km=km,
        km_mean=km / n if n else 0.0,
        women_share_deployed=sum(sex[a.specialist] == "F" for a in plan.assignments) / n if n else 0.0,
        moves=sum(1 for sid, cur in inp.current.items() if where.get(sid) != cur),
        departed=len(inp.departed),
        coverage_by_state=[
            {"state": st, "name": inp.state_names.get(st, st), "demand": d, "covered": c,
             "pct": 100.0 * c / d if d else 0.0}
            for st, (d, c) in sorted(by_state.items())
        ],
        coverage_by_degree=[
            {"degree": g, "demand": d, "covered": c, "pct": 100.0 * c / d if d else 0.0}
            for g, (d, c) in sorted(by_degree.items())
        ],
        women_share_by_hospital=women_share_by_hospital(inp, plan),
        access=asdict(access_summary(inp.access, plan)) if inp.access is not None else None,
    )


def women_share_by_hospital(inp: DeploymentInput, plan: DeploymentPlan) -> dict[str, float]:
    """Share of women (0-1) among the team-role people at each hospital after the plan: people in post at
    program hospitals plus the recruits deployed there; hospitals by CLUES, sorted."""
    idx = inp.hospital_index()
    sex = {c.specialist_id: c.sex for c in inp.candidates}
    staff: dict[str, list[int]] = {}
    for p in inp.in_post:
        if p.clues in idx:
            acc = staff.setdefault(p.clues, [0, 0])
            acc[0] += p.sex == "F"
            acc[1] += 1
    for a in plan.assignments:
        acc = staff.setdefault(a.hospital, [0, 0])
        acc[0] += sex[a.specialist] == "F"
        acc[1] += 1
    return {h: f / t for h, (f, t) in sorted(staff.items()) if t}


def kpis(inp: DeploymentInput, plan: DeploymentPlan, settings: DeploymentSettings,
         validation: DeploymentValidation | None = None) -> dict[str, Any]:
    """The one KPI dict of a deployment plan (CLI, scenario runs, API): solve outcome, the validator's
    recomputed objective and coverage (procedures/week), then every :class:`DeploymentKpis` field, with the
    access summary flattened to ``access_*`` keys (persons) when the input carries access data."""
    check = validation if validation is not None else validate(inp, plan, settings)
    k = compute_kpis(inp, settings, plan)
    access = k.access or {}
    out: dict[str, Any] = {
        "status": plan.status, "objective": plan.objective, "validator_objective": check.objective,
        "gap": plan.gap, "solve_seconds": plan.solve_seconds,
        # per-hospital shares stay out: a KPI dict holds network figures (``compute_kpis`` has them)
        **{f: v for f, v in asdict(k).items() if f not in ("access", "women_share_by_hospital")},
        # the validator's totals: recomputed from the raw records, the figures a run reports
        "demand_procedures_per_week": check.demand, "covered_procedures_per_week": check.covered,
        "coverage_pct": 100.0 * check.covered / check.demand if check.demand > 0 else 0.0,
    }
    if access:
        out.update({f"access_{name}": value for name, value in access.items()})
    return out
