"""A dataset folder (CSV tables + ``records/`` Parquet) loaded as typed DataFrames for the models."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.data.loaders import LoadReport, load_table
from optimizer.domain import Depot, Facility, Medicine, Specialist, State, Stock, Vehicle

#: Table file name -> entity it holds.
TABLES: dict[str, type] = {
    "states": State,
    "facilities": Facility,
    "specialists": Specialist,
    "medicines": Medicine,
    "depots": Depot,
    "vehicles": Vehicle,
    "stock": Stock,
}


@dataclass
class Dataset:
    """Validated tables of one dataset folder. Each DataFrame holds only rows that passed validation."""

    root: Path
    states: pd.DataFrame
    facilities: pd.DataFrame
    specialists: pd.DataFrame
    medicines: pd.DataFrame
    depots: pd.DataFrame
    vehicles: pd.DataFrame
    stock: pd.DataFrame
    reports: dict[str, LoadReport] = field(default_factory=dict)

    @property
    def records_dir(self) -> Path:
        """Folder of the health records (``encounters/`` and ``prescriptions/`` Parquet, ``_meta.json``)."""
        return self.root / "records"

    @property
    def records_meta(self) -> dict:
        """Metadata the generator (or an export job) wrote beside the records."""
        path = self.records_dir / "_meta.json"
        return json.loads(path.read_text()) if path.exists() else {}

    @property
    def hospitals(self) -> pd.DataFrame:
        """Open hospitals (program and others)."""
        f = self.facilities
        return f[(f["kind"] == "hospital") & (f["status"] == "open")].reset_index(drop=True)

    @property
    def program_hospitals(self) -> pd.DataFrame:
        """The Médicos del Bienestar hospitals (open, ``program`` flag set)."""
        h = self.hospitals
        return h[h["program"]].reset_index(drop=True)

    @property
    def rejected_rows(self) -> int:
        """Rows rejected across all tables (see ``reports``)."""
        return sum(len(r.rejects) for r in self.reports.values())


def load_dataset(root: Path | str) -> Dataset:
    """Load and validate every table of a dataset folder (missing optional tables give empty frames)."""
    root = Path(root)
    if not (root / "facilities.csv").exists():
        raise FileNotFoundError(
            f"{root} holds no dataset (facilities.csv missing); run `bienestar data generate --out {root}`")
    frames: dict[str, pd.DataFrame] = {}
    reports: dict[str, LoadReport] = {}
    known: dict[str, set[str]] = {}
    for name, entity in TABLES.items():
        path = root / f"{name}.csv"
        if not path.exists():
            frames[name] = pd.DataFrame(columns=list(entity.model_fields))
            continue
        report = load_table(path, entity, foreign_keys=_foreign_keys(name, known))
        frames[name] = report.frame
        reports[name] = report
        if name == "facilities":
            known["clues"] = set(report.frame["clues"])
        if name == "depots":
            known["depot_id"] = set(report.frame["depot_id"])
    return Dataset(root=root, reports=reports, **frames)


def _foreign_keys(table: str, known: dict[str, set[str]]) -> dict[str, set[str]]:
    if table == "specialists" and "clues" in known:
        return {"facility_clues": known["clues"]}
    if table == "vehicles" and "depot_id" in known:
        return {"depot_id": known["depot_id"]}
    if table == "stock" and "clues" in known:
        return {"location": known["clues"] | known.get("depot_id", set())}
    return {}
