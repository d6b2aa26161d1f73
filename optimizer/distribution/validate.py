"""Independent validators: recompute feasibility and objective from a plan and its input alone.

Nothing here calls a solver or reuses engine code paths: times, loads and distances are re-simulated from
the matrices, so a bug in an engine adapter or in ``problem.simulate`` shows up as a violation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.distribution.allocation import AllocationInput
from optimizer.distribution.central import CentralInput
from optimizer.distribution.problem import PlannedRoute, RoutingPlan, RoutingProblem


@dataclass
class RouteValidation:
    """Violations found (empty = feasible) and the recomputed totals."""

    violations: list[str] = field(default_factory=list)
    distance: int = 0  # distance units, recomputed
    objective: int = 0  # cost units, recomputed

    @property
    def ok(self) -> bool:
        return not self.violations


def validate_routes(problem: RoutingProblem, plan: RoutingPlan, eps: float = 1e-9) -> RouteValidation:
    """Check capacities, time windows, shifts, cold chain, each delivery made exactly once, and distances."""
    out = RouteValidation()
    v = out.violations
    _check_fleet(problem, plan, v)
    visits: Counter[int] = Counter()
    for r in plan.routes:
        if not r.stops or not 0 <= r.vehicle_type < len(problem.vehicle_types):
            continue
        vt = problem.vehicle_types[r.vehicle_type]
        dist = _check_route(problem, r, visits, eps, v)
        out.distance += dist
        out.objective += vt.fixed_cost + vt.unit_distance_cost * dist
    _check_deliveries(problem, plan, visits, v)
    n_stops = len(problem.stops)
    out.objective += sum(problem.stops[i].penalty for i in set(plan.unserved) if 0 <= i < n_stops)
    if plan.distance != out.distance:
        v.append(f"plan reports distance {plan.distance}, recomputed {out.distance}")
    if plan.objective != out.objective:
        v.append(f"plan reports objective {plan.objective}, recomputed {out.objective}")
    return out


def _check_fleet(problem: RoutingProblem, plan: RoutingPlan, v: list[str]) -> None:
    """Known vehicle types, no more routes of a type than its vehicles, one route per vehicle."""
    per_type = Counter(r.vehicle_type for r in plan.routes if r.stops)
    for t, used in per_type.items():
        if not 0 <= t < len(problem.vehicle_types):
            v.append(f"route uses unknown vehicle type {t}")
        elif used > problem.vehicle_types[t].count:
            vt = problem.vehicle_types[t]
            v.append(f"vehicle type {vt.type_id}: {used} routes but only {vt.count} vehicles")
    ids = Counter(r.vehicle_id for r in plan.routes if r.stops)
    v.extend(f"vehicle {vid} drives {c} routes" for vid, c in ids.items() if c > 1)


def _check_route(problem: RoutingProblem, r: PlannedRoute, visits: Counter[int], eps: float, v: list[str]) -> int:
    """One route re-driven from the matrices: shift start and end, cold chain, ETAs, windows, loads, distance
    (counts each stop in ``visits``). Returns the recomputed distance (distance units)."""
    vt = problem.vehicle_types[r.vehicle_type]
    depot = problem.depots[vt.depot]
    who = f"vehicle {r.vehicle_id}"
    if r.departure < max(vt.tw_early, depot.tw_early):
        v.append(f"{who}: leaves at {r.departure}, before its shift/depot opens")
    t, dist, load, prev = _drive(problem, r, visits, v)
    dur = problem.durations[vt.profile]
    t += int(dur[prev, depot.location])
    dist += int(problem.distance[prev, depot.location])
    if t > min(vt.tw_late, depot.tw_late):
        v.append(f"{who}: back at depot {depot.depot_id} at {t}, after the shift ends "
                 f"{min(vt.tw_late, depot.tw_late)}")
    for dim, used, cap in zip(problem.dimensions, load, vt.capacity, strict=True):
        if used > cap + eps:
            v.append(f"{who}: {dim} load {used:g} exceeds capacity {cap:g}")
    if r.distance != dist:
        v.append(f"{who}: reported distance {r.distance}, recomputed {dist}")
    return dist


def _drive(problem: RoutingProblem, r: PlannedRoute, visits: Counter[int], v: list[str]
           ) -> tuple[int, int, list[float], int]:
    """The route's stops in order from its departure: cold chain, reported ETAs, time windows. Returns the
    time leaving the last stop, the distance so far, the load per dimension and the last location."""
    vt = problem.vehicle_types[r.vehicle_type]
    dur = problem.durations[vt.profile]
    who = f"vehicle {r.vehicle_id}"
    load = [0.0] * len(problem.dimensions)
    t, dist, prev = r.departure, 0, problem.depots[vt.depot].location
    for pos, idx in enumerate(r.stops):
        if not 0 <= idx < len(problem.stops):
            v.append(f"{who}: unknown stop index {idx}")
            continue
        visits[idx] += 1
        s = problem.stops[idx]
        if s.cold and not vt.cold:
            v.append(f"{who}: carries cold-chain stop {s.stop_id} but is not refrigerated")
        load = [a + b for a, b in zip(load, s.demand, strict=True)]
        t += int(dur[prev, s.location])
        dist += int(problem.distance[prev, s.location])
        if pos < len(r.arrivals) and r.arrivals[pos] != t:
            v.append(f"{who}: reported ETA {r.arrivals[pos]} at stop {s.stop_id}, recomputed {t}")
        start = max(t, s.tw_early)
        if start > s.tw_late:
            v.append(f"{who}: starts stop {s.stop_id} at {start}, after its window closes at {s.tw_late}")
        t = start + s.service
        prev = s.location
    return t, dist, load, prev


def _check_deliveries(problem: RoutingProblem, plan: RoutingPlan, visits: Counter[int], v: list[str]) -> None:
    """Each stop delivered at most once, and either routed or reported unserved (never both); required
    stops delivered."""
    for idx, c in visits.items():
        if c > 1:
            v.append(f"stop {problem.stops[idx].stop_id} delivered {c} times")
    unserved = set(plan.unserved)
    for idx in range(len(problem.stops)):
        s = problem.stops[idx]
        if idx in visits and idx in unserved:
            v.append(f"stop {s.stop_id} is both routed and reported unserved")
        elif idx not in visits and idx not in unserved:
            v.append(f"stop {s.stop_id} is neither routed nor reported unserved")
        elif idx not in visits and s.required:
            v.append(f"required stop {s.stop_id} is not delivered")


@dataclass
class AllocationValidation:
    """Violations of the allocation rules (empty = feasible) and the recomputed objective tiers."""

    violations: list[str] = field(default_factory=list)
    tiers: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


def _onhand_by_line(inp: AllocationInput) -> dict[tuple[str, str], list[tuple[dt.date, float]]]:
    """Usable facility stock (not expired on the delivery date) as (expiry, units) per (clues, sku)."""
    out: dict[tuple[str, str], list[tuple[dt.date, float]]] = {}
    for clues, sku, units, expiry in inp.onhand[["clues", "sku", "units", "expiry_date"]].itertuples(index=False):
        e = pd.Timestamp(expiry).date()
        if e > inp.delivery_date:
            out.setdefault((clues, sku), []).append((e, float(units)))
    return out


def validate_allocation(inp: AllocationInput, shipments: pd.DataFrame, eps: float = 1e-6) -> AllocationValidation:
    """Recheck supply, need, eligibility, expiry, FEFO shelf life and depot dispatch capacity from scratch.

    ``shipments`` has columns ``depot_id, lot_id, clues, sku, units``. The tiers are recomputed with the same
    definitions as the model (line fill = shipped / need; per-SKU minimum over suppliable lines).
    """
    out = AllocationValidation()
    v = out.violations
    ref = _AllocationRef(inp)
    sums = _Shipped()
    for k, row in enumerate(shipments[["depot_id", "lot_id", "clues", "sku", "units"]].itertuples(index=False)):
        _check_shipment(k, tuple(row), inp, ref, sums, eps, v)
    for lot_id, units in sums.lot.items():
        if units > ref.lot_units[lot_id] + eps:
            v.append(f"lot {lot_id}: ships {units:g} units but holds {ref.lot_units[lot_id]:g}")
    _check_lines(inp, ref, sums, eps, v)
    _check_dispatch(inp, sums.dispatch, eps, v)
    out.tiers = fill_tiers(inp, sums.line)
    return out


class _AllocationRef:
    """The allocation input as look-ups: lots (units, depot, SKU, expiry), SKU volume (m3), weight (kg) and
    cold chain, order lines (need, daily rate), eligible (depot, facility) pairs."""

    def __init__(self, inp: AllocationInput) -> None:
        lots = inp.lots
        self.lot_units = dict(zip(lots["lot_id"], lots["units"].astype(float), strict=True))
        self.lot_depot = dict(zip(lots["lot_id"], lots["depot_id"], strict=True))
        self.lot_sku = dict(zip(lots["lot_id"], lots["sku"], strict=True))
        self.lot_expiry = {k: pd.Timestamp(e).date() for k, e in zip(lots["lot_id"], lots["expiry_date"], strict=True)}
        med = inp.medicines.set_index("sku")
        self.volume = (med["volume_l"].astype(float) / 1000.0).to_dict()
        self.weight = med["weight_kg"].astype(float).to_dict()
        self.cold = med["cold_chain"].astype(bool).to_dict()
        self.need = {(c, s): float(n) for c, s, n in inp.lines[["clues", "sku", "need"]].itertuples(index=False)}
        self.rate = {(c, s): float(r) for c, s, r in inp.lines[["clues", "sku", "daily_rate"]].itertuples(index=False)}
        self.eligible = set(inp.arcs[["depot_id", "clues"]].itertuples(index=False, name=None))


@dataclass
class _Shipped:
    """Units shipped per lot and per order line, per line by expiry date, and per depot the week's dispatch
    (m3, kg, cold m3, cold kg)."""

    lot: dict[str, float] = field(default_factory=dict)
    line: dict[tuple[str, str], float] = field(default_factory=dict)
    by_line_expiry: dict[tuple[str, str], list[tuple[dt.date, float]]] = field(default_factory=dict)
    dispatch: dict[str, list[float]] = field(default_factory=dict)



def _check_whole_units(where: str, units: float, eps: float, v: list[str]) -> None:
    """A quantity shipped or split is a whole, non-negative number of units (``eps``: solver tolerance)."""
    if units < -eps or abs(units - round(units)) > eps:
        v.append(f"{where}: {units} is not a whole non-negative number of units")

def _check_shipment(k: int, row: tuple, inp: AllocationInput, ref: _AllocationRef, sums: _Shipped, eps: float,
                    v: list[str]) -> None:
    """One shipment: whole units, a known lot of its depot and SKU, an eligible arc, an order line, a lot not
    expired on delivery; counted in ``sums`` when it names a lot and a line."""
    depot, lot_id, clues, sku, units = row
    where = f"shipment {k} ({lot_id} -> {clues}, {sku})"
    _check_whole_units(where, units, eps, v)
    if lot_id not in ref.lot_units:
        v.append(f"{where}: unknown lot")
        return
    if ref.lot_depot[lot_id] != depot or ref.lot_sku[lot_id] != sku:
        v.append(f"{where}: lot belongs to {ref.lot_depot[lot_id]}/{ref.lot_sku[lot_id]}")
    if (depot, clues) not in ref.eligible:
        v.append(f"{where}: depot {depot} does not supply facility {clues}")
    if (clues, sku) not in ref.need:
        v.append(f"{where}: facility {clues} has no order line for {sku}")
        return
    expiry = ref.lot_expiry[lot_id]
    if expiry <= inp.delivery_date:
        v.append(f"{where}: lot expires {expiry}, on or before delivery {inp.delivery_date}")
    sums.lot[lot_id] = sums.lot.get(lot_id, 0.0) + units
    sums.line[(clues, sku)] = sums.line.get((clues, sku), 0.0) + units
    sums.by_line_expiry.setdefault((clues, sku), []).append((expiry, units))
    acc = sums.dispatch.setdefault(depot, [0.0, 0.0, 0.0, 0.0])
    acc[0] += units * ref.volume[sku]
    acc[1] += units * ref.weight[sku]
    if ref.cold[sku]:
        acc[2] += units * ref.volume[sku]
        acc[3] += units * ref.weight[sku]


def _check_lines(inp: AllocationInput, ref: _AllocationRef, sums: _Shipped, eps: float, v: list[str]) -> None:
    """Per order line: at most its need, and FEFO shelf life: units expiring by each date no more than the
    facility can use by then after its stock on hand."""
    onhand = _onhand_by_line(inp)
    for key, units in sums.line.items():
        if units > ref.need[key] + eps:
            v.append(f"facility {key[0]} {key[1]}: receives {units:g} units, needs {ref.need[key]:g}")
        held = onhand.get(key, [])
        for e in sorted({e for e, _ in sums.by_line_expiry[key]}):
            shipped_by_e = sum(u for e2, u in sums.by_line_expiry[key] if e2 <= e)
            allowed = max(0.0, ref.rate[key] * (e - inp.delivery_date).days - sum(u for e2, u in held if e2 <= e))
            if shipped_by_e > allowed + eps:
                v.append(f"facility {key[0]} {key[1]}: {shipped_by_e:g} units shipped expire by {e} but only "
                         f"{allowed:g} can be used by then (FEFO, after stock on hand)")


def _check_dispatch(inp: AllocationInput, dispatch: dict[str, list[float]], eps: float, v: list[str]) -> None:
    """Each depot's week within its dispatch capacity (m3, kg, and the cold-chain m3 and kg)."""
    caps = inp.depots.set_index("depot_id")
    labels = ("m3", "kg", "cold m3", "cold kg")
    fields = ("dispatch_m3", "dispatch_kg", "cold_dispatch_m3", "cold_dispatch_kg")
    for depot, acc in dispatch.items():
        for used, label, fld in zip(acc, labels, fields, strict=True):
            cap = float(caps.at[depot, fld])
            if used > cap * (1 + 1e-9) + eps:
                v.append(f"depot {depot}: dispatches {used:.3f} {label} this week, capacity {cap:.3f}")


def fill_tiers(inp: AllocationInput, shipped_line: dict[tuple[str, str], float]) -> dict[str, float]:
    """The four fill tiers of the allocation objective, recomputed from shipped units per line.

    A line counts in the per-SKU minimum when some eligible depot holds a lot of its SKU that the facility
    can use at least one unit of before it expires and, for cold-chain SKUs, the depot ships cold.
    """
    lines = inp.lines[inp.lines["need"] > 0].reset_index(drop=True).copy()
    lines["shipped"] = [shipped_line.get((c, s), 0.0) for c, s in zip(lines["clues"], lines["sku"], strict=True)]
    lines["fill"] = np.minimum(1.0, lines["shipped"] / lines["need"])
    med = inp.medicines.set_index("sku")
    cold = med["cold_chain"].astype(bool).to_dict()
    lines["vital"] = lines["sku"].map(med["criticality"]).astype(str) == "vital"
    lots: dict[tuple[str, str], list[dt.date]] = {}
    for depot, sku, units, expiry in inp.lots[["depot_id", "sku", "units", "expiry_date"]].itertuples(index=False):
        e = pd.Timestamp(expiry).date()
        if units > 0 and e > inp.delivery_date:
            lots.setdefault((depot, sku), []).append(e)
    cold_depots = set(inp.depots.loc[inp.depots["cold_dispatch_m3"] > 0, "depot_id"])
    depots_of: dict[str, list[str]] = {}
    for depot, clues in inp.arcs[["depot_id", "clues"]].itertuples(index=False):
        depots_of.setdefault(clues, []).append(depot)
    onhand = _onhand_by_line(inp)
    suppliable = []
    for clues, sku, rate in lines[["clues", "sku", "daily_rate"]].itertuples(index=False):
        held = onhand.get((clues, sku), [])
        ok = False
        for depot in depots_of.get(clues, []):
            if cold[sku] and depot not in cold_depots:
                continue
            for e in lots.get((depot, sku), []):
                if rate * (e - inp.delivery_date).days - sum(u for e2, u in held if e2 <= e) >= 1.0 - 1e-9:
                    ok = True
                    break
            if ok:
                break
        suppliable.append(ok)
    sup = lines[np.array(suppliable, dtype=bool)]
    per_sku_min = sup.groupby("sku")["fill"].min()
    vital_skus = set(lines.loc[lines["vital"], "sku"])
    return {
        "vital_sku_min_fill_sum": float(per_sku_min[per_sku_min.index.isin(vital_skus)].sum()),
        "vital_total_fill": float(lines.loc[lines["vital"], "fill"].sum()),
        "sku_min_fill_sum": float(per_sku_min.sum()),
        "total_fill": float(lines["fill"].sum()),
    }


@dataclass
class CentralValidation:
    """Violations of the central split (empty = feasible), storage use and shipped units recomputed."""

    violations: list[str] = field(default_factory=list)
    storage: dict[str, dict[str, float]] = field(default_factory=dict)  # depot -> m3 used after the split
    shipped: dict[str, float] = field(default_factory=dict)  # lot -> units shipped
    tiers: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


def validate_central(inp: CentralInput, split: pd.DataFrame, eps: float = 1e-6) -> CentralValidation:
    """Recheck a central split from the input alone: whole units, known lots, lot units, no lot expired on
    delivery, depot need, and storage: m3 held plus m3 received within the dry and cold capacities."""
    out = CentralValidation()
    v = out.violations
    lots = inp.lots.set_index("lot_id")
    depots = inp.depots.set_index("depot_id")
    got = _split_rows(inp, split, lots, depots, out, eps)
    for lot_id, units in out.shipped.items():
        if units > float(lots.at[lot_id, "units"]) + eps:
            v.append(f"central lot {lot_id}: ships {units:g} units but holds {lots.at[lot_id, 'units']:g}")
    need = {(d, s): float(n) for d, s, n in inp.need[["depot_id", "sku", "need"]].itertuples(index=False)}
    for (depot, sku), units in got.items():
        if units > need.get((depot, sku), 0.0) + eps:
            v.append(f"depot {depot} {sku}: receives {units:g} units, its facilities need "
                     f"{need.get((depot, sku), 0):g}")
    for depot, use in out.storage.items():
        for key, cap_col, label in (("m3", "capacity_m3", "dry"), ("cold_m3", "cold_capacity_m3", "cold-room")):
            cap = float(depots.at[depot, cap_col])
            if use[key] > cap * (1 + 1e-9) + eps:
                v.append(f"depot {depot}: {label} storage would hold {use[key]:.4f} m3, capacity {cap:.4f} m3")
    out.tiers = central_fill_tiers(inp, split)
    return out


def _split_rows(inp: CentralInput, split: pd.DataFrame, lots: pd.DataFrame, depots: pd.DataFrame,
                out: CentralValidation, eps: float) -> dict[tuple[str, str], float]:
    """Each split row: whole units, a known lot and depot, the lot's SKU, not expired on delivery; sums units
    per lot (``out.shipped``) and storage per depot (``out.storage``, m3 held plus received). Returns units
    received per (depot, SKU)."""
    v = out.violations
    med = inp.medicines.set_index("sku")
    got: dict[tuple[str, str], float] = {}
    for k, (depot, lot_id, sku, units) in enumerate(
            split[["depot_id", "lot_id", "sku", "units"]].itertuples(index=False)):
        where = f"split row {k} ({lot_id} -> {depot})"
        _check_whole_units(where, units, eps, v)
        if lot_id not in lots.index:
            v.append(f"{where}: unknown central lot")
            continue
        if depot not in depots.index:
            v.append(f"{where}: unknown depot")
            continue
        if lots.at[lot_id, "sku"] != sku:
            v.append(f"{where}: lot holds {lots.at[lot_id, 'sku']}, not {sku}")
        if pd.Timestamp(lots.at[lot_id, "expiry_date"]).date() <= inp.delivery_date:
            v.append(f"{where}: lot expires {lots.at[lot_id, 'expiry_date']}, on or before {inp.delivery_date}")
        out.shipped[lot_id] = out.shipped.get(lot_id, 0.0) + float(units)
        got[(depot, sku)] = got.get((depot, sku), 0.0) + float(units)
        use = out.storage.setdefault(depot, {"m3": float(depots.at[depot, "held_m3"]),
                                             "cold_m3": float(depots.at[depot, "held_cold_m3"])})
        use["cold_m3" if bool(med.at[sku, "cold_chain"]) else "m3"] += units * float(med.at[sku, "volume_l"]) / 1000
    return got


def central_fill_tiers(ci: CentralInput, split: pd.DataFrame) -> dict[str, float]:
    """The four fill tiers of the central split recomputed from the split alone (fill = shipped / need per
    depot and SKU; per-SKU minimum over depots with a need, for SKUs with a usable central lot)."""
    need = ci.need[ci.need["need"] > 0]
    got = split.groupby(["depot_id", "sku"])["units"].sum()
    usable = ci.lots[(ci.lots["units"] > 0)
                     & (pd.to_datetime(ci.lots["expiry_date"]).dt.date > ci.delivery_date)]["sku"].unique()
    fill = need.assign(fill=[min(1.0, float(got.get((d, s), 0)) / float(v)) for d, s, v in
                             need[["depot_id", "sku", "need"]].itertuples(index=False)])
    fill = fill[fill["sku"].isin(usable)]
    vital = fill["sku"].map(ci.medicines.set_index("sku")["criticality"]).astype(str) == "vital"
    per_sku = fill.groupby("sku")["fill"].min()
    return {"vital_sku_min_fill_sum": float(per_sku[per_sku.index.isin(fill.loc[vital, "sku"])].sum()),
            "vital_total_fill": float(fill.loc[vital, "fill"].sum()),
            "sku_min_fill_sum": float(per_sku.sum()), "total_fill": float(fill["fill"].sum())}
