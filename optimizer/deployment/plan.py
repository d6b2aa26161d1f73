"""What a deployment returns: named assignments, team slots per hospital x specialty, short hospitals.

Kept apart from :mod:`.model` so that the explanation and reporting modules read plans without importing
the solver (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.domain import Specialty
from optimizer.plan import Status


@dataclass(frozen=True)
class Assignment:
    """One recruit deployed: role = their specialty; pay = incentive + remoteness bonus (MXN/month)."""

    specialist: str
    hospital: str
    role: Specialty
    incentive_mxn: float
    km: float
    moved: bool


@dataclass(frozen=True)
class TeamCount:
    """Complete 24/7 team slots of one surgical specialty at one hospital."""

    hospital: str
    specialty: Specialty
    slots: int


@dataclass(frozen=True)
class ShortHospital:
    """A hospital x specialty whose demand is not fully covered, with the binding reason."""

    hospital: str
    specialty: Specialty
    demand: float
    covered: float
    reason: str
    detail: str


@dataclass
class DeploymentPlan:
    """The result of :func:`solve`.

    ``objective`` is the weighted objective (weighted procedures/week minus km, incentive and move costs)
    of the returned plan; in lexicographic mode ``stages`` holds each ranked objective and ``gap`` is the
    last stage's. ``solve_seconds`` is wall time around the whole call.
    """

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    solver: str
    seed: int
    assignments: list[Assignment] = field(default_factory=list)
    teams: list[TeamCount] = field(default_factory=list)
    short: list[ShortHospital] = field(default_factory=list)
    explanation: str | None = None
    stages: list[dict[str, float | str | None]] = field(default_factory=list)
    n_classes: int = 0
    n_candidates: int = 0
    n_arcs: int = 0

    def slots(self) -> dict[tuple[str, Specialty], int]:
        return {(t.hospital, t.specialty): t.slots for t in self.teams}
