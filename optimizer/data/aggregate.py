"""Weekly demand from patient records, aggregated by DuckDB straight from Parquet (streaming).

Records are a sample: each row stands for ``expansion_factor`` real encounters (``records/_meta.json``).
Demand per week = count in the period / weeks in the period * expansion_factor. The period is taken from
``_meta.json`` (``weeks``, or ``start_date``..``end_date`` inclusive); without it, from the first to the
last encounter date in the files, with an expansion factor of 1. DuckDB reads only the columns a query
needs and never holds all records in memory; only the aggregate comes back as a DataFrame.

The functions read any records folder with the generator's layout (raw records with ``curp`` or the
store's pseudonymised copy with ``hid``); they expect validated records (see
:mod:`optimizer.data.record_checks`): surgical demand counts only procedure codes known to
``data/reference/procedures.csv``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from optimizer.data.record_checks import connect, parquet_source
from optimizer.paths import REFERENCE_DIR

#: Column that identifies a patient, raw records first then the store's pseudonymised copy.
PATIENT_COLUMNS: tuple[str, ...] = ("curp", "hid")


@dataclass(frozen=True)
class RecordsPeriod:
    """The period the records cover and how many real encounters each record stands for."""

    start: date
    end: date
    weeks: float
    expansion_factor: float

    @property
    def per_week(self) -> float:
        """Multiplier from a count of records to real events per week."""
        return self.expansion_factor / self.weeks


def records_period(records_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> RecordsPeriod:
    """Period and expansion factor of ``records_dir`` from ``_meta.json``, else from the data (factor 1)."""
    records_dir = Path(records_dir)
    meta_path = records_dir / "_meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    factor = float(meta.get("expansion_factor", 1.0))
    if factor <= 0:
        raise ValueError(f"{meta_path}: expansion_factor must be positive, got {factor}")
    if "start_date" in meta and "end_date" in meta:
        start, end = date.fromisoformat(meta["start_date"]), date.fromisoformat(meta["end_date"])
    else:
        con = con or connect()
        start, end = con.execute(
            f"SELECT min(date), max(date) FROM {parquet_source(records_dir, 'encounters')}").fetchall()[0]
        if start is None:
            raise ValueError(f"{records_dir}: no encounter has a date, cannot tell the period length")
    weeks = float(meta.get("weeks", ((end - start).days + 1) / 7))
    if weeks <= 0:
        raise ValueError(f"{records_dir}: the records period must be positive, got {weeks} weeks")
    return RecordsPeriod(start, end, weeks, factor)


def _patient_column(con: duckdb.DuckDBPyConnection, source: str) -> str:
    cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    for c in PATIENT_COLUMNS:
        if c in cols:
            return c
    raise ValueError(f"encounters have no patient column ({' or '.join(PATIENT_COLUMNS)})")


def surgical_demand(records_dir: Path, with_patients: bool = False) -> pd.DataFrame:
    """Surgical demand by hospital and specialty: procedures and operating-room hours per week.

    Columns ``clues, specialty, procedures_per_week, or_hours_per_week`` (real procedures per week and OR
    hours per week, after the expansion factor); with ``with_patients`` also ``patients``, the distinct
    patients behind the row in the sample (for small-count suppression).
    """
    con = connect()
    period = records_period(records_dir, con)
    src = parquet_source(records_dir, "encounters")
    procs = pd.read_csv(REFERENCE_DIR / "procedures.csv", dtype={"code": str, "specialty": str})
    con.register("procedures_df", procs[["code", "specialty", "or_hours"]])
    patients = f", count(DISTINCT e.{_patient_column(con, src)}) AS patients" if with_patients else ""
    df = con.execute(f"""
        SELECT e.clues, p.specialty,
               count(*) * $k AS procedures_per_week,
               sum(p.or_hours) * $k AS or_hours_per_week {patients}
        FROM {src} e JOIN procedures_df p ON e.procedure = p.code
        GROUP BY e.clues, p.specialty ORDER BY e.clues, p.specialty
    """, {"k": period.per_week}).df()
    con.close()
    return df


def medicine_demand(records_dir: Path, with_patients: bool = False) -> pd.DataFrame:
    """Medicine demand by facility and SKU: columns ``clues, sku, units_per_week`` (real units per week).

    With ``with_patients`` also ``patients``: distinct patients of the prescribing encounters.
    """
    con = connect()
    period = records_period(records_dir, con)
    rx = parquet_source(records_dir, "prescriptions")
    if with_patients:
        enc = parquet_source(records_dir, "encounters")
        pcol = _patient_column(con, enc)
        sql = f"""
            SELECT r.clues, r.sku, sum(r.units) * $k AS units_per_week, count(DISTINCT e.{pcol}) AS patients
            FROM {rx} r JOIN {enc} e ON r.record_id = e.record_id
            GROUP BY r.clues, r.sku ORDER BY r.clues, r.sku"""
    else:
        sql = f"""
            SELECT clues, sku, sum(units) * $k AS units_per_week
            FROM {rx} GROUP BY clues, sku ORDER BY clues, sku"""
    df = con.execute(sql, {"k": period.per_week}).df()
    con.close()
    return df


def medicine_demand_weekly(records_dir: Path) -> pd.DataFrame:
    """Medicine units by facility, SKU and week: columns ``clues, sku, week, units``.

    ``week`` is the Monday (ISO week start) of the prescription date; ``units`` are real units in that week
    (records times the expansion factor), for seasonality and forecasting.
    """
    con = connect()
    period = records_period(records_dir, con)
    rx = parquet_source(records_dir, "prescriptions")
    df = con.execute(f"""
        SELECT clues, sku, CAST(date_trunc('week', date) AS DATE) AS week, sum(units) * $f AS units
        FROM {rx} GROUP BY ALL ORDER BY clues, sku, week
    """, {"f": period.expansion_factor}).df()
    con.close()
    return df
