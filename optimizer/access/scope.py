"""The access scope: where the people live (population points), which facilities, and the minutes between them.

A scope is built once per dataset (and state filter) and read by the KPIs, the map table, the access-gain
objective and the where-next models, so every number comes from the same travel-time matrix. The people are
population points (:mod:`optimizer.access.points`: localities of 1,000+ plus each municipality's remainder, or one
point per municipality); the municipalities stay in the scope for the tables aggregated from the points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimizer.access.odmatrix import OdMatrix, load_od_matrix
from optimizer.access.points import Resolution, population_points
from optimizer.access.settings import TravelSettings
from optimizer.access.travel import Points, nearest_travel_minutes, travel_minutes
from optimizer.data.reference import municipalities as reference_municipalities
from optimizer.domain import MarginalisationDegree

if TYPE_CHECKING:
    from optimizer.data.dataset import Dataset

#: Municipality columns a scope keeps (renamed from the reference table's ``population_2020`` and
#: ``marginalisation_degree_2020``).
MUNICIPALITY_COLUMNS = ("cvegeo", "name", "cve_ent", "lat", "lon", "population", "degree")
#: Facility columns a scope needs.
FACILITY_COLUMNS = ("clues", "name", "kind", "cve_ent", "cvegeo", "lat", "lon", "operating_rooms", "program")


@dataclass(frozen=True)
class AccessScope:
    """Population points and municipalities in scope, the hospitals they may reach, and road minutes between them.

    ``points`` has the columns of :data:`~optimizer.access.points.POINT_COLUMNS` (``cvegeo`` = the point's
    municipality); ``hospital_minutes[i, j]`` is the road time (minutes) from point ``i`` to hospital ``j``;
    ``pharmacy_minutes[i]`` the time from point ``i`` to the nearest pharmacy (``inf`` if none).
    ``specialty_hospitals`` maps a specialty to the CLUES of hospitals with a team of it in post.
    """

    points: pd.DataFrame
    municipalities: pd.DataFrame
    hospitals: pd.DataFrame
    hospital_minutes: NDArray[np.float64]
    pharmacy_minutes: NDArray[np.float64]
    specialty_hospitals: dict[str, frozenset[str]] = field(default_factory=dict)
    od_matrix: OdMatrix | None = None

    @property
    def total_population(self) -> int:
        """Census 2020 population in scope (persons); the points and the municipalities hold the same total."""
        return int(self.points["population"].sum())

    @property
    def resolution(self) -> Resolution:
        """``municipalities`` when every point is a municipal point, else ``localities``."""
        return "municipalities" if (self.points["kind"] == "municipality").all() else "localities"

    def hospital_index(self, clues: Iterable[str]) -> NDArray[np.int64]:
        """Column positions of the given CLUES keys; unknown keys raise a ValueError naming them."""
        pos = {c: j for j, c in enumerate(self.hospitals["clues"])}
        keys = list(clues)
        unknown = [c for c in keys if c not in pos]
        if unknown:
            raise ValueError(f"{len(unknown)} CLUES key(s) are not open hospitals in scope: "
                             f"{', '.join(sorted(unknown)[:5])}")
        return np.array([pos[c] for c in keys], dtype=np.int64)

    def minutes_to_nearest(self, clues: Iterable[str]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Minutes from each point to the nearest of ``clues`` and that hospital's column (-1 if none)."""
        cols = self.hospital_index(clues)
        if len(cols) == 0:
            n = len(self.points)
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        sub = self.hospital_minutes[:, cols]
        arg = np.argmin(sub, axis=1)
        return sub[np.arange(len(sub)), arg], cols[arg]


def municipalities_in_scope(states: Iterable[str] | None = None) -> pd.DataFrame:
    """The reference municipalities (all 2,469, or those of ``states``) with the scope's column names."""
    m = reference_municipalities().rename(
        columns={"population_2020": "population", "marginalisation_degree_2020": "degree"})
    m = m.loc[:, list(MUNICIPALITY_COLUMNS)]
    if states is not None:
        wanted = {str(s).zfill(2) for s in states}
        unknown = wanted - set(m["cve_ent"])
        if unknown:
            raise ValueError(f"unknown state code(s) {', '.join(sorted(unknown))}; use CVE_ENT 01..32")
        m = m[m["cve_ent"].isin(wanted)]
    bad = ~m["degree"].isin([d.value for d in MarginalisationDegree])
    if bad.any():
        raise ValueError(f"municipalities.csv: cvegeo {m.loc[bad, 'cvegeo'].iloc[0]} has an unknown "
                         f"marginalisation degree '{m.loc[bad, 'degree'].iloc[0]}'")
    return m.reset_index(drop=True)


def specialty_hospitals_from_staff(specialists: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Specialty -> CLUES of hospitals with at least one person of that specialty in post."""
    if specialists.empty:
        return {}
    staff = specialists[(specialists["status"] == "in_post") & specialists["facility_clues"].notna()]
    return {str(s): frozenset(g["facility_clues"]) for s, g in staff.groupby("specialty")}


def build_scope(facilities: pd.DataFrame, specialists: pd.DataFrame | None = None,
                states: Iterable[str] | None = None, travel: TravelSettings | None = None,
                od_matrix_path: str | Path | None = None, resolution: Resolution = "localities") -> AccessScope:
    """Scope over the open hospitals and pharmacies of ``facilities`` (a Facility table).

    ``states`` limits the *people* to those states; hospitals in every state stay reachable, since people
    near a state border use the nearest hospital whatever its state. ``resolution`` chooses the population
    points (:func:`~optimizer.access.points.population_points`). With ``od_matrix_path`` the hospital minutes
    come from that file, keyed by ``point_id`` (a municipality's ``cvegeo`` names its remainder or municipal
    point, a 9-digit INEGI key a locality); pairs it lacks come from the estimate, rejected rows are kept in
    ``od_matrix``.
    """
    missing = [c for c in FACILITY_COLUMNS if c not in facilities.columns]
    if missing:
        raise ValueError(f"facilities table lacks column(s) {', '.join(missing)}")
    open_f = facilities[facilities["status"] == "open"] if "status" in facilities.columns else facilities
    hospitals = open_f[open_f["kind"] == "hospital"].loc[:, list(FACILITY_COLUMNS)].reset_index(drop=True)
    pharmacies = open_f[open_f["kind"] == "pharmacy"]
    munis = municipalities_in_scope(states)
    points = population_points(munis, resolution)
    origins = Points.of(points["lat"], points["lon"], points["cve_ent"])
    minutes = travel_minutes(origins, Points.of(hospitals["lat"], hospitals["lon"], hospitals["cve_ent"]), travel)
    od = None
    if od_matrix_path is not None:
        od = load_od_matrix(od_matrix_path, points["point_id"].tolist(), hospitals["clues"].tolist(), minutes)
        minutes = od.minutes
    to_pharmacy = nearest_travel_minutes(origins, Points.of(pharmacies["lat"], pharmacies["lon"],
                                                            pharmacies["cve_ent"]), travel)
    staff = specialty_hospitals_from_staff(specialists) if specialists is not None else {}
    return AccessScope(points=points, municipalities=munis, hospitals=hospitals, hospital_minutes=minutes,
                       pharmacy_minutes=to_pharmacy, specialty_hospitals=staff, od_matrix=od)


def default_24_7(hospitals: pd.DataFrame) -> frozenset[str]:
    """Stand-in 24/7 set until the capacity model's status is passed in: program hospitals with an OR."""
    h = hospitals[hospitals["program"].astype(bool) & (hospitals["operating_rooms"] >= 1)]
    return frozenset(h["clues"])


def scope_from_dataset(ds: Dataset, states: Iterable[str] | None = None, travel: TravelSettings | None = None,
                       od_matrix_path: str | Path | None = None, resolution: Resolution = "localities",
                       ) -> AccessScope:
    """Scope over a loaded dataset's facilities and in-post staff (see :func:`build_scope`)."""
    return build_scope(ds.facilities, ds.specialists, states=states, travel=travel,
                       od_matrix_path=od_matrix_path, resolution=resolution)
