"""Solve the class x hospital MIP over a priced subset of its arcs, with a bound valid for all arcs.

Most of the 10^5-10^6 willing (class, hospital) arcs are never used. Column generation solves the full LP
relaxation over a small working set: start from each class's cheapest arcs, price every arc with the LP
duals (reduced cost ``c - A^T y``, vectorised), add the best few per class, repeat until no arc prices in.
The MIP then runs on the working set plus each class's least-negative excluded arcs. Validity: for any
feasible plan ``c x <= z_LP + sum_excluded rc_j x_j``, so a plan using an excluded arc j is worth at most
``z_LP + rc_j``; the global bound is ``max(restricted MIP bound, z_LP + max excluded rc)`` and the reported
gap is measured against it (the plan is proven optimal when that bound meets the incumbent).

Arc flows are continuous in the formulation (bucket counts and slots are integer, making the flows a
transportation polytope); if a solver returns fractional flows, a repair MIP with slots and buckets fixed
makes them integral.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optimizer.deployment.settings import SolverName
from optimizer.deployment.solver.mip import Mip, MipResult, relative_gap, solve_mip
from optimizer.solvers.highs_status import highs_status

#: Arcs per class in the first working set (with the greedy plan's), added per class per pricing round, and
#: kept for the MIP among the near-zero reduced costs.
#: Below this many arcs the MIP runs on all of them (pricing would not pay for itself).
FULL_MIP_ARCS = 3000
INITIAL_PER_CLASS = 6
ADDED_PER_CLASS = 10
EXTRA_PER_CLASS = 2
#: Seconds below which the MIP is not started (the start plan is kept) and an LP round's least allowance.
MIN_MIP_S = 0.3
#: Seconds below which pricing is not started (one LP round takes 1-2 s at 282 hospitals, > 20 s at 1,410).
PRICING_MIN_S = 3.0
#: Shares of the pricing call's time limit. The first ``BOUND_ROUNDS`` LP rounds may run until
#: ``PRICING_BOUND_SHARE`` of it: the Lagrangian bound rests on the last round that finished, and at 564
#: hospitals (rounds of 1.4-2.2 s, twice that under load) round 1's duals bound at 25,366 against 19,633
#: for round 2's on a plan of ~18,000, so the heuristics after pricing wait for round 2 (the greedy start
#: plan is there already). Later rounds start only when the last round's duration x ``ROUND_GROWTH`` still
#: fits before ``PRICING_LP_SHARE`` (a round stopped by the limit gives no duals: its time would be lost).
BOUND_ROUNDS = 2
PRICING_BOUND_SHARE = 0.9
PRICING_LP_SHARE = 0.75
ROUND_GROWTH = 1.3
#: Pricing stops when a round raises the LP value by less than this share: the Lagrangian bound from those
#: duals is then within ~0.01 % of the converged one (1x: 9,581.9 vs 9,581.2), and the MIP gets the time.
PRICING_STALL = 5e-4


@dataclass
class PricingInfo:
    """What the pricing loop did: LP bound, rounds, arcs in the final MIP."""

    lp_bound: float
    rounds: int
    arcs_in_mip: int
    arcs_total: int
    repaired: bool = False
    lagrangian_bound: float = math.inf
    earlier_duals: np.ndarray | None = None  # the optimal row duals of the round before the last


class WarmLp:
    """The working-set LP kept in one HiGHS object, so each pricing round warm-starts from the last basis."""

    def __init__(self, mip: Mip, a_csc, arcs: np.ndarray, others: np.ndarray, threads: int) -> None:
        from optimizer.deployment.solver.mip import _highs_model

        self.h = _highs_model(_subset(mip, a_csc, np.r_[arcs, others]), 60.0, 0, threads, 0.0, relax=True)
        # HiGHS presolves again after every addCols; without presolve the 7 pricing rounds of 282 x 2,596 take
        # 3.5 s of CPU instead of 5.2 s (same LP values, 9,611 instead of 9,608 after round 4)
        self.h.setOptionValue("presolve", "off")
        self.col_arc = np.r_[arcs, np.full(len(others), -1)].astype(np.int64)  # arc id per LP column, -1 = other
        self.x = np.zeros(0)

    def run(self, time_limit_s: float) -> tuple[str, float, np.ndarray]:

        # HiGHS's time limit counts the object's total run time, so extend it by this round's allowance.
        self.h.setOptionValue("time_limit", float(self.h.getRunTime() + time_limit_s))
        self.h.run()
        outcome = highs_status(self.h)
        sol = self.h.getSolution()
        self.x = np.asarray(sol.col_value, dtype=float)
        status = outcome if outcome in ("optimal", "infeasible") else "stopped"
        return status, float(self.h.getInfo().objective_function_value), np.asarray(
            sol.row_dual, dtype=float)

    def full_x(self, n_cols: int, others: np.ndarray) -> np.ndarray:
        """The last LP solution spread over all columns of the full MIP (excluded arcs at 0)."""
        x = np.zeros(n_cols)
        arcs = self.col_arc >= 0
        x[self.col_arc[arcs]] = self.x[arcs]
        x[others] = self.x[~arcs]
        return x

    def positive_arcs(self) -> np.ndarray:
        """Arc ids with positive flow in the last LP solution."""
        return self.col_arc[(self.col_arc >= 0) & (self.x > 1e-9)]

    def add_columns(self, mip: Mip, a_csc, cols: np.ndarray) -> None:
        sub = a_csc[:, cols].tocsc()
        self.h.addCols(len(cols), mip.c[cols], mip.lb[cols], mip.ub[cols], sub.nnz, sub.indptr[:-1].astype(np.int32),
                       sub.indices.astype(np.int32), sub.data)
        self.col_arc = np.r_[self.col_arc, cols]


def _subset(mip: Mip, a_csc, cols: np.ndarray, integer: np.ndarray | None = None) -> Mip:
    return Mip(mip.c[cols], mip.lb[cols], mip.ub[cols], mip.integer[cols] if integer is None else integer,
               a_csc[:, cols].tocsr(), mip.row_lo, mip.row_hi, mip.offset)


def _top_per_group(score: np.ndarray, group: np.ndarray, cand: np.ndarray, k: int) -> np.ndarray:
    """Indices (from ``cand``) of the ``k`` highest scores within each group.

    Arcs come grouped by class (``np.nonzero`` order), so the fast path takes k rounds of segmented
    maxima (O(k n)) instead of sorting millions of arcs; other groupings fall back to a sort.
    """
    if len(cand) == 0 or k <= 0:
        return cand[:0]
    g = group[cand]
    if np.any(np.diff(g) < 0):
        order = np.lexsort((-score[cand], g))
        gs = g[order]
        rank = np.arange(len(order)) - np.searchsorted(gs, gs, side="left")
        return cand[order[rank < k]]
    sc = score[cand].astype(float)
    starts = np.flatnonzero(np.r_[True, np.diff(g) != 0])
    seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(sc)]))
    chosen = []
    for _ in range(k):
        best = np.maximum.reduceat(sc, starts)
        hit = np.flatnonzero((sc == best[seg]) & np.isfinite(sc))
        if len(hit) == 0:
            break
        first = hit[np.r_[True, seg[hit][1:] != seg[hit][:-1]]]
        chosen.append(first)
        sc[first] = -np.inf
    return cand[np.concatenate(chosen)] if chosen else cand[:0]


def _price(
    mip: Mip, n_arc: int, arc_group: np.ndarray, start: np.ndarray | None, a_csc,
    others: np.ndarray, time_limit_s: float, threads: int, t0: float,
) -> tuple[np.ndarray | None, float, float, PricingInfo, np.ndarray | None, np.ndarray | None]:
    """Column generation: (arcs for the MIP, LP bound over all arcs, bound for plans using other arcs, info,
    last optimal row duals, last optimal LP solution over all columns).
    """
    a_arc_t = a_csc[:, :n_arc].T.tocsr()
    all_arcs = np.arange(n_arc)
    work = np.zeros(n_arc, dtype=bool)
    work[_top_per_group(mip.c[:n_arc], arc_group, all_arcs, INITIAL_PER_CLASS)] = True
    work[mip.lb[:n_arc] > 0] = True
    if start is not None:
        work[start[:n_arc] > 0.5] = True
    lp = WarmLp(mip, a_csc, np.flatnonzero(work), others, threads)
    rounds, z_lp, rc, last, earlier, z_prev = 0, math.inf, np.zeros(n_arc), None, None, -math.inf
    lp_end = t0 + PRICING_LP_SHARE * time_limit_s
    while True:
        rounds += 1
        t_round = time.perf_counter()
        end = t0 + PRICING_BOUND_SHARE * time_limit_s if rounds <= BOUND_ROUNDS else lp_end
        status, z_lp, duals = lp.run(max(MIN_MIP_S, end - t_round))
        if status == "infeasible" and rounds == 1:
            return None, math.inf, -math.inf, PricingInfo(math.inf, rounds, n_arc, n_arc), None, None
        if status != "optimal":
            z_lp = math.inf  # out of time: no LP bound; keep the working set
            break
        rc = mip.c[:n_arc] - a_arc_t @ duals
        last, earlier = duals, last
        cand = np.flatnonzero(~work & (rc > 1e-9))
        stalled = z_lp - z_prev < PRICING_STALL * max(1.0, abs(z_lp))
        now = time.perf_counter()
        fits = now + ROUND_GROWTH * (now - t_round) <= lp_end
        if len(cand) == 0 or stalled or not (rounds < BOUND_ROUNDS and now < lp_end or fits):
            break
        z_prev = z_lp
        new = _top_per_group(rc, arc_group, cand, ADDED_PER_CLASS)
        work[new] = True
        lp.add_columns(mip, a_csc, np.sort(new))
    # Lagrangian bound over all arcs (equals z_LP when pricing converged).
    excluded_pos = np.flatnonzero(~work & (rc > 0))
    lp_bound = z_lp + float(rc[excluded_pos] @ mip.ub[excluded_pos]) if len(excluded_pos) else z_lp
    # MIP working set: arcs used by the LP plus, per class, the best-priced others (near-zero reduced cost).
    in_mip = np.zeros(n_arc, dtype=bool)
    in_mip[lp.positive_arcs()] = True
    in_mip[mip.lb[:n_arc] > 0] = True
    if start is not None:
        in_mip[start[:n_arc] > 0.5] = True
    near = np.flatnonzero(~in_mip & (rc >= -1e-6 * max(1.0, abs(z_lp) if math.isfinite(z_lp) else 1.0)))
    in_mip[_top_per_group(rc, arc_group, near, EXTRA_PER_CLASS)] = True
    excl = np.flatnonzero(~in_mip)
    # A plan using an excluded arc j is worth at most z_LP + rc_j (only the Lagrangian bound if not converged).
    outside = lp_bound if len(excluded_pos) else (z_lp + float(rc[excl].max()) if excl.size else -math.inf)
    lp_x = lp.full_x(mip.n_cols, others) if last is not None else None
    info = PricingInfo(lp_bound, rounds, int(in_mip.sum()), n_arc, earlier_duals=earlier)
    return in_mip, lp_bound, outside, info, last, lp_x


@dataclass(frozen=True)
class MipOptions:
    """Back end and limits of one priced solve: ``time_limit_s`` wall seconds, relative ``gap`` to stop at."""

    solver: SolverName
    time_limit_s: float
    seed: int
    threads: int
    gap: float


@dataclass(frozen=True)
class PricingHooks:
    """What the caller adds to a priced solve.

    ``start``: a feasible plan (full column space). ``bound_fn(duals)`` gives a further upper bound valid over
    all arcs from the last pricing duals (the Lagrangian bound of :mod:`optimizer.deployment.solver.lagrangian`);
    the tighter bound is reported. ``guided_start(lp_x, duals)`` turns the pricing LP's solution and row duals
    (the last optimal round's, then the round's before) into a feasible start (kept when better).
    ``slot_cols`` (the slot columns) turns the MIP into a search of the start's slot neighbourhood.
    """

    start: np.ndarray | None = None
    bound_fn: Callable[[np.ndarray], float] | None = None
    guided_start: Callable[[np.ndarray, list[np.ndarray]], np.ndarray | None] | None = None
    slot_cols: np.ndarray | None = None


def solve_priced(mip: Mip, n_arc: int, arc_group: np.ndarray, opts: MipOptions,
                 hooks: PricingHooks | None = None) -> tuple[MipResult, PricingInfo]:
    """Solve ``mip`` (arc columns first) by pricing; returns a result in the full column space."""
    hooks = hooks or PricingHooks()
    solver, time_limit_s, seed, threads, gap = opts.solver, opts.time_limit_s, opts.seed, opts.threads, opts.gap
    start, bound_fn, guided_start, slot_cols = hooks.start, hooks.bound_fn, hooks.guided_start, hooks.slot_cols
    t0 = time.perf_counter()
    a_csc = mip.a.tocsc()
    others = np.arange(n_arc, mip.n_cols)
    lp_x: np.ndarray | None = None
    if n_arc <= FULL_MIP_ARCS:
        in_mip = np.ones(n_arc, dtype=bool)
        lp_bound, outside, info = math.inf, -math.inf, PricingInfo(math.nan, 0, n_arc, n_arc)
    elif time_limit_s < PRICING_MIN_S and start is not None:
        # too little time for one LP over the working set (the 5x instance at 10 s): keep the start's
        # arcs; the bound comes from zero multipliers
        in_mip = (start[:n_arc] > 0.5) | (mip.lb[:n_arc] > 0)
        lp_bound, outside, info = math.inf, math.inf, PricingInfo(math.inf, 0, int(in_mip.sum()), n_arc)
        if bound_fn is not None:
            info.lagrangian_bound = bound_fn(np.zeros(mip.n_rows))
            lp_bound = outside = info.lagrangian_bound
    else:
        in_mip, lp_bound, outside, info, duals, lp_x = _price(mip, n_arc, arc_group, start, a_csc,
                                                              others, time_limit_s, threads, t0)
        if guided_start is not None and lp_x is not None and (
                time.perf_counter() - t0 < PRICING_BOUND_SHARE * time_limit_s):
            other = guided_start(lp_x, [d for d in (duals, info.earlier_duals) if d is not None])
            if other is not None and (start is None or mip.c @ other > mip.c @ start):
                start = other
                in_mip[start[:n_arc] > 0.5] = True
        if bound_fn is not None:
            # any multipliers give a valid bound: zero ones when pricing ran out of time before an LP optimum
            # (a stopped LP's duals were tried at 5x: 8.3e6 against 7.2e4 with zeros)
            info.lagrangian_bound = bound_fn(duals if duals is not None else np.zeros(mip.n_rows))
            lp_bound = min(lp_bound, info.lagrangian_bound)
            outside = min(outside, info.lagrangian_bound)
        if in_mip is None:  # no LP over the starting set (equity rules may need more arcs): use every arc
            in_mip = np.ones(n_arc, dtype=bool)
    arc_cols = np.flatnonzero(in_mip)
    cols = np.r_[arc_cols, others]
    sub = _subset(mip, a_csc, cols)
    local = slot_cols is not None and lp_x is not None and start is not None
    if local:
        # slot neighbourhood of the start: its open slots stay open, slots closed in both the start and the
        # LP stay closed; the MIP decides the LP's other slots and re-staffs everything. Its bound is then
        # only valid in the neighbourhood, so the all-arc bound is reported.
        full_lb, full_ub = mip.lb.copy(), mip.ub.copy()
        full_lb[slot_cols[start[slot_cols] > 0.5]] = 1.0
        full_ub[slot_cols[(start[slot_cols] < 0.5) & (lp_x[slot_cols] < 1e-6)]] = 0.0
        sub.lb, sub.ub = full_lb[cols], full_ub[cols]
    if n_arc <= FULL_MIP_ARCS:  # small: integer flows from the start (exact even with a budget row)
        sub.integer = sub.integer.copy()
        sub.integer[:n_arc] = True
    left = time_limit_s - (time.perf_counter() - t0)
    sub_start = start[cols] if start is not None else None
    if left < MIN_MIP_S and sub_start is not None:  # out of time (5x instances): keep the start plan
        res = MipResult("feasible", sub_start, float(sub.c @ sub_start + sub.offset), None, None, 0.0, solver,
                        "no time left for the MIP; start plan kept")
    else:
        res = solve_mip(sub, solver, max(MIN_MIP_S, left), seed, threads, gap, sub_start)
        if local:
            res.bound = None
    if sub_start is not None and (res.x is None or res.objective < float(sub.c @ sub_start + sub.offset) - 1e-9):
        res.x, res.objective = sub_start, float(sub.c @ sub_start + sub.offset)
        res.status = "feasible"
    if res.x is None:
        if res.bound is not None:
            res.bound = min(lp_bound, max(res.bound, outside))
        return res, info
    x_sub = res.x
    frac = np.abs(x_sub[: len(arc_cols)] - np.round(x_sub[: len(arc_cols)])) > 1e-6
    if frac.any():
        info.repaired = True
        left = max(1.0, time_limit_s - (time.perf_counter() - t0))
        x_sub = _repair(sub, len(arc_cols), x_sub, left, seed, threads)
        if x_sub is None:  # the fixed slots need a fractional person (budget row): search with integer flows
            integer = sub.integer.copy()
            integer[: len(arc_cols)] = True
            whole = Mip(sub.c, sub.lb, sub.ub, integer, sub.a, sub.row_lo, sub.row_hi, sub.offset)
            x_sub = solve_mip(whole, solver, left, seed, threads, gap, sub_start).x
        if x_sub is None and sub_start is not None:
            x_sub = sub_start
        if x_sub is None:
            return MipResult("time_limit", None, None, res.bound, None, 0.0, solver,
                             "flows could not be made integral"), info
    x = np.zeros(mip.n_cols)
    x[cols] = x_sub
    # the restricted MIP's bound covers plans on the working set, ``outside`` the others; without the
    # former only the all-arc bound (LP + excluded reduced costs, or Lagrangian) is valid
    bound = max(res.bound, outside) if res.bound is not None else math.inf
    bound = min(bound, lp_bound)
    objective = float(mip.c @ x + mip.offset)
    status = res.status
    g = relative_gap(objective, bound)
    if status == "optimal" and (g is None or g > max(gap, 1e-6)):
        status = "feasible"  # optimal in the working set or the neighbourhood, not proven over all arcs
    return MipResult(status, x, objective, bound, g, time.perf_counter() - t0, solver, res.message), info


def _repair(sub: Mip, n_arc: int, x: np.ndarray, time_limit_s: float, seed: int, threads: int) -> np.ndarray | None:
    """Integral flows for fixed integer slots and buckets (a transportation MIP with side rows)."""
    lb, ub = sub.lb.copy(), sub.ub.copy()
    fixed = sub.integer.copy()
    lb[fixed] = np.round(x[fixed])
    ub[fixed] = np.round(x[fixed])
    integer = sub.integer.copy()
    integer[:n_arc] = True
    fixed_mip = Mip(sub.c, lb, ub, integer, sub.a, sub.row_lo, sub.row_hi, sub.offset)
    res = solve_mip(fixed_mip, "highs", time_limit_s, seed, threads, 1e-6)
    return res.x
