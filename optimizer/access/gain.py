"""Access gained: the objective term the deployment model calls to value where teams go.

"Access gained" by a set of hospitals made 24/7 is the population (persons, Census 2020; optionally
weighted by marginalisation degree) that is newly within ``minutes_limit`` of a 24/7 hospital, counted at the
scope's population points. Points reached by exactly the same hospitals are merged into one demand row (their
people and weights add): exact for every 24/7 set, and it keeps the deployment model's access rows few (the
13,060 locality points of Mexico fall into a few thousand distinct reach sets). Coverage
overlaps, so gains are not additive: :meth:`AccessGain.gain_of_set` is the exact value of a set, and
:meth:`AccessGain.per_hospital` the stand-alone value of each hospital (an upper bound of its share in any
set, usable as a linear objective coefficient). For an exact MIP term, the deployment model can add one
continuous y_i <= sum_{h in reach(i)} x_h per entry of :meth:`AccessGain.uncovered_reach` with objective
weight ``weight[i]``; that is the MCLP coverage constraint of :mod:`optimizer.access.mclp`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimizer.access.scope import AccessScope
from optimizer.access.settings import AccessSettings


@dataclass(frozen=True)
class AccessGain:
    """Coverage of each demand row (population points with the same reach, merged) by each hospital within
    ``minutes_limit``, relative to a 24/7 set. ``demand_ids``: the first point of each row."""

    hospital_ids: list[str]
    demand_ids: list[str]
    weight: NDArray[np.float64]
    population: NDArray[np.float64]
    reach: NDArray[np.bool_]
    is_24_7: NDArray[np.bool_]
    covered_now: NDArray[np.bool_]
    minutes_limit: float

    def _cols(self, clues: Iterable[str]) -> list[int]:
        pos = {c: j for j, c in enumerate(self.hospital_ids)}
        keys = list(clues)
        unknown = [c for c in keys if c not in pos]
        if unknown:
            raise ValueError(f"not a hospital in scope: {', '.join(unknown[:5])}")
        return [pos[c] for c in keys]

    def covered_with(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> NDArray[np.bool_]:
        """Which demand rows are within the limit after making ``add`` 24/7 and ``remove`` not.

        Removal only matters for hospitals that were 24/7; coverage is recomputed from the reach matrix."""
        add_cols, rm_cols = self._cols(add), self._cols(remove)
        base_cols = [int(j) for j in np.flatnonzero(self.is_24_7) if j not in set(rm_cols)]
        cols = sorted(set(base_cols) | set(add_cols))
        if not cols:
            return np.zeros(len(self.demand_ids), dtype=bool)
        return self.reach[:, cols].any(axis=1)

    def gain_of_set(self, add: Iterable[str], remove: Iterable[str] = ()) -> float:
        """Weight newly within the limit (minus weight that loses it) after the change; e.g. moving one
        team is ``gain_of_set(add=[to], remove=[from])``."""
        after = self.covered_with(add, remove)
        return float(self.weight[after].sum() - self.weight[self.covered_now].sum())

    def people_gained(self, add: Iterable[str], remove: Iterable[str] = ()) -> float:
        """Like :meth:`gain_of_set` but in persons (Census 2020), whatever the weighting."""
        after = self.covered_with(add, remove)
        return float(self.population[after].sum() - self.population[self.covered_now].sum())

    def rebased(self, hospitals_24_7: Iterable[str]) -> AccessGain:
        """The same reach with ``hospitals_24_7`` as the 24/7 set (e.g. after a deployment plan), so that
        gains are measured from that plan: ``rebased(plan).gain_of_set(add=[b], remove=[a])`` is the effect of
        moving a hospital's only team from ``a`` to ``b``."""
        base = np.zeros(len(self.hospital_ids), dtype=bool)
        base[self._cols(sorted(set(hospitals_24_7)))] = True
        covered = self.reach[:, base].any(axis=1) if base.any() else np.zeros(len(self.demand_ids), bool)
        return AccessGain(self.hospital_ids, self.demand_ids, self.weight, self.population, self.reach, base,
                          covered, self.minutes_limit)

    def per_hospital(self) -> pd.Series:
        """Weight each hospital alone would bring newly within the limit (0 for those already 24/7)."""
        new = self.reach & ~self.covered_now[:, None]
        return pd.Series(self.weight @ new, index=self.hospital_ids, name="access_gain")

    def uncovered_reach(self) -> dict[str, list[str]]:
        """For each demand row not yet covered, the hospitals that would cover it (demand id -> CLUES)."""
        out: dict[str, list[str]] = {}
        ids = np.asarray(self.hospital_ids)
        for i in np.flatnonzero(~self.covered_now & self.reach.any(axis=1)):
            out[self.demand_ids[i]] = ids[self.reach[i]].tolist()
        return out


def access_gain(scope: AccessScope, hospitals_24_7: Iterable[str], minutes_limit: float = 120.0,
                weighted: bool = False, settings: AccessSettings | None = None) -> AccessGain:
    """Access-gain helper over ``scope`` with ``hospitals_24_7`` (CLUES) as today's 24/7 set.

    ``weighted=True`` counts people times the degree weight of their municipality (settings.degree_weights).
    """
    settings = settings or AccessSettings()
    p = scope.points
    people = p["population"].to_numpy(dtype=float)
    pop = people
    if weighted:
        deg_w = {str(k): v for k, v in settings.degree_weights.items()}
        pop = people * p["degree"].map(deg_w).to_numpy(dtype=float)
    first, row_of = merge_identical_rows(scope.hospital_minutes <= minutes_limit)
    reach = scope.hospital_minutes[first] <= minutes_limit
    base = np.zeros(len(scope.hospitals), dtype=bool)
    base[scope.hospital_index(sorted(set(hospitals_24_7)))] = True
    covered = reach[:, base].any(axis=1) if base.any() else np.zeros(len(first), dtype=bool)
    return AccessGain(hospital_ids=scope.hospitals["clues"].tolist(),
                      demand_ids=p["point_id"].iloc[first].tolist(),
                      weight=np.bincount(row_of, weights=pop, minlength=len(first)),
                      population=np.bincount(row_of, weights=people, minlength=len(first)), reach=reach,
                      is_24_7=base, covered_now=covered, minutes_limit=minutes_limit)


def merge_identical_rows(matrix: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Group identical rows of a boolean matrix: the first row of each group (ascending) and each row's group."""
    packed = np.packbits(matrix, axis=1)
    _, first, row_of = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order].astype(np.int64), rank[row_of.ravel()].astype(np.int64)
