"""p-median where-next model, with HiGHS: choose at most K candidates (within budget) minimising the weighted
minutes from each demand point to its nearest 24/7 site, in three steps (the scheme of Garcia, Labbe & Marin
2011).

(1) Greedy + vertex substitution give a plan. (2) A Lagrangian relaxation (``pmedian_lagrangian``) raises a
lower bound to within tenths of a percent of the optimum in seconds, improves the plan, and fixes every
candidate whose opening (closing) would provably cost more than the plan: on the national instance most
candidates leave the model. (3) The radius (cumulative-distance) formulation of Elloumi (2010) on the
candidates left: for each demand i, the distinct candidate distances below its current minutes are levels,
and z_ik = 1 when no chosen site is within level k; nonzeros grow with candidates per demand, not squared.
Levels are generated lazily: first up to each demand's Lagrangian radius or plan minutes (a relaxation: a
demand's cost is capped at its next level), then extended for demands whose chosen-site minutes exceed their
cap, until none does; then the relaxation's optimum is the true optimum. With caps from the plan's minutes
alone (an earlier version) the relaxation was weak without existing coverage (12.6 % gap at K = 10 after
60 s); the Lagrangian radii, bound and fixing are what close it.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from optimizer.access.highs_mip import RowwiseMip, solve_mip
from optimizer.access.pmedian_lagrangian import lagrangian_fixing
from optimizer.access.settings import AccessSettings
from optimizer.access.where_next import (
    Outcome,
    WhereNextInput,
    WhereNextPlan,
    budget_allows,
    finish,
    nearest_minutes,
    work_deadline,
)
from optimizer.i18n import said

#: Share of a p-median solve's time limit the greedy start and its vertex substitution may use (passes stop
#: there; on the 13,060 population points x 569 hospitals of a busy host a pass can take a second).
START_SHARE = 0.2
#: Share of a p-median solve's time limit the Lagrangian bound-and-fix phase may use before the MIP.
LAGRANGIAN_SHARE = 0.4
#: The MIP is built only when at least this share of the time limit is left (building it on the 13,060
#: population points takes seconds of Python on a busy host; without it the plan and the Lagrangian bound stand).
MIP_SHARE = 0.15
#: A p-median instance with at most this many distance levels (demand x candidate pairs closer than the
#: demand's existing 24/7 hospital) goes straight to the MIP with all its levels, whose LP bound is the strong
#: one: the national instance with 59 hospitals 24/7 has 11,192 and is proven optimal in about 1.2 s, faster
#: than with a Lagrangian phase first (3-10 s). Larger instances (the national one without existing
#: coverage has 809,832) get the Lagrangian phase and lazily generated levels.
FULL_LEVELS_DIRECT = 30_000
#: The radius MIP is built only when it has at most this many level columns. HiGHS's presolve cannot be
#: interrupted and grows faster than the model: on the national instance without 24/7 hospitals (13,060
#: population points x 569 candidates, load about 10) it took 42 s for 860k levels (72 s with probing off,
#: 153 s to the root with presolve off) and about 70 s for 165k, far beyond the 15-25 s the time limit had
#: left; such an instance keeps its Lagrangian bound and plan instead, and the Lagrangian phase gets the MIP's
#: time (see :data:`LAGRANGIAN_ONLY_LEVELS`).
MAX_MIP_LEVELS = 40_000
#: An instance with more levels than this before fixing (the national one without 24/7 hospitals has 809,832)
#: gives its Lagrangian phase all the time left: fixing would have to remove 90 % of them for a MIP to fit.
LAGRANGIAN_ONLY_LEVELS = 10 * MAX_MIP_LEVELS


def pmedian_objective(inp: WhereNextInput, chosen: NDArray[np.int64]) -> float:
    """Sum over demand points of weight x minutes to the nearest 24/7 site (``inf`` if one has none)."""
    d = nearest_minutes(inp, chosen)
    return float((inp.weight * d).sum()) if np.isfinite(d[inp.weight > 0]).all() else float("inf")


def _pmedian_greedy(inp: WhereNextInput, deadline: float = np.inf) -> NDArray[np.int64]:
    """Greedy add (largest drop of weighted minutes per cost, within budget), then vertex substitution, which
    stops between passes after ``deadline`` (wall clock). The greedy always adds its K sites: a start cut at the
    deadline on a busy host (national instance, K = 10) ended 10 % above the best plan of the other seeds, and
    the later phases did not recover it.

    Lazy evaluation (Minoux's accelerated greedy): a site's drop only shrinks as sites are added, so a drop
    computed earlier bounds it from above and only the candidate on top of the queue is recomputed, O(demands)
    each, instead of every candidate's drop, O(demands x candidates) per site; the choice is the same."""
    current = np.minimum(inp.existing_minutes, 1e9)
    cost = np.where(inp.site_cost > 0, inp.site_cost, 1e-12)
    w = inp.weight
    drops = w @ np.maximum(current[:, None] - np.minimum(inp.minutes, 1e9), 0.0)
    queue = [(-float(drops[j] / cost[j]), j) for j in range(len(drops))]
    heapq.heapify(queue)
    chosen: list[int] = []
    spent = 0.0
    while queue and len(chosen) < inp.k:
        _, j = heapq.heappop(queue)
        if not budget_allows(inp, spent, j):
            continue  # the budget left only shrinks: j never fits again
        drop = float(w @ np.maximum(current - inp.minutes[:, j], 0.0))
        if queue and drop / cost[j] < -queue[0][0]:
            heapq.heappush(queue, (-drop / cost[j], j))
            continue
        if drop <= 0:
            break
        chosen.append(j)
        spent += inp.site_cost[j]
        current = np.minimum(current, inp.minutes[:, j])
    return _vertex_substitution(inp, np.asarray(chosen, dtype=np.int64), deadline=deadline)


def _vertex_substitution(inp: WhereNextInput, chosen: NDArray[np.int64], max_passes: int = 50,
                         deadline: float = np.inf,
                         ) -> NDArray[np.int64]:
    """Teitz-Bart interchange: swap a chosen site for an unchosen one while the best swap (within budget)
    lowers the weighted minutes.

    Each pass prices every (out, in) pair at once in O(demands x candidates), as in Whitaker's fast
    interchange (Resende & Werneck 2007): with d1/d2 the nearest and second-nearest open minutes of each
    demand and phi its nearest chosen site, the total after swapping r for j is
    A_j + sum_{i: phi(i) = r} w_i (min(d2_i, d_ij) - min(d1_i, d_ij)), A_j = sum_i w_i min(d1_i, d_ij).
    """
    if len(chosen) == 0:
        return chosen
    big = 1e9
    existing = np.minimum(inp.existing_minutes, big)
    minutes = np.minimum(inp.minutes, big)
    w = inp.weight
    chosen = chosen.copy()
    rows = np.arange(len(w))
    for _ in range(max_passes):
        if time.perf_counter() >= deadline:  # each pass is O(demands x candidates): stop between passes
            break
        d = np.column_stack([existing, minutes[:, chosen]])  # column 0: existing sites, never swapped
        order = np.argsort(d, axis=1, kind="stable")[:, :2]
        d1 = d[rows, order[:, 0]]
        d2 = d[rows, order[:, 1]] if d.shape[1] > 1 else d1
        phi = order[:, 0] - 1  # position in ``chosen`` of each demand's nearest site, -1 = existing
        near = np.minimum(d1[:, None], minutes)
        totals_add = w @ near
        best_total, best_swap = float(w @ d1), None
        spent = float(inp.site_cost[chosen].sum())
        free = np.ones(minutes.shape[1], dtype=bool)
        free[chosen] = False
        for pos in range(len(chosen)):
            mine = phi == pos
            loss = w[mine] @ (np.minimum(d2[mine, None], minutes[mine]) - near[mine]) if mine.any() else 0.0
            totals = totals_add + loss
            ok = free.copy()
            if inp.budget is not None:
                ok &= spent - inp.site_cost[chosen[pos]] + inp.site_cost <= inp.budget + 1e-9
            if not ok.any():
                continue
            j = int(np.argmin(np.where(ok, totals, np.inf)))
            if totals[j] < best_total * (1 - 1e-12):
                best_total, best_swap = float(totals[j]), (pos, j)
        if best_swap is None:
            break
        chosen[best_swap[0]] = best_swap[1]
    return chosen


@dataclass
class _Levels:
    """Per demand point: distinct candidate minutes below its existing minutes (ascending), and how many
    of them the current relaxation uses."""

    values: list[NDArray[np.float64]]
    used: NDArray[np.int64]


def _levels(inp: WhereNextInput, cap: NDArray[np.float64]) -> _Levels:
    values, used = [], []
    for i in range(len(inp.demand_ids)):
        row = inp.minutes[i]
        v = np.unique(row[row < inp.existing_minutes[i]])
        values.append(v)
        used.append(int(np.searchsorted(v, cap[i], side="right")) if len(v) else 0)
    return _Levels(values, np.maximum(np.asarray(used, dtype=np.int64), np.minimum(1, [len(v) for v in values])))


def _pmedian_mip(inp: WhereNextInput, lv: _Levels) -> tuple[RowwiseMip, float, list[tuple[int, int, int]]]:
    """Relaxed radius model with the used levels; returns it, the constant part, and (demand, first z
    column, levels) per demand with levels. Built per demand with numpy (coordinate triplets, then sorted into
    rows): on the 13,060 population points the levels number in the hundreds of thousands."""
    n_x = inp.minutes.shape[1]
    constant = 0.0
    costs, uppers = [np.zeros(n_x)], [np.ones(n_x)]
    r_ix: list[NDArray[np.int64]] = []
    c_ix: list[NDArray[np.int64]] = []
    vals_ix: list[NDArray[np.float64]] = []
    lows: list[NDArray[np.float64]] = []
    blocks: list[tuple[int, int, int]] = []
    n_cols, n_rows = n_x, 0
    for i, vals in enumerate(lv.values):
        w = float(inp.weight[i])
        if w <= 0:
            continue
        if len(vals) == 0:
            constant += w * inp.existing_minutes[i]
            continue
        used = int(lv.used[i])
        nxt = np.append(vals, inp.existing_minutes[i])  # level k+1 values, the last is the existing time
        constant += w * vals[0]
        blocks.append((i, n_cols, used))
        step = nxt[1:used + 1] - vals[:used]
        finite = np.isfinite(step)
        # An infinite step is "no site at all within reach": forbid it rather than price it.
        costs.append(np.where(finite, w * step, 0.0))
        uppers.append(finite.astype(float))
        # row k: z_k + sum_{j: d_ij == D_k} x_j - z_{k-1} >= 0 (>= 1 for k = 0, z_{-1} = 1)
        rows = n_rows + np.arange(used)
        z = n_cols + np.arange(used)
        row = inp.minutes[i]
        js = np.flatnonzero(row <= vals[used - 1])
        r_ix += [rows, rows[1:], n_rows + np.searchsorted(vals, row[js])]
        c_ix += [z, z[:-1], js]
        vals_ix += [np.ones(used), -np.ones(used - 1), np.ones(len(js))]
        lows.append(np.r_[1.0, np.zeros(used - 1)])
        n_cols += used
        n_rows += used
    x = np.arange(n_x)
    r_ix.append(np.full(n_x, n_rows))
    c_ix.append(x)
    vals_ix.append(np.ones(n_x))
    row_lo, row_hi = [*lows, [-np.inf]], [np.full(n_rows, np.inf), [float(inp.k)]]
    if inp.budget is not None:
        r_ix.append(np.full(n_x, n_rows + 1))
        c_ix.append(x)
        vals_ix.append(inp.site_cost.astype(float))
        row_lo.append([-np.inf])
        row_hi.append([float(inp.budget)])
    lo, hi = np.concatenate(row_lo), np.concatenate(row_hi)
    r = np.concatenate(r_ix)
    order = np.argsort(r, kind="stable")
    start = np.searchsorted(r[order], np.arange(len(lo) + 1))
    mip = RowwiseMip(cost=np.concatenate(costs), col_lo=np.zeros(n_cols), col_hi=np.concatenate(uppers),
                     integer=np.arange(n_cols) < n_x, row_lo=lo, row_hi=hi, start=start.astype(np.int64),
                     index=np.concatenate(c_ix)[order].astype(np.int64), value=np.concatenate(vals_ix)[order])
    return mip, constant, blocks


def _pmedian_start(inp: WhereNextInput, blocks: list[tuple[int, int, int]], lv: _Levels, n_cols: int,
                   chosen: NDArray[np.int64]) -> NDArray[np.float64]:
    x = np.zeros(n_cols)
    x[chosen] = 1.0
    d = nearest_minutes(inp, chosen)
    for i, first, used in blocks:
        vals = lv.values[i]
        x[first: first + used] = (d[i] > vals[:used]).astype(float)
    return x


def _uniform_k(inp: WhereNextInput) -> int | None:
    """The number of sites allowed when every candidate costs the same (a budget then only caps the count);
    None when costs differ under a budget (the Lagrangian phase handles a count limit only)."""
    cost = inp.site_cost
    if inp.budget is None or len(cost) == 0:
        return inp.k
    if not np.allclose(cost, cost[0], rtol=0.0, atol=1e-12):
        return None
    return inp.k if cost[0] <= 0 else min(inp.k, int(np.floor(inp.budget / cost[0] + 1e-9)))


def _level_count(inp: WhereNextInput) -> int:
    """Demand x candidate pairs closer than the demand's existing minutes (an upper bound on the radius
    model's level variables; weightless demands have none)."""
    closer = inp.minutes < inp.existing_minutes[:, None]
    return int(closer[inp.weight > 0].sum())


def _restrict(inp: WhereNextInput, free: NDArray[np.int64], fixed_in: NDArray[np.int64], k: int,
              ) -> WhereNextInput:
    """The instance left after fixing: candidates ``free``, sites ``fixed_in`` counted as existing, ``k`` more
    sites (only used when costs are uniform, so any budget is already in ``k``)."""
    return replace(inp, candidate_ids=[inp.candidate_ids[j] for j in free], minutes=inp.minutes[:, free],
                   existing_minutes=nearest_minutes(inp, fixed_in), site_cost=inp.site_cost[free], k=k,
                   budget=None)


def _polisher(inp: WhereNextInput, deadline: float = np.inf,
              ) -> Callable[[NDArray[np.int64]], tuple[NDArray[np.int64], float]]:
    """Local search for the Lagrangian phase: vertex substitution from the given sites, and the plan's value."""

    def polish(sites: NDArray[np.int64]) -> tuple[NDArray[np.int64], float]:
        better = _vertex_substitution(inp, sites, deadline=deadline)
        return better, pmedian_objective(inp, better)
    return polish


def _levels_within(inp: WhereNextInput, cap: NDArray[np.float64]) -> int:
    """Demand x candidate pairs closer than the demand's existing minutes and within its ``cap`` (an upper
    bound on the level columns of the radius model built with that cap)."""
    pairs = (inp.minutes < inp.existing_minutes[:, None]) & (inp.minutes <= cap[:, None])
    return int(pairs[inp.weight > 0].sum())


def _radius_mip(inp: WhereNextInput, incumbent: NDArray[np.int64], best_obj: float, cap: NDArray[np.float64],
                settings: AccessSettings, deadline: float) -> tuple[NDArray[np.int64], float, str, float | None, int]:
    """Solve the radius model with levels up to ``cap`` minutes per demand, adding levels where the chosen
    sites lie beyond a demand's cap, until none does (then the relaxation's optimum is the true optimum) or
    time runs out. Returns the incumbent, its value, status, best bound and the number of MIP solves."""
    lv = _levels(inp, cap)
    n_x = inp.minutes.shape[1]
    iterations, status, bound = 0, "optimal", None
    while True:
        iterations += 1
        mip, constant, blocks = _pmedian_mip(inp, lv)
        res = solve_mip(mip, deadline - time.perf_counter(), settings.seed, settings.threads, settings.mip_rel_gap,
                        start=_pmedian_start(inp, blocks, lv, len(mip.cost), incumbent))
        if res.x is None:
            status = "time_limit" if res.status == "time_limit" else "infeasible"
            break
        chosen = np.flatnonzero(res.x[:n_x] > 0.5)
        obj = pmedian_objective(inp, chosen)
        if obj < best_obj:
            incumbent, best_obj = chosen, obj
        if res.bound is not None and np.isfinite(res.bound):
            bound = max(bound, constant + res.bound) if bound is not None else constant + res.bound
        if res.status != "optimal":
            status = "feasible"
            break
        d = nearest_minutes(inp, chosen)
        grew = False
        for i, _first, used in blocks:
            vals = lv.values[i]
            level_cap = vals[used] if used < len(vals) else inp.existing_minutes[i]
            if d[i] > level_cap:
                lv.used[i] = int(np.searchsorted(vals, d[i], side="right"))
                grew = True
        if not grew:
            status = "optimal"
            break
        if time.perf_counter() >= deadline:
            status = "feasible"
            break
    return incumbent, best_obj, status, bound, iterations


def solve_pmedian(inp: WhereNextInput, settings: AccessSettings | None = None) -> WhereNextPlan:
    """p-median: choose at most K candidates (within budget) minimising weighted minutes to the nearest.

    Greedy + vertex substitution give the first plan; the Lagrangian phase (up to
    :data:`LAGRANGIAN_SHARE` of the time limit, or all of it when the radius MIP could not fit, see
    :data:`LAGRANGIAN_ONLY_LEVELS`) raises a lower bound, improves the plan and fixes candidates; the radius MIP
    on the candidates left, when it has at most :data:`MAX_MIP_LEVELS` levels, proves optimality or reports the
    gap to the best bound. The solvers stop by :func:`work_deadline`, so the call ends within the limit.
    """
    settings = settings or AccessSettings()
    t0 = time.perf_counter()
    deadline = work_deadline(t0, settings.time_limit_s)
    no_existing = ~np.isfinite(inp.existing_minutes) & (inp.weight > 0)
    if no_existing.any() and (inp.k == 0 or inp.minutes.shape[1] == 0):
        i = int(np.flatnonzero(no_existing)[0])
        return finish("pmedian", inp, Outcome("infeasible", explanation=said("models.access.unreachable",
                                                                             point=inp.demand_ids[i])), t0)
    incumbent = _pmedian_greedy(inp, t0 + START_SHARE * settings.time_limit_s)
    best_obj = pmedian_objective(inp, incumbent)
    k_eff = _uniform_k(inp)
    sub, free, fixed_in = inp, np.arange(inp.minutes.shape[1], dtype=np.int64), np.zeros(0, dtype=np.int64)
    lag_bound, radius = None, np.zeros(len(inp.demand_ids))
    levels = _level_count(inp)
    small = levels <= FULL_LEVELS_DIRECT
    if not small and k_eff is not None and np.isfinite(best_obj):
        lag_end = (deadline if levels > LAGRANGIAN_ONLY_LEVELS
                   else min(deadline, t0 + (START_SHARE + LAGRANGIAN_SHARE) * settings.time_limit_s))
        lag = lagrangian_fixing(inp.minutes, inp.weight, inp.existing_minutes, k_eff, incumbent, best_obj,
                                lag_end - time.perf_counter(), _polisher(inp, lag_end), rel_tol=settings.mip_rel_gap)
        incumbent, best_obj, lag_bound, radius = lag.incumbent, lag.upper, lag.bound, lag.radius
        if lag_bound >= best_obj - settings.mip_rel_gap * abs(best_obj):
            return finish("pmedian", inp, Outcome("optimal", incumbent, best_obj, lag_bound, 0), t0)
        if time.perf_counter() >= deadline - MIP_SHARE * settings.time_limit_s:
            return finish("pmedian", inp, Outcome("feasible", incumbent, best_obj, lag_bound, 0,
                                                  said("models.access.no_time_for_mip")), t0)
        free, fixed_in = lag.free, lag.fixed_in
        sub = _restrict(inp, free, fixed_in, k_eff - len(fixed_in))
    position = {int(j): p for p, j in enumerate(free)}
    start = np.asarray([position[int(j)] for j in incumbent if int(j) in position], dtype=np.int64)
    # All levels when few; else up to each demand's Lagrangian radius (where the LP stops valuing closer
    # sites) or its plan minutes: on the national K = 25 instance 7,719 of the 180,237 levels left after
    # fixing, and the first relaxation already proves optimality.
    small = small or _level_count(sub) <= FULL_LEVELS_DIRECT
    cap = np.full(len(sub.demand_ids), np.inf) if small else np.maximum(nearest_minutes(sub, start), radius)
    if lag_bound is not None and _levels_within(sub, cap) > MAX_MIP_LEVELS:
        return finish("pmedian", inp, Outcome("feasible", incumbent, best_obj, lag_bound, 0,
                                              said("models.access.mip_too_large")), t0)
    chosen_sub, _, status, bound, iterations = _radius_mip(sub, start, pmedian_objective(sub, start), cap,
                                                           settings, deadline)
    chosen = np.sort(np.concatenate([fixed_in, free[chosen_sub]])).astype(np.int64)
    obj = pmedian_objective(inp, chosen)
    if obj < best_obj:
        incumbent, best_obj = chosen, obj
    if lag_bound is not None:
        bound = max(bound, lag_bound) if bound is not None else lag_bound
    if status in {"infeasible", "time_limit"} and not len(incumbent) and inp.k > 0:
        return finish("pmedian", inp, Outcome(status, iterations=iterations,
                                              explanation=said("models.highs_no_solution")), t0)
    return finish("pmedian", inp, Outcome(status if status != "time_limit" else "feasible", incumbent, best_obj,
                                          bound, iterations), t0)
