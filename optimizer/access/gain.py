"""Access gained: the objective term the deployment model calls to value where teams go.

"Access gained" by a set of hospitals made 24/7 is the population (persons, Census 2020; optionally
weighted by marginalisation degree) that is newly within ``minutes_limit`` of a 24/7 hospital. Coverage
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
    """Coverage of each municipality by each hospital within ``minutes_limit``, relative to a 24/7 set."""

    hospital_ids: list[str]
    municipality_ids: list[str]
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
        """Which municipalities are within the limit after making ``add`` 24/7 and ``remove`` not.

        Removal only matters for hospitals that were 24/7; coverage is recomputed from the reach matrix."""
        add_cols, rm_cols = self._cols(add), self._cols(remove)
        base_cols = [int(j) for j in np.flatnonzero(self.is_24_7) if j not in set(rm_cols)]
        cols = sorted(set(base_cols) | set(add_cols))
        if not cols:
            return np.zeros(len(self.municipality_ids), dtype=bool)
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
        covered = self.reach[:, base].any(axis=1) if base.any() else np.zeros(len(self.municipality_ids), bool)
        return AccessGain(self.hospital_ids, self.municipality_ids, self.weight, self.population, self.reach, base,
                          covered, self.minutes_limit)

    def per_hospital(self) -> pd.Series:
        """Weight each hospital alone would bring newly within the limit (0 for those already 24/7)."""
        new = self.reach & ~self.covered_now[:, None]
        return pd.Series(self.weight @ new, index=self.hospital_ids, name="access_gain")

    def uncovered_reach(self) -> dict[str, list[str]]:
        """For each municipality not yet covered, the hospitals that would cover it (cvegeo -> CLUES)."""
        out: dict[str, list[str]] = {}
        ids = np.asarray(self.hospital_ids)
        for i in np.flatnonzero(~self.covered_now & self.reach.any(axis=1)):
            out[self.municipality_ids[i]] = ids[self.reach[i]].tolist()
        return out


def access_gain(scope: AccessScope, hospitals_24_7: Iterable[str], minutes_limit: float = 120.0,
                weighted: bool = False, settings: AccessSettings | None = None) -> AccessGain:
    """Access-gain helper over ``scope`` with ``hospitals_24_7`` (CLUES) as today's 24/7 set.

    ``weighted=True`` counts people times the degree weight of their municipality (settings.degree_weights).
    """
    settings = settings or AccessSettings()
    m = scope.municipalities
    people = m["population"].to_numpy(dtype=float)
    pop = people
    if weighted:
        deg_w = {str(k): v for k, v in settings.degree_weights.items()}
        pop = people * m["degree"].map(deg_w).to_numpy(dtype=float)
    reach = scope.hospital_minutes <= minutes_limit
    base = np.zeros(len(scope.hospitals), dtype=bool)
    base[scope.hospital_index(sorted(set(hospitals_24_7)))] = True
    covered = reach[:, base].any(axis=1) if base.any() else np.zeros(len(m), dtype=bool)
    return AccessGain(hospital_ids=scope.hospitals["clues"].tolist(), municipality_ids=m["cvegeo"].tolist(),
                      weight=pop, population=people, reach=reach, is_24_7=base, covered_now=covered,
                      minutes_limit=minutes_limit)
