"""The rostering problem as plain data: shift types, staff with their labour rules, requests and cover.

One ``RosterInstance`` describes both a Curtois & Qu benchmark instance and a hospital's roster. The
benchmark uses only a subset of the fields (no roles, no hard minimum cover, no fairness, no pinned cells);
the hospital model adds:

* roles: each person has one role (a specialty/cadre); a cover line with a role counts only that role,
  a cover line with ``role=None`` counts everybody (the benchmark);
* cover slots: a shift type fills one or more cover slots of its day (a 24 h guardia fills the morning,
  evening and night slots), so cover is asked per day x slot x role;
* a hard minimum cover per line besides the preferred (soft) requirement;
* fairness: for each group of shift types (nights, guardias) and for weekends, the spread (max - min) of
  the counts between people of one role is penalised;
* re-planning: a previous roster, days pinned to it, and a penalty per cell changed from it.

Times are minutes; days are numbered from 0 and day 0 is a Monday (day ``d`` is a Saturday when
``d % 7 == 5`` and a Sunday when ``d % 7 == 6``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A roster: staff id -> one entry per day, the shift id worked or ``""`` for a day off.
Roster = dict[str, list[str]]


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift.

    ``forbidden_next`` lists the shift ids that may not be worked on the day directly after this one
    (minimum rest between shifts). ``covers`` lists the cover slots this shift fills on its day (defaults to
    its own id). ``start_minute`` is the clock start (minutes after 00:00) when known (hospital model).
    """

    id: str
    length: int  # minutes
    forbidden_next: frozenset[str] = frozenset()
    covers: tuple[str, ...] = ()
    start_minute: int | None = None
    name: str = ""

    @property
    def slots(self) -> tuple[str, ...]:
        """Cover slots filled by one person working this shift."""
        return self.covers or (self.id,)


@dataclass(frozen=True)
class Staff:
    """A person and the labour rules that apply to them over the whole horizon.

    ``max_shifts`` maps each shift id to the most shifts of that type (0 = may not work it; a shift id
    missing from the map also means 0). Minutes are total minutes worked over the horizon.
    """

    id: str
    max_shifts: dict[str, int]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int
    role: str = ""
    weekly_hours: float | None = None  # contract hours per week (hospital model; informative)


@dataclass(frozen=True)
class ShiftRequest:
    """A wish to work (``on=True``) or not to work (``on=False``) shift ``shift`` on ``day``."""

    staff: str
    day: int
    shift: str
    weight: int
    on: bool


@dataclass(frozen=True)
class CoverLine:
    """Cover asked for slot ``slot`` on ``day`` from people of ``role`` (``None`` = anybody).

    ``requirement`` is the preferred number (soft: ``weight_under`` per person short, ``weight_over`` per
    person above); ``minimum`` is a hard floor (0 in the benchmark).
    """

    day: int
    slot: str
    requirement: int
    weight_under: int
    weight_over: int
    role: str | None = None
    minimum: int = 0


@dataclass(frozen=True)
class FairnessRule:
    """Penalise ``weight`` per unit of spread (max - min between people of one role) of a count.

    ``kind`` is ``"shifts"`` (count of days on any shift in ``shifts``) or ``"weekends"`` (worked weekends).
    """

    name: str
    kind: str
    weight: int
    shifts: frozenset[str] = frozenset()


@dataclass
class RosterInstance:
    """Everything needed to build, solve and validate one roster."""

    horizon: int  # days
    shifts: list[ShiftType]
    staff: list[Staff]
    days_off: dict[str, set[int]] = field(default_factory=dict)  # hard: no shift on these days
    requests: list[ShiftRequest] = field(default_factory=list)
    cover: list[CoverLine] = field(default_factory=list)
    fairness: list[FairnessRule] = field(default_factory=list)
    previous: Roster | None = None  # what people were told (re-planning)
    pinned_days: int = 0  # days 0..pinned_days-1 are fixed to ``previous`` (published period)
    change_weight: int = 0  # penalty per draft-period cell that differs from ``previous``
    name: str = ""

    def shift(self, shift_id: str) -> ShiftType:
        """The shift type with id ``shift_id`` (KeyError when unknown)."""
        for s in self.shifts:
            if s.id == shift_id:
                return s
        raise KeyError(shift_id)

    @property
    def shift_ids(self) -> list[str]:
        return [s.id for s in self.shifts]

    @property
    def staff_ids(self) -> list[str]:
        return [e.id for e in self.staff]

    @property
    def weeks(self) -> int:
        """Whole weeks in the horizon (weekends are counted per week)."""
        return self.horizon // 7

    def allowed(self, person: Staff, shift_id: str, day: int) -> bool:
        """True when ``person`` may work ``shift_id`` on ``day`` judged by single-cell rules only."""
        return person.max_shifts.get(shift_id, 0) > 0 and day not in self.days_off.get(person.id, set())


def is_weekend_day(day: int) -> bool:
    """Saturday or Sunday (day 0 is a Monday)."""
    return day % 7 in (5, 6)
