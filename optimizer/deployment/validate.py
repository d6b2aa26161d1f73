"""Independent validator: recomputes feasibility and the objective of a plan from the plan and input alone.

It shares no code with the formulation: distances, slot throughput, hours, pay and coverage are recomputed
here from the raw input records, so a modelling bug shows up as a violation or an objective mismatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer.deployment.inputs import Candidate, DeploymentInput, Hospital
from optimizer.deployment.model import DeploymentPlan
from optimizer.deployment.plan import Assignment
from optimizer.deployment.settings import DeploymentSettings
from optimizer.domain import SURGICAL_SPECIALTIES, Specialty
from optimizer.plan import Validation

_WEEK_H = 24.0 * 7.0
_TOL = 1e-6


@dataclass
class DeploymentValidation(Validation):
    """Violations (empty = feasible) and the objective recomputed from the plan (weighted procedures/week);
    ``covered`` and ``demand`` in procedures/week, ``access_gained`` in (degree-weighted) people."""

    objective: float = 0.0
    covered: float = 0.0
    demand: float = 0.0
    access_gained: float = 0.0


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, max(0.0, a))))


@dataclass
class _People:
    """What the deployed and in-post people bring: hours/week per (hospital, role), pay (MXN/month), home to
    hospital distance (km), where each recruit goes and how many pinned people were moved."""

    hours: dict[tuple[str, Specialty], float] = field(default_factory=dict)
    pay: float = 0.0
    km_total: float = 0.0
    where: dict[str, str] = field(default_factory=dict)
    moved: int = 0


def validate(inp: DeploymentInput, plan: DeploymentPlan, settings: DeploymentSettings) -> DeploymentValidation:
    """Check every rule of the model on ``plan`` and recompute its objective (one function per rule family,
    in the order their violations are reported)."""
    s = settings
    rep = DeploymentValidation()
    v = rep.violations
    hosp = {h.clues: h for h in inp.hospitals}
    people = _check_people(inp, plan, s, hosp, v)
    slots = _team_slots(plan, hosp, v)
    at = _check_teams(slots, hosp, people.hours, s, v)
    cov_w, cov_h, dem_h = _coverage(inp, s, hosp, slots)
    rep.covered, rep.demand = sum(cov_h.values()), sum(dem_h.values())
    _check_budget(people.pay, s, v)
    _check_hospital_share(cov_h, dem_h, s, v)
    _check_state_share(cov_h, dem_h, hosp, s, v)
    _check_min_24_7(at, s, v)
    rep.access_gained = _access_gained(inp, s, at)
    rep.objective = (cov_w + s.access_weight * rep.access_gained - s.km_weight * people.km_total
                     - s.incentive_weight * people.pay - s.move_penalty * people.moved)
    return rep


def _check_people(
    inp: DeploymentInput, plan: DeploymentPlan, s: DeploymentSettings, hosp: dict[str, Hospital], v: list[str]
) -> _People:
    """People: each recruit from the pool, deployed once, in their own role, where they accept to go;
    pinned people stay. Sums hours (recruits and people in post), pay and distance."""
    cands = {c.specialist_id: c for c in inp.candidates}
    out = _People()
    seen: set[str] = set()
    for a in plan.assignments:
        c, h = cands.get(a.specialist), hosp.get(a.hospital)
        if c is None:
            v.append(f"{a.specialist}: not in the recruit pool")
            continue
        if h is None:
            v.append(f"{a.specialist}: '{a.hospital}' is not a program hospital")
            continue
        if a.specialist in seen:
            v.append(f"{a.specialist}: deployed twice")
        seen.add(a.specialist)
        out.where[a.specialist] = a.hospital
        d = _check_assignment(inp, a, c, h, v)
        key = (a.hospital, c.specialty)
        out.hours[key] = out.hours.get(key, 0.0) + c.weekly_hours
        bonus = s.degree_bonus_mxn[h.degree] + (s.remote_bonus_mxn if h.remote else 0.0)
        out.pay += c.incentive_mxn + bonus
        out.km_total += d
    for p in inp.in_post:
        key = (p.clues, p.specialty)
        out.hours[key] = out.hours.get(key, 0.0) + p.weekly_hours
    out.moved = sum(1 for sid, cur in inp.current.items() if out.where.get(sid) != cur)
    if s.replan == "pin" and out.moved:
        v.append(f"{out.moved} pinned people of the current deployment were moved")
    return out


def _check_assignment(inp: DeploymentInput, a: Assignment, c: Candidate, h: Hospital, v: list[str]) -> float:
    """One recruit's rules: role equals specialty; a move (not staying put) respects the recruit's states and
    maximum distance. Returns the home-to-hospital distance (km)."""
    if a.role != c.specialty:
        v.append(f"{a.specialist}: role {a.role} differs from specialty {c.specialty}")
    d = _km(c.home_lat, c.home_lon, h.lat, h.lon)
    stays = inp.current.get(a.specialist) == a.hospital
    if not stays and c.willing_states and h.cve_ent not in c.willing_states:
        v.append(f"{a.specialist}: not willing to work in state {h.cve_ent} ({a.hospital})")
    if not stays and c.max_km is not None and d > c.max_km + 1e-6:
        v.append(f"{a.specialist}: {a.hospital} is {d:.1f} km from home, over the {c.max_km:.1f} km accepted")
    return d


def _team_slots(plan: DeploymentPlan, hosp: dict[str, Hospital], v: list[str]) -> dict[tuple[str, Specialty], int]:
    """24/7 team slots per (hospital, surgical specialty); teams at unknown hospitals or with an invalid
    specialty or count are violations and count for nothing."""
    slots: dict[tuple[str, Specialty], int] = {}
    for t in plan.teams:
        if t.hospital not in hosp:
            v.append(f"team at '{t.hospital}': not a program hospital")
            continue
        if t.specialty not in SURGICAL_SPECIALTIES or t.slots < 0:
            v.append(f"team at {t.hospital}: invalid specialty {t.specialty} or count {t.slots}")
            continue
        slots[(t.hospital, t.specialty)] = slots.get((t.hospital, t.specialty), 0) + t.slots
    return slots


def _check_teams(
    slots: dict[tuple[str, Specialty], int], hosp: dict[str, Hospital],
    hours: dict[tuple[str, Specialty], float], s: DeploymentSettings, v: list[str],
) -> dict[str, int]:
    """Teams: no more teams than operating rooms, and no half teams (every role of the template staffed
    168 h/week per person per team). Returns teams per hospital."""
    at: dict[str, int] = {}
    for (c, _sp), n in slots.items():
        at[c] = at.get(c, 0) + n
    tpl = s.template
    for c, n in at.items():
        if n > hosp[c].operating_rooms:
            v.append(f"{c}: {n} 24/7 teams but only {hosp[c].operating_rooms} operating rooms")
        need = {Specialty.ANAESTHESIOLOGY: tpl.anaesthesiologists * n,
                Specialty.SURGICAL_NURSING: tpl.surgical_nurses * n}
        for sp_ in SURGICAL_SPECIALTIES:
            need[sp_] = tpl.surgeons * slots.get((c, sp_), 0)
        for role, people in need.items():
            if hours.get((c, role), 0.0) < _WEEK_H * people - _TOL:
                v.append(f"{c}: {role.value} has {hours.get((c, role), 0.0):.1f} h/week, "
                         f"{_WEEK_H * people:.0f} needed for {n} team(s) (half team)")
    return at


def _coverage(
    inp: DeploymentInput, s: DeploymentSettings, hosp: dict[str, Hospital], slots: dict[tuple[str, Specialty], int]
) -> tuple[float, dict[str, float], dict[str, float]]:
    """Procedures/week covered by the slots: the weighted total (objective units), covered and demand per
    hospital. A slot covers 168 h x OR utilisation of its specialty's procedures, at most the demand."""
    cov_w = 0.0
    cov_h: dict[str, float] = {}
    dem_h: dict[str, float] = {}
    for (c, sp_), d in inp.demand.items():
        if c not in hosp or d.procedures_per_week <= 0:
            continue
        if d.or_hours_per_week > 0:
            per_slot = _WEEK_H * s.or_utilisation * d.procedures_per_week / d.or_hours_per_week
        else:
            per_slot = d.procedures_per_week
        cov = min(d.procedures_per_week, slots.get((c, sp_), 0) * per_slot)
        cov_w += s.marginalisation_weight[hosp[c].degree] * cov
        cov_h[c] = cov_h.get(c, 0.0) + cov
        dem_h[c] = dem_h.get(c, 0.0) + d.procedures_per_week
    return cov_w, cov_h, dem_h


def _check_budget(pay: float, s: DeploymentSettings, v: list[str]) -> None:
    """Budget: incentives and bonuses (MXN/month) within ``budget_mxn_month``."""
    if s.budget_mxn_month is not None and pay > s.budget_mxn_month * (1 + 1e-9) + _TOL:
        v.append(f"budget: {pay:,.2f} MXN/month over {s.budget_mxn_month:,.2f}")


def _check_hospital_share(cov_h: dict[str, float], dem_h: dict[str, float], s: DeploymentSettings,
                          v: list[str]) -> None:
    """Equity: every hospital covers at least ``min_hospital_share`` of its demand."""
    if s.min_hospital_share <= 0:
        return
    for c, dem in dem_h.items():
        if cov_h[c] < s.min_hospital_share * dem - 1e-4:
            v.append(f"{c}: covers {cov_h[c] / dem:.1%}, below the minimum {s.min_hospital_share:.0%}")


def _check_state_share(cov_h: dict[str, float], dem_h: dict[str, float], hosp: dict[str, Hospital],
                       s: DeploymentSettings, v: list[str]) -> None:
    """Equity: every state covers at least ``min_state_share`` of its hospitals' demand."""
    if s.min_state_share <= 0:
        return
    st_cov: dict[str, list[float]] = {}
    for c, dem in dem_h.items():
        acc = st_cov.setdefault(hosp[c].cve_ent, [0.0, 0.0])
        acc[0] += cov_h[c]
        acc[1] += dem
    for st, (cov, dem) in st_cov.items():
        if cov < s.min_state_share * dem - 1e-4:
            v.append(f"state {st}: covers {cov / dem:.1%}, below the minimum {s.min_state_share:.0%}")


def _check_min_24_7(at: dict[str, int], s: DeploymentSettings, v: list[str]) -> None:
    """At least ``min_hospitals_24_7`` hospitals with a complete team."""
    reaching = sum(1 for n in at.values() if n > 0)
    if reaching < s.min_hospitals_24_7:
        v.append(f"{reaching} hospitals reach 24/7, fewer than the {s.min_hospitals_24_7} required")


def _access_gained(inp: DeploymentInput, s: DeploymentSettings, at: dict[str, int]) -> float:
    """People (degree-weighted) brought within reach: every hospital with a complete team is 24/7 and the
    access data recomputes whom it reaches; 0 when the access term is off."""
    if s.access_weight > 0 and inp.access is not None:
        known = set(inp.access.hospital_ids)
        return inp.access.gain_of_set(sorted(c for c, n in at.items() if n > 0 and c in known))
    return 0.0
