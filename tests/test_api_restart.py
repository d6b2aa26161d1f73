"""Restart survival against a real uvicorn process: kill the server (SIGKILL) with one run finished and
one in progress; after a restart the finished run's results are intact, the lost run is ``interrupted``
and its worker is gone."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_api_support import bearer, free_port, home_env, make_keys, module_home, start_server, wait_run

from api import runstate
from api.db import engine_for


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = module_home(tmp_path_factory.getbasetemp(), "restart")
    with home_env(path):
        yield path


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


def test_restart_keeps_finished_runs_and_marks_lost_ones(home: Path) -> None:
    keys = make_keys(home)
    h = bearer(keys["planner"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(home, port)
    try:
        first = httpx.post(f"{base}/runs", json={"scenario": "api-small"}, headers=h, timeout=30).json()
        done = wait_run(lambda i: httpx.get(f"{base}/runs/{i}", headers=h, timeout=30).json(), first["run_id"])
        assert done["status"] == "finished", done
        kpis_before = httpx.get(f"{base}/runs/{first['run_id']}/kpis", headers=h, timeout=30).json()

        second = httpx.post(f"{base}/runs", json={"scenario": "api-small"}, headers=h, timeout=30).json()
        deadline = time.monotonic() + 60
        while (row := runstate.get(engine_for(), second["run_id"]))["status"] != "running":
            assert time.monotonic() < deadline, row
            time.sleep(0.1)
        worker_pid = row["pid"]
        assert _alive(worker_pid)
        os.killpg(server.pid, signal.SIGKILL)  # the server and nothing else: the worker is in its own group
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)

    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker_pid), "the orphaned worker should kill itself when its server dies"

    server = start_server(home, port)
    try:
        lost = httpx.get(f"{base}/runs/{second['run_id']}", headers=h, timeout=30).json()
        assert lost["status"] == "interrupted" and "server stopped" in lost["error"]
        kept = httpx.get(f"{base}/runs/{first['run_id']}", headers=h, timeout=30).json()
        assert kept["status"] == "finished" and kept["finished"] == done["finished"]
        assert httpx.get(f"{base}/runs/{first['run_id']}/kpis", headers=h, timeout=30).json() == kpis_before
        plans = httpx.get(f"{base}/runs/{first['run_id']}/plans", headers=h, timeout=30).json()
        assert any(p["table"] == "hospitals" for p in plans)
        assert httpx.post(f"{base}/runs/{second['run_id']}/cancel", headers=h, timeout=30).status_code == 409
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
