"""Ingestion of uploaded files: validate every row, store the valid ones at once, report the rest.

Entity uploads (facilities, staff) go through the data layer's loaders (the same rules and reject
messages as ``bienestar data load``), their references are checked against what the store already holds,
and valid rows are upserted; staff CURPs are replaced by ``hid`` before anything is written. Record
uploads (encounters + prescriptions, CSV or Parquet) are validated by DuckDB, the valid rows written as
pseudonymised Parquet beside the store's records (CURP replaced by ``hid``), and the demand aggregates
recomputed. The raw upload lives only in a temporary folder that is deleted when the request ends.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from optimizer.data.loaders import EntityLoad, check_foreign_keys, load_entities
from optimizer.data.privacy import hmac_sql, hmac_sql_params, load_key
from optimizer.data.record_checks import ENCOUNTER_COLUMNS, PRESCRIPTION_COLUMNS, connect, validate_records
from optimizer.data.rejects import DataFileError, Reject
from optimizer.data.store import (
    FacilityRow,
    MedicineDemandRow,
    MedicineRow,
    SpecialistRow,
    StateRow,
    SurgicalDemandRow,
    demand_rows,
    entity_rows,
    replace_table,
    upsert,
)
from optimizer.domain import Facility, Specialist, State
from optimizer.i18n import msg, said

#: Accepted upload suffixes.
ENTITY_SUFFIXES = (".csv", ".parquet", ".xlsx")
RECORD_SUFFIXES = (".csv", ".parquet")
#: Rejects listed in a response (the counts are always complete).
MAX_LISTED_REJECTS = 1000

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class IngestReport:
    """What an upload did: rows read and stored, and one reject per problem (file, row, field, reason)."""

    kind: str
    files: list[str]
    rows_read: int
    accepted: int
    rejected_rows: int
    rejects: list[Reject] = field(default_factory=list)
    rejects_truncated: bool = False


def safe_name(filename: str | None, default: str) -> str:
    """A file name safe to write in a temp folder (no path parts), keeping the suffix."""
    name = _SAFE.sub("_", Path(filename or default).name).strip("._") or default
    return name[:120]


def _store_load(engine: Engine, table: type, model: type, file: str, key: tuple[str, ...]) -> EntityLoad:
    """An :class:`EntityLoad` holding the rows already in the store, for the cross-file checks."""
    with Session(engine) as session:
        rows = session.scalars(select(table)).all()
        data = [{c: getattr(r, c) for c in model.model_fields} for r in rows]
    load = EntityLoad(file, model, key)
    for i, d in enumerate(data):
        load.entities.append(model.model_construct(**d))
        load.row_numbers.append(i + 2)
    return load


def ingest_entities(engine: Engine, kind: str, upload: Path) -> IngestReport:
    """Validate an uploaded facilities or staff file and upsert its valid rows."""
    if kind == "facilities":
        load = load_entities(upload, Facility)
        loads = {"facilities": load, "states": _store_load(engine, StateRow, State, "states (store)", ("cve_ent",))}
        store_table, entity_name = FacilityRow, "facilities"
    else:
        load = load_entities(upload, Specialist)
        facilities = _store_load(engine, FacilityRow, Facility, "facilities (store)", ("clues",))
        loads = {"specialists": load, "facilities": facilities}
        store_table, entity_name = SpecialistRow, "specialists"
    check_foreign_keys(loads)
    key = load_key()
    rows = entity_rows(entity_name, load.entities, key)
    if kind == "staff":
        rows = _drop_identity_clashes(engine, load, rows)
    with Session(engine) as session, session.begin():
        upsert(session, store_table, rows)
    rejected = len({r.row for r in load.rejects})
    return IngestReport(kind, [upload.name], load.rows_read, len(rows), rejected, load.rejects[:MAX_LISTED_REJECTS],
                        len(load.rejects) > MAX_LISTED_REJECTS)


def _drop_identity_clashes(engine: Engine, load: EntityLoad, rows: list[dict]) -> list[dict]:
    """Reject rows whose person (``hid``) is already stored under another staff number."""
    with Session(engine) as session:
        owner = dict(session.execute(select(SpecialistRow.hid, SpecialistRow.specialist_id)).all())
    kept = []
    for row, row_no in zip(rows, load.row_numbers, strict=True):
        other = owner.get(row["hid"])
        if other is not None and other != row["specialist_id"]:
            load.rejects.append(Reject(load.file, row_no, "curp", "", said("data.reject.same_stored_person",
                                                                         other=other)))
        else:
            kept.append(row)
    return kept


def _as_parquet(upload: Path, out: Path, columns: tuple[str, ...], types: dict[str, str]) -> None:
    """Copy an uploaded CSV or Parquet file to ``out`` as Parquet with the record schema's types.

    CSV cells that do not parse as their type become null, which the record rules then reject by row.
    """
    con = connect()
    src = str(upload).replace("'", "''")
    if upload.suffix.lower() == ".csv":
        reader = f"read_csv('{src}', all_varchar=true, header=true)"
        cols = ", ".join(f"TRY_CAST(NULLIF(\"{c}\", '') AS {types[c]}) AS \"{c}\"" for c in columns)
        try:
            con.execute(f"SELECT * FROM {reader} LIMIT 0")
            present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        except Exception as exc:
            raise DataFileError(msg("data.file.not_csv", file=upload.name, detail=_first_line(exc))) from None
        missing = [c for c in columns if c not in present]
        if missing:
            raise DataFileError(msg("data.file.missing_columns", file=upload.name, columns=", ".join(missing)))
        con.execute(f"COPY (SELECT {cols} FROM {reader}) TO '{str(out).replace(chr(39), chr(39) * 2)}' "
                    "(FORMAT parquet)")
    else:
        try:
            con.execute(f"SELECT * FROM read_parquet('{src}') LIMIT 0")
        except Exception:
            raise DataFileError(msg("data.file.not_parquet", file=upload.name)) from None
        shutil.copyfile(upload, out)
    con.close()


ENCOUNTER_TYPES = {"record_id": "BIGINT", "curp": "VARCHAR", "clues": "VARCHAR", "date": "DATE",
                   "age": "SMALLINT", "sex": "VARCHAR", "icd10": "VARCHAR", "procedure": "VARCHAR"}
PRESCRIPTION_TYPES = {"record_id": "BIGINT", "clues": "VARCHAR", "date": "DATE", "sku": "VARCHAR",
                      "units": "INTEGER"}


def ingest_records(engine: Engine, records_dir: Path, encounters: Path, prescriptions: Path) -> IngestReport:
    """Validate uploaded encounters + prescriptions and append the valid rows, pseudonymised, to the records.

    Encounters whose ``record_id`` is already in the stored records are rejected (and so are their
    prescriptions), so uploading the same file twice adds nothing. Demand aggregates are recomputed.
    """
    with tempfile.TemporaryDirectory(prefix="bienestar-records-") as tmp:
        work = Path(tmp) / "records"
        (work / "encounters").mkdir(parents=True)
        (work / "prescriptions").mkdir(parents=True)
        enc_name = Path(encounters.name).with_suffix(".parquet").name
        rx_name = Path(prescriptions.name).with_suffix(".parquet").name
        _as_parquet(encounters, work / "encounters" / enc_name, ENCOUNTER_COLUMNS, ENCOUNTER_TYPES)
        _as_parquet(prescriptions, work / "prescriptions" / rx_name, PRESCRIPTION_COLUMNS, PRESCRIPTION_TYPES)
        with Session(engine) as session:
            clues = list(session.scalars(select(FacilityRow.clues)))
            skus = list(session.scalars(select(MedicineRow.sku)))
        check = validate_records(work, clues, skus)
        rejects = [Reject(_display(r.file, encounters.name, prescriptions.name), r.row, r.field, r.value, r.reason)
                   for r in check.rejects(limit=MAX_LISTED_REJECTS + 1)]
        con = check.con
        existing = records_dir / "encounters"
        if existing.is_dir() and any(existing.rglob("*.parquet")):
            glob = str(existing / "**" / "*.parquet").replace("'", "''")
            con.execute(f"CREATE OR REPLACE TEMP TABLE known_ids AS SELECT record_id FROM read_parquet('{glob}')")
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE known_ids (record_id BIGINT)")
        dup = con.execute("SELECT record_id FROM valid_encounters WHERE record_id IN (SELECT record_id FROM known_ids)"
                          " ORDER BY record_id LIMIT 1000").fetchall()
        rejects += [Reject(encounters.name, 0, "record_id", str(r[0]), said("data.reject.already_ingested"))
                    for r in dup[:max(MAX_LISTED_REJECTS - len(rejects), 0)]]
        n_dup = sum(int(con.execute(f"SELECT count(*) FROM valid_{t} WHERE record_id IN "
                                    "(SELECT record_id FROM known_ids)").fetchall()[0][0])
                    for t in ("encounters", "prescriptions"))
        upload_id = uuid.uuid4().hex[:12]
        (records_dir / "encounters").mkdir(parents=True, exist_ok=True)
        (records_dir / "prescriptions").mkdir(parents=True, exist_ok=True)
        enc_out = records_dir / "encounters" / f"upload-{upload_id}.parquet"
        rx_out = records_dir / "prescriptions" / f"upload-{upload_id}.parquet"
        key = load_key()
        new = "FROM valid_encounters WHERE record_id NOT IN (SELECT record_id FROM known_ids)"
        con.execute(f"""COPY (SELECT record_id, {hmac_sql('curp')} AS hid, clues, date, age, sex, icd10, procedure
                        {new} ORDER BY record_id) TO '{_q(enc_out)}.tmp' (FORMAT parquet, COMPRESSION zstd)""",
                    hmac_sql_params(key))
        con.execute(f"""COPY (SELECT * FROM valid_prescriptions WHERE record_id NOT IN (SELECT record_id FROM known_ids)
                        ORDER BY record_id) TO '{_q(rx_out)}.tmp' (FORMAT parquet, COMPRESSION zstd)""")
        counts = check.counts
        con.close()
    Path(f"{enc_out}.tmp").rename(enc_out)
    Path(f"{rx_out}.tmp").rename(rx_out)
    surgical, medicine = demand_rows(records_dir)
    with Session(engine) as session, session.begin():
        replace_table(session, SurgicalDemandRow, surgical)
        replace_table(session, MedicineDemandRow, medicine)
    read = counts["encounters"]["read"] + counts["prescriptions"]["read"]
    bad = counts["encounters"]["rejected"] + counts["prescriptions"]["rejected"] + n_dup
    return IngestReport("records", [encounters.name, prescriptions.name], read, read - bad, bad,
                        rejects[:MAX_LISTED_REJECTS], len(rejects) > MAX_LISTED_REJECTS)


def _first_line(exc: Exception) -> str:
    """DuckDB's reason for refusing a CSV, first line only (its hints are for developers)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _display(file: str, enc_name: str, rx_name: str) -> str:
    """Reject file names as the client sent them (the check sees ``encounters/<name>.parquet``)."""
    if file.startswith("encounters/"):
        return enc_name
    if file.startswith("prescriptions/"):
        return rx_name
    return file
