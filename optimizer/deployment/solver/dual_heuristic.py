"""A Lagrangian primal heuristic: staff hospitals one at a time, each exactly, at the people's dual prices.

The LP duals ``lam[k]`` of the class rows say what one person of class ``k`` is worth elsewhere. Hospital
by hospital (index order, or an order given), the heuristic picks the slot counts per specialty (within
rooms) and the people that maximise ``slot coverage - sum(lam[k] - c[k,h])`` over the people still free:
the per-hospital problem of :mod:`optimizer.deployment.solver.lagrangian`, solved exactly (every slot
configuration; per role the covering selection with the fewest-cost people by contract-hour value), so a
hospital takes whole teams, wastes few hours, and leaves people who are worth more elsewhere. A fill pass
then extends each hospital's teams with the people left, at their own costs. Measured on 282 x 2,596 with
converged duals: 9,494.2 weighted procedures/week (the LP-guided greedy gives 9,339.2, the best plan known
is 9,543.2); see benchmarks/results/deployment.md.

The plan respects rooms, hours, class sizes, pinned people (staffed first) and the budget (a hospital whose
teams would overrun it is skipped); equity rules are not targeted, so callers check the result with
:func:`optimizer.deployment.solver.mip.is_feasible`.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import Formulation
from optimizer.deployment.solver.greedy import assemble
from optimizer.domain import HOURS_PER_WEEK, Specialty

#: Largest number of distinct contract-hour values a role's covering selection enumerates exactly; with
#: more, people are taken by cost per hour (a feasible, not always cheapest, selection).
EXACT_HOUR_TYPES = 3


@dataclass
class _Hospital:
    """One hospital's slot chains, slot configurations within its rooms and recruit arcs by role."""

    specs: list[Specialty]
    chains: list[np.ndarray]
    configs: list[tuple[int, ...]]
    arcs: dict[Specialty, np.ndarray]


class _Cover:
    """Least-cost people of one role at one hospital for any hours/week need up to ``max_need``.

    Exact for up to :data:`EXACT_HOUR_TYPES` contract-hour values: within one value the cheapest people are
    taken, and every count combination of the values is enumerated (the grid is built once per role and
    hospital, each need then costs one vectorised pass). With more values people are taken by cost per hour.
    """

    def __init__(self, hours: np.ndarray, cost: np.ndarray, avail: np.ndarray, arcs: np.ndarray,
                 max_need: float) -> None:
        self.arcs, self.cost, self.hours = arcs, cost, hours
        self.total = float(hours @ avail)
        self.types = np.unique(hours)
        self.exact = len(self.types) <= EXACT_HOUR_TYPES
        if not self.exact:
            order = np.argsort(cost / hours, kind="stable")
            self.people = np.repeat(order, avail[order].astype(np.int64))
            return
        self.cheapest: list[np.ndarray] = []
        for t in self.types:
            sel = np.flatnonzero(hours == t)
            cap = int(math.ceil(max_need / t - 1e-9))
            people = np.repeat(sel, np.minimum(avail[sel], cap).astype(np.int64))
            self.cheapest.append(people[np.argsort(cost[people], kind="stable")[:cap]])
        self.prefix = [np.concatenate(([0.0], np.cumsum(cost[p]))) for p in self.cheapest]
        self.grids = [g.ravel() for g in np.indices([len(p) for p in self.prefix[:-1]])] if len(self.types) > 1 else []
        shape = len(self.grids[0]) if self.grids else 1
        self.got = sum((g * float(t) for g, t in zip(self.grids, self.types, strict=False)), np.zeros(shape))
        self.base = sum((p[g] for p, g in zip(self.prefix, self.grids, strict=False)), np.zeros(shape))

    def __call__(self, need: float) -> tuple[float, dict[int, int]]:
        """(cost, arc -> people) of the cheapest selection with at least ``need`` hours; inf if none."""
        if need <= 1e-9:
            return 0.0, {}
        if len(self.arcs) == 0 or self.total < need - 1e-9:
            return math.inf, {}
        if not self.exact:
            n = int(np.searchsorted(np.cumsum(self.hours[self.people]), need - 1e-9)) + 1
            return self._picked(self.people[:n])
        last = self.prefix[-1]
        rest = np.ceil(np.maximum(0.0, need - self.got) / float(self.types[-1]) - 1e-9).astype(np.int64)
        ok = rest < len(last)
        if not np.any(ok):
            return math.inf, {}
        total = self.base + np.where(ok, last[np.minimum(rest, len(last) - 1)], np.inf)
        best = int(np.argmin(total))
        counts = [int(g[best]) for g in self.grids] + [int(rest[best])]
        return self._picked(np.concatenate([p[:n] for p, n in zip(self.cheapest, counts, strict=True)]))

    def _picked(self, people: np.ndarray) -> tuple[float, dict[int, int]]:
        out: dict[int, int] = {}
        for i in people.tolist():
            out[int(self.arcs[i])] = out.get(int(self.arcs[i]), 0) + 1
        return float(self.cost[people].sum()), out


class DualHeuristic:
    """The per-hospital data of one formulation, built once; :meth:`run` gives a plan for given duals."""

    def __init__(self, inp: DeploymentInput, s: DeploymentSettings, form: Formulation) -> None:
        self.inp, self.s, self.form = inp, s, form
        n_arc = form.n_arc
        self.hours = np.array([c.weekly_hours for c in form.classes], dtype=float)[form.arc_k] if n_arc else \
            np.zeros(0)
        self.sizes = np.array([c.size for c in form.classes], dtype=np.int64)
        first_inc = np.array([inp.candidates[c.members[0]].incentive_mxn for c in form.classes], dtype=float)
        self.incentive = first_inc[form.arc_k] if n_arc else np.zeros(0)
        by_hr = form.arcs_by_hospital_role()
        chains: dict[int, dict[Specialty, list[int]]] = {}
        for j, (h, sp_) in enumerate(zip(form.slot_h.tolist(), form.slot_s, strict=True)):
            chains.setdefault(h, {}).setdefault(sp_, []).append(j)
        tpl = s.template
        self.need = {Specialty.ANAESTHESIOLOGY: tpl.anaesthesiologists, Specialty.SURGICAL_NURSING: tpl.surgical_nurses}
        self.hospitals: dict[int, _Hospital] = {}
        for h in sorted(chains):
            specs = sorted(chains[h], key=lambda x: x.value)
            configs = [cfg for cfg in itertools.product(*[range(len(chains[h][sp_]) + 1) for sp_ in specs])
                       if 0 < sum(cfg) <= inp.hospitals[h].operating_rooms]
            roles_h = specs + [r for r, n in self.need.items() if n > 0]
            self.hospitals[h] = _Hospital(specs, [np.array(chains[h][sp_], dtype=np.int64) for sp_ in specs],
                                          configs, {r: by_hr.get((h, r), np.zeros(0, dtype=np.int64)) for r in roles_h})
        self.bonus = form.arc_bonus

    def _needs(self, hosp: _Hospital, cfg: tuple[int, ...]) -> dict[Specialty, float]:
        """Hours/week of every role that ``cfg`` (slots per specialty) needs."""
        out = {sp_: HOURS_PER_WEEK * self.s.template.surgeons * n for sp_, n in zip(hosp.specs, cfg, strict=True)}
        for r, n_r in self.need.items():
            if n_r > 0:
                out[r] = HOURS_PER_WEEK * n_r * sum(cfg)
        return out

    def _best(
        self, h: int, price: np.ndarray, free: np.ndarray, cfg0: tuple[int, ...], have: dict[Specialty, float]
    ) -> tuple[tuple[int, ...], dict[int, int]] | None:
        """The configuration >= ``cfg0`` (and its new people) of highest coverage gain minus people's price;
        None when no configuration gains. ``have``: hours/week per role already at the hospital."""
        hosp = self.hospitals[h]
        c = self.form.mip.c
        gains = [np.r_[0.0, np.cumsum(c[self.form.slot_col0 + ch])] for ch in hosp.chains]
        base = sum(float(g[n]) for g, n in zip(gains, cfg0, strict=True))
        rooms = self.inp.hospitals[h].operating_rooms
        if sum(cfg0) >= rooms or all(n == len(ch) for n, ch in zip(cfg0, hosp.chains, strict=True)):
            return None  # every room or every useful slot already runs
        cover = _RoleCover(self, hosp, rooms, price, free, have)
        best_val, best = 1e-9, None
        for cfg in hosp.configs:
            if cfg == cfg0 or any(a < b for a, b in zip(cfg, cfg0, strict=True)):
                continue
            val = sum(float(g[n]) for g, n in zip(gains, cfg, strict=True)) - base
            for r, need in self._needs(hosp, cfg).items():
                val -= cover(r, need)[0]
                if val <= best_val:
                    break
            if val > best_val:
                best_val, best = val, cfg
        if best is None:
            return None
        people: dict[int, int] = {}
        for r, need in self._needs(hosp, best).items():
            for j, n in cover(r, need)[1].items():
                people[j] = people.get(j, 0) + n
        return best, people

    def run(self, duals: np.ndarray, deadline: float | None = None, order: np.ndarray | None = None) -> np.ndarray:
        """A feasible column vector (rooms, hours, class sizes, pins, budget) from the class-row duals;
        hospitals are staffed in ``order`` (hospital indices; default: index order)."""
        form, s = self.form, self.s
        n_arc = form.n_arc
        lam = np.where(form.class_row >= 0, duals[np.maximum(form.class_row, 0)], 0.0)
        mu = max(0.0, float(duals[form.budget_row])) if form.budget_row >= 0 else 0.0
        arc_c = form.mip.c[:n_arc]
        free = self.sizes.copy()
        flows = np.zeros(n_arc)
        cfgs = {h: tuple(0 for _ in hp.specs) for h, hp in self.hospitals.items()}
        have = {h: {r: self.form.inpost.get((h, r), 0.0) for r in hp.arcs} for h, hp in self.hospitals.items()}
        spent = [0.0]
        budget = s.budget_mxn_month if s.budget_mxn_month is not None else math.inf

        def commit(h: int, people: dict[int, int], pinned: bool = False) -> bool:
            pay = sum(n * (self.incentive[j] + self.bonus[j]) for j, n in people.items())
            if not pinned and spent[0] + pay > budget + 1e-6:
                return False
            spent[0] += pay
            for j, n in people.items():
                free[form.arc_k[j]] -= n
                flows[j] += n
                r = form.classes[int(form.arc_k[j])].role
                have[h][r] = have[h].get(r, 0.0) + n * float(self.hours[j])
            return True

        def late() -> bool:
            return deadline is not None and time.perf_counter() > deadline

        for j in np.flatnonzero(form.mip.lb[:n_arc] > 0):  # pinned people stay
            commit(int(form.arc_h[j]), {int(j): int(form.mip.lb[j])}, pinned=True)
        # at dual prices (a class's dual already holds its incentive step: the z columns share its row), then
        # the people left at their own cost (km, bonus and incentive)
        at_duals = arc_c - np.maximum(lam[form.arc_k], 0.0) - mu * self.bonus
        own = arc_c - s.incentive_weight * self.incentive - mu * self.bonus
        sequence = list(self.hospitals) if order is None else [int(h) for h in order if int(h) in self.hospitals]
        for price in (at_duals, own):
            for h in sequence:
                if late():
                    break
                got = self._best(h, price, free, cfgs[h], have[h])
                if got is not None and commit(h, got[1]):
                    cfgs[h] = got[0]
        taken = np.zeros(len(form.slot_h), dtype=bool)
        n_h: dict[int, int] = {}
        for h, cfg in cfgs.items():
            for chain, n in zip(self.hospitals[h].chains, cfg, strict=True):
                taken[chain[:n]] = True
            n_h[h] = sum(cfg)
        return assemble(form, flows, taken, n_h)


class _RoleCover:
    """The cheapest people (at ``price``) bringing a role of one hospital to a need (hours/week), cached per
    (role, deficit); a role's :class:`_Cover` table is built when first needed, since most configurations
    are pruned before. ``have``: hours/week per role already at the hospital; ``free``: free people per
    class."""

    def __init__(self, heur: DualHeuristic, hosp: _Hospital, rooms: int, price: np.ndarray, free: np.ndarray,
                 have: dict[Specialty, float]) -> None:
        self.heur, self.hosp, self.rooms, self.price, self.free, self.have = heur, hosp, rooms, price, free, have
        self.tables: dict[Specialty, _Cover] = {}
        self.cache: dict[tuple[Specialty, float], tuple[float, dict[int, int]]] = {}

    def __call__(self, r: Specialty, need: float) -> tuple[float, dict[int, int]]:
        k = (r, round(max(0.0, need - self.have.get(r, 0.0)), 6))
        if k[1] <= 0:
            return 0.0, {}
        if k not in self.cache:
            if r not in self.hosp.arcs:
                return math.inf, {}
            if r not in self.tables:
                self.tables[r] = self._table(r)
            self.cache[k] = self.tables[r](k[1])
        return self.cache[k]

    def _table(self, r: Specialty) -> _Cover:
        """Role ``r``'s arcs with free people: hours, price, how many can come, up to every room's need."""
        heur, form = self.heur, self.heur.form
        js = self.hosp.arcs[r]
        js = js[self.free[form.arc_k[js]] > 0]
        avail = np.minimum(form.mip.ub[js], self.free[form.arc_k[js]])
        per_slot = HOURS_PER_WEEK * heur.need.get(r, heur.s.template.surgeons)
        return _Cover(heur.hours[js], -self.price[js], avail, js,
                      max(0.0, self.rooms * per_slot - self.have.get(r, 0.0)))


def dual_feasible(form: Formulation, duals: np.ndarray) -> np.ndarray:
    """``duals`` with each class's dual raised by its largest positive arc reduced cost.

    A pricing LP stopped before convergence prices the people of arcs outside its working set too low (a
    class whose best hospital is not yet in the LP looks free). Raising the class dual to its best arc's
    value makes every arc's reduced cost <= 0, as at a converged LP. Measured on 282 x 2,596 with the duals of
    pricing rounds 3 and 4: 9,468 / 9,419 against 9,301 / 9,262 with the raw duals.
    """
    n_arc = form.n_arc
    rc = form.mip.c[:n_arc] - form.mip.a[:, :n_arc].T @ duals
    up = np.zeros(len(form.classes))
    np.maximum.at(up, form.arc_k, np.maximum(rc, 0.0))
    out = duals.copy()
    with_row = form.class_row >= 0
    out[form.class_row[with_row]] += up[with_row]
    return out

