"""What a planner reads from a capacity plan: 24/7 status per hospital and network totals.

The 24/7 status looks at people and rooms only (not demand): can the hospital keep its operating rooms,
ward and emergency unit running round the clock with the staff it has? Because ward and ER teams use
roles of their own (enforced by the settings), the most room-hours the staff allow has a closed form:
``min(168 x rooms, surgeon hours, anaesthesia hours / 1, nursing hours / 2, rooms x ward hours)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer.capacity.model import CapacityInput, CapacityPlan, Hospital
from optimizer.capacity.settings import CapacitySettings
from optimizer.domain import HOURS_PER_WEEK, SURGICAL_SPECIALTIES, Specialty

FULLY = "fully_24_7"
SOME_ROOMS = "24_7_some_rooms"
DAYTIME = "daytime_only"
NO_SURGERY = "no_surgery"

#: Name of the pooled surgeon role in status tables (any surgical specialty can lead a room).
SURGEON = "surgeon"


@dataclass
class Shortfall:
    """People of one role missing for the hospital to run every unit 24/7."""

    role: str  # a Specialty value or "surgeon"
    hours_short: float  # available hours/week missing
    people_short: int  # people at the typical contract of the role, after allowances


@dataclass
class HospitalStatus:
    """24/7 status of one hospital from its people and rooms."""

    clues: str
    status: str  # fully_24_7 | 24_7_some_rooms | daytime_only | no_surgery
    operating_rooms: int
    rooms_24_7: int  # rooms the staff can keep open 168 h/week
    staffable_room_hours: float  # h/week
    ward_hours_possible: float  # h/week (168 when the hospital has no beds to staff)
    er_hours_possible: float  # h/week (168 when it has no emergency bays)
    limiting_role: str  # what caps room hours first ("rooms" when only rooms do)
    shortfalls: list[Shortfall] = field(default_factory=list)

    @property
    def missing_roles(self) -> str:
        return ", ".join(f"{s.role} x{s.people_short}" for s in self.shortfalls)


def _cap(avail: float, people: float) -> float:
    return avail / people if people > 0 else math.inf


def hospital_status(inp: CapacityInput, h: Hospital, settings: CapacitySettings) -> HospitalStatus:
    """24/7 status of ``h`` (see the module docstring)."""
    avail = {r: inp.available_hours(h.clues, r, settings) for r in Specialty}
    team = settings.team
    ward_max = HOURS_PER_WEEK
    if h.beds > 0:
        blocks = h.ward_blocks(settings)
        ward_max = min([HOURS_PER_WEEK] + [avail[r] / (p * blocks) for r, p in settings.ward_team.items()])
    er_max = HOURS_PER_WEEK
    if h.emergency_bays > 0:
        units = h.er_units(settings)
        er_max = min([HOURS_PER_WEEK] + [avail[r] / (p * units) for r, p in settings.er_team.items()])
    terms = {
        "rooms": HOURS_PER_WEEK * h.operating_rooms,
        SURGEON: sum(avail[s] for s in SURGICAL_SPECIALTIES) / team.surgeons,
        Specialty.ANAESTHESIOLOGY.value: _cap(avail[Specialty.ANAESTHESIOLOGY], team.anaesthesiologists),
        Specialty.SURGICAL_NURSING.value: _cap(avail[Specialty.SURGICAL_NURSING], team.surgical_nurses),
    }
    if h.beds > 0 and settings.couple_ward:
        terms["ward"] = h.operating_rooms * ward_max
    room_hours = min(terms.values())
    limiting = min(terms, key=lambda k: (terms[k], k != "rooms"))
    rooms_24_7 = min(h.operating_rooms, math.floor(room_hours / HOURS_PER_WEEK + 1e-9))
    if limiting == "ward":
        limiting = "/".join(r.value for r in settings.ward_team)
    full = rooms_24_7 == h.operating_rooms and ward_max >= HOURS_PER_WEEK - 1e-9 and er_max >= HOURS_PER_WEEK - 1e-9
    if full:
        status = FULLY
    elif rooms_24_7 >= 1:
        status = SOME_ROOMS
    elif room_hours > 1e-9:
        status = DAYTIME
    else:
        status = NO_SURGERY
    return HospitalStatus(h.clues, status, h.operating_rooms, rooms_24_7, room_hours, ward_max, er_max,
                          limiting, _shortfalls(inp, h, settings, avail))


def _shortfalls(inp: CapacityInput, h: Hospital, settings: CapacitySettings,
                avail: dict[Specialty, float]) -> list[Shortfall]:
    full_rooms = HOURS_PER_WEEK * h.operating_rooms
    need: dict[str, tuple[float, float]] = {}  # role -> (hours needed, hours available)
    if h.operating_rooms:
        need[SURGEON] = (full_rooms * settings.team.surgeons, sum(avail[s] for s in SURGICAL_SPECIALTIES))
        need[Specialty.ANAESTHESIOLOGY.value] = (full_rooms * settings.team.anaesthesiologists,
                                                 avail[Specialty.ANAESTHESIOLOGY])
        need[Specialty.SURGICAL_NURSING.value] = (full_rooms * settings.team.surgical_nurses,
                                                  avail[Specialty.SURGICAL_NURSING])
    if h.beds > 0:
        for r, p in settings.ward_team.items():
            need[r.value] = (HOURS_PER_WEEK * p * h.ward_blocks(settings), avail[r])
    if h.emergency_bays > 0:
        for r, p in settings.er_team.items():
            need[r.value] = (HOURS_PER_WEEK * p * h.er_units(settings), avail[r])
    out = []
    for role, (needed, has) in need.items():
        if needed - has > 1e-9:
            ref = Specialty.GENERAL_SURGERY if role == SURGEON else Specialty(role)
            per_person = inp.new_person_hours.get(ref, settings.default_weekly_hours) * settings.allowances.availability
            out.append(Shortfall(role, needed - has, math.ceil((needed - has) / per_person - 1e-9)))
    return sorted(out, key=lambda s: -s.people_short)


def statuses(inp: CapacityInput, settings: CapacitySettings) -> list[HospitalStatus]:
    """24/7 status of every hospital of ``inp``."""
    return [hospital_status(inp, h, settings) for h in inp.hospitals]


def network_kpis(inp: CapacityInput, plan: CapacityPlan, status: list[HospitalStatus]) -> dict[str, float | int | str]:
    """Network totals a planner reads first (per week unless the name says otherwise)."""
    demand = sum(d.procedures_per_week for d in inp.demand.values())
    delivered = plan.procedures_per_week
    counts = {k: sum(1 for s in status if s.status == k) for k in (FULLY, SOME_ROOMS, DAYTIME, NO_SURGERY)}
    return {
        "status": plan.status,
        "hospitals": len(inp.hospitals),
        "operating_rooms": sum(h.operating_rooms for h in inp.hospitals),
        "rooms_staffable_24_7": sum(s.rooms_24_7 for s in status),
        **{f"hospitals_{k}": v for k, v in counts.items()},
        "demand_procedures_per_week": demand,
        "procedures_per_week": delivered,
        "coverage_pct": 100.0 * delivered / demand if demand > 0 else 0.0,
        "weighted_procedures_per_week": plan.objective,
        "or_hours_per_week": sum(r.room_hours for r in plan.hospitals),
        "ward_hours_per_week": sum(r.ward_hours for r in plan.hospitals),
        "er_hours_per_week": sum(r.er_hours for r in plan.hospitals),
        "solve_seconds": plan.solve_seconds,
    }
