"""What a hospital's surgical coordinator reads from a schedule."""

from __future__ import annotations

from optimizer.surgery.model import Input, Plan
from optimizer.surgery.settings import Settings
from optimizer.surgery.validate import _View, continuity_of_care, excessive_workload


def kpis(inp: Input, plan: Plan, settings: Settings | None = None) -> dict[str, float | int | bool]:
    """Admissions, delays (days after release), theatre use and nurse terms of a plan.

    ``theatre_utilisation`` is surgery minutes over the available minutes of the theatres that are open;
    ``continuity_of_care`` is the mean number of distinct nurses per admitted patient and occupant;
    ``nurse_workload_excess`` the care units above nurses' maximum loads, summed over shifts.
    """
    pats = inp.patients
    admitted = [p for p, d in enumerate(plan.admission) if d is not None]
    delays = [plan.admission[p] - pats[p].release_day for p in admitted]
    mandatory = [p for p, pat in enumerate(pats) if pat.mandatory]
    open_days: dict[tuple[int, int], int] = {}
    for p in admitted:
        key = (plan.theatre[p], plan.admission[p])
        open_days[key] = open_days.get(key, 0) + pats[p].duration
    available = sum(inp.theatre_availability[t][d] for t, d in open_days)
    view = _View(inp, plan)
    stays = len(admitted) + len(inp.occupants)
    return {
        "patients": len(pats),
        "patients_admitted": len(admitted),
        "mandatory_patients": len(mandatory),
        "mandatory_all_admitted": all(plan.admission[p] is not None for p in mandatory),
        "mean_admission_delay_days": round(sum(delays) / len(delays), 2) if delays else 0.0,
        "max_admission_delay_days": max(delays, default=0),
        "optional_patients_postponed": sum(1 for p, pat in enumerate(pats)
                                           if not pat.mandatory and plan.admission[p] is None),
        "theatre_utilisation": round(sum(open_days.values()) / available, 4) if available else 0.0,
        "open_theatre_days": len(open_days),
        "nurse_workload_excess": excessive_workload(inp, view),
        "continuity_of_care": round(continuity_of_care(inp, view) / stays, 2) if stays else 0.0,
    }
