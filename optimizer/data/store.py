"""The store: SQLAlchemy 2 tables for entities, demand aggregates and model runs.

SQLite file ``home_dir()/bienestar.sqlite`` by default; any SQLAlchemy URL through ``BIENESTAR_DB_URL``
(``postgresql://user@host/db`` uses psycopg 3). Tables hold what the API may show: facilities, specialists
(keyed hash ``hid``, never the CURP), medicines, depots, vehicles, stock, weekly demand aggregates (with
small counts suppressed) and runs. Patient-level records never enter the database: they are written as
pseudonymised Parquet under ``home_dir()/records`` (CURP replaced by ``hid``) for the aggregation queries.

:func:`load_dataset_into_store` is idempotent: rows are upserted by natural key, demand tables and the
records copy are replaced, so loading the same folder twice leaves the same contents.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from optimizer.data.aggregate import medicine_demand, surgical_demand
from optimizer.data.loaders import ValidatedTables, load_dataset_files
from optimizer.data.privacy import (
    SMALL_COUNT_K,
    hmac_sql,
    hmac_sql_params,
    load_key,
    pseudonymise,
    suppress_small_counts,
)
from optimizer.data.record_checks import RecordRules, RecordsCheck, validate_records
from optimizer.data.rejects import write_rejects
from optimizer.paths import home_dir

#: Environment variable with the database URL.
DB_URL_ENV = "BIENESTAR_DB_URL"
#: Rows per executemany call (memory bound only; the driver batches the statement itself).
BATCH_ROWS = 5000


def db_url() -> str:
    """``BIENESTAR_DB_URL`` if set, else the SQLite file ``home_dir()/bienestar.sqlite``."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{home_dir() / 'bienestar.sqlite'}"


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain PostgreSQL URLs (SQLAlchemy's default would be psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default :func:`db_url`, read at each call), one per URL per process."""
    return _engine(normalise_url(url or db_url()))


@lru_cache(maxsize=16)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
    except ModuleNotFoundError as exc:  # PostgreSQL's driver is an extra, not a core dependency
        raise RuntimeError(f"the store URL needs the {exc.name!r} driver: "
                           "pip install -c requirements.lock -e '.[postgres]'") from exc
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn: Any, _record: Any) -> None:  # SQLite enforces foreign keys only when asked
            dbapi_conn.execute("PRAGMA foreign_keys = ON")
    return engine


# --- tables ------------------------------------------------------------------------------------------------


class Base(DeclarativeBase):
    """Declarative base of every store table."""


class StateRow(Base):
    __tablename__ = "states"
    cve_ent: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    abbreviation: Mapped[str] = mapped_column(String(10))
    capital: Mapped[str] = mapped_column(String(80))
    capital_lat: Mapped[float] = mapped_column(Float)
    capital_lon: Mapped[float] = mapped_column(Float)
    population_2020: Mapped[int] = mapped_column(Integer)
    marginalisation_degree: Mapped[str] = mapped_column(String(10))
    imss_bienestar: Mapped[bool] = mapped_column(Boolean)


class FacilityRow(Base):
    __tablename__ = "facilities"
    clues: Mapped[str] = mapped_column(String(11), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    cve_ent: Mapped[str] = mapped_column(String(2), index=True)
    cvegeo: Mapped[str] = mapped_column(String(5))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    beds: Mapped[int] = mapped_column(Integer)
    operating_rooms: Mapped[int] = mapped_column(Integer)
    emergency_bays: Mapped[int] = mapped_column(Integer)
    marginalisation_degree: Mapped[str] = mapped_column(String(10))
    remote: Mapped[bool] = mapped_column(Boolean)
    program: Mapped[bool] = mapped_column(Boolean, index=True)
    status: Mapped[str] = mapped_column(String(10))
    opening_year: Mapped[int] = mapped_column(Integer)
    open_minute: Mapped[int] = mapped_column(Integer)
    close_minute: Mapped[int] = mapped_column(Integer)
    typology: Mapped[str | None] = mapped_column(String(80), nullable=True)
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)


class SpecialistRow(Base):
    """A person, identified by ``hid`` (HMAC of the CURP); the CURP itself is never stored."""

    __tablename__ = "specialists"
    specialist_id: Mapped[str] = mapped_column(String(7), primary_key=True)
    hid: Mapped[str] = mapped_column(String(64), unique=True)
    specialty: Mapped[str] = mapped_column(String(24), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    home_state: Mapped[str] = mapped_column(String(2))
    home_cvegeo: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(8), index=True)
    facility_clues: Mapped[str | None] = mapped_column(ForeignKey("facilities.clues"), nullable=True)
    weekly_hours: Mapped[float] = mapped_column(Float)
    willing_states: Mapped[list[str]] = mapped_column(JSON)
    max_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    incentive_mxn: Mapped[float] = mapped_column(Float)


class MedicineRow(Base):
    __tablename__ = "medicines"
    sku: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    presentation: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(40))
    volume_l: Mapped[float] = mapped_column(Float)
    weight_kg: Mapped[float] = mapped_column(Float)
    cold_chain: Mapped[bool] = mapped_column(Boolean)
    criticality: Mapped[str] = mapped_column(String(10))
    shelf_life_days: Mapped[int] = mapped_column(Integer)
    unit_cost_mxn: Mapped[float] = mapped_column(Float)


class DepotRow(Base):
    __tablename__ = "depots"
    depot_id: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    cve_ent: Mapped[str] = mapped_column(String(2))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity_m3: Mapped[float | None] = mapped_column(Float)  # None: not recorded (older depots.csv)
    cold_capacity_m3: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(6))


class VehicleRow(Base):
    __tablename__ = "vehicles"
    vehicle_id: Mapped[str] = mapped_column(String(5), primary_key=True)
    depot_id: Mapped[str] = mapped_column(ForeignKey("depots.depot_id"), index=True)
    capacity_m3: Mapped[float] = mapped_column(Float)
    capacity_kg: Mapped[float] = mapped_column(Float)
    cold_chain: Mapped[bool] = mapped_column(Boolean)
    shift_start_min: Mapped[int] = mapped_column(Integer)
    shift_end_min: Mapped[int] = mapped_column(Integer)
    cost_per_km: Mapped[float] = mapped_column(Float)
    fixed_cost: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float] = mapped_column(Float)


class StockRow(Base):
    """Units of a SKU at a depot (``depot_id``) or facility (CLUES) with their earliest expiry."""

    __tablename__ = "stock"
    location: Mapped[str] = mapped_column(String(11), primary_key=True)
    sku: Mapped[str] = mapped_column(String(15), primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    expiry_date: Mapped[date] = mapped_column(Date)


class SurgicalDemandRow(Base):
    """Procedures and OR hours per week by hospital and specialty; ``patients`` < 5 is suppressed (NULL)."""

    __tablename__ = "surgical_demand"
    clues: Mapped[str] = mapped_column(String(11), primary_key=True)
    specialty: Mapped[str] = mapped_column(String(24), primary_key=True)
    procedures_per_week: Mapped[float | None] = mapped_column(Float, nullable=True)
    or_hours_per_week: Mapped[float | None] = mapped_column(Float, nullable=True)
    patients: Mapped[int | None] = mapped_column(Integer, nullable=True)
    suppressed: Mapped[bool] = mapped_column(Boolean)


class MedicineDemandRow(Base):
    """Units per week by facility and SKU; rows with fewer than 5 patients are suppressed (NULL)."""

    __tablename__ = "medicine_demand"
    clues: Mapped[str] = mapped_column(String(11), primary_key=True)
    sku: Mapped[str] = mapped_column(String(15), primary_key=True)
    units_per_week: Mapped[float | None] = mapped_column(Float, nullable=True)
    patients: Mapped[int | None] = mapped_column(Integer, nullable=True)
    suppressed: Mapped[bool] = mapped_column(Boolean)


class RunRow(Base):
    """One scenario / model run: status, wall times per step (s) and the KPIs it produced."""

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    scenario: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kpis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)


class LoadRow(Base):
    """Audit trail of ``bienestar data load``: what was read, kept and rejected, and when."""

    __tablename__ = "loads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    rejects: Mapped[int] = mapped_column(Integer)
    rejects_path: Mapped[str | None] = mapped_column(Text, nullable=True)


#: Entity table name -> store table, in foreign-key order.
ENTITY_ROWS: dict[str, type[Base]] = {
    "states": StateRow, "facilities": FacilityRow, "medicines": MedicineRow, "depots": DepotRow,
    "vehicles": VehicleRow, "specialists": SpecialistRow, "stock": StockRow,
}


def init_db(url: str | None = None) -> Engine:
    """Create every table that does not exist yet (safe to call again); returns the engine."""
    engine = get_engine(url)
    added = [Base.metadata.tables[table].c[name] for table, names in ADDED_COLUMNS.items() for name in names]
    ensure_schema(engine, Base.metadata, added)
    return engine


#: Key of the PostgreSQL advisory lock that serialises schema changes (any fixed 64-bit number).
SCHEMA_LOCK_KEY = 0x6269656E_65737461


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """A transaction in which this process alone creates or alters tables.

    Two servers started together on an empty PostgreSQL database would otherwise both issue
    ``CREATE TABLE`` (PostgreSQL's catalogue then rejects the second with a unique violation); the
    transaction-scoped advisory lock makes the second wait and then find the tables there. On SQLite
    (whose driver runs DDL outside any transaction) an immediate transaction takes the write lock first.
    """
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        elif engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


#: Nullable columns added to a table after its first release: a store created before gets them on init.
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"facilities": ("typology", "level")}


def ensure_schema(engine: Engine, metadata: MetaData, added: Iterable[Column[Any]]) -> None:
    """Under :func:`schema_lock`, create the tables of ``metadata`` that do not exist and give an existing
    table each column of ``added`` it lacks (``create_all`` adds tables, never columns)."""
    with schema_lock(engine) as conn:
        metadata.create_all(conn)
        _add_missing_columns(conn, added)


def _add_missing_columns(conn: Connection, added: Iterable[Column[Any]]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for each column of ``added`` its table lacks, with its server default
    if it has one (so the rows already there get a value)."""
    insp = inspect(conn)
    for column in added:
        table = column.table.name
        if column.name in {c["name"] for c in insp.get_columns(table)}:
            continue
        kind = column.type.compile(dialect=conn.dialect)
        default = f" DEFAULT {column.server_default.arg}" if column.server_default is not None else ""
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column.name} {kind}{default}")


# --- writing -----------------------------------------------------------------------------------------------


def upsert(session: Session, table: type[Base], rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` or update the existing row with the same primary key; returns rows written."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    tbl = table.__table__
    keys = [c.name for c in tbl.primary_key.columns]
    if dialect == "postgresql":
        ins: Any = postgresql.insert(tbl)
    elif dialect == "sqlite":
        ins = sqlite.insert(tbl)
    else:
        raise ValueError(f"upsert supports SQLite and PostgreSQL, not {dialect}")
    update = {c: ins.excluded[c] for c in rows[0] if c not in keys}
    stmt = ins.on_conflict_do_update(index_elements=keys, set_=update) if update else \
        ins.on_conflict_do_nothing(index_elements=keys)
    conn = session.connection()
    for i in range(0, len(rows), BATCH_ROWS):
        conn.execute(stmt, list(rows[i:i + BATCH_ROWS]))  # one compiled statement, executemany
    return len(rows)


def entity_rows(name: str, entities: Iterable[BaseModel], key: bytes) -> list[dict[str, Any]]:
    """Store rows of validated entities: specialists get ``hid`` instead of ``curp``; dates are parsed."""
    rows = []
    for ent in entities:
        row = ent.model_dump(mode="json")
        if name == "specialists":
            row["hid"] = pseudonymise(row.pop("curp"), key)
        elif name == "stock":
            row["expiry_date"] = date.fromisoformat(row["expiry_date"])
        rows.append(row)
    return rows


def replace_table(session: Session, table: type[Base], rows: list[dict[str, Any]]) -> int:
    """Delete every row of ``table`` and insert ``rows`` (one transaction with the caller's session)."""
    conn = session.connection()
    conn.execute(delete(table.__table__))
    for i in range(0, len(rows), BATCH_ROWS):
        conn.execute(insert(table.__table__), rows[i:i + BATCH_ROWS])
    return len(rows)


def write_pseudonymised_records(check: RecordsCheck, out_dir: Path, key: bytes) -> Path:
    """Write the valid records with ``hid`` in place of ``curp`` to ``out_dir`` (replacing it atomically).

    Layout is the generator's (``encounters/``, ``prescriptions/``, ``_meta.json``), so the aggregation
    functions read it unchanged. The raw CURP never leaves DuckDB's memory.
    """
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "encounters").mkdir(parents=True)
    (tmp / "prescriptions").mkdir(parents=True)
    con = check.con
    enc_path = str(tmp / "encounters" / "part-00000.parquet").replace("'", "''")
    rx_path = str(tmp / "prescriptions" / "part-00000.parquet").replace("'", "''")
    con.execute(f"""
        COPY (SELECT record_id, {hmac_sql('curp')} AS hid, clues, date, age, sex, icd10, procedure
              FROM valid_encounters ORDER BY record_id)
        TO '{enc_path}' (FORMAT parquet, COMPRESSION zstd)
    """, hmac_sql_params(key))
    con.execute(f"COPY (SELECT * FROM valid_prescriptions ORDER BY record_id) TO '{rx_path}' "
                "(FORMAT parquet, COMPRESSION zstd)")
    meta_src = check.records_dir / "_meta.json"
    meta = json.loads(meta_src.read_text()) if meta_src.is_file() else {}
    meta.update({"pseudonymised": True, "n_records_valid": check.counts["encounters"]["kept"],
                 "n_prescriptions_valid": check.counts["prescriptions"]["kept"]})
    (tmp / "_meta.json").write_text(json.dumps(meta, indent=2))
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return out_dir


def demand_rows(records_dir: Path, k: int = SMALL_COUNT_K) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Surgical and medicine demand rows for the store, with rows of fewer than ``k`` patients suppressed."""
    out = []
    for df, values in ((surgical_demand(records_dir, with_patients=True), ["procedures_per_week",
                                                                           "or_hours_per_week"]),
                       (medicine_demand(records_dir, with_patients=True), ["units_per_week"])):
        sup = suppress_small_counts(df, "patients", k=k, value_cols=values)
        rows = sup.astype(object).where(sup.notna(), None).to_dict("records")
        for r in rows:
            r["patients"] = None if r["patients"] is None else int(r["patients"])
            r["suppressed"] = bool(r["suppressed"])
        out.append(rows)
    return out[0], out[1]


# --- the whole load ----------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    """What ``load_dataset_into_store`` did: counts per table, rejects, where things went, wall time (s)."""

    source: Path
    db_url: str
    counts: dict[str, dict[str, int]]
    n_rejects: int
    rejects_path: Path
    first_rejects: list[str]
    records_dir: Path | None
    demand_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def default_rejects_path(folder: Path) -> Path:
    """``home_dir()/rejects/<folder name>.csv``."""
    return home_dir() / "rejects" / f"{Path(folder).resolve().name}.csv"


def _safe_url(url: str) -> str:
    """The URL without its password, for reports."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def load_dataset_into_store(folder: Path, url: str | None = None, rejects_path: Path | None = None,
                            records_out: Path | None = None, rules: RecordRules | None = None,
                            show_rejects: int = 10) -> LoadReport:
    """Validate ``folder`` and load it: entities upserted, records pseudonymised, demand aggregated.

    Invalid rows are skipped and written to the rejects report (``rejects_path``, default
    :func:`default_rejects_path`). Records (``folder/records``) are optional; their pseudonymised copy
    goes to ``records_out`` (default ``home_dir()/records``). Idempotent: a second load of the same folder
    leaves the same rows. Raises :class:`~optimizer.data.rejects.DataFileError` for unreadable files.
    """
    t0 = time.perf_counter()
    started = datetime.now(UTC)
    folder = Path(folder)
    url = url or db_url()
    key = load_key()
    tables: ValidatedTables = load_dataset_files(folder)
    counts = tables.counts()
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(folder)
    n_rejects = write_rejects(rejects_path, tables.rejects)
    first = [r.message() for r in tables.rejects[:show_rejects]]

    check: RecordsCheck | None = None
    if (folder / "records" / "encounters").is_dir():
        fac = [e.clues for e in tables.loads["facilities"].entities]
        meds = tables.loads.get("medicines")
        skus = [e.sku for e in meds.entities] if meds else []
        check = validate_records(folder / "records", fac, skus, rules)
        counts.update(check.counts)
        n_rejects += write_rejects(rejects_path, check.rejects(), append=True)
        if len(first) < show_rejects:
            first += [r.message() for r in check.rejects(limit=show_rejects - len(first))]

    engine = init_db(url)
    stored_records: Path | None = None
    demand: dict[str, int] = {}
    with Session(engine) as session, session.begin():
        for name, table in ENTITY_ROWS.items():
            if name in tables.loads:
                upsert(session, table, entity_rows(name, tables.loads[name].entities, key))
        if check is not None:
            stored_records = write_pseudonymised_records(check, records_out or home_dir() / "records", key)
            check.con.close()
            surg, med = demand_rows(stored_records)
            demand = {"surgical_demand": replace_table(session, SurgicalDemandRow, surg),
                      "medicine_demand": replace_table(session, MedicineDemandRow, med)}
        session.add(LoadRow(source=str(folder.resolve()), started=started, finished=datetime.now(UTC),
                            counts=counts, rejects=n_rejects, rejects_path=str(rejects_path)))
    return LoadReport(folder, _safe_url(normalise_url(url)), counts, n_rejects, rejects_path, first,
                      stored_records, demand, time.perf_counter() - t0)


# --- runs --------------------------------------------------------------------------------------------------


def create_run(scenario: str, url: str | None = None, run_id: str | None = None) -> str:
    """Record a run as ``running``, started now; returns its id.

    ``run_id``: the id the run already has (the API gives a run its id when it is queued, so the run keeps one id
    from the queue to ``bienestar report``); a row with that id (an earlier attempt of a resumed run) starts again.
    """
    with Session(init_db(url)) as session, session.begin():
        run = session.get(RunRow, run_id) if run_id is not None else None
        if run is None:
            run = RunRow(id=run_id or uuid.uuid4().hex, scenario=scenario)
            session.add(run)
        run.scenario, run.status, run.started, run.finished = scenario, "running", datetime.now(UTC), None
        run.timings, run.kpis, run.message = {}, {}, None
        return run.id


def finish_run(run_id: str, status: str, timings: dict[str, float], kpis: dict[str, Any],
               message: str | None = None, url: str | None = None) -> None:
    """Record how a run ended: status, wall time per step (seconds), KPIs and an optional message."""
    with Session(init_db(url)) as session, session.begin():
        run = session.get(RunRow, run_id)
        if run is None:
            raise KeyError(f"no run with id {run_id}")
        run.status, run.finished, run.timings, run.kpis, run.message = (
            status, datetime.now(UTC), timings, kpis, message)
