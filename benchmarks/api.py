"""Read latency of the API under a fixed request rate: p50 / p95 / p99 per endpoint, several rounds.

A real ``uvicorn`` server (one process, as ``bienestar serve`` runs it) serves a store loaded from a
generated national dataset. A load generator in a second process sends an open-loop stream on loopback:
requests are scheduled at exactly ``--rate`` per second whatever the server does, at most
``--concurrency`` in flight, for ``--duration`` seconds or ``--max-requests`` requests (whichever comes
first). Latency is measured from the scheduled send time (so a slow server cannot hide queueing; the
"coordinated omission" correction) and also from the actual send. Each round is repeated ``--rounds``
times; the table gives the median and the worst round.

    nice -n 10 python benchmarks/api.py --rate 40 --concurrency 8 --duration 20 --rounds 3

With ``--home DIR`` an existing working folder (store already loaded) is used; otherwise the dataset is
generated (``--seed``, ``--records``) and loaded into a temporary one.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file is named api.py: the api package must win over it

import httpx  # noqa: E402

#: The read mix: (label, path). Paged lists at their default page size, one item, the run list, health.
ENDPOINTS: list[tuple[str, str]] = [
    ("GET /facilities?kind=hospital", "/facilities?kind=hospital&limit=100"),
    ("GET /facilities/{clues}", "/facilities/{clues}"),
    ("GET /staff?specialty=...", "/staff?specialty=anaesthesiology&limit=100"),
    ("GET /demand/surgical", "/demand/surgical?limit=100"),
    ("GET /medicines", "/medicines?limit=100"),
    ("GET /runs", "/runs?limit=50"),
    ("GET /health", "/health"),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


async def _load(base: str, key: str, clues: str, rate: float, concurrency: int, duration: float,
                max_requests: int) -> list[tuple[str, float, float, int]]:
    """Open-loop load: request ``i`` is due at ``i / rate`` s; returns (label, from_due_s, service_s, status)."""
    n = min(max_requests, int(duration * rate))
    sem = asyncio.Semaphore(concurrency)
    out: list[tuple[str, float, float, int]] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=60) as client:
        start = time.perf_counter()

        async def one(i: int) -> None:
            label, path = ENDPOINTS[i % len(ENDPOINTS)]
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with sem:
                sent = time.perf_counter()
                r = await client.get(path.format(clues=clues))
                done = time.perf_counter()
            out.append((label, done - due, done - sent, r.status_code))

        await asyncio.gather(*(one(i) for i in range(n)))
    return out


def _med_worst(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {max(values):.1f}"


def _generator(base: str, key: str, clues: str, args: dict, queue: mp.Queue) -> None:
    queue.put(asyncio.run(_load(base, key, clues, **args)))


def prepare_home(home: Path, seed: int, records: int) -> None:
    """Generate a national dataset and load it into the store under ``home``."""
    os.environ["BIENESTAR_HOME"] = str(home)
    from optimizer.data.generate import GeneratorConfig, generate
    from optimizer.data.store import load_dataset_into_store

    generate(home / "dataset", GeneratorConfig(seed=seed, n_records=records))
    load_dataset_into_store(home / "dataset")


def start_server(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "BIENESTAR_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("the server did not start within 60 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="working folder with a loaded store (default: build one)")
    ap.add_argument("--seed", type=int, default=42, help="generator seed when building the store")
    ap.add_argument("--records", type=int, default=200_000, help="encounter rows when building the store")
    ap.add_argument("--rate", type=float, nargs="+", default=[10.0, 25.0],
                    help="requests per second (open loop); several rates give one block of rows each")
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight at most")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per round")
    ap.add_argument("--max-requests", type=int, default=5000, help="requests per round at most")
    ap.add_argument("--rounds", type=int, default=3, help="repetitions (median and worst are reported)")
    ap.add_argument("--warmup", type=float, default=8.0,
                    help="seconds of unmeasured load first (the server's fork server imports the solvers)")
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()

    tmp = None
    if args.home is None:
        tmp = tempfile.TemporaryDirectory(prefix="bienestar-apibench-")
        args.home = Path(tmp.name)
        print(f"building the store in {args.home} (seed {args.seed}, {args.records:,} records)...", file=sys.stderr)
        prepare_home(args.home, args.seed, args.records)
    os.environ["BIENESTAR_HOME"] = str(args.home)
    from api.auth import create_key
    from api.db import engine_for

    key = create_key(engine_for(), "admin", "benchmark")
    server = start_server(args.home, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        clues = httpx.get(f"{base}/facilities?kind=hospital&limit=1", headers={"Authorization": f"Bearer {key}"},
                          timeout=30).json()["items"][0]["clues"]
        ctx = mp.get_context("spawn")
        asyncio.run(_load(base, key, clues, args.rate[0], args.concurrency, args.warmup, args.max_requests))
        by_rate: dict[float, list[list[tuple[str, float, float, int]]]] = {}
        for rate in args.rate:
            load = {"rate": rate, "concurrency": args.concurrency, "duration": args.duration,
                    "max_requests": args.max_requests}
            by_rate[rate] = []
            for i in range(args.rounds):
                queue: mp.Queue = ctx.Queue()
                gen = ctx.Process(target=_generator, args=(base, key, clues, load, queue))
                gen.start()
                by_rate[rate].append(queue.get(timeout=args.duration * 10 + 120))
                gen.join()
                print(f"{rate:g} req/s round {i + 1}: {len(by_rate[rate][-1])} requests", file=sys.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if tmp is not None:
            tmp.cleanup()

    rates = " and ".join(f"{r:g}" for r in args.rate)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"## API read latency (issue 8)\n\nDate {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; `uptime`: {uptime}. "
          f"Machine: 2 cores shared with other sessions; one uvicorn process, load generator in a second "
          f"process on loopback.\nCommand: `nice -n 10 python benchmarks/api.py {' '.join(sys.argv[1:])}`. "
          f"Open loop at {rates} req/s, at most {args.concurrency} in flight, {args.duration:g} s or "
          f"{args.max_requests:,} requests per round, {args.rounds} rounds after {args.warmup:g} s of unmeasured "
          f"warm-up; endpoints in rotation.\n")
    print("| req/s | endpoint | requests/round | non-2xx | p50 ms median / worst | p95 ms median / worst "
          "| p99 ms median / worst | p95 service ms median / worst |")
    print("|---|---|---|---|---|---|---|---|")
    for rate, label in [(r, e) for r in args.rate for e in [e[0] for e in ENDPOINTS] + ["all"]]:
        stats = []
        for rows in by_rate[rate]:
            sel = [r for r in rows if label == "all" or r[0] == label]
            lat = [r[1] * 1000 for r in sel]
            svc = [r[2] * 1000 for r in sel]
            stats.append((len(sel), sum(r[3] >= 300 for r in sel), percentile(lat, 50), percentile(lat, 95),
                          percentile(lat, 99), percentile(svc, 95)))
        cells = [_med_worst([s[i] for s in stats]) for i in (2, 3, 4, 5)]
        print(f"| {rate:g} | {label} | {stats[0][0]} | {sum(s[1] for s in stats)} | {' | '.join(cells)} |")
    print("\nLatency is from each request's scheduled send time (queueing included); 'service' is from the "
          "actual send. Store: SQLite (WAL) loaded from the generated dataset.")


if __name__ == "__main__":
    main()
