"""A dataset folder (CSV tables + ``records/`` Parquet) loaded as typed DataFrames for the models."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.data.loaders import ENTITY_TABLES, ValidatedTables, load_dataset_files
from optimizer.data.rejects import Reject


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
    validation: ValidatedTables | None = field(default=None, repr=False)

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
    def rejects(self) -> list[Reject]:
        """Every problem found while loading (file, row, field, value, reason)."""
        return self.validation.rejects if self.validation else []


def load_dataset(root: Path | str) -> Dataset:
    """Load and validate every table of a dataset folder; tables that are absent give empty frames.

    Rows that fail validation are left out of the frames and listed in ``Dataset.rejects``.
    """
    root = Path(root)
    if not (root / "facilities.csv").exists():
        raise FileNotFoundError(
            f"{root} holds no dataset (facilities.csv missing); run `bienestar data generate --out {root}`")
    checked = load_dataset_files(root)
    frames: dict[str, pd.DataFrame] = {}
    for name, (entity, _key) in ENTITY_TABLES.items():
        load = checked.loads.get(name)
        frames[name] = load.frame() if load else pd.DataFrame(columns=list(entity.model_fields))
    return Dataset(root=root, validation=checked, **frames)
