"""Column generation over people's rows (price-and-dive), for a lower bound and a start for the LNS.

The set-partitioning master has one column per candidate *row* of a person (their shifts over the whole
horizon, every one of their own rules satisfied) and chooses exactly one row per person:

    min  sum_(e,j) c[e,j] lambda[e,j] + sum_l (wu[l] under[l] + wo[l] over[l])
    s.t. sum_j lambda[e,j] = 1                                    (one row per person e)
         sum_(e,j) a[l,e,j] lambda[e,j] + under[l] - over[l] = r[l]    (cover line l)

``c[e,j]`` is the row's own penalty (unmet shift-on / shift-off requests and, when re-planning, changes from
the previous roster); ``a[l,e,j]`` = 1 when the row fills line ``l``. A hard minimum cover bounds ``under[l]``
above (and ``over[l]`` below when it exceeds the requirement). People's rules are all inside the columns, so
the master only couples people through cover. This is the decomposition behind the column-generation lower
bounds published for the benchmark (BKS.csv cites them for Instance2-7).

Pricing is one small CP-SAT model per person (the same ``add_person_vars`` / ``_person_rules`` as the full
model, so a column is exactly a row the person may work) whose objective is the reduced cost with the LP duals
(scaled to integers). Every improving row CP-SAT meets on the way is added, not only the best. When every
person's pricing is solved to optimality, ``LP + sum_e min(0, reduced cost_e)`` is a valid lower bound
(Lagrangian bound of the convexity rows); the best such bound over the iterations is reported.

A roster comes from a dive: people whose largest LP column is (nearly) 1 are fixed to it, or else the one
with the largest value, the others are priced again, and so on until everybody has a row. On Instance8
(BKS 1,300, proven) the root LP is 1,296.6 and a dive 1,408, which the LNS took to 1,309 in 15 s; the
restricted master solved as a binary programme instead (price-and-branch) gave 1,925 with HiGHS and 2,219
with CP-SAT in 30 s (not kept).

Fairness spreads couple people beyond cover; instances with fairness rules are not decomposed this way
(``applies``).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import highspy
import numpy as np
from ortools.sat.python import cp_model

from optimizer.i18n import Msg
from optimizer.rostering.cpsat import WorkVars, XVars, _changes, _person_rules, add_person_vars
from optimizer.rostering.instance import Roster, RosterInstance, Staff
from optimizer.rostering.lns import sub_solve
from optimizer.solvers.cpsat import found, solve_cpsat
from optimizer.solvers.highs_status import highs_status
from optimizer.solvers.silence import quiet_highs

#: Duals are scaled by this factor and rounded to give CP-SAT integer pricing objectives; the request
#: weights are integers and are scaled exactly, so a reduced cost is off by at most cells x 0.5 / SCALE.
SCALE = 1000
#: A column enters the master when its reduced cost is below ``-RC_TOL`` (objective units).
RC_TOL = 1e-6
#: Seconds one person's pricing may take (most take 10-60 ms on Instance8).
PRICE_LIMIT_S = 1.0
#: The root stops once the Lagrangian bound is within this share of the LP value (tailing off).
ROOT_GAP = 0.002
#: The dive fixes every person whose largest LP column has at least this value.
FIX_VALUE = 0.9
#: The first dive round fixes at least this share of the people left (those with the largest LP columns).
DIVE_SHARE = 0.1
#: Seconds the exact completion of the dive's last people may run past the dive's deadline. Instance8, 60 s,
#: seed 0: dive 1,419 with the last 8 people completed exactly (2 s), 1,632 diving to the end.
TAIL_S = 3.0
#: Pricing rounds after each fixing of the dive (fewer when no column improves).
DIVE_ITERATIONS = 3


def applies(inst: RosterInstance) -> bool:
    """Whether the people decomposition is exact for ``inst``: only cover couples people (no fairness rule)."""
    return not inst.fairness


def _row_cost(inst: RosterInstance, e: Staff, row: tuple[str, ...]) -> int:
    """The row's own penalty: unmet shift-on and granted shift-off requests, and changes when re-planning."""
    cost = 0
    for r in inst.requests:
        if r.staff != e.id:
            continue
        if r.on and row[r.day] != r.shift or not r.on and row[r.day] == r.shift:
            cost += r.weight
    if inst.previous is not None and e.id in inst.previous:
        was = inst.previous[e.id]
        cost += inst.change_weight * sum(1 for d in range(inst.pinned_days, inst.horizon) if row[d] != was[d])
    return cost


@dataclass
class _Pricer:
    """One person's pricing model: their variables and rules; the objective is replaced every iteration."""

    person: Staff
    model: cp_model.CpModel
    x: XVars
    own_cost: cp_model.LinearExprT  # request penalties + changes, unscaled
    lines_of: dict[tuple[str, int, str], list[int]]  # (person, day, shift) -> cover lines the cell fills

    def row(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback, horizon: int) -> tuple[str, ...]:
        out = [""] * horizon
        for (_, d, s), var in self.x.items():
            if solver.Value(var):
                out[d] = s
        return tuple(out)


class _Collect(cp_model.CpSolverSolutionCallback):
    """Keeps every row found by a pricing solve (each is a candidate column)."""

    def __init__(self, pricer: _Pricer, horizon: int) -> None:
        super().__init__()
        self.pricer, self.horizon = pricer, horizon
        self.rows: list[tuple[tuple[str, ...], float]] = []

    def on_solution_callback(self) -> None:
        self.rows.append((self.pricer.row(self, self.horizon), self.ObjectiveValue()))


def _no_guard(rule: str, staff: str | None, day: int | None, text: Msg) -> list[cp_model.IntVar]:
    return []


def _pricers(inst: RosterInstance) -> list[_Pricer]:
    """One pricing model per person, and which cover lines each of their cells fills."""
    slots = {s.id: s.slots for s in inst.shifts}
    line_at: dict[tuple[int, str], list[tuple[int, str | None]]] = defaultdict(list)
    for i, c in enumerate(inst.cover):
        line_at[(c.day, c.slot)].append((i, c.role))
    out = []
    for e in inst.staff:
        m = cp_model.CpModel()
        x: XVars = {}
        work: WorkVars = {}
        add_person_vars(m, inst, e, x, work, _no_guard, False)
        _person_rules(m, inst, e, x, work, _no_guard)
        own = sum(
            r.weight * (1 - x[(e.id, r.day, r.shift)]) if (e.id, r.day, r.shift) in x else r.weight
            for r in inst.requests if r.on and r.staff == e.id
        ) + sum(
            r.weight * x[(e.id, r.day, r.shift)]
            for r in inst.requests if not r.on and r.staff == e.id and (e.id, r.day, r.shift) in x
        )
        if inst.previous is not None:
            own = own + inst.change_weight * _changes(inst, e, x, work, {})
        lines_of = {
            key: [i for slot in slots[key[2]] for i, role in line_at[(key[1], slot)] if role is None or role == e.role]
            for key in x
        }
        out.append(_Pricer(e, m, x, own, lines_of))
    return out


class _Master:
    """The restricted master in HiGHS, with columns added as they are priced."""

    def __init__(self, inst: RosterInstance) -> None:
        self.inst = inst
        self.E = len(inst.staff)
        self.pos = {e.id: i for i, e in enumerate(inst.staff)}
        self.h = quiet_highs()
        h = self.h
        inf = highspy.kHighsInf
        for _ in inst.staff:
            h.addRow(1.0, 1.0, 0, np.array([], dtype=np.int32), np.array([], dtype=float))
        for c in inst.cover:
            h.addRow(float(c.requirement), float(c.requirement), 0, np.array([], dtype=np.int32), np.array([]))
        for i, c in enumerate(inst.cover):
            row = np.array([self.E + i], dtype=np.int32)
            under_ub = float(max(0, c.requirement - c.minimum)) if c.minimum > 0 else inf
            over_lb = float(max(0, c.minimum - c.requirement))
            h.addCol(float(c.weight_under), 0.0, under_ub, 1, row, np.array([1.0]))
            h.addCol(float(c.weight_over), over_lb, inf, 1, row, np.array([-1.0]))
        self.slack_cols = 2 * len(inst.cover)
        self.columns: list[tuple[str, tuple[str, ...]]] = []
        self.seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(self, pricer: _Pricer, row: tuple[str, ...], cost: int) -> bool:
        """Add ``row`` of ``pricer``'s person as a column (False when it is already in the master)."""
        key = (pricer.person.id, row)
        if key in self.seen:
            return False
        self.seen.add(key)
        counts: dict[int, float] = defaultdict(float)
        for d, s in enumerate(row):
            if s:
                for i in pricer.lines_of[(pricer.person.id, d, s)]:
                    counts[self.E + i] += 1.0
        idx = np.array([self.pos[pricer.person.id], *counts], dtype=np.int32)
        val = np.array([1.0, *counts.values()])
        self.h.addCol(float(cost), 0.0, 1.0, len(idx), idx, val)
        self.columns.append(key)
        return True

    def solve_lp(self, seconds: float) -> tuple[float, np.ndarray] | None:
        """LP value and row duals, or None when HiGHS did not solve the LP in time."""
        # HiGHS compares its time limit with the run time summed over every run of this instance
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.01, seconds))
        self.h.run()
        if highs_status(self.h) != "optimal":
            return None
        return self.h.getInfo().objective_function_value, np.asarray(self.h.getSolution().row_dual, dtype=float)


def _price(pricer: _Pricer, pi: np.ndarray, seconds: float, seed: int,
           horizon: int) -> tuple[list[tuple[str, ...]], float | None]:
    """Rows of ``pricer``'s person met while minimising ``own cost - pi . cover filled`` (``pi``: one value per
    cover line), and a lower bound on that minimum (None when the solve was cut short without a solution)."""
    m = pricer.model
    terms = [SCALE * pricer.own_cost]
    for key, var in pricer.x.items():
        value = sum(pi[i] for i in pricer.lines_of[key])
        if value:
            terms.append(-int(round(SCALE * value)) * var)
    m.Minimize(sum(terms))
    collect = _Collect(pricer, horizon)
    solver, status = solve_cpsat(m, max(0.01, seconds), seed, callback=collect, linearization_level=2)
    if not found(status):
        return [], None
    return [row for row, _ in collect.rows], solver.BestObjectiveBound() / SCALE


def _filled(pricer: _Pricer, row: tuple[str, ...], pi: np.ndarray) -> float:
    """``pi . cover filled`` of one row: the dual value of the cover it gives."""
    return sum(pi[i] for d, s in enumerate(row) if s for i in pricer.lines_of[(pricer.person.id, d, s)])


class ColumnGeneration:
    """Column generation on ``inst`` from the rows of a feasible ``start`` roster.

    ``root(deadline)`` prices columns until the LP converges (or stalls, or time is up) and keeps the best
    lower bound; ``dive(deadline)`` then fixes people to their largest LP column a few at a time, pricing the
    others again after each fixing, until everybody has a row (price-and-dive).
    """

    def __init__(self, inst: RosterInstance, start: Roster, seed: int, workers: int = 2) -> None:
        self.inst, self.seed, self.workers = inst, seed, workers
        self.master = _Master(inst)
        self.pricers = _pricers(inst)
        for p in self.pricers:
            row = tuple(start[p.person.id])
            self.master.add(p, row, _row_cost(inst, p.person, row))
        self.active = list(range(len(inst.staff)))  # people not fixed by the dive
        self.fixed: dict[str, tuple[str, ...]] = {}
        self.lower_bound: float | None = None
        self.lp_value: float | None = None
        self.iterations = 0
        self.converged = False
        self.center: np.ndarray | None = None  # cover duals of the best Lagrangian bound
        self._least: dict[int, float] = {}  # each person's least pricing value at ``center``
        self._requirement = np.array([c.requirement for c in inst.cover], dtype=float)
        # a pricing bound is off by at most half a scaled unit per cell (duals rounded to integers)
        self._rounding = sum(len(p.x) for p in self.pricers) * 0.5 / SCALE

    def iterate(self, deadline: float) -> int | None:
        """One LP solve and one pricing round of the people not fixed; the number of columns added, or None
        when the LP could not be solved in time (or is infeasible: a hard minimum no column set can meet).

        Dual smoothing (Wentges, pricing at 0.5 x the best-bound duals + 0.5 x the LP duals) was measured and
        not kept: on Instance8 it saved a quarter of the iterations but each took about twice as long to price.
        """
        lp = self.master.solve_lp(deadline - time.monotonic())
        if lp is None:
            return None
        self.lp_value, duals = lp
        self.iterations += 1
        E = len(self.inst.staff)
        mu, pi = duals[:E], duals[E:]
        exact = not self.fixed  # a Lagrangian bound needs every person priced on the unrestricted master
        seed = self.seed + self.iterations

        def price(k: int) -> tuple[int, list[tuple[str, ...]], float | None]:
            left = deadline - time.monotonic()
            if left <= 0:
                return k, [], None
            rows, least = _price(self.pricers[k], pi, min(left, PRICE_LIMIT_S), seed, self.inst.horizon)
            return k, rows, least

        # CP-SAT releases the GIL while it solves, so people are priced in parallel threads
        with ThreadPoolExecutor(self.workers) as pool:
            priced = list(pool.map(price, self.active))
        added = 0
        lagrangian = float(pi @ self._requirement) + self._slack_term(pi)
        leasts: dict[int, float] = {}
        for k, rows, least in priced:
            p = self.pricers[k]
            for row in rows:
                cost = _row_cost(self.inst, p.person, row)
                if cost - _filled(p, row, pi) - mu[k] < -RC_TOL:
                    added += self.master.add(p, row, cost)
            if least is None:
                exact = False
            else:
                lagrangian += least
                leasts[k] = least
        if exact:
            bound = lagrangian - self._rounding
            if self.lower_bound is None or bound > self.lower_bound:
                self.lower_bound, self.center, self._least = bound, pi, leasts
        return added

    def _slack_term(self, pi: np.ndarray) -> float:
        """The under/over slacks' part of the Lagrangian function at cover duals ``pi`` (0 without hard minima:
        LP duals lie in [-weight over, weight under])."""
        total = 0.0
        for i, c in enumerate(self.inst.cover):
            if c.minimum > 0:
                total += min(0.0, c.weight_under - pi[i]) * max(0, c.requirement - c.minimum)
                total += (c.weight_over + pi[i]) * max(0, c.minimum - c.requirement)
        return total

    def root(self, deadline: float) -> None:
        """Price until no column improves (converged), the Lagrangian bound is within ``ROOT_GAP`` of the LP
        value, or ``deadline``."""
        while time.monotonic() < deadline:
            added = self.iterate(deadline)
            if added is None:
                return
            if added == 0 and self.lower_bound is not None:
                self.converged = True
                return
            if (self.lower_bound is not None and self.lp_value is not None
                    and self.lp_value - self.lower_bound <= ROOT_GAP * self.lp_value):
                return

    def person_gaps(self, roster: Roster) -> dict[str, float] | None:
        """Each person's share of ``roster``'s distance to the best Lagrangian bound (None before a bound).

        At the duals ``pi`` of the best bound, objective(roster) - L(pi) splits exactly into one term per
        person, ``own cost - pi . cover filled - least`` (>= 0: how far their row is from their best row at
        ``pi``), plus the slack terms of the cover lines. People with a large term are where the roster departs
        from the LP's view; the LNS frees them more often.
        """
        if self.center is None or len(self._least) < len(self.pricers):
            return None
        out = {}
        for k, p in enumerate(self.pricers):
            row = tuple(roster[p.person.id])
            out[p.person.id] = max(0.0, _row_cost(self.inst, p.person, row) - _filled(p, row, self.center)
                                   - self._least[k])
        return out

    def dive(self, deadline: float, tail: int = 8) -> Roster:
        """Fix people to LP columns until everybody has a row; past ``deadline`` the rest are rounded at once
        to their largest column. Always a roster in which every row keeps its person's rules.

        A round fixes every person whose largest column is at least ``FIX_VALUE``, and at least as many people
        as it takes to finish by ``deadline`` at the pace of the last round (the first round: ``DIVE_SHARE``
        of them), so the dive uses the time it has: Instance8 fixing one person a round gave 1,408 in 55 s,
        a fifth of them 1,730-1,818 in 4-5 s.
        """
        first = self.master.slack_cols
        round_s: float | None = None
        while self.active:
            started = time.monotonic()
            values = np.asarray(self.master.h.getSolution().col_value)[first:]
            best: dict[int, tuple[float, int]] = {}
            for j, (eid, _row) in enumerate(self.master.columns):
                k = self.master.pos[eid]
                if eid not in self.fixed and (k not in best or values[j] > best[k][0]):
                    best[k] = (float(values[j]), j)
            ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
            if len(ranked) <= tail:
                return self._finish_exactly(ranked, deadline + TAIL_S)
            left = deadline - started
            if round_s is None:
                most = math.ceil(DIVE_SHARE * len(ranked))
            else:
                most = math.ceil(len(ranked) / max(1.0, left / max(round_s, 1e-3)))
            take = ranked if left <= 0 else [
                kv for i, kv in enumerate(ranked) if kv[1][0] >= FIX_VALUE or i < max(1, most)
            ]
            for _k, (_v, j) in take:
                self.master.h.changeColBounds(first + j, 1.0, 1.0)
                self.fixed[self.master.columns[j][0]] = self.master.columns[j][1]
            done = {k for k, _ in take}
            self.active = [k for k in self.active if k not in done]
            for _ in range(DIVE_ITERATIONS if self.active else 0):
                added = self.iterate(deadline)
                if added is None:
                    deadline = time.monotonic()  # out of time or LP trouble: round the rest next pass
                    self.master.solve_lp(1.0)
                if not added:
                    break
            round_s = time.monotonic() - started
        return {eid: list(row) for eid, row in self.fixed.items()}


    def _finish_exactly(self, ranked: list[tuple[int, tuple[float, int]]], deadline: float) -> Roster:
        """Rows for the people in ``ranked`` (person index -> (LP value, largest column)): their largest
        columns, improved by one exact sub-solve of all of them together when it finds better by ``deadline``."""
        roster = {eid: list(row) for eid, row in self.fixed.items()}
        for _k, (_v, j) in ranked:
            eid, row = self.master.columns[j]
            roster[eid] = list(row)
        free = {(self.master.columns[j][0], d) for _k, (_v, j) in ranked for d in range(self.inst.horizon)}
        found = sub_solve(self.inst, free, roster, max(0.05, deadline - time.monotonic()), self.seed)
        self.active = []
        return found[0] if found is not None else roster


def ceil_bound(bound: float | None) -> int | None:
    """The integer objective bound implied by a fractional lower bound (objectives are integers)."""
    return None if bound is None else math.ceil(bound - 1e-6)
