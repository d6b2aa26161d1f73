"""Surgical-team deployment: which recruit goes to which program hospital, and how many 24/7 teams follow.

``solve(input, settings)`` builds the exact class x hospital MIP (:mod:`.formulation`), solves it with the
chosen back end under a time limit and a seed (weighted objective, or coverage > hospitals reaching 24/7 >
cost in rank order), disaggregates the class flows to named people and returns a typed
:class:`DeploymentPlan`. Infeasible rules (a minimum coverage that cannot be met) are explained by an
elastic re-solve that names the hospitals, states or budget that cannot be satisfied.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import scipy.sparse as sp

from optimizer.deployment.explain import explain_infeasible, explain_short
from optimizer.deployment.inputs import DeploymentInput, DeploymentInputError, haversine_km
from optimizer.deployment.plan import Assignment, DeploymentPlan, ShortHospital, TeamCount
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.aggregate import disaggregate
from optimizer.deployment.solver.dual_heuristic import DualHeuristic, dual_feasible
from optimizer.deployment.solver.formulation import Formulation, build, person_bonus_mxn
from optimizer.deployment.solver.greedy import greedy_start
from optimizer.deployment.solver.lagrangian import lagrangian_bound, role_price_duals
from optimizer.deployment.solver.mip import Mip, MipResult, is_feasible
from optimizer.deployment.solver.pricing import MipOptions, PricingHooks, solve_priced
from optimizer.i18n import said

#: Seconds of the time limit kept per 282 hospitals for disaggregation, plan assembly and the short-hospital
#: explanations (about 0.3 s on the 282-hospital instance, 2.5 s on the 1,410-hospital one), so the whole
#: call stays within the limit.
POSTPROCESS_RESERVE_S = 0.5
#: Share of the time left after the model build that a greedy plan may use (it stops there, still
#: feasible; a whole greedy pass takes about 0.1 s at 282 hospitals, 2.7 s at 1,410), and the share of the
#: whole limit its slot search always gets (counted after its arc sorting), so a build that overran still
#: yields the most valuable slots: at 1,410 hospitals, 10 s, a build of 8-11 s under load left the greedy
#: 1 s from its call, all spent sorting, and the plan was empty (seeds 0 and 2 of the 5x benchmark).
GREEDY_SHARE = 0.3
GREEDY_MIN_SHARE = 0.1
#: Share of the time left (after the bound's reserve) for the heuristics run on the pricing LP (dual-price
#: heuristic, LP-guided greedy: about 0.4 s of CPU each at 282 hospitals, twice that in wall time on a shared
#: machine): they find the plans the MIP then improves, and at 1x in 10 s the MIP rarely improves on them.
HEURISTIC_SHARE = 0.9
#: Seconds per 282 hospitals kept for the Lagrangian bounds after the heuristics (two of them, the duals' and
#: their role prices': 0.3 s of CPU each at 282 hospitals, 1.1-1.6 s at 569, 1.2 s of wall time at 564 on
#: the shared machine).
BOUND_RESERVE_S = 1.0
#: Dual-price heuristic runs at most per 282 hospitals (the MIP gets the rest of a long time limit).
MAX_DUAL_RUNS = 12
#: Largest size-weighted raise of the class prices (share of the LP value) at which the heuristic also runs
#: on dual-feasible duals (see :func:`_price_variants`).
DUAL_FEASIBLE_MAX_RAISE = 0.01


def _reserve_s(inp: DeploymentInput) -> float:
    return POSTPROCESS_RESERVE_S * max(1.0, len(inp.hospitals) / 282)


def _greedy(inp: DeploymentInput, s: DeploymentSettings, form: Formulation, deadline: float) -> np.ndarray:
    """The greedy start plan within its share of the time left before ``deadline`` (see :data:`GREEDY_SHARE`)."""
    now = time.perf_counter()
    return greedy_start(inp, s, form, deadline=now + max(0.0, GREEDY_SHARE * (deadline - now)),
                        min_loop_s=GREEDY_MIN_SHARE * s.time_limit_s)


def _heuristic_deadline(inp: DeploymentInput, deadline: float) -> float:
    """When the heuristics on the pricing LP stop: a share of the time left once the Lagrangian bound that
    follows them has its time (so the whole call keeps its limit)."""
    now = time.perf_counter()
    return now + HEURISTIC_SHARE * max(0.0, deadline - now - BOUND_RESERVE_S * max(1.0, len(inp.hospitals) / 282))

def _bound_in_time(
    inp: DeploymentInput, s: DeploymentSettings, form: Formulation, duals: np.ndarray, deadline: float
) -> float:
    """The Lagrangian bound of ``duals`` and of their role prices (:func:`role_price_duals`), the lower one,
    or inf (no bound claimed) when ``deadline`` has passed: at 1,410 hospitals a build that overran the 10 s
    limit was followed by 3.3 s for the zero-multiplier bound, 65 % above the plan, so the call ended at
    13-16 s for a bound a planner cannot use. The role-price bound is skipped when it would end past
    ``deadline`` (it takes as long as the first: 1.1-3.8 s at 569 hospitals, by machine load)."""
    t0 = time.perf_counter()
    if t0 >= deadline:
        return float("inf")
    tries = [duals, role_price_duals(form, duals)] if np.any(duals) else [duals]
    if len(tries) == 2 and _far_from_converged(form, duals):
        tries.reverse()
    bound = lagrangian_bound(inp, s, form, tries[0])
    now = time.perf_counter()
    if len(tries) == 1 or now + (now - t0) > deadline:
        return bound
    return min(bound, lagrangian_bound(inp, s, form, tries[1]))


def _far_from_converged(form: Formulation, duals: np.ndarray) -> bool:
    """True when making ``duals`` dual feasible would raise the class prices (size-weighted) by more than
    their total: an early pricing round's, whose role prices bound better (569 x 2,596, rounds 1-4: 7.8,
    4.3, 0.14, 0.003 times; role prices bound better in rounds 1 and 2 only). Then they go first, in case
    the time left allows one bound only."""
    rows = form.class_row >= 0
    sizes = np.array([c.size for c in form.classes], dtype=float)[rows]
    lam = duals[form.class_row[rows]]
    raised = float((dual_feasible(form, duals)[form.class_row[rows]] - lam) @ sizes)
    return raised > float(np.maximum(lam, 0.0) @ sizes)


__all__ = ["Assignment", "DeploymentPlan", "ShortHospital", "TeamCount", "solve"]


def _options(s: DeploymentSettings, seconds: float) -> MipOptions:
    """The settings' back end, seed, threads and MIP gap, with ``seconds`` for this solve."""
    return MipOptions(s.solver, seconds, s.seed, s.threads, s.mip_gap)


def _with_objective(mip: Mip, c: np.ndarray, offset: float) -> Mip:
    return Mip(c, mip.lb, mip.ub, mip.integer, mip.a, mip.row_lo, mip.row_hi, offset)


def _with_floor(mip: Mip, coefs: np.ndarray, floor: float) -> Mip:
    row = sp.csr_matrix(coefs.reshape(1, -1))
    return Mip(mip.c, mip.lb, mip.ub, mip.integer, sp.vstack([mip.a, row]).tocsr(),
               np.r_[mip.row_lo, floor], np.r_[mip.row_hi, np.inf], mip.offset)


def _solve_lexicographic(
    inp: DeploymentInput, form: Formulation, s: DeploymentSettings, t0: float
) -> tuple[MipResult, list[dict]]:
    """Coverage first, then hospitals reaching 24/7, then cost; each stage keeps the earlier values.

    The coverage stage starts from a greedy plan for coverage alone; every later stage starts from the
    previous stage's plan, which meets the new floor by construction. Each stage gets an equal share of the
    time left.
    """
    mip = form.mip
    stages: list[dict] = []
    plan: list[tuple[str, np.ndarray, float]] = [
        ("coverage", form.cov_obj, 0.0),
        ("hospitals_24_7", form.eq_obj, 0.0),
        ("cost", form.cost_obj, form.cost_offset),
    ]
    deadline = t0 + s.time_limit_s - _reserve_s(inp)
    cov_form = dataclasses.replace(form, mip=_with_objective(mip, form.cov_obj, 0.0))
    start = _greedy(inp, s, cov_form, deadline)
    if not is_feasible(mip, start):
        start = None  # the greedy plan ignores equity rules; a start must satisfy all of them
    res: MipResult | None = None
    for i, (name, c, off) in enumerate(plan):
        left = max(0.5, (deadline - time.perf_counter()) / (len(plan) - i))
        stage_mip = _with_objective(mip, c, off)
        res, _info = solve_priced(stage_mip, form.n_arc, form.arc_k, _options(s, left), PricingHooks(
            start, bound_fn=lambda d, c=c, off=off: lagrangian_bound(inp, s, form, d, c, off)))
        if res.x is None:
            stages.append({"stage": name, "status": res.status, "value": None, "bound": None})
            return res, stages
        value = float(c @ res.x + off)
        stages.append({"stage": name, "status": res.status, "value": value, "bound": res.bound})
        if i < len(plan) - 1:
            floor = value - s.lex_tolerance * abs(value) - 1e-6 * max(1.0, abs(value))
            if name == "hospitals_24_7":
                floor = float(np.floor(value + 1e-6)) - 1e-6
            mip = _with_floor(mip, c, floor - off)
            start = res.x if is_feasible(mip, res.x) else None
    assert res is not None
    return res, stages


def _guided_start(
    inp: DeploymentInput, s: DeploymentSettings, form: Formulation, lp_x: np.ndarray, duals: list[np.ndarray],
    deadline: float,
) -> np.ndarray | None:
    """The best feasible plan of the LP-guided greedy and up to :func:`_dual_runs` runs of the dual-price
    heuristic, as many as fit before ``deadline`` (None if none is feasible): on each of ``duals`` (the last
    pricing round's, then the round's before), made dual feasible (:func:`_price_variants`) and as they are,
    with hospitals in index order, then the last round's again in orders drawn from the seed.

    The heuristic's plan moves by tens of weighted procedures/week with small changes of the duals or the
    order: on 282 x 2,596 (invented hospitals), pricing rounds 3 / 4 / 5 give 9,504 / 9,437 / 9,437 with
    dual-feasible duals and 9,274 / 9,443 / 9,482 as they are (guided greedy 9,326 / 9,325 / 9,339), and six
    orders on round 4's dual-feasible duals give 9,375-9,472, so the best of several is kept. Each run takes
    about 0.45 s of CPU at 282 hospitals, 0.8 s at 569.
    """
    plans = [greedy_start(inp, s, form, lp_x, deadline)]  # first: the cheapest (a whole plan when time is short)
    heuristic = DualHeuristic(inp, s, form)
    scale = max(1.0, abs(float(form.mip.c @ lp_x)))
    last = _price_variants(form, duals[0], scale)
    variants = last + [v for d in duals[1:] for v in _price_variants(form, d, scale)]
    hospitals = np.array(sorted(heuristic.hospitals), dtype=np.int64)
    rng = np.random.default_rng(s.seed)
    for i in range(_dual_runs(inp)):
        if time.perf_counter() >= deadline:
            break
        if i < len(variants):  # every variant in index order
            plans.append(heuristic.run(variants[i], deadline))
        else:  # then the last round's in seeded orders
            plans.append(heuristic.run(last[i % len(last)], deadline, rng.permutation(hospitals)))
    ok = [x for x in plans if is_feasible(form.mip, x)]
    return max(ok, key=lambda x: float(form.mip.c @ x)) if ok else None


def _dual_runs(inp: DeploymentInput) -> int:
    """Dual-price heuristic runs at most: :data:`MAX_DUAL_RUNS` per 282 hospitals. On 569 x 2,596 the MIP
    after the heuristics improved their plan by 1 (of 16,064) in 29 s, while eight seeded orders on the
    converged duals gave 15,978-16,076, so a larger instance gives the heuristic more draws."""
    return int(MAX_DUAL_RUNS * max(1.0, len(inp.hospitals) / 282))


def _price_variants(form: Formulation, duals: np.ndarray, scale: float) -> list[np.ndarray]:
    """The person prices the heuristic runs on: ``duals`` made dual feasible (first) and as they are, or as
    they are only when making them dual feasible raises the class prices by more than
    :data:`DUAL_FEASIBLE_MAX_RAISE` of ``scale`` (the LP value) in all: duals of an early pricing round then
    price most people far above their worth. Measured (size-weighted raise, best of 5-8 seeded orders, dual
    feasible / as they are): 569 x 2,596 round 3 raise 3 %, 15,851 / 16,033; round 4 0.08 %, 16,076 / 16,034;
    282 x 3,244 (real network) round 3 65 %, 4,354 / 4,809; round 4 5 %, 4,838 / 4,890; round 5 0.2 %,
    4,934 / 4,896."""
    feasible = dual_feasible(form, duals)
    rows = form.class_row[form.class_row >= 0]
    sizes = np.array([c.size for c in form.classes], dtype=float)[form.class_row >= 0]
    raise_ = float((feasible - duals)[rows] @ sizes)
    return [feasible, duals] if raise_ <= DUAL_FEASIBLE_MAX_RAISE * scale else [duals]


def solve(inp: DeploymentInput, settings: DeploymentSettings | None = None) -> DeploymentPlan:
    """Deploy the recruit pool to the program hospitals; see the module docstring."""
    s = settings or DeploymentSettings()
    if s.access_weight > 0 and inp.access is None:
        raise DeploymentInputError(
            f"access_weight = {s.access_weight:g} values reach to 24/7 surgery, but the input has no access data: "
            "attach an access scope and the 24/7 base set with optimizer.deployment.with_access(...) first")
    t0 = time.perf_counter()
    form = build(inp, s)
    stages: list[dict] = []
    if s.objective_mode == "lexicographic":
        res, stages = _solve_lexicographic(inp, form, s, t0)
    else:
        deadline = t0 + s.time_limit_s - _reserve_s(inp)
        start = _greedy(inp, s, form, deadline)
        if not is_feasible(form.mip, start):
            start = None  # the greedy plan ignores equity rules; a start must satisfy all of them
        left = max(0.5, deadline - time.perf_counter())
        res, _info = solve_priced(form.mip, form.n_arc, form.arc_k, _options(s, left), PricingHooks(
            start, bound_fn=lambda d: _bound_in_time(inp, s, form, d, deadline),
            guided_start=lambda lp_x, duals: _guided_start(inp, s, form, lp_x, duals,
                                                           _heuristic_deadline(inp, deadline)),
            slot_cols=form.slot_col0 + np.arange(len(form.slot_h))))
    base = dict(solver=s.solver, seed=s.seed, n_classes=len(form.classes), n_candidates=len(inp.candidates),
                n_arcs=len(form.arc_k), stages=stages)
    if res.x is None:
        if res.status == "infeasible":
            explanation = explain_infeasible(inp, s)
        else:
            explanation = said("models.no_plan_in_time", seconds=f"{s.time_limit_s:g}", solver=res.solver,
                               detail=res.message)
        bound = res.bound if res.bound is not None and np.isfinite(res.bound) else None
        return DeploymentPlan(res.status, None, bound, None, time.perf_counter() - t0,
                              explanation=explanation, **base)
    x = form.cheapest_steps(res.x)
    who = disaggregate(inp, form.classes, form.flows(x))
    slots = form.slots(x)
    plan = DeploymentPlan(
        status=res.status,
        objective=float((form.cov_obj + form.cost_obj) @ x + form.cost_offset),
        bound=res.bound if s.objective_mode == "weighted" and res.bound is not None and np.isfinite(res.bound)
        else None,
        gap=res.gap,
        solve_seconds=0.0,
        assignments=_assignments(inp, s, who),
        teams=[TeamCount(inp.hospitals[h].clues, sp_, n) for (h, sp_), n in sorted(slots.items(),
               key=lambda kv: (kv[0][0], kv[0][1].value))],
        **base,
    )
    plan.short = explain_short(inp, s, plan)
    plan.solve_seconds = time.perf_counter() - t0
    return plan


def _assignments(inp: DeploymentInput, s: DeploymentSettings, who: dict[str, str]) -> list[Assignment]:
    idx = inp.hospital_index()
    bonus = person_bonus_mxn(inp, s)
    by_id = {c.specialist_id: c for c in inp.candidates}
    out = []
    for sid in sorted(who):
        c, h = by_id[sid], idx[who[sid]]
        km = float(haversine_km(np.array([c.home_lat]), np.array([c.home_lon]), [inp.hospitals[h]])[0, 0])
        cur = inp.current.get(sid)
        out.append(Assignment(sid, who[sid], c.specialty, c.incentive_mxn + float(bonus[h]), km,
                              cur is not None and cur != who[sid]))
    return out
