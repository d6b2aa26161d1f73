"""Routing benchmark: PyVRP and OR-Tools side by side on Solomon VRPTW / CVRPLIB instances vs BKS.

Reads ``../shared/benchmarks/routing`` (relative to the repository root) and skips with a message when it is
absent. Solomon instances are solved and compared under the DIMACS convention (arc distances truncated to
0.1, distance only): BKS row ``distance_only`` / ``dimacs_truncate_1dp``. CVRPLIB instances use TSPLIB nint
rounding (row ``distance`` / ``tsplib_nint_per_edge``). Every solution is checked by the independent
validator; an infeasible or invalid result counts as a failure, never as a distance.

Examples::

    python benchmarks/routing.py --set solomon --subset stratified --time-limit 30 --seeds 1 2 3
    python benchmarks/routing.py --set solomon --time-limit 30          # all 44 instances
    python benchmarks/routing.py --instances R101 C201 --time-limit 5 --engines pyvrp
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.distribution.io import read_benchmark  # noqa: E402
from optimizer.distribution.ortools_engine import solve_ortools  # noqa: E402
from optimizer.distribution.pyvrp_engine import solve_pyvrp  # noqa: E402
from optimizer.distribution.validate import validate_routes  # noqa: E402

BENCH_DIR = ROOT.parent / "shared" / "benchmarks" / "routing"

#: Documented stratified subset: two instances per Solomon class present (C1, C2, R1, R2, RC1): the 01
#: instance (tightest windows) and the 05/06 instance (wider windows); this copy of the set has no C105.
STRATIFIED = ["C101", "C106", "C201", "C205", "R101", "R105", "R201", "R205", "RC101", "RC105"]


def load_bks() -> dict[str, tuple[float, int]]:
    """instance -> (BKS distance, vehicles) under the convention the solvers use."""
    out: dict[str, tuple[float, int]] = {}
    with (BENCH_DIR / "BKS.csv").open() as fh:
        for row in csv.DictReader(fh):
            if (row["objective"], row["rounding"]) in {
                ("distance_only", "dimacs_truncate_1dp"),
                ("distance", "tsplib_nint_per_edge"),
            }:
                out[row["instance"]] = (float(row["bks_distance"]), int(row["vehicles"]))
    return out


def instance_paths(which: str, names: list[str] | None, subset: str) -> list[Path]:
    """Files to run: named instances, or a whole set (optionally the stratified Solomon subset)."""
    solomon = sorted((BENCH_DIR / "solomon").glob("*.txt"))
    cvrp = sorted((BENCH_DIR / "cvrplib").glob("*/*.vrp"))
    pool = {p.stem: p for p in solomon + cvrp}
    if names:
        missing = [n for n in names if n not in pool]
        if missing:
            raise SystemExit(f"unknown instances: {', '.join(missing)}")
        return [pool[n] for n in names]
    if which == "solomon":
        files = solomon
    elif which == "cvrp":
        files = cvrp
    else:
        files = [p for p in cvrp if p.parent.name == which]
    if subset == "stratified" and which == "solomon":
        return [pool[n] for n in STRATIFIED if n in pool]
    return files


def run(args: argparse.Namespace) -> str:
    """Solve every instance with every engine and seed; return the markdown report."""
    bks = load_bks()
    files = instance_paths(args.set, args.instances, args.subset)
    rows: list[list[str]] = []
    gaps: dict[str, list[float]] = {e: [] for e in args.engines}
    worst_gaps: dict[str, list[float]] = {e: [] for e in args.engines}
    failures: dict[str, int] = {e: 0 for e in args.engines}
    for path in files:
        problem = read_benchmark(path)
        ref, ref_veh = bks.get(path.stem, (float("nan"), 0))
        cells = [path.stem, f"{ref:.1f} ({ref_veh})"]
        for engine in args.engines:
            seeds = args.seeds if engine == "pyvrp" else args.seeds[:1]
            results: list[tuple[float, int]] = []
            for seed in seeds:
                solver = solve_pyvrp if engine == "pyvrp" else solve_ortools
                plan = solver(problem, args.time_limit, seed)
                check = validate_routes(problem, plan)
                if plan.status not in {"optimal", "feasible"} or not check.ok:
                    failures[engine] += 1
                    print(f"  {path.stem} {engine} seed {seed}: {plan.status} {check.violations[:2]}",
                          file=sys.stderr)
                    continue
                results.append((check.distance * problem.distance_unit, plan.vehicles_used))
            if not results:
                cells += ["fail", "", ""]
                continue
            dists = sorted(d for d, _ in results)
            med = statistics.median(dists)
            worst = dists[-1]
            veh = sorted(v for _, v in results)[len(results) // 2]
            g_med = 100 * (med - ref) / ref
            g_worst = 100 * (worst - ref) / ref
            gaps[engine].append(g_med)
            worst_gaps[engine].append(g_worst)
            cells += [f"{med:.1f} ({veh})", f"{g_med:+.2f}%", f"{g_worst:+.2f}%" if len(results) > 1 else "-"]
            print(f"  {path.stem} {engine}: median {med:.1f} worst {worst:.1f} BKS {ref:.1f} "
                  f"gap {g_med:+.2f}%", file=sys.stderr, flush=True)
        rows.append(cells)
    head = ["instance", "BKS (veh)"]
    for e in args.engines:
        n = len(args.seeds) if e == "pyvrp" else 1
        head += [f"{e} median of {n} (veh)", f"{e} gap", f"{e} worst gap"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    summary = []
    for e in args.engines:
        if gaps[e]:
            summary.append(
                f"- **{e}**: mean gap {statistics.mean(gaps[e]):+.2f}% (median run per instance), "
                f"mean worst-seed gap {statistics.mean(worst_gaps[e]):+.2f}%, max {max(worst_gaps[e]):+.2f}%, "
                f"failures {failures[e]} over {len(files)} instances"
            )
        else:
            summary.append(f"- **{e}**: no valid results ({failures[e]} failures)")
    return "\n".join(lines) + "\n\n" + "\n".join(summary) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="solomon", help="solomon | cvrp | A | B | E | F | M | P | X")
    ap.add_argument("--subset", default="all", choices=["all", "stratified"],
                    help="stratified: two Solomon instances per class (see STRATIFIED)")
    ap.add_argument("--instances", nargs="*", help="instance names (override --set)")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance per run")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="PyVRP seeds (OR-Tools uses one)")
    ap.add_argument("--engines", nargs="+", default=["pyvrp", "ortools"], choices=["pyvrp", "ortools"])
    ap.add_argument("--out", type=Path, help="append the markdown section to this file")
    args = ap.parse_args()
    if not BENCH_DIR.is_dir():
        print(f"skipped: benchmark folder {BENCH_DIR} is absent (expected ../shared/benchmarks/routing)")
        return
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    body = run(args)
    cmd = "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    try:
        uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        uptime = ""
    section = (
        f"## Routing: PyVRP vs OR-Tools, {args.time_limit:g} s per run\n\n"
        f"Command: `{cmd}`  \nDate: {started}; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        f"; `uptime` at end: `{uptime}`  \n"
        "Convention: Solomon under DIMACS (arc distances truncated to 0.1, distance only), compared with the "
        "BKS.csv row `distance_only`/`dimacs_truncate_1dp`; CVRPLIB with TSPLIB nint. Every run validated "
        "independently. PyVRP with 1 thread (it is single-threaded); OR-Tools GLS is deterministic, one run.\n\n"
        + body
    )
    print(section)
    if args.out:
        with args.out.open("a") as fh:
            fh.write(section + "\n")


if __name__ == "__main__":
    main()
