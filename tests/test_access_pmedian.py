"""The p-median's Lagrangian bound-and-fix phase and its local search, checked by brute force: the bound never
exceeds the optimum, fixing never removes an optimal plan, the full solve through the Lagrangian path finds
the brute-force optimum (and spopt's, with CBC, on a larger random instance), vertex substitution ends in a
swap-optimal plan; the national instance without 24/7 hospitals is proven optimal within 60 s at municipal points
and ends within 60 s with its gap reported at locality level (slow)."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pulp
import pytest

from optimizer.access import pmedian as model
from optimizer.access.pmedian import pmedian_objective, solve_pmedian
from optimizer.access.pmedian_lagrangian import lagrangian_fixing
from optimizer.access.scope import scope_from_dataset
from optimizer.access.settings import AccessSettings
from optimizer.access.validate import validate_where_next
from optimizer.access.where_next import WhereNextInput, WhereNextQuestion
from optimizer.data.dataset import load_dataset
from optimizer.data.generate import GeneratorConfig, generate

SETTINGS = AccessSettings(time_limit_s=30.0, seed=3)


def _instance(seed: int, n: int, m: int, k: int, existing: bool, budget: float | None = None) -> WhereNextInput:
    rng = np.random.default_rng(seed)
    pts_d, pts_c = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    minutes = np.hypot(*(pts_d[:, None, :] - pts_c[None, :, :]).transpose(2, 0, 1)).round(1)
    pop = rng.integers(1, 5000, n).astype(float)
    ex = rng.uniform(30, 90, n).round(1) if existing else np.full(n, np.inf)
    return WhereNextInput([f"m{i}" for i in range(n)], [f"c{j}" for j in range(m)], minutes, ex, pop, pop.copy(),
                          np.ones(m), k, 60.0, budget)


def _all_plans(inp: WhereNextInput, k: int) -> list[tuple[float, frozenset[int]]]:
    """Value of every plan with exactly ``k`` sites (more sites never cost more minutes)."""
    m = inp.minutes.shape[1]
    return [(pmedian_objective(inp, np.asarray(c, dtype=np.int64)), frozenset(c))
            for c in itertools.combinations(range(m), k)]


@pytest.mark.parametrize(("seed", "existing"), [(1, False), (2, True), (3, False), (4, True)])
def test_bound_and_fixing_keep_every_optimal_plan(seed: int, existing: bool) -> None:
    inp = _instance(seed, 40, 11, k=3, existing=existing)
    plans = _all_plans(inp, 3)
    opt = min(v for v, _ in plans)
    optimal_sets = [s for v, s in plans if v <= opt * (1 + 1e-12)]
    # Start from a deliberately poor plan so that the local search and the fixing both have work to do.
    worst = max(plans, key=lambda p: p[0])
    start = np.asarray(sorted(worst[1]), dtype=np.int64)
    lag = lagrangian_fixing(inp.minutes, inp.weight, inp.existing_minutes, 3, start, worst[0], 10.0,
                            model._polisher(inp), stop_gap=0.0)
    assert lag.bound <= opt * (1 + 1e-9)
    assert lag.upper == pytest.approx(pmedian_objective(inp, lag.incumbent), rel=1e-12)
    assert lag.upper >= opt * (1 - 1e-12)
    kept = set(lag.free.tolist()) | set(lag.fixed_in.tolist())
    for s in optimal_sets:
        assert set(lag.fixed_in.tolist()) <= s <= kept
    assert lag.iterations >= 1 and lag.seconds < 10.5


@pytest.mark.parametrize("share", [0.4, 1e-9])
@pytest.mark.parametrize(("seed", "existing", "budget"), [(5, False, None), (6, True, None), (7, False, 2.5)])
def test_lagrangian_path_finds_brute_force_optimum(monkeypatch: pytest.MonkeyPatch, seed: int, existing: bool,
                                                  budget: float | None, share: float) -> None:
    monkeypatch.setattr(model, "FULL_LEVELS_DIRECT", 0)  # take the Lagrangian + lazy-level path on small cases
    # share ~0 stops the Lagrangian phase after one step, so the lazily grown radius MIP must finish the proof
    monkeypatch.setattr(model, "LAGRANGIAN_SHARE", share)
    inp = _instance(seed, 45, 10, k=4, existing=existing, budget=budget)
    k = 2 if budget is not None else 4  # unit costs: a budget of 2.5 allows two sites
    opt = min(v for v, _ in _all_plans(inp, k))
    plan = solve_pmedian(inp, SETTINGS)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(opt, rel=1e-9)
    assert plan.bound is not None and plan.bound <= opt * (1 + 1e-9)
    assert len(plan.chosen) <= k
    if share < 1e-6:
        assert plan.iterations >= 1  # the MIP ran
    check = validate_where_next(inp, plan)
    assert check.ok, check.violations


def test_lagrangian_path_matches_spopt(monkeypatch: pytest.MonkeyPatch) -> None:
    spopt_locate = pytest.importorskip("spopt.locate", reason="spopt (dev extra) is needed for the cross-check")
    monkeypatch.setattr(model, "FULL_LEVELS_DIRECT", 0)
    inp = _instance(8, 150, 30, k=6, existing=False)
    plan = solve_pmedian(inp, SETTINGS)
    mod = spopt_locate.PMedian.from_cost_matrix(inp.minutes, inp.weight, inp.k)
    mod.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=1e-9))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(float(pulp.value(mod.problem.objective)), rel=1e-7)


@pytest.mark.parametrize("existing", [False, True])
def test_vertex_substitution_ends_swap_optimal(existing: bool) -> None:
    inp = _instance(9, 60, 12, k=4, existing=existing)
    start = np.arange(4, dtype=np.int64)
    plan = model._vertex_substitution(inp, start)
    value = pmedian_objective(inp, plan)
    assert value <= pmedian_objective(inp, start)
    for pos, j in itertools.product(range(4), range(12)):
        if j in plan:
            continue
        swapped = plan.copy()
        swapped[pos] = j
        assert pmedian_objective(inp, swapped) >= value * (1 - 1e-12)


@pytest.mark.slow
def test_national_pmedian_without_24_7_is_proven_optimal(tmp_path_factory: pytest.TempPathFactory) -> None:
    """2,469 municipal points x every open hospital of the seed-42 dataset, no hospital 24/7 yet, K = 10: the
    earlier model stopped at 60 s with a 12.6 % gap on the 328 synthetic hospitals; with the 608 real ones the
    gap to the bound closes to about 4e-8 inside the limit on a busy host (optimal at 1e-9 on a quieter one)."""
    root = tmp_path_factory.mktemp("access_pmedian_national")
    generate(root, GeneratorConfig(seed=42, n_records=2000))
    national = scope_from_dataset(load_dataset(root), resolution="municipalities")
    inp = WhereNextInput.from_scope(national, [], WhereNextQuestion(k=10, minutes_limit=120.0, weighting="population"))
    t0 = time.perf_counter()
    plan = solve_pmedian(inp, AccessSettings(time_limit_s=60.0, seed=0))
    assert time.perf_counter() - t0 < 90.0  # 60 s limit plus the build on a shared host
    assert plan.status in {"optimal", "feasible"} and plan.gap is not None and plan.gap <= 1e-6
    assert validate_where_next(inp, plan).ok


@pytest.mark.slow
def test_locality_pmedian_with_existing_coverage_is_proven_optimal(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The planners' question at locality level: 13,060 population points, the hospitals 24/7 from staff in post as
    existing coverage, the other hospitals with a room as candidates, K = 10: optimal and validated within 60 s
    (12-16 s measured on a busy host, benchmarks/RESULTS.md)."""
    from optimizer.access.hospital_set import hospitals_24_7_from_capacity

    root = tmp_path_factory.mktemp("access_pmedian_localities")
    generate(root, GeneratorConfig(seed=42, n_records=2000))
    scope = scope_from_dataset(load_dataset(root))
    assert len(scope.points) > 10_000
    inp = WhereNextInput.from_scope(scope, sorted(hospitals_24_7_from_capacity(root)),
                                    WhereNextQuestion(k=10, minutes_limit=120.0, weighting="population"))
    t0 = time.perf_counter()
    plan = solve_pmedian(inp, AccessSettings(time_limit_s=60.0, seed=0))
    assert time.perf_counter() - t0 < 90.0  # 60 s limit plus the build on a shared host
    assert plan.status == "optimal" and validate_where_next(inp, plan).ok


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mclp", "pmedian"])
def test_locality_where_next_without_24_7_ends_within_the_limit(tmp_path_factory: pytest.TempPathFactory,
                                                                 model: str) -> None:
    """The hardest national instance: 13,060 population points, no hospital 24/7 yet, every hospital with a room a
    candidate, K = 50. The whole call (model build, solve, site table) ends within its 60 s limit (it overran to
    63-74 s before the solvers kept a reserve and the radius MIP was skipped when too large), the plan passes the
    independent validator, and its gap to a valid bound is reported (measured at K = 50: MCLP 0.45 %, p-median
    0.08-0.32 %, benchmarks/RESULTS.md)."""
    from optimizer.access.mclp import solve_mclp

    root = tmp_path_factory.mktemp(f"access_{model}_localities_none")
    generate(root, GeneratorConfig(seed=42, n_records=2000))
    scope = scope_from_dataset(load_dataset(root))
    weighting = "marginalisation" if model == "mclp" else "population"
    inp = WhereNextInput.from_scope(scope, [], WhereNextQuestion(k=50, minutes_limit=120.0, weighting=weighting))
    t0 = time.perf_counter()
    plan = (solve_mclp if model == "mclp" else solve_pmedian)(inp, AccessSettings(time_limit_s=60.0, seed=0))
    assert time.perf_counter() - t0 < 60.0
    assert plan.status in {"optimal", "feasible"} and plan.gap is not None and 0.0 <= plan.gap < 0.05
    assert validate_where_next(inp, plan).ok
