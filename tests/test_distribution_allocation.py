"""Allocation: supply, need, capacity and shelf life hold; vital-first and max-min fairness on hand-made cases;
the validator catches each broken rule; the per-SKU decomposition equals the full LP; forecast arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from optimizer.distribution.allocation import AllocationInput, solve_allocation
from optimizer.distribution.forecast import forecast_demand, order_up_to
from optimizer.distribution.settings import AllocationSettings
from optimizer.distribution.validate import validate_allocation

DAY = dt.date(2025, 3, 3)
FAR = "2030-01-01"


def med(sku: str, crit: str = "other", cold: bool = False, vol_l: float = 1.0) -> dict:
    return {"sku": sku, "volume_l": vol_l, "weight_kg": 1.0, "cold_chain": cold, "criticality": crit}


def make(lines: list[tuple], lots: list[tuple], meds: list[dict], dispatch_m3: float = 1e6,
         cold_m3: float = 1e6, onhand: list[tuple] = (), arcs: list[tuple] | None = None) -> AllocationInput:
    """lines (clues, sku, need, daily_rate); lots (lot_id, depot, sku, units, expiry)."""
    line_df = pd.DataFrame(lines, columns=["clues", "sku", "need", "daily_rate"])
    lot_df = pd.DataFrame(lots, columns=["lot_id", "depot_id", "sku", "units", "expiry_date"])
    depots = sorted(set(lot_df["depot_id"]))
    if arcs is None:
        arcs = [(d, c, 10.0 + k) for k, d in enumerate(depots) for c in sorted(set(line_df["clues"]))]
    return AllocationInput(
        lines=line_df, lots=lot_df,
        onhand=pd.DataFrame(list(onhand), columns=["clues", "sku", "units", "expiry_date"]),
        medicines=pd.DataFrame(meds),
        depots=pd.DataFrame([{"depot_id": d, "dispatch_m3": dispatch_m3, "dispatch_kg": 1e9,
                              "cold_dispatch_m3": cold_m3, "cold_dispatch_kg": 1e9} for d in depots]),
        arcs=pd.DataFrame(arcs, columns=["depot_id", "clues", "km"]), delivery_date=DAY)


def shipped(plan, clues: str, sku: str) -> float:
    s = plan.shipments
    return float(s.loc[(s["clues"] == clues) & (s["sku"] == sku), "units"].sum())


def test_max_min_fairness_splits_a_shortage_evenly() -> None:
    # 10 vital units, two hospitals needing 10 and 30: max-min gives both 25% (2.5 and 7.5 -> whole units).
    inp = make([("H1", "V", 10, 2), ("H2", "V", 30, 5)], [("L", "D", "V", 10, FAR)], [med("V", "vital")])
    plan = solve_allocation(inp)
    assert plan.status == "optimal"
    assert plan.tiers["vital_sku_min_fill_sum"] == pytest.approx(0.25)
    assert shipped(plan, "H1", "V") + shipped(plan, "H2", "V") == 10
    assert shipped(plan, "H1", "V") in (2, 3) and shipped(plan, "H2", "V") in (7, 8)
    assert validate_allocation(inp, plan.shipments).ok


def test_vital_first_under_shared_capacity() -> None:
    # Depot can dispatch 0.015 m3 = 15 one-litre units; vital need 10, other need 20: vital fully served first.
    inp = make([("H1", "V", 10, 2), ("H1", "O", 20, 3)],
               [("LV", "D", "V", 100, FAR), ("LO", "D", "O", 100, FAR)], [med("V", "vital"), med("O")],
               dispatch_m3=0.015)
    plan = solve_allocation(inp)
    assert shipped(plan, "H1", "V") == 10 and shipped(plan, "H1", "O") == 5
    assert "full LP" in plan.method  # capacity binds, so the decomposition is not used
    assert validate_allocation(inp, plan.shipments).ok


def test_supply_need_and_nearest_depot() -> None:
    inp = make([("H1", "A", 30, 5), ("H2", "A", 5, 1)],
               [("L1", "D1", "A", 12, FAR), ("L2", "D2", "A", 100, FAR)], [med("A")])
    plan = solve_allocation(inp)
    assert shipped(plan, "H1", "A") == 30 and shipped(plan, "H2", "A") == 5  # need met, never exceeded
    by_lot = plan.shipments.groupby("lot_id")["units"].sum()
    assert by_lot.get("L1", 0) <= 12
    assert by_lot.get("L1", 0) == 12  # transport tier prefers the nearer depot D1 (10 km vs 11 km)
    assert validate_allocation(inp, plan.shipments).ok


def test_shelf_life_never_ships_what_expires_before_use() -> None:
    # Rate 2/day. Lot E expires in 5 days: at most 10 usable, minus 4 on hand expiring first -> 6.
    # Lot X is already expired on the delivery date; lot F lasts.
    soon = (DAY + dt.timedelta(days=5)).isoformat()
    inp = make([("H1", "A", 40, 2)],
               [("E", "D", "A", 50, soon), ("X", "D", "A", 50, DAY.isoformat()), ("F", "D", "A", 20, FAR)],
               [med("A")], onhand=[("H1", "A", 4, (DAY + dt.timedelta(days=3)).isoformat())])
    plan = solve_allocation(inp)
    by_lot = plan.shipments.groupby("lot_id")["units"].sum()
    assert by_lot.get("X", 0) == 0
    assert by_lot.get("E", 0) == 6 and by_lot.get("F", 0) == 20
    assert validate_allocation(inp, plan.shipments).ok


def test_cold_chain_needs_cold_dispatch() -> None:
    inp = make([("H1", "C", 10, 2)], [("L", "D", "C", 10, FAR)], [med("C", "vital", cold=True)], cold_m3=0.0)
    plan = solve_allocation(inp)
    assert plan.shipments.empty and not plan.lines["suppliable"].any()
    inp2 = make([("H1", "C", 10, 2)], [("L", "D", "C", 10, FAR)], [med("C", "vital", cold=True)], cold_m3=0.004)
    assert shipped(solve_allocation(inp2), "H1", "C") == 4


def random_instance(seed: int, dispatch_m3: float) -> AllocationInput:
    rng = np.random.default_rng(seed)
    skus = [f"S{k}" for k in range(6)]
    meds = [med(s, ["vital", "essential", "other"][k % 3], cold=k == 4, vol_l=float(rng.uniform(0.1, 2)))
            for k, s in enumerate(skus)]
    lines = [(f"H{f}", s, int(rng.integers(1, 40)), float(rng.uniform(0.5, 5)))
             for f in range(8) for s in skus if rng.random() < 0.7]
    lots = [(f"L{d}{s}{j}", f"D{d}", s, int(rng.integers(0, 60)),
             (DAY + dt.timedelta(days=int(rng.integers(1, 400)))).isoformat())
            for d in range(3) for s in skus for j in range(2)]
    arcs = [(f"D{d}", f"H{f}", float(rng.uniform(5, 300))) for d in range(3) for f in range(8) if rng.random() < 0.7]
    onhand = [(f"H{f}", s, int(rng.integers(0, 10)), (DAY + dt.timedelta(days=int(rng.integers(1, 30)))).isoformat())
              for f in range(8) for s in skus if rng.random() < 0.2]
    return make(lines, lots, meds, dispatch_m3=dispatch_m3, cold_m3=dispatch_m3 / 4, onhand=onhand, arcs=arcs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_instances_are_feasible_and_decomposition_is_exact(seed: int) -> None:
    loose = random_instance(seed, 1e6)
    dec = solve_allocation(loose)
    full = solve_allocation(loose, AllocationSettings(decompose=False))
    assert "decomposition" in dec.method and "full" in full.method
    for k, v in full.tiers.items():
        assert dec.tiers[k] == pytest.approx(v, rel=1e-6, abs=1e-6), k
    tight = random_instance(seed, 0.05)
    for inp in (loose, tight):
        plan = solve_allocation(inp)
        check = validate_allocation(inp, plan.shipments)
        assert plan.status == "optimal" and check.ok, check.violations


def test_validator_catches_each_broken_rule() -> None:
    soon = (DAY + dt.timedelta(days=2)).isoformat()
    inp = make([("H1", "A", 10, 1), ("H2", "A", 10, 1)],
               [("L", "D", "A", 5, FAR), ("S", "D", "A", 50, soon), ("X", "D", "A", 50, DAY.isoformat())],
               [med("A")], dispatch_m3=0.012, arcs=[("D", "H1", 5.0)])

    def errors(rows: list[tuple]) -> list[str]:
        return validate_allocation(inp, pd.DataFrame(rows, columns=["depot_id", "lot_id", "clues", "sku", "units"])
                                   ).violations

    assert errors([("D", "L", "H1", "A", 5)]) == []
    assert any("holds 5" in e for e in errors([("D", "L", "H1", "A", 6)]))              # lot supply
    assert any("needs 10" in e for e in errors([("D", "L", "H1", "A", 5), ("D", "S", "H1", "A", 2),
                                                ("D", "X", "H1", "A", 4)]))            # over the need
    assert any("on or before delivery" in e for e in errors([("D", "X", "H1", "A", 1)]))  # expired lot
    assert any("can be used by then" in e for e in errors([("D", "S", "H1", "A", 3)]))   # FEFO shelf life
    assert any("does not supply" in e for e in errors([("D", "L", "H2", "A", 1)]))       # ineligible depot
    assert any("whole" in e for e in errors([("D", "L", "H1", "A", 1.5)]))               # fractional units
    over = make([("H1", "A", 30, 9)], [("L", "D", "A", 30, FAR)], [med("A")], dispatch_m3=0.012)
    bad = pd.DataFrame([("D", "L", "H1", "A", 13)], columns=["depot_id", "lot_id", "clues", "sku", "units"])
    assert any("capacity" in e for e in validate_allocation(over, bad).violations)       # dispatch capacity


def test_forecast_moving_average_with_seasonality_and_safety_stock() -> None:
    # Two facilities, one SKU, 52 weeks; March weeks are double the rest; last 8 weeks at level 10.
    weeks = pd.date_range("2024-01-01", periods=52, freq="7D")
    rows = []
    for w in weeks:
        units = 20.0 if w.month == 3 else 10.0
        rows += [("H1", "A", w, units), ("H2", "A", w, units / 2)]
    weekly = pd.DataFrame(rows, columns=["clues", "sku", "week", "units"])
    fc = forecast_demand(weekly, dt.date(2025, 3, 3), history_weeks=8).set_index("clues")
    # Deseasonalised history is flat at the yearly mean; re-seasonalised for March it is the March level.
    assert fc.at["H1", "forecast"] == pytest.approx(20.0)
    assert fc.at["H1", "forecast"] == pytest.approx(2 * fc.at["H2", "forecast"])
    level, safety = order_up_to(pd.Series([10.0]), pd.Series([4.0]), review_days=7, lead_time_days=7, z=2.0)
    assert safety.iloc[0] == pytest.approx(2.0 * 4.0 * np.sqrt(2.0))
    assert level.iloc[0] == pytest.approx(20.0 + 8.0 * np.sqrt(2.0))
