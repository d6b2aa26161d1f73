"""The access side of a deployment: who a plan brings within reach of 24/7 surgery, and what moving a team does.

A hospital counts as 24/7 for surgery once it has at least one complete 24/7 team slot (the deployment
model's own rule), or when the capacity model already finds it 24/7 from its staff in post (the base set).
The term is the population (Census 2020, optionally weighted by CONAPO degree) of municipalities newly within
``DeploymentSettings.access_minutes`` of such a hospital; overlapping reach is counted once (an MCLP term,
see :mod:`optimizer.access.gain`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from optimizer.access.gain import AccessGain, access_gain
from optimizer.access.scope import AccessScope
from optimizer.access.settings import AccessSettings
from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.model import DeploymentPlan
from optimizer.deployment.settings import DeploymentSettings


def with_access(inp: DeploymentInput, settings: DeploymentSettings, scope: AccessScope,
                hospitals_24_7: Iterable[str], access: AccessSettings | None = None) -> DeploymentInput:
    """``inp`` with the access data its objective term needs: travel times from ``scope`` and the hospitals
    already 24/7 before the plan (``hospitals_24_7``, e.g. :func:`optimizer.capacity.run.hospitals_24_7_in_post`).
    The caller computes both (the scenario runner once per run): no model is run here."""
    gain = access_gain(scope, hospitals_24_7, settings.access_minutes, settings.access_by_degree, access)
    return dataclasses.replace(inp, access=gain)


def plan_24_7(gain: AccessGain, plan: DeploymentPlan) -> list[str]:
    """Hospitals of ``plan`` with at least one complete team slot that the access data knows."""
    known = set(gain.hospital_ids)
    return sorted({t.hospital for t in plan.teams if t.slots > 0} & known)


@dataclass(frozen=True)
class AccessSummary:
    """Access effect of a plan: persons newly within reach, and the weighted gain the objective counts."""

    minutes: float
    people_gained: float
    weighted_gained: float
    people_within_before: float
    people_within_after: float
    population: float


def access_summary(gain: AccessGain, plan: DeploymentPlan) -> AccessSummary:
    """Persons within ``gain.minutes_limit`` of a 24/7 hospital before and after ``plan``."""
    add = plan_24_7(gain, plan)
    before = float(gain.population[gain.covered_now].sum())
    after = float(gain.population[gain.covered_with(add)].sum())
    return AccessSummary(gain.minutes_limit, after - before, gain.gain_of_set(add), before, after,
                         float(gain.population.sum()))


@dataclass(frozen=True)
class TeamMoveEffect:
    """Persons (and weighted persons) who gain (+) or lose (-) reach if a team is added or withdrawn."""

    hospital: str
    change: str
    people: float
    weighted: float


def team_effects(inp: DeploymentInput, plan: DeploymentPlan, top: int = 10) -> list[TeamMoveEffect]:
    """What HR sees before moving one team. For every hospital with teams in ``plan``: the reach lost if one
    of its teams is withdrawn (none while it keeps another team, or when it is 24/7 on its own staff); and the
    ``top`` hospitals without a team where one team would bring the most people within reach. Moving one team
    from ``a`` to ``b`` changes reach by about the sum of the two (exactly
    ``gain.rebased(...).people_gained(add=[b], remove=[a])`` when ``a`` loses its only team)."""
    gain = inp.access
    if gain is None:
        return []
    known = set(gain.hospital_ids)
    slots: dict[str, int] = {}
    for t in plan.teams:
        if t.hospital in known:
            slots[t.hospital] = slots.get(t.hospital, 0) + t.slots
    base = {h for h, b in zip(gain.hospital_ids, gain.is_24_7, strict=True) if b}
    now_24_7 = base | {h for h, n in slots.items() if n > 0}
    after = gain.rebased(now_24_7)
    out: list[TeamMoveEffect] = []
    for h, n in sorted(slots.items()):
        if n == 1 and h not in base:
            out.append(TeamMoveEffect(h, "withdraw", after.people_gained([], [h]), after.gain_of_set([], [h])))
        elif n > 0:
            out.append(TeamMoveEffect(h, "withdraw", 0.0, 0.0))
    candidates = [h.clues for h in inp.hospitals if h.operating_rooms > 0 and h.clues in known - now_24_7]
    adds = [TeamMoveEffect(h, "add", after.people_gained([h]), after.gain_of_set([h])) for h in candidates]
    adds.sort(key=lambda e: (-e.weighted, e.hospital))
    out.sort(key=lambda e: (e.weighted, e.hospital))
    return out + [e for e in adds[:top] if e.people > 0]
