"""The rounding cuts of the formulation count whole people: checked on a one-hospital instance where hours
alone would let the LP open most of a team that integer people cannot staff."""

from __future__ import annotations

import pytest

from optimizer.deployment.inputs import Candidate, Demand, DeploymentInput, Hospital
from optimizer.deployment.model import solve
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import build
from optimizer.deployment.solver.mip import solve_lp
from optimizer.deployment.validate import validate
from optimizer.domain import MarginalisationDegree, Specialty


def _one_hospital(anaesthesiologists: int) -> DeploymentInput:
    """One room, demand of one full 24/7 general-surgery slot; plenty of surgeons and nurses (48 h each)."""
    h = Hospital("H1", "H1", "01", 20.0, -100.0, 1, MarginalisationDegree.MEDIO, False)
    demand = {("H1", Specialty.GENERAL_SURGERY): Demand(100.0, 168.0)}
    people = [(Specialty.GENERAL_SURGERY, 4), (Specialty.SURGICAL_NURSING, 7),
              (Specialty.ANAESTHESIOLOGY, anaesthesiologists)]
    cands = [
        Candidate(f"{r.value[:3]}{i}", r, "F", "01", "01001", 20.0, -100.0, 48.0, frozenset(), None, 0.0)
        for r, n in people for i in range(n)
    ]
    return DeploymentInput([h], demand, cands)


def test_rounding_cut_counts_people_in_the_lp() -> None:
    """Three 48-h anaesthesiologists give 144 of 168 h: the hours row alone lets the LP open 6/7 of the
    slot; the rounding cut (d = 48: people >= 4 per slot) caps it at 3/4, and the MIP opens nothing."""
    s = DeploymentSettings(km_weight=0.0, incentive_weight=0.0, time_limit_s=5)
    inp = _one_hospital(3)
    form = build(inp, s)
    gain = s.marginalisation_weight[MarginalisationDegree.MEDIO] * 100.0
    status, value, _x, _duals = solve_lp(form.mip, 5.0, s.threads)
    assert status == "optimal"
    assert value <= 0.75 * gain + 1e-6
    plan = solve(inp, s)
    assert plan.status == "optimal" and plan.objective == pytest.approx(0.0, abs=1e-9)
    assert validate(inp, plan, s).ok


def test_rounding_cut_keeps_a_staffable_team() -> None:
    """With four 48-h anaesthesiologists (192 h) the slot is staffable and the cut must not remove it."""
    s = DeploymentSettings(km_weight=0.0, incentive_weight=0.0, time_limit_s=5)
    inp = _one_hospital(4)
    plan = solve(inp, s)
    gain = s.marginalisation_weight[MarginalisationDegree.MEDIO] * 100.0
    assert plan.status == "optimal", (plan.status, plan.objective, plan.bound, plan.explanation)
    assert plan.objective == pytest.approx(gain)
    assert validate(inp, plan, s).ok
