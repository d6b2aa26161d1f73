"""Primal heuristics of the deployment model: the dual-price heuristic (exact per hospital, feasible always)
and the greedy's least-wasted-hours staffing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.deployment.inputs import Candidate, Demand, DeploymentInput, Hospital, StaffInPost
from optimizer.deployment.model import solve
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.dual_heuristic import DualHeuristic, dual_feasible
from optimizer.deployment.solver.formulation import build
from optimizer.deployment.solver.greedy import _least_hours
from optimizer.deployment.solver.mip import is_feasible, solve_lp
from optimizer.deployment.synthetic import random_instance
from optimizer.domain import MarginalisationDegree, Specialty, TeamTemplate

GS, GO, AN = Specialty.GENERAL_SURGERY, Specialty.GYN_OBSTETRICS, Specialty.ANAESTHESIOLOGY


def test_least_hours_staffs_168_h_exactly() -> None:
    """Four 48-h and two 36-h people, 168 h missing: 2 x 48 + 2 x 36 = 168 h wastes nothing, where people in
    preference order (48-h first) would bring 192 h."""
    arcs = np.arange(6)
    hours = np.array([48.0, 48.0, 48.0, 48.0, 36.0, 36.0])
    picked = _least_hours(arcs, 168.0, hours, np.ones(6, dtype=np.int64), arcs)
    assert sorted(hours[picked].tolist()) == [36.0, 36.0, 48.0, 48.0]
    assert sorted(picked) == [0, 1, 4, 5]  # the earliest 48-h people in preference order
    assert _least_hours(arcs, 400.0, hours, np.ones(6, dtype=np.int64), arcs) == []  # 264 h cannot cover 400


@pytest.fixture(scope="module")
def medium():
    return random_instance(seed=5, n_hospitals=30, n_candidates=400, in_post_per_hospital=3)


@pytest.mark.parametrize("budget", [None, 300_000.0])
def test_dual_heuristic_plan_is_feasible(medium, budget) -> None:
    """From the LP duals, as they are and made dual feasible, and from zero duals, in two orders: always a
    feasible column vector (rooms, hours, whole people, budget) that opens teams."""
    s = DeploymentSettings(budget_mxn_month=budget)
    form = build(medium, s)
    status, _value, _x, duals = solve_lp(form.mip, 30.0, s.threads)
    assert status == "optimal"
    dh = DualHeuristic(medium, s, form)
    hospitals = np.array(sorted(dh.hospitals))
    for d in (duals, dual_feasible(form, duals), np.zeros(form.mip.n_rows)):
        for order in (None, hospitals[::-1]):
            x = dh.run(d, None, order)
            assert is_feasible(form.mip, x)
            assert form.mip.c @ x > 0


def test_dual_feasible_duals_price_no_arc_in(medium) -> None:
    """After the repair every arc's reduced cost is <= 0, as at a converged pricing LP."""
    s = DeploymentSettings()
    form = build(medium, s)
    _status, _value, _x, duals = solve_lp(form.mip, 30.0, s.threads)
    rc = form.mip.c[: form.n_arc] - form.mip.a[:, : form.n_arc].T @ dual_feasible(form, duals * 0.5)
    assert rc.max() <= 1e-9


@st.composite
def one_hospital(draw: st.DrawFn) -> tuple[DeploymentInput, DeploymentSettings]:
    """One hospital (1-3 rooms, two specialties, staff in post) and up to 14 recruits of mixed hours."""
    h = Hospital("CSIMB000001", "H", "07", 16.75, -93.1, draw(st.integers(1, 3)), MarginalisationDegree.ALTO, False)
    demand = {(h.clues, GS): Demand(draw(st.floats(20, 300)), 100.0),
              (h.clues, GO): Demand(draw(st.floats(20, 300)), 200.0)}
    in_post = [StaffInPost(f"P{r.value[:3]}", r, "F", h.clues, draw(st.sampled_from([0.0, 40.0, 130.0])))
               for r in (GS, GO, AN)]
    cands = [
        Candidate(f"S{j:06d}", draw(st.sampled_from([GS, GO, AN])), "F", "07", "07001", 16.75, -93.1,
                  draw(st.sampled_from([36.0, 40.0, 48.0])), frozenset(), None, 0.0)
        for j in range(draw(st.integers(4, 14)))
    ]
    s = DeploymentSettings(template=TeamTemplate(surgeons=1, anaesthesiologists=1, surgical_nurses=0),
                           km_weight=0.0, incentive_weight=0.0, time_limit_s=10.0, mip_gap=0.0)
    return DeploymentInput([h], demand, cands, [p for p in in_post if p.weekly_hours > 0]), s


@given(one_hospital())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_dual_heuristic_is_exact_for_one_hospital(case) -> None:
    """With one hospital and no costs, nothing competes for people: the heuristic's per-hospital search
    (every slot configuration, the fewest people per role) must reach the MIP's proven optimum."""
    inp, s = case
    form = build(inp, s)
    x = DualHeuristic(inp, s, form).run(np.zeros(form.mip.n_rows))
    assert is_feasible(form.mip, x)
    plan = solve(inp, s)
    assert plan.status == "optimal"
    assert float(form.mip.c @ x + form.mip.offset) == pytest.approx(plan.objective, abs=1e-6)
