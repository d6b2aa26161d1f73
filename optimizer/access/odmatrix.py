"""Load a real origin-destination travel-time matrix (CSV or Parquet) from a routing engine.

The file is a long table with one row per pair and the columns ``origin`` (municipality key ``cvegeo``),
``destination`` (a CLUES key, or a ``cvegeo`` for what-if sites) and ``minutes`` (road minutes, >= 0).
Bad rows are rejected one by one and named by file, row and field; they never stop the load. Pairs the
file does not give are taken from the coordinate estimate when one is supplied (and counted), so a
partial matrix from a routing engine can refine the estimate where it is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

REQUIRED_COLUMNS = ("origin", "destination", "minutes")


class OdMatrixError(ValueError):
    """The file cannot be used at all (unreadable, a column missing, no valid row)."""


@dataclass(frozen=True)
class RowReject:
    """One rejected row: ``row`` is the 1-based data row (the header is not counted)."""

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, field '{self.field}': {self.message}"


@dataclass
class OdMatrix:
    """Minutes origins x destinations, with what was rejected and how many pairs were estimated."""

    minutes: NDArray[np.float64]
    rejects: list[RowReject] = field(default_factory=list)
    rows_loaded: int = 0
    pairs_estimated: int = 0


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            df = pd.read_parquet(path)
        elif suffix in {".csv", ".txt"}:
            df = pd.read_csv(path, dtype={"origin": str, "destination": str, "minutes": str},
                             keep_default_na=False)
        else:
            raise OdMatrixError(f"{path}: unsupported format '{suffix}' (use .csv or .parquet)")
    except (OSError, ValueError) as exc:
        if isinstance(exc, OdMatrixError):
            raise
        raise OdMatrixError(f"{path}: cannot read the file ({exc})") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise OdMatrixError(f"{path}: missing column(s) {', '.join(missing)}; "
                            f"expected {', '.join(REQUIRED_COLUMNS)}")
    return df


def load_od_matrix(path: str | Path, origins: list[str], destinations: list[str],
                   estimate: NDArray[np.float64] | None = None) -> OdMatrix:
    """Read ``path`` into a matrix aligned with ``origins`` x ``destinations`` (keys in that order).

    Rows with an unknown origin or destination, a minutes value that is not a finite number >= 0, or a
    pair already given earlier in the file are rejected and named. Missing pairs come from ``estimate``
    (same shape); without an estimate every pair must be in the file.
    """
    path = Path(path)
    df = _read_table(path)
    o_index = {k: i for i, k in enumerate(origins)}
    d_index = {k: j for j, k in enumerate(destinations)}
    minutes = np.full((len(origins), len(destinations)), np.nan)
    rejects: list[RowReject] = []
    name = str(path)
    loaded = 0
    for row, (o, d, m) in enumerate(zip(df["origin"], df["destination"], df["minutes"], strict=True), start=1):
        o_key, d_key = str(o).strip(), str(d).strip()
        if o_key not in o_index:
            rejects.append(RowReject(name, row, "origin", f"'{o_key}' is not a municipality in scope"))
            continue
        if d_key not in d_index:
            rejects.append(RowReject(name, row, "destination", f"'{d_key}' is not a destination in scope"))
            continue
        try:
            value = float(m)
        except (TypeError, ValueError):
            rejects.append(RowReject(name, row, "minutes", f"'{m}' is not a number"))
            continue
        if not np.isfinite(value) or value < 0:
            rejects.append(RowReject(name, row, "minutes", f"{value} is not a finite number of minutes >= 0"))
            continue
        i, j = o_index[o_key], d_index[d_key]
        if not np.isnan(minutes[i, j]):
            rejects.append(RowReject(name, row, "destination", f"pair {o_key} -> {d_key} given twice"))
            continue
        minutes[i, j] = value
        loaded += 1
    if loaded == 0:
        raise OdMatrixError(f"{path}: no valid row (first problems: "
                            f"{'; '.join(str(r) for r in rejects[:3]) or 'the file is empty'})")
    gaps = np.isnan(minutes)
    n_gaps = int(gaps.sum())
    if n_gaps:
        if estimate is None:
            i, j = np.argwhere(gaps)[0]
            raise OdMatrixError(f"{path}: {n_gaps} origin-destination pairs are missing "
                                f"(e.g. {origins[i]} -> {destinations[j]}) and no estimate was given")
        minutes[gaps] = estimate[gaps]
    return OdMatrix(minutes=minutes, rejects=rejects, rows_loaded=loaded, pairs_estimated=n_gaps)
