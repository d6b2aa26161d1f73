"""Two real ``bienestar serve`` processes sharing one PostgreSQL store: every queued run executes exactly once,
and both servers execute runs.

A burst of runs is posted to both servers at once (half to each), so both dispatchers claim from the same
queue at the same moments (PostgreSQL advisory lock + ``FOR UPDATE SKIP LOCKED``, :func:`api.runstate.
claim_next`). Evidence that no run executed twice, independent of timing: each run was claimed once
(``attempts``), the store's ``runs`` table holds one execution per run, and the run folders are distinct, one
per run. PostgreSQL only (CI's PostgreSQL pass: ``tools/with_postgres.sh python -m pytest
tests/test_api_*.py``); without ``BIENESTAR_TEST_PG_URL`` the module is skipped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from test_api_support import bearer, free_port, home_fixture, make_keys, start_server, wait_run

from api import runstate
from api.db import engine_for
from optimizer.data.store import RunRow

pytestmark = pytest.mark.skipif(
    not os.environ.get("BIENESTAR_TEST_PG_URL"),
    reason="needs a PostgreSQL server: run `tools/with_postgres.sh python -m pytest tests/test_api_two_servers.py` "
           "(CI's PostgreSQL pass does)")

#: Runs posted at once, half to each server.
RUNS = 6
#: A run that solves one small model (capacity LP), so six of them finish in seconds.
SCENARIO = """name: api-two-servers
description: capacity only on the small generated dataset (two-server test)
seed: 1
dataset:
  path: {dataset}
models: [capacity]
capacity:
  time_limit_s: 20
"""


def _add_scenario(home: Path) -> None:
    (home / "test-scenarios" / "api-two-servers.yaml").write_text(SCENARIO.format(dataset=home / "dataset"))


home = home_fixture("two-servers", _add_scenario)


@pytest.fixture(scope="module")
def servers(home: Path) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    """Two servers on one home and one store; the run limit (shared, store-wide) leaves every run a slot."""
    started: list[tuple[str, subprocess.Popen]] = []

    def start(port: int) -> None:
        started.append((f"http://127.0.0.1:{port}", start_server(home, port, max_runs=RUNS)))

    try:
        ports = {free_port()}
        while len(ports) < 2:
            ports.add(free_port())
        with ThreadPoolExecutor(2) as pool:  # both start at once: each imports the solvers for seconds
            list(pool.map(start, ports))
        deadline = time.monotonic() + 60
        while not all(httpx.get(f"{base}/health", timeout=10).json()["starts_runs"] for base, _ in started):
            assert time.monotonic() < deadline, "the servers' worker pools did not get ready within 60 s"
            time.sleep(0.2)
        yield started
    finally:
        for _, proc in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)


def test_two_servers_never_run_a_queued_run_twice(home: Path, servers: list[tuple[str, subprocess.Popen]]) -> None:
    planner = bearer(make_keys(home)["planner"])
    targets = [servers[i % 2][0] for i in range(RUNS)]

    def post(base: str) -> str:
        r = httpx.post(f"{base}/runs", json={"scenario": "api-two-servers"}, headers=planner, timeout=60)
        assert r.status_code == 202, r.text
        return r.json()["run_id"]

    with ThreadPoolExecutor(RUNS) as pool:
        run_ids = list(pool.map(post, targets))

    def status(run_id: str) -> dict:
        return httpx.get(f"{servers[0][0]}/runs/{run_id}", headers=planner, timeout=30).json()

    docs = [wait_run(status, run_id, timeout_s=120) for run_id in run_ids]
    assert all(d["status"] == "finished" and d["outcome"] == "ok" for d in docs), [d["error"] for d in docs]
    rows = [runstate.get(engine_for(), run_id) for run_id in run_ids]
    assert [r["attempts"] for r in rows] == [1] * RUNS  # each queued run claimed once
    folders = {r["run_dir"] for r in rows}
    assert len(folders) == RUNS and all(Path(f).is_dir() for f in folders)
    assert len(list((home / "runs").glob("*api-two-servers*"))) == RUNS  # no second execution left a folder
    with engine_for().connect() as conn:
        executions = conn.execute(select(func.count()).select_from(RunRow)
                                  .where(RunRow.scenario == "api-two-servers")).scalar_one()
    assert executions == RUNS
    claimed_by = {int(r["owner"].split(":")[1]) for r in rows}  # owner: host:pid:nonce of the claiming server
    assert claimed_by == {proc.pid for _, proc in servers}, "both servers should have executed runs"
