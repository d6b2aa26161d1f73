"""A finished run's plan tables (``<run_dir>/plans/<stage>/<table>.csv``) and who may read them.

Person-level plans (deployment assignments, rosters) are for HR; routes and allocations for logistics;
capacity and access plans for planners. Tables are served as JSON records, the CSV itself, or XLSX.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from api.auth import Scope
from optimizer.reports.sheets import frames_to_xlsx

#: The scope a run's stage's tables belong to.
STAGE_SCOPE: dict[str, Scope] = {
    "deployment": Scope.PLANS_PEOPLE,
    "rostering": Scope.PLANS_PEOPLE,
    "distribution": Scope.PLANS_ROUTES,
    "capacity": Scope.PLANS_PLANNING,
    "access": Scope.PLANS_PLANNING,
    "demand": Scope.PLANS_PLANNING,
}
_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def scope_of(stage: str) -> Scope:
    """Scope of a stage's tables; stages not listed are planning outputs."""
    return STAGE_SCOPE.get(stage, Scope.PLANS_PLANNING)


def list_tables(run_dir: Path) -> list[tuple[str, str, Path]]:
    """``(stage, table, path)`` of every plan table of the run, sorted."""
    root = Path(run_dir) / "plans"
    if not root.is_dir():
        return []
    return [(p.parent.name, p.stem, p) for p in sorted(root.glob("*/*.csv"))]


def table_path(run_dir: Path, stage: str, table: str) -> Path | None:
    """Path of one table, or None (names are checked so no path can escape the run folder)."""
    if not (_PART.match(stage) and _PART.match(table)):
        return None
    path = Path(run_dir) / "plans" / stage / f"{table}.csv"
    return path if path.is_file() else None


def read_table(path: Path, limit: int, offset: int) -> tuple[int, pd.DataFrame]:
    """Total rows and the requested slice of a plan table."""
    df = pd.read_csv(path)
    return len(df), df.iloc[offset:offset + limit]


def to_records(df: pd.DataFrame) -> list[dict]:
    """JSON-ready rows (missing values as null)."""
    return json.loads(df.to_json(orient="records", date_format="iso"))


def to_xlsx(frames: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per frame: bold frozen header, filters, widths, typed cells, printable."""
    return frames_to_xlsx(frames)
