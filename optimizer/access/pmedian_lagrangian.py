"""Lagrangian bound and variable fixing for the where-next p-median (Beasley 1993; Garcia, Labbe & Marin 2011).

Relaxing "every municipality is served by one site" with a multiplier ``lam[i]`` (weighted minutes) leaves

    L(lam) = sum_i min(lam_i, w_i e_i) + (sum of the K most negative rho_j),  rho_j = sum_i min(0, w_i d_ij - lam_i)

(``e_i``: minutes to the nearest site already 24/7, ``inf`` if none), a lower bound on the optimal weighted
minutes for every ``lam``; its maximum equals the LP bound of the strong formulation, which on the national
instances lies within a few tenths of a percent of the optimum. A deflected subgradient method (Polyak steps
towards the incumbent's value) raises it in milliseconds per step with numpy, and every step also tests
each candidate: if forcing ``j`` out of (into) the Lagrangian choice lifts the bound above the incumbent,
no optimal plan opens (closes) ``j``, so it is fixed closed (open) and its column leaves the problem. The
MIP that proves optimality then runs on the few candidates left. The Lagrangian choice of sites, polished
by the caller's local search, also improves the incumbent.

Fixing uses the incumbent value plus a tolerance of ``rel_tol`` x |incumbent|, so every plan within that
tolerance of the incumbent survives it; the bound stays valid for the original instance because every
plan at least as good as the incumbent is still feasible after fixing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Halve the step factor after this many steps without a relative bound gain of 1e-7.
STALL_STEPS = 200
#: Deflection: each direction is the subgradient plus this share of the previous direction. Measured on the
#: national instance at K = 25 (seconds to a 5e-4 gap): 0.3 / 0.5 / 0.7 / 0.8 -> 17.6 / 12.4 / 8.0 / 4.6 s.
DEFLECTION = 0.8
#: Stop when the step factor falls below this (the bound has converged for this method).
MIN_STEP = 1e-4
#: Stop once the bound is within this relative gap of the incumbent: the MIP then closes the rest in about a
#: second on the national instances (measured: 1.3 s at 7.6e-4, 4 s at 1.7e-3, 28 s at 4.4e-3 for K = 25).
TARGET_GAP = 5e-4
#: Polish the Lagrangian choice of sites at most once per this many steps (local search costs 0.1-1 s on the
#: 2,469 municipal points, several seconds on the 13,060 population points of a busy host) ...
POLISH_EVERY = 150
#: ... and only when the choice is already within this relative distance of the incumbent (a poor early choice
#: takes the local search many swaps and rarely beats the incumbent).
POLISH_WITHIN = 0.02


@dataclass(frozen=True)
class LagrangianResult:
    """Outcome of :func:`lagrangian_fixing`, in the caller's candidate indices.

    ``bound``: lower bound on the optimal weighted minutes of the original instance. ``free``: candidates
    neither fixed closed nor open; ``fixed_in``: candidates open in every plan better than the incumbent.
    ``radius[i]``: minutes up to which the best multipliers value serving demand i (``lam_i / w_i``), a
    guide to which distance levels the MIP needs. ``incumbent`` / ``upper``: the best plan seen.
    """

    bound: float
    free: NDArray[np.int64]
    fixed_in: NDArray[np.int64]
    radius: NDArray[np.float64]
    incumbent: NDArray[np.int64]
    upper: float
    iterations: int
    seconds: float


class _Sorted:
    """Each demand's weighted minutes to every candidate in ascending order (with the candidate of each entry),
    each demand's fallback cost ``base`` (weight x minutes to the nearest site already open or fixed open), and
    which candidates are still free.

    The multipliers are kept at most ``base`` (raising one above it only lowers the bound), so a candidate adds
    to rho_j only where its weighted minutes lie below the demand's multiplier: a prefix of the demand's sorted
    row. A step then touches those prefixes, not the whole demand x candidate matrix: on the 13,060 population
    points x 328 hospitals of Mexico a few hundred thousand entries instead of 4.3 million.
    """

    def __init__(self, minutes: NDArray[np.float64], weight: NDArray[np.float64],
                 existing: NDArray[np.float64]) -> None:
        self.minutes = minutes
        self.weight = weight
        self.existing = existing.copy()
        cost = weight[:, None] * minutes
        self.order = np.argsort(cost, axis=1, kind="stable").astype(np.int32)
        self.sorted = np.take_along_axis(cost, self.order, axis=1)
        self.free = np.ones(minutes.shape[1], dtype=bool)
        self.fixed_in: list[int] = []
        self._rebase()

    def _rebase(self) -> None:
        self.base = np.where(np.isfinite(self.existing), self.weight * self.existing, np.inf)

    def fix(self, out: NDArray[np.int64], into: NDArray[np.int64]) -> None:
        """Close candidates ``out`` for good; open ``into`` (they become existing sites)."""
        for j in into:
            self.existing = np.minimum(self.existing, self.minutes[:, j])
            self.fixed_in.append(int(j))
        self.free[out] = False
        self.free[into] = False
        self._rebase()

    def prefix(self, lam: NDArray[np.float64]) -> NDArray[np.int64]:
        """Per demand, how many of its sorted entries lie strictly below its multiplier (vectorised binary
        search over the rows, about log2(candidates) passes)."""
        n, m = self.sorted.shape
        rows_m = np.arange(n) * m
        flat = self.sorted.ravel()
        lo, hi = np.zeros(n, dtype=np.int64), np.full(n, m, dtype=np.int64)
        while (active := lo < hi).any():
            mid = (lo + hi) // 2
            below = flat[rows_m + np.minimum(mid, m - 1)] < lam
            lo = np.where(active & below, mid + 1, lo)
            hi = np.where(active & ~below, mid, hi)
        return lo

    def entries(self, lam: NDArray[np.float64], length: NDArray[np.int64],
                ) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.float64]]:
        """Demand, candidate and ``cost - lam`` of the first ``length[i]`` sorted entries of every demand i."""
        rows = np.repeat(np.arange(len(length)), length)
        flat = np.arange(len(rows)) - np.repeat(np.cumsum(length) - length, length) + rows * self.sorted.shape[1]
        return rows, self.order.ravel()[flat], self.sorted.ravel()[flat] - lam[rows]


def lagrangian_fixing(minutes: NDArray[np.float64], weight: NDArray[np.float64], existing: NDArray[np.float64],
                      k: int, incumbent: NDArray[np.int64], upper: float, time_limit_s: float,
                      polish: Callable[[NDArray[np.int64]], tuple[NDArray[np.int64], float]],
                      rel_tol: float = 1e-9, stop_gap: float = TARGET_GAP, max_steps: int = 20_000,
                      ) -> LagrangianResult:
    """Lagrangian bound and fixing for choosing at most ``k`` columns of ``minutes`` (demand x candidate,
    minutes) to minimise sum_i weight_i x minutes to the nearest chosen column or ``existing`` site.

    ``incumbent`` (candidate indices) with value ``upper`` is the best known plan; ``polish(sites)`` turns a
    set of sites into a locally optimal plan and its value. Runs until the bound is within ``stop_gap``
    (relative) of the incumbent, the step factor has converged, ``max_steps`` or ``time_limit_s`` (wall s).
    """
    t0 = time.perf_counter()
    # Only demands some candidate can bring closer matter; the others add a constant w_i e_i.
    rows = (weight > 0) & (minutes.min(axis=1, initial=np.inf) < existing)
    constant = float((weight[~rows] * np.where(weight[~rows] > 0, existing[~rows], 0.0)).sum())
    red = _Sorted(minutes[rows], weight[rows], existing[rows])
    n_cols = minutes.shape[1]
    k_left = k
    d_inc = np.minimum(existing, minutes[:, incumbent].min(axis=1)) if len(incumbent) else existing.copy()
    lam = np.minimum(np.where(np.isfinite(d_inc), weight * d_inc, 0.0)[rows], red.base)
    best, best_lam, mu, stall = -np.inf, lam.copy(), 1.0, 0
    direction: NDArray[np.float64] | None = None
    last_polished = frozenset(int(j) for j in incumbent)
    since_polish = POLISH_EVERY
    steps = 0
    while steps < max_steps:
        steps += 1
        tol = rel_tol * abs(upper)
        e_row, e_col, e_val = red.entries(lam, red.prefix(lam))
        free = np.flatnonzero(red.free)
        rho = np.bincount(e_col, weights=e_val, minlength=n_cols)[free]
        m = len(rho)
        kk = min(k_left, m)
        order = np.argsort(rho, kind="stable")
        pick = order[:kk]
        value = constant + float(lam.sum() + rho[pick].sum())
        if kk == 0:  # nothing left to choose: the bound is the value of the fixed plan
            value = constant + float(red.base.sum())
        if value > best:
            stall = 0 if value > best + 1e-7 * abs(value) else stall + 1
            best, best_lam = value, lam.copy()
        else:
            stall += 1
        if best >= upper - max(tol, stop_gap * abs(upper)) or kk == 0:
            break
        # Fixing tests: a candidate outside (inside) the choice swapped in (out) for the K-th (K+1-th).
        rho_k = rho[order[kk - 1]]
        rho_next = rho[order[kk]] if kk < m else 0.0
        in_pick = np.zeros(m, dtype=bool)
        in_pick[pick] = True
        out = ~in_pick & (value + rho - rho_k > upper + tol)
        into = in_pick & (value - rho + rho_next > upper + tol)
        if out.any() or into.any():
            k_left -= int(into.sum())
            red.fix(free[out], free[into])
            lam = np.minimum(lam, red.base)
            direction = None
            continue
        since_polish += 1
        chosen = frozenset(int(j) for j in free[pick]) | frozenset(red.fixed_in)
        if since_polish >= POLISH_EVERY and chosen != last_polished:
            since_polish, last_polished = 0, chosen
            sites = np.fromiter(sorted(chosen), dtype=np.int64)
            d = np.minimum(existing, minutes[:, sites].min(axis=1)) if len(sites) else existing
            if float((weight * d).sum()) <= (1.0 + POLISH_WITHIN) * upper:
                sites, val = polish(sites)
                if val < upper:
                    incumbent, upper = sites, val
        if stall >= STALL_STEPS:
            mu, stall = mu / 2.0, 0
        if mu < MIN_STEP or time.perf_counter() - t0 >= time_limit_s:
            break
        picked = np.zeros(n_cols)
        picked[free[pick]] = 1.0
        served = (red.base <= lam).astype(float) + np.bincount(e_row, weights=picked[e_col], minlength=len(lam))
        g = 1.0 - served
        direction = g if direction is None else g + DEFLECTION * direction
        norm = float((direction * direction).sum())
        if norm == 0.0:  # the Lagrangian choice serves every demand exactly once: it is optimal
            break
        lam = np.minimum(lam + mu * (upper - value) / norm * direction, red.base)
    radius = np.zeros(len(weight))
    radius[rows] = best_lam / weight[rows]
    return LagrangianResult(bound=min(best, upper), free=np.flatnonzero(red.free).astype(np.int64),
                            fixed_in=np.asarray(sorted(red.fixed_in), dtype=np.int64), radius=radius,
                            incumbent=np.asarray(incumbent, dtype=np.int64), upper=upper, iterations=steps,
                            seconds=time.perf_counter() - t0)
