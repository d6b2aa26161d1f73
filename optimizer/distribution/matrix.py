"""Road distances and travel times between depots and facilities.

Default: great-circle (haversine) km times a detour factor (1.3 is a common road/straight-line ratio for
Mexico's intercity network). A distance-matrix CSV (``from,to,km``; ids are depot ids or CLUES keys)
overrides the pairs it lists, e.g. distances exported from a road router.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.geo import distance_matrix_km
from optimizer.i18n import MsgError, msg


class MatrixFileError(MsgError):
    """A distance-matrix file with a bad row (names the file, row and field, in a reader's language)."""


def road_km(ids: list[str], lat: np.ndarray, lon: np.ndarray, detour: float,
            matrix_file: Path | None = None) -> np.ndarray:
    """Square matrix of road km between ``ids`` (haversine x ``detour``, overridden by ``matrix_file``)."""
    km = distance_matrix_km(lat, lon, lat, lon) * detour
    if matrix_file is None:
        return km
    table = read_matrix_file(matrix_file)
    pos = {k: i for i, k in enumerate(ids)}
    for a, b, d in table.itertuples(index=False):
        if a in pos and b in pos:
            km[pos[a], pos[b]] = d
    return km


def read_matrix_file(path: Path) -> pd.DataFrame:
    """Rows ``from, to, km`` of a distance-matrix CSV, checked."""
    try:
        table = pd.read_csv(path, dtype={"from": str, "to": str})
    except (OSError, pd.errors.ParserError) as exc:
        raise MatrixFileError(msg("data.matrix.unreadable", file=str(path), detail=str(exc).strip())) from exc
    for col in ("from", "to", "km"):
        if col not in table.columns:
            raise MatrixFileError(msg("data.file.missing_columns", file=str(path), columns=col))
    km = pd.to_numeric(table["km"], errors="coerce")
    bad = table.index[km.isna() | (km < 0)]
    if len(bad):
        row = int(bad[0])
        raise MatrixFileError(msg("data.cell", file=str(path), row=row + 2, field="km",
                                  problem=msg("data.problem.not_distance", value=str(table.at[row, "km"]))))
    return pd.DataFrame({"from": table["from"], "to": table["to"], "km": km.astype(float)})


def seconds(km: np.ndarray, speed_kmh: float) -> np.ndarray:
    """Whole seconds to drive ``km`` at ``speed_kmh`` (rounded up)."""
    return np.ceil(km / speed_kmh * 3600.0).astype(np.int64)
