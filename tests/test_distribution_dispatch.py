"""Allocation when depot dispatch capacity binds: the binding depot and capacity are reported, pooled columns
give the same optimum as one column per lot, and a run stopped by its time budget still returns a feasible,
validated plan that names the tier it stopped in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_distribution_allocation import FAR, make, med, random_instance, shipped

from optimizer.distribution import allocation as A
from optimizer.distribution.kpis import allocation_kpis
from optimizer.distribution.settings import AllocationSettings
from optimizer.distribution.validate import validate_allocation


def two_depots() -> A.AllocationInput:
    """D1 can dispatch 15 one-litre units a week, D2 1000; H1 is served by D1 only, H2 by both.

    By hand: vital V first: H1 needs 10 V (only from D1), H2 10 V; other O: H1 20, H2 20. D1 carries 15 units:
    max-min on V gives H1 its 10 V from D1 (fill 1), H2 gets V from D2. Then O: H1 can only get what is left of
    D1 (5 units, fill 0.25) while H2 gets its 20 from D2, so D1's m3 capacity binds and D2's does not.
    """
    lines = [("H1", "V", 10, 2), ("H2", "V", 10, 2), ("H1", "O", 20, 3), ("H2", "O", 20, 3)]
    lots = [("L1V", "D1", "V", 100, FAR), ("L1O", "D1", "O", 100, FAR),
            ("L2V", "D2", "V", 100, FAR), ("L2O", "D2", "O", 100, FAR)]
    inp = make(lines, lots, [med("V", "vital"), med("O")], dispatch_m3=1.0,
               arcs=[("D1", "H1", 10.0), ("D1", "H2", 10.0), ("D2", "H2", 50.0)])
    inp.depots.loc[inp.depots["depot_id"] == "D1", "dispatch_m3"] = 0.015
    return inp


def test_binding_dispatch_capacity_is_named_with_its_depot() -> None:
    inp = two_depots()
    plan = A.solve_allocation(inp)
    assert plan.status == "optimal" and "full LP" in plan.method
    assert shipped(plan, "H1", "V") == 10 and shipped(plan, "H1", "O") == 5
    assert shipped(plan, "H2", "V") == 10 and shipped(plan, "H2", "O") == 20
    assert validate_allocation(inp, plan.shipments).ok
    d = plan.dispatch.set_index("depot_id")
    assert d.at["D1", "binding"] == "m3" and d.at["D2", "binding"] == ""
    assert d.at["D1", "m3"] == pytest.approx(0.015) and d.at["D1", "m3_use"] == pytest.approx(1.0)
    assert "depot dispatch capacity binds at 1 of 2 depots: D1 (m3; m3 100% used)" in plan.explanation
    facilities = pd.DataFrame({"clues": ["H1", "H2"], "cve_ent": ["07", "07"]})
    k = allocation_kpis(inp, plan, facilities)
    assert k["binding_constraint"] == "depot dispatch capacity" and k["dispatch_binding"] == ["D1: m3"]
    assert {r["depot_id"]: r["m3"] for r in k["dispatch"]} == {"D1": 0.015, "D2": pytest.approx(0.03)}


def test_no_binding_reported_when_capacity_is_ample() -> None:
    inp = make([("H1", "V", 10, 2)], [("L", "D", "V", 100, FAR)], [med("V", "vital")])
    plan = A.solve_allocation(inp)
    assert "decomposition" in plan.method and plan.explanation == ""
    assert (plan.dispatch["binding"] == "").all()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_pooled_columns_give_the_per_lot_optimum(seed: int) -> None:
    """Every tier's optimum is the same with one column per (lot, line) as with the pooled columns."""
    inp = random_instance(seed, 0.05)
    lines = inp.lines.reset_index(drop=True).assign(criticality=lambda f: f["sku"].map(
        inp.medicines.set_index("sku")["criticality"]))
    arcs = A.build_arcs(inp)
    room = A.fefo_room(inp, lines, arcs)
    med = inp.medicines.set_index("sku")
    keep = room >= 1.0
    arcs, room = arcs[keep].reset_index(drop=True), room[keep]
    need = lines["need"].to_numpy(float)
    lot_units = inp.lots["units"].to_numpy(float)
    free = np.ones(len(lines), dtype=bool)
    free[arcs["line"].to_numpy()[room < np.maximum(need, 1.0)[arcs["line"].to_numpy()]]] = False
    caps = inp.depots.set_index("depot_id")
    settings = AllocationSettings()
    tiers = []
    for free_line in (np.zeros(len(lines), dtype=bool), free):
        c = A._reduce(arcs, room, need, lot_units, free_line)
        sku = c.table["sku"]
        vol = sku.map(med["volume_l"]).to_numpy(float) / 1000
        kg = sku.map(med["weight_kg"]).to_numpy(float)
        cold = sku.map(med["cold_chain"]).astype(bool).to_numpy()
        res = A._lexicographic(c, A._Week(lines, lot_units, caps), A._Load(vol, kg, cold), caps, settings, np.inf)
        assert res.status == "optimal"
        x = A._expand(c, res.x, arcs, inp.lots.reset_index(drop=True))
        got = np.bincount(arcs["lot"].to_numpy(), weights=x, minlength=len(lot_units))
        assert (got <= lot_units + 1e-6).all()  # the split of pooled units among lots respects every lot
        tiers.append(res.tiers)
    assert free.any() and len(tiers[1]) == len(tiers[0])
    for k, v in tiers[0].items():
        assert tiers[1][k] == pytest.approx(v, rel=1e-6, abs=1e-6), k


def test_time_budget_spent_still_gives_a_feasible_named_plan() -> None:
    inp = two_depots()
    plan = A.solve_allocation(inp, AllocationSettings(total_time_limit_s=1e-9))
    assert plan.status == "feasible"
    assert "not started: the allocation's time budget was spent" in plan.explanation
    assert "per-SKU plan scaled down to each depot's dispatch capacity, completed SKU by SKU" in plan.explanation
    assert validate_allocation(inp, plan.shipments).ok
    assert plan.dispatch.set_index("depot_id").at["D1", "m3"] <= 0.015 + 1e-12
    # The top-up fills H2 from the uncongested depot; H1 gets part of D1's 15 units (the optimum gives it all).
    assert shipped(plan, "H2", "V") == 10 and shipped(plan, "H2", "O") == 20
    assert 0 < shipped(plan, "H1", "V") + shipped(plan, "H1", "O") <= 15


def test_top_up_respects_shelf_life() -> None:
    """Stopped early, the greedy top-up never ships what a facility cannot use before it expires."""
    soon = (dt.date(2025, 3, 3) + dt.timedelta(days=10)).isoformat()
    inp = make([("H1", "V", 50, 1.0), ("H1", "O", 20, 3)],
               [("LS", "D", "V", 100, soon), ("LL", "D", "V", 100, FAR), ("LO", "D", "O", 100, FAR)],
               [med("V", "vital"), med("O")], dispatch_m3=0.06)
    plan = A.solve_allocation(inp, AllocationSettings(total_time_limit_s=1e-9))
    assert plan.status == "feasible" and validate_allocation(inp, plan.shipments).ok
    s = plan.shipments
    assert s.loc[s["lot_id"] == "LS", "units"].sum() <= 7  # 1 unit/day for the 7 days left after delivery
