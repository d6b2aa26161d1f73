"""Where-next models against spopt on the national instance: 2,469 municipalities x all open hospitals.

For K in (10, 25, 50) it solves the MCLP (people x CONAPO weight within --minutes) and the p-median
(population-weighted minutes) with our HiGHS models and with spopt (PySAL) on the *same* cost matrix, and
prints both wall times and objectives side by side. Ours runs once per seed (median and worst time
reported); spopt is given the same solver (HiGHS through PuLP) and a time limit. Two national instances:

- ``none``: no hospital is 24/7 yet; every open hospital is a candidate (the pure textbook problems);
- ``capacity``: the hospitals the capacity model finds 24/7 are existing coverage (spopt: predefined
  facilities), the other hospitals with an operating room are candidates (the planners' question).

Run from the repository root:  nice -n 10 python benchmarks/access.py --dataset DIR [--seeds 0 1 2]
Without --dataset a dataset is generated with seed 42 into a temporary folder (the geography is real; the
hospital list is the generator's). There is no public where-next benchmark in ../shared/benchmarks, so the
reference value is spopt's optimum on the identical matrix.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pulp
from spopt.locate import MCLP, PMedian

from optimizer.access.hospital_set import hospitals_24_7_from_capacity
from optimizer.access.mclp import solve_mclp
from optimizer.access.pmedian import solve_pmedian
from optimizer.access.scope import AccessScope, scope_from_dataset
from optimizer.access.settings import AccessSettings
from optimizer.access.validate import validate_where_next
from optimizer.access.where_next import WhereNextInput, WhereNextPlan
from optimizer.data.dataset import load_dataset
from optimizer.data.generate import GeneratorConfig, generate


def _spopt_worker(inp: WhereNextInput, model: str, time_limit: float, queue: mp.Queue) -> None:
    """Child-process entry: run spopt and send back its result."""
    queue.put(_spopt(inp, model, time_limit))


def _spopt(inp: WhereNextInput, model: str, time_limit: float) -> tuple[float | None, float, str]:
    """spopt on the same matrix; existing hospitals become one predefined column. Returns objective,
    wall seconds (model build + solve) and PuLP status."""
    t0 = time.perf_counter()
    cost, predefined, p = inp.minutes, None, inp.k
    if np.isfinite(inp.existing_minutes).any():
        cost = np.column_stack([inp.existing_minutes, inp.minutes])
        predefined = np.array([1] + [0] * inp.minutes.shape[1])
        p = inp.k + 1
    solver = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=1e-9)
    try:
        if model == "mclp":
            mod = MCLP.from_cost_matrix(cost, inp.weight, inp.minutes_limit, p, predefined_facilities_arr=predefined)
        else:
            mod = PMedian.from_cost_matrix(cost, inp.weight, p, predefined_facilities_arr=predefined)
        mod.solve(solver)
        status = pulp.LpStatus[mod.problem.status]
        value = pulp.value(mod.problem.objective)
        return (float(value) if value is not None else None), time.perf_counter() - t0, status
    except RuntimeError as exc:  # spopt raises when PuLP reports no solution (e.g. time limit)
        return None, time.perf_counter() - t0, f"no solution ({exc})"[:60]


def _spopt_capped(inp: WhereNextInput, model: str, time_limit: float, wall: float,
                  ) -> tuple[float | None, float, str]:
    """:func:`_spopt` in a child process stopped after ``wall`` seconds (PuLP's model build and HiGHS's
    presolve are outside the solver's own time limit)."""
    ctx = mp.get_context("spawn")  # a forked child would inherit HiGHS's thread pool and can hang
    queue = ctx.Queue()
    proc = ctx.Process(target=_spopt_worker, args=(inp, model, time_limit, queue))
    t0 = time.perf_counter()
    proc.start()
    proc.join(wall)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None, time.perf_counter() - t0, f"stopped at {wall:.0f} s wall"
    return queue.get() if not queue.empty() else (None, time.perf_counter() - t0, "crashed")


def _ours(inp: WhereNextInput, model: str, seeds: list[int], time_limit: float,
          ) -> tuple[list[WhereNextPlan], list[float]]:
    plans, times = [], []
    for seed in seeds:
        settings = AccessSettings(time_limit_s=time_limit, seed=seed)
        t0 = time.perf_counter()
        plan = solve_mclp(inp, settings) if model == "mclp" else solve_pmedian(inp, settings)
        times.append(time.perf_counter() - t0)
        check = validate_where_next(inp, plan)
        if not check.ok:
            raise SystemExit(f"validator rejected our {model} plan: {check.violations}")
        plans.append(plan)
    return plans, times


def _instance(scope: AccessScope, existing: list[str], k: int, minutes: float, model: str) -> WhereNextInput:
    weighting = "marginalisation" if model == "mclp" else "population"
    return WhereNextInput.from_scope(scope, existing, k, minutes, weighting=weighting)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=None)
    ap.add_argument("--ks", type=int, nargs="+", default=[10, 25, 50])
    ap.add_argument("--minutes", type=float, default=120.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--time-limit", type=float, default=120.0, help="ours, per solve, s")
    ap.add_argument("--spopt-time-limit", type=float, default=300.0, help="spopt's solver limit, s")
    ap.add_argument("--instances", nargs="+", default=["capacity", "none"], choices=["none", "capacity"])
    ap.add_argument("--models", nargs="+", default=["mclp", "pmedian"], choices=["mclp", "pmedian"])
    ap.add_argument("--spopt-wall", type=float, default=600.0, help="spopt's wall-clock cap per run, s")
    ap.add_argument("--spopt-pmedian-ks", type=int, nargs="*", default=None,
                    help="Ks at which spopt's national p-median runs (one assignment variable per "
                    "municipality-hospital pair, minutes to build); default: all")
    ap.add_argument("--states", default=None, help="Limit people to these CVE_ENT codes (state instance)")
    args = ap.parse_args()
    tmp = None
    dataset = args.dataset
    if dataset is None:
        tmp = tempfile.TemporaryDirectory(prefix="access_bench_")
        dataset = Path(tmp.name)
        generate(dataset, GeneratorConfig(seed=42, n_records=2000))
    scope = scope_from_dataset(load_dataset(dataset),
                               states=args.states.split(",") if args.states else None)
    existing = {"none": [], "capacity": sorted(hospitals_24_7_from_capacity(dataset))}
    print(f"# instance: {len(scope.municipalities)} municipalities x {len(scope.hospitals)} open hospitals; "
          f"{args.minutes:g} min; seeds {args.seeds}; capacity 24/7 set: {len(existing['capacity'])} hospitals")
    print("| instance | model | K | cand. | ours status | ours objective | ours s (median / worst) | "
          "spopt status | spopt objective | spopt s | rel. diff | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.instances:
        for model in args.models:
            for k in args.ks:
                inp = _instance(scope, existing[name], k, args.minutes, model)
                plans, times = _ours(inp, model, args.seeds, args.time_limit)
                best = min(plans, key=lambda p: p.objective if model == "pmedian" else -p.objective)
                statuses = "/".join(sorted({p.status for p in plans}))
                gap = max((p.gap or 0.0) for p in plans)
                ours = f"{statuses}" + (f" (gap <= {100 * gap:.2f}%)" if statuses != "optimal" else "")
                if model == "pmedian" and args.spopt_pmedian_ks is not None and k not in args.spopt_pmedian_ks:
                    s_obj, s_time, s_status = None, float("nan"), "not run"
                else:
                    s_obj, s_time, s_status = _spopt_capped(inp, model, args.spopt_time_limit, args.spopt_wall)
                diff = (f"{(best.objective - s_obj) / abs(s_obj):+.2e}" if s_obj else "-")
                speed = f"{s_time / statistics.median(times):.1f}x" if s_obj else "-"
                print(f"| {name} | {model} | {k} | {len(inp.candidate_ids)} | {ours} | {best.objective:,.1f} | "
                      f"{statistics.median(times):.2f} / {max(times):.2f} | {s_status} | "
                      f"{'-' if s_obj is None else f'{s_obj:,.1f}'} | {s_time:.1f} | {diff} | {speed} |",
                      flush=True)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
