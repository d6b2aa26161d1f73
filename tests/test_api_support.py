"""Shared set-up of the API tests (no tests here): a small real dataset loaded into a real store.

A test module takes its fixtures from the factories: ``home, keys, client = api_fixtures("runs",
max_concurrent_runs=1)`` (its own home, one key per role, an in-process client of a fresh app), or
``home = home_fixture("claims")`` when it needs the home alone.

The base home (generated dataset trimmed to a few hundred staff, loaded with the data layer's loader, plus
a small scenario that runs the capacity and access models on it) is built once per test session under
pytest's base temp folder; each test module works on its own copy, so modules never see each other's
keys, runs or uploads.

With ``BIENESTAR_TEST_PG_URL`` set (CI starts a PostgreSQL server and runs the API tests a second time),
each module's store is a fresh database on that server instead of the home's SQLite file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from optimizer.data.generate import GeneratorConfig, generate

SCENARIO = """name: api-small
description: capacity and access on a small generated dataset (API tests)
seed: 1
dataset:
  path: {dataset}
models: [capacity, access]
capacity:
  time_limit_s: 20
"""
ROLES = ("planner", "hr", "logistics", "admin")


def _trim(ds: Path) -> None:
    """Keep the staff of three states plus 300 recruits, so loading takes seconds, not minutes."""
    fac = pd.read_csv(ds / "facilities.csv", dtype=str, keep_default_na=False)
    keep_states = {"07", "12", "20"}
    keep_clues = set(fac.loc[fac["cve_ent"].isin(keep_states), "clues"])
    sp = pd.read_csv(ds / "specialists.csv", dtype=str, keep_default_na=False)
    in_post = sp[(sp["status"] == "in_post") & sp["facility_clues"].isin(keep_clues)]
    recruits = sp[sp["status"] == "recruit"].head(300)
    pd.concat([in_post, recruits]).to_csv(ds / "specialists.csv", index=False)


def build_base(root: Path) -> None:
    """Dataset + store + scenario under ``root`` (used as ``BIENESTAR_HOME``)."""
    from optimizer.data.store import load_dataset_into_store

    ds = root / "dataset"
    generate(ds, GeneratorConfig(seed=7, n_records=4000, umfs=60, pharmacies=30))
    _trim(ds)
    with home_env(root):
        load_dataset_into_store(ds)
    (root / "test-scenarios").mkdir()
    (root / "test-scenarios" / "api-small.yaml").write_text(SCENARIO.format(dataset=ds))


def module_home(basetemp: Path, name: str) -> Path:
    """A private copy of the session's base home for one test module."""
    base = basetemp / "api-base-home"
    if not (base / "test-scenarios" / "api-small.yaml").exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        build_base(base)
    home = basetemp / f"api-home-{name}"
    shutil.copytree(base, home, symlinks=True)
    scen = home / "test-scenarios" / "api-small.yaml"
    scen.write_text(SCENARIO.format(dataset=home / "dataset"))
    server = os.environ.get("BIENESTAR_TEST_PG_URL")
    if server:
        (home / DB_URL_FILE).write_text(fresh_database(server, home))
        from optimizer.data.store import load_dataset_into_store

        with home_env(home):
            load_dataset_into_store(home / "dataset")
    return home


#: File in a test home naming its store when that store is not the home's SQLite file.
DB_URL_FILE = "test-db-url"


def fresh_database(server_url: str, home: Path) -> str:
    """Create an empty database for ``home`` on the PostgreSQL server; returns its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "bt_" + hashlib.sha1(str(home).encode()).hexdigest()[:12]
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        con.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def home_db_url(home: Path) -> str | None:
    """The store URL of a test home: its PostgreSQL database, or None for the home's SQLite file."""
    path = Path(home) / DB_URL_FILE
    return path.read_text().strip() if path.exists() else None


@contextmanager
def home_env(home: Path) -> Iterator[None]:
    """``BIENESTAR_HOME`` set to ``home`` (and the store URL unset) for the duration."""
    saved = {k: os.environ.get(k) for k in ("BIENESTAR_HOME", "BIENESTAR_DB_URL")}
    os.environ["BIENESTAR_HOME"] = str(home)
    url = home_db_url(home)
    if url:
        os.environ["BIENESTAR_DB_URL"] = url
    else:
        os.environ.pop("BIENESTAR_DB_URL", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def make_keys(home: Path) -> dict[str, str]:
    """One key per role in ``home``'s store."""
    from api.auth import create_key
    from api.db import engine_for

    with home_env(home):
        return {role: create_key(engine_for(), role, f"test {role}") for role in ROLES}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int, max_runs: int = 2) -> subprocess.Popen:
    """A real ``bienestar serve`` process (uvicorn) on loopback, ready to answer /health."""
    env = {**os.environ, "BIENESTAR_HOME": str(home), "BIENESTAR_API_SCENARIO_DIR": str(home / "test-scenarios")}
    env.pop("BIENESTAR_DB_URL", None)
    if home_db_url(home):
        env["BIENESTAR_DB_URL"] = home_db_url(home)
    cmd = [sys.executable, "-c", "from optimizer.cli import main; main()", "serve", "--port", str(port),
           "--max-runs", str(max_runs), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not answer /health within 60 s")


def wait_run(get_status, run_id: str, timeout_s: float = 180) -> dict:
    """Poll a run's status until it leaves queued/running; returns the final status document."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        doc = get_status(run_id)
        if doc["status"] not in ("queued", "running", "cancelling"):
            return doc
        time.sleep(0.5)
    raise TimeoutError(f"run {run_id} still {doc['status']} after {timeout_s} s")


def home_fixture(name: str, setup: Callable[[Path], None] | None = None) -> Callable[..., Iterator[Path]]:
    """A module-scoped ``home`` fixture: the module's copy of the base home (see :func:`module_home`), with
    ``BIENESTAR_HOME`` (and the store URL) set to it while the module runs; ``setup(home)`` runs first."""

    @pytest.fixture(scope="module")
    def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
        path = module_home(tmp_path_factory.getbasetemp(), name)
        if setup is not None:
            setup(path)
        with home_env(path):
            yield path

    return home


def api_fixtures(name: str, **config: Any) -> tuple[Callable[..., Any], ...]:
    """Module-scoped ``home``, ``keys`` (one per role) and ``client`` fixtures: an in-process client of a fresh
    app on the module's home, built with ``ApiConfig(scenario_dir=<home>/test-scenarios, **config)``."""

    @pytest.fixture(scope="module")
    def keys(home: Path) -> dict[str, str]:
        return make_keys(home)

    @pytest.fixture(scope="module")
    def client(home: Path) -> Iterator[Any]:
        from fastapi.testclient import TestClient

        from api.app import create_app
        from api.config import ApiConfig

        app = create_app(ApiConfig(scenario_dir=home / "test-scenarios", **config))
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c

    return home_fixture(name), keys, client
