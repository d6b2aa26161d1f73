"""An urgent order after the day's routes are published: one new delivery put into the published plan.

The order (a facility's CLUES, SKUs and units or a load in m3/kg, a delivery window, cold chain or not) becomes
one stop. Every depot of the day plan that still holds the units is tried with ``insertion.insert_urgent``
(cheapest feasible slot, only the receiving route re-optimised); the cheapest insertion wins and is checked
by the independent route validator. A facility not yet on the depot's map gets a new matrix row and column
(haversine x detour, or the distance-matrix file, at each vehicle profile's speed); existing entries are not
touched, so the published routes keep their times and distances. When no vehicle can take the order,
:func:`diagnose` names the binding constraint (depot stock, cold chain, capacity m3/kg, window, shift end).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.distribution.insertion import committed, insert_urgent
from optimizer.distribution.matrix import road_km, seconds
from optimizer.distribution.outputs import clock
from optimizer.distribution.planfile import DayPlan, DepotDay
from optimizer.distribution.problem import ManifestLine, RoutingProblem, Stop, simulate
from optimizer.distribution.validate import validate_routes
from optimizer.i18n import Msg, Said, joined, msg, said

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ITEM = re.compile(r"^\s*([^=\s]+)\s*=\s*(\d+)\s*$")


class UrgentOrderError(ValueError):
    """An urgent order with a bad field (the message names the field and the value)."""


@dataclass(frozen=True)
class UrgentOrder:
    """What the caller asks for: ``items`` as (SKU, units); ``window`` in minutes after midnight (the unloading
    must finish inside it; None = the facility's opening hours); ``m3``/``kg`` override the load computed from
    the items (bulky packing) or give it when no SKU is named."""

    clues: str
    items: tuple[tuple[str, int], ...] = ()
    window: tuple[int, int] | None = None
    cold: bool = False
    m3: float | None = None
    kg: float | None = None
    now: int | None = None  # minutes after midnight: vehicles already on the road keep what they have done


def parse_clock(text: str, name: str = "--now") -> int:
    """``HH:MM`` -> minutes after midnight; field ``name`` named on error."""
    m = re.match(r"^\s*(\d{1,2}):(\d{2})\s*$", text or "")
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 1440:
        raise UrgentOrderError(f"field '{name}': '{text}' is not a time HH:MM")
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_window(text: str) -> tuple[int, int]:
    """``HH:MM-HH:MM`` -> (start, end) in minutes after midnight; field ``--window`` named on error."""
    m = _WINDOW.match(text or "")
    if not m:
        raise UrgentOrderError(f"field '--window': '{text}' is not HH:MM-HH:MM (e.g. 09:00-13:30)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or h1 * 60 + m1 > 1440 or h2 * 60 + m2 > 1440:
        raise UrgentOrderError(f"field '--window': '{text}' has a time outside 00:00-24:00")
    if h2 * 60 + m2 <= h1 * 60 + m1:
        raise UrgentOrderError(f"field '--window': '{text}' ends before it starts")
    return h1 * 60 + m1, h2 * 60 + m2


def parse_item(text: str) -> tuple[str, int]:
    """``SKU=UNITS`` -> (SKU, units > 0); field ``--item`` named on error."""
    m = _ITEM.match(text or "")
    if not m or int(m.group(2)) <= 0:
        raise UrgentOrderError(f"field '--item': '{text}' is not SKU=UNITS with whole units > 0 "
                               "(e.g. 010.000.0104.00=40)")
    return m.group(1), int(m.group(2))


@dataclass
class UrgentOutcome:
    """Where the urgent stop went (or why it could not go anywhere), with the independent check."""

    inserted: bool
    clues: str
    stop_id: str
    m3: float
    kg: float
    cold: bool
    window: str  # HH:MM-HH:MM the unloading must fit in
    depot_id: str = ""
    vehicle_id: str = ""
    seq: int = 0  # 1-based position in the vehicle's route
    eta: str = ""  # HH:MM arrival
    unload_at: str = ""  # HH:MM start of unloading (after any wait for the window)
    extra_km: float = 0.0  # km added to the day's plan
    extra_cost_mxn: float = 0.0  # MXN added (distance cost, plus the fixed cost if an idle vehicle goes out)
    new_vehicle: bool = False  # an idle vehicle was sent out
    route_stops: int = 0  # stops on the receiving route afterwards
    binding: str = ""  # the constraint that stopped every vehicle (not inserted)
    explanation: str = ""  # a Said when not inserted: shown in the reader's language
    violations: list[str] = field(default_factory=list)  # independent validator on the new plan
    changed_files: list[str] = field(default_factory=list)
    solve_seconds: float = 0.0


def _facility(facilities: pd.DataFrame, clues: str) -> pd.Series:
    rows = facilities[facilities["clues"] == clues]
    if rows.empty:
        raise UrgentOrderError(f"field '--clues': '{clues}' is not a facility in the dataset's facilities.csv")
    row = rows.iloc[0]
    if str(row["status"]) != "open":
        raise UrgentOrderError(f"field '--clues': facility {clues} is {row['status']}, not open")
    return row


def _load(order: UrgentOrder, medicines: pd.DataFrame) -> tuple[float, float, bool, tuple[ManifestLine, ...]]:
    """(m3, kg, needs cold chain, manifest lines) of the order; unknown SKUs name field ``--item``."""
    med = medicines.set_index("sku")
    if not order.items and order.m3 is None:
        raise UrgentOrderError("field '--item': give at least one SKU=UNITS, or the load with --m3 (and --kg)")
    m3 = kg = 0.0
    cold = order.cold
    lines = []
    for sku, units in order.items:
        if sku not in med.index:
            raise UrgentOrderError(f"field '--item': SKU '{sku}' is not in the dataset's medicines.csv")
        m3 += units * float(med.at[sku, "volume_l"]) / 1000.0
        kg += units * float(med.at[sku, "weight_kg"])
        sku_cold = bool(med.at[sku, "cold_chain"])
        cold = cold or sku_cold
        lines.append(ManifestLine(sku, str(med.at[sku, "name"]), units, sku_cold))
    if order.m3 is not None:
        if order.m3 <= 0:
            raise UrgentOrderError(f"field '--m3': {order.m3} is not a volume > 0")
        m3 = float(order.m3)
    if order.kg is not None:
        if order.kg < 0:
            raise UrgentOrderError(f"field '--kg': {order.kg} is not a weight >= 0")
        kg = float(order.kg)
    return m3, kg, cold, tuple(lines)


def _with_location(day: DayPlan, dd: DepotDay, clues: str, lat: float, lon: float) -> tuple[RoutingProblem, int]:
    """The depot's problem with ``clues`` on its map: its existing location, or a new last row and column."""
    p = dd.problem
    for s in p.stops:
        if s.facility == clues:
            return p, s.location
    n = p.distance.shape[0]
    ids = [""] * n
    for d in p.depots:
        ids[d.location] = d.depot_id
    for s in p.stops:
        ids[s.location] = s.facility
    coords = np.vstack([np.asarray(p.coords, float), [[lon, lat]]])
    km = road_km([*ids, clues], coords[:, 1], coords[:, 0], day.detour_factor, day.matrix_file)
    metres = np.round(km * 1000.0).astype(np.int64)
    dist = np.zeros((n + 1, n + 1), dtype=np.int64)
    dist[:n, :n] = p.distance
    dist[n, :], dist[:, n] = metres[n, :], metres[:, n]
    durations = []
    for old, speed in zip(p.durations, dd.speeds_kmh, strict=True):
        dur = np.zeros((n + 1, n + 1), dtype=np.int64)
        dur[:n, :n] = old
        full = seconds(km, speed)
        dur[n, :], dur[:, n] = full[n, :], full[:, n]
        durations.append(dur)
    q = copy.copy(p)
    q.distance, q.durations, q.coords = dist, durations, coords
    return q, n


@dataclass(frozen=True)
class Blocker:
    """Why one vehicle cannot take the urgent stop: the first rule it breaks and by how much."""

    stage: int  # 0 stock, 1 cold chain, 2 capacity, 3 time (window / shift end / route under way)
    shortfall: float  # by how much (m3 or kg short, minutes late; 0 for cold chain / stock)
    constraint: str  # stock | cold chain | capacity m3 | capacity kg | window | shift end | route under way
    text: Msg  # the rule broken, in the reader's language when shown


def diagnose(problem: RoutingProblem, plan_routes: list, stop_index: int, now: int | None = None) -> list[Blocker]:
    """Per vehicle, why it cannot take stop ``stop_index``, closest to feasible first.

    Each vehicle is checked in order: cold chain, capacity (the stop plus what it already carries, per
    dimension), then every insertion position for time (the stop's own window, another stop's window pushed
    late, the shift end), keeping the position that misses by the fewest minutes. With ``now`` (time units)
    only the positions and departure ``insert_urgent`` may use are tried.
    """
    s = problem.stops[stop_index]
    routes = {r.vehicle_id: r for r in plan_routes}
    out: list[Blocker] = []
    for t, vid in problem.vehicle_ids():
        vt = problem.vehicle_types[t]
        r = routes.get(vid)
        stops = list(r.stops) if r is not None else []
        if s.cold and not vt.cold:
            out.append(Blocker(1, 0.0, "cold chain", msg("models.urgent.not_cold", vehicle=vid)))
            continue
        load = [sum(problem.stops[i].demand[k] for i in stops) for k in range(len(problem.dimensions))]
        over = [(dim, cap - used, need) for dim, used, cap, need in
                zip(problem.dimensions, load, vt.capacity, s.demand, strict=True) if used + need > cap + 1e-9]
        if over:
            dim, free, need = over[0]
            out.append(Blocker(2, need - max(free, 0.0), f"capacity {dim}",
                               msg("models.urgent.capacity", vehicle=vid, free=f"{max(free, 0.0):.3g}", dim=dim,
                                   need=f"{need:.3g}")))
            continue
        depot = problem.depots[vt.depot]
        end = min(vt.tw_late, depot.tw_late)
        fixed, departure = committed(problem, r, now) if r is not None else (0, None)
        if departure is None:
            departure = max(vt.tw_early, depot.tw_early, now or 0)
        if fixed > len(stops):
            out.append(Blocker(3, math.inf, "route under way", msg("models.urgent.driving_back", vehicle=vid)))
            continue
        best: Blocker | None = None
        for pos in range(fixed, len(stops) + 1):
            cand = stops[:pos] + [stop_index] + stops[pos:]
            sim = simulate(problem, t, cand, departure)
            late = [(start - problem.stops[i].tw_late, i) for i, start in zip(cand, sim.service_starts, strict=True)
                    if start > problem.stops[i].tw_late]
            if late:
                amount, i = max(late)
                who = msg("models.urgent.own_window") if i == stop_index else \
                    msg("models.urgent.stop_window", stop=problem.stops[i].stop_id)
                item = Blocker(3, amount / 60, "window", msg("models.urgent.late", vehicle=vid,
                                                             minutes=math.ceil(amount / 60), window=who))
            elif sim.return_time > end:
                amount = sim.return_time - end
                item = Blocker(3, amount / 60, "shift end", msg("models.urgent.shift_end", vehicle=vid,
                                                                minutes=math.ceil(amount / 60), end=clock(end)))
            else:
                continue
            if best is None or item.shortfall < best.shortfall:
                best = item
        if best is not None:
            out.append(best)
    return sorted(out, key=lambda b: (-b.stage, b.shortfall))


def summarise(blockers: list[tuple[str, float, Blocker]]) -> tuple[str, Said]:
    """(binding constraint, explanation) from (depot, depot-to-facility km, blocker) of every vehicle tried.

    The binding constraint is the one that stopped the closest-to-feasible vehicle of the nearest depot that
    holds the units ("stock" when none does); the explanation gives each depot's closest vehicle for up to
    three depots, nearest first, and counts the vehicles stopped by each rule.
    """
    if not blockers:
        return "fleet", said("models.urgent.no_vehicle")
    best: dict[str, tuple[float, Blocker]] = {}
    for depot, km, b in blockers:
        if depot not in best or (-b.stage, b.shortfall) < (-best[depot][1].stage, best[depot][1].shortfall):
            best[depot] = (km, b)
    nearest = sorted(best.items(), key=lambda kv: kv[1][0])
    counts: dict[str, int] = {}
    for _, _, b in blockers:
        counts[b.constraint] = counts.get(b.constraint, 0) + 1
    parts = joined(*(msg("models.urgent.depot", depot=d, km=f"{km:.0f}", why=b.text) for d, (km, b) in nearest[:3]))
    tally = tuple(msg("models.urgent.stopped_by", count=n, rule=msg(f"models.urgent.rule.{c.replace(' ', '_')}"))
                  for c, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    stocked = [b for _, (_, b) in nearest if b.stage > 0]
    binding = stocked[0].constraint if stocked else "stock"
    return binding, said("models.urgent.summary", depots=parts, tried=len(best), tally=tally)


def place_urgent(day: DayPlan, order: UrgentOrder, facilities: pd.DataFrame, medicines: pd.DataFrame,
                 reopt_seconds: float = 1.0) -> tuple[DayPlan, UrgentOutcome]:
    """The day plan with the urgent stop inserted at the cheapest depot/vehicle/position, and where it went.

    The day plan is returned unchanged when no vehicle can take the order (``outcome.binding`` says why).
    """
    t0 = time.perf_counter()
    fac = _facility(facilities, order.clues)
    m3, kg, cold, lines = _load(order, medicines)
    early, late = order.window if order.window is not None else (int(fac["open_minute"]), int(fac["close_minute"]))
    service = int(round((day.service_minutes + day.service_minutes_per_m3 * m3) * 60))
    k = 1 + sum(1 for dd in day.depots for s in dd.problem.stops if s.stop_id.startswith(f"{order.clues}/urgent/"))
    stop = Stop(stop_id=f"{order.clues}/urgent/{k}", location=0, demand=(m3, kg), tw_early=early * 60,
                tw_late=max(early * 60, late * 60 - service), service=service, cold=cold, required=True,
                facility=order.clues, name=str(fac["name"]), lines=lines)
    out = UrgentOutcome(False, order.clues, stop.stop_id, round(m3, 4), round(kg, 2), cold,
                        f"{clock(early * 60)}-{clock(late * 60)}")
    if not day.depots:
        out.binding, out.explanation = "fleet", said("models.urgent.no_depot", day=day.day.isoformat())
        out.solve_seconds = time.perf_counter() - t0
        return day, out
    best = None
    blockers: list[tuple[str, float, Blocker]] = []  # (depot, km to the facility, why a vehicle cannot take it)
    for dd in day.depots:
        short = joined(*(msg("models.urgent.short", sku=sku, left=dd.stock_left.get(sku, 0), asked=units)
                         for sku, units in order.items if dd.stock_left.get(sku, 0) < units))
        prob, loc = _with_location(day, dd, order.clues, float(fac["lat"]), float(fac["lon"]))
        new_stop = dataclasses.replace(stop, location=loc)
        km = float(prob.distance[prob.depots[0].location, loc]) * prob.distance_unit
        if short:
            blockers.append((dd.depot_id, km, Blocker(0, 0.0, "stock", msg("models.urgent.no_stock", items=short))))
            continue
        now = None if order.now is None else order.now * 60
        p2, plan2, res = insert_urgent(prob, dd.plan, new_stop, reopt_seconds, now)
        if res.inserted:
            if best is None or res.added_cost * p2.cost_unit < best[3].added_cost * best[1].cost_unit:
                best = (dd, p2, plan2, res)
        else:
            probe = copy.copy(prob)
            probe.stops = [*prob.stops, new_stop]
            blockers.extend((dd.depot_id, km, b) for b in diagnose(probe, dd.plan.routes, len(probe.stops) - 1, now))
    if best is None:
        out.binding, out.explanation = summarise(blockers)
        out.solve_seconds = time.perf_counter() - t0
        return day, out
    dd, p2, plan2, res = best
    new = len(p2.stops) - 1
    route = next(r for r in plan2.routes if new in r.stops)
    pos = route.stops.index(new)
    check = validate_routes(p2, plan2)
    was_used = any(r.vehicle_id == route.vehicle_id and r.stops for r in dd.plan.routes)
    out.inserted = True
    out.depot_id, out.vehicle_id, out.seq = dd.depot_id, route.vehicle_id, pos + 1
    out.eta, out.unload_at = clock(route.arrivals[pos]), clock(route.service_starts[pos])
    out.extra_km = round((plan2.distance - dd.plan.distance) * p2.distance_unit, 2)
    out.extra_cost_mxn = round(res.added_cost * p2.cost_unit, 2)
    out.new_vehicle, out.route_stops = not was_used, len(route.stops)
    out.violations = check.violations
    new_day = copy.copy(day)
    new_day.depots = [DepotDay(d.depot_id, p2, plan2, d.speeds_kmh, _stock_after(d.stock_left, order.items))
                      if d is dd else d for d in day.depots]
    out.solve_seconds = time.perf_counter() - t0
    return new_day, out


def _stock_after(stock: dict[str, int], items: tuple[tuple[str, int], ...]) -> dict[str, int]:
    left = dict(stock)
    for sku, units in items:
        left[sku] = left.get(sku, 0) - units
    return {k: v for k, v in left.items() if v > 0}
