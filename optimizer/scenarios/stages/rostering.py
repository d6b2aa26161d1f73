"""Rostering stage: a 24/7 roster for a sample of program hospitals, one CP-SAT solve per hospital, in
parallel worker processes.

Which hospitals: those the capacity stage finds running at least one room 24/7, most rooms first, then
the rest, capped by ``rostering.max_hospitals`` (a sample keeps a demo fast). Who: the surgical-team
people in post there plus the recruits the deployment stage sent. The instance (built here from the
scenario's labour rules) has three 8-hour shifts (M 07-15, T 15-23, N 23-07); a shift may not follow
another within ``min_rest_hours``; surgeons of any surgical specialty share the ``surgeon`` role (as in
the capacity model). Cover per shift and role: a full team for each room capacity says the staff can keep
open 24/7 (at least one room), as a soft requirement with a heavy weight per person short, so a roster
that the labour rules cannot fully staff still comes back, with its uncovered team-shifts counted.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd

from optimizer.domain import SURGICAL_SPECIALTIES, Specialty
from optimizer.rostering.instance import CoverLine, FairnessRule, RosterInstance, ShiftType, Staff
from optimizer.rostering.model import RosterPlan, solve
from optimizer.rostering.settings import RosterSettings
from optimizer.scenarios.schema import LabourRules
from optimizer.scenarios.stage import RunContext, StageOutput, status_of

#: (id, start minute, length in minutes, name) of the hospital shifts.
SHIFTS: tuple[tuple[str, int, int, str], ...] = (
    ("M", 7 * 60, 480, "morning 07-15"), ("T", 15 * 60, 480, "afternoon 15-23"), ("N", 23 * 60, 480, "night 23-07"))
SURGEON = "surgeon"
#: Soft-cover weights: per person short of the cover, per person above it.
UNDER_WEIGHT, OVER_WEIGHT = 100, 1
_SURGICAL = {s.value for s in SURGICAL_SPECIALTIES}
_TEAM_ROLES = _SURGICAL | {Specialty.ANAESTHESIOLOGY.value, Specialty.SURGICAL_NURSING.value}


def role_of(specialty: str) -> str:
    """Roster role of a specialty: surgical specialties pool into ``surgeon``."""
    return SURGEON if specialty in _SURGICAL else specialty


def shift_types(rules: LabourRules) -> list[ShiftType]:
    """The three shifts, each forbidding the next-day shifts that would start within ``min_rest_hours``."""
    out = []
    for sid, start, length, name in SHIFTS:
        end = start + length
        banned = frozenset(o for o, o_start, _, _ in SHIFTS if 1440 + o_start - end < rules.min_rest_hours * 60)
        out.append(ShiftType(sid, length, banned, start_minute=start, name=name))
    return out


def hospital_instance(clues: str, people: pd.DataFrame, rooms: int, rooms_24_7: int, team: dict[str, int],
                      rules: LabourRules) -> RosterInstance:
    """Roster instance of one hospital. ``people``: specialist_id, specialty, weekly_hours.

    ``team`` is people per room and role (surgeon, anaesthesiology, surgical_nursing).
    """
    weeks = rules.horizon_days // 7
    horizon = weeks * 7
    staff = []
    for p in people.sort_values("specialist_id").itertuples(index=False):
        hours = min(float(p.weekly_hours), rules.max_hours_per_week)
        staff.append(Staff(
            id=str(p.specialist_id), max_shifts={sid: horizon for sid, *_ in SHIFTS},
            max_total_minutes=int(hours * 60 * weeks), min_total_minutes=0,
            max_consecutive_shifts=rules.max_consecutive_days, min_consecutive_shifts=1,
            min_consecutive_days_off=1, max_weekends=max(0, weeks - rules.min_weekends_off),
            role=role_of(str(p.specialty)), weekly_hours=float(p.weekly_hours)))
    want = max(1, min(rooms_24_7, rooms)) if rooms > 0 else 0
    cover = [CoverLine(day, sid, want * n, UNDER_WEIGHT, OVER_WEIGHT, role, 0)
             for day in range(horizon) for sid, *_ in SHIFTS for role, n in team.items() if n > 0]
    fairness = [FairnessRule("nights", "shifts", 1, frozenset({"N"})), FairnessRule("weekends", "weekends", 1)]
    return RosterInstance(horizon, shift_types(rules), staff, cover=cover, fairness=fairness, name=clues)


def sample_hospitals(capacity: pd.DataFrame | None, program: pd.DataFrame, cap: int) -> list[str]:
    """Hospitals to roster: 24/7 ones first (most rooms first), then by CLUES; at most ``cap``."""
    if capacity is not None and len(capacity):
        order = capacity.sort_values(["rooms_24_7", "clues"], ascending=[False, True])
        return order["clues"].head(cap).tolist()
    return sorted(program["clues"])[:cap]


def _solve(inst: RosterInstance, settings: RosterSettings) -> RosterPlan:
    """One hospital's solve in a worker process; a failure becomes an ``error`` plan naming the cause."""
    try:
        return solve(inst, settings)
    except Exception as exc:  # one hospital's failure must not lose the other rosters
        return RosterPlan("error", None, None, None, 0.0, None,
                          explanation=[f"roster solve failed: {type(exc).__name__}: {exc}"], seed=settings.seed)


def uncovered(inst: RosterInstance, roster: dict[str, list[str]]) -> int:
    """Team-shifts short of the cover requirement, summed over days, shifts and roles (people)."""
    role = {s.id: s.role for s in inst.staff}
    count: dict[tuple[int, str, str], int] = {}
    for sid, days in roster.items():
        for d, shift in enumerate(days):
            if shift:
                key = (d, shift, role[sid])
                count[key] = count.get(key, 0) + 1
    return sum(max(0, c.requirement - count.get((c.day, c.slot, c.role or ""), 0)) for c in inst.cover)


def run(ctx: RunContext) -> StageOutput:
    """Roster the sampled hospitals in parallel processes; plan tables: long roster + per-hospital summary."""
    cfg, rules = ctx.scenario.rostering, ctx.scenario.labour
    cap_out = ctx.output("capacity")
    cap_table = cap_out.tables["hospitals"] if cap_out is not None else None
    program = ctx.dataset.program_hospitals
    chosen = sample_hospitals(cap_table, program, cfg.max_hospitals)
    sp = ctx.dataset.specialists
    people = sp[(sp["status"] == "in_post") & sp["specialty"].isin(_TEAM_ROLES)][
        ["specialist_id", "specialty", "weekly_hours", "facility_clues"]].rename(columns={"facility_clues": "hospital"})
    dep = ctx.output("deployment")
    if dep is not None and len(dep.tables["assignments"]):
        a = dep.tables["assignments"][["specialist_id", "hospital"]]
        sent = a.merge(sp[["specialist_id", "specialty", "weekly_hours"]], on="specialist_id")
        people = pd.concat([people, sent[people.columns]], ignore_index=True)
    tpl = ctx.scenario.capacity.team
    team = {SURGEON: tpl.surgeons, Specialty.ANAESTHESIOLOGY.value: tpl.anaesthesiologists,
            Specialty.SURGICAL_NURSING.value: tpl.surgical_nurses}
    rooms = program.set_index("clues")["operating_rooms"]
    r247 = cap_table.set_index("clues")["rooms_24_7"] if cap_table is not None else pd.Series(dtype=int)
    instances = {c: hospital_instance(c, people[people["hospital"] == c], int(rooms.get(c, 0)),
                                      int(r247.get(c, 0)), team, rules) for c in chosen}
    plans: dict[str, RosterPlan] = {}
    if ctx.progress:
        ctx.progress(0, len(instances))
    workers = min(cfg.processes, len(instances))
    if workers <= 1:  # one process: no pool start-up cost
        for c, inst in instances.items():
            plans[c] = _solve(inst, cfg.settings)
            if ctx.progress:
                ctx.progress(len(plans), len(instances))
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_solve, inst, cfg.settings): c for c, inst in instances.items()}
            for fut in as_completed(futures):
                plans[futures[fut]] = fut.result()
                if ctx.progress:
                    ctx.progress(len(plans), len(instances))
    rows, summary, violations = [], [], []
    for c in chosen:
        plan, inst = plans[c], instances[c]
        roles = {s.id: s.role for s in inst.staff}
        for sid, days in sorted(plan.roster.items()):
            rows.extend((c, sid, roles[sid], d, shift) for d, shift in enumerate(days))
        short = uncovered(inst, plan.roster) if plan.roster else None
        summary.append((c, len(inst.staff), int(rooms.get(c, 0)), int(r247.get(c, 0)), plan.status, plan.objective,
                        plan.gap, short, "; ".join(plan.explanation)))
        violations.extend(f"{c}: {v}" for v in plan.violations)
    roster = pd.DataFrame(rows, columns=["hospital", "staff_id", "role", "day", "shift"])
    summ = pd.DataFrame(summary, columns=["hospital", "staff", "operating_rooms", "rooms_24_7", "status",
                                          "objective", "gap", "uncovered_team_shifts", "explanation"])
    statuses = [p.status for p in plans.values()]
    kpis = {"hospitals": len(chosen), "optimal": statuses.count("optimal"), "feasible": statuses.count("feasible"),
            "infeasible": statuses.count("infeasible"), "time_limit": statuses.count("time_limit"),
            "horizon_days": (rules.horizon_days // 7) * 7, "people": int(summ["staff"].sum()) if len(summ) else 0,
            "penalty_total": float(summ["objective"].fillna(0).sum()) if len(summ) else 0.0,
            "uncovered_team_shifts": float(summ["uncovered_team_shifts"].fillna(0).sum()) if len(summ) else 0.0}
    log = [f"rostering: {len(chosen)} hospitals, statuses {({s: statuses.count(s) for s in sorted(set(statuses))})}"]
    explanation = "; ".join(f"{c}: {e}" for c, e in zip(summ["hospital"], summ["explanation"], strict=True) if e)
    return StageOutput(status_of(statuses), kpis, {"roster": roster, "summary": summ}, violations,
                       explanation or None, log)
