"""The CP-SAT re-insertion model of the LNS is exact: its objective change is the state's cost change, and the
state stays equal to the official-definition validator after many steps."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from optimizer.surgery.construct import construct
from optimizer.surgery.io import read_instance
from optimizer.surgery.lns import LNS, SubModel, _apply
from optimizer.surgery.state import HARD, State
from optimizer.surgery.validate import evaluate

SHARED = Path(os.environ.get("BIENESTAR_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
TEST = SHARED / "benchmarks" / "surgery" / "test"

pytestmark = pytest.mark.skipif(not TEST.is_dir(), reason=f"IHTC-2024 test instances not found at {TEST}")


def _objective(sub: SubModel, fixed: dict[int, tuple[int, int, int]] | None) -> tuple[float, dict]:
    """Optimum of the sub-model, or its value with every freed patient held at ``fixed``."""
    if fixed is not None:
        for (p, d), v in sub.x.items():
            sub.m.add(v == int(fixed[p][0] == d))
        for (p, d, t), v in sub.a.items():
            sub.m.add(v == int(fixed[p][0] == d and fixed[p][2] == t))
        for (p, d, r), v in sub.c.items():
            sub.m.add(v == int(fixed[p][0] == d and fixed[p][1] == r))
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(sub.m) == cp_model.OPTIMAL
    theatre = {(p, d): t for (p, d, t), v in sub.a.items() if solver.boolean_value(v)}
    room = {(p, d): r for (p, d, r), v in sub.c.items() if solver.boolean_value(v)}
    placed = {p: (d, room[p, d], theatre[p, d]) for (p, d), v in sub.x.items() if solver.boolean_value(v)}
    return solver.objective_value, placed


@pytest.mark.parametrize("name", ["test02", "test03"])
def test_submodel_objective_is_the_cost_change(name: str) -> None:
    """For several neighbourhoods: optimum minus the value of the current placement == the state's change."""
    inp = read_instance(TEST / f"{name}.json")
    st = State(inp)
    construct(st)
    assert st.cost < HARD
    lns = LNS(st, random.Random(5), workers=1, size=10)
    for make in (lns.window, lns.surgeons, lns.rooms, lns.scattered) * 2:
        nb = make()
        old = {p: (st.adm[p], st.room[p], st.ot[p]) for p in nb.days}
        before = st.cost
        _apply(st, {p: (-1, -1, -1) for p in nb.days})
        held, _ = _objective(SubModel(st, nb), old)
        best, placed = _objective(SubModel(st, nb), None)
        _apply(st, {p: placed.get(p, (-1, -1, -1)) for p in nb.days})
        assert st.cost - before == round(best - held)
        assert st.cost == st.full_cost()


def test_lns_steps_never_worsen_and_stay_exact() -> None:
    inp = read_instance(TEST / "test04.json")
    st = State(inp)
    construct(st)
    lns = LNS(st, random.Random(1), workers=1)
    costs = [st.cost]
    for _ in range(12):
        lns.step(0.5)
        costs.append(st.cost)
    assert all(b <= a for a, b in zip(costs, costs[1:], strict=False))
    assert st.cost == st.full_cost() == evaluate(inp, st.to_plan()).total_cost
    assert sum(k.tries for k in lns.stats.values()) == 12
