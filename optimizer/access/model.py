"""Where should the next complete surgical teams go? Maximal covering (MCLP) and p-median, with HiGHS.

Both models choose at most K candidate sites (hospitals, or in a what-if municipalities) on top of the
hospitals already 24/7, within an optional budget:

- MCLP: maximise the weight (people x marginalisation weight) within ``minutes_limit`` of a 24/7 site.
  People already covered count as a constant; demand points with the same set of covering candidates are
  merged exactly (their weights add), and candidates that cover nobody new are dropped.
- p-median: minimise the weighted minutes from each municipality to its nearest 24/7 site, in three steps
  (the scheme of Garcia, Labbe & Marin 2011). (1) Greedy + vertex substitution give a plan. (2) A
  Lagrangian relaxation (``pmedian_lagrangian``) raises a lower bound to within tenths of a percent of the
  optimum in seconds, improves the plan, and fixes every candidate whose opening (closing) would provably
  cost more than the plan: on the national instance most candidates leave the model. (3) The radius
  (cumulative-distance) formulation of Elloumi (2010) on the candidates left: for each demand i, the
  distinct candidate distances below its current minutes are levels, and z_ik = 1 when no chosen site is
  within level k; nonzeros grow with candidates per demand, not squared. Levels are generated lazily:
  first up to each demand's Lagrangian radius or plan minutes (a relaxation: a demand's cost is capped at
  its next level), then extended for demands whose chosen-site minutes exceed their cap, until none does;
  then the relaxation's optimum is the true optimum. With caps from the plan's minutes alone (the earlier
  version) the relaxation was weak without existing coverage (12.6 % gap at K = 10 after 60 s); the
  Lagrangian radii, bound and fixing are what close it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimizer.access.highs_mip import MipResult, RowwiseMip, solve_mip
from optimizer.access.pmedian_lagrangian import lagrangian_fixing
from optimizer.access.scope import AccessScope
from optimizer.access.settings import AccessSettings
from optimizer.access.travel import Points, travel_minutes

Status = Literal["optimal", "feasible", "infeasible", "time_limit"]

#: Share of a p-median solve's time limit the Lagrangian bound-and-fix phase may use before the MIP.
LAGRANGIAN_SHARE = 0.4
#: A p-median instance with at most this many distance levels (demand x candidate pairs closer than the
#: demand's existing 24/7 hospital) goes straight to the MIP with all its levels, whose LP bound is the strong
#: one: the national instance with 59 hospitals 24/7 has 11,192 and is proven optimal in about 1.2 s, faster
#: than with a Lagrangian phase first (3-10 s). Larger instances (the national one without existing
#: coverage has 809,832) get the Lagrangian phase and lazily generated levels.
FULL_LEVELS_DIRECT = 30_000


@dataclass(frozen=True)
class WhereNextInput:
    """A where-next instance on a cost matrix (minutes), independent of where the matrix came from.

    ``minutes[i, j]``: demand point i to candidate j; ``existing_minutes[i]``: to the nearest hospital
    already 24/7 (``inf`` if none); ``population`` persons and ``weight`` (people x degree weight) per
    demand point; ``site_cost`` per candidate in the budget's unit (MXN per month, or 1 = teams).
    """

    demand_ids: list[str]
    candidate_ids: list[str]
    minutes: NDArray[np.float64]
    existing_minutes: NDArray[np.float64]
    population: NDArray[np.float64]
    weight: NDArray[np.float64]
    site_cost: NDArray[np.float64]
    k: int
    minutes_limit: float
    budget: float | None = None

    def __post_init__(self) -> None:
        n, m = self.minutes.shape
        for name, arr, size in (("existing_minutes", self.existing_minutes, n), ("population", self.population, n),
                                ("weight", self.weight, n), ("site_cost", self.site_cost, m)):
            if arr.shape != (size,):
                raise ValueError(f"{name} has shape {arr.shape}, expected ({size},)")
        if len(self.demand_ids) != n or len(self.candidate_ids) != m:
            raise ValueError("demand_ids / candidate_ids do not match the minutes matrix")
        if self.k < 0:
            raise ValueError(f"K must be >= 0 (got {self.k})")
        if self.minutes_limit <= 0:
            raise ValueError(f"minutes_limit must be > 0 (got {self.minutes_limit})")
        if (self.minutes < 0).any() or np.isnan(self.minutes).any():
            raise ValueError("minutes must be >= 0 and not NaN")
        if (self.weight < 0).any() or (self.population < 0).any() or (self.site_cost < 0).any():
            raise ValueError("population, weight and site_cost must be >= 0")

    @classmethod
    def from_scope(cls, scope: AccessScope, hospitals_24_7: Sequence[str], k: int, minutes_limit: float,
                   settings: AccessSettings | None = None, candidates: Literal["hospitals", "municipalities"]
                   = "hospitals", budget: float | None = None,
                   weighting: Literal["marginalisation", "population"] = "marginalisation") -> WhereNextInput:
        """Instance over a scope: candidates are the hospitals with an operating room that are not yet
        24/7 and lie in a state in scope, or (what-if) every municipality in scope as a new site.
        ``weighting``: a person counts by the degree weight of their municipality, or 1 each."""
        settings = settings or AccessSettings()
        m = scope.municipalities
        existing, _ = scope.minutes_to_nearest(sorted(set(hospitals_24_7)))
        if candidates == "hospitals":
            h = scope.hospitals
            mask = ((h["operating_rooms"] >= 1) & ~h["clues"].isin(set(hospitals_24_7))
                    & h["cve_ent"].isin(set(m["cve_ent"]))).to_numpy()
            ids = h.loc[mask, "clues"].tolist()
            minutes = scope.hospital_minutes[:, mask]
        else:
            pts = Points.of(m["lat"], m["lon"], m["cve_ent"])
            ids = m["cvegeo"].tolist()
            minutes = travel_minutes(pts, pts, settings.travel)
        population = m["population"].to_numpy(dtype=float)
        deg_w = {str(k_): v for k_, v in settings.degree_weights.items()}
        weight = (population * m["degree"].map(deg_w).to_numpy(dtype=float) if weighting == "marginalisation"
                  else population.copy())
        return cls(demand_ids=m["cvegeo"].tolist(), candidate_ids=ids, minutes=np.asarray(minutes, float),
                   existing_minutes=existing, population=population, weight=weight,
                   site_cost=np.full(len(ids), settings.team_cost_mxn), k=k, minutes_limit=minutes_limit,
                   budget=budget)


@dataclass
class WhereNextPlan:
    """Chosen sites and what they achieve. ``objective``: MCLP = weight within the limit (existing
    coverage included); p-median = sum of weight x minutes to the nearest 24/7 site."""

    model: Literal["mclp", "pmedian"]
    status: Status
    chosen: list[str]
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    population_covered_before: int = 0
    population_covered_after: int = 0
    iterations: int = 1
    explanation: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary with the per-site table."""
        return {"model": self.model, "status": self.status, "chosen": self.chosen, "objective": self.objective,
                "bound": self.bound, "gap": self.gap, "solve_seconds": self.solve_seconds,
                "population_covered_before": self.population_covered_before,
                "population_covered_after": self.population_covered_after, "iterations": self.iterations,
                "explanation": self.explanation, "sites": self.sites.to_dict(orient="records")}


# --- shared pieces ------------------------------------------------------------------------------------------


def nearest_minutes(inp: WhereNextInput, chosen: NDArray[np.int64]) -> NDArray[np.float64]:
    """Minutes from each demand point to its nearest 24/7 site once ``chosen`` candidates are added."""
    if len(chosen) == 0:
        return inp.existing_minutes.copy()
    return np.minimum(inp.existing_minutes, inp.minutes[:, chosen].min(axis=1))


def site_contributions(inp: WhereNextInput, chosen: NDArray[np.int64], by: Literal["coverage", "minutes"]
                       = "coverage") -> pd.DataFrame:
    """Per chosen site, in order of decreasing contribution (``by`` weight newly covered, or weighted minutes
    saved): people it brings within the limit and weighted minutes it saves, each given the existing
    hospitals and the sites listed before it (minutes saved count only people who had a hospital before)."""
    rest = list(map(int, chosen))
    current = inp.existing_minutes.copy()
    rows = []

    def effect(j: int) -> tuple[NDArray[np.float64], NDArray[np.bool_], float]:
        new = np.minimum(current, inp.minutes[:, j])
        newly = (new <= inp.minutes_limit) & ~(current <= inp.minutes_limit)
        saved = float((inp.weight * np.where(np.isfinite(current), current - new, 0.0)).sum())
        return new, newly, saved

    while rest:
        effects = [effect(j) for j in rest]
        scores = [float(inp.weight[e[1]].sum()) if by == "coverage" else e[2] for e in effects]
        pick = int(np.argmax(scores))
        j = rest.pop(pick)
        new, newly, saved = effects[pick]
        rows.append({"site": inp.candidate_ids[j], "population_added": int(inp.population[newly].sum()),
                     "weight_added": float(inp.weight[newly].sum()),
                     "municipalities_added": int(newly.sum()), "weighted_minutes_saved": saved,
                     "cost": float(inp.site_cost[j])})
        current = new
    return pd.DataFrame(rows, columns=["site", "population_added", "weight_added", "municipalities_added",
                                       "weighted_minutes_saved", "cost"])


def _finish(model: Literal["mclp", "pmedian"], inp: WhereNextInput, res_status: Status, chosen: NDArray[np.int64],
            objective: float | None, bound: float | None, t0: float, iterations: int = 1,
            explanation: str = "") -> WhereNextPlan:
    covered_before = int(inp.population[inp.existing_minutes <= inp.minutes_limit].sum())
    covered_after = int(inp.population[nearest_minutes(inp, chosen) <= inp.minutes_limit].sum())
    gap = None
    if objective is not None and bound is not None:
        gap = abs(bound - objective) / max(abs(objective), 1e-9)
    return WhereNextPlan(model=model, status=res_status, chosen=[inp.candidate_ids[j] for j in chosen],
                         objective=objective, bound=bound, gap=gap, solve_seconds=time.perf_counter() - t0,
                         sites=site_contributions(inp, chosen, "coverage" if model == "mclp" else "minutes"),
                         population_covered_before=covered_before,
                         population_covered_after=covered_after, iterations=iterations,
                         explanation=explanation)


def _budget_allows(inp: WhereNextInput, chosen_cost: float, j: int) -> bool:
    return inp.budget is None or chosen_cost + inp.site_cost[j] <= inp.budget + 1e-9


# --- MCLP ---------------------------------------------------------------------------------------------------


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
            if pick[c] or not _budget_allows(inp, spent, int(cols[c])):
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


def solve_mclp(inp: WhereNextInput, settings: AccessSettings | None = None) -> WhereNextPlan:
    """Maximal covering: choose at most K candidates (within budget) maximising weight within the limit."""
    settings = settings or AccessSettings()
    t0 = time.perf_counter()
    covered_now = inp.existing_minutes <= inp.minutes_limit
    base = float(inp.weight[covered_now].sum())
    reach = inp.minutes <= inp.minutes_limit
    open_rows = np.flatnonzero(~covered_now & reach.any(axis=1) & (inp.weight > 0))
    # Merge demand points with identical covering sets (exact: the objective only sees the set).
    groups: dict[bytes, int] = {}
    cover_sets: list[NDArray[np.int64]] = []
    weights: list[float] = []
    for i in open_rows:
        key = np.packbits(reach[i]).tobytes()
        g = groups.get(key)
        if g is None:
            groups[key] = len(cover_sets)
            cover_sets.append(np.flatnonzero(reach[i]))
            weights.append(float(inp.weight[i]))
        else:
            weights[g] += float(inp.weight[i])
    cols = np.unique(np.concatenate(cover_sets)) if cover_sets else np.zeros(0, dtype=np.int64)
    if len(cols) == 0 or inp.k == 0:
        return _finish("mclp", inp, "optimal", np.zeros(0, dtype=np.int64), base, base, t0,
                       explanation="" if len(cols) else "no candidate brings anyone new within the limit")
    remap = np.full(inp.minutes.shape[1], -1, dtype=np.int64)
    remap[cols] = np.arange(len(cols))
    cover = [remap[cs] for cs in cover_sets]
    w = np.asarray(weights)
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
        return _finish("mclp", inp, res.status, np.zeros(0, dtype=np.int64), None, None, t0, explanation=why)
    chosen = cols[res.x[: len(cols)] > 0.5]
    objective = mclp_objective(inp, chosen)
    bound = base + res.bound if res.bound is not None else None
    return _finish("mclp", inp, res.status, chosen, objective, bound, t0)


# --- p-median -----------------------------------------------------------------------------------------------


def pmedian_objective(inp: WhereNextInput, chosen: NDArray[np.int64]) -> float:
    """Sum over demand points of weight x minutes to the nearest 24/7 site (``inf`` if one has none)."""
    d = nearest_minutes(inp, chosen)
    return float((inp.weight * d).sum()) if np.isfinite(d[inp.weight > 0]).all() else float("inf")


def _pmedian_greedy(inp: WhereNextInput) -> NDArray[np.int64]:
    """Greedy add (largest drop of weighted minutes per cost, within budget), then vertex substitution."""
    big = 1e9
    current = np.minimum(inp.existing_minutes, big)
    chosen: list[int] = []
    spent = 0.0
    cost = np.where(inp.site_cost > 0, inp.site_cost, 1e-12)
    for _ in range(inp.k):
        totals = (inp.weight[:, None] * np.minimum(current[:, None], inp.minutes)).sum(axis=0)
        drop = (inp.weight * current).sum() - totals
        allowed = np.array([_budget_allows(inp, spent, j) for j in range(len(totals))])
        allowed[chosen] = False
        if not allowed.any():
            break
        j = int(np.argmax(np.where(allowed, drop / cost, -np.inf)))
        if drop[j] <= 0:
            break
        chosen.append(j)
        spent += inp.site_cost[j]
        current = np.minimum(current, inp.minutes[:, j])
    return _vertex_substitution(inp, np.asarray(chosen, dtype=np.int64))


def _vertex_substitution(inp: WhereNextInput, chosen: NDArray[np.int64], max_passes: int = 50,
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
    column, levels) per demand with levels."""
    n_x = inp.minutes.shape[1]
    constant = 0.0
    cost = [0.0] * n_x
    upper = [1.0] * n_x
    starts, index, value, row_lo = [0], [], [], []
    blocks: list[tuple[int, int, int]] = []
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
        first = len(cost)
        blocks.append((i, first, used))
        row = inp.minutes[i]
        for k in range(used):
            step = nxt[k + 1] - vals[k]
            # An infinite step is "no site at all within reach": forbid it rather than price it.
            cost.append(w * step if np.isfinite(step) else 0.0)
            upper.append(1.0 if np.isfinite(step) else 0.0)
            # z_k + sum_{j: d_ij == D_k} x_j >= z_{k-1}  (z_{-1} = 1)
            zk = first + k
            js = np.flatnonzero(row == vals[k])
            if k == 0:
                index.extend([zk, *js.tolist()])
                value.extend([1.0] * (1 + len(js)))
                row_lo.append(1.0)
            else:
                index.extend([zk, zk - 1, *js.tolist()])
                value.extend([1.0, -1.0, *([1.0] * len(js))])
                row_lo.append(0.0)
            starts.append(len(index))
    index.extend(range(n_x))
    value.extend([1.0] * n_x)
    starts.append(len(index))
    row_lo.append(-np.inf)
    row_hi = [np.inf] * (len(row_lo) - 1) + [float(inp.k)]
    if inp.budget is not None:
        index.extend(range(n_x))
        value.extend(inp.site_cost.tolist())
        starts.append(len(index))
        row_lo.append(-np.inf)
        row_hi.append(float(inp.budget))
    n = len(cost)
    mip = RowwiseMip(cost=np.asarray(cost), col_lo=np.zeros(n), col_hi=np.asarray(upper),
                     integer=np.arange(n) < n_x, row_lo=np.asarray(row_lo), row_hi=np.asarray(row_hi),
                     start=np.asarray(starts, np.int64), index=np.asarray(index, np.int64),
                     value=np.asarray(value))
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


def _polisher(inp: WhereNextInput) -> Callable[[NDArray[np.int64]], tuple[NDArray[np.int64], float]]:
    """Local search for the Lagrangian phase: vertex substitution from the given sites, and the plan's value."""

    def polish(sites: NDArray[np.int64]) -> tuple[NDArray[np.int64], float]:
        better = _vertex_substitution(inp, sites)
        return better, pmedian_objective(inp, better)
    return polish


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
    :data:`LAGRANGIAN_SHARE` of the time limit) raises a lower bound, improves the plan and fixes candidates;
    the radius MIP on the candidates left proves optimality or reports the gap to the best bound.
    """
    settings = settings or AccessSettings()
    t0 = time.perf_counter()
    deadline = t0 + settings.time_limit_s
    no_existing = ~np.isfinite(inp.existing_minutes) & (inp.weight > 0)
    if no_existing.any() and (inp.k == 0 or inp.minutes.shape[1] == 0):
        i = int(np.flatnonzero(no_existing)[0])
        return _finish("pmedian", inp, "infeasible", np.zeros(0, dtype=np.int64), None, None, t0,
                       explanation=f"municipality {inp.demand_ids[i]} has no 24/7 hospital and K = 0 or no "
                       "candidate site, so its travel time is unbounded")
    incumbent = _pmedian_greedy(inp)
    best_obj = pmedian_objective(inp, incumbent)
    k_eff = _uniform_k(inp)
    sub, free, fixed_in = inp, np.arange(inp.minutes.shape[1], dtype=np.int64), np.zeros(0, dtype=np.int64)
    lag_bound, radius = None, np.zeros(len(inp.demand_ids))
    small = _level_count(inp) <= FULL_LEVELS_DIRECT
    if not small and k_eff is not None and np.isfinite(best_obj):
        lag = lagrangian_fixing(inp.minutes, inp.weight, inp.existing_minutes, k_eff, incumbent, best_obj,
                                LAGRANGIAN_SHARE * settings.time_limit_s, _polisher(inp),
                                rel_tol=settings.mip_rel_gap)
        incumbent, best_obj, lag_bound, radius = lag.incumbent, lag.upper, lag.bound, lag.radius
        if lag_bound >= best_obj - settings.mip_rel_gap * abs(best_obj):
            return _finish("pmedian", inp, "optimal", incumbent, best_obj, lag_bound, t0, 0)
        free, fixed_in = lag.free, lag.fixed_in
        sub = _restrict(inp, free, fixed_in, k_eff - len(fixed_in))
    position = {int(j): p for p, j in enumerate(free)}
    start = np.asarray([position[int(j)] for j in incumbent if int(j) in position], dtype=np.int64)
    # All levels when few; else up to each demand's Lagrangian radius (where the LP stops valuing closer
    # sites) or its plan minutes: on the national K = 25 instance 7,719 of the 180,237 levels left after
    # fixing, and the first relaxation already proves optimality.
    small = small or _level_count(sub) <= FULL_LEVELS_DIRECT
    cap = np.full(len(sub.demand_ids), np.inf) if small else np.maximum(nearest_minutes(sub, start), radius)
    chosen_sub, _, status, bound, iterations = _radius_mip(sub, start, pmedian_objective(sub, start), cap,
                                                           settings, deadline)
    chosen = np.sort(np.concatenate([fixed_in, free[chosen_sub]])).astype(np.int64)
    obj = pmedian_objective(inp, chosen)
    if obj < best_obj:
        incumbent, best_obj = chosen, obj
    if lag_bound is not None:
        bound = max(bound, lag_bound) if bound is not None else lag_bound
    if status in {"infeasible", "time_limit"} and not len(incumbent) and inp.k > 0:
        return _finish("pmedian", inp, status, np.zeros(0, dtype=np.int64), None, None, t0, iterations,
                       explanation="HiGHS found no solution within the time limit")
    return _finish("pmedian", inp, status if status != "time_limit" else "feasible", incumbent, best_obj,
                   bound, t0, iterations)
