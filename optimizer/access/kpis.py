"""Access KPIs: who is within reach of 24/7 surgery, by state and by marginalisation degree.

Every table counts people (Census 2020 persons) so that its population column sums to the census total of
the municipalities in scope; a test holds every table to that. People are counted where they live, at the
scope's population points (localities of 1,000+ and each municipality's remainder at its municipal point; see
:mod:`optimizer.access.points`), so a large municipality can be partly within a threshold. With the
``municipalities`` resolution every municipality is one point (wholly within or wholly outside).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimizer.access.scope import AccessScope
from optimizer.access.settings import AccessSettings
from optimizer.data.reference import states as reference_states
from optimizer.domain import MarginalisationDegree

#: Degrees from the most to the least marginalised (table order).
DEGREE_ORDER: tuple[str, ...] = tuple(d.value for d in reversed(list(MarginalisationDegree)))


def weighted_gini(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float | None:
    """Population-weighted Gini coefficient of ``values`` (0 = everyone equal, ->1 = all on one person).

    G = sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean), computed in O(n log n) by sorting. ``None`` when the
    mean is zero or a value is infinite (someone cannot reach any hospital), where Gini is undefined.
    """
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0 or not np.isfinite(x).all():
        return None
    mean = float((w * x).sum() / total)
    if mean <= 0:
        return None
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    before = np.cumsum(ws) - ws
    after = total - before - ws
    pair_sum = 2.0 * float((ws * xs * (before - after)).sum())
    return pair_sum / (2.0 * total * total * mean)


def band_labels(minutes: Sequence[float]) -> list[str]:
    """Labels of the travel-time bands for thresholds ``minutes`` (e.g. <=60, 60-120, >120, no hospital)."""
    t = sorted(minutes)
    labels = [f"<= {t[0]:g} min"] + [f"{a:g}-{b:g} min" for a, b in zip(t, t[1:], strict=False)]
    return labels + [f"> {t[-1]:g} min", "no hospital"]


def band_population(minutes_to: NDArray[np.float64], population: NDArray[np.float64],
                    thresholds: Sequence[float]) -> list[int]:
    """People in each band of :func:`band_labels` (the list sums to the population)."""
    t = sorted(thresholds)
    finite = np.isfinite(minutes_to)
    edges = [-np.inf, *t]
    out = [int(population[(minutes_to > lo) & (minutes_to <= hi)].sum()) for lo, hi in zip(edges, edges[1:],
                                                                                         strict=False)]
    out.append(int(population[finite & (minutes_to > t[-1])].sum()))
    out.append(int(population[~finite].sum()))
    return out


def _coverage_table(groups: pd.Series, municipality: pd.Series, minutes_to: NDArray[np.float64],
                    population: NDArray[np.float64], thresholds: Sequence[float], order: Sequence[str],
                    ) -> pd.DataFrame:
    """Municipalities, population points, people within each threshold and their share, and mean minutes, per
    group (points of a group: rows where ``groups`` equals the key)."""
    df = pd.DataFrame({"group": groups.to_numpy(), "municipality": municipality.to_numpy(),
                       "population": population, "minutes": minutes_to})
    rows = []
    for key in order:
        g = df[df["group"] == key]
        pop = int(g["population"].sum())
        row: dict[str, object] = {"group": key, "municipalities": g["municipality"].nunique(), "points": len(g),
                                  "population": pop}
        for t in thresholds:
            within = int(g.loc[g["minutes"] <= t, "population"].sum())
            row[f"within_{t:g}"] = within
            row[f"share_{t:g}"] = within / pop if pop else None
        finite = g[np.isfinite(g["minutes"])]
        row["mean_minutes"] = (float((finite["minutes"] * finite["population"]).sum() / finite["population"].sum())
                               if len(finite) == len(g) and pop else None)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class AccessReport:
    """The access KPIs of one set of 24/7 hospitals (all populations in persons, times in minutes)."""

    total_population: int
    thresholds: list[float]
    hospitals_24_7: int
    population_points: int
    resolution: str
    headline: dict[str, object]
    by_state: pd.DataFrame
    by_degree: pd.DataFrame
    reach_bands: pd.DataFrame
    worst_served: pd.DataFrame
    equity: dict[str, object] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The KPI tables by name (for CSV/XLSX export)."""
        return {"by_state": self.by_state, "by_degree": self.by_degree, "reach_bands": self.reach_bands,
                "worst_served": self.worst_served}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready document; ``total_population`` is the census total the tables sum to."""
        return {"total_population": self.total_population, "population_points": self.population_points,
                "resolution": self.resolution, "thresholds_minutes": self.thresholds,
                "hospitals_24_7": self.hospitals_24_7, "headline": self.headline, "equity": self.equity,
                **{k: v.to_dict(orient="records") for k, v in self.tables().items()}}


def equity_index(degrees: pd.Series, minutes_to: NDArray[np.float64], population: NDArray[np.float64],
                 thresholds: Sequence[float]) -> dict[str, object]:
    """Covered-share ratio Muy alto / Muy bajo per threshold and the population-weighted Gini of minutes.

    ``degrees``, ``minutes_to`` and ``population`` are per population point (a point's degree is its
    municipality's). A ratio of 1 means the people of the most marginalised municipalities are as covered as
    those of the least; below 1 they are worse off. ``None`` where a degree has no people in scope or nobody
    of Muy bajo is covered.
    """
    d = degrees.to_numpy()
    out: dict[str, object] = {}
    for t in thresholds:
        shares = {}
        for deg in (MarginalisationDegree.MUY_ALTO.value, MarginalisationDegree.MUY_BAJO.value):
            pop = population[d == deg].sum()
            shares[deg] = population[(d == deg) & (minutes_to <= t)].sum() / pop if pop > 0 else None
        hi, lo = shares[MarginalisationDegree.MUY_ALTO.value], shares[MarginalisationDegree.MUY_BAJO.value]
        out[f"share_ratio_{t:g}"] = hi / lo if hi is not None and lo else None
    out["gini_minutes"] = weighted_gini(minutes_to, population)
    return out


def access_report(scope: AccessScope, hospitals_24_7: Iterable[str], thresholds: Sequence[float] | None = None,
                  worst: int | None = None, settings: AccessSettings | None = None) -> AccessReport:
    """All access KPIs for the hospitals ``hospitals_24_7`` (CLUES) being 24/7 for surgery; thresholds
    (minutes) and the worst-served row count default to ``settings``."""
    settings = settings or AccessSettings()
    worst = worst if worst is not None else settings.worst_served
    thresholds = sorted(float(t) for t in (thresholds if thresholds is not None else settings.minutes))
    if not thresholds or thresholds[0] <= 0:
        raise ValueError("thresholds must be positive minutes, e.g. 60,120")
    keys = sorted(set(hospitals_24_7))
    p = scope.points
    pop = p["population"].to_numpy(dtype=float)
    minutes_to, nearest = scope.minutes_to_nearest(keys)
    state_names = reference_states().set_index("cve_ent")["name"]
    states_in_scope = sorted(p["cve_ent"].unique())
    by_state = _coverage_table(p["cve_ent"], p["cvegeo"], minutes_to, pop, thresholds, states_in_scope)
    by_state.insert(1, "state", [state_names.get(c, c) for c in by_state["group"]])
    by_state = by_state.rename(columns={"group": "cve_ent"})
    by_degree = _coverage_table(p["degree"], p["cvegeo"], minutes_to, pop, thresholds, DEGREE_ORDER).rename(
        columns={"group": "degree"})
    targets: dict[str, NDArray[np.float64]] = {"24/7 surgery": minutes_to}
    for specialty in sorted(scope.specialty_hospitals):
        targets[f"team: {specialty}"] = scope.minutes_to_nearest(scope.specialty_hospitals[specialty])[0]
    targets["pharmacy"] = scope.pharmacy_minutes
    labels = band_labels(thresholds)
    bands = pd.DataFrame([{"reach": name, **dict(zip(labels, band_population(mins, pop, thresholds), strict=True)),
                           "population": int(pop.sum())} for name, mins in targets.items()])
    headline: dict[str, object] = {}
    for t in thresholds:
        within = int(pop[minutes_to <= t].sum())
        headline[f"within_{t:g}"] = within
        headline[f"share_{t:g}"] = within / scope.total_population if scope.total_population else None
    return AccessReport(
        total_population=scope.total_population, thresholds=thresholds, hospitals_24_7=len(keys),
        population_points=len(p), resolution=scope.resolution, headline=headline, by_state=by_state,
        by_degree=by_degree, reach_bands=bands, worst_served=_worst_served(scope, minutes_to, nearest, worst),
        equity=equity_index(p["degree"], minutes_to, pop, thresholds))


def _worst_served(scope: AccessScope, minutes_to: NDArray[np.float64], nearest: NDArray[np.int64], worst: int,
                  ) -> pd.DataFrame:
    """The ``worst`` population points farthest from 24/7 surgery (ties: most people first), with their
    municipality (``kind`` = locality, remainder of the municipality, or the whole municipality)."""
    p = scope.points
    names = scope.municipalities.set_index("cvegeo")["name"]
    clues = scope.hospitals["clues"].to_numpy()
    return pd.DataFrame({
        "point_id": p["point_id"], "place": p["name"], "kind": p["kind"], "cvegeo": p["cvegeo"],
        "municipality": p["cvegeo"].map(names), "cve_ent": p["cve_ent"], "degree": p["degree"],
        "population": p["population"], "minutes": minutes_to,
        "nearest_24_7": np.where(nearest >= 0, clues[np.maximum(nearest, 0)], ""),
    }).sort_values(["minutes", "population"], ascending=[False, False]).head(worst).reset_index(drop=True)


def points_access_table(scope: AccessScope, hospitals_24_7: Iterable[str]) -> pd.DataFrame:
    """One row per population point: point_id, place name, kind, municipality ``cvegeo``, cve_ent, lat, lon,
    population, degree, minutes to the nearest 24/7 hospital (``inf`` when none) and that hospital's CLUES."""
    p = scope.points
    minutes_to, nearest = scope.minutes_to_nearest(sorted(set(hospitals_24_7)))
    clues = scope.hospitals["clues"].to_numpy()
    out = p.loc[:, ["point_id", "name", "kind", "cvegeo", "cve_ent", "lat", "lon", "population", "degree"]].copy()
    out["minutes_to_24_7"] = minutes_to
    out["nearest_24_7"] = np.where(nearest >= 0, clues[np.maximum(nearest, 0)], "")
    return out


def municipality_access_table(scope: AccessScope, hospitals_24_7: Iterable[str],
                              thresholds: Sequence[float] | None = None) -> pd.DataFrame:
    """One row per municipality for maps, aggregated from its population points: cvegeo, name, cve_ent, lat,
    lon (the municipal point), population (the sum of its points = its census population), degree,
    ``minutes_to_24_7`` = the population-weighted median of its points' minutes (half its people live at most
    that far from 24/7 surgery; ``inf`` when that half has no hospital), ``nearest_24_7`` = the CLUES nearest
    to that median point, ``points``, and ``within_<t>`` = its people within each threshold (minutes; default
    the settings' 60 and 120). With one point per municipality this is that point's minutes and hospital."""
    thresholds = sorted(float(t) for t in (thresholds if thresholds is not None else AccessSettings().minutes))
    pts = points_access_table(scope, hospitals_24_7)
    m = scope.municipalities
    out = m.loc[:, ["cvegeo", "name", "cve_ent", "lat", "lon", "population", "degree"]].copy()
    med = _median_points(pts)
    out["minutes_to_24_7"] = out["cvegeo"].map(med["minutes_to_24_7"])
    out["nearest_24_7"] = out["cvegeo"].map(med["nearest_24_7"])
    grouped = pts.groupby("cvegeo")
    out["points"] = out["cvegeo"].map(grouped.size()).fillna(0).astype(int)
    for t in thresholds:
        within = pts["population"].where(pts["minutes_to_24_7"] <= t, 0).groupby(pts["cvegeo"]).sum()
        out[f"within_{t:g}"] = out["cvegeo"].map(within).fillna(0).astype(np.int64)
    return out


def _median_points(pts: pd.DataFrame) -> pd.DataFrame:
    """Per municipality (index ``cvegeo``), its point at the population-weighted median minutes: the first
    point, in ascending minutes, by which at least half its people are counted."""
    s = pts.sort_values(["cvegeo", "minutes_to_24_7"], kind="stable")
    people = s.groupby("cvegeo")["population"]
    reached = people.cumsum() >= 0.5 * people.transform("sum")
    return s[reached].groupby("cvegeo").head(1).set_index("cvegeo")
