"""Scenario runs end to end: wall time per stage, solve statuses, headline KPIs and reproducibility.

Runs each scenario with several seeds (the scenario's solver seeds follow ``--seeds``), reruns each run from
its folder alone and checks the plans are byte-identical, and writes a markdown section (tables, the exact
command, date and load average) to ``--out``. Use ``nice -n 10``; the host has 2 cores.

    nice -n 10 python benchmarks/scenarios.py scenarios/baseline.yaml scenarios/rural-incentives.yaml \
        --seeds 1 2 3 --hospitals 30 --reruns 1 --out benchmarks/results/scenarios.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from optimizer.scenarios.compare import compare_runs
from optimizer.scenarios.headline import HEADLINES, headline_kpis
from optimizer.scenarios.runner import RunResult, rerun, run_scenario
from optimizer.scenarios.schema import DatasetSource, Scenario
from optimizer.scenarios.yamlfile import load_scenario


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"load average {os.getloadavg()}"


def _med_worst(values: list[float], higher_is_better: bool = False) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "–"
    worst = min(vals) if higher_is_better else max(vals)
    return f"{statistics.median(vals):,.3f} / {worst:,.3f}" if abs(worst) < 10 else \
        f"{statistics.median(vals):,.1f} / {worst:,.1f}"


def scaled(s: Scenario, hospitals: int | None) -> Scenario:
    """The scenario on a smaller generated network (``hospitals`` program hospitals), for quick benchmarks."""
    if hospitals is None or s.dataset.generate is None:
        return s
    share = hospitals / 282
    gen = s.dataset.generate.model_copy(update={
        "program_hospitals": hospitals, "umfs": max(10, round(650 * share)), "pharmacies": max(5, round(320 * share)),
        "n_records": max(5000, round(200_000 * share))})
    # model_copy keeps which fields the file set, so solver seeds still follow the scenario seed (seeded())
    return s.model_copy(update={"dataset": DatasetSource(generate=gen)})


def bench(paths: list[Path], seeds: list[int], runs_dir: Path, reruns: int, hospitals: int | None) -> str:
    """Run every scenario x seed; return the markdown section."""
    runs, same_plans = _run_all(paths, seeds, runs_dir, reruns, hospitals)
    lines: list[str] = []
    for name, rs in runs.items():
        lines += _scenario_section(name, rs, seeds, same_plans.get(name))
    names = list(runs)
    if len(names) >= 2:
        lines += _difference_section(names[0], names[1], runs, seeds)
    return "\n".join(lines)


def _run_all(paths: list[Path], seeds: list[int], runs_dir: Path, reruns: int, hospitals: int | None
             ) -> tuple[dict[str, list[RunResult]], dict[str, list[bool]]]:
    """Every scenario x seed, and for the first ``reruns`` seeds whether a rerun from the folder gives the
    same plans (byte-identical CSVs)."""
    runs: dict[str, list[RunResult]] = {}
    same_plans: dict[str, list[bool]] = {}
    for path in paths:
        base = scaled(load_scenario(path), hospitals)
        for i, seed in enumerate(seeds):
            s = base.model_copy(update={"seed": seed})
            t0 = time.perf_counter()
            r = run_scenario(s, runs_dir, progress=False)
            print(f"{s.name} seed {seed}: {r.status} in {time.perf_counter() - t0:.1f} s "
                  f"{r.stage_status}", file=sys.stderr)
            runs.setdefault(s.name, []).append(r)
            if i < reruns:
                same_plans.setdefault(s.name, []).append(_rerun_identical(r, runs_dir, seed))
    return runs, same_plans


def _rerun_identical(r: RunResult, runs_dir: Path, seed: int) -> bool:
    """Rerun ``r`` from its folder; True when the plans are identical (the CSVs that differ are printed)."""
    again, _ = rerun(r.run_dir, runs_dir, progress=False)
    differ = sorted(str(p.relative_to(r.run_dir)) for p in (r.run_dir / "plans").rglob("*.csv")
                    if (again.run_dir / p.relative_to(r.run_dir)).read_bytes() != p.read_bytes())
    print(f"  rerun seed {seed}: {'identical' if not differ else 'differs in ' + ', '.join(differ)}",
          file=sys.stderr)
    return again.plans_digest == r.plans_digest


def _scenario_section(name: str, rs: list[RunResult], seeds: list[int], same: list[bool] | None) -> list[str]:
    """One scenario's table: wall time and statuses per stage, the MIP gap, reruns, headline KPIs."""
    stages = [k for k in rs[0].timings if k != "total"]
    lines = [f"### {name} (seeds {', '.join(map(str, seeds))})", "",
             "| stage | wall s, median / worst | statuses |", "|---|---:|---|"]
    for st in [*stages, "total"]:
        stats = sorted({r.stage_status.get(st, "") for r in rs} - {""})
        lines.append(f"| {st} | {_med_worst([r.timings.get(st) for r in rs])} | {', '.join(stats)} |")
    gaps = [r.kpis.get("deployment", {}).get("gap") for r in rs]
    if any(g is not None for g in gaps):
        lines.append(f"| deployment MIP gap | {_med_worst([g for g in gaps if g is not None])} | |")
    if same is not None:
        lines.append(f"| rerun from folder: identical plans | {sum(same)} of {len(same)} | |")
    lines += ["", "| KPI | median / worst |", "|---|---:|"]
    ks = [headline_kpis(r.run_dir) for r in rs]
    for key, label, unit, higher in HEADLINES:
        vals = [k[key] for k in ks]
        if any(v is not None for v in vals):
            lines.append(f"| {label} ({unit}) | {_med_worst(vals, higher)} |")
    lines.append("")
    return lines


def _difference_section(a: str, b: str, runs: dict[str, list[RunResult]], seeds: list[int]) -> list[str]:
    """Headline KPIs of scenario ``b`` minus ``a``, seed by seed."""
    lines = [f"### {b} minus {a}, per seed", "", "| KPI | " + " | ".join(f"seed {s}" for s in seeds) + " |",
             "|---|" + "---:|" * len(seeds)]
    cmps = [compare_runs(ra.run_dir, rb.run_dir) for ra, rb in zip(runs[a], runs[b], strict=True)]
    for i, (_key, label, unit, _) in enumerate(HEADLINES):
        deltas = [c.rows[i].delta for c in cmps]
        if any(d is not None for d in deltas):
            cells = " | ".join("–" if d is None else f"{d:+,.3f}" for d in deltas)
            lines.append(f"| {label} ({unit}) | {cells} |")
    lines.append("")
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="+", type=Path)
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--out", type=Path, default=None, help="markdown file to write (default: print)")
    p.add_argument("--reruns", type=int, default=3,
                   help="rerun the first N seeds of each scenario from their folders (reproducibility)")
    p.add_argument("--keep", type=Path, default=None, help="keep the run folders here (default: a temp folder)")
    p.add_argument("--hospitals", type=int, default=None,
                   help="generate a smaller network with this many program hospitals (default: the scenario's)")
    args = p.parse_args()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="scenario-bench-") as tmp:
        home = args.keep or Path(tmp)
        os.environ.setdefault("BIENESTAR_HOME", str(home))
        body = bench(args.scenarios, args.seeds, home / "runs", args.reruns, args.hospitals)
    cmd = "nice -n 10 python " + " ".join([sys.argv[0], *sys.argv[1:]])
    doc = "\n".join(["## Scenarios: end-to-end runs", "",
                     f"Command: `{cmd}`  ", f"Date: {started}  ", f"Load before: `{load_before}`  ",
                     f"Load after: `{_load()}`", "", body])
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(doc + "\n", encoding="utf-8")
    print(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
