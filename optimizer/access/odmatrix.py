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

from optimizer.i18n import MsgError, joined, msg, msg_of, said

REQUIRED_COLUMNS = ("origin", "destination", "minutes")


class OdMatrixError(MsgError):
    """The file cannot be used at all (unreadable, a column missing, no valid row); said in a reader's language."""


@dataclass(frozen=True)
class RowReject:
    """One rejected row: ``row`` is the 1-based data row (the header is not counted)."""

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: str | None = None) -> str:
        """The reject in ``lang`` (default :func:`optimizer.i18n.resolve_lang`): file, row, field and why."""
        return msg("data.cell", file=self.file, row=self.row, field=self.field, problem=msg_of(self.message)).text(lang)


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
            raise OdMatrixError(msg("data.file.format", file=str(path), suffix=suffix, allowed=".csv, .parquet"))
    except (OSError, ValueError) as exc:
        if isinstance(exc, OdMatrixError):
            raise
        raise OdMatrixError(msg("data.od.unreadable", file=str(path), detail=str(exc).strip())) from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise OdMatrixError(msg("data.records.columns_of", file=str(path), missing=", ".join(missing),
                                expected=", ".join(REQUIRED_COLUMNS)))
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
            rejects.append(RowReject(name, row, "origin", said("data.od.origin", value=o_key)))
            continue
        if d_key not in d_index:
            rejects.append(RowReject(name, row, "destination", said("data.od.destination", value=d_key)))
            continue
        try:
            value = float(m)
        except (TypeError, ValueError):
            rejects.append(RowReject(name, row, "minutes", said("data.od.not_number", value=str(m))))
            continue
        if not np.isfinite(value) or value < 0:
            rejects.append(RowReject(name, row, "minutes", said("data.od.minutes", value=str(value))))
            continue
        i, j = o_index[o_key], d_index[d_key]
        if not np.isnan(minutes[i, j]):
            rejects.append(RowReject(name, row, "destination", said("data.od.twice", origin=o_key, destination=d_key)))
            continue
        minutes[i, j] = value
        loaded += 1
    if loaded == 0:
        first = [msg("data.cell", file=r.file, row=r.row, field=r.field, problem=msg_of(r.message))
                 for r in rejects[:3]]
        raise OdMatrixError(msg("data.od.no_valid_row", file=str(path), first=joined(*first) or msg("data.od.empty")))
    gaps = np.isnan(minutes)
    n_gaps = int(gaps.sum())
    if n_gaps:
        if estimate is None:
            i, j = np.argwhere(gaps)[0]
            raise OdMatrixError(msg("data.od.gaps", file=str(path), count=n_gaps, origin=origins[i],
                                    destination=destinations[j]))
        minutes[gaps] = estimate[gaps]
    return OdMatrix(minutes=minutes, rejects=rejects, rows_loaded=loaded, pairs_estimated=n_gaps)
