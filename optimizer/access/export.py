"""Write access tables to an XLSX workbook (one sheet per table) or to CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_tables(path: str | Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """``path`` ending in ``.xlsx``: one sheet per table; ending in ``.csv``: ``<stem>_<name>.csv`` each."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".xlsx", ".csv"}:
        raise ValueError(f"{path}: export to a .csv or .xlsx path")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, df in tables.items():
                df.to_excel(xw, sheet_name=name[:31], index=False)
        return [path]
    written = []
    for name, df in tables.items():
        target = path.with_name(f"{path.stem}_{name}.csv")
        df.to_csv(target, index=False)
        written.append(target)
    return written
