"""The Integrated Healthcare Timetabling Problem (IHTP, IHTC-2024) as typed data: one hospital's instance and a plan.

Indices are positions in the instance file (patients, occupants, rooms, theatres, surgeons, nurses). Time is in
days ``0..days-1`` and global shifts ``s = day * shifts_per_day + shift_type`` (early, late, night in the
competition files). Patient workload and skill vectors are relative to the admission shift (index 0 is the first
shift of the admission day); an occupant's are relative to shift 0 of the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.plan import Status

#: The eight soft-cost terms in the official validator's order, with the instance's weight key for each
#: (``nurse_eccessive_workload`` is the competition's own spelling).
COST_TERMS: tuple[tuple[str, str], ...] = (
    ("RoomAgeMix", "room_mixed_age"),
    ("RoomSkillLevel", "room_nurse_skill"),
    ("ContinuityOfCare", "continuity_of_care"),
    ("ExcessiveNurseWorkload", "nurse_eccessive_workload"),
    ("OpenOperatingTheater", "open_operating_theater"),
    ("SurgeonTransfer", "surgeon_transfer"),
    ("PatientDelay", "patient_delay"),
    ("ElectiveUnscheduledPatients", "unscheduled_optional"),
)

#: The hard-violation counters in the official validator's order.
VIOLATION_TERMS: tuple[str, ...] = (
    "RoomGenderMix",
    "PatientRoomCompatibility",
    "SurgeonOvertime",
    "OperatingTheaterOvertime",
    "MandatoryUnscheduledPatients",
    "AdmissionDay",
    "RoomCapacity",
    "NursePresence",
    "UncoveredRoom",
)


@dataclass(frozen=True)
class Stay:
    """Someone in a room: a waiting patient (once admitted) or an occupant already in at day 0.

    ``workload[k]`` (care units) and ``skill[k]`` (minimum nurse level) for the k-th shift of the stay.
    """

    id: str
    gender: str
    age_group: int
    length_of_stay: int
    workload: tuple[int, ...]
    skill: tuple[int, ...]


@dataclass(frozen=True)
class Patient(Stay):
    """A patient on the surgical waiting list; ``due_day`` is ``None`` for optional patients."""

    mandatory: bool = False
    release_day: int = 0
    due_day: int | None = None
    duration: int = 0  # surgery minutes
    surgeon: int = 0
    incompatible_rooms: frozenset[int] = frozenset()

    def last_day(self, days: int) -> int:
        """Last admissible day: the due day for mandatory patients, the horizon's last day otherwise."""
        return self.due_day if self.mandatory and self.due_day is not None else days - 1


@dataclass(frozen=True)
class Occupant(Stay):
    """A patient already admitted before day 0, in a fixed room from day 0 for ``length_of_stay`` days."""

    room: int = 0


@dataclass(frozen=True)
class Nurse:
    """A nurse with a skill level and the shifts of her roster: global shift -> maximum load (care units)."""

    id: str
    skill_level: int
    max_load: dict[int, int]


@dataclass(frozen=True)
class Input:
    """One hospital's IHTP instance (the official JSON, Appendix A of the IHTC-2024 specification)."""

    days: int
    skill_levels: int
    shift_types: tuple[str, ...]
    age_groups: tuple[str, ...]
    weights: dict[str, int]
    occupants: tuple[Occupant, ...]
    patients: tuple[Patient, ...]
    surgeon_ids: tuple[str, ...]
    surgeon_max_time: tuple[tuple[int, ...], ...]  # [surgeon][day] minutes
    theatre_ids: tuple[str, ...]
    theatre_availability: tuple[tuple[int, ...], ...]  # [theatre][day] minutes
    room_ids: tuple[str, ...]
    room_capacity: tuple[int, ...]  # beds
    nurses: tuple[Nurse, ...]
    name: str = "instance"

    @property
    def shifts_per_day(self) -> int:
        """Shift types per day (3 in every competition file)."""
        return len(self.shift_types)

    @property
    def shifts(self) -> int:
        """Shifts in the horizon."""
        return self.days * len(self.shift_types)

    def weight(self, term: str) -> int:
        """The instance weight of an official cost term (``RoomAgeMix`` ...)."""
        return self.weights[dict(COST_TERMS)[term]]


@dataclass
class Plan:
    """A schedule: per patient admission day, room and theatre (``None`` = postponed), and nurse assignments.

    ``nurse_assignments`` are ``(nurse, room, global shift)`` in file order (the validator lets a later line
    override an earlier one for the same room and shift, and it counts both for the nurses' workloads).
    ``objective`` is the official total cost (weighted sum of the eight soft terms); ``bound`` is ``None``.
    """

    admission: list[int | None]
    room: list[int | None]
    theatre: list[int | None]
    nurse_assignments: list[tuple[int, int, int]] = field(default_factory=list)
    status: Status = "feasible"
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float = 0.0
    explanation: str | None = None
    phases: list[tuple[str, float, int]] = field(default_factory=list)  # (phase, seconds at its end, cost after)

    @classmethod
    def empty(cls, inp: Input) -> Plan:
        """Nobody admitted, no nurse assigned."""
        n = len(inp.patients)
        return cls([None] * n, [None] * n, [None] * n)
