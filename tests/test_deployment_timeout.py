"""Regression: a time limit too short for anything but the greedy start still returns a whole, valid plan.

At 1,410 hospitals and 10 s, a model build of 8-11 s under load left the greedy 1 s from its call, all of it
spent sorting arcs, and two of three benchmark seeds returned the empty plan. The greedy's slot search now
always gets its floor of time after the sorting and never stops before a first slot is taken (the greedy
alone: ``test_deployment_budget.test_greedy_past_its_deadline_is_still_feasible``).
"""

from __future__ import annotations

import pytest

from optimizer.deployment.model import solve
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.synthetic import random_instance
from optimizer.deployment.validate import validate


@pytest.fixture(scope="module")
def priced():
    """80 hospitals x 1,500 recruits: 36,907 arcs, above the size where the MIP runs on every arc."""
    return random_instance(seed=5, n_hospitals=80, n_candidates=1500, in_post_per_hospital=3)


def test_tiny_time_limit_returns_the_greedy_plan_validated(priced) -> None:
    """10 ms: no pricing, no MIP worth the name; the plan is the greedy's, non-empty, validated, feasible."""
    s = DeploymentSettings(time_limit_s=0.01, seed=3)
    plan = solve(priced, s)
    assert plan.status == "feasible"
    assert plan.teams and plan.assignments
    assert plan.objective is not None and plan.objective > 0
    rep = validate(priced, plan, s)
    assert rep.ok, rep.violations
    assert rep.objective == pytest.approx(plan.objective, abs=1e-6)
    assert rep.covered > 0
