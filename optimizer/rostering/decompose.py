"""Exact decomposition of a roster into independent staff groups (one per role).

In the hospital model every cover line names a role, and requests, labour rules, fairness and change
penalties are per person or per role, so people of different roles share no constraint and no objective
term: the roster of each role can be solved on its own and the sum of the parts is the optimum of the whole.
The split applies only when that holds (no cover line counts "anybody", more than one role).
"""

from __future__ import annotations

from dataclasses import replace

from optimizer.rostering.instance import RosterInstance


def split_by_role(inst: RosterInstance) -> list[RosterInstance]:
    """Independent sub-instances, one per role; ``[inst]`` when the roles are linked by a cover line."""
    roles = sorted({e.role for e in inst.staff})
    if len(roles) < 2 or any(c.role is None for c in inst.cover):
        return [inst]
    parts = []
    for role in roles:
        ids = {e.id for e in inst.staff if e.role == role}
        parts.append(
            replace(
                inst,
                staff=[e for e in inst.staff if e.role == role],
                days_off={k: v for k, v in inst.days_off.items() if k in ids},
                requests=[r for r in inst.requests if r.staff in ids],
                cover=[c for c in inst.cover if c.role == role],
                previous=None if inst.previous is None else {k: v for k, v in inst.previous.items() if k in ids},
                name=f"{inst.name}:{role}",
            )
        )
    # cover lines for roles nobody holds cannot be met by anyone: keep them in a staff-less part
    orphan = [c for c in inst.cover if c.role not in roles]
    if orphan:
        parts.append(replace(inst, staff=[], days_off={}, requests=[], cover=orphan, previous=None,
                             name=f"{inst.name}:unstaffed"))
    return parts
