"""Reads of the product API against a bare FastAPI + sqlite3 app on the same store, measured with wrk.

The bare app (``create_bare_app``) is the floor a FastAPI service on this machine can reach: the same store
file, the same key check (prefix lookup + SHA-256 compared in constant time, on every request), the same JSON
shapes, no ORM, no response models, no middleware. Both run as one uvicorn process each with the same
settings; wrk drives each in turn on loopback (``-t2 -c16``), rounds alternating product / bare so both see
the same machine load (``--before CHECKOUT`` adds an older checkout of the product to every round). Two
reads: one facility by CLUES, and a page of 100 hospitals.

    nice -n 10 python benchmarks/api_bare.py --home /tmp/bench-home --duration 10 --rounds 3

With no ``--home`` a national dataset is generated (``--records`` encounter rows) into a temporary one.
Needs ``wrk`` (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import httpx  # noqa: E402
from fastapi import FastAPI, Header, HTTPException, Query  # noqa: E402

#: (label, path template): the two reads of issue 23.
READS: list[tuple[str, str]] = [
    ("one facility", "/facilities/{clues}"),
    ("page of 100 hospitals", "/facilities?kind=hospital&limit=100"),
]
FACILITY_COLUMNS = ("clues", "name", "kind", "cve_ent", "cvegeo", "lat", "lon", "beds", "operating_rooms",
                    "emergency_bays", "marginalisation_degree", "remote", "program", "status", "opening_year",
                    "open_minute", "close_minute")
BOOLEAN_COLUMNS = ("remote", "program")


def create_bare_app(db_path: str) -> FastAPI:
    """The bare app: sqlite3, one connection per thread, the key checked on every request."""
    local = threading.local()
    select_cols = ", ".join(FACILITY_COLUMNS)

    def conn() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(db_path, check_same_thread=False)
        return local.conn

    def check(authorization: str | None) -> str:
        parts = (authorization or "").removeprefix("Bearer ").split("_", 2)
        if len(parts) != 3:
            raise HTTPException(401, "invalid key")
        row = conn().execute("SELECT secret_sha256, role, revoked FROM api_keys WHERE prefix = ?",
                             (parts[1],)).fetchone()
        if row is None or row[2] or not hmac.compare_digest(row[0], hashlib.sha256(parts[2].encode()).hexdigest()):
            raise HTTPException(401, "invalid key")
        return row[1]

    def as_dict(row: tuple) -> dict[str, Any]:
        out = dict(zip(FACILITY_COLUMNS, row, strict=True))
        for col in BOOLEAN_COLUMNS:
            out[col] = bool(out[col])
        return out

    app = FastAPI()

    @app.get("/facilities/{clues}")
    def one(clues: str, authorization: str | None = Header(None)) -> dict[str, Any]:
        check(authorization)
        row = conn().execute(f"SELECT {select_cols} FROM facilities WHERE clues = ?", (clues,)).fetchone()
        if row is None:
            raise HTTPException(404, "no facility")
        return as_dict(row)

    @app.get("/facilities")
    def page(kind: str | None = None, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
             authorization: str | None = Header(None)) -> dict[str, Any]:
        check(authorization)
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        c = conn()
        total = c.execute(f"SELECT count(*) FROM facilities {where}", args).fetchone()[0]
        rows = c.execute(f"SELECT {select_cols} FROM facilities {where} ORDER BY clues LIMIT ? OFFSET ?",
                         (*args, limit, offset)).fetchall()
        return {"total": total, "limit": limit, "offset": offset, "items": [as_dict(r) for r in rows]}

    return app


def bare_factory() -> FastAPI:
    """uvicorn factory: the bare app on ``$BIENESTAR_HOME``'s SQLite store."""
    return create_bare_app(str(Path(os.environ["BIENESTAR_HOME"]) / "bienestar.sqlite"))


def start(app: str, home: Path, port: int, root: Path = ROOT) -> subprocess.Popen:
    """One uvicorn process serving ``app`` (a factory) of the checkout ``root`` on loopback, ready to answer."""
    env = {**os.environ, "BIENESTAR_HOME": str(home), "PYTHONPATH": str(root)}
    env.pop("BIENESTAR_DB_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning", "--no-access-log"],
                            env=env, cwd=root, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/facilities/x", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit(f"{app} did not start within 90 s")


def wrk(url: str, key: str, duration: float, connections: int) -> tuple[float, float, int]:
    """(requests/s, p99 ms, non-2xx responses) of one wrk run."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--latency", "-H",
                          f"Authorization: Bearer {key}", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(bad.group(1)) if bad else 0


def prepare_home(home: Path, records: int) -> None:
    """A national generated dataset loaded into the SQLite store under ``home``."""
    os.environ["BIENESTAR_HOME"] = str(home)
    from optimizer.data.generate import GeneratorConfig, generate
    from optimizer.data.store import load_dataset_into_store

    generate(home / "dataset", GeneratorConfig(seed=42, n_records=records))
    load_dataset_into_store(home / "dataset")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="working folder with a loaded SQLite store (default: build one)")
    ap.add_argument("--records", type=int, default=20_000, help="encounter rows when building the store")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of unmeasured wrk load before each measure "
                    "(the product's fork server imports the solvers in its first seconds)")
    ap.add_argument("--port", type=int, default=8771)
    ap.add_argument("--before", type=Path, help="another checkout of the product (e.g. `git worktree add "
                    "/tmp/before <commit>`), measured as 'before' in the same rounds, between product and bare")
    args = ap.parse_args()
    tmp = None
    if args.home is None:
        tmp = tempfile.TemporaryDirectory(prefix="bienestar-barebench-")
        args.home = Path(tmp.name)
        prepare_home(args.home, args.records)
    args.home.mkdir(parents=True, exist_ok=True)
    if not (args.home / "bienestar.sqlite").exists():
        prepare_home(args.home, args.records)
    os.environ["BIENESTAR_HOME"] = str(args.home)
    from api.auth import create_key
    from api.db import engine_for

    key = create_key(engine_for(), "planner", "benchmark")
    clues = sqlite3.connect(args.home / "bienestar.sqlite").execute(
        "SELECT clues FROM facilities WHERE kind = 'hospital' ORDER BY clues LIMIT 1 OFFSET 50").fetchone()[0]
    apps = {"product": ("api.app:create_app", ROOT)}
    if args.before is not None:
        apps["before"] = ("api.app:create_app", args.before.resolve())
    apps["bare"] = ("benchmarks.api_bare:bare_factory", ROOT)
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    for rnd in range(args.rounds):
        for name, (app, root) in apps.items():
            server = start(app, args.home, args.port, root)
            try:
                for label, path in READS:
                    url = f"http://127.0.0.1:{args.port}{path.format(clues=clues)}"
                    wrk(url, key, args.warmup, args.connections)  # warm-up, not measured
                    results.setdefault((name, label), []).append(wrk(url, key, args.duration, args.connections))
                    print(f"round {rnd + 1} {name} {label}: {results[(name, label)][-1]}", file=sys.stderr)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
    if tmp is not None:
        tmp.cleanup()
    report(results, args)


def report(results: dict[tuple[str, str], list[tuple[float, float, int]]], args: argparse.Namespace) -> None:
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"Date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; `uptime` at the end: {uptime}. Command: "
          f"`nice -n 10 python benchmarks/api_bare.py {' '.join(sys.argv[1:])}`; wrk -t2 -c{args.connections} "
          f"-d{args.duration:g}s per read and app after {args.warmup:g} s of unmeasured load, {args.rounds} rounds "
          f"alternating {' / '.join(a for a in ('product', 'before', 'bare') if any(k[0] == a for k in results))} "
          f"(each round starts every server afresh). Machine: 2 cores shared with other "
          f"sessions (the load average above is theirs and ours).\n")
    print("| read | app | req/s (median; rounds) | bare req/s | ratio | p99 ms (median; rounds) | bare p99 ms "
          "| p99 ratio | non-2xx |")
    print("|---|---|---|---|---|---|---|---|---|")
    products = [name for name in ("before", "product") if any(key[0] == name for key in results)]
    for label, _ in READS:
        bare = results[("bare", label)]
        b_rps, b_p99 = statistics.median(r[0] for r in bare), statistics.median(r[1] for r in bare)
        for name in products:
            prod = results[(name, label)]
            p_rps, p_p99 = statistics.median(r[0] for r in prod), statistics.median(r[1] for r in prod)
            print(f"| {label} | {name} | {p_rps:,.0f} ({_rounds(prod, 0, '.0f')}) | {b_rps:,.0f} "
                  f"({_rounds(bare, 0, '.0f')}) | {p_rps / b_rps:.0%} | {p_p99:.1f} ({_rounds(prod, 1, '.0f')}) "
                  f"| {b_p99:.1f} ({_rounds(bare, 1, '.0f')}) | {p_p99 / b_p99:.2f}x | {sum(r[2] for r in prod)} |")


def _rounds(results: list[tuple[float, float, int]], field: int, spec: str) -> str:
    """One field of every round, comma-separated."""
    return ", ".join(format(r[field], spec) for r in results)


if __name__ == "__main__":
    main()
