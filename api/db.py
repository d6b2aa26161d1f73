"""The API's own tables (keys and run jobs) in the product's store (:mod:`optimizer.data.store`).

The store is SQLite under the working folder by default and any SQLAlchemy URL through
``BIENESTAR_DB_URL`` (PostgreSQL in production). Worker processes write run progress while the server
reads it, so a SQLite store is switched to WAL mode (readers never block the writer).
"""

from __future__ import annotations

import time
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.exc import OperationalError

from optimizer.data.store import db_url, ensure_schema, init_db

metadata = MetaData()

#: API keys: only the SHA-256 of the secret part is stored; ``prefix`` finds the row without scanning.
api_keys = Table(
    "api_keys",
    metadata,
    Column("prefix", String(16), primary_key=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

#: One row per run started through the API: status, per-stage progress, KPIs, where its folder is.
api_runs = Table(
    "api_runs",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("scenario", String(200), nullable=False),
    Column("scenario_file", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("stages", JSON, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("started", DateTime(timezone=True)),
    Column("finished", DateTime(timezone=True)),
    Column("pid", Integer),
    Column("run_dir", Text),
    Column("error", Text),
    Column("kpis", JSON),
    Column("store_run_id", String(40)),
    Column("outcome", String(16)),
    Column("owner", String(80)),  # host:pid of the server that claimed the run
    Column("lease_until", DateTime(timezone=True)),  # the worker's heartbeat keeps moving this forward
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_api_runs_status_created", "status", "created"),
)


def engine_for(url: str | None = None) -> Engine:
    """The store's engine for ``url`` (default: the store's URL now) with every store and API table created."""
    return _engine(url or db_url())


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    engine = init_db(url)
    if engine.dialect.name == "sqlite":
        _switch_to_wal(engine)
    ensure_schema(engine, metadata, [column for table in metadata.tables.values() for column in table.columns])
    return engine


#: How long a starting server keeps asking SQLite for WAL mode while other servers hold the file (s).
WAL_WAIT_S = 60.0


def _switch_to_wal(engine: Engine) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds a lock on the file.

    The switch needs the file to itself, and SQLite answers "database is locked" at once, without its busy
    timeout, when the lock cannot be upgraded (another server creating tables at the same moment: CI saw it).
    """
    deadline = time.monotonic() + WAL_WAIT_S
    pause = 0.01
    while True:
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(2 * pause, 0.5)

