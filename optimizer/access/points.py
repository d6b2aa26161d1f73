"""Population points: where the people of the access scope live.

Two resolutions, both summing to the census population of the municipalities in scope (126,014,024 for Mexico):

- ``localities`` (default): every INEGI locality of 1,000+ inhabitants at its own coordinates (10,635 points,
  86.3 % of the people), plus each municipality's *remainder* (its census population minus its listed
  localities: the people of localities under 1,000, which the reference table does not list) at the municipal
  point; municipalities with no remainder get no remainder point. A locality's CONAPO degree is its
  municipality's (CONAPO grades municipalities, not localities).
- ``municipalities``: one point per municipality carrying its whole population (the earlier approximation,
  kept to measure how much it misstates access).

``point_id`` is the locality's 9-digit INEGI key, or the municipality's 5-digit ``cvegeo`` for a remainder or
municipal point, so an origin-destination file keyed by municipality still matches those points.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from optimizer.data.reference import localities as reference_localities

Resolution = Literal["localities", "municipalities"]

#: Columns of a points table.
POINT_COLUMNS = ("point_id", "cvegeo", "name", "kind", "cve_ent", "lat", "lon", "population", "degree")


def municipal_points(municipalities: pd.DataFrame) -> pd.DataFrame:
    """One point per municipality (its reference point) with its whole population."""
    out = municipalities.assign(point_id=municipalities["cvegeo"], kind="municipality")
    return out.loc[:, list(POINT_COLUMNS)].reset_index(drop=True)


def remainders(municipalities: pd.DataFrame, localities: pd.DataFrame) -> pd.Series:
    """Census population minus the listed localities' people, per municipality (persons, >= 0); a municipality
    whose localities hold more than its census population is an error naming it."""
    listed = localities.groupby("cvegeo_mun")["population"].sum()
    census = municipalities.set_index("cvegeo")["population"]
    rest = census - listed.reindex(census.index).fillna(0).astype(census.dtype)
    if (rest < 0).any():
        bad = rest.index[rest < 0][0]
        raise ValueError(f"localities.csv: the localities of municipality {bad} hold {int(listed[bad]):,} people, "
                         f"more than its census population {int(census[bad]):,}")
    return rest


def locality_points(municipalities: pd.DataFrame) -> pd.DataFrame:
    """Localities of 1,000+ of the municipalities in scope at their coordinates, plus each municipality's
    remainder at its municipal point (see the module docstring); the population sums to the municipalities'."""
    loc = reference_localities()
    loc = loc[loc["cvegeo_mun"].isin(set(municipalities["cvegeo"]))]
    degree = municipalities.set_index("cvegeo")["degree"]
    towns = pd.DataFrame({
        "point_id": loc["cvegeo"], "cvegeo": loc["cvegeo_mun"], "name": loc["name"], "kind": "locality",
        "cve_ent": loc["cve_ent"], "lat": loc["lat"].astype(float), "lon": loc["lon"].astype(float),
        "population": loc["population"].astype(np.int64), "degree": loc["cvegeo_mun"].map(degree)})
    rest = remainders(municipalities, loc).reindex(municipalities["cvegeo"]).to_numpy()
    seats = municipal_points(municipalities).assign(population=rest, kind="remainder")
    seats = seats[seats["population"] > 0]
    points = pd.concat([towns, seats], ignore_index=True).sort_values(["cvegeo", "point_id"], kind="stable")
    return points.loc[:, list(POINT_COLUMNS)].reset_index(drop=True)


def population_points(municipalities: pd.DataFrame, resolution: Resolution = "localities") -> pd.DataFrame:
    """The points of ``resolution`` for the municipalities in scope (columns :data:`POINT_COLUMNS`)."""
    if resolution == "municipalities":
        return municipal_points(municipalities)
    if resolution == "localities":
        return locality_points(municipalities)
    raise ValueError(f"resolution '{resolution}' is not localities or municipalities")
