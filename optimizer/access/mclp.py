"""Maximal covering (MCLP) where-next model, with HiGHS.

Maximise the weight (people x marginalisation weight) within ``minutes_limit`` of a 24/7 site, choosing at most
K candidates within the budget. People already covered count as a constant; candidates that cover nobody new or
are dominated by another candidate (a superset of its coverage at no greater cost) are dropped, and demand points
with the same set of covering candidates are merged exactly (their weights add), so the MIP's size follows the
distinct covering sets of the useful candidates rather than the number of demand points.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from optimizer.access.highs_mip import MipResult, RowwiseMip, solve_mip
from optimizer.access.settings import AccessSettings
from optimizer.access.where_next import WhereNextInput, WhereNextPlan, budget_allows, finish, nearest_minutes


def mclp_objective(inp: WhereNextInput, chosen: NDArray[np.int64]) -> float:
    """Weight within ``minutes_limit`` of a 24/7 site (existing or chosen)."""
    return float(inp.weight[nearest_minutes(inp, chosen) <= inp.minutes_limit].sum())


def _mclp_greedy(cover: list[NDArray[np.int64]], w: NDArray[np.float64], inp: WhereNextInput,
                 cols: NDArray[np.int64]) -> NDArray[np.float64]:
    """Greedy start on the reduced model: add the column with most new weight (per cost) while allowed."""
    n_cols = len(cols)
    col_rows: list[list[int]] = [[] for _ in range(n_cols)]
    for r, cs in enumerate(cover):
        for c in cs:
            col_rows[c].append(r)
    covered = np.zeros(len(w), dtype=bool)
    pick = np.zeros(n_cols)
    spent = 0.0
    for _ in range(inp.k):
        best, best_val = -1, 0.0
        for c in range(n_cols):
            if pick[c] or not budget_allows(inp, spent, int(cols[c])):
                continue
            rows = col_rows[c]
            gain = w[rows][~covered[rows]].sum() if rows else 0.0
            val = gain / inp.site_cost[cols[c]] if inp.site_cost[cols[c]] > 0 else gain * 1e12
            if val > best_val:
                best, best_val = c, val
        if best < 0:
            break
        pick[best] = 1
        spent += inp.site_cost[cols[best]]
        covered[col_rows[best]] = True
    y = np.array([1.0 if pick[cs].any() else 0.0 for cs in cover])
    return np.concatenate([pick, y])


def dominated_columns(cover: NDArray[np.bool_], cost: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Candidates some other candidate makes redundant: it covers a superset of their demand rows at no greater
    cost (identical ones: the first is kept). Dropping them is exact: in any plan a dominated site can be
    swapped for (or, if already chosen, dropped in favour of) the one dominating it without losing coverage or
    exceeding K or the budget, and "dominates" is a strict partial order, so an undominated dominator exists."""
    c = cover.astype(np.float32)
    overlap = c.T @ c  # overlap[a, b] = rows covered by both a and b (exact in float32 below 2^24 rows)
    size = np.diag(overlap)
    subset = overlap == size[:, None]  # subset[a, b]: a's rows are all covered by b
    idx = np.arange(len(size))
    beats = (cost[None, :] < cost[:, None]) | ((cost[None, :] == cost[:, None])
                                               & ((size[None, :] > size[:, None]) | (idx[None, :] < idx[:, None])))
    np.fill_diagonal(subset, False)
    return (subset & beats).any(axis=1)


def _reduce(reach: NDArray[np.bool_], weight: NDArray[np.float64], site_cost: NDArray[np.float64],
            ) -> tuple[NDArray[np.int64], list[NDArray[np.int64]], NDArray[np.float64]]:
    """The covering model's columns (candidate indices) and rows after exact reductions: candidates covering no
    open demand or dominated (:func:`dominated_columns`) leave; demand points with the same covering set merge
    (their weights add; the objective only sees the set). Returns columns, each row's column positions, weights."""
    cols = np.flatnonzero(reach.any(axis=0))
    if len(cols) == 0:
        return cols, [], np.zeros(0)
    cols = cols[~dominated_columns(reach[:, cols], site_cost[cols])]
    sub = reach[:, cols]
    keep = sub.any(axis=1)
    _, first, group = np.unique(np.packbits(sub[keep], axis=1), axis=0, return_index=True, return_inverse=True)
    w = np.bincount(group.ravel(), weights=weight[keep], minlength=len(first))
    rows = sub[keep][first]
    return cols.astype(np.int64), [np.flatnonzero(r) for r in rows], w


def solve_mclp(inp: WhereNextInput, settings: AccessSettings | None = None) -> WhereNextPlan:
    """Maximal covering: choose at most K candidates (within budget) maximising weight within the limit."""
    settings = settings or AccessSettings()
    t0 = time.perf_counter()
    covered_now = inp.existing_minutes <= inp.minutes_limit
    base = float(inp.weight[covered_now].sum())
    reach = inp.minutes <= inp.minutes_limit
    open_rows = np.flatnonzero(~covered_now & reach.any(axis=1) & (inp.weight > 0))
    cols, cover, w = _reduce(reach[open_rows], inp.weight[open_rows], inp.site_cost)
    if len(cols) == 0 or inp.k == 0:
        return finish("mclp", inp, "optimal", np.zeros(0, dtype=np.int64), base, base, t0,
                       explanation="" if len(cols) else "no candidate brings anyone new within the limit")
    n_x, n_y = len(cols), len(cover)
    # Rows: y_r - sum_{c in cover_r} x_c <= 0 ; sum x <= K ; (sum cost x <= budget).
    starts, index, value = [0], [], []
    for r, cs in enumerate(cover):
        index.extend([n_x + r, *cs.tolist()])
        value.extend([1.0, *([-1.0] * len(cs))])
        starts.append(len(index))
    index.extend(range(n_x))
    value.extend([1.0] * n_x)
    starts.append(len(index))
    row_hi = [0.0] * n_y + [float(inp.k)]
    if inp.budget is not None:
        index.extend(range(n_x))
        value.extend(inp.site_cost[cols].tolist())
        starts.append(len(index))
        row_hi.append(float(inp.budget))
    mip = RowwiseMip(
        cost=np.concatenate([np.zeros(n_x), w]), col_lo=np.zeros(n_x + n_y), col_hi=np.ones(n_x + n_y),
        integer=np.concatenate([np.ones(n_x, bool), np.zeros(n_y, bool)]),
        row_lo=np.full(len(row_hi), -np.inf), row_hi=np.asarray(row_hi), start=np.asarray(starts, np.int64),
        index=np.asarray(index, np.int64), value=np.asarray(value), maximize=True)
    res = solve_mip(mip, settings.time_limit_s - (time.perf_counter() - t0), settings.seed, settings.threads,
                    settings.mip_rel_gap, start=_mclp_greedy(cover, w, inp, cols))
    return _mclp_plan(inp, res, cols, base, t0)


def _mclp_plan(inp: WhereNextInput, res: MipResult, cols: NDArray[np.int64], base: float, t0: float,
               ) -> WhereNextPlan:
    if res.x is None:
        why = ("HiGHS found no solution within the time limit" if res.status == "time_limit"
               else "HiGHS reports the covering model infeasible")
        return finish("mclp", inp, res.status, np.zeros(0, dtype=np.int64), None, None, t0, explanation=why)
    chosen = cols[res.x[: len(cols)] > 0.5]
    objective = mclp_objective(inp, chosen)
    bound = base + res.bound if res.bound is not None else None
    return finish("mclp", inp, res.status, chosen, objective, bound, t0)


