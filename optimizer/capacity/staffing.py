"""WISN of the surgical cadres at a facility, from the records' workload and the staff in post.

Workload: each operation of specialty ``s`` in the records is a service unit for its surgeon, the
anaesthesiologist and the surgical nurses. Service standard (hours of the cadre per operation): people of
the cadre in the team x (mean OR hours per operation of the hospital's case mix + turnover). Available
working time: the settings' allowances (A, B, C, D, E) and the mean contract hours per day of the cadre
at the facility. Category and individual allowances: the settings' WISN standards.
"""

from __future__ import annotations

from optimizer.capacity.model import CapacityInput, CapacityInputError
from optimizer.capacity.settings import CapacitySettings
from optimizer.capacity.wisn import (
    AdditionalActivity,
    ServiceActivity,
    SupportActivity,
    WisnInput,
    WisnResult,
    compute_wisn,
    exact,
)
from optimizer.domain import SURGICAL_SPECIALTIES, Specialty
from optimizer.i18n import msg

#: Weeks per year used to turn weekly demand into annual workload ``W_i``.
WEEKS_PER_YEAR = 52

#: Cadres WISN is computed for: those whose workload the records count (operations).
WISN_CADRES: tuple[Specialty, ...] = (*SURGICAL_SPECIALTIES, Specialty.ANAESTHESIOLOGY,
                                      Specialty.SURGICAL_NURSING)


def _team_people(cadre: Specialty, specialty: Specialty, settings: CapacitySettings) -> int:
    if cadre == Specialty.ANAESTHESIOLOGY:
        return settings.team.anaesthesiologists
    if cadre == Specialty.SURGICAL_NURSING:
        return settings.team.surgical_nurses
    return settings.team.surgeons if cadre == specialty else 0


def wisn_input(inp: CapacityInput, clues: str, cadre: Specialty, settings: CapacitySettings) -> WisnInput:
    """The WISN input of ``cadre`` at hospital ``clues`` (see the module docstring)."""
    if cadre not in WISN_CADRES:
        raise CapacityInputError(msg("capacity.wisn.no_workload", cadre=cadre.value,
                                     cadres=", ".join(c.value for c in WISN_CADRES)))
    inp.hospital(clues)
    al = settings.allowances
    hours = inp.staff_hours.get((clues, cadre), 0.0)
    heads = inp.headcount.get((clues, cadre), 0)
    weekly = hours / heads if heads else inp.new_person_hours.get(cadre, settings.default_weekly_hours)
    services = []
    for s in SURGICAL_SPECIALTIES:
        people = _team_people(cadre, s, settings)
        d = inp.demand.get((clues, s))
        if not people or d is None or d.procedures_per_week <= 0:
            continue
        per_case = exact(d.or_hours_per_week) / exact(d.procedures_per_week)
        services.append(ServiceActivity(
            f"{s.value} operations", exact(d.procedures_per_week) * WEEKS_PER_YEAR,
            unit_time_h=people * (per_case + exact(settings.wisn.turnover_hours_per_case))))
    return WisnInput(
        cadre=cadre.value, facility=clues, working_days=exact(al.working_days_per_week) * WEEKS_PER_YEAR,
        public_holidays=al.public_holidays, annual_leave=al.annual_leave, sick_leave=al.sick_leave,
        other_leave=al.training, hours_per_day=exact(weekly) / exact(al.working_days_per_week),
        services=tuple(services), existing_staff=heads,
        support=tuple(SupportActivity(k, v) for k, v in settings.wisn.support_percent.items()),
        additional=tuple(AdditionalActivity(k, h, n)
                         for k, (h, n) in settings.wisn.additional_hours_per_year.items()) if services else ())


def facility_wisn(inp: CapacityInput, clues: str, settings: CapacitySettings | None = None) -> list[WisnResult]:
    """WISN of every surgical cadre at hospital ``clues``."""
    s = settings or CapacitySettings()
    return [compute_wisn(wisn_input(inp, clues, c, s)) for c in WISN_CADRES]
