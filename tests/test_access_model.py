"""MCLP and p-median: brute force on tiny instances, spopt on random and on a state-sized real instance,
the independent validator, and the infeasible explanation."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest

from optimizer.access.mclp import solve_mclp
from optimizer.access.pmedian import solve_pmedian
from optimizer.access.scope import AccessScope, default_24_7, scope_from_dataset
from optimizer.access.settings import AccessSettings
from optimizer.access.validate import validate_where_next
from optimizer.access.where_next import WhereNextInput, WhereNextQuestion
from optimizer.data.dataset import load_dataset
from optimizer.data.generate import GeneratorConfig, generate

spopt_locate = pytest.importorskip("spopt.locate", reason="spopt (dev extra) is needed for the cross-check")
SETTINGS = AccessSettings(time_limit_s=30.0, seed=1)


def _instance(rng: np.random.Generator, n: int, m: int, k: int, existing: bool, budget: float | None = None,
              costs: bool = False, limit: float = 30.0) -> WhereNextInput:
    minutes = rng.uniform(0, 100, (n, m)).round(1)
    pop = rng.integers(1, 1000, n).astype(float)
    weight = pop * rng.choice([1.0, 1.25, 2.0], n)
    ex = rng.uniform(20, 150, n).round(1) if existing else np.full(n, np.inf)
    cost = rng.integers(1, 4, m).astype(float) if costs else np.ones(m)
    return WhereNextInput([f"m{i}" for i in range(n)], [f"c{j}" for j in range(m)], minutes, ex, pop, weight,
                          cost, k, limit, budget)


def _brute(inp: WhereNextInput, model: str) -> float:
    best = -np.inf if model == "mclp" else np.inf
    m = inp.minutes.shape[1]
    for r in range(inp.k + 1):
        for combo in itertools.combinations(range(m), r):
            if inp.budget is not None and inp.site_cost[list(combo)].sum() > inp.budget + 1e-9:
                continue
            d = inp.existing_minutes.copy()
            for j in combo:
                d = np.minimum(d, inp.minutes[:, j])
            if model == "mclp":
                best = max(best, inp.weight[d <= inp.minutes_limit].sum())
            elif np.isfinite(d).all():
                best = min(best, (inp.weight * d).sum())
    return float(best)


@pytest.mark.parametrize("seed", range(6))
def test_brute_force_tiny(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inp = _instance(rng, 14, 8, k=3, existing=seed % 2 == 0, budget=5.0 if seed >= 3 else None,
                    costs=seed >= 3)
    for model, solve in (("mclp", solve_mclp), ("pmedian", solve_pmedian)):
        plan = solve(inp, SETTINGS)
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(_brute(inp, model), rel=1e-9)
        check = validate_where_next(inp, plan)
        assert check.ok, check.violations


def _spopt(inp: WhereNextInput, model: str) -> float:
    """spopt on the same matrix: existing hospitals as predefined facilities, p = existing + K."""
    finite = np.isfinite(inp.existing_minutes)
    cost = inp.minutes
    predefined = None
    p = inp.k
    if finite.any():
        cost = np.column_stack([inp.existing_minutes, inp.minutes])  # one column stands for all existing
        predefined = np.array([1] + [0] * inp.minutes.shape[1])
        p = inp.k + 1
    solver = pulp.PULP_CBC_CMD(msg=False, gapRel=1e-9)  # a different solver from ours: an independent check
    if model == "mclp":
        mod = spopt_locate.MCLP.from_cost_matrix(cost, inp.weight, inp.minutes_limit, p,
                                                 predefined_facilities_arr=predefined)
    else:
        mod = spopt_locate.PMedian.from_cost_matrix(cost, inp.weight, p, predefined_facilities_arr=predefined)
    mod.solve(solver)
    return float(pulp.value(mod.problem.objective))


@pytest.mark.parametrize("seed", range(3))
def test_same_optimum_as_spopt_random(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    inp = _instance(rng, 50, 14, k=4, existing=seed % 2 == 1)
    for model, solve in (("mclp", solve_mclp), ("pmedian", solve_pmedian)):
        plan = solve(inp, SETTINGS)
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(_spopt(inp, model), rel=1e-7)


@pytest.fixture(scope="module")
def scope(tmp_path_factory: pytest.TempPathFactory) -> AccessScope:
    root = tmp_path_factory.mktemp("access_model_ds")
    generate(root, GeneratorConfig(seed=11, n_records=2000))
    return scope_from_dataset(load_dataset(root), states=["20"])


def test_same_optimum_as_spopt_oaxaca(scope: AccessScope) -> None:
    """State-sized real instance: Oaxaca's 570 municipalities, its hospitals as candidates, no 24/7 yet."""
    assert len(scope.municipalities) == 570
    for model, solve in (("mclp", solve_mclp), ("pmedian", solve_pmedian)):
        inp = WhereNextInput.from_scope(scope, [], WhereNextQuestion(k=6, minutes_limit=60.0), SETTINGS)
        assert len(inp.candidate_ids) >= 10
        plan = solve(inp, SETTINGS)
        assert plan.status == "optimal"
        assert validate_where_next(inp, plan).ok
        assert plan.objective == pytest.approx(_spopt(inp, model), rel=1e-7)


def test_where_next_with_existing_coverage(scope: AccessScope) -> None:
    h24 = sorted(default_24_7(scope.hospitals))
    half = h24[: len(h24) // 2]
    inp = WhereNextInput.from_scope(scope, half, WhereNextQuestion(k=3, minutes_limit=60.0), SETTINGS)
    plan = solve_mclp(inp, SETTINGS)
    assert plan.status == "optimal" and validate_where_next(inp, plan).ok
    assert plan.population_covered_after >= plan.population_covered_before
    assert plan.sites["population_added"].sum() == plan.population_covered_after - plan.population_covered_before
    assert plan.objective == pytest.approx(_spopt(inp, "mclp"), rel=1e-7)
    what_if = WhereNextInput.from_scope(
        scope, half, WhereNextQuestion(k=2, minutes_limit=60.0, candidates="municipalities"), SETTINGS)
    assert len(what_if.candidate_ids) == 570
    plan = solve_mclp(what_if, SETTINGS)
    assert plan.status == "optimal" and validate_where_next(what_if, plan).ok


def test_validator_catches_a_bad_plan() -> None:
    inp = _instance(np.random.default_rng(5), 20, 6, k=2, existing=False)
    plan = solve_mclp(inp, SETTINGS)
    plan.chosen = ["c0", "c1", "c2"]
    violations = validate_where_next(inp, plan).violations
    assert any("K = 2" in v for v in violations)
    assert any("objective" in v for v in violations)


def test_pmedian_without_any_hospital_explains() -> None:
    inp = _instance(np.random.default_rng(6), 10, 4, k=0, existing=False)
    plan = solve_pmedian(inp, SETTINGS)
    assert plan.status == "infeasible"
    assert "m0" in plan.explanation and "K = 0" in plan.explanation


@pytest.mark.slow
def test_national_mclp_matches_spopt(tmp_path_factory: pytest.TempPathFactory) -> None:
    """National instance (2,469 municipalities x every open hospital, K = 25, 120 min): same optimum."""
    root = tmp_path_factory.mktemp("access_national_ds")
    generate(root, GeneratorConfig(seed=42, n_records=2000))
    national = scope_from_dataset(load_dataset(root), resolution="municipalities")
    inp = WhereNextInput.from_scope(national, [], WhereNextQuestion(k=25, minutes_limit=120.0), SETTINGS)
    plan = solve_mclp(inp, SETTINGS)
    assert plan.status == "optimal" and validate_where_next(inp, plan).ok
    assert plan.objective == pytest.approx(_spopt(inp, "mclp"), rel=1e-7)


def test_contract_exports_and_run() -> None:
    """``optimizer.access`` exports the model contract; ``run`` solves, validates (independently) and measures."""
    from optimizer import access
    from optimizer.plan import PlanLike, Validation

    for name in ("Input", "Settings", "Plan", "solve", "validate", "kpis", "run"):
        assert hasattr(access, name), name
    inp = _instance(np.random.default_rng(7), 14, 8, k=3, existing=True)
    for model in ("mclp", "pmedian"):
        settings = access.Settings(model=model, time_limit_s=30.0)
        plan = access.solve(inp, settings)
        assert isinstance(plan, access.Plan) and isinstance(plan, PlanLike)
        check = access.validate(inp, plan, settings)
        assert isinstance(check, Validation) and check.ok
        assert check.objective == pytest.approx(_brute(inp, model))
        result = access.run(inp, settings)
        assert result.plan.status == "optimal" and result.validation.ok
        assert result.kpis["population_covered_after"] == result.plan.population_covered_after


@pytest.mark.parametrize("seed", range(4))
def test_dominated_candidates_leave_without_changing_the_optimum(seed: int) -> None:
    """Copies and near-copies of candidates (same or fewer people covered, same or higher cost) are dropped by the
    MCLP's dominance reduction; the optimum still equals brute force, with and without a budget."""
    from optimizer.access.mclp import dominated_columns

    rng = np.random.default_rng(100 + seed)
    base = _instance(rng, 16, 5, k=2, existing=seed % 2 == 0, budget=4.0 if seed >= 2 else None, costs=seed >= 2)
    copies = np.column_stack([base.minutes, base.minutes[:, :3] + rng.choice([0.0, 40.0], (16, 3))])
    cost = np.concatenate([base.site_cost, base.site_cost[:3] + rng.integers(0, 2, 3)])
    inp = WhereNextInput(base.demand_ids, [f"c{j}" for j in range(8)], copies, base.existing_minutes,
                         base.population, base.weight, cost, base.k, base.minutes_limit, base.budget)
    reach = inp.minutes <= inp.minutes_limit
    assert dominated_columns(reach, cost)[5:].all()  # every copy covers a subset of its original at >= cost
    plan = solve_mclp(inp, SETTINGS)
    assert plan.status == "optimal" and validate_where_next(inp, plan).ok
    assert plan.objective == pytest.approx(_brute(inp, "mclp"))


@pytest.mark.parametrize(("seed", "budget"), [(0, None), (1, None), (2, 5.0), (3, 6.0)])
def test_mclp_warm_start_is_feasible_and_swap_optimal(seed: int, budget: float | None) -> None:
    """The MCLP's warm start (greedy, then best swaps) is feasible, its y are the rows it covers, and no
    single swap of a chosen column for another (within the budget) covers more weight: checked by brute force."""
    from optimizer.access.mclp import _mclp_start

    rng = np.random.default_rng(200 + seed)
    n, m, k = 30, 9, 3
    cover = [np.flatnonzero(rng.random(m) < 0.3) for _ in range(n)]
    w = rng.integers(1, 100, n).astype(float)
    cost = rng.integers(1, 4, m).astype(float) if budget is not None else np.ones(m)
    x = _mclp_start(cover, w, cost, k, budget, deadline=float("inf"))
    chosen = set(np.flatnonzero(x[:m] > 0.5).tolist())

    def value(sites: set[int]) -> float:
        return float(sum(wr for wr, cs in zip(w, cover, strict=True) if sites & set(cs.tolist())))

    assert len(chosen) <= k and (budget is None or cost[list(chosen)].sum() <= budget)
    assert float(w @ x[m:]) == pytest.approx(value(chosen))
    for out, into in itertools.product(chosen, set(range(m)) - chosen):
        swapped = chosen - {out} | {into}
        if budget is None or cost[list(swapped)].sum() <= budget:
            assert value(swapped) <= value(chosen) + 1e-9
