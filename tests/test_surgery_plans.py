"""The day plan (LP-guided greedy, CP-SAT, HiGHS MIP) and the room plan: constraints met, optimum by brute force."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from optimizer.surgery.day_lp import lp_values, mip_days, options
from optimizer.surgery.days import _plan_cost, greedy_days, plan_days
from optimizer.surgery.io import read_instance
from optimizer.surgery.model import Input
from optimizer.surgery.rooms import greedy_rooms, plan_rooms

SHARED = Path(os.environ.get("BIENESTAR_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
TEST = SHARED / "benchmarks" / "surgery" / "test"

pytestmark = pytest.mark.skipif(not TEST.is_dir(), reason=f"IHTC-2024 test instances not found at {TEST}")

NAMES = ["toy", "test01", "test02", "test03", "test04", "test05"]


def _beds_split_exists(inp: Input, days: dict[int, int], d: int) -> bool:
    """Some split of the rooms between genders (occupants' rooms keep theirs) holds everyone present on ``d``."""
    free, fixed = list(inp.room_capacity), [None] * len(inp.room_ids)
    for o in inp.occupants:
        if o.length_of_stay > d:
            free[o.room] -= 1
            fixed[o.room] = o.gender
    present = {"A": 0, "B": 0}
    for p, a in days.items():
        pat = inp.patients[p]
        if a <= d < a + pat.length_of_stay:
            present[pat.gender] += 1
    for split in itertools.product("AB", repeat=len(free)):
        if any(f is not None and f != g for f, g in zip(fixed, split, strict=True)):
            continue
        beds = {g: sum(b for b, s in zip(free, split, strict=True) if s == g) for g in "AB"}
        if present["A"] <= beds["A"] and present["B"] <= beds["B"]:
            return True
    return False


def _meets_day_model(inp: Input, days: dict[int, int]) -> bool:
    """Every mandatory patient admitted on an admissible day, surgeon and pooled theatre minutes kept, beds by
    gender kept on every day (checked here from first principles, not with the code under test)."""
    pats = inp.patients
    if any(pat.mandatory and p not in days for p, pat in enumerate(pats)):
        return False
    if any(d not in options(inp, p) for p, d in days.items()):
        return False
    for d in range(inp.days):
        today = [p for p, a in days.items() if a == d]
        if sum(pats[p].duration for p in today) > sum(row[d] for row in inp.theatre_availability):
            return False
        for u in range(len(inp.surgeon_ids)):
            if sum(pats[p].duration for p in today if pats[p].surgeon == u) > inp.surgeon_max_time[u][d]:
                return False
    small = len(inp.room_ids) <= 8
    return all(_beds_split_exists(inp, days, d) for d in range(inp.days)) if small else True


@pytest.mark.parametrize("name", NAMES)
def test_greedy_and_solved_day_plans_meet_the_model(name: str) -> None:
    inp = read_instance(TEST / f"{name}.json")
    lp = lp_values(inp)
    guided, _ = greedy_days(inp, lp)
    plain, _ = greedy_days(inp)
    assert _meets_day_model(inp, guided)
    assert _delay_and_postponed(inp, guided) <= _delay_and_postponed(inp, plain)  # the plain orders are tried too
    solved = plan_days(inp, 2.0, 0, 2)
    assert solved is not None and _meets_day_model(inp, solved)
    assert _plan_cost(inp, solved) <= _plan_cost(inp, guided)


def _delay_and_postponed(inp: Input, days: dict[int, int]) -> int:
    pats, w = inp.patients, inp.weights
    return sum(w["patient_delay"] * (d - pats[p].release_day) for p, d in days.items()) + \
        w["unscheduled_optional"] * sum(not pat.mandatory and p not in days for p, pat in enumerate(pats))


def _brute_force_day_optimum(inp: Input) -> float:
    """The day model's optimum by enumerating every patient's day (or postponement) with pruning."""
    pats = inp.patients
    choices = [options(inp, p) + ([] if pat.mandatory else [None]) for p, pat in enumerate(pats)]
    best = float("inf")
    for combo in itertools.product(*choices):
        days = {p: d for p, d in enumerate(combo) if d is not None}
        if _meets_day_model(inp, days):
            best = min(best, _exact_cost(inp, days))
    assert best < float("inf")
    return best


def _exact_cost(inp: Input, days: dict[int, int]) -> float:
    """Delay, postponements and the fewest open theatres of each day (by enumerating the theatres opened)."""
    pats, w = inp.patients, inp.weights
    cost = sum(w["patient_delay"] * (d - pats[p].release_day) for p, d in days.items())
    cost += w["unscheduled_optional"] * sum(not pat.mandatory and p not in days for p, pat in enumerate(pats))
    rows = inp.theatre_availability
    for d in range(inp.days):
        need = sum(pats[p].duration for p, a in days.items() if a == d)
        if need:
            cost += w["open_operating_theater"] * min(
                k for k in range(1, len(rows) + 1)
                if any(sum(rows[t][d] for t in c) >= need for c in itertools.combinations(range(len(rows)), k)))
    return cost


def test_mip_day_plan_is_optimal_on_the_toy_case() -> None:
    inp = read_instance(TEST / "toy.json")
    cost, days = mip_days(inp, 10.0, None)
    assert _meets_day_model(inp, days)
    assert cost == pytest.approx(_brute_force_day_optimum(inp))
    assert _exact_cost(inp, days) == pytest.approx(cost)


@pytest.mark.parametrize("name", NAMES)
def test_room_plans_keep_beds_genders_and_compatibility(name: str) -> None:
    inp = read_instance(TEST / f"{name}.json")
    days = plan_days(inp, 2.0, 0, 2)
    for rooms in (greedy_rooms(inp, days)[0], plan_rooms(inp, days, 2.0, 0, 2)):
        assert all(p in rooms for p in days if inp.patients[p].mandatory)
        assert all(r not in inp.patients[p].incompatible_rooms for p, r in rooms.items())
        for r in range(len(inp.room_ids)):
            for d in range(inp.days):
                here = [inp.patients[p].gender for p, rr in rooms.items()
                        if rr == r and days[p] <= d < days[p] + inp.patients[p].length_of_stay]
                here += [o.gender for o in inp.occupants if o.room == r and d < o.length_of_stay]
                assert len(here) <= inp.room_capacity[r] and len(set(here)) <= 1, (name, r, d)


def test_day_model_solves_after_another_highs_model_set_threads() -> None:
    """HiGHS refuses to run a model whose "threads" option differs from the thread pool an earlier model started;
    the day model sets none, so its LP and MIP still answer after such a model (in CI a suite-wide run had
    silently lost the MIP this way)."""
    from optimizer.solvers.silence import quiet_highs

    other = quiet_highs()
    other.setOptionValue("threads", 2)
    x = other.addBinary(obj=-1.0)
    other.addConstr(x <= 1)
    other.run()
    inp = read_instance(TEST / "toy.json")
    assert lp_values(inp) is not None
    assert mip_days(inp, 5.0, None) is not None
