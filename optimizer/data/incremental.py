"""Incremental demand aggregation over month-partitioned records (``month=YYYY-MM/...`` folders).

Demand is a sum, so it decomposes by month: we keep one small Parquet file of partial sums per month
(procedures and operating-room hours by hospital x specialty; medicine units by facility x SKU) and the
number of days each month covers. Adding a month of records aggregates that month's folder alone and leaves
the other months' partial sums untouched; the weekly demand is then re-derived from the partial sums.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.data.aggregate import records_period
from optimizer.data.record_checks import connect
from optimizer.paths import REFERENCE_DIR

_MONTH_DIR = re.compile(r"^month=(\d{4}-\d{2})$")


def record_months(records_dir: Path) -> list[str]:
    """Months present as ``encounters/month=YYYY-MM`` folders, sorted."""
    folder = Path(records_dir) / "encounters"
    months = [m.group(1) for p in folder.iterdir() if p.is_dir() and (m := _MONTH_DIR.match(p.name))]
    return sorted(months)


@dataclass
class DemandCube:
    """Monthly partial sums of demand kept in ``folder`` (``surgical/``, ``medicine/``, ``index.json``)."""

    folder: Path

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)

    @property
    def index_path(self) -> Path:
        return self.folder / "index.json"

    def index(self) -> dict[str, dict]:
        """Months aggregated so far: ``{month: {"days": int, "encounters": int, "prescriptions": int}}``."""
        return json.loads(self.index_path.read_text()) if self.index_path.exists() else {}

    def update(self, records_dir: Path, months: list[str] | None = None) -> list[str]:
        """Aggregate the months of ``records_dir`` not in the cube yet (or exactly ``months``, re-done).

        Returns the months aggregated. Only those months' folders are read.
        """
        records_dir = Path(records_dir)
        done = self.index()
        todo = months if months is not None else [m for m in record_months(records_dir) if m not in done]
        if not todo:
            return []
        (self.folder / "surgical").mkdir(parents=True, exist_ok=True)
        (self.folder / "medicine").mkdir(parents=True, exist_ok=True)
        con = connect()
        procs = pd.read_csv(REFERENCE_DIR / "procedures.csv", dtype={"code": str})[["code", "specialty", "or_hours"]]
        con.register("procedures_df", procs)
        for month in todo:
            enc = _source(records_dir, "encounters", month)
            rx = _source(records_dir, "prescriptions", month)
            surg = con.execute(f"""
                SELECT e.clues, p.specialty, count(*)::DOUBLE AS procedures, sum(p.or_hours) AS or_hours
                FROM {enc} e JOIN procedures_df p ON e.procedure = p.code
                GROUP BY ALL""").df()
            meds = con.execute(f"SELECT clues, sku, sum(units)::DOUBLE AS units FROM {rx} GROUP BY ALL").df()
            first, last, n_enc = con.execute(f"SELECT min(date), max(date), count(*) FROM {enc}").fetchone()
            n_rx = con.execute(f"SELECT count(*) FROM {rx}").fetchone()[0]
            surg.to_parquet(self.folder / "surgical" / f"month={month}.parquet", index=False)
            meds.to_parquet(self.folder / "medicine" / f"month={month}.parquet", index=False)
            done[month] = {"days": (last - first).days + 1, "encounters": int(n_enc), "prescriptions": int(n_rx)}
        con.close()
        self.index_path.write_text(json.dumps(dict(sorted(done.items())), indent=2))
        return list(todo)

    def weeks(self) -> float:
        """Weeks of records the cube covers (sum of the days each month covers / 7)."""
        return sum(v["days"] for v in self.index().values()) / 7

    def surgical_demand(self, expansion_factor: float) -> pd.DataFrame:
        """``clues, specialty, procedures_per_week, or_hours_per_week`` over all months in the cube."""
        per_week = expansion_factor / self.weeks()
        df = pd.read_parquet(self.folder / "surgical")
        out = df.groupby(["clues", "specialty"], as_index=False)[["procedures", "or_hours"]].sum()
        return pd.DataFrame({"clues": out["clues"], "specialty": out["specialty"],
                             "procedures_per_week": out["procedures"] * per_week,
                             "or_hours_per_week": out["or_hours"] * per_week})

    def medicine_demand(self, expansion_factor: float) -> pd.DataFrame:
        """``clues, sku, units_per_week`` over all months in the cube."""
        per_week = expansion_factor / self.weeks()
        df = pd.read_parquet(self.folder / "medicine")
        out = df.groupby(["clues", "sku"], as_index=False)["units"].sum()
        return pd.DataFrame({"clues": out["clues"], "sku": out["sku"], "units_per_week": out["units"] * per_week})


def expansion_factor(records_dir: Path) -> float:
    """Real encounters each record stands for (from ``_meta.json``; 1 when absent)."""
    return records_period(Path(records_dir)).expansion_factor


def _source(records_dir: Path, table: str, month: str) -> str:
    glob = str(Path(records_dir) / table / f"month={month}" / "**" / "*.parquet").replace("'", "''")
    return f"read_parquet('{glob}', hive_partitioning=false, union_by_name=true)"
