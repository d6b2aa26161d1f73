"""Input of the deployment model: program hospitals, surgical demand, the recruit pool and staff in post.

Built from a generated/loaded dataset with :func:`from_dataset`, or directly from the typed records below
(tests and scaled benchmarks do that). Distances are great-circle km from the centroid of the person's home
municipality to the hospital.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.domain import (
    SURGICAL_SPECIALTIES,
    MarginalisationDegree,
    Specialty,
    StaffStatus,
)
from optimizer.geo import distance_matrix_km
from optimizer.i18n import MsgError, msg
from optimizer.paths import REFERENCE_DIR

if TYPE_CHECKING:
    from optimizer.access.gain import AccessGain

#: Roles that staff an operating-room team: the four surgical specialties, anaesthesiology, nursing.
TEAM_ROLES: tuple[Specialty, ...] = (
    *SURGICAL_SPECIALTIES,
    Specialty.ANAESTHESIOLOGY,
    Specialty.SURGICAL_NURSING,
)



class DeploymentInputError(MsgError):
    """Input that cannot feed the model; the message names the file, row and field (in the reader's language:
    :class:`optimizer.i18n.MsgError`)."""


@dataclass(frozen=True)
class Hospital:
    """A program hospital that can receive surgical teams."""

    clues: str
    name: str
    cve_ent: str
    lat: float
    lon: float
    operating_rooms: int
    degree: MarginalisationDegree
    remote: bool


@dataclass(frozen=True)
class Demand:
    """Surgical demand of one hospital for one surgical specialty (per week)."""

    procedures_per_week: float
    or_hours_per_week: float


@dataclass(frozen=True)
class Candidate:
    """A recruit who can be deployed (role = specialty)."""

    specialist_id: str
    specialty: Specialty
    sex: str
    home_state: str
    home_cvegeo: str
    home_lat: float
    home_lon: float
    weekly_hours: float  # hours/week really at work: contract hours x availability (see from_tables)
    willing_states: frozenset[str]
    max_km: float | None
    incentive_mxn: float


@dataclass(frozen=True)
class StaffInPost:
    """A person already working at a program hospital: their hours count first, at no cost."""

    specialist_id: str
    specialty: Specialty
    sex: str
    clues: str
    weekly_hours: float  # hours/week really at work: contract hours x availability (see from_tables)


@dataclass
class DeploymentInput:
    """Everything the deployment model reads.

    ``current`` maps specialist ids of recruits already deployed to their hospital (re-planning);
    ``departed`` lists people of the current deployment who are no longer in the pool (resignations).
    ``access`` (optional) is who each hospital would bring within reach of 24/7 surgery, for the access term
    of the objective (:mod:`optimizer.deployment.access_term`).
    """

    hospitals: list[Hospital]
    demand: dict[tuple[str, Specialty], Demand]
    candidates: list[Candidate]
    in_post: list[StaffInPost] = field(default_factory=list)
    current: dict[str, str] = field(default_factory=dict)
    state_names: dict[str, str] = field(default_factory=dict)
    departed: list[str] = field(default_factory=list)
    access: AccessGain | None = None

    def __post_init__(self) -> None:
        clues = {h.clues for h in self.hospitals}
        if len(clues) != len(self.hospitals):
            raise DeploymentInputError(msg("data.deployment.duplicate_clues"))
        ids = [c.specialist_id for c in self.candidates]
        if len(set(ids)) != len(ids):
            raise DeploymentInputError(msg("data.deployment.duplicate_specialist"))
        cand = set(ids)
        for sid, h in self.current.items():
            if sid not in cand:
                raise DeploymentInputError(msg("data.deployment.not_in_pool", specialist=sid))
            if h not in clues:
                raise DeploymentInputError(msg("data.deployment.not_program", specialist=sid, hospital=h))

    @classmethod
    def from_dataset(cls, dataset: Any, current: pd.DataFrame | None = None,
                     availability: float | None = None) -> DeploymentInput:
        """The input of a dataset folder (``str``/``Path``) or loaded :class:`optimizer.data.dataset.Dataset`.

        ``availability`` (share of contract hours really worked) defaults to the capacity model's default
        allowances, as ``bienestar deploy`` plans; give 1.0 to plan on contract hours. No access data is
        attached: add it with :func:`optimizer.deployment.access_term.with_access` when ``access_weight > 0``.
        """
        if isinstance(dataset, str | Path):
            from optimizer.data.dataset import load_dataset

            dataset = load_dataset(dataset)
        if availability is None:
            from optimizer.capacity.settings import Allowances

            availability = Allowances().availability
        return from_dataset(dataset, current, availability)

    def hospital_index(self) -> dict[str, int]:
        return {h.clues: i for i, h in enumerate(self.hospitals)}

    def distance_km(self, candidates: list[Candidate] | None = None) -> np.ndarray:
        """Great-circle km, shape (len(candidates), len(hospitals))."""
        cands = self.candidates if candidates is None else candidates
        lat = np.array([c.home_lat for c in cands], dtype=float)
        lon = np.array([c.home_lon for c in cands], dtype=float)
        return haversine_km(lat, lon, self.hospitals)

    def total_demand(self) -> float:
        """Procedures per week over all program hospitals and surgical specialties."""
        return float(sum(d.procedures_per_week for d in self.demand.values()))


def haversine_km(lat: np.ndarray, lon: np.ndarray, hospitals: list[Hospital]) -> np.ndarray:
    """Great-circle distances (km) between points and hospitals, shape (len(lat), len(hospitals))."""
    return distance_matrix_km(lat, lon, [h.lat for h in hospitals], [h.lon for h in hospitals])


# --- construction from a dataset ---------------------------------------------------------------------------


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).strip()


def _states(v: Any) -> frozenset[str]:
    if isinstance(v, (list, tuple, set, frozenset)):
        return frozenset(str(x).zfill(2) for x in v)
    return frozenset(s.strip().zfill(2) for s in _text(v).split(";") if s.strip())


def _opt_float(v: Any) -> float | None:
    t = _text(v)
    return None if t == "" else float(t)


def municipality_centroids(reference_dir: Path = REFERENCE_DIR) -> dict[str, tuple[float, float]]:
    """cvegeo -> (lat, lon) of the municipal seat, from ``municipalities.csv``."""
    mun = pd.read_csv(reference_dir / "municipalities.csv", dtype={"cvegeo": str})
    return {str(r.cvegeo).zfill(5): (float(r.lat), float(r.lon)) for r in mun.itertuples(index=False)}


def from_tables(
    facilities: pd.DataFrame,
    specialists: pd.DataFrame,
    surgical_demand: pd.DataFrame,
    states: pd.DataFrame | None = None,
    current: pd.DataFrame | None = None,
    source: str = "specialists.csv",
    availability: float = 1.0,
) -> DeploymentInput:
    """Build the input from the dataset tables.

    ``availability`` is the share of contract hours a person is really at work after holidays, leave and
    training (:attr:`optimizer.capacity.settings.Allowances.availability`, 0.846 by default there); every
    person's weekly hours are contract hours times it, so a "24/7 team slot" is one the capacity model also
    finds staffable 168 h/week. 1.0 plans on contract hours (absences covered by substitutes).

    ``facilities``/``specialists`` have the columns of the domain entities; ``surgical_demand`` has
    ``clues, specialty, procedures_per_week, or_hours_per_week``; ``current`` (optional) has
    ``specialist_id, hospital`` (the columns of a written ``assignments.csv``). Rows whose home municipality is unknown
    raise :class:`DeploymentInputError` naming ``source``, the row and the field.
    """
    if not 0 < availability <= 1:
        raise DeploymentInputError(f"availability {availability:g}: must be in (0, 1] (share of contract hours)")
    hospitals = _hospitals(facilities)
    program = {h.clues for h in hospitals}
    candidates, in_post = _people(specialists, program, source, availability)
    cur, departed = _current(current, {c.specialist_id for c in candidates})
    return DeploymentInput(hospitals, _demand(surgical_demand, program), candidates, in_post, cur,
                           _state_names(states), departed)


def _hospitals(facilities: pd.DataFrame) -> list[Hospital]:
    """The program's hospitals (``program`` true and ``kind`` hospital), in table order."""
    fac = facilities[facilities["program"].map(_truthy)].copy()
    fac = fac[fac["kind"].astype(str) == "hospital"]
    return [
        Hospital(
            clues=str(r.clues),
            name=str(r.name),
            cve_ent=str(r.cve_ent).zfill(2),
            lat=float(r.lat),
            lon=float(r.lon),
            operating_rooms=int(r.operating_rooms),
            degree=MarginalisationDegree(str(r.marginalisation_degree)),
            remote=_truthy(r.remote),
        )
        for r in fac.itertuples(index=False)
    ]


def _demand(surgical_demand: pd.DataFrame, program: set[str]) -> dict[tuple[str, Specialty], Demand]:
    """Procedures and OR hours per week summed per (program hospital, surgical specialty); other rows are
    not this model's demand."""
    demand: dict[tuple[str, Specialty], Demand] = {}
    surgical = {s.value for s in SURGICAL_SPECIALTIES}
    for r in surgical_demand.itertuples(index=False):
        clues = str(r.clues)
        if clues not in program or str(r.specialty) not in surgical:
            continue
        key = (clues, Specialty(str(r.specialty)))
        prev = demand.get(key, Demand(0.0, 0.0))
        demand[key] = Demand(
            prev.procedures_per_week + float(r.procedures_per_week),
            prev.or_hours_per_week + float(r.or_hours_per_week),
        )
    return demand


def _people(
    specialists: pd.DataFrame, program: set[str], source: str, availability: float
) -> tuple[list[Candidate], list[StaffInPost]]:
    """Recruits (the pool) and people in post at program hospitals, of the team roles only; weekly hours
    are contract hours x ``availability``. Any other status is an error naming ``source``, row and field."""
    centroids = municipality_centroids()
    roles = {r.value for r in TEAM_ROLES}
    candidates: list[Candidate] = []
    in_post: list[StaffInPost] = []
    for row_no, r in enumerate(specialists.to_dict("records"), start=2):
        spec = _text(r["specialty"])
        if spec not in roles:
            continue
        status = _text(r["status"])
        if status == StaffStatus.IN_POST.value:
            clues = _text(r.get("facility_clues"))
            if clues in program:
                in_post.append(
                    StaffInPost(_text(r["specialist_id"]), Specialty(spec), _text(r["sex"]), clues,
                                float(r["weekly_hours"]) * availability)
                )
            continue
        if status != StaffStatus.RECRUIT.value:
            raise DeploymentInputError(msg("data.cell", file=source, row=row_no, field="status",
                                                   problem=msg("data.problem.unknown_value", value=status)))
        candidates.append(_candidate(r, row_no, source, centroids, availability))
    return candidates, in_post


def _candidate(
    r: dict[str, Any], row_no: int, source: str, centroids: dict[str, tuple[float, float]], availability: float
) -> Candidate:
    """One recruit, living at their home municipality's seat (an unknown municipality is an error)."""
    cvegeo = _text(r["home_cvegeo"]).zfill(5)
    if cvegeo not in centroids:
        raise DeploymentInputError(msg("data.cell", file=source, row=row_no, field="home_cvegeo",
                                       problem=msg("data.problem.not_municipality", value=cvegeo)))
    lat, lon = centroids[cvegeo]
    return Candidate(
        specialist_id=_text(r["specialist_id"]),
        specialty=Specialty(_text(r["specialty"])),
        sex=_text(r["sex"]),
        home_state=_text(r["home_state"]).zfill(2),
        home_cvegeo=cvegeo,
        home_lat=lat,
        home_lon=lon,
        weekly_hours=float(r["weekly_hours"]) * availability,
        willing_states=_states(r.get("willing_states")),
        max_km=_opt_float(r.get("max_km")),
        incentive_mxn=float(r.get("incentive_mxn") or 0.0),
    )


def _state_names(states: pd.DataFrame | None) -> dict[str, str]:
    """cve_ent -> state name ({} without a states table)."""
    if states is None:
        return {}
    return {str(r.cve_ent).zfill(2): str(r.name) for r in states.itertuples(index=False)}


def _current(current: pd.DataFrame | None, pool: set[str]) -> tuple[dict[str, str], list[str]]:
    """The current deployment (specialist -> hospital) of people still in the pool, and the ids of people
    in it who left the pool (departed)."""
    cur: dict[str, str] = {}
    departed: list[str] = []
    if current is None:
        return cur, departed
    for row_no, r in enumerate(current.to_dict("records"), start=2):
        sid, h = _text(r.get("specialist_id", r.get("specialist"))), _text(r.get("hospital"))
        if not sid or not h:
            raise DeploymentInputError(msg("data.deployment.current_row", row=row_no))
        if sid in pool:
            cur[sid] = h
        else:
            departed.append(sid)
    return cur, departed


def from_dataset(ds: Any, current: pd.DataFrame | None = None, availability: float = 1.0) -> DeploymentInput:
    """Build the input from a loaded :class:`optimizer.data.dataset.Dataset` (demand from its records);
    ``availability`` as in :func:`from_tables`."""
    from optimizer.data.aggregate import surgical_demand

    demand = surgical_demand(ds.records_dir)
    return from_tables(ds.facilities, ds.specialists, demand, ds.states, current, availability=availability)


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in {"1", "true", "yes", "si", "sí", "y", "t"}
    return bool(v) and v == v
