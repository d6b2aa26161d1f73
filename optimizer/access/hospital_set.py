"""Read a set of 24/7 hospitals (CLUES keys) from a file, e.g. the capacity model's 24/7 status export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.capacity.run import hospitals_24_7_in_post
from optimizer.capacity.settings import CapacitySettings
from optimizer.data.dataset import load_dataset


def read_hospital_set(path: str | Path, known: set[str]) -> frozenset[str]:
    """CLUES keys from the ``clues`` column of a CSV (or Parquet) file.

    Rows may carry a boolean column ``is_24_7`` (or ``twenty_four_seven``); only rows where it is true are
    kept. A key that is not an open hospital of the dataset is an error naming file, row and field.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: file not found")
    try:
        df = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(
            path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the file ({exc})") from exc
    if "clues" not in df.columns:
        raise ValueError(f"{path}: no 'clues' column (columns: {', '.join(map(str, df.columns))})")
    flag = next((c for c in ("is_24_7", "twenty_four_seven") if c in df.columns), None)
    keys: set[str] = set()
    for row, rec in enumerate(df.to_dict(orient="records"), start=1):
        clues = str(rec["clues"]).strip()
        if clues not in known:
            raise ValueError(f"{path}, row {row}, field 'clues': '{clues}' is not an open hospital of the dataset")
        if flag is not None and str(rec[flag]).strip().lower() not in {"1", "true", "yes", "t", "y"}:
            continue
        keys.add(clues)
    return frozenset(keys)


def hospitals_24_7_from_capacity(dataset_dir: str | Path, settings: CapacitySettings | None = None) -> frozenset[str]:
    """Hospitals of the dataset folder the capacity model finds 24/7 for surgery from its staff in post (under
    ``settings``, default the capacity defaults): :func:`optimizer.capacity.run.hospitals_24_7_in_post`."""
    return hospitals_24_7_in_post(load_dataset(dataset_dir), settings or CapacitySettings())
