"""Exact aggregation of interchangeable recruits into classes, and disaggregation back to named people.

Two recruits are interchangeable when they have the same role (specialty), contract hours, home municipality
(hence the same km to every hospital), willingness (states and max km) and current hospital (re-planning):
they then have identical columns in the person x hospital MIP except for their own incentive, which does not
depend on the hospital. A class therefore needs only integer flows ``x[class, hospital]``; its incentive cost
is a convex piecewise-linear function of the number deployed (members sorted by incentive), because in any
solution swapping a deployed member for a cheaper undeployed one of the same class keeps every constraint and
lowers cost and budget use. Disaggregation deploys the cheapest members, so it keeps the objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.deployment.inputs import Candidate, DeploymentInput
from optimizer.domain import Specialty


@dataclass(frozen=True)
class CandidateClass:
    """Interchangeable recruits; ``members`` are indices into ``input.candidates`` sorted by incentive, id."""

    role: Specialty
    weekly_hours: float
    home_cvegeo: str
    home_lat: float
    home_lon: float
    willing_states: frozenset[str]
    max_km: float | None
    current: str | None
    members: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.members)


def class_key(c: Candidate, current: str | None) -> tuple:
    """The attributes that make two recruits interchangeable in the model."""
    return (c.specialty.value, c.weekly_hours, c.home_cvegeo, tuple(sorted(c.willing_states)), c.max_km, current)


def build_classes(inp: DeploymentInput) -> list[CandidateClass]:
    """Group the recruit pool into classes (deterministic order: by key)."""
    buckets: dict[tuple, list[int]] = {}
    for i, c in enumerate(inp.candidates):
        buckets.setdefault(class_key(c, inp.current.get(c.specialist_id)), []).append(i)
    classes = []
    for key in sorted(buckets, key=_sortable):
        members = sorted(buckets[key], key=lambda i: (inp.candidates[i].incentive_mxn, inp.candidates[i].specialist_id))
        first = inp.candidates[members[0]]
        classes.append(
            CandidateClass(
                role=first.specialty,
                weekly_hours=first.weekly_hours,
                home_cvegeo=first.home_cvegeo,
                home_lat=first.home_lat,
                home_lon=first.home_lon,
                willing_states=first.willing_states,
                max_km=first.max_km,
                current=key[-1],
                members=tuple(members),
            )
        )
    return classes


def _sortable(key: tuple) -> tuple:
    return tuple("" if v is None else (f"{v:020.6f}" if isinstance(v, float) else str(v)) for v in key)


def incentive_segments(inp: DeploymentInput, cls: CandidateClass) -> list[tuple[float, int]]:
    """(incentive MXN/month, people) steps of the class's convex cost curve, cheapest first."""
    segs: list[tuple[float, int]] = []
    for i in cls.members:
        inc = inp.candidates[i].incentive_mxn
        if segs and segs[-1][0] == inc:
            segs[-1] = (inc, segs[-1][1] + 1)
        else:
            segs.append((inc, 1))
    return segs


def disaggregate(
    inp: DeploymentInput, classes: list[CandidateClass], flows: dict[tuple[int, int], int]
) -> dict[str, str]:
    """Named assignment specialist_id -> CLUES from integer class flows ``{(class, hospital): people}``.

    Each class deploys its cheapest members; who goes where among them does not change any constraint or
    the objective (their columns are identical), so hospitals are filled in index order.
    """
    out: dict[str, str] = {}
    per_class: dict[int, list[tuple[int, int]]] = {}
    for (k, h), n in flows.items():
        if n > 0:
            per_class.setdefault(k, []).append((h, n))
    for k, items in per_class.items():
        cls = classes[k]
        members = iter(cls.members)
        items.sort()
        # Members staying at their current hospital come first so that nobody moves needlessly.
        if cls.current is not None:
            items.sort(key=lambda t: inp.hospitals[t[0]].clues != cls.current)
        total = sum(n for _, n in items)
        if total > cls.size:
            raise ValueError(f"class {k} deploys {total} people but has {cls.size}")
        for h, n in items:
            for _ in range(n):
                out[inp.candidates[next(members)].specialist_id] = inp.hospitals[h].clues
    return out


def class_distance_km(inp: DeploymentInput, classes: list[CandidateClass]) -> np.ndarray:
    """Great-circle km from each class's home municipality to each hospital, shape (classes, hospitals)."""
    from optimizer.deployment.inputs import haversine_km

    homes = sorted({(c.home_lat, c.home_lon) for c in classes})
    index = {p: i for i, p in enumerate(homes)}
    d = haversine_km(np.array([p[0] for p in homes]), np.array([p[1] for p in homes]), inp.hospitals)
    return d[[index[(c.home_lat, c.home_lon)] for c in classes]]
