"""Time demand aggregation (and record validation) on 1M and 10M generated records: rows/s and peak RSS.

Records come from the generator's chunked writer (``optimizer.data.generate.write_records``) and are kept
under ``--work`` (default ``$BIENESTAR_HOME/bench-records``, git-ignored) so later runs reuse them. Each
measurement runs in a fresh Python process, so its peak resident memory (``ru_maxrss``) belongs to that
one operation; the table also shows the RSS of a process that only imported the libraries. DuckDB uses 2
threads. Several record seeds and repeats are run; the table shows the median and the worst.

    nice -n 10 python benchmarks/records.py --sizes 1000000 10000000 --seeds 1 2 3 --out benchmarks/results/records.md
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

#: Operations timed, with the table whose rows count towards rows/s.
OPERATIONS: dict[str, str] = {
    "surgical_demand": "encounters",
    "medicine_demand": "prescriptions",
    "medicine_demand_weekly": "prescriptions",
    "validate_records": "encounters+prescriptions",
}


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MB.

    ``VmHWM`` of /proc/self/status is reset by exec; ``ru_maxrss`` is not (on Linux it keeps the parent's
    peak across fork + exec), so it would charge the driver's memory to every worker.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def worker(op: str, records_dir: Path, base_dir: Path) -> dict[str, float]:
    """Run one operation in this process and return wall seconds, result rows and peak RSS (MB)."""
    import pandas as pd

    from optimizer.data import aggregate
    from optimizer.data.record_checks import validate_records

    if op == "imports":
        return {"seconds": 0.0, "result_rows": 0, "peak_rss_mb": _peak_rss_mb()}
    if op == "validate_records":
        clues = pd.read_csv(base_dir / "facilities.csv", usecols=["clues"])["clues"]
        skus = pd.read_csv(base_dir / "medicines.csv", usecols=["sku"], dtype=str)["sku"]
        t = time.perf_counter()
        check = validate_records(records_dir, clues, skus)
        n = check.n_rejects
        seconds = time.perf_counter() - t
        return {"seconds": seconds, "result_rows": n, "peak_rss_mb": _peak_rss_mb()}
    fn = getattr(aggregate, op)
    t = time.perf_counter()
    df = fn(records_dir)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "result_rows": len(df), "peak_rss_mb": _peak_rss_mb()}


def ensure_records(work: Path, n: int, seed: int) -> tuple[Path, dict[str, int]]:
    """Generate (once) ``n`` records with ``seed`` under ``work``; returns the folder and its row counts."""
    from optimizer.data.generate import GeneratorConfig, generate, write_records

    base = work / "base"
    if not (base / "facilities.csv").is_file():
        generate(base, GeneratorConfig(seed=42, n_records=1_000))
    layout = "monthly-by-state" if GeneratorConfig().partition_records else "flat"
    folder = work / f"n{n}-seed{seed}-{layout}"
    meta_path = folder / "_meta.json"
    if not meta_path.is_file():
        import pandas as pd

        fac = pd.read_csv(base / "facilities.csv", dtype={"cve_ent": str, "cvegeo": str})
        med = pd.read_csv(base / "medicines.csv", dtype=str)
        t = time.perf_counter()
        write_records(folder, replace(GeneratorConfig(), n_records=n), fac, med, seed=seed)
        print(f"  generated {n:,} records (seed {seed}) in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    meta = json.loads(meta_path.read_text())
    files = sum(1 for _ in folder.rglob("*.parquet"))
    return folder, {"encounters": int(meta["n_records"]), "prescriptions": int(meta["n_prescriptions"]),
                    "files": files}


def run_one(op: str, folder: Path, base: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--worker", op, str(folder), str(base)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--repeats", type=int, default=1, help="timed runs per seed and operation")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write the markdown section here")
    ap.add_argument("--worker", nargs=3, metavar=("OP", "RECORDS", "BASE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        op, rec, base = args.worker
        print(json.dumps(worker(op, Path(rec), Path(base))))
        return

    from optimizer.paths import home_dir

    work = args.work or home_dir() / "bench-records"
    work.mkdir(parents=True, exist_ok=True)
    import_rss = run_one("imports", work, work)["peak_rss_mb"]
    rows = []
    for n in args.sizes:
        runs: dict[str, list[dict[str, float]]] = {op: [] for op in OPERATIONS}
        counts = {}
        for seed in args.seeds:
            folder, counts = ensure_records(work, n, seed)
            for _ in range(args.repeats):
                for op, table in OPERATIONS.items():
                    r = run_one(op, folder, work / "base")
                    r["rows"] = sum(counts[t] for t in table.split("+"))  # input rows scanned
                    runs[op].append(r)
                    print(f"  {n:>11,} seed {seed} {op:<24} {r['seconds']:7.2f} s  "
                          f"{r['rows'] / r['seconds']:>12,.0f} rows/s  {r['peak_rss_mb']:7.0f} MB", file=sys.stderr)
        for op, table in OPERATIONS.items():
            rs = runs[op]
            secs = [r["seconds"] for r in rs]
            rss = [r["peak_rss_mb"] for r in rs]
            rows_in = statistics.median(r["rows"] for r in rs)
            out_rows = statistics.median(r["result_rows"] for r in rs)
            rows.append((f"{n:,}", op, f"{rows_in:,.0f} {table}", f"{counts['files']:,}", f"{out_rows:,.0f}",
                         len(rs), statistics.median(secs), max(secs), rows_in / statistics.median(secs),
                         rows_in / max(secs), statistics.median(rss), max(rss)))
    section = render(rows, import_rss, args)
    print(section)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(section)


def render(rows: list[tuple], import_rss: float, args: argparse.Namespace) -> str:
    """The markdown section: command, date, load average, table."""
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"] * 3
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    cmd = "nice -n 10 python benchmarks/records.py " + " ".join(
        [f"--sizes {' '.join(map(str, args.sizes))}", f"--seeds {' '.join(map(str, args.seeds))}",
         f"--repeats {args.repeats}"] + ([f"--work {args.work}"] if args.work else [])
        + ([f"--out {args.out}"] if args.out else []))
    lines = [
        "## Records: demand aggregation and validation throughput (DuckDB, 2 threads)",
        "",
        f"Command: `{cmd}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average at the end (1/5/15 min): "
        f"{' / '.join(load)} (`{uptime}`)  ",
        f"Each run is a fresh process; a process that only imports the libraries peaks at {import_rss:.0f} MB. "
        "Median and worst over record seeds x repeats. Input = rows scanned; rows/s = input rows per second. "
        "Records as the generator writes them by default (`optimizer.data.generate.write_records`); files = "
        "Parquet files of both tables. Output = rows of the result (rejects for validate_records).",
        "",
        "| records | operation | input rows | files | output rows | runs | median s | worst s | median rows/s "
        "| worst rows/s | median peak RSS MB | worst peak RSS MB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]:.2f} | {r[7]:.2f} | "
                     f"{r[8]:,.0f} | {r[9]:,.0f} | {r[10]:.0f} | {r[11]:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
