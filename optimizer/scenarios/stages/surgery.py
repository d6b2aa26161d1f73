"""Surgery stage: the surgical waiting list of a sample of program hospitals, scheduled over ``surgery.weeks``.

Which hospitals: program hospitals with operating rooms, those the capacity stage runs most rooms 24/7 first
(else by CLUES), capped by ``surgery.max_hospitals``. Each hospital's instance comes from
:func:`optimizer.surgery.hospital.from_dataset` (its waiting patients, surgeons in post plus the deployment
stage's recruits, theatres, beds and surgical nurses); each is solved and checked by the package's validator.
"""

from __future__ import annotations

import pandas as pd

from optimizer import surgery
from optimizer.scenarios.stage import RunContext, StageOutput, status_of
from optimizer.surgery.hospital import HospitalInstance, from_dataset


def sample_hospitals(ctx: RunContext, cap: int) -> list[str]:
    """Program hospitals with operating rooms: most rooms 24/7 (capacity stage) first, then by CLUES."""
    program = ctx.dataset.program_hospitals
    program = program[program["operating_rooms"] > 0]
    cap_out = ctx.output("capacity")
    if cap_out is not None and "hospitals" in cap_out.tables and len(cap_out.tables["hospitals"]):
        t = cap_out.tables["hospitals"]
        t = t[t["clues"].isin(program["clues"])]
        return t.sort_values(["rooms_24_7", "clues"], ascending=[False, True])["clues"].head(cap).tolist()
    return sorted(program["clues"])[:cap]


def _rooms_24_7(ctx: RunContext) -> dict[str, int]:
    cap_out = ctx.output("capacity")
    if cap_out is None or "hospitals" not in cap_out.tables:
        return {}
    t = cap_out.tables["hospitals"]
    return dict(zip(t["clues"], t["rooms_24_7"].astype(int), strict=True)) if "rooms_24_7" in t else {}


def _schedule_rows(h: HospitalInstance, plan: surgery.Plan) -> list[tuple]:
    inp = h.input
    rows = []
    for p, pat in enumerate(inp.patients):
        day = plan.admission[p]
        rows.append((h.clues, pat.id, pat.mandatory, pat.release_day, day,
                     None if day is None else inp.room_ids[plan.room[p]],
                     None if day is None else inp.theatre_ids[plan.theatre[p]],
                     inp.surgeon_ids[pat.surgeon], pat.duration, pat.length_of_stay))
    return rows


def run(ctx: RunContext) -> StageOutput:
    """Schedule the sampled hospitals; tables: one row per waiting patient, one summary row per hospital."""
    cfg = ctx.scenario.surgery
    dep = ctx.output("deployment")
    assigned = [] if dep is None else list(dep.tables["assignments"][["specialist_id", "hospital"]]
                                           .itertuples(index=False, name=None))
    rooms_24_7 = _rooms_24_7(ctx)
    chosen = sample_hospitals(ctx, cfg.max_hospitals)
    schedule, summary, violations, statuses, log = [], [], [], [], []
    for k, c in enumerate(chosen):
        if ctx.progress:
            ctx.progress(k, len(chosen))
        h = from_dataset(ctx.dataset, c, cfg.weeks, assigned, cfg.max_patients, rooms_24_7.get(c, 0),
                         seed=cfg.settings.seed)
        if not h.input.patients:
            log.append(f"surgery: {c} has no surgical patients waiting in the records")
            continue
        out = surgery.run(h.input, cfg.settings)
        statuses.append(out.status)
        violations.extend(f"{c}: {v}" for v in out.validation.violations)
        schedule.extend(_schedule_rows(h, out.plan))
        summary.append({"hospital": c, "name": h.name, "status": out.status, **out.kpis,
                        "notes": "; ".join(h.notes)})
    if ctx.progress:
        ctx.progress(len(chosen), len(chosen))
    sched = pd.DataFrame(schedule, columns=["hospital", "patient", "urgent", "release_day", "admission_day",
                                            "room", "theatre", "surgeon", "surgery_minutes", "length_of_stay"])
    summ = pd.DataFrame(summary)
    kpis = {"hospitals": len(summary), "patients": int(summ["patients"].sum()) if len(summ) else 0,
            "patients_admitted": int(summ["patients_admitted"].sum()) if len(summ) else 0,
            "mandatory_all_admitted": bool(summ["mandatory_all_admitted"].all()) if len(summ) else True,
            "mean_admission_delay_days": float(sched["admission_day"].sub(sched["release_day"]).mean())
            if sched["admission_day"].notna().any() else None,
            "hard_violations": int(summ["hard_violations"].sum()) if len(summ) else 0}
    log.append(f"surgery: {len(summary)} hospitals, {kpis['patients_admitted']}/{kpis['patients']} patients "
               f"admitted, all urgent admitted: {kpis['mandatory_all_admitted']}")
    return StageOutput(status_of(statuses), kpis, {"schedule": sched, "summary": summ}, violations, None, log)
