"""Where should the next complete surgical teams go? The shared where-next instance, plan and helpers.

Both where-next models (:mod:`optimizer.access.mclp`, :mod:`optimizer.access.pmedian`) choose at most K
candidate sites (hospitals, or in a what-if municipalities) on top of the hospitals already 24/7, within an
optional budget, on one demand x candidate minutes matrix. The demand points are the scope's population points
(every locality of 1,000+ inhabitants plus each municipality's remainder, or one point per municipality).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimizer.access.scope import AccessScope
from optimizer.access.settings import AccessSettings
from optimizer.access.travel import Points, travel_minutes
from optimizer.plan import Status, relative_gap


@dataclass(frozen=True)
class WhereNextQuestion:
    """What a where-next instance over a scope asks: at most ``k`` new sites, coverage within
    ``minutes_limit`` minutes, within ``budget`` (MXN per month; None = no budget). ``candidates``: the
    hospitals with an operating room not yet 24/7 in a state in scope, or (what-if) every municipality in
    scope as a new site at its municipal point. ``weighting``: a person counts by the degree weight of their
    municipality (marginalisation), or 1 each."""

    k: int
    minutes_limit: float
    candidates: Literal["hospitals", "municipalities"] = "hospitals"
    budget: float | None = None
    weighting: Literal["marginalisation", "population"] = "marginalisation"


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
    def from_scope(cls, scope: AccessScope, hospitals_24_7: Sequence[str], question: WhereNextQuestion,
                   settings: AccessSettings | None = None) -> WhereNextInput:
        """Instance over a scope: the demand points are the scope's population points; the candidates and
        weights are the ones ``question`` asks for (see :class:`WhereNextQuestion`)."""
        settings = settings or AccessSettings()
        k, minutes_limit, candidates, weighting = (question.k, question.minutes_limit, question.candidates,
                                                   question.weighting)
        p, m = scope.points, scope.municipalities
        existing, _ = scope.minutes_to_nearest(sorted(set(hospitals_24_7)))
        if candidates == "hospitals":
            h = scope.hospitals
            mask = ((h["operating_rooms"] >= 1) & ~h["clues"].isin(set(hospitals_24_7))
                    & h["cve_ent"].isin(set(m["cve_ent"]))).to_numpy()
            ids = h.loc[mask, "clues"].tolist()
            minutes = scope.hospital_minutes[:, mask]
        else:
            ids = m["cvegeo"].tolist()
            minutes = travel_minutes(Points.of(p["lat"], p["lon"], p["cve_ent"]),
                                     Points.of(m["lat"], m["lon"], m["cve_ent"]), settings.travel)
        population = p["population"].to_numpy(dtype=float)
        deg_w = {str(k_): v for k_, v in settings.degree_weights.items()}
        weight = (population * p["degree"].map(deg_w).to_numpy(dtype=float) if weighting == "marginalisation"
                  else population.copy())
        return cls(demand_ids=p["point_id"].tolist(), candidate_ids=ids, minutes=np.asarray(minutes, float),
                   existing_minutes=existing, population=population, weight=weight,
                   site_cost=np.full(len(ids), settings.team_cost_mxn), k=k, minutes_limit=minutes_limit,
                   budget=question.budget)


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
    explanation: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary with the per-site table."""
        return {"model": self.model, "status": self.status, "chosen": self.chosen, "objective": self.objective,
                "bound": self.bound, "gap": self.gap, "solve_seconds": self.solve_seconds,
                "population_covered_before": self.population_covered_before,
                "population_covered_after": self.population_covered_after, "iterations": self.iterations,
                "explanation": self.explanation, "sites": self.sites.to_dict(orient="records")}


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


@dataclass(frozen=True)
class Outcome:
    """What a where-next solver found: ``chosen`` candidate indices (none when there is no plan), objective
    and bound in the plan's unit (None when unknown), MIP iterations, and why, when there is no plan or it
    was cut short."""

    status: Status
    chosen: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    objective: float | None = None
    bound: float | None = None
    iterations: int = 1
    explanation: str | None = None


def finish(model: Literal["mclp", "pmedian"], inp: WhereNextInput, outcome: Outcome, t0: float) -> WhereNextPlan:
    """The plan of ``outcome``: coverage before and after, gap, per-site table, time since ``t0``."""
    chosen = outcome.chosen
    covered_before = int(inp.population[inp.existing_minutes <= inp.minutes_limit].sum())
    covered_after = int(inp.population[nearest_minutes(inp, chosen) <= inp.minutes_limit].sum())
    return WhereNextPlan(model=model, status=outcome.status, chosen=[inp.candidate_ids[j] for j in chosen],
                         objective=outcome.objective, bound=outcome.bound,
                         gap=relative_gap(outcome.objective, outcome.bound),
                         solve_seconds=time.perf_counter() - t0,
                         sites=site_contributions(inp, chosen, "coverage" if model == "mclp" else "minutes"),
                         population_covered_before=covered_before,
                         population_covered_after=covered_after, iterations=outcome.iterations,
                         explanation=outcome.explanation or None)


#: Share of a where-next solve's time limit kept for the work after the solvers (the per-site table of
#: :func:`finish`: 0.35 s at K = 50 on the 13,060 population points of an idle host, seconds on a busy one), so
#: the whole call ends within ``time_limit_s``.
RESERVE_SHARE = 0.05


def work_deadline(t0: float, time_limit_s: float) -> float:
    """Wall clock (``time.perf_counter()`` s) by which the solvers of a call started at ``t0`` must stop."""
    return t0 + (1.0 - RESERVE_SHARE) * time_limit_s


def budget_allows(inp: WhereNextInput, chosen_cost: float, j: int) -> bool:
    return inp.budget is None or chosen_cost + inp.site_cost[j] <= inp.budget + 1e-9


