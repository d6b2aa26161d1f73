"""The store on SQLite and on a throwaway PostgreSQL server: idempotent loads, no raw IDs, demand, runs.

The PostgreSQL variant starts its own server (``initdb`` + ``pg_ctl`` from Debian's postgresql package, on
a free loopback port in a temporary folder, as the ``postgres`` user when the tests run as root) and skips
with a clear message when the binaries are absent. CI install line: ``apt-get update && apt-get install -y
postgresql`` (plus ``pip install -e '.[dev]'`` for psycopg 3).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session
from test_data_sample import SPECIALIST_CURPS, sample_records, write_sample_dataset

from optimizer.data.aggregate import surgical_demand
from optimizer.data.privacy import load_key, pseudonymise
from optimizer.data.store import (
    ENTITY_ROWS,
    FacilityRow,
    LoadRow,
    MedicineDemandRow,
    RunRow,
    SpecialistRow,
    SurgicalDemandRow,
    create_run,
    finish_run,
    get_engine,
    load_dataset_into_store,
)

# --- a throwaway PostgreSQL server -------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a fresh PostgreSQL server for this test session (stopped and deleted afterwards)."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; install them with "
                    "`apt-get update && apt-get install -y postgresql` to run the PostgreSQL store tests")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg 3 is not installed; `pip install -e '.[dev]'` to run the PostgreSQL store tests")
    prefix: list[str] = []
    uid = gid = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no 'postgres' user exists to own a throwaway PostgreSQL server")
        prefix, uid, gid = ["runuser", "-u", "postgres", "--"], user.pw_uid, user.pw_gid
    tmp = Path(tempfile.mkdtemp(prefix="bienestar-pg-"))
    if uid is not None:
        os.chown(tmp, uid, gid)
    port = _free_port()
    data = tmp / "data"
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--no-locale", "--no-sync"], **run)
        opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40"
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"),
                        "-w", "-t", "60", "start"], **run)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (tmp / "log").read_text() if (tmp / "log").exists() else ""
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(f"could not start a throwaway PostgreSQL: {exc}\n{getattr(exc, 'stderr', '')}\n{log}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        for engine_url in list(_ENGINES):
            get_engine(engine_url).dispose()
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


_ENGINES: list[str] = []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database URL: an SQLite file in a temp home, or a new database on the throwaway server."""
    monkeypatch.setenv("BIENESTAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BIENESTAR_HMAC_KEY", raising=False)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'home' / 'bienestar.sqlite'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"t{uuid.uuid4().hex[:12]}"
        admin = get_engine(server).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = server.rsplit("/", 1)[0] + f"/{name}"
        _ENGINES.extend([server, url])
    monkeypatch.setenv("BIENESTAR_DB_URL", url)
    return url


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every entity and demand table, sorted, for before/after comparisons."""
    out = {}
    with Session(get_engine(url)) as s:
        for table in [*ENTITY_ROWS.values(), SurgicalDemandRow, MedicineDemandRow]:
            cols = list(table.__table__.columns)
            out[table.__tablename__] = sorted(tuple(map(str, r)) for r in s.execute(select(*cols)).all())
    return out


# --- tests -------------------------------------------------------------------------------------------------


def test_loading_twice_does_not_duplicate(db: str, tmp_path: Path) -> None:
    ds = write_sample_dataset(tmp_path / "ds", n_records=300)
    first = load_dataset_into_store(ds)
    before = snapshot(db)
    assert {k: len(v) for k, v in before.items() if k in ENTITY_ROWS} == {
        "states": 3, "facilities": 4, "medicines": 3, "depots": 1, "vehicles": 1, "specialists": 4, "stock": 3}
    second = load_dataset_into_store(ds)
    assert snapshot(db) == before
    assert first.counts == second.counts and second.n_rejects == 0
    with Session(get_engine(db)) as s:
        assert s.scalar(select(func.count()).select_from(LoadRow)) == 2  # the audit trail grows, nothing else


def test_reload_updates_by_natural_key_and_skips_bad_rows(db: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIENESTAR_LANG", raising=False)  # the first rejects said in Spanish, the default
    ds = write_sample_dataset(tmp_path / "ds", n_records=50)
    load_dataset_into_store(ds)
    fac = pd.read_csv(ds / "facilities.csv", dtype=str, keep_default_na=False)
    fac.loc[0, "name"] = "Hospital Rural Renovado"
    fac.loc[1, "beds"] = "-1"  # rejected: the stored row keeps its old values
    fac.to_csv(ds / "facilities.csv", index=False)
    report = load_dataset_into_store(ds, rejects_path=tmp_path / "rej.csv")
    assert report.counts["facilities"] == {"read": 4, "kept": 3, "rejected": 1}
    assert report.first_rejects[0] == "facilities.csv fila 3, campo 'beds': Debe ser mayor o igual a 0. (valor '-1')"
    assert report.n_rejects >= 1 and (tmp_path / "rej.csv").read_text().count("\n") == report.n_rejects + 1
    with Session(get_engine(db)) as s:
        rows = {r.clues: r for r in s.scalars(select(FacilityRow))}
    assert len(rows) == 4
    assert rows[fac.loc[0, "clues"]].name == "Hospital Rural Renovado"
    assert rows[fac.loc[1, "clues"]].beds == 10


def test_raw_ids_never_stored(db: str, tmp_path: Path) -> None:
    ds = write_sample_dataset(tmp_path / "ds", n_records=200)
    report = load_dataset_into_store(ds)
    key = load_key()
    enc, _ = sample_records(200)
    with Session(get_engine(db)) as s:
        hids = dict(s.execute(select(SpecialistRow.specialist_id, SpecialistRow.hid)).all())
    assert hids["S000001"] == pseudonymise(SPECIALIST_CURPS[0], key)
    assert "curp" not in SpecialistRow.__table__.columns
    stored = pq.read_table(report.records_dir / "encounters")
    assert "curp" not in stored.column_names
    first = stored.slice(0, 1).to_pylist()[0]
    assert first["hid"] == pseudonymise(enc.set_index("record_id").loc[first["record_id"], "curp"], key)
    raw_ids = [*SPECIALIST_CURPS, *enc["curp"].unique()]
    files = [p for p in report.records_dir.rglob("*") if p.is_file()]
    if db.startswith("sqlite"):
        files.append(Path(db.removeprefix("sqlite:///")))
    for path in files:
        blob = path.read_bytes()
        assert not any(c.encode() in blob for c in raw_ids), f"a raw CURP is in {path}"
    if db.startswith("sqlite"):
        assert hids["S000001"].encode() in files[-1].read_bytes()


def test_store_demand_is_the_aggregate_with_small_counts_suppressed(db: str, tmp_path: Path) -> None:
    ds = write_sample_dataset(tmp_path / "ds", n_records=300)
    report = load_dataset_into_store(ds)
    want = surgical_demand(ds / "records", with_patients=True).set_index(["clues", "specialty"])
    with Session(get_engine(db)) as s:
        rows = s.scalars(select(SurgicalDemandRow)).all()
    assert len(rows) == len(want) == report.demand_rows["surgical_demand"]
    assert any(r.suppressed for r in rows) and any(not r.suppressed for r in rows)
    for r in rows:
        w = want.loc[(r.clues, r.specialty)]
        if w["patients"] < 5:
            assert r.suppressed and r.patients is None and r.procedures_per_week is None
        else:
            assert not r.suppressed and r.patients == w["patients"]
            assert r.procedures_per_week == pytest.approx(w["procedures_per_week"])
            assert r.or_hours_per_week == pytest.approx(w["or_hours_per_week"])


def test_runs_table(db: str) -> None:
    run_id = create_run("baseline")
    finish_run(run_id, "optimal", {"deployment": 1.25, "total": 2.5}, {"teams": 12}, message="ok")
    with Session(get_engine(db)) as s:
        run = s.get(RunRow, run_id)
        assert (run.scenario, run.status, run.timings, run.kpis) == (
            "baseline", "optimal", {"deployment": 1.25, "total": 2.5}, {"teams": 12})
        assert run.finished >= run.started
    with pytest.raises(KeyError, match="no run with id nope"):
        finish_run("nope", "failed", {}, {})


def test_an_older_store_gets_the_columns_added_since(db: str) -> None:
    """A store made before a column existed gets it on the next start; its rows stay, with the server default."""
    from api import db as api_db

    engine = api_db.engine_for(db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO api_runs (run_id, scenario, scenario_file, status, stages, created, "
                          "attempts) VALUES ('r1', 'base', 'base.yaml', 'done', '{}', CURRENT_TIMESTAMP, 3)"))
        for table, column in [("facilities", "level"), ("facilities", "typology"), ("api_runs", "attempts")]:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    api_db._engine.cache_clear()
    engine = api_db.engine_for(db)
    insp = inspect(engine)
    assert {"level", "typology"} <= {c["name"] for c in insp.get_columns("facilities")}
    assert "attempts" in {c["name"] for c in insp.get_columns("api_runs")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT run_id, attempts FROM api_runs")).all() == [("r1", 0)]
