"""Independent check of a capacity plan: feasibility, objective and an optimality certificate.

Recomputes every constraint from the input's meaning (rooms, teams, allowances, demand, ward, ER) and
the plan's hours alone, without the LP arrays or any solver object. When the plan carries duals, it also
checks LP duality: duals >= 0, every column's reduced cost <= 0 (for a maximisation with ``<=`` rows) and
``b'y`` equal to the objective; together with primal feasibility this proves the plan optimal.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.capacity.model import CapacityInput, CapacityPlan, Hospital, HospitalResult
from optimizer.capacity.settings import CapacitySettings
from optimizer.domain import HOURS_PER_WEEK, SURGICAL_SPECIALTIES, Specialty
from optimizer.plan import Validation

#: Absolute tolerance in hours/week (and in weighted procedures for the certificate).
TOL = 1e-6


@dataclass
class CapacityValidation(Validation):
    """Violations found (empty = feasible), the recomputed objective and the certificate's verdict."""

    objective: float = 0.0  # weighted procedures/week recomputed from the plan
    procedures_per_week: float = 0.0
    dual_bound: float | None = None  # b'y from the plan's duals, when they form a feasible dual
    certified_optimal: bool = False


Column = tuple[str, str]  # ("or", specialty) | ("ward", "") | ("er", "")


def constraints(inp: CapacityInput, s: CapacitySettings, h: Hospital, contracted: dict[str, float]
                 ) -> list[tuple[tuple[str, str], dict[Column, float], float]]:
    """Every constraint of hospital ``h`` as (row key, coefficients by column, right-hand side)."""
    surg = [sp for sp in SURGICAL_SPECIALTIES if (d := inp.demand.get((h.clues, sp))) and d.or_hours_per_week > 0]
    out: list[tuple[tuple[str, str], dict[Column, float], float]] = []
    if surg:
        out.append((("rooms", ""), {("or", sp.value): 1.0 for sp in surg}, HOURS_PER_WEEK * h.operating_rooms))
    avail = s.allowances.availability
    for role, coeffs in _role_coefficients(s, h, surg).items():
        out.append((("role", role), coeffs, contracted.get(role, 0.0) * avail))
    for sp in surg:
        out.append((("demand", sp.value), {("or", sp.value): 1.0}, inp.demand[(h.clues, sp)].or_hours_per_week))
    if h.beds > 0:
        if surg and s.couple_ward:
            link: dict[Column, float] = {("or", sp.value): 1.0 for sp in surg}
            link[("ward", "")] = -float(h.operating_rooms)
            out.append((("ward_link", ""), link, 0.0))
        out.append((("ward_hours", ""), {("ward", ""): 1.0}, HOURS_PER_WEEK))
    if h.emergency_bays > 0:
        out.append((("er_hours", ""), {("er", ""): 1.0}, HOURS_PER_WEEK))
    return out


def _role_coefficients(s: CapacitySettings, h: Hospital, surg: list[Specialty]) -> dict[str, dict[Column, float]]:
    """People of each role per hour of each column: the surgical team per OR hour of its specialty, the ward
    team per block of beds, the ER team per unit of bays."""
    roles: dict[str, dict[Column, float]] = {}
    for sp in surg:
        team = {sp: s.team.surgeons, "anaesthesiology": s.team.anaesthesiologists,
                "surgical_nursing": s.team.surgical_nurses}
        for role, people in team.items():
            if people:
                roles.setdefault(str(getattr(role, "value", role)), {})[("or", sp.value)] = float(people)
    if h.beds > 0:
        blocks = -(-h.beds // s.ward_beds_per_block)
        for role, people in s.ward_team.items():
            roles.setdefault(role.value, {})[("ward", "")] = people * blocks
    if h.emergency_bays > 0:
        units = -(-h.emergency_bays // s.er_bays_per_unit)
        for role, people in s.er_team.items():
            roles.setdefault(role.value, {})[("er", "")] = people * units
    return roles


@dataclass
class _Certificate:
    """The LP duality certificate built hospital by hospital: still a feasible dual, and ``b'y`` so far."""

    ok: bool
    bound: float = 0.0


def validate(inp: CapacityInput, plan: CapacityPlan, settings: CapacitySettings | None = None) -> CapacityValidation:
    """Check ``plan`` against ``inp``; see the module docstring."""
    s = settings or CapacitySettings()
    v = CapacityValidation()
    results = {r.clues: r for r in plan.hospitals}
    duals = {(r.kind, r.clues, r.key): r.dual for r in plan.resources}
    cert = _Certificate(ok=plan.status == "optimal")
    contracted: dict[str, dict[str, float]] = {}
    for (c, role), hours_ in inp.staff_hours.items():
        contracted.setdefault(c, {})[role.value] = hours_
    for h in inp.hospitals:
        r = results.get(h.clues)
        if r is None:
            v.violations.append(f"hospital {h.clues}: missing from the plan")
            cert.ok = False
            continue
        hours = _hours(h, r, v)
        cost = _objective_terms(inp, h, r, h.weight(s), v)
        _check_idle_units(h, r, v)
        _check_rows(h, constraints(inp, s, h, contracted.get(h.clues, {})), hours, cost, duals, v, cert)
    if cert.ok:
        v.dual_bound = cert.bound
        v.certified_optimal = not v.violations and abs(cert.bound - v.objective) <= 1e-6 * max(1.0, abs(v.objective))
    if abs(v.objective - plan.objective) > 1e-6 * max(1.0, abs(v.objective)):
        v.violations.append(f"plan objective {plan.objective:.9g} != recomputed {v.objective:.9g}")
    return v


def _hours(h: Hospital, r: HospitalResult, v: CapacityValidation) -> dict[Column, float]:
    """The plan's hours/week per column of hospital ``h``; none may be negative."""
    hours: dict[Column, float] = {("or", sp.value): x for sp, x in r.or_hours.items()}
    hours[("ward", "")] = r.ward_hours
    hours[("er", "")] = r.er_hours
    for col, x in hours.items():
        if x < -TOL:
            v.violations.append(f"hospital {h.clues}: {col[0]} {col[1]} hours {x:.6g} < 0")
    return hours


def _objective_terms(inp: CapacityInput, h: Hospital, r: HospitalResult, weight: float, v: CapacityValidation
                     ) -> dict[Column, float]:
    """OR hours only where there is demand; procedures = OR hours x procedures per hour. Adds the weighted
    procedures to the objective and returns each OR column's objective coefficient."""
    cost: dict[Column, float] = {}
    for sp, x in r.or_hours.items():
        d = inp.demand.get((h.clues, sp))
        if d is None or d.or_hours_per_week <= 0:
            if x > TOL:
                v.violations.append(f"hospital {h.clues}: {x:.4g} OR hours of {sp.value} with no demand")
            continue
        rate = d.procedures_per_week / d.or_hours_per_week
        cost[("or", sp.value)] = weight * rate
        v.objective += weight * rate * x
        v.procedures_per_week += rate * x
        if abs(r.procedures.get(sp, 0.0) - rate * x) > TOL * max(1.0, rate * x):
            v.violations.append(f"hospital {h.clues}: {sp.value} procedures {r.procedures.get(sp, 0.0):.6g} "
                                f"!= OR hours x procedures per hour {rate * x:.6g}")
    return cost


def _check_idle_units(h: Hospital, r: HospitalResult, v: CapacityValidation) -> None:
    """No ward hours without beds, no ER hours without emergency bays."""
    if h.beds == 0 and r.ward_hours > TOL:
        v.violations.append(f"hospital {h.clues}: ward hours {r.ward_hours:.4g} with no beds")
    if h.emergency_bays == 0 and r.er_hours > TOL:
        v.violations.append(f"hospital {h.clues}: ER hours {r.er_hours:.4g} with no emergency bays")


def _check_rows(h: Hospital, cons: list[tuple[tuple[str, str], dict[Column, float], float]],
                hours: dict[Column, float], cost: dict[Column, float], duals: dict[tuple[str, str, str], float],
                v: CapacityValidation, cert: _Certificate) -> None:
    """Every row within its right-hand side; with the plan's duals: each dual >= 0, ``b'y`` accumulated and
    every column's reduced cost <= 0 (else the certificate fails)."""
    reduced = dict(cost)
    for (kind, key), coeffs, rhs in cons:
        lhs = sum(a * hours.get(col, 0.0) for col, a in coeffs.items())
        if lhs > rhs + TOL * max(1.0, abs(rhs)):
            what = f"{kind} {key}".strip()
            v.violations.append(f"hospital {h.clues}: {what} uses {lhs:.6g} > {rhs:.6g} available")
        y = duals.get((kind, h.clues, key))
        if y is None:
            cert.ok = False
            continue
        if y < -TOL:
            cert.ok = False
        cert.bound += rhs * y
        for col, a in coeffs.items():
            reduced[col] = reduced.get(col, 0.0) - a * y
    if any(rc > TOL * 10 for rc in reduced.values()):
        cert.ok = False
