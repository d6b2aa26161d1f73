"""Brute force vs the deployment MIP on tiny random instances (hypothesis property test).

Every way of sending each recruit to a willing hospital or nowhere, combined with every slot count per
hospital x specialty, is checked by the independent validator; the best validated objective must equal the
model's proven optimum, and the model's plan must validate with the same objective (exact disaggregation).
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.deployment.inputs import Candidate, Demand, DeploymentInput, Hospital, StaffInPost
from optimizer.deployment.model import Assignment, DeploymentPlan, TeamCount, solve
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.validate import validate
from optimizer.domain import MarginalisationDegree, Specialty, TeamTemplate

GS, GO, AN = Specialty.GENERAL_SURGERY, Specialty.GYN_OBSTETRICS, Specialty.ANAESTHESIOLOGY
SITES = [("07", 16.75, -93.1), ("20", 17.06, -96.72), ("12", 17.55, -99.5)]  # Chiapas, Oaxaca, Guerrero


@st.composite
def tiny_instances(draw: st.DrawFn) -> tuple[DeploymentInput, DeploymentSettings]:
    n_h = draw(st.integers(1, 2))
    hospitals, demand, in_post = [], {}, []
    for i in range(n_h):
        ent, lat, lon = SITES[i]
        clues = f"{['CS', 'OC'][i]}IMB{i:06d}"
        hospitals.append(Hospital(clues, f"H{i}", ent, lat, lon, draw(st.integers(1, 2)),
                                  draw(st.sampled_from(list(MarginalisationDegree))), draw(st.booleans())))
        for spec in (GS, GO):
            if draw(st.booleans()):
                proc = draw(st.floats(5, 200))
                demand[(clues, spec)] = Demand(proc, proc * draw(st.floats(0.5, 2.5)))
        for role in (GS, GO, AN):
            hours = draw(st.sampled_from([0.0, 100.0, 130.0, 160.0]))
            if hours:
                in_post.append(StaffInPost(f"P{i}{role.value[:3]}", role, "F", clues, hours))
    n_c = draw(st.integers(1, 5))
    cands = []
    for j in range(n_c):
        ent, lat, lon = SITES[draw(st.integers(0, 2))]
        cands.append(Candidate(
            specialist_id=f"S{j:06d}", specialty=draw(st.sampled_from([GS, GO, AN])), sex=draw(st.sampled_from("FM")),
            home_state=ent, home_cvegeo=f"{ent}001", home_lat=lat, home_lon=lon,
            weekly_hours=draw(st.sampled_from([36.0, 40.0, 48.0])),
            willing_states=frozenset(draw(st.sets(st.sampled_from([s[0] for s in SITES]), max_size=2))),
            max_km=draw(st.sampled_from([None, 100.0, 500.0])),
            incentive_mxn=draw(st.sampled_from([0.0, 10_000.0, 30_000.0])),
        ))
    s = DeploymentSettings(
        template=TeamTemplate(surgeons=1, anaesthesiologists=1, surgical_nurses=0),
        budget_mxn_month=draw(st.sampled_from([None, 20_000.0, 60_000.0])),
        km_weight=draw(st.sampled_from([0.0, 0.01])), incentive_weight=draw(st.sampled_from([0.0, 1e-4])),
        time_limit_s=20.0, mip_gap=0.0,
    )
    return DeploymentInput(hospitals, demand, cands, in_post), s


def brute_force(inp: DeploymentInput, s: DeploymentSettings) -> float:
    """Best validated objective over all assignments and slot counts."""
    choices = [None, *[h.clues for h in inp.hospitals]]
    keys = sorted(inp.demand, key=lambda k: (k[0], k[1].value))
    best = -float("inf")
    for where in itertools.product(choices, repeat=len(inp.candidates)):
        assigned = [Assignment(c.specialist_id, h, c.specialty, 0.0, 0.0, False)
                    for c, h in zip(inp.candidates, where, strict=True) if h is not None]
        for counts in itertools.product(*[range(0, 3) for _ in keys]):
            teams = [TeamCount(k[0], k[1], n) for k, n in zip(keys, counts, strict=True) if n]
            plan = DeploymentPlan("optimal", None, None, None, 0.0, "brute", 0, assigned, teams)
            rep = validate(inp, plan, s)
            if rep.ok:
                best = max(best, rep.objective)
    return best


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_model_matches_brute_force(case: tuple[DeploymentInput, DeploymentSettings]) -> None:
    inp, s = case
    plan = solve(inp, s)
    assert plan.status == "optimal"
    rep = validate(inp, plan, s)
    assert rep.ok, rep.violations
    assert abs(rep.objective - plan.objective) < 1e-6  # disaggregation keeps the objective
    assert abs(plan.objective - brute_force(inp, s)) < 1e-6
