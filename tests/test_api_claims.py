"""Servers sharing one store claim queued runs concurrently: every queued run is claimed exactly once, and the
store-wide limit on executing runs holds. Real processes on the module's store (SQLite, or PostgreSQL when
``BIENESTAR_TEST_PG_URL`` is set: ``tools/with_postgres.sh python -m pytest tests/test_api_claims.py``)."""

from __future__ import annotations

import multiprocessing as mp
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect
from test_api_support import fresh_database, home_fixture

from api import runstate
from api.db import api_runs, engine_for

CLAIMERS = 4
QUEUED = 40


home = home_fixture("claims")


def _claim_all(url: str, owner: str, max_running: int, start: mp.synchronize.Event, out: mp.Queue) -> None:
    """One 'server': claim until nothing is left; with a limit, finish each claimed run before the next."""
    engine = engine_for(url)
    engine.dispose(close=False)  # forked: never share the parent's connections
    start.wait()
    claimed = []
    while (row := runstate.claim_next(engine, owner, 30.0, max_running)) is not None:
        claimed.append(row["run_id"])
        running = runstate.count(engine, runstate.RUNNING)
        assert running <= max_running, running
        runstate.set_fields(engine, row["run_id"], status="finished", finished=runstate.now())
    out.put((owner, claimed))


def _queue(n: int) -> list[str]:
    engine = engine_for()
    with engine.begin() as conn:
        conn.execute(delete(api_runs))
    ids = [uuid.uuid4().hex for _ in range(n)]
    for run_id in ids:
        runstate.create(engine, run_id, "api-small", "none.yaml", ["demand"])
    return ids


def _race(max_running: int) -> dict[str, list[str]]:
    ctx = mp.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    url = engine_for().url.render_as_string(hide_password=False)
    procs = [ctx.Process(target=_claim_all, args=(url, f"server-{i}", max_running, start, out))
             for i in range(CLAIMERS)]
    for p in procs:
        p.start()
    start.set()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return results


@pytest.mark.parametrize("max_running", [1000, 2])
def test_every_queued_run_is_claimed_exactly_once(home: Path, max_running: int) -> None:
    ids = _queue(QUEUED)
    claims = _race(max_running)
    claimed = [run_id for got in claims.values() for run_id in got]
    assert sorted(claimed) == sorted(ids)  # none twice, none left behind
    assert runstate.count(engine_for(), ("queued",)) == 0
    assert all(runstate.get(engine_for(), i)["attempts"] == 1 for i in ids)


def _open_store(url: str, start: mp.synchronize.Event) -> None:
    """One server starting: open the store (which creates any missing table) as soon as all are ready."""
    start.wait()
    engine_for(url)


def _empty_store_url(tmp_path: Path) -> str:
    server = os.environ.get("BIENESTAR_TEST_PG_URL")
    return fresh_database(server, tmp_path) if server else f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.mark.parametrize("attempt", range(3))
def test_servers_starting_together_on_an_empty_store_all_start(tmp_path: Path, attempt: int) -> None:
    """Several servers opening an empty store at the same moment: each creates the tables or finds them; none
    fails (on PostgreSQL two concurrent ``CREATE TABLE`` used to collide in the catalogue; CI caught it)."""
    url = _empty_store_url(tmp_path / str(attempt))
    ctx = mp.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_open_store, args=(url, start)) for _ in range(CLAIMERS)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * CLAIMERS
    assert {"api_keys", "api_runs", "runs"} <= set(inspect(engine_for(url)).get_table_names())
