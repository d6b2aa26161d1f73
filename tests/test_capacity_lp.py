"""Capacity LP: hand-solved optimum, duals against finite-difference re-solves, validator, 24/7 status,
marginal gains against re-solves with one more person, separability of the network LP."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.capacity import lp as caplp
from optimizer.capacity.kpis import DAYTIME, FULLY, NO_SURGERY, SOME_ROOMS, hospital_status
from optimizer.capacity.marginal import bottlenecks, marginal_gains, team_gains
from optimizer.capacity.model import (
    CapacityInput,
    CapacityInputError,
    DeployedStaff,
    Hospital,
    SurgicalDemand,
    solve,
)
from optimizer.capacity.settings import CapacitySettings
from optimizer.capacity.validate import validate
from optimizer.domain import SURGICAL_SPECIALTIES, MarginalisationDegree, Specialty

S = Specialty
A = Fraction(220, 260)  # availability with the default allowances: (260 - 7 - 20 - 8 - 5) / 260
C1, C2 = "OCIMB000001", "CSIMB000002"


def one_hospital(**staff: float) -> CapacityInput:
    """1 room, Muy alto (weight 2), 30 general-surgery procedures/week needing 45 OR hours."""
    return CapacityInput(
        [Hospital(C1, "H1", "20", "Muy alto", 1, 0, 0)],
        {(C1, S(k)): v for k, v in staff.items()}, {(C1, S(k)): 1 for k in staff},
        {(C1, S.GENERAL_SURGERY): SurgicalDemand(30.0, 45.0)})


def test_hand_solved_anaesthesia_bound() -> None:
    """Anaesthesia allows 50 x 11/13 = 42.31 h < 45 h of demand: 28.21 procedures, weighted 56.41."""
    inp = one_hospital(general_surgery=100, anaesthesiology=50, surgical_nursing=200)
    plan = solve(inp)
    x = 50 * A
    assert plan.status == "optimal"
    assert plan.result(C1).or_hours[S.GENERAL_SURGERY] == pytest.approx(float(x), rel=1e-9)
    assert plan.procedures_per_week == pytest.approx(float(x * Fraction(2, 3)), rel=1e-9)
    assert plan.objective == pytest.approx(float(2 * x * Fraction(2, 3)), rel=1e-9)
    duals = {(r.kind, r.key): r for r in plan.resources}
    assert duals[("role", "anaesthesiology")].dual == pytest.approx(4 / 3)  # weight 2 x 2/3 procedure/h
    assert duals[("role", "anaesthesiology")].procedures_per_unit == pytest.approx(2 / 3)
    assert duals[("role", "surgical_nursing")].dual == pytest.approx(0.0)
    assert duals[("demand", "general_surgery")].dual == pytest.approx(0.0)
    v = validate(inp, plan)
    assert v.ok and v.certified_optimal


def test_hand_solved_rooms_bound() -> None:
    """Plenty of staff and demand: one room caps at 168 h."""
    inp = one_hospital(general_surgery=400, anaesthesiology=400, surgical_nursing=800)
    inp.demand[(C1, S.GENERAL_SURGERY)] = SurgicalDemand(200.0, 300.0)
    plan = solve(inp)
    assert plan.result(C1).room_hours == pytest.approx(168.0)
    assert plan.result(C1).hours_per_room(1) == pytest.approx([168.0])
    assert {(r.kind, r.key): r.dual for r in plan.resources}[("rooms", "")] == pytest.approx(4 / 3)
    assert validate(inp, plan).certified_optimal


# --- random small instances ------------------------------------------------------------------------------

ROLES = [*SURGICAL_SPECIALTIES, S.ANAESTHESIOLOGY, S.SURGICAL_NURSING, S.INTERNAL_MEDICINE,
         S.EMERGENCY_MEDICINE]


@st.composite
def instances(draw: st.DrawFn) -> CapacityInput:
    n = draw(st.integers(1, 2))
    hospitals, hours, heads, demand = [], {}, {}, {}
    for k in range(n):
        clues = f"OCIMB{k:06d}"
        hospitals.append(Hospital(clues, f"H{k}", "20", draw(st.sampled_from(list(MarginalisationDegree))).value,
                                  draw(st.integers(0, 3)), draw(st.sampled_from([0, 20, 45])),
                                  draw(st.sampled_from([0, 4, 12]))))
        for role in ROLES:
            h = draw(st.sampled_from([0, 0, 36, 40, 80, 120, 200, 400]))
            if h:
                hours[(clues, role)] = float(h)
                heads[(clues, role)] = max(1, h // 40)
        for s in SURGICAL_SPECIALTIES:
            procs = draw(st.sampled_from([0, 0, 5, 12, 30, 80]))
            if procs:
                per_case = draw(st.sampled_from([0.5, 1.0, 1.25, 2.5]))
                demand[(clues, s)] = SurgicalDemand(float(procs), procs * per_case)
    return CapacityInput(hospitals, hours, heads, demand)


def _ranging(inp: CapacityInput, s: CapacitySettings) -> tuple[list[caplp.RowKey], np.ndarray]:
    model = caplp.build(inp, s)
    h = caplp.new_highs(s, 10.0)
    caplp.load(h, model, model.cost)
    h.run()
    _, ranging = h.getRanging()
    return model.rows, np.array(ranging.row_bound_up.value_)


def _plus(inp: CapacityInput, kind: str, clues: str, key: str, s: CapacitySettings,
          delta: float = 1.0) -> CapacityInput:
    """The input with ``delta`` more units of a row's right-hand side, made through the input's fields."""
    if kind == "role":
        hours = dict(inp.staff_hours)
        hours[(clues, S(key))] = hours.get((clues, S(key)), 0.0) + delta / s.allowances.availability
        return dataclasses.replace(inp, staff_hours=hours)
    d = inp.demand[(clues, S(key))]
    demand = dict(inp.demand)
    demand[(clues, S(key))] = SurgicalDemand(d.procedures_per_week + delta * d.procedures_per_or_hour,
                                             d.or_hours_per_week + delta)
    return dataclasses.replace(inp, demand=demand)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.booleans())
def test_duals_match_finite_difference_resolve(inp: CapacityInput, couple_ward: bool) -> None:
    """Add one hour of a role (or of demand): the optimum moves by the dual where the basis holds, and
    never by more than the dual anywhere (the LP value is concave in the right-hand side). Where one unit
    crosses a breakpoint, a step inside the basis's range checks the dual as a rate."""
    s = CapacitySettings(couple_ward=couple_ward)
    plan = solve(inp, s)
    assert plan.status == "optimal"
    v = validate(inp, plan, s)
    assert v.ok, v.violations
    assert v.certified_optimal
    rows, up = _ranging(inp, s)
    assert [(r.kind, r.clues, r.key) for r in rows] == [(r.kind, r.clues, r.key) for r in plan.resources]
    for i, r in enumerate(plan.resources):
        if r.kind not in ("role", "demand"):
            continue
        moved = solve(_plus(inp, r.kind, r.clues, r.key, s), s).objective - plan.objective
        assert moved <= r.dual + 1e-6
        # a row with slack keeps its basis for any increase (HiGHS reports its activity as the "limit")
        if r.slack > 1e-7 or up[i] >= r.rhs + 1 - 1e-9:
            assert moved == pytest.approx(r.dual, abs=1e-6), (r, up[i])
        elif up[i] - r.rhs > 1e-3:
            step = (up[i] - r.rhs) / 2
            rate = (solve(_plus(inp, r.kind, r.clues, r.key, s, step), s).objective - plan.objective) / step
            assert rate == pytest.approx(r.dual, abs=1e-5), (r, up[i])


@settings(max_examples=20, deadline=None)
@given(instances())
def test_network_lp_is_the_sum_of_hospital_lps(inp: CapacityInput) -> None:
    whole = solve(inp).objective
    parts = sum(solve(inp.subset([h.clues])).objective for h in inp.hospitals)
    assert whole == pytest.approx(parts, rel=1e-9, abs=1e-9)


def test_marginal_gain_equals_resolve_with_one_more_person() -> None:
    inp = one_hospital(general_surgery=100, anaesthesiology=50, surgical_nursing=200)
    inp.new_person_hours[S.ANAESTHESIOLOGY] = 36.0
    gains = {g.role: g for g in marginal_gains(inp)}
    base = solve(inp).objective
    more = solve(inp.with_staff([DeployedStaff("S000001", S.ANAESTHESIOLOGY, 36.0, C1)])).objective
    g = gains[S.ANAESTHESIOLOGY]
    assert g.weighted_per_week == pytest.approx(more - base, abs=1e-9)
    # 36 h x 11/13 = 30.46 h more anaesthesia, but surgeons cap OR hours at 84.6 and demand at 45 h
    assert g.procedures_per_week == pytest.approx((45 - 50 * 11 / 13) * 2 / 3)
    assert g.dual_estimate > g.procedures_per_week  # the dual overstates a whole person past a breakpoint
    assert gains[S.SURGICAL_NURSING].procedures_per_week == pytest.approx(0.0)
    assert g.monthly_cost_mxn == pytest.approx(39_021.0)
    assert [b.role for b in bottlenecks(list(gains.values()))] == [S.ANAESTHESIOLOGY]


def test_team_gain_equals_resolve_with_the_whole_team() -> None:
    inp = one_hospital(general_surgery=100, anaesthesiology=50, surgical_nursing=200)
    inp.demand[(C1, S.GYN_OBSTETRICS)] = SurgicalDemand(40.0, 40.0)
    base = solve(inp).objective
    by = {g.specialty: g for g in team_gains(inp)}
    assert set(by) == {S.GENERAL_SURGERY, S.GYN_OBSTETRICS}
    roles = [S.GYN_OBSTETRICS, S.ANAESTHESIOLOGY, S.SURGICAL_NURSING, S.SURGICAL_NURSING]
    team = [DeployedStaff(f"S00000{k}", r, 40.0, C1) for k, r in enumerate(roles)]
    more = solve(inp.with_staff(team)).objective
    g = by[S.GYN_OBSTETRICS]
    assert g.weighted_per_week == pytest.approx(more - base, abs=1e-9)
    # a gyn team brings 33.8 h of anaesthesia, all of it to caesareans (1 procedure/h beats 2/3)
    assert g.procedures_per_week == pytest.approx(40 * 11 / 13)
    assert g.people == {S.GYN_OBSTETRICS: 1, S.ANAESTHESIOLOGY: 1, S.SURGICAL_NURSING: 2}
    assert g.monthly_cost_mxn == pytest.approx(2 * 39_021.0 + 2 * 32_000.0)  # no recruits' incentives here


# --- validator -------------------------------------------------------------------------------------------


def test_validator_catches_overuse_and_wrong_objective() -> None:
    inp = one_hospital(general_surgery=100, anaesthesiology=50, surgical_nursing=200)
    plan = solve(inp)
    res = plan.result(C1)
    res.or_hours[S.GENERAL_SURGERY] = 45.0
    res.procedures[S.GENERAL_SURGERY] = 30.0
    v = validate(inp, plan)
    assert any("anaesthesiology uses" in m for m in v.violations)
    assert any("objective" in m for m in v.violations)
    assert not v.certified_optimal


def test_validator_rejects_a_suboptimal_plan_certificate() -> None:
    inp = one_hospital(general_surgery=100, anaesthesiology=50, surgical_nursing=200)
    plan = solve(inp)
    for r in plan.resources:
        r.dual = 0.0  # zero duals are not dual feasible: the reduced cost of x stays positive
    assert validate(inp, plan).dual_bound is None


# --- 24/7 status -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("surgeons", "anaes", "nurses", "status", "rooms_24_7", "limiting"), [
    (2 * 168, 2 * 168, 4 * 168, FULLY, 2, "rooms"),
    (2 * 168, 168, 4 * 168, SOME_ROOMS, 1, "anaesthesiology"),
    (100, 168, 2 * 168, DAYTIME, 0, "surgeon"),
    (0, 168, 2 * 168, NO_SURGERY, 0, "surgeon"),
])
def test_status_by_hand(surgeons: float, anaes: float, nurses: float, status: str, rooms_24_7: int,
                        limiting: str) -> None:
    """Two rooms; hours given as available hours (contract = available / availability)."""
    inp = CapacityInput(
        [Hospital(C2, "H2", "07", "Alto", 2, 0, 0)],
        {(C2, S.GENERAL_SURGERY): surgeons / float(A), (C2, S.ANAESTHESIOLOGY): anaes / float(A),
         (C2, S.SURGICAL_NURSING): nurses / float(A)}, {}, {})
    st_ = hospital_status(inp, inp.hospitals[0], CapacitySettings())
    assert (st_.status, st_.rooms_24_7, st_.limiting_role) == (status, rooms_24_7, limiting)
    assert st_.staffable_room_hours == pytest.approx(min(336.0, surgeons, anaes, nurses / 2))
    short = {s.role: s for s in st_.shortfalls}
    if status != FULLY:
        gap = 336 - min(surgeons, 336) if limiting == "surgeon" else 336 - anaes
        assert short[limiting].hours_short == pytest.approx(gap)
        assert short[limiting].people_short == math.ceil(gap / (40 * float(A)) - 1e-9)  # 40 h contracts


def test_er_and_ward_block_full_24_7() -> None:
    inp = CapacityInput([Hospital(C2, "H2", "07", "Alto", 1, 45, 12)],
                        {(C2, S.GENERAL_SURGERY): 168 / float(A), (C2, S.ANAESTHESIOLOGY): 168 / float(A),
                         (C2, S.SURGICAL_NURSING): 336 / float(A), (C2, S.INTERNAL_MEDICINE): 336 / float(A),
                         (C2, S.EMERGENCY_MEDICINE): 100 / float(A)}, {}, {})
    st_ = hospital_status(inp, inp.hospitals[0], CapacitySettings())
    assert st_.status == SOME_ROOMS  # the room runs 24/7, the two emergency units (12 bays) do not
    assert st_.er_hours_possible == pytest.approx(50.0)
    assert st_.ward_hours_possible == pytest.approx(168.0)  # 45 beds = 2 blocks, 336 h of internists
    assert [s.role for s in st_.shortfalls] == ["emergency_medicine"]


# --- bad input -------------------------------------------------------------------------------------------


def test_bad_inputs_name_the_field() -> None:
    inp = one_hospital(general_surgery=100)
    with pytest.raises(CapacityInputError, match="OCIMB000009 is not in the capacity input"):
        inp.with_staff([DeployedStaff("S000001", S.ANAESTHESIOLOGY, 40.0, "OCIMB000009")])
    with pytest.raises(CapacityInputError, match="weekly_hours"):
        inp.with_staff([DeployedStaff("S000001", S.ANAESTHESIOLOGY, 0.0, C1)])
    bad = dataclasses.replace(inp, hospitals=[dataclasses.replace(inp.hospitals[0], operating_rooms=-1)])
    with pytest.raises(CapacityInputError, match="operating_rooms"):
        solve(bad)
    bad = dataclasses.replace(inp, demand={(C1, S.GYN_OBSTETRICS): SurgicalDemand(3.0, 0.0)})
    with pytest.raises(CapacityInputError, match="gyn_obstetrics"):
        solve(bad)
    with pytest.raises(ValueError, match="ward_team"):
        CapacitySettings(ward_team={S.ANAESTHESIOLOGY: 1.0})


def test_solve_reports_seed_time_and_empty_network() -> None:
    plan = solve(CapacityInput([], {}, {}, {}), CapacitySettings(seed=3, time_limit_s=5))
    assert plan.status == "optimal" and plan.objective == 0.0 and plan.solve_seconds > 0
    assert highspy.kHighsInf > 1e30


@settings(max_examples=10, deadline=None)
@given(instances())
def test_split_gives_the_per_hospital_inputs(inp: CapacityInput) -> None:
    for part in inp.split():
        assert part == inp.subset([part.hospitals[0].clues])


@settings(max_examples=20, deadline=None)
@given(instances(), st.booleans())
def test_optimum_matches_an_independent_formulation(inp: CapacityInput, couple_ward: bool) -> None:
    """The validator's own constraint list, solved by scipy's linprog, gives the same optimum."""
    from scipy.optimize import linprog

    from optimizer.capacity.validate import constraints

    s = CapacitySettings(couple_ward=couple_ward)
    contracted: dict[str, dict[str, float]] = {}
    for (c, role), hours in inp.staff_hours.items():
        contracted.setdefault(c, {})[role.value] = hours
    cols: dict[tuple[str, str, str], int] = {}
    a_rows, b, cost = [], [], {}
    for h in inp.hospitals:
        for sp in SURGICAL_SPECIALTIES:
            d = inp.demand.get((h.clues, sp))
            if d and d.or_hours_per_week > 0:
                cost[cols.setdefault((h.clues, "or", sp.value), len(cols))] = h.weight(s) * d.procedures_per_or_hour
        for _, coeffs, rhs in constraints(inp, s, h, contracted.get(h.clues, {})):
            a_rows.append({cols.setdefault((h.clues, *col), len(cols)): v for col, v in coeffs.items()})
            b.append(rhs)
    if not cols:
        assert solve(inp, s).objective == 0.0
        return
    a = np.zeros((len(a_rows), len(cols)))
    for i, row in enumerate(a_rows):
        for j, v in row.items():
            a[i, j] = v
    c = np.zeros(len(cols))
    for j, v in cost.items():
        c[j] = -v
    ref = linprog(c, A_ub=a, b_ub=np.array(b), bounds=(0, None), method="highs-ipm")
    assert ref.status == 0
    assert solve(inp, s).objective == pytest.approx(-ref.fun, rel=1e-7, abs=1e-7)
