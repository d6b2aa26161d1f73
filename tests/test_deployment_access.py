"""The access term of the deployment objective: people newly within reach of 24/7 surgery.

Brute force (hypothesis) with the term on, a hand-made case where access changes which hospital gets the
only team, overlap counted once, the Lagrangian bound staying valid, and the team-move effects HR reads.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.access.gain import AccessGain
from optimizer.deployment.access_term import access_summary, team_effects
from optimizer.deployment.inputs import Candidate, Demand, DeploymentInput, DeploymentInputError, Hospital
from optimizer.deployment.model import solve
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import build
from optimizer.deployment.solver.lagrangian import lagrangian_bound
from optimizer.deployment.synthetic import random_instance
from optimizer.deployment.validate import validate
from optimizer.domain import MARGINALISATION_WEIGHT, MarginalisationDegree, Specialty, TeamTemplate
from tests.test_deployment_bruteforce import brute_force, tiny_instances

GS, AN = Specialty.GENERAL_SURGERY, Specialty.ANAESTHESIOLOGY
ALTO = MARGINALISATION_WEIGHT[MarginalisationDegree.ALTO]  # weight of a procedure/week at an Alto hospital


def gain_for(hospitals: list[str], reach: np.ndarray, people: np.ndarray, base: list[bool],
             weight: np.ndarray | None = None) -> AccessGain:
    """Access data over ``len(people)`` municipalities; ``reach[i, j]``: hospital j within the limit of i."""
    is_24_7 = np.array(base, dtype=bool)
    covered = reach[:, is_24_7].any(axis=1) if is_24_7.any() else np.zeros(len(people), dtype=bool)
    return AccessGain(hospitals, [f"M{i:04d}" for i in range(len(people))],
                      people.astype(float) if weight is None else weight, people.astype(float), reach, is_24_7,
                      covered, 120.0)


@st.composite
def tiny_with_access(draw: st.DrawFn) -> tuple[DeploymentInput, DeploymentSettings]:
    inp, s = draw(tiny_instances())
    n_m = draw(st.integers(1, 4))
    ids = [h.clues for h in inp.hospitals] + ["OTHER00000X"]  # a hospital outside the program
    reach = np.array([[draw(st.booleans()) for _ in ids] for _ in range(n_m)], dtype=bool)
    people = np.array([draw(st.integers(0, 50_000)) for _ in range(n_m)])
    base = [draw(st.booleans()) for _ in ids]
    inp = dataclasses.replace(inp, access=gain_for(ids, reach, people, base))
    return inp, s.model_copy(update={"access_weight": draw(st.sampled_from([1e-4, 1e-2]))})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_with_access())
def test_access_term_matches_brute_force(case: tuple[DeploymentInput, DeploymentSettings]) -> None:
    inp, s = case
    plan = solve(inp, s)
    assert plan.status == "optimal"
    rep = validate(inp, plan, s)
    assert rep.ok, rep.violations
    assert abs(rep.objective - plan.objective) < 1e-6
    assert abs(plan.objective - brute_force(inp, s)) < 1e-6


def _two_hospitals() -> DeploymentInput:
    """Two one-room hospitals, recruits for exactly one team; B has a little more demand than A."""
    hosp = [Hospital("CSIMB000001", "A", "07", 16.75, -93.1, 1, MarginalisationDegree.ALTO, False),
            Hospital("CSIMB000002", "B", "07", 16.76, -93.0, 1, MarginalisationDegree.ALTO, False)]
    demand = {("CSIMB000001", GS): Demand(50.0, 60.0), ("CSIMB000002", GS): Demand(55.0, 60.0)}
    cands = [Candidate(f"S{j}", role, "F", "07", "07001", 16.75, -93.1, 48.0, frozenset(), None, 0.0)
             for j, role in enumerate([GS] * 4 + [AN] * 4)]
    return DeploymentInput(hosp, demand, cands)


def test_access_moves_the_only_team_to_where_people_gain_reach() -> None:
    inp = _two_hospitals()
    s = DeploymentSettings(template=TeamTemplate(surgeons=1, anaesthesiologists=1, surgical_nurses=0),
                           km_weight=0.0, incentive_weight=0.0, mip_gap=0.0)
    assert {t.hospital for t in solve(inp, s).teams} == {"CSIMB000002"}  # procedures alone: B
    # municipality 0 (1,000,000 people) is reached only by A; municipality 1 (10 people) by both
    reach = np.array([[True, False], [True, True]])
    inp = dataclasses.replace(inp, access=gain_for(["CSIMB000001", "CSIMB000002"], reach,
                                                   np.array([1_000_000, 10]), [False, False]))
    s = s.model_copy(update={"access_weight": 1e-4})  # 10,000 people = one procedure/week
    plan = solve(inp, s)
    assert {t.hospital for t in plan.teams} == {"CSIMB000001"}
    rep = validate(inp, plan, s)
    assert rep.ok and rep.access_gained == 1_000_010
    assert plan.objective == pytest.approx(rep.objective) == pytest.approx(ALTO * 50.0 + 100.001)
    summary = access_summary(inp.access, plan)
    assert (summary.people_gained, summary.people_within_after) == (1_000_010, 1_000_010)
    effects = {(e.hospital, e.change): e.people for e in team_effects(inp, plan)}
    assert effects == {("CSIMB000001", "withdraw"): -1_000_010}  # B would add nobody new: not listed


def test_overlapping_reach_counts_once() -> None:
    inp = _two_hospitals()
    cands = inp.candidates + [dataclasses.replace(c, specialist_id=f"X{c.specialist_id}") for c in inp.candidates]
    reach = np.array([[True, True]])
    inp = dataclasses.replace(inp, candidates=cands, access=gain_for(["CSIMB000001", "CSIMB000002"], reach,
                                                                      np.array([500_000]), [False, False]))
    s = DeploymentSettings(template=TeamTemplate(surgeons=1, anaesthesiologists=1, surgical_nurses=0),
                           km_weight=0.0, incentive_weight=0.0, mip_gap=0.0, access_weight=1e-4)
    plan = solve(inp, s)
    assert len(plan.teams) == 2
    rep = validate(inp, plan, s)
    assert rep.access_gained == 500_000
    assert plan.objective == pytest.approx(rep.objective) == pytest.approx(ALTO * 105.0 + 50.0)
    # each hospital alone keeps the municipality within reach: withdrawing either team loses nobody
    assert {(e.hospital, e.change, e.people) for e in team_effects(inp, plan)} == {
        ("CSIMB000001", "withdraw", 0.0), ("CSIMB000002", "withdraw", 0.0)}


def test_lagrangian_bound_stays_valid_with_access() -> None:
    inp = random_instance(seed=5, n_hospitals=6, n_candidates=60, in_post_per_hospital=4)
    rng = np.random.default_rng(0)
    ids = [h.clues for h in inp.hospitals]
    reach = rng.random((40, len(ids))) < 0.3
    inp = dataclasses.replace(inp, access=gain_for(ids, reach, rng.integers(1_000, 200_000, 40),
                                                   [False] * len(ids)))
    s = DeploymentSettings(access_weight=1e-3, mip_gap=0.0, time_limit_s=20)
    plan = solve(inp, s)
    assert plan.status == "optimal"
    form = build(inp, s)
    for duals in (np.zeros(form.mip.a.shape[0]), rng.normal(0, 0.05, form.mip.a.shape[0])):
        if form.budget_row >= 0:
            duals[form.budget_row] = abs(duals[form.budget_row])
        assert lagrangian_bound(inp, s, form, duals) >= plan.objective - 1e-6


def test_access_weight_without_access_data_is_an_error() -> None:
    """access_weight > 0 on an input without access data is a clear error, not a silent no-op."""
    inp = random_instance(0, 4, 30)
    with pytest.raises(DeploymentInputError, match="with_access"):
        solve(inp, DeploymentSettings(access_weight=0.001, time_limit_s=2))
