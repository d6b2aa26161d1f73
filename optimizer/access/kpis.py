"""Access KPIs: who is within reach of 24/7 surgery, by state and by marginalisation degree.

Every table counts people (Census 2020 persons) so that its population column sums to the census total of
the municipalities in scope; a test holds every table to that. A municipality's people are placed at its
cabecera (the reference point), so a municipality is either wholly within a threshold or wholly outside.
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


def _coverage_table(groups: pd.Series, minutes_to: NDArray[np.float64], population: NDArray[np.float64],
                    thresholds: Sequence[float], order: Sequence[str]) -> pd.DataFrame:
    """Population, people within each threshold and their share, and mean minutes, per group."""
    df = pd.DataFrame({"group": groups.to_numpy(), "population": population, "minutes": minutes_to})
    rows = []
    for key in order:
        g = df[df["group"] == key]
        pop = int(g["population"].sum())
        row: dict[str, object] = {"group": key, "municipalities": len(g), "population": pop}
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
        return {"total_population": self.total_population, "thresholds_minutes": self.thresholds,
                "hospitals_24_7": self.hospitals_24_7, "headline": self.headline, "equity": self.equity,
                **{k: v.to_dict(orient="records") for k, v in self.tables().items()}}


def equity_index(degrees: pd.Series, minutes_to: NDArray[np.float64], population: NDArray[np.float64],
                 thresholds: Sequence[float]) -> dict[str, object]:
    """Covered-share ratio Muy alto / Muy bajo per threshold and the population-weighted Gini of minutes.

    A ratio of 1 means the most marginalised municipalities are as covered as the least; below 1 they are
    worse off. ``None`` where a degree has no people in scope or nobody of Muy bajo is covered.
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
    m = scope.municipalities
    pop = m["population"].to_numpy(dtype=float)
    minutes_to, nearest = scope.minutes_to_nearest(keys)
    state_names = reference_states().set_index("cve_ent")["name"]
    states_in_scope = sorted(m["cve_ent"].unique())
    by_state = _coverage_table(m["cve_ent"], minutes_to, pop, thresholds, states_in_scope)
    by_state.insert(1, "state", [state_names.get(c, c) for c in by_state["group"]])
    by_state = by_state.rename(columns={"group": "cve_ent"})
    by_degree = _coverage_table(m["degree"], minutes_to, pop, thresholds, DEGREE_ORDER).rename(
        columns={"group": "degree"})
    targets: dict[str, NDArray[np.float64]] = {"24/7 surgery": minutes_to}
    for specialty in sorted(scope.specialty_hospitals):
        targets[f"team: {specialty}"] = scope.minutes_to_nearest(scope.specialty_hospitals[specialty])[0]
    targets["pharmacy"] = scope.pharmacy_minutes
    labels = band_labels(thresholds)
    bands = pd.DataFrame([{"reach": name, **dict(zip(labels, band_population(mins, pop, thresholds), strict=True)),
                           "population": int(pop.sum())} for name, mins in targets.items()])
    clues = scope.hospitals["clues"].to_numpy()
    worst_df = pd.DataFrame({
        "cvegeo": m["cvegeo"], "municipality": m["name"], "cve_ent": m["cve_ent"], "degree": m["degree"],
        "population": m["population"], "minutes": minutes_to,
        "nearest_24_7": np.where(nearest >= 0, clues[np.maximum(nearest, 0)], ""),
    }).sort_values(["minutes", "population"], ascending=[False, False]).head(worst).reset_index(drop=True)
    headline: dict[str, object] = {}
    for t in thresholds:
        within = int(pop[minutes_to <= t].sum())
        headline[f"within_{t:g}"] = within
        headline[f"share_{t:g}"] = within / scope.total_population if scope.total_population else None
    return AccessReport(
        total_population=scope.total_population, thresholds=thresholds, hospitals_24_7=len(keys),
        headline=headline, by_state=by_state, by_degree=by_degree, reach_bands=bands, worst_served=worst_df,
        equity=equity_index(m["degree"], minutes_to, pop, thresholds))


def municipality_access_table(scope: AccessScope, hospitals_24_7: Iterable[str]) -> pd.DataFrame:
    """One row per municipality for maps: cvegeo, name, cve_ent, lat, lon, population, degree, minutes to
    the nearest 24/7 hospital (``inf`` when none) and that hospital's CLUES."""
    m = scope.municipalities
    minutes_to, nearest = scope.minutes_to_nearest(sorted(set(hospitals_24_7)))
    clues = scope.hospitals["clues"].to_numpy()
    out = m.loc[:, ["cvegeo", "name", "cve_ent", "lat", "lon", "population", "degree"]].copy()
    out["minutes_to_24_7"] = minutes_to
    out["nearest_24_7"] = np.where(nearest >= 0, clues[np.maximum(nearest, 0)], "")
    return out
