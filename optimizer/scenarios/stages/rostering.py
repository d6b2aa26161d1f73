"""Rostering stage: a 24/7 roster for a sample of program hospitals, one CP-SAT solve per hospital, in
parallel worker processes.

Which hospitals: those the capacity stage finds running the most rooms 24/7 first, then by CLUES, capped
by ``rostering.max_hospitals`` (a sample keeps a demo fast). Each hospital's roster problem comes from the
rostering package (:func:`optimizer.rostering.hospital.from_dataset`): its staff in post plus the recruits
the deployment stage sent, the scenario's labour rules (``labour:``, the rostering package's
``HospitalRules``) and ``rostering.weeks`` weeks.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd

from optimizer import rostering
from optimizer.i18n import joined, msg_of, said
from optimizer.plan import Run
from optimizer.rostering.hospital import HospitalInstance, from_dataset
from optimizer.rostering.model import RosterPlan
from optimizer.rostering.run import kpis, run_tables
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import validate
from optimizer.scenarios.stage import RunContext, StageOutput, status_of


def sample_hospitals(capacity: pd.DataFrame | None, program: pd.DataFrame, cap: int) -> list[str]:
    """Hospitals to roster: most rooms 24/7 first, then by CLUES; at most ``cap``."""
    if capacity is not None and len(capacity):
        order = capacity.sort_values(["rooms_24_7", "clues"], ascending=[False, True])
        return order["clues"].head(cap).tolist()
    return sorted(program["clues"])[:cap]


def _solve(inst: HospitalInstance, settings: RosterSettings) -> Run[RosterPlan]:
    """One hospital's run (in a worker process); a failure becomes an ``error`` plan naming the cause."""
    try:
        return rostering.run(inst.instance, settings)
    except Exception as exc:  # one hospital's failure must not lose the other rosters
        plan = RosterPlan("error", None, None, None, 0.0, None,
                          explanation=said("models.rostering.solve_failed", type=type(exc).__name__, detail=str(exc)),
                          seed=settings.seed)
        check = validate(inst.instance, plan, settings)
        return Run(plan, check, kpis(inst.instance, plan, settings, check), run_tables(inst.instance, plan))


def _solve_all(instances: dict[str, HospitalInstance], settings: RosterSettings, processes: int,
               ctx: RunContext) -> dict[str, Run[RosterPlan]]:
    plans: dict[str, Run[RosterPlan]] = {}
    if ctx.progress:
        ctx.progress(0, len(instances))
    workers = min(processes, len(instances))
    if workers <= 1:  # one process: no pool start-up cost
        for c, inst in instances.items():
            plans[c] = _solve(inst, settings)
            if ctx.progress:
                ctx.progress(len(plans), len(instances))
        return plans
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_solve, inst, settings): c for c, inst in instances.items()}
        for fut in as_completed(futures):
            plans[futures[fut]] = fut.result()
            if ctx.progress:
                ctx.progress(len(plans), len(instances))
    return plans


def run(ctx: RunContext) -> StageOutput:
    """Roster the sampled hospitals; plan tables: long roster, per-hospital summary, per-role KPIs."""
    cfg = ctx.scenario.rostering
    cap_out = ctx.output("capacity")
    cap_table = cap_out.tables["hospitals"] if cap_out is not None else None
    chosen = sample_hospitals(cap_table, ctx.dataset.program_hospitals, cfg.max_hospitals)
    dep = ctx.output("deployment")
    assigned = [] if dep is None else list(dep.tables["assignments"][["specialist_id", "hospital"]]
                                           .itertuples(index=False, name=None))
    instances = {c: from_dataset(ctx.dataset, c, cfg.weeks, assigned, ctx.scenario.labour) for c in chosen}
    plans = _solve_all(instances, cfg.settings, cfg.processes, ctx)
    rosters, summary, role_tables, violations, why = [], [], [], [], []
    for c in chosen:
        out, h = plans[c], instances[c]
        plan = out.plan
        rosters.append(out.tables["roster"].assign(hospital=c))
        role_tables.append(out.tables["by_role"].assign(hospital=c))
        summary.append((c, len(h.instance.staff), plan.status, plan.objective, plan.gap,
                        out.kpis["cover_fill_rate"], joined(*h.notes) or "", _stored(joined(*h.notes))))
        if plan.explanation:  # in the log and run.json, not the plan (it quotes solve seconds)
            why.append(said("models.for_hospital", clues=c, text=msg_of(plan.explanation)))
        violations.extend(f"{c}: {v}" for v in plan.violations)
    roster = _concat(rosters, ["hospital", "staff_id", "role", "day", "shift"])
    summ = pd.DataFrame(summary, columns=["hospital", "staff", "status", "objective", "gap", "cover_fill_rate",
                                          "notes", "notes_i18n"])
    by_role = _concat(role_tables, ["hospital", "role", "people", "required_places", "filled_places",
                                    "fill_rate", "hours_worked", "contract_hours"])
    statuses = [plans[c].plan.status for c in chosen]
    fills = summ["cover_fill_rate"].dropna()
    kpis = {"hospitals": len(chosen), **{s: statuses.count(s) for s in sorted(set(statuses))},
            "weeks": cfg.weeks, "people": int(summ["staff"].sum()) if len(summ) else 0,
            "penalty_total": float(summ["objective"].fillna(0).sum()) if len(summ) else 0.0,
            "cover_fill_rate_mean": float(fills.mean()) if len(fills) else None}
    log = [f"rostering: {len(chosen)} hospitals, statuses {({s: statuses.count(s) for s in sorted(set(statuses))})}"]
    return StageOutput(status_of(statuses), kpis, {"roster": roster, "summary": summ, "by_role": by_role},
                       violations, joined(*why), log)


def _stored(note: str | None) -> str:
    """A note's catalogue form for the summary table (``notes_i18n``: the workbook shows it in its language)."""
    return msg_of(note).dumps() if note else ""


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Per-hospital tables stacked, with ``columns`` in order (an empty table keeps them)."""
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
