"""Independent validator: recomputes feasibility and the objective of a plan from the plan and input alone.

It shares no code with the formulation: distances, slot throughput, hours, pay and coverage are recomputed
here from the raw input records, so a modelling bug shows up as a violation or an objective mismatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.model import DeploymentPlan
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


def validate(inp: DeploymentInput, plan: DeploymentPlan, settings: DeploymentSettings) -> DeploymentValidation:
    """Check every rule of the model on ``plan`` and recompute its objective."""
    s = settings
    rep = DeploymentValidation()
    v = rep.violations
    hosp = {h.clues: h for h in inp.hospitals}
    cands = {c.specialist_id: c for c in inp.candidates}
    tpl = s.template

    # people
    seen: set[str] = set()
    hours: dict[tuple[str, Specialty], float] = {}
    pay = km_total = 0.0
    where: dict[str, str] = {}
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
        where[a.specialist] = a.hospital
        if a.role != c.specialty:
            v.append(f"{a.specialist}: role {a.role} differs from specialty {c.specialty}")
        d = _km(c.home_lat, c.home_lon, h.lat, h.lon)
        stays = inp.current.get(a.specialist) == a.hospital
        if not stays and c.willing_states and h.cve_ent not in c.willing_states:
            v.append(f"{a.specialist}: not willing to work in state {h.cve_ent} ({a.hospital})")
        if not stays and c.max_km is not None and d > c.max_km + 1e-6:
            v.append(f"{a.specialist}: {a.hospital} is {d:.1f} km from home, over the {c.max_km:.1f} km accepted")
        key = (a.hospital, c.specialty)
        hours[key] = hours.get(key, 0.0) + c.weekly_hours
        bonus = s.degree_bonus_mxn[h.degree] + (s.remote_bonus_mxn if h.remote else 0.0)
        pay += c.incentive_mxn + bonus
        km_total += d
    for p in inp.in_post:
        key = (p.clues, p.specialty)
        hours[key] = hours.get(key, 0.0) + p.weekly_hours
    moved = sum(1 for sid, cur in inp.current.items() if where.get(sid) != cur)
    if s.replan == "pin" and moved:
        v.append(f"{moved} pinned people of the current deployment were moved")

    # teams: no half teams, rooms
    slots: dict[tuple[str, Specialty], int] = {}
    for t in plan.teams:
        if t.hospital not in hosp:
            v.append(f"team at '{t.hospital}': not a program hospital")
            continue
        if t.specialty not in SURGICAL_SPECIALTIES or t.slots < 0:
            v.append(f"team at {t.hospital}: invalid specialty {t.specialty} or count {t.slots}")
            continue
        slots[(t.hospital, t.specialty)] = slots.get((t.hospital, t.specialty), 0) + t.slots
    at: dict[str, int] = {}
    for (c, _sp), n in slots.items():
        at[c] = at.get(c, 0) + n
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

    # coverage and objective
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
    rep.covered, rep.demand = sum(cov_h.values()), sum(dem_h.values())

    if s.budget_mxn_month is not None and pay > s.budget_mxn_month * (1 + 1e-9) + _TOL:
        v.append(f"budget: {pay:,.2f} MXN/month over {s.budget_mxn_month:,.2f}")
    if s.min_hospital_share > 0:
        for c, dem in dem_h.items():
            if cov_h[c] < s.min_hospital_share * dem - 1e-4:
                v.append(f"{c}: covers {cov_h[c] / dem:.1%}, below the minimum {s.min_hospital_share:.0%}")
    if s.min_state_share > 0:
        st_cov: dict[str, list[float]] = {}
        for c, dem in dem_h.items():
            acc = st_cov.setdefault(hosp[c].cve_ent, [0.0, 0.0])
            acc[0] += cov_h[c]
            acc[1] += dem
        for st, (cov, dem) in st_cov.items():
            if cov < s.min_state_share * dem - 1e-4:
                v.append(f"state {st}: covers {cov / dem:.1%}, below the minimum {s.min_state_share:.0%}")
    reaching = sum(1 for n in at.values() if n > 0)
    if reaching < s.min_hospitals_24_7:
        v.append(f"{reaching} hospitals reach 24/7, fewer than the {s.min_hospitals_24_7} required")

    if s.access_weight > 0 and inp.access is not None:
        # every hospital with a complete team is 24/7; the access data recomputes who it brings within reach
        known = set(inp.access.hospital_ids)
        rep.access_gained = inp.access.gain_of_set(sorted(c for c, n in at.items() if n > 0 and c in known))
    rep.objective = (cov_w + s.access_weight * rep.access_gained - s.km_weight * km_total
                     - s.incentive_weight * pay - s.move_penalty * moved)
    return rep
