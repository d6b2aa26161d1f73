"""National scale: 53.7M records (partitioned by month and state) and scenario sweeps, process pool vs Ray.

    # records: generate partitioned records once (kept under --work), aggregate each size in a fresh process
    nice -n 10 python benchmarks/scale.py records --sizes 1000000 10000000 53700000 --out benchmarks/results/scale.md
    # sweeps: the same grid of variants on the local process pool and on a local Ray (2 CPUs)
    nice -n 10 python benchmarks/scale.py sweep --variants 50 --workers 2 --out benchmarks/results/scale-sweep.md

Aggregation numbers: wall seconds and peak RSS of a fresh process running the full DuckDB pass (surgical and
medicine demand), and of the incremental update that adds the last month to a cube of the other months.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(op: str, records: Path, cube: Path) -> dict[str, float]:
    """One measured operation in this (fresh) process."""
    from optimizer.data import aggregate
    from optimizer.data.incremental import DemandCube, record_months

    t = time.perf_counter()
    if op == "full_pass":
        s = aggregate.surgical_demand(records)
        m = aggregate.medicine_demand(records)
        n = len(s) + len(m)
    elif op == "cube_all_but_last":
        months = record_months(records)
        n = len(DemandCube(cube).update(records, months[:-1]))
    elif op == "add_last_month":
        n = len(DemandCube(cube).update(records))
    else:
        raise SystemExit(f"unknown op {op}")
    return {"seconds": time.perf_counter() - t, "result_rows": n, "peak_rss_mb": _peak_rss_mb()}


def _run(op: str, records: Path, cube: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--worker", op, str(records), str(cube)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ensure(work: Path, n: int, seed: int) -> tuple[Path, float | None]:
    from optimizer.data.generate import GeneratorConfig, generate, write_records

    base = work / "base"
    if not (base / "facilities.csv").is_file():
        generate(base, GeneratorConfig(seed=42, n_records=1_000))
    folder = work / f"partitioned-n{n}-seed{seed}"
    if (folder / "_meta.json").is_file():
        return folder, None
    import pandas as pd

    fac = pd.read_csv(base / "facilities.csv", dtype={"cve_ent": str, "cvegeo": str})
    med = pd.read_csv(base / "medicines.csv", dtype=str)
    t = time.perf_counter()
    write_records(folder, GeneratorConfig(n_records=n, partition_records=True), fac, med, seed=seed)
    return folder, time.perf_counter() - t


def _load() -> str:
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def records_main(args: argparse.Namespace) -> str:
    import shutil

    from optimizer.paths import home_dir

    work = args.work or home_dir() / "bench-scale"
    work.mkdir(parents=True, exist_ok=True)
    lines = [
        "## Scale: aggregation of partitioned records (month x state), DuckDB with 2 threads",
        "",
        f"Command: `nice -n 10 python benchmarks/scale.py records --sizes {' '.join(map(str, args.sizes))} "
        f"--seeds {' '.join(map(str, args.seeds))}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average at the start: {_load()}  ",
        "Each operation is a fresh process (peak RSS is its own). Targets for 53.7M: full pass <= 60 s and "
        "<= 4 GB RSS. Median and worst over seeds.",
        "",
        "| records | seeds | generate s (median) | full pass s (median / worst) | rows/s (median) "
        "| full pass peak RSS MB (worst) | cube of 11 months s | add 1 month s (median / worst) "
        "| add-month RSS MB (worst) | on disk GB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in args.sizes:
        gen, full, cube_s, add = [], [], [], []
        size_gb = 0.0
        for seed in args.seeds:
            folder, g = _ensure(work, n, seed)
            if g is not None:
                gen.append(g)
            full.append(_run("full_pass", folder, work / "cube"))
            cube = work / f"cube-n{n}-seed{seed}"
            shutil.rmtree(cube, ignore_errors=True)
            cube_s.append(_run("cube_all_but_last", folder, cube))
            add.append(_run("add_last_month", folder, cube))
            size_gb = sum(p.stat().st_size for p in folder.rglob("*.parquet")) / 1e9
            print(f"  {n:,} seed {seed}: full {full[-1]['seconds']:.1f} s {full[-1]['peak_rss_mb']:.0f} MB; "
                  f"add month {add[-1]['seconds']:.2f} s", file=sys.stderr)
        fs = [r["seconds"] for r in full]
        lines.append(
            f"| {n:,} | {len(args.seeds)} | {statistics.median(gen) if gen else float('nan'):.0f} | "
            f"{statistics.median(fs):.1f} / {max(fs):.1f} | {n / statistics.median(fs):,.0f} | "
            f"{max(r['peak_rss_mb'] for r in full):.0f} | {statistics.median(r['seconds'] for r in cube_s):.1f} | "
            f"{statistics.median(r['seconds'] for r in add):.2f} / {max(r['seconds'] for r in add):.2f} | "
            f"{max(r['peak_rss_mb'] for r in add):.0f} | {size_gb:.2f} |")
    lines.append(f"\nLoad average at the end: {_load()}. Generation time is blank where the records already "
                 "existed from an earlier run.")
    return "\n".join(lines) + "\n"


def sweep_main(args: argparse.Namespace) -> str:
    from optimizer.scenarios.schema import DatasetSource, GenerateBase, Scenario
    from optimizer.scenarios.sweep import build_variants, parse_vary, run_sweep

    base = Scenario(name="sweep-bench", seed=1, models=["deployment"],
                    dataset=DatasetSource(generate=GenerateBase(seed=42, n_records=20_000)))
    variants = build_variants(base, [parse_vary(f"seed=1..{args.variants}")])
    results = {}
    for executor in ("process", "ray"):
        out = (args.work or Path("/tmp")) / f"sweep-{executor}"
        res = run_sweep(variants, out, executor=executor, workers=args.workers)  # type: ignore[arg-type]
        results[executor] = res
        print(f"  {executor}: {res.seconds:.1f} s, failed {res.failed}", file=sys.stderr)
    lines = [
        "## Scale: scenario sweep, local process pool vs local Ray",
        "",
        f"Command: `nice -n 10 python benchmarks/scale.py sweep --variants {args.variants} "
        f"--workers {args.workers}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average at the end: {_load()}  ",
        f"Grid: the 282-hospital deployment scenario (20,000 records) with seed = 1..{args.variants}; "
        "each variant is a full scenario run recorded in the store.",
        "",
        "| executor | workers | variants | failed | wall s | variants/min | median variant s | worst variant s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        secs = [r["seconds"] for r in res.rows if "seconds" in r]
        lines.append(f"| {name} | {args.workers} | {len(res.rows)} | {len(res.failed)} | {res.seconds:.1f} | "
                     f"{60 * len(res.rows) / res.seconds:.1f} | {statistics.median(secs):.1f} | {max(secs):.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=3, metavar=("OP", "RECORDS", "CUBE"), help=argparse.SUPPRESS)
    sub = ap.add_subparsers(dest="cmd")
    rec = sub.add_parser("records")
    rec.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000, 53_700_000])
    rec.add_argument("--seeds", type=int, nargs="+", default=[1])
    rec.add_argument("--work", type=Path, default=None)
    rec.add_argument("--out", type=Path, default=None)
    sw = sub.add_parser("sweep")
    sw.add_argument("--variants", type=int, default=50)
    sw.add_argument("--workers", type=int, default=2)
    sw.add_argument("--work", type=Path, default=None)
    sw.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.worker:
        op, records, cube = args.worker
        print(json.dumps(worker(op, Path(records), Path(cube))))
        return
    if args.cmd is None:
        ap.error("choose a command: records or sweep")
    section = records_main(args) if args.cmd == "records" else sweep_main(args)
    print(section)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(section)


if __name__ == "__main__":
    main()
