"""Benchmark of the surgical scheduler on the IHTC-2024 instances against the published references.

Reads ``../shared/benchmarks/surgery/instances/iNN.json`` and ``REFERENCE.csv`` (``$BIENESTAR_SHARED`` overrides
``../shared``) and skips with a message when they are absent. The official validator ``IHTP_Validator.cc`` is
compiled with g++ into a temporary folder (Debian's nlohmann-json3-dev header) and every solution is checked by
it: its total cost and violation count are what the table reports; the Python validator must agree term by
term or the run stops. Per instance and time limit: the median and worst cost over the seeds and the gap of the
median to each reference (``(cost - ref) / ref``).

    nice -n 10 python benchmarks/surgery.py --instances all --time-limit 60 --seeds 0 --out /tmp/surgery60.md
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from optimizer.surgery import Settings, solve
from optimizer.surgery.io import read_instance, read_solution, write_solution
from optimizer.surgery.validate import evaluate

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(os.environ.get("BIENESTAR_SHARED", REPO / ".." / "shared")) / "benchmarks" / "surgery"
HEADER = Path("/usr/include/nlohmann/json.hpp")


def build_validator(folder: Path) -> Path:
    """Compile the official validator into ``folder``."""
    if shutil.which("g++") is None or not HEADER.exists():
        raise SystemExit("g++ or nlohmann-json3-dev (/usr/include/nlohmann/json.hpp) missing: cannot build "
                         "the official validator")
    exe = folder / "IHTP_Validator"
    subprocess.run(["g++", "-O1", "-I/usr/include/nlohmann", "-o", str(exe), str(BENCH / "IHTP_Validator.cc")],
                   check=True)
    return exe


def official(exe: Path, instance: Path, solution: Path) -> tuple[str, int, int]:
    """The official validator's output, total violations and total cost."""
    out = subprocess.run([str(exe), str(instance), str(solution)], capture_output=True, text=True,
                         check=True).stdout.strip()
    violations = int(re.search(r"Total violations = (\d+)", out).group(1))
    return out, violations, int(re.search(r"Total cost = (\d+)", out).group(1))


def references() -> dict[str, dict[str, int]]:
    """REFERENCE.csv: instance -> {team: cost}."""
    with open(BENCH / "REFERENCE.csv", newline="") as fh:
        return {row.pop("instance"): {k: int(v) for k, v in row.items() if v} for row in csv.DictReader(fh)}


def solve_one(exe: Path, path: Path, limit: float, seed: int, folder: Path, extra: dict[str, object],
              show_phases: bool = False, terms_against: Path | None = None) -> dict[str, float | int]:
    """Solve one instance once (``extra``: other settings); check with both validators (they must agree)."""
    inp = read_instance(path)
    t0 = time.monotonic()
    plan = solve(inp, Settings(time_limit_s=limit, seed=seed, **extra))
    wall = time.monotonic() - t0
    sol = write_solution(inp, plan, folder / f"{inp.name}_{limit:g}_{seed}.json")
    text, violations, cost = official(exe, path, sol)
    mine = evaluate(inp, plan)
    if "\n".join(mine.lines()) != text:
        raise SystemExit(f"{inp.name} seed {seed}: the Python validator disagrees with the official one")
    if terms_against is not None:
        ref = evaluate(inp, read_solution(inp, terms_against / f"sol_{inp.name}.json"))
        print(f"  {inp.name} seed {seed} minus sdu_imada by term: " + ", ".join(
            f"{t} {mine.costs[t] * mine.weights[t] - ref.costs[t] * ref.weights[t]:+d}" for t in mine.costs),
            flush=True)
    if show_phases:
        print(f"  {inp.name} seed {seed}: " + "; ".join(f"{n} {t:g} s {c}" for n, t, c in plan.phases), flush=True)
    return {"cost": cost, "violations": violations, "wall": wall}


def _gap(cost: float, ref: int | None) -> str:
    return f"{100 * (cost - ref) / ref:.1f}" if ref else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", nargs="+", default=["all"], help="names (i01 i05 ...) or 'all'")
    ap.add_argument("--time-limit", type=float, nargs="+", default=[60.0], help="seconds per run")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--out", type=Path, help="also write the markdown table here")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="solver settings for an ablation (lns=false, lns_share=0.25 ...), JSON values")
    ap.add_argument("--phases", action="store_true", help="print each run's phases (end time and cost)")
    ap.add_argument("--terms-against", type=Path, metavar="DIR",
                    help="folder with SDU-IMADA's solution files sol_iNN.json (solutions/ of the public repository "
                         "Arthod/ihtc2024-imada-submission): print each run's cost minus theirs, term by term")
    args = ap.parse_args()
    extra = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    if not (BENCH / "instances").is_dir():
        print(f"IHTC-2024 instances not found in {BENCH}: skipped")
        return
    names = sorted(p.stem for p in (BENCH / "instances").glob("*.json")) if args.instances == ["all"] \
        else args.instances
    refs = references()
    lines = ["| instance | limit s | seeds | median cost | worst cost | hard viol. (max) | sdu_imada | gap % | "
             "pchtsp | gap % | wall s (median) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    summary: dict[float, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="surgery-bench-") as tmp:
        exe = build_validator(Path(tmp))
        for limit in args.time_limit:
            for name in names:
                runs = [solve_one(exe, BENCH / "instances" / f"{name}.json", limit, s, Path(tmp), extra,
                                  args.phases, args.terms_against)
                        for s in args.seeds]
                costs = [r["cost"] for r in runs]
                med = statistics.median(costs)
                ref = refs.get(name, {})
                if ref.get("sdu_imada"):
                    summary.setdefault(limit, []).append(100 * (med - ref["sdu_imada"]) / ref["sdu_imada"])
                row = (f"| {name} | {limit:g} | {len(runs)} | {med:g} | {max(costs)} | "
                       f"{max(r['violations'] for r in runs)} | {ref.get('sdu_imada', '-')} | "
                       f"{_gap(med, ref.get('sdu_imada'))} | {ref.get('pchtsp', '-')} | "
                       f"{_gap(med, ref.get('pchtsp'))} | {statistics.median(r['wall'] for r in runs):.1f} |")
                lines.append(row)
                print(row, flush=True)
    load = os.getloadavg()
    lines.append("")
    for limit, gaps in summary.items():
        lines.append(f"Mean gap of the median cost to sdu_imada at {limit:g} s: {statistics.mean(gaps):.1f} % "
                     f"over {len(gaps)} instances.")
    lines.append(f"Finished {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load[0]:.2f}, {load[1]:.2f}, "
                 f"{load[2]:.2f} (2 cores shared with other sessions).")
    print("\n".join(lines[-len(summary) - 1:]))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
