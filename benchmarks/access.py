"""Where-next models against spopt on the national instance, and what the one-point-per-municipality
approximation misstated.

Demand points (``--resolution``): ``localities`` (default) = the 13,060 population points (every INEGI locality
of 1,000+ at its coordinates plus each municipality's remainder at its municipal point), or ``municipalities`` =
the 2,469 municipal points. For K in (10, 25, 50) it solves the MCLP (people x CONAPO weight within --minutes)
and the p-median (population-weighted minutes) with our HiGHS models and with spopt (PySAL) on the *same* cost
matrix, and prints both wall times and objectives side by side. Ours runs once per seed with ``--time-limit``
(default 60 s, the whole call: model build, solve and plan; best and worst objective, median and worst gap and
wall time reported, every plan checked by the independent validator); spopt is given the same solver (HiGHS
through PuLP), a solver time limit and a wall-clock cap on its child process (model build included). Two
national instances:

- ``none``: no hospital is 24/7 yet; every open hospital is a candidate (the pure textbook problems);
- ``capacity``: the hospitals the capacity model finds 24/7 are existing coverage (spopt: predefined
  facilities), the other hospitals with an operating room are candidates (the planners' question).

With ``--compare-resolutions`` it instead prints people within 60 and 120 minutes of 24/7 surgery by CONAPO degree
and by state, counted at municipal points and at localities, for one 24/7 set (``--hospitals-24-7 FILE``, e.g. a
run's ``plans/access/hospitals_24_7.csv``; default: the capacity model's set from staff in post).

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
import pandas as pd
import pulp
from spopt.locate import MCLP, PMedian

from optimizer.access.hospital_set import hospitals_24_7_from_capacity, read_hospital_set
from optimizer.access.kpis import DEGREE_ORDER, AccessReport, access_report
from optimizer.access.mclp import solve_mclp
from optimizer.access.pmedian import solve_pmedian
from optimizer.access.scope import AccessScope, scope_from_dataset
from optimizer.access.settings import AccessSettings
from optimizer.access.validate import validate_where_next
from optimizer.access.where_next import WhereNextInput, WhereNextPlan, WhereNextQuestion
from optimizer.data.dataset import Dataset, load_dataset
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
    return WhereNextInput.from_scope(scope, existing, WhereNextQuestion(k, minutes, weighting=weighting))


def _by(report: AccessReport, table: str, key: str) -> pd.DataFrame:
    df = getattr(report, table).set_index(key)
    return df[["population", "within_60", "within_120"]]


def _misstatement_table(title: str, muni: pd.DataFrame, loc: pd.DataFrame, label: pd.Series | None = None) -> None:
    """Markdown table: people within 60 / 120 min at municipal points vs localities, and the difference."""
    print(f"\n{title}\n")
    print("| group | population | within 60: municipal points | within 60: localities | difference | "
          "within 120: municipal points | within 120: localities | difference |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [*muni.index, "all"]
    muni = pd.concat([muni, muni.sum().to_frame("all").T])
    loc = pd.concat([loc, loc.sum().to_frame("all").T])
    for g in rows:
        name = f"{g} {label[g]}" if label is not None and g in label.index else str(g)
        pop = int(loc.loc[g, "population"])
        cells = []
        for t in (60, 120):
            a, b = int(muni.loc[g, f"within_{t}"]), int(loc.loc[g, f"within_{t}"])
            cells += [f"{a:,} ({100 * a / pop:.1f}%)", f"{b:,} ({100 * b / pop:.1f}%)",
                      f"{b - a:+,} ({100 * (b - a) / pop:+.1f} pp)"]
        print(f"| {name} | {pop:,} | " + " | ".join(cells) + " |")


def _misclassified(scopes: dict[str, AccessScope], hospitals_24_7: list[str]) -> None:
    """People the municipal point puts on the wrong side of each threshold, by degree: counted within but living
    beyond it, and counted beyond but living within (the net difference hides both)."""
    muni_minutes = pd.Series(scopes["municipalities"].minutes_to_nearest(hospitals_24_7)[0],
                             index=scopes["municipalities"].points["cvegeo"])
    pts = scopes["localities"].points
    lives = scopes["localities"].minutes_to_nearest(hospitals_24_7)[0]
    counted = pts["cvegeo"].map(muni_minutes).to_numpy()
    print("\nPeople on the wrong side of the threshold at the municipal point (gross, by CONAPO degree)\n")
    print("| degree | population | 60 min: counted within, live beyond | 60 min: counted beyond, live within | "
          "120 min: counted within, live beyond | 120 min: counted beyond, live within |")
    print("|---|---|---|---|---|---|")
    for degree in [*DEGREE_ORDER, "all"]:
        here = (pts["degree"] == degree).to_numpy() if degree != "all" else np.ones(len(pts), dtype=bool)
        pop = pts["population"].to_numpy()[here]
        total = int(pop.sum())
        cells = []
        for t in (60.0, 120.0):
            c, li = counted[here] <= t, lives[here] <= t
            for n in (int(pop[c & ~li].sum()), int(pop[~c & li].sum())):
                cells.append(f"{n:,} ({100 * n / total:.1f}%)")
        print(f"| {degree} | {total:,} | " + " | ".join(cells) + " |")


def compare_resolutions(ds: Dataset, hospitals_24_7: list[str]) -> None:
    """People within 60 / 120 min by CONAPO degree and by state: municipal points vs localities."""
    reports, scopes = {}, {}
    for resolution in ("municipalities", "localities"):
        t0 = time.perf_counter()
        scopes[resolution] = scope = scope_from_dataset(ds, resolution=resolution)
        t1 = time.perf_counter()
        reports[resolution] = access_report(scope, hospitals_24_7, (60.0, 120.0))
        print(f"# {resolution}: {len(scope.points):,} points x {len(scope.hospitals)} hospitals; scope (matrix) "
              f"{t1 - t0:.2f} s, KPIs {time.perf_counter() - t1:.2f} s; total {scope.total_population:,}")
    m, loc = reports["municipalities"], reports["localities"]
    print(f"# 24/7 hospitals: {m.hospitals_24_7}")
    _misstatement_table("By CONAPO degree (persons; share of the group's population)", _by(m, "by_degree", "degree"),
                        _by(loc, "by_degree", "degree"))
    _misclassified(scopes, hospitals_24_7)
    names = loc.by_state.set_index("cve_ent")["state"]
    _misstatement_table("By state", _by(m, "by_state", "cve_ent"), _by(loc, "by_state", "cve_ent"), names)
    for key in ("share_ratio_60", "share_ratio_120", "gini_minutes"):
        print(f"# equity {key}: municipal points {m.equity[key]:.4f}, localities {loc.equity[key]:.4f}")


def _print_row(args: argparse.Namespace, name: str, model: str, k: int, inp: WhereNextInput,
               plans: list[WhereNextPlan], times: list[float]) -> None:
    """One markdown row: ours over the seeds (statuses, best and worst objective, median and worst gap and
    wall time) and spopt once on the same matrix, within its time budget."""
    sign = -1.0 if model == "mclp" else 1.0  # best = max for the MCLP, min for the p-median
    objs = sorted((p.objective for p in plans), key=lambda v: sign * v)
    gaps = [p.gap if p.gap is not None else float("inf") for p in plans]
    statuses = "/".join(p.status for p in plans)
    spopt_ks = args.spopt_pmedian_ks if model == "pmedian" else args.spopt_mclp_ks
    given = f"{args.spopt_time_limit:g} s solver / {args.spopt_wall:g} s wall"
    if spopt_ks is not None and k not in spopt_ks:
        s_obj, s_time, s_status = None, float("nan"), "not run"
    else:
        s_obj, s_time, s_status = _spopt_capped(inp, model, args.spopt_time_limit, args.spopt_wall)
    diff = f"{(objs[0] - s_obj) / abs(s_obj):+.2e}" if s_obj else "-"
    print(f"| {name} | {model} | {k} | {len(inp.candidate_ids)} | {statuses} | {objs[0]:,.1f} / {objs[-1]:,.1f} | "
          f"{100 * statistics.median(gaps):.3f}% / {100 * max(gaps):.3f}% | "
          f"{statistics.median(times):.2f} / {max(times):.2f} | {s_status} ({given}) | "
          f"{'-' if s_obj is None else f'{s_obj:,.1f}'} | {s_time:.1f} | {diff} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=None)
    ap.add_argument("--ks", type=int, nargs="+", default=[10, 25, 50])
    ap.add_argument("--minutes", type=float, default=120.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--time-limit", type=float, default=60.0, help="ours, per solve (build included), s")
    ap.add_argument("--spopt-time-limit", type=float, default=100.0, help="spopt's solver limit, s")
    ap.add_argument("--instances", nargs="+", default=["capacity", "none"], choices=["none", "capacity"])
    ap.add_argument("--models", nargs="+", default=["mclp", "pmedian"], choices=["mclp", "pmedian"])
    ap.add_argument("--spopt-wall", type=float, default=120.0, help="spopt's wall-clock cap per run, s")
    ap.add_argument("--spopt-pmedian-ks", type=int, nargs="*", default=None,
                    help="Ks at which spopt's national p-median runs (one assignment variable per "
                    "municipality-hospital pair, minutes to build); default: all")
    ap.add_argument("--spopt-mclp-ks", type=int, nargs="*", default=None,
                    help="Ks at which spopt's MCLP runs (at locality level its model build alone takes minutes); "
                    "default: all")
    ap.add_argument("--states", default=None, help="Limit people to these CVE_ENT codes (state instance)")
    ap.add_argument("--resolution", default="localities", choices=["localities", "municipalities"],
                    help="demand points of the where-next instances")
    ap.add_argument("--compare-resolutions", action="store_true",
                    help="print access by degree and state at municipal points vs localities, then stop")
    ap.add_argument("--hospitals-24-7", type=Path, default=None,
                    help="CSV with a clues column: the 24/7 set for --compare-resolutions (default: capacity's)")
    args = ap.parse_args()
    tmp = None
    dataset = args.dataset
    if dataset is None:
        tmp = tempfile.TemporaryDirectory(prefix="access_bench_")
        dataset = Path(tmp.name)
        generate(dataset, GeneratorConfig(seed=42, n_records=2000))
    ds = load_dataset(dataset)
    if args.compare_resolutions:
        known = set(ds.hospitals["clues"])
        h24 = (read_hospital_set(args.hospitals_24_7, known) if args.hospitals_24_7
               else hospitals_24_7_from_capacity(dataset))
        compare_resolutions(ds, sorted(h24))
        return
    t0 = time.perf_counter()
    scope = scope_from_dataset(ds, states=args.states.split(",") if args.states else None,
                               resolution=args.resolution)
    print(f"# scope: {len(scope.points):,} demand points ({args.resolution}) x {len(scope.hospitals)} hospitals, "
          f"travel matrix and scope built in {time.perf_counter() - t0:.2f} s")
    existing = {"none": [], "capacity": sorted(hospitals_24_7_from_capacity(dataset))}
    print(f"# instance: {len(scope.points)} demand points x {len(scope.hospitals)} open hospitals; "
          f"{args.minutes:g} min; seeds {args.seeds}; capacity 24/7 set: {len(existing['capacity'])} hospitals")
    print("| instance | model | K | cand. | ours status (seeds) | ours objective (best / worst) | "
          "ours gap (median / worst) | ours s (median / worst) | spopt status (given) | spopt objective | "
          "spopt s | rel. diff (best) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.instances:
        for model in args.models:
            for k in args.ks:
                inp = _instance(scope, existing[name], k, args.minutes, model)
                plans, times = _ours(inp, model, args.seeds, args.time_limit)
                _print_row(args, name, model, k, inp, plans, times)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
