"""Greedy feasible start for the deployment MIP (a column vector of the formulation).

Slots are taken in decreasing weighted coverage; a slot is accepted only when every role of its team can
be brought to 168 h/week x people-per-role with free willing recruits (cheapest arcs first), the rooms,
the budget and the objective allow it; otherwise everything taken for it is rolled back. Solvers start
from this plan, so a time-limited run never returns less than the greedy plan.
"""

from __future__ import annotations

import functools
import itertools
import math
import time

import numpy as np

from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import Formulation
from optimizer.domain import HOURS_PER_WEEK, SURGICAL_SPECIALTIES, Specialty


def greedy_start(
    inp: DeploymentInput, s: DeploymentSettings, form: Formulation, guide: np.ndarray | None = None,
    deadline: float | None = None, min_loop_s: float = 0.0,
) -> np.ndarray:
    """A feasible x for ``form.mip`` (pinned people kept; equity rules are not targeted).

    ``guide`` (an LP solution over all columns) makes it an LP-rounding heuristic: slots are tried in
    decreasing LP value and people in decreasing LP flow before the value and cost orders. Slot values
    and arc costs are read from ``form.mip.c``, so a formulation carrying another objective (a
    lexicographic stage) gets a greedy plan for that objective. Past ``deadline`` (a
    ``time.perf_counter()`` value) no further slot is tried: the plan so far is returned, still feasible.
    The deadline never stops the search before a first slot is taken, and is moved to at least ``min_loop_s``
    seconds after the slot search starts (the arc sorting before it takes 0.6-1.2 s at 1,410 hospitals): a
    model build that overran its share must still get a plan, never an empty one while a slot can be opened.
    """
    g = _Greedy(inp, s, form, guide)
    g.take_pinned()
    slots = _SlotOrder(form, guide)
    if deadline is not None:
        deadline = max(deadline, time.perf_counter() + min_loop_s)
    for i in slots.order:
        if deadline is not None and g.n_h and time.perf_counter() > deadline:
            break
        h, spec = int(form.slot_h[i]), form.slot_s[i]
        if slots.skip(i, h, spec) or g.n_h.get(h, 0) >= inp.hospitals[h].operating_rooms:
            continue
        slots.taken[i] = g.try_slot(h, spec, float(slots.value[i]))
    return assemble(form, g.flows(), slots.taken, g.n_h)


def _arcs_by_hospital_role(form: Formulation, roles: list[Specialty]) -> dict[tuple[int, Specialty], np.ndarray]:
    """Arc ids grouped per (hospital, role), in arc order. Each group is put in preference order only when
    first scanned (:meth:`_Greedy.usable_arcs`), since sorting all 7.5 million arcs of the 5x instance at once
    takes seconds."""
    n_arc = form.n_arc
    if not n_arc:
        return {}
    cls_role = np.array([roles.index(c.role) for c in form.classes], dtype=np.int64)
    key = form.arc_h * len(roles) + cls_role[form.arc_k]
    small = key.astype(np.int32) if key.max() < 2**31 else key
    order = np.argsort(small, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    arcs_at: dict[tuple[int, Specialty], np.ndarray] = {}
    for chunk in np.split(order, bounds):
        k0 = int(key[chunk[0]])
        arcs_at[(k0 // len(roles), roles[k0 % len(roles)])] = chunk
    return arcs_at


class _SlotOrder:
    """The slot columns in the order they are tried (LP value, then objective value, then column order),
    which of them are taken, and the rule that a hospital's n-th slot of a specialty is tried only after its
    (n-1)-th was taken."""

    def __init__(self, form: Formulation, guide: np.ndarray | None) -> None:
        self.form = form
        cols = np.arange(form.slot_col0, form.slot_col0 + len(form.slot_h))
        self.value = form.mip.c[cols]
        slot_guide = np.round(guide[cols], 6) if guide is not None else np.zeros(len(cols))
        self.order = np.lexsort((np.arange(len(cols)), -self.value, -slot_guide))
        self.taken = np.zeros(len(cols), dtype=bool)

    def skip(self, i: int, h: int, spec: Specialty) -> bool:
        """True when slot ``i`` follows an untaken slot of the same hospital and specialty."""
        f = self.form
        return bool(i > 0 and f.slot_h[i - 1] == h and f.slot_s[i - 1] == spec and not self.taken[i - 1])


class _Greedy:
    """The state of one greedy pass: free people per class (the next member to take, by incentive), hours
    per (hospital, role), people per arc, money spent (MXN/month), slots open per hospital and specialty,
    municipalities already brought within reach by the access term."""

    def __init__(
        self, inp: DeploymentInput, s: DeploymentSettings, form: Formulation, guide: np.ndarray | None
    ) -> None:
        self.s, self.form = s, form
        n_arc = form.n_arc
        self.free = [c.size for c in form.classes]  # python lists: this loop indexes them millions of times
        self.free_np = np.array(self.free, dtype=np.int64)  # mirror of ``free`` for vectorised compaction
        self.next_member = [0] * len(form.classes)  # members of each class sorted by incentive
        self.incentive = [[inp.candidates[i].incentive_mxn for i in c.members] for c in form.classes]
        self.bonus = np.zeros(len(inp.hospitals))
        for h, hosp in enumerate(inp.hospitals):
            self.bonus[h] = s.degree_bonus_mxn[hosp.degree] + (s.remote_bonus_mxn if hosp.remote else 0.0)
        roles = sorted({c.role for c in form.classes}, key=lambda r: r.value)
        self.arcs_at = _arcs_by_hospital_role(form, roles)
        self.in_order: set[tuple[int, Specialty]] = set()
        self.arc_guide = guide[:n_arc] if guide is not None else np.zeros(n_arc)
        self.arc_value = form.mip.c[:n_arc]
        self.arc_k, self.arc_h = form.arc_k, form.arc_h
        self.role_of = [c.role for c in form.classes]
        self.hours_of = [c.weekly_hours for c in form.classes]
        self.arc_hours = np.array(self.hours_of, dtype=float)[self.arc_k] if n_arc else np.zeros(0)
        self.hours: dict[tuple[int, Specialty], float] = dict(form.inpost)
        self.flow: dict[int, int] = {}
        self.spent = 0.0
        self.n_hs: dict[tuple[int, Specialty], int] = {}
        self.n_h: dict[int, int] = {}
        self.acc_value = form.mip.c[form.acc_col0 + np.arange(len(form.acc_first_w))].tolist()
        self.acc_covered = [False] * len(form.acc_first_w)
        w_hosp = {form.w_col0 + t: int(h) for t, h in enumerate(form.w_h)}
        self.acc_of_h: dict[int, list[int]] = {}  # access columns a hospital's first team reaches
        for t, w_cols in enumerate(form.acc_first_w):
            for col in w_cols.tolist():
                self.acc_of_h.setdefault(w_hosp[col], []).append(t)

    def take(self, j: int) -> float:
        """Deploy the next free member of arc ``j``'s class to its hospital; returns their pay (MXN/month)."""
        k, h = int(self.arc_k[j]), int(self.arc_h[j])
        inc = self.incentive[k][self.next_member[k]]
        self.next_member[k] += 1
        self.free[k] -= 1
        self.free_np[k] -= 1
        self.flow[j] = self.flow.get(j, 0) + 1
        self.hours[(h, self.role_of[k])] = self.hours.get((h, self.role_of[k]), 0.0) + self.hours_of[k]
        return inc + float(self.bonus[h])

    def give_back(self, j: int) -> None:
        """Undo one :meth:`take` of arc ``j``."""
        k, h = int(self.arc_k[j]), int(self.arc_h[j])
        self.next_member[k] -= 1
        self.free[k] += 1
        self.free_np[k] += 1
        self.flow[j] -= 1
        self.hours[(h, self.role_of[k])] -= self.hours_of[k]

    def take_pinned(self) -> None:
        """Pinned people (arc lower bounds) first."""
        mip = self.form.mip
        for j in np.flatnonzero(mip.lb[: self.form.n_arc] > 0):
            for _ in range(int(mip.lb[j])):
                self.spent += self.take(int(j))

    def usable_arcs(self, h: int, role: Specialty) -> np.ndarray:
        """Arcs of (hospital, role) in preference order (LP flow, then value), without classes used up by
        committed slots (exact: only an attempt's rollback frees people, and the attempt has taken none of
        this role yet); vectorised, so 5x instances stay fast."""
        arcs = self.arcs_at.get((h, role), _NO_ARCS)
        if (h, role) not in self.in_order:
            self.in_order.add((h, role))
            arcs = arcs[np.lexsort((-self.arc_value[arcs], -self.arc_guide[arcs]))]
        arcs = arcs[self.free_np[self.arc_k[arcs]] > 0]
        self.arcs_at[(h, role)] = arcs
        return arcs

    def staff(self, h: int, spec: Specialty) -> tuple[list[int], float, bool]:
        """Bring every role of one more ``spec`` team at ``h`` to 168 h/week x people-per-role: the arcs taken
        (one per person), their pay (MXN/month) and whether every role is complete."""
        took: list[int] = []
        cost = 0.0
        for role, n_r in self.s.template.roles(spec).items():
            if n_r == 0:
                continue
            slots_after = (self.n_hs.get((h, spec), 0) if role in SURGICAL_SPECIALTIES else self.n_h.get(h, 0)) + 1
            need = HOURS_PER_WEEK * n_r * slots_after
            arcs = self.usable_arcs(h, role)
            deficit = need - self.hours.get((h, role), 0.0)
            if deficit > 1e-9:
                for j in _least_hours(arcs, deficit, self.arc_hours, self.free_np, self.arc_k):
                    cost += self.take(j)
                    took.append(j)
            if self.hours.get((h, role), 0.0) < need - 1e-9:
                return took, cost, False
        return took, cost, True

    def try_slot(self, h: int, spec: Specialty, value: float) -> bool:
        """Open one more ``spec`` team at ``h`` (slot objective ``value``) when it can be staffed, the budget
        allows it and the objective gains; otherwise roll back everything taken for it."""
        s = self.s
        took, cost, ok = self.staff(h, spec)
        gain = value + float(self.form.mip.c[took].sum()) - s.incentive_weight * (
            cost - float(self.bonus[h] * len(took)))
        first = self.n_h.get(h, 0) == 0  # the first team of a hospital brings the municipalities it reaches
        new_reach = [t for t in self.acc_of_h.get(h, []) if not self.acc_covered[t]] if first else []
        gain += sum(self.acc_value[t] for t in new_reach)
        over = s.budget_mxn_month is not None and self.spent + cost > s.budget_mxn_month + 1e-6
        if not ok or over or gain <= 0:
            for j in reversed(took):
                self.give_back(j)
            return False
        self.spent += cost
        for t in new_reach:
            self.acc_covered[t] = True
        self.n_hs[(h, spec)] = self.n_hs.get((h, spec), 0) + 1
        self.n_h[h] = self.n_h.get(h, 0) + 1
        return True

    def flows(self) -> np.ndarray:
        """People per arc."""
        flows = np.zeros(self.form.n_arc)
        for j, n in self.flow.items():
            flows[j] = n
        return flows


_NO_ARCS = np.zeros(0, dtype=np.int64)


def assemble(form: Formulation, flows: np.ndarray, taken_u: np.ndarray, n_h: dict[int, int]) -> np.ndarray:
    """The full column vector of a plan given its arc flows (people per class x hospital), its open slot
    columns (booleans over ``form.slot_h``, each chain open from its first slot) and open slots per hospital:
    incentive steps cheapest first, bucket counts, the slots-per-hospital chain, the 24/7 and access columns.
    """
    n_arc = form.n_arc
    x = np.zeros(form.mip.n_cols)
    x[:n_arc] = flows
    x[form.slot_col0 : form.slot_col0 + len(form.slot_h)] = taken_u
    x = form.cheapest_steps(x)  # incentive steps: each class uses its cheapest members
    x[form.y0 : form.y0 + int(form.arc_bucket.max(initial=-1)) + 1] = np.bincount(
        form.arc_bucket, weights=flows, minlength=int(form.arc_bucket.max(initial=-1)) + 1
    )
    rank: dict[int, int] = {}
    for t, h in enumerate(form.w_h.tolist()):  # w[h, m] = 1 for the first n_h[h] of the hospital's chain
        rank[h] = rank.get(h, 0) + 1
        x[form.w_col0 + t] = 1.0 if rank[h] <= n_h.get(h, 0) else 0.0
    for t, h in enumerate(form.v_h):
        x[form.v_col0 + t] = 1.0 if n_h.get(int(h), 0) > 0 else 0.0
    w_hosp = {form.w_col0 + t: int(h) for t, h in enumerate(form.w_h)}
    for t, w_cols in enumerate(form.acc_first_w):  # a municipality is reached when a hospital reaching it opens
        x[form.acc_col0 + t] = 1.0 if any(n_h.get(w_hosp[col], 0) > 0 for col in w_cols.tolist()) else 0.0
    return x

#: Largest number of distinct contract-hour values for which :func:`_least_hours` enumerates exactly.
EXACT_HOUR_TYPES = 3


def _least_hours(
    arcs: np.ndarray, deficit: float, arc_hours: np.ndarray, free: np.ndarray, arc_k: np.ndarray
) -> list[int]:
    """People (arc ids, repeated per person) bringing at least ``deficit`` hours/week with the fewest hours
    over it, then the fewest people, then the earliest in ``arcs``'s preference order.

    Hours over a team's need are wasted unless a later slot at the same hospital uses them, and the scarce
    roles (nurses: 336 h/week per slot) run out when every slot wastes part of a contract: 2 x 48 + 2 x 36 h
    staffs 168 h exactly, where 48-h people in preference order give 192 h. With up to three contract-hour
    values every count combination is enumerated (first people of each value in preference order); with
    more, people are taken in preference order. Returns [] when the free people cannot cover ``deficit``.
    """
    if len(arcs) == 0:
        return []
    hrs = arc_hours[arcs]
    types = np.unique(hrs).tolist()
    if len(types) > EXACT_HOUR_TYPES:
        people = np.repeat(arcs, free[arc_k[arcs]])
        got = np.cumsum(arc_hours[people])
        if got[-1] < deficit - 1e-9:
            return []
        return people[: int(np.searchsorted(got, deficit - 1e-9)) + 1].tolist()
    # per hour value, its first people in preference order (position in ``arcs``), as many as could help
    ranks: list[list[int]] = []
    for t in types:
        cap = int(np.ceil(deficit / t - 1e-9))
        pos = np.flatnonzero(hrs == t)[:cap]
        ranks.append(np.repeat(pos, np.minimum(free[arc_k[arcs[pos]]], cap))[:cap].tolist())
    combos = _fewest_hours(round(deficit, 6), tuple(types), tuple(len(r) for r in ranks))
    if not combos:
        return []
    prefix = [[0, *itertools.accumulate(r)] for r in ranks]
    best = min(combos, key=lambda full: sum(p[n] for p, n in zip(prefix, full, strict=True)))
    return [int(arcs[i]) for r, n in zip(ranks, best, strict=True) for i in r[:n]]


@functools.lru_cache(maxsize=65536)
def _fewest_hours(deficit: float, types: tuple[float, ...], caps: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Every count combination (people per hour value, at most ``caps``) with at least ``deficit`` hours and
    the fewest hours over it, then the fewest people; () when none covers ``deficit``. Cached: the same
    deficits and pools recur across hospitals and slots."""
    out: list[tuple[int, ...]] = []
    best: tuple[float, int] | None = None
    *head, last = types
    for counts in itertools.product(*[range(cap + 1) for cap in caps[:-1]]):
        got = sum(n * t for n, t in zip(counts, head, strict=True))
        rest = max(0, math.ceil((deficit - got) / last - 1e-9))
        if rest > caps[-1]:
            continue
        full = (*counts, rest)
        key = (round(got + rest * last - deficit, 6), sum(full))
        if best is None or key < best:
            best, out = key, [full]
        elif key == best:
            out.append(full)
    return tuple(out)
