"""The capacity model's input (hospitals, staff hours by role, surgical demand) and its loaders.

:func:`from_dataset` / :func:`load_input` build a :class:`CapacityInput` from a dataset: program hospitals (or
every open hospital), the staff in post summed by role, and surgical demand from the records, grouped by
:func:`demand_from_table` (the rule the scenario stage uses too). Hours are contracted hours per week.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from optimizer.capacity.settings import CapacitySettings
from optimizer.data.aggregate import surgical_demand
from optimizer.data.dataset import Dataset, load_dataset
from optimizer.domain import (
    MARGINALISATION_WEIGHT,
    SURGICAL_SPECIALTIES,
    MarginalisationDegree,
    Specialty,
)
from optimizer.i18n import MsgError, msg


class CapacityInputError(MsgError):
    """Input the capacity model cannot use; the message names the hospital/role and the field."""


@dataclass(frozen=True)
class Hospital:
    """A hospital's physical units and the planner weight of a procedure delivered there."""

    clues: str
    name: str
    cve_ent: str
    marginalisation_degree: str
    operating_rooms: int
    beds: int
    emergency_bays: int

    def weight(self, settings: CapacitySettings) -> float:
        """Planner weight of one procedure here (by the municipality's marginalisation degree)."""
        table = settings.weights or {d.value: w for d, w in MARGINALISATION_WEIGHT.items()}
        if self.marginalisation_degree not in table:
            raise CapacityInputError(
                f"no weight for marginalisation degree '{self.marginalisation_degree}' ({self.clues})")
        return float(table[self.marginalisation_degree])

    def ward_blocks(self, settings: CapacitySettings) -> int:
        """Ward blocks (teams) the beds need at every staffed hour."""
        return math.ceil(self.beds / settings.ward_beds_per_block)

    def er_units(self, settings: CapacitySettings) -> int:
        """Emergency units (teams) the emergency bays need at every hour the ER runs."""
        return math.ceil(self.emergency_bays / settings.er_bays_per_unit)


@dataclass(frozen=True)
class SurgicalDemand:
    """Surgical demand of one hospital and specialty, from the records."""

    procedures_per_week: float
    or_hours_per_week: float

    @property
    def procedures_per_or_hour(self) -> float:
        """Procedures one operating-room hour delivers for this hospital's case mix (1/h)."""
        return self.procedures_per_week / self.or_hours_per_week


@dataclass(frozen=True)
class DeployedStaff:
    """One person a deployment plan sends to a hospital (the deployment model's output row)."""

    specialist_id: str
    role: Specialty
    weekly_hours: float  # contract hours/week
    hospital: str  # CLUES


@dataclass
class CapacityInput:
    """Everything the capacity LP reads. Hours are contracted hours per week before allowances."""

    hospitals: list[Hospital]
    staff_hours: dict[tuple[str, Specialty], float]  # (clues, role) -> contracted hours/week
    headcount: dict[tuple[str, Specialty], int]  # (clues, role) -> people
    demand: dict[tuple[str, Specialty], SurgicalDemand]  # (clues, surgical specialty) -> demand
    new_person_hours: dict[Specialty, float] = field(default_factory=dict)  # h/week of one more person
    new_person_incentive_mxn: dict[Specialty, float] = field(default_factory=dict)  # MXN/month

    @classmethod
    def from_dataset(cls, dataset: Dataset | str | Path, program_only: bool = True) -> CapacityInput:
        """The input of a dataset folder (``str``/``Path``) or a loaded dataset: program hospitals (or every
        open hospital), staff in post, surgical demand from the records (see :func:`from_dataset`)."""
        if isinstance(dataset, str | Path):
            return load_input(dataset, program_only)
        return from_dataset(dataset, program_only)

    def hospital(self, clues: str) -> Hospital:
        """The hospital with CLUES ``clues``."""
        for h in self.hospitals:
            if h.clues == clues:
                return h
        raise CapacityInputError(msg("capacity.input.not_in_input", clues=clues))

    def available_hours(self, clues: str, role: Specialty, settings: CapacitySettings) -> float:
        """Hours/week of ``role`` really at work at ``clues``: contracted hours x availability."""
        return self.staff_hours.get((clues, role), 0.0) * settings.allowances.availability

    def subset(self, clues: Iterable[str]) -> CapacityInput:
        """The input restricted to some hospitals (the per-hospital LP)."""
        keep = set(clues)
        missing = keep - {h.clues for h in self.hospitals}
        if missing:
            raise CapacityInputError(msg("capacity.input.missing_hospitals", clues=", ".join(sorted(missing)[:5])))
        return replace(
            self,
            hospitals=[h for h in self.hospitals if h.clues in keep],
            staff_hours={k: v for k, v in self.staff_hours.items() if k[0] in keep},
            headcount={k: v for k, v in self.headcount.items() if k[0] in keep},
            demand={k: v for k, v in self.demand.items() if k[0] in keep},
        )

    def split(self) -> list[CapacityInput]:
        """One input per hospital, in one pass (the network LP is separable by hospital)."""
        parts = {h.clues: replace(self, hospitals=[h], staff_hours={}, headcount={}, demand={})
                 for h in self.hospitals}
        for attr in ("staff_hours", "headcount", "demand"):
            for key, value in getattr(self, attr).items():
                getattr(parts[key[0]], attr)[key] = value
        return list(parts.values())

    def with_staff(self, staff: Iterable[DeployedStaff], source: str = "deployed staff",
                   first_row: int = 0) -> CapacityInput:
        """Staff in post plus the people a deployment plan sends (feed from the deployment model).

        Errors name ``source`` and the row (numbered from ``first_row``, e.g. 2 for a CSV under its header).
        """
        known = {h.clues for h in self.hospitals}
        hours = dict(self.staff_hours)
        heads = dict(self.headcount)
        seen: set[str] = set()
        for i, p in enumerate(staff):
            where = {"file": source, "row": first_row + i, "specialist": p.specialist_id}
            if p.hospital not in known:
                raise CapacityInputError(msg("data.staff_cell", **where, field="hospital",
                                             problem=msg("data.problem.not_in_capacity", value=p.hospital)))
            if not 0 < p.weekly_hours <= 80:
                raise CapacityInputError(msg("data.staff_cell", **where, field="weekly_hours",
                                             problem=msg("data.problem.hours_range", value=f"{p.weekly_hours:g}")))
            if p.specialist_id in seen:
                raise CapacityInputError(msg("data.staff_cell", **where, field="specialist_id",
                                             problem=msg("data.problem.deployed_twice")))
            seen.add(p.specialist_id)
            key = (p.hospital, Specialty(p.role))
            hours[key] = hours.get(key, 0.0) + p.weekly_hours
            heads[key] = heads.get(key, 0) + 1
        return replace(self, staff_hours=hours, headcount=heads)

    def check(self) -> None:
        """Raise :class:`CapacityInputError` naming the hospital and field of the first bad value: hospitals
        first, then staff hours, then demand."""
        seen = self._check_hospitals()
        self._check_staff_hours(seen)
        self._check_demand(seen)

    def _check_hospitals(self) -> set[str]:
        """Hospitals: unique keys, no negative rooms, beds or bays, a known marginalisation degree."""
        seen: set[str] = set()
        degrees = {d.value for d in MarginalisationDegree}
        for h in self.hospitals:
            if h.clues in seen:
                raise CapacityInputError(msg("capacity.input.twice", clues=h.clues))
            seen.add(h.clues)
            for name in ("operating_rooms", "beds", "emergency_bays"):
                if getattr(h, name) < 0:
                    raise CapacityInputError(msg("capacity.input.negative_field", clues=h.clues, field=name))
            if h.marginalisation_degree not in degrees:
                raise CapacityInputError(msg("capacity.input.unknown_degree", clues=h.clues,
                                             degree=h.marginalisation_degree))
        return seen

    def _check_staff_hours(self, seen: set[str]) -> None:
        """Staff hours/week: at a hospital of the input, finite and >= 0."""
        for (clues, role), hours in self.staff_hours.items():
            if clues not in seen:
                raise CapacityInputError(msg("capacity.input.staff_unknown_hospital", role=role.value, clues=clues))
            if not (hours >= 0 and math.isfinite(hours)):
                raise CapacityInputError(msg("capacity.input.staff_negative", clues=clues, role=role.value))

    def _check_demand(self, seen: set[str]) -> None:
        """Demand: at a hospital of the input, >= 0, and OR hours wherever there are procedures."""
        for (clues, spec), d in self.demand.items():
            if clues not in seen:
                raise CapacityInputError(msg("capacity.input.demand_unknown_hospital", specialty=spec.value,
                                             clues=clues))
            if not (d.procedures_per_week >= 0 and d.or_hours_per_week >= 0):
                raise CapacityInputError(msg("capacity.input.demand_negative", clues=clues, specialty=spec.value))
            if d.procedures_per_week > 0 and d.or_hours_per_week == 0:
                raise CapacityInputError(msg("capacity.input.no_or_hours", clues=clues, specialty=spec.value))



def from_dataset(ds: Dataset, program_only: bool = True, surgical: pd.DataFrame | None = None) -> CapacityInput:
    """Capacity input of the program hospitals (or every open hospital) of ``ds``.

    ``surgical`` (clues, specialty, procedures_per_week, or_hours_per_week) is the demand to plan for, e.g. a
    scenario run's demand after its multipliers; without it demand is aggregated from the records.

    Staff: people ``in_post`` at each hospital (contract hours/week summed by role). Demand: surgical
    procedures and OR hours per week from the records (``optimizer.data.aggregate.surgical_demand``).
    One more person of a role is a typical recruit: the median contract hours and median incentive of the
    recruits of that role.
    """
    hospitals_df = ds.program_hospitals if program_only else ds.hospitals
    if hospitals_df.empty:
        raise CapacityInputError(msg("capacity.input.no_hospitals", file=str(ds.root / "facilities.csv"),
                                     which=msg("capacity.input.program") if program_only else ""))
    hospitals = [
        Hospital(str(r.clues), str(r.name), str(r.cve_ent), str(r.marginalisation_degree),
                 int(r.operating_rooms), int(r.beds), int(r.emergency_bays))
        for r in hospitals_df.itertuples(index=False)]
    keep = {h.clues for h in hospitals}
    sp = ds.specialists
    post = sp[(sp["status"] == "in_post") & sp["facility_clues"].isin(keep)]
    grouped = post.groupby(["facility_clues", "specialty"])["weekly_hours"].agg(["sum", "count"])
    staff_hours = {(c, Specialty(s)): float(v) for (c, s), v in grouped["sum"].items()}
    headcount = {(c, Specialty(s)): int(v) for (c, s), v in grouped["count"].items()}
    recruits = sp[sp["status"] == "recruit"]
    by_role = recruits.groupby("specialty")
    new_hours = {Specialty(s): float(v) for s, v in by_role["weekly_hours"].median().items()}
    incentive = {Specialty(s): float(v) for s, v in by_role["incentive_mxn"].median().items()}
    demand = _demand(ds.records_dir, keep) if surgical is None else demand_from_table(surgical, keep)
    return CapacityInput(hospitals, staff_hours, headcount, demand, new_hours, incentive)


def _demand(records_dir: Path, keep: set[str]) -> dict[tuple[str, Specialty], SurgicalDemand]:
    if not (records_dir / "encounters").exists():
        raise CapacityInputError(msg("capacity.input.no_records", folder=str(records_dir)))
    return demand_from_table(surgical_demand(records_dir), keep)


def demand_from_table(surgical: pd.DataFrame, keep: set[str]) -> dict[tuple[str, Specialty], SurgicalDemand]:
    """Surgical demand of the hospitals ``keep`` from a table (clues, specialty, procedures_per_week,
    or_hours_per_week), summed per hospital x specialty (a scenario's catchment moves may split a pair over
    rows). A specialty that is not surgical is an error naming the row; pairs without operating-room hours are
    left out (no room hour can serve them)."""
    names = {s.value for s in SURGICAL_SPECIALTIES}
    rows = surgical[surgical["clues"].isin(keep)]
    bad = rows[~rows["specialty"].isin(names)]
    if len(bad):
        i, r = next(iter(bad.iterrows()))
        raise CapacityInputError(msg("capacity.input.not_surgical", specialty=r["specialty"], row=i,
                                     clues=r["clues"]))
    grouped = rows.groupby(["clues", "specialty"])[["procedures_per_week", "or_hours_per_week"]].sum()
    return {(str(c), Specialty(sp)): SurgicalDemand(float(r.procedures_per_week), float(r.or_hours_per_week))
            for (c, sp), r in grouped.iterrows() if r.or_hours_per_week > 0}


def load_input(dataset_dir: Path | str, program_only: bool = True) -> CapacityInput:
    """Load ``dataset_dir`` and build the capacity input (see :func:`from_dataset`)."""
    return from_dataset(load_dataset(dataset_dir), program_only)
