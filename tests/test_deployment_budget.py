"""Deployment time budget and starts: greedy deadline, lexicographic greedy start, bounds from any
multipliers, the whole call within its limit on an instance large enough for arc pricing."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from optimizer.deployment.model import solve
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import build
from optimizer.deployment.solver.greedy import greedy_start
from optimizer.deployment.solver.lagrangian import lagrangian_bound, role_price_duals
from optimizer.deployment.solver.mip import is_feasible, solve_mip
from optimizer.deployment.solver.pricing import FULL_MIP_ARCS
from optimizer.deployment.synthetic import random_instance
from optimizer.deployment.validate import validate


@pytest.fixture(scope="module")
def priced():
    """An instance with more arcs than FULL_MIP_ARCS, so solve() prices arcs (the path of 282 x 3,244)."""
    inp = random_instance(seed=11, n_hospitals=40, n_candidates=500, in_post_per_hospital=3)
    assert build(inp, DeploymentSettings()).n_arc > FULL_MIP_ARCS
    return inp


def test_greedy_past_its_deadline_is_still_feasible(priced) -> None:
    s = DeploymentSettings()
    form = build(priced, s)
    full = greedy_start(priced, s, form)
    cut = greedy_start(priced, s, form, deadline=time.perf_counter() - 1.0)
    assert is_feasible(form.mip, full) and is_feasible(form.mip, cut)
    assert form.mip.c @ full > 0
    # past the deadline the greedy still takes its first slot (never the empty plan), and stops there
    assert form.mip.c @ cut > 0
    assert cut[form.slot_col0 : form.slot_col0 + len(form.slot_h)].sum() == pytest.approx(1.0)


def test_lexicographic_greedy_start_targets_coverage(priced) -> None:
    s = DeploymentSettings(objective_mode="lexicographic")
    form = build(priced, s)
    cov = dataclasses.replace(form, mip=dataclasses.replace(form.mip, c=form.cov_obj, offset=0.0))
    x = greedy_start(priced, s, cov)
    assert is_feasible(form.mip, x)
    assert form.cov_obj @ x > 0


def test_lexicographic_plan_under_a_short_limit_is_valid(priced) -> None:
    s = DeploymentSettings(objective_mode="lexicographic", time_limit_s=3.0)
    plan = solve(priced, s)
    assert plan.objective is not None, plan.explanation  # the greedy start guarantees a plan
    rep = validate(priced, plan, s)
    assert rep.ok, rep.violations
    assert rep.objective == pytest.approx(plan.objective, abs=1e-6)
    assert plan.stages[0]["stage"] == "coverage" and plan.stages[0]["value"] > 0
    for st in plan.stages:  # each stage's bound (Lagrangian over all arcs) holds for its own objective
        if st["value"] is not None and st["bound"] is not None:
            assert st["bound"] >= st["value"] - 1e-6, st


@pytest.mark.parametrize("limit", [2.0, 4.0])
def test_whole_call_respects_the_time_limit(priced, limit: float) -> None:
    s = DeploymentSettings(time_limit_s=limit)
    plan = solve(priced, s)
    assert plan.objective is not None
    assert validate(priced, plan, s).ok
    # the build and the MIP hand-over are not interruptible: allow 1 s over on a shared 2-core machine
    assert plan.solve_seconds <= limit + 1.0
    if plan.bound is not None:
        assert plan.bound >= plan.objective - 1e-6


def test_lagrangian_bound_holds_for_any_multipliers() -> None:
    """The bound used when pricing stops before an LP optimum (stopped LP duals, or zeros) must hold."""
    inp = random_instance(seed=4, n_hospitals=6, n_candidates=60, in_post_per_hospital=4)
    s = DeploymentSettings(mip_gap=0.0, time_limit_s=20, budget_mxn_month=400_000.0)
    plan = solve(inp, s)
    assert plan.status == "optimal"
    form = build(inp, s)
    rng = np.random.default_rng(1)
    n = form.mip.a.shape[0]
    for duals in (np.zeros(n), rng.normal(0, 1.0, n), rng.normal(0, 20.0, n), np.full(n, -3.0)):
        assert lagrangian_bound(inp, s, form, duals) >= plan.objective - 1e-6
        assert lagrangian_bound(inp, s, form, role_price_duals(form, duals)) >= plan.objective - 1e-6


def test_role_price_duals_price_each_class_by_its_hours() -> None:
    """One price per hour of each role: class multipliers are hours x that price; other rows keep theirs."""
    inp = random_instance(seed=4, n_hospitals=6, n_candidates=60, in_post_per_hospital=4)
    form = build(inp, DeploymentSettings())
    rng = np.random.default_rng(2)
    duals = rng.uniform(0.0, 5.0, form.mip.a.shape[0])
    out = role_price_duals(form, duals)
    rows = form.class_row >= 0
    others = np.setdiff1d(np.arange(len(duals)), form.class_row[rows])
    assert np.array_equal(out[others], duals[others])
    hours = np.array([c.weekly_hours for c in form.classes])[rows]
    per_hour = out[form.class_row[rows]] / hours
    roles = np.array([c.role.value for c in form.classes])[rows]
    for role in np.unique(roles):
        assert np.ptp(per_hour[roles == role]) < 1e-9


def test_minimum_hospitals_24_7_gets_a_greedy_start(priced) -> None:
    """The greedy start fills the 'hospital has a 24/7 slot' columns (they exist only with this rule)."""
    s = DeploymentSettings(min_hospitals_24_7=3, time_limit_s=4.0)
    form = build(priced, s)
    x = greedy_start(priced, s, form)
    assert len(form.v_h) > 0 and is_feasible(form.mip, x)
    plan = solve(priced, s)
    rep = validate(priced, plan, s)
    assert rep.ok, rep.violations
    assert len({t.hospital for t in plan.teams}) >= 3


def test_slot_neighbourhood_keeps_the_start_and_a_valid_bound(priced) -> None:
    """The MIP searches a slot neighbourhood of the greedy plan, so its own bound is not global: the reported
    bound must still exceed every feasible plan (here the full all-arc MIP's best plan), and the plan can
    only improve on the greedy start."""
    s = DeploymentSettings(time_limit_s=5.0)
    plan = solve(priced, s)
    rep = validate(priced, plan, s)
    assert rep.ok, rep.violations
    form = build(priced, s)
    greedy = float(form.mip.c @ greedy_start(priced, s, form) + form.mip.offset)
    assert plan.objective >= greedy - 1e-6
    other = solve_mip(form.mip, "highs", 5.0, 0, 2, 0.0)
    assert other.x is not None
    assert plan.bound is not None and plan.bound >= max(other.objective, plan.objective) - 1e-6
