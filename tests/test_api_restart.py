"""Crash recovery against real ``bienestar serve`` processes, real workers and real HTTP.

1. The server is killed (SIGKILL) during a run: its worker lives on, keeps its lease, and the restarted server
   adopts it (counts it in the run limit); the run ends ``finished`` with KPIs, never ``interrupted``.
2. Server and worker are killed: after the restart the run's lease runs out and it becomes ``interrupted`` (its
   folder and the store's ``runs`` row say so too); ``resume`` runs it again and it ends ``finished``.
3. A run finished before the crash keeps its results.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from test_api_support import bearer, free_port, home_env, make_keys, module_home, start_server, wait_run

from api import runstate
from api.db import engine_for
from optimizer.data.store import RunRow

LEASE_S = 2.0


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = module_home(tmp_path_factory.getbasetemp(), "restart")
    saved = os.environ.get("BIENESTAR_API_LEASE_S")
    os.environ["BIENESTAR_API_LEASE_S"] = str(LEASE_S)  # read by the servers start_server launches
    with home_env(path):
        yield path
    if saved is None:
        os.environ.pop("BIENESTAR_API_LEASE_S", None)
    else:
        os.environ["BIENESTAR_API_LEASE_S"] = saved


@pytest.fixture(scope="module")
def planner(home: Path) -> dict[str, str]:
    return bearer(make_keys(home)["planner"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not running
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _kill_server(server) -> None:  # noqa: ANN001 - a subprocess.Popen
    os.killpg(server.pid, signal.SIGKILL)  # the server and its fork server; workers are in their own groups
    server.wait(timeout=10)


def _running_worker(run_id: str) -> dict:
    """The run's row once its worker has started (pid recorded)."""
    deadline = time.monotonic() + 60
    while (row := runstate.get(engine_for(), run_id))["pid"] is None or row["status"] != "running":
        assert row["status"] in ("queued", "running"), row
        assert time.monotonic() < deadline, row
        time.sleep(0.05)
    return row


def _status(base: str, headers: dict[str, str], run_id: str) -> dict:
    return httpx.get(f"{base}/runs/{run_id}", headers=headers, timeout=30).json()


def test_a_worker_outlives_a_killed_server_and_is_adopted(home: Path, planner: dict[str, str]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(home, port, max_runs=1)
    try:
        first = httpx.post(f"{base}/runs", json={"scenario": "api-small"}, headers=planner, timeout=30).json()
        done = wait_run(lambda i: _status(base, planner, i), first["run_id"])
        assert done["status"] == "finished", done
        kpis_before = httpx.get(f"{base}/runs/{first['run_id']}/kpis", headers=planner, timeout=30).json()
        second = httpx.post(f"{base}/runs", json={"scenario": "api-small"}, headers=planner, timeout=30).json()
        worker = _running_worker(second["run_id"])["pid"]
        _kill_server(server)
        assert _alive(worker), "the worker should outlive its server"
        server = start_server(home, port, max_runs=1)
        doc = _status(base, planner, second["run_id"])
        if doc["status"] == "running":  # adopted: counted in the limit of the new server
            assert httpx.get(f"{base}/health", timeout=30).json()["runs_executing"] == 1
            r = httpx.post(f"{base}/runs", json={"scenario": "api-small"}, headers=planner, timeout=30)
            assert r.status_code == 202 and r.json()["status"] == "queued"  # waits its turn (no 429)
            assert r.json()["queue_position"] == 1
            httpx.post(f"{base}/runs/{r.json()['run_id']}/cancel", headers=planner, timeout=30)
        doc = wait_run(lambda i: _status(base, planner, i), second["run_id"])
        assert doc["status"] == "finished" and doc["outcome"] == "ok", doc
        assert httpx.get(f"{base}/runs/{second['run_id']}/kpis", headers=planner, timeout=30).json()
        with engine_for().connect() as conn:
            store = conn.execute(select(RunRow.status).where(RunRow.id == doc["store_run_id"])).scalar_one()
        assert store == "ok"
        kept = _status(base, planner, first["run_id"])
        assert kept["status"] == "finished" and kept["finished"] == done["finished"]
        assert httpx.get(f"{base}/runs/{first['run_id']}/kpis", headers=planner, timeout=30).json() == kpis_before
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def test_a_dead_worker_leaves_an_interrupted_run_that_resumes(home: Path, planner: dict[str, str]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(home, port, max_runs=1)
    try:
        run_id = httpx.post(f"{base}/runs", json={"scenario": "api-small"}, headers=planner,
                            timeout=30).json()["run_id"]
        row = _running_worker(run_id)
        _kill_server(server)
        os.killpg(row["pid"], signal.SIGKILL)  # the machine "crashed": the worker is gone too
        server = start_server(home, port, max_runs=1)
        doc = wait_run(lambda i: _status(base, planner, i), run_id, timeout_s=10 * LEASE_S + 30)
        assert doc["status"] == "interrupted" and "resume" in doc["error"], doc
        assert all(s["status"] != "running" for s in doc["stages"].values()), doc["stages"]
        assert httpx.get(f"{base}/runs/{run_id}/kpis", headers=planner, timeout=30).status_code == 409
        assert httpx.get(f"{base}/health", timeout=30).json()["runs_executing"] == 0
        lost = runstate.get(engine_for(), run_id)
        if lost["run_dir"]:  # the worker got as far as creating its folder: folder and store row agree
            assert json.loads((Path(lost["run_dir"]) / "run.json").read_text())["status"] == "interrupted"
            with engine_for().connect() as conn:
                store = conn.execute(select(RunRow.status).where(RunRow.id == lost["store_run_id"])).scalar_one()
            assert store == "interrupted"

        r = httpx.post(f"{base}/runs/{run_id}/resume", headers=planner, timeout=30)
        assert r.status_code == 202 and r.json()["status"] in ("queued", "running"), r.text
        doc = wait_run(lambda i: _status(base, planner, i), run_id)
        assert doc["status"] == "finished" and doc["outcome"] == "ok", doc
        assert httpx.get(f"{base}/runs/{run_id}/kpis", headers=planner, timeout=30).json()["capacity"]
        assert runstate.get(engine_for(), run_id)["attempts"] == 2
        assert httpx.post(f"{base}/runs/{run_id}/resume", headers=planner, timeout=30).status_code == 409
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
