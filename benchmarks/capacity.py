"""Benchmark of the capacity LP: the 282-hospital network and a 10x network, time and peak memory.

There is no public instance for this model, so the instances are generated datasets (the generator is
deterministic by seed) and a 10x network made of ten perturbed copies of each (demand and staff hours
x U(0.8, 1.2), seeded). Each run goes in a fresh process so peak memory (VmHWM, reset after the input is
built) is that of the LP build + solve + validation alone. Optimality is proven by the validator's LP
duality certificate, so the gap to the best-known value is the certified gap |b'y - c'x| / c'x.

    nice -n 10 python benchmarks/capacity.py --seeds 42 43 44 [--dataset-root DIR] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from optimizer.capacity.inputs import load_input
from optimizer.capacity.marginal import marginal_gains, team_gains
from optimizer.capacity.model import CapacityInput, Hospital, SurgicalDemand, solve
from optimizer.capacity.settings import CapacitySettings
from optimizer.capacity.validate import validate
from optimizer.data.generate import GeneratorConfig, generate

REPO = Path(__file__).resolve().parents[1]


def scaled(inp: CapacityInput, copies: int, seed: int) -> CapacityInput:
    """``copies`` perturbed copies of the network (new CLUES numbers, demand and staff x U(0.8, 1.2))."""
    if copies == 1:
        return inp
    rng = np.random.default_rng(seed)
    hospitals: list[Hospital] = []
    hours, heads, demand = {}, {}, {}
    for k in range(copies):
        rename = {h.clues: f"{h.clues[:5]}{(int(h.clues[5:]) + 100_000 * k) % 1_000_000:06d}" for h in inp.hospitals}
        hospitals += [dataclasses.replace(h, clues=rename[h.clues]) for h in inp.hospitals]
        for (c, r), v in inp.staff_hours.items():
            hours[(rename[c], r)] = v * rng.uniform(0.8, 1.2)
            heads[(rename[c], r)] = inp.headcount.get((c, r), 0)
        for (c, s), d in inp.demand.items():
            f = rng.uniform(0.8, 1.2)
            demand[(rename[c], s)] = SurgicalDemand(d.procedures_per_week * f, d.or_hours_per_week * f)
    return dataclasses.replace(inp, hospitals=hospitals, staff_hours=hours, headcount=heads, demand=demand)


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise KeyError(field)


def _run(dataset: str, copies: int, seed: int, with_gains: bool, queue: mp.Queue) -> None:
    inp = scaled(load_input(dataset), copies, seed)
    settings = CapacitySettings(seed=seed, time_limit_s=300)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark to the current RSS
    base = _vm("VmRSS")
    t0 = time.perf_counter()
    plan = solve(inp, settings)
    check = validate(inp, plan, settings)
    wall = time.perf_counter() - t0
    gains_s = teams_s = float("nan")
    if with_gains:
        t1 = time.perf_counter()
        marginal_gains(inp, settings)
        gains_s = time.perf_counter() - t1
        t1 = time.perf_counter()
        team_gains(inp, settings)
        teams_s = time.perf_counter() - t1
    queue.put({"hospitals": len(inp.hospitals), "cols": plan.n_cols, "rows": plan.n_rows, "status": plan.status,
               "solve_s": plan.solve_seconds, "solve_validate_s": wall, "gains_s": gains_s, "teams_s": teams_s,
               "peak_mb": _vm("VmHWM") - base, "certified": check.certified_optimal and check.ok,
               "gap": abs((check.dual_bound or 0.0) - check.objective) / max(1.0, check.objective),
               "procedures": plan.procedures_per_week})


def run(dataset: Path, copies: int, seed: int, with_gains: bool) -> dict:
    """One measured run in a fresh process."""
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    p = ctx.Process(target=_run, args=(str(dataset), copies, seed, with_gains, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44], help="dataset and solver seeds")
    ap.add_argument("--dataset-root", type=Path, default=None,
                    help="folder with seed<N>/ datasets (generated there when missing); default a temp dir")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "capacity.md")
    args = ap.parse_args()
    root = args.dataset_root or Path(tempfile.mkdtemp(prefix="capacity-bench-"))
    results: dict[int, list[dict]] = {1: [], 10: []}
    for seed in args.seeds:
        ds = root / f"seed{seed}"
        if not (ds / "facilities.csv").exists():
            generate(ds, GeneratorConfig(seed=seed))
        for copies in (1, 10):
            r = run(ds, copies, seed, with_gains=True)
            results[copies].append(r)
            print(f"seed {seed} x{copies}: {r}", file=sys.stderr)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lines = [
        "## Capacity LP (issue 5): network size, time and peak memory",
        "",
        f"Date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; `uptime`: {load}. Machine: 2 cores shared with other "
        "sessions; HiGHS 1.16 dual simplex, 2 threads.",
        f"Command: `nice -n 10 python benchmarks/capacity.py {' '.join(sys.argv[1:])}`. "
        "Instances: generated datasets (generator seed = solver seed); x10 = ten perturbed copies.",
        "",
        "| network | hospitals | columns | rows | status | certified optimal (gap) | LP build+solve s median / worst "
        "| + validation s median / worst | +1 person gains s median / worst | +1 team gains s median / worst "
        "| peak MB median / worst |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for copies, rs in results.items():
        def med_worst(key: str, rs: list[dict] = rs) -> str:
            vals = [r[key] for r in rs]
            return f"{statistics.median(vals):.2f} / {max(vals):.2f}"
        lines.append(
            f"| {'282 program hospitals' if copies == 1 else '10x (2,820)'} | {rs[0]['hospitals']:,} "
            f"| {statistics.median(r['cols'] for r in rs):,.0f} | {statistics.median(r['rows'] for r in rs):,.0f} "
            f"| {', '.join(sorted({r['status'] for r in rs}))} "
            f"| {sum(r['certified'] for r in rs)}/{len(rs)} (max {max(r['gap'] for r in rs):.1e}) "
            f"| {med_worst('solve_s')} | {med_worst('solve_validate_s')} | {med_worst('gains_s')} "
            f"| {med_worst('teams_s')} "
            f"| {med_worst('peak_mb')} |")
    lines += ["", "Seeds: " + ", ".join(map(str, args.seeds)) + ". Procedures/week delivered (x1): "
              + ", ".join(f"{r['procedures']:,.0f}" for r in results[1]) + ". Peak MB: resident-set peak of "
              "the run's process above its size once the input is built (LP arrays, HiGHS, plan, validation). "
              "Gains re-solve each hospital's LP once per role (or per team) from its optimal basis. Times "
              "were taken with other sessions loading the machine (see the load average).", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
