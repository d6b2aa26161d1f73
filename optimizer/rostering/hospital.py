"""Build a hospital's roster problem from its staff list and the cover its services need.

Shifts (defaults, ``HospitalRules``): morning ``M`` 07:00-15:00 (8 h), evening ``E`` 15:00-22:00 (7 h), night
``N`` 22:00-07:00 (9 h) and the 24 h guardia ``G`` 07:00-07:00 that fills the morning, evening and night
slots of its day. Forbidden successions come from the minimum rest: shift ``t`` may not follow shift ``s`` on
the next day when the rest between them is below ``min_rest_hours`` or below the length of ``s`` itself for
shifts longer than 12 h (a 24 h guardia is followed by a day off).

Cover (per day x slot M/E/N x role, preferred and hard minimum):

* operating rooms run 24/7 with the team template of ``optimizer.domain.TeamTemplate`` (1 surgeon, 1
  anaesthesiologist, 2 surgical nurses per room); the rooms' surgeon places are shared among the surgical
  specialties in post in proportion to their contract hours (largest remainder);
* every other specialty in post keeps one person per slot (ward / emergency on call), emergency medicine one
  per ``emergency_bays_per_doctor`` bays;
* the hard minimum is one person per slot for a role whose contract hours reach
  ``hard_minimum_share`` x 168 h/week (it can sustain 24/7 presence with slack), else 0 and only the soft
  requirement applies; ``HospitalInstance.notes`` says which roles cannot sustain 24/7 cover.

Contract hours become ``max_total_minutes = weekly_hours x weeks x 60`` and
``min_total_minutes = min_hours_share`` of that.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from optimizer.data.dataset import Dataset, load_dataset
from optimizer.domain import HOURS_PER_WEEK, SURGICAL_SPECIALTIES, Specialty, TeamTemplate
from optimizer.i18n import Msg, has, msg, said
from optimizer.rostering.instance import CoverLine, FairnessRule, RosterInstance, ShiftType, Staff

SLOTS = ("M", "E", "N")


class HospitalRules(BaseModel):
    """Labour rules and penalty weights of the hospital roster (defaults documented per field)."""

    model_config = ConfigDict(extra="forbid")

    min_rest_hours: float = Field(12.0, ge=0, description="rest between two shifts, hours")
    max_consecutive_shifts: int = Field(6, ge=1, description="Ley Federal del Trabajo art. 69: a rest day per 6")
    min_consecutive_days_off: int = Field(1, ge=1)
    min_consecutive_shifts: int = Field(1, ge=1)
    max_weekends_share: float = Field(0.5, ge=0, le=1, description="share of weekends a person may work")
    max_guardias_per_week: float = Field(2.0, ge=0)
    max_nights_per_week: float = Field(3.0, ge=0)
    min_hours_share: float = Field(0.75, ge=0, le=1, description="minimum hours worked / contract hours")
    hard_minimum_share: float = Field(1.25, ge=0, description="role hours / 168 needed for a hard minimum of 1")
    emergency_bays_per_doctor: int = Field(6, ge=1)
    weight_under_surgical: int = Field(100, ge=0, description="per person short in an operating-room team")
    weight_under_other: int = Field(50, ge=0)
    weight_over: int = Field(1, ge=0)
    fairness_weight: int = Field(5, ge=0, description="per unit of spread of nights/guardias/weekends")
    use_guardias: bool = Field(True, description="offer the 24 h guardia as a shift type")


@dataclass(frozen=True)
class StaffMember:
    """One person of the hospital's staff list: id, role (specialty) and contract hours per week."""

    specialist_id: str
    role: str
    weekly_hours: float


@dataclass
class HospitalInstance:
    """The roster problem of one hospital plus what a planner should read about it."""

    clues: str
    name: str
    instance: RosterInstance
    units: dict[str, list[str]] = field(default_factory=dict)  # unit (sheet) -> staff ids
    notes: list[str] = field(default_factory=list)


def hospital_shifts(rules: HospitalRules) -> list[ShiftType]:
    """The M / E / N (and G) shift types with forbidden successions derived from the rest rule."""
    base = [
        ShiftType("M", 480, start_minute=7 * 60, name="mañana 07-15"),
        ShiftType("E", 420, start_minute=15 * 60, name="tarde 15-22"),
        ShiftType("N", 540, start_minute=22 * 60, name="noche 22-07"),
    ]
    if rules.use_guardias:
        base.append(ShiftType("G", 1440, covers=SLOTS, start_minute=7 * 60, name="guardia 24 h 07-07"))
    start = {s.id: s.start_minute or 0 for s in base}
    out = []
    for s in base:
        need = max(rules.min_rest_hours * 60, s.length if s.length > 720 else 0)
        forbidden = frozenset(t.id for t in base if 1440 + start[t.id] - (start[s.id] + s.length) < need)
        out.append(ShiftType(s.id, s.length, forbidden, s.covers, s.start_minute, s.name))
    return out


def _surgeon_places(rooms: int, hours: dict[str, float]) -> dict[str, int]:
    """Share ``rooms`` surgeon places among surgical specialties by contract hours (largest remainder)."""
    total = sum(hours.values())
    if total <= 0 or rooms <= 0:
        return {}
    raw = {k: rooms * v / total for k, v in hours.items()}
    places = {k: int(math.floor(v)) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - places[k], reverse=True)[: rooms - sum(places.values())]:
        places[k] += 1
    return {k: v for k, v in places.items() if v > 0}


def build_hospital_instance(
    staff: Iterable[StaffMember],
    operating_rooms: int,
    weeks: int,
    emergency_bays: int = 0,
    rules: HospitalRules | None = None,
    clues: str = "",
    name: str = "",
) -> HospitalInstance:
    """The roster problem for ``weeks`` weeks from a staff list and the hospital's rooms and bays."""
    rules = rules or HospitalRules()
    staff = list(staff)
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    if not staff:
        raise ValueError(f"hospital {clues or name}: the staff list is empty; nobody to roster")
    H = 7 * weeks
    shifts = hospital_shifts(rules)
    hours: dict[str, float] = defaultdict(float)
    people: list[Staff] = []
    units: dict[str, list[str]] = defaultdict(list)
    for p in staff:
        if p.weekly_hours <= 0:
            raise ValueError(f"staff {p.specialist_id}: weekly_hours must be > 0, got {p.weekly_hours}")
        hours[p.role] += p.weekly_hours
        people.append(_person(p, weeks, rules))
        units[p.role].append(p.specialist_id)
    surgical = {r: h for r, h in hours.items() if r in {s.value for s in SURGICAL_SPECIALTIES}}
    need = _places(hours, surgical, operating_rooms, emergency_bays, rules)
    cover, notes = _cover(need, hours, set(surgical), H, rules)
    fairness = [
        FairnessRule("nights", "shifts", rules.fairness_weight, frozenset({"N"})),
        FairnessRule("weekends", "weekends", rules.fairness_weight),
    ]
    if rules.use_guardias:
        fairness.append(FairnessRule("guardias", "shifts", rules.fairness_weight, frozenset({"G"})))
    inst = RosterInstance(
        horizon=H, shifts=shifts, staff=people, cover=cover, fairness=fairness, name=clues or name
    )
    return HospitalInstance(clues=clues, name=name, instance=inst, units=dict(units), notes=notes)


def _person(p: StaffMember, weeks: int, rules: HospitalRules) -> Staff:
    """One person's limits over the horizon: contract minutes (at most, and the minimum share of them),
    nights and guardias per week, consecutive shifts and days off, weekends worked."""
    H = 7 * weeks
    max_min = int(round(p.weekly_hours * weeks * 60))
    caps = {"M": H, "E": H, "N": int(rules.max_nights_per_week * weeks)}
    if rules.use_guardias:
        caps["G"] = int(rules.max_guardias_per_week * weeks)
    return Staff(
        id=p.specialist_id,
        max_shifts=caps,
        max_total_minutes=max_min,
        min_total_minutes=int(rules.min_hours_share * max_min),
        max_consecutive_shifts=rules.max_consecutive_shifts,
        min_consecutive_shifts=rules.min_consecutive_shifts,
        min_consecutive_days_off=rules.min_consecutive_days_off,
        max_weekends=int(math.ceil(rules.max_weekends_share * weeks)),
        role=p.role,
        weekly_hours=p.weekly_hours,
    )


def _places(hours: dict[str, float], surgical: dict[str, float], operating_rooms: int, emergency_bays: int,
            rules: HospitalRules) -> dict[str, int]:
    """People needed on every shift per role: one surgical team per operating room (surgeon places shared
    by contract hours), emergency doctors per bays, one of every other role on the list."""
    template = TeamTemplate()
    need: dict[str, int] = {}
    need.update(_surgeon_places(operating_rooms, surgical))
    if operating_rooms:
        need[Specialty.ANAESTHESIOLOGY.value] = template.anaesthesiologists * operating_rooms
        need[Specialty.SURGICAL_NURSING.value] = template.surgical_nurses * operating_rooms
    for role in hours:
        if role not in need and role not in surgical:
            per = emergency_bays // rules.emergency_bays_per_doctor if role == Specialty.EMERGENCY_MEDICINE else 1
            need[role] = max(1, per)
    return need


def _role_label(role: str) -> Msg | str:
    """A role as people name it (``enums.specialty.*``), its code where the catalogue has no label."""
    key = f"enums.specialty.{role}"
    return msg(key) if has(key, "en") else role


def _cover(need: dict[str, int], hours: dict[str, float], surgical: set[str], horizon: int,
           rules: HospitalRules) -> tuple[list[CoverLine], list[str]]:
    """Cover lines (every day x slot x role) and notes on roles whose contract hours cannot fill their places
    24/7; a role gets a hard minimum of one only when it has enough hours for it."""
    notes: list[str] = []
    cover: list[CoverLine] = []
    team_roles = surgical | {Specialty.ANAESTHESIOLOGY.value, Specialty.SURGICAL_NURSING.value}
    for role, n in sorted(need.items()):
        have = hours.get(role, 0.0)
        hard = 1 if have >= rules.hard_minimum_share * HOURS_PER_WEEK else 0
        if have < n * HOURS_PER_WEEK:
            notes.append(said("models.rostering.short_hours" if hard else "models.rostering.short_hours_soft",
                              role=_role_label(role), have=f"{have:g}", places=n, need=f"{n * HOURS_PER_WEEK:g}"))
        wu = rules.weight_under_surgical if role in team_roles else rules.weight_under_other
        for d in range(horizon):
            for slot in SLOTS:
                cover.append(CoverLine(d, slot, n, wu, rules.weight_over, role=role, minimum=min(hard, n)))
    return cover, notes


def from_dataset(
    ds: Dataset,
    clues: str,
    weeks: int = 4,
    assigned: Iterable[tuple[str, str]] = (),
    rules: HospitalRules | None = None,
) -> HospitalInstance:
    """The roster problem of hospital ``clues`` from a loaded dataset (``optimizer.data.dataset.Dataset``).

    Staff = specialists in post at ``clues`` plus the recruits a deployment plan assigns there
    (``assigned`` = (specialist_id, hospital CLUES) pairs, e.g. from ``DeploymentPlan.assignments``).
    """
    facilities: pd.DataFrame = ds.facilities
    specialists: pd.DataFrame = ds.specialists
    row = facilities[facilities["clues"] == clues]
    if row.empty:
        raise ValueError(f"facilities.csv: no facility with clues {clues!r}")
    fac = row.iloc[0]
    if fac["kind"] != "hospital":
        raise ValueError(f"facilities.csv: {clues} is a {fac['kind']}, not a hospital")
    extra = {sid for sid, hosp in assigned if hosp == clues}
    mask = ((specialists["status"] == "in_post") & (specialists["facility_clues"] == clues)) | specialists[
        "specialist_id"
    ].isin(extra)
    mine = specialists[mask]
    members = [
        StaffMember(str(r.specialist_id), str(r.specialty), float(r.weekly_hours)) for r in mine.itertuples()
    ]
    if not members:
        raise ValueError(f"specialists.csv: nobody is in post at or assigned to {clues} ({fac['name']})")
    return build_hospital_instance(
        members,
        operating_rooms=int(fac["operating_rooms"]),
        weeks=weeks,
        emergency_bays=int(fac["emergency_bays"]),
        rules=rules,
        clues=clues,
        name=str(fac["name"]),
    )


def hospital_input(dataset: Dataset | str | Path, clues: str, weeks: int = 4,
                   rules: HospitalRules | None = None) -> RosterInstance:
    """The roster problem of hospital ``clues`` of a dataset folder or loaded dataset (its staff in post, 24/7
    shifts and cover, ``weeks`` weeks): :func:`from_dataset` without the units and notes."""
    ds = load_dataset(dataset) if isinstance(dataset, str | Path) else dataset
    return from_dataset(ds, clues, weeks, rules=rules).instance
