"""Build the capacity input from a dataset folder (facilities, staff in post, recruits, health records)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.capacity.model import CapacityInput, CapacityInputError, Hospital, SurgicalDemand
from optimizer.data.aggregate import surgical_demand
from optimizer.data.dataset import Dataset, load_dataset
from optimizer.domain import SURGICAL_SPECIALTIES, Specialty


def from_dataset(ds: Dataset, program_only: bool = True) -> CapacityInput:
    """Capacity input of the program hospitals (or every open hospital) of ``ds``.

    Staff: people ``in_post`` at each hospital (contract hours/week summed by role). Demand: surgical
    procedures and OR hours per week from the records (``optimizer.data.aggregate.surgical_demand``).
    One more person of a role is a typical recruit: the median contract hours and median incentive of the
    recruits of that role.
    """
    hospitals_df = ds.program_hospitals if program_only else ds.hospitals
    if hospitals_df.empty:
        raise CapacityInputError(f"{ds.root / 'facilities.csv'}: no open {'program ' if program_only else ''}"
                                 "hospitals (kind=hospital, status=open)")
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
    return CapacityInput(hospitals, staff_hours, headcount, _demand(ds.records_dir, keep), new_hours, incentive)


def _demand(records_dir: Path, keep: set[str]) -> dict[tuple[str, Specialty], SurgicalDemand]:
    if not (records_dir / "encounters").exists():
        raise CapacityInputError(f"{records_dir}: no encounters/ Parquet records; surgical demand needs them")
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
        raise CapacityInputError(f"data/reference/procedures.csv: specialty '{r['specialty']}' (demand row {i}, "
                                 f"hospital {r['clues']}) is not a surgical specialty")
    grouped = rows.groupby(["clues", "specialty"])[["procedures_per_week", "or_hours_per_week"]].sum()
    return {(str(c), Specialty(sp)): SurgicalDemand(float(r.procedures_per_week), float(r.or_hours_per_week))
            for (c, sp), r in grouped.iterrows() if r.or_hours_per_week > 0}


def load_input(dataset_dir: Path | str, program_only: bool = True) -> CapacityInput:
    """Load ``dataset_dir`` and build the capacity input (see :func:`from_dataset`)."""
    return from_dataset(load_dataset(dataset_dir), program_only)
