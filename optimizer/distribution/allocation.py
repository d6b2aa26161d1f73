"""Stage 1: what each depot ships to each facility this week, as a lexicographic LP solved by HiGHS.

Variables: ``x[a]`` units shipped along arc ``a`` = (lot at a depot, order line of a facility for that SKU).
Constraints:

* lot supply: a lot (depot stock row or supply arriving this week) ships at most its units;
* order line: a facility receives at most its need (order-up-to level minus usable stock on hand);
* shelf life (FEFO): for each lot expiry date ``e`` reaching a line, the units expiring by ``e`` that the
  facility would hold (shipped plus on hand) must not exceed what it consumes by ``e``
  (``daily rate * (e - delivery date)``), so nothing shipped expires before use; lots already expired on the
  delivery date get no arc at all;
* depot dispatch capacity for the week (m3 and kg, from the depot's fleet): all SKUs within the whole fleet's
  capacity, cold-chain SKUs within the refrigerated vehicles' capacity.

Objectives, solved in order, each later tier keeping the earlier optima (within a relative tolerance):

1. vital first, fairly: for every vital SKU, the minimum line fill over the facilities it can reach
   (max-min per SKU), summed over vital SKUs, maximised;
2. maximise the total vital line fill;
3. fairness for everything: the same max-min per SKU, summed over all SKUs;
4. maximise the total line fill;
5. minimise transport effort (m3 x road km), so ties go to the nearer depot.

A line's fill is ``shipped / need`` (unit-free, so tablets and vials weigh alike). Max-min is taken per SKU
across facilities: with SKUs coupled only through depot dispatch capacity, summing the per-SKU minima gives
each medicine its own max-min share whenever capacity is not binding. (A single max-min over *facility*
averages was tried first: on the national instance, 209k arcs, HiGHS needed over 400 s for that tier alone.)
Lines no eligible depot can supply are reported but left out of the max-min rows (they would pin the
minimum at zero). Shipments are whole units: the LP optimum rounded down, then topped up greedily by one unit
where every constraint still holds (vital and least-filled lines first).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from optimizer.distribution.settings import AllocationSettings
from optimizer.highs import quiet_highs

LINE_COLS = ["clues", "sku", "need", "daily_rate"]
LOT_COLS = ["lot_id", "depot_id", "sku", "units", "expiry_date"]
ONHAND_COLS = ["clues", "sku", "units", "expiry_date"]
MEDICINE_COLS = ["sku", "volume_l", "weight_kg", "cold_chain", "criticality"]
DEPOT_COLS = ["depot_id", "dispatch_m3", "dispatch_kg", "cold_dispatch_m3", "cold_dispatch_kg"]
ARC_COLS = ["depot_id", "clues", "km"]


class AllocationInputError(ValueError):
    """Allocation tables that are inconsistent (names the table, row and field)."""


@dataclass
class AllocationInput:
    """Tables of one week's allocation (units: medicine units, days, m3, kg, road km).

    * ``lines``: ``clues, sku, need, daily_rate`` (need in units; daily_rate = forecast units per day);
    * ``lots``: ``lot_id, depot_id, sku, units, expiry_date`` (depot stock and supply arriving this week);
    * ``onhand``: ``clues, sku, units, expiry_date`` (usable stock at facilities, for the FEFO rule);
    * ``medicines``: ``sku, volume_l, weight_kg, cold_chain, criticality``;
    * ``depots``: ``depot_id, dispatch_m3, dispatch_kg, cold_dispatch_m3, cold_dispatch_kg`` (per week);
    * ``arcs``: ``depot_id, clues, km`` (which depot may supply which facility, and the road distance);
    * ``delivery_date``: the date shipments arrive (shelf life counts from it).
    """

    lines: pd.DataFrame
    lots: pd.DataFrame
    onhand: pd.DataFrame
    medicines: pd.DataFrame
    depots: pd.DataFrame
    arcs: pd.DataFrame
    delivery_date: dt.date

    def __post_init__(self) -> None:
        for name, cols in (("lines", LINE_COLS), ("lots", LOT_COLS), ("onhand", ONHAND_COLS),
                           ("medicines", MEDICINE_COLS), ("depots", DEPOT_COLS), ("arcs", ARC_COLS)):
            frame = getattr(self, name)
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise AllocationInputError(f"allocation table '{name}': missing columns {missing}")
        for name, col in (("lines", "need"), ("lines", "daily_rate"), ("lots", "units"), ("onhand", "units")):
            frame = getattr(self, name)
            bad = frame.index[pd.to_numeric(frame[col], errors="coerce").fillna(-1) < 0]
            if len(bad):
                row = bad[0]
                raise AllocationInputError(
                    f"allocation table '{name}', row {row}, field '{col}': {frame.at[row, col]!r} is not a "
                    "non-negative number"
                )
        known = set(self.medicines["sku"])
        for name in ("lines", "lots"):
            frame = getattr(self, name)
            unknown = frame.index[~frame["sku"].isin(known)]
            if len(unknown):
                row = unknown[0]
                raise AllocationInputError(
                    f"allocation table '{name}', row {row}, field 'sku': {frame.at[row, 'sku']} is not in the "
                    "medicines catalogue"
                )


@dataclass
class AllocationPlan:
    """Shipments and fill rates; ``tiers`` holds each lexicographic optimum in order."""

    status: str  # of the LP tiers: "optimal" | "time_limit" | "infeasible" (whole units: see validator tiers)
    shipments: pd.DataFrame  # depot_id, lot_id, clues, sku, units (whole units, see ``_round_units``)
    lines: pd.DataFrame  # clues, sku, need, shipped, fill, criticality, suppliable
    objective: float = 0.0  # tier-4 value: total line fill
    tiers: dict[str, float] = field(default_factory=dict)
    tier_seconds: dict[str, float] = field(default_factory=dict)  # wall time of each tier's HiGHS run
    method: str = ""  # per-SKU decomposition or full LP
    solve_seconds: float = 0.0
    time_limit: float = 0.0
    seed: int = 0
    explanation: str = ""


def build_arcs(inp: AllocationInput) -> pd.DataFrame:
    """Every usable (lot, line) pair: same SKU, depot eligible for the facility, lot not expired on arrival."""
    lines = inp.lines.reset_index(drop=True).copy()
    lines["line"] = np.arange(len(lines))
    lots = inp.lots.reset_index(drop=True).copy()
    lots["lot"] = np.arange(len(lots))
    lots["expiry"] = pd.to_datetime(lots["expiry_date"]).dt.date
    lots = lots[(lots["units"] > 0) & (lots["expiry"] > inp.delivery_date)]
    lines = lines[lines["need"] > 0]
    a = lines.merge(inp.arcs[ARC_COLS], on="clues").merge(lots[["lot", "lot_id", "depot_id", "sku", "expiry"]],
                                                           on=["depot_id", "sku"])
    return a[["line", "lot", "lot_id", "depot_id", "clues", "sku", "km", "expiry"]].reset_index(drop=True)


class _RowBuilder:
    """Collects ``<=`` rows as sparse triplets and passes them to HiGHS in one call."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.count = 0

    def group(self, key: np.ndarray, cols: np.ndarray, vals: np.ndarray, upper: np.ndarray,
              extra_col: np.ndarray | None = None, only: np.ndarray | None = None) -> None:
        """One row per distinct ``key`` value k (0..len(upper)-1, or those in ``only``):
        ``sum(vals[key == k] * x[cols]) (+ x[extra_col[k]]) <= upper[k]``."""
        keys = np.flatnonzero(np.bincount(key, minlength=len(upper)) > 0) if only is None else np.asarray(only)
        if not len(keys):
            return
        pos = np.full(len(upper), -1)
        pos[keys] = np.arange(len(keys)) + self.count
        keep = pos[key] >= 0
        self.r.append(pos[key][keep])
        self.c.append(cols[keep])
        self.v.append(vals[keep])
        if extra_col is not None:
            self.r.append(np.arange(len(keys)) + self.count)
            self.c.append(np.asarray(extra_col)[keys])
            self.v.append(np.ones(len(keys)))
        self.ub.append(np.asarray(upper, float)[keys])
        self.count += len(keys)

    def add(self, cols: np.ndarray, vals: np.ndarray, upper: float) -> None:
        """A single row ``sum(vals * x[cols]) <= upper``."""
        self.r.append(np.full(len(cols), self.count))
        self.c.append(np.asarray(cols))
        self.v.append(np.asarray(vals, float))
        self.ub.append(np.array([upper]))
        self.count += 1

    def flush(self, h: highspy.Highs) -> None:
        if not self.count:
            return
        r, c, v = np.concatenate(self.r), np.concatenate(self.c), np.concatenate(self.v)
        order = np.lexsort((c, r))
        r, c, v = r[order], c[order], v[order]
        starts = np.searchsorted(r, np.arange(self.count)).astype(np.int32)
        lower = np.full(self.count, -highspy.kHighsInf)
        h.addRows(self.count, lower, np.concatenate(self.ub), len(c), starts, c.astype(np.int32), v)


def fefo_room(inp: AllocationInput, lines: pd.DataFrame, arcs: pd.DataFrame) -> np.ndarray:
    """Per arc: units of its lot's expiry date (or earlier) the facility can still use before that date,
    after the stock it already holds that expires no later (FEFO): ``max(0, rate * days - on hand)``."""
    if arcs.empty:
        return np.zeros(0)
    days = np.array([(e - inp.delivery_date).days for e in arcs["expiry"]], dtype=float)
    consumable = lines["daily_rate"].to_numpy(float)[arcs["line"].to_numpy()] * days
    onhand = inp.onhand.copy()
    onhand["expiry"] = pd.to_datetime(onhand["expiry_date"]).dt.date
    onhand = onhand[onhand["expiry"] > inp.delivery_date]
    on_before = np.zeros(len(arcs))
    if len(onhand):
        m = arcs[["clues", "sku", "expiry"]].reset_index().merge(onhand, on=["clues", "sku"], suffixes=("", "_oh"))
        m = m[m["expiry_oh"] <= m["expiry"]]
        np.add.at(on_before, m["index"].to_numpy(), m["units"].to_numpy(float))
    return np.maximum(0.0, consumable - on_before)


def _fefo_rows(rows: _RowBuilder, arcs: pd.DataFrame, room: np.ndarray, need: np.ndarray) -> None:
    """FEFO shelf-life rows, only for (line, expiry) pairs where they can bind (room below the need)."""
    line_of = arcs["line"].to_numpy()
    binding = np.flatnonzero(room < need[line_of])
    if not len(binding):
        return
    expiry = arcs["expiry"].to_numpy()
    by_line = {line: np.flatnonzero(line_of == line) for line in np.unique(line_of[binding])}
    done: set[tuple[int, object]] = set()
    for k in binding:
        line, e = int(line_of[k]), expiry[k]
        if (line, e) in done:
            continue
        done.add((line, e))
        cols = by_line[line][expiry[by_line[line]] <= e]
        rows.add(cols, np.ones(len(cols)), float(room[k]))


@dataclass
class _LexResult:
    x: np.ndarray
    tiers: dict[str, float]
    tier_seconds: dict[str, float]
    status: str = "optimal"
    explanation: str = ""


def _lexicographic(arcs: pd.DataFrame, room: np.ndarray, lines: pd.DataFrame, lots: pd.DataFrame,
                   vol: np.ndarray, kg: np.ndarray, cold: np.ndarray, caps: pd.DataFrame | None,
                   settings: AllocationSettings) -> _LexResult:
    """Solve the five tiers over ``arcs`` (a subset is fine); ``caps`` None drops the dispatch rows."""
    n = len(arcs)
    need = lines["need"].to_numpy(float)
    line_of = arcs["line"].to_numpy()
    if n == 0:
        return _LexResult(np.zeros(0), {}, {})
    # Columns: x (n arcs), then t[s] = minimum line fill of SKU s over the facilities it can reach.
    sku_codes, sku_of_arc = np.unique(arcs["sku"].to_numpy(), return_inverse=True)
    m = len(sku_codes)
    h = quiet_highs()
    h.setOptionValue("random_seed", int(settings.seed))
    h.setOptionValue("threads", 2)
    inf = highspy.kHighsInf
    h.addVars(n + m, np.zeros(n + m), np.concatenate([np.full(n, inf), np.ones(m)]))
    rows = _RowBuilder()
    ar = np.arange(n)
    rows.group(arcs["lot"].to_numpy(), ar, np.ones(n), lots["units"].to_numpy(float))
    rows.group(line_of, ar, np.ones(n), need)
    _fefo_rows(rows, arcs, room, need)
    if caps is not None:  # depot dispatch capacity per week (all SKUs; cold-chain SKUs alone)
        dep_codes, dep_of = np.unique(arcs["depot_id"].to_numpy(), return_inverse=True)
        c = caps.loc[dep_codes]
        rows.group(dep_of, ar, vol, c["dispatch_m3"].to_numpy(float))
        rows.group(dep_of, ar, kg, c["dispatch_kg"].to_numpy(float))
        rows.group(dep_of[cold], ar[cold], vol[cold], c["cold_dispatch_m3"].to_numpy(float))
        rows.group(dep_of[cold], ar[cold], kg[cold], c["cold_dispatch_kg"].to_numpy(float))
    # Max-min rows, one per line l reached by an arc, SKU s: t[s] - sum(x into l) / need[l] <= 0.
    fill_coef = 1.0 / need[line_of]
    t_of_line = np.zeros(len(lines), dtype=np.int64)
    t_of_line[line_of] = n + sku_of_arc
    rows.group(line_of, ar, -fill_coef, np.zeros(len(lines)), extra_col=t_of_line, only=np.unique(line_of))
    rows.flush(h)
    vital_arc = lines["criticality"].to_numpy()[line_of] == "vital"
    vital_sku = np.isin(sku_codes, arcs.loc[vital_arc, "sku"].unique())
    zx, zt = np.zeros(n), np.zeros(m)
    tiers = [
        ("vital_sku_min_fill_sum", "max", np.concatenate([zx, vital_sku.astype(float)]), vital_arc.any()),
        ("vital_total_fill", "max", np.concatenate([np.where(vital_arc, fill_coef, 0.0), zt]), vital_arc.any()),
        ("sku_min_fill_sum", "max", np.concatenate([zx, np.ones(m)]), True),
        ("total_fill", "max", np.concatenate([fill_coef, zt]), True),
        ("transport_m3_km", "min", np.concatenate([vol * arcs["km"].to_numpy(float), zt]), True),
    ]
    out = _LexResult(np.zeros(n), {}, {})
    for name, sense, cost, active in tiers:
        if not active:
            continue
        h.changeColsCost(n + m, np.arange(n + m, dtype=np.int32), cost)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize)
        t_tier = time.perf_counter()
        # HiGHS counts its time limit over the object's life; give each tier its own budget.
        h.setOptionValue("time_limit", float(h.getRunTime() + settings.time_limit))
        h.run()
        ms = h.getModelStatus()
        out.tier_seconds[name] = time.perf_counter() - t_tier
        if ms != highspy.HighsModelStatus.kOptimal:
            out.status = "infeasible" if ms == highspy.HighsModelStatus.kInfeasible else "time_limit"
            out.explanation = f"tier '{name}' stopped with HiGHS status {h.modelStatusToString(ms)}"
            break
        value = float(h.getInfo().objective_function_value)
        out.tiers[name] = value
        out.x = np.asarray(h.getSolution().col_value[:n])
        nz = np.flatnonzero(cost)
        slack = settings.tolerance * max(1.0, abs(value))
        lo, up = (value - slack, inf) if sense == "max" else (-inf, value + slack)
        h.addRow(lo, up, len(nz), nz.astype(np.int32), cost[nz])
    return out


def solve_allocation(inp: AllocationInput, settings: AllocationSettings | None = None) -> AllocationPlan:
    """Lexicographic allocation (vital max-min, vital total, max-min, total, transport); see module doc.

    Exact decomposition first: without the depot dispatch rows the LP separates by SKU, and the
    lexicographic optimum of a separable problem is the union of the parts' optima. If that union also
    respects every depot's dispatch capacity it is optimal for the full problem; otherwise the full LP
    (all SKUs, with dispatch rows) is solved.
    """
    settings = settings or AllocationSettings()
    t0 = time.perf_counter()
    lines = inp.lines.reset_index(drop=True).copy()
    med = inp.medicines.set_index("sku")
    lines["criticality"] = lines["sku"].map(med["criticality"]).astype(str)
    arcs = build_arcs(inp)
    # Drop arcs that cannot carry one whole usable unit: the facility could not use a unit of that lot
    # before it expires, or the SKU needs cold chain and the depot has no refrigerated capacity.
    room = fefo_room(inp, lines, arcs)
    cold = arcs["sku"].map(med["cold_chain"]).astype(bool).to_numpy()
    caps = inp.depots.set_index("depot_id")
    cold_cap = arcs["depot_id"].map(caps["cold_dispatch_m3"]).to_numpy(float)
    keep = (room >= 1.0 - 1e-9) & (~cold | (cold_cap > 0))
    arcs, room, cold = arcs[keep].reset_index(drop=True), room[keep], cold[keep]
    lots = inp.lots.reset_index(drop=True)
    vol = arcs["sku"].map(med["volume_l"]).to_numpy(float) / 1000.0  # m3 per unit
    kg = arcs["sku"].map(med["weight_kg"]).to_numpy(float)
    need = lines["need"].to_numpy(float)
    lines["suppliable"] = False
    lines.loc[np.unique(arcs["line"].to_numpy()), "suppliable"] = True

    method = "per-SKU decomposition (dispatch capacity not binding)"
    parts = []
    groups = pd.Series(np.arange(len(arcs))).groupby(arcs["sku"].to_numpy()) if settings.decompose else []
    for _, idx in groups:
        i = idx.to_numpy()
        sub = arcs.iloc[i].reset_index(drop=True)
        parts.append((i, _lexicographic(sub, room[i], lines, lots, vol[i], kg[i], cold[i], None, settings)))
    x = np.zeros(len(arcs))
    result = _LexResult(x, {}, {})
    for i, part in parts:
        x[i] = part.x
        for k, v in part.tiers.items():
            result.tiers[k] = result.tiers.get(k, 0.0) + v
        for k, v in part.tier_seconds.items():
            result.tier_seconds[k] = result.tier_seconds.get(k, 0.0) + v
        if part.status != "optimal":
            result.status, result.explanation = part.status, part.explanation
    if not settings.decompose or result.status != "optimal" or not _within_dispatch(arcs, x, vol, kg, cold, caps):
        method = "full LP (dispatch capacity binding)"
        result = _lexicographic(arcs, room, lines, lots, vol, kg, cold, caps, settings)
    x = _round_units(result.x, arcs, room, lines, lots, vol, kg, cold, caps)
    ship = arcs.assign(units=x)[["depot_id", "lot_id", "clues", "sku", "units", "line"]]
    ship = ship[ship["units"] > 1e-7].reset_index(drop=True)
    shipped = np.bincount(ship["line"].to_numpy(), weights=ship["units"].to_numpy(), minlength=len(lines))
    lines["shipped"] = shipped
    lines["fill"] = np.where(need > 0, np.minimum(1.0, shipped / np.where(need > 0, need, 1.0)), 1.0)
    return AllocationPlan(
        status=result.status, shipments=ship.drop(columns="line"), lines=lines,
        objective=result.tiers.get("total_fill", 0.0), tiers=result.tiers, tier_seconds=result.tier_seconds,
        solve_seconds=time.perf_counter() - t0, time_limit=settings.time_limit, seed=settings.seed,
        explanation=result.explanation, method=method,
    )


def _round_units(x_lp: np.ndarray, arcs: pd.DataFrame, room: np.ndarray, lines: pd.DataFrame,
                 lots: pd.DataFrame, vol: np.ndarray, kg: np.ndarray, cold: np.ndarray,
                 caps: pd.DataFrame) -> np.ndarray:
    """Whole units: round the LP optimum down (keeps every constraint, all coefficients being non-negative),
    then round up, one arc at a time, the fractional arcs whose extra unit still fits every constraint,
    vital lines first and, within them, the least-filled lines first (the LP's priorities)."""
    x = np.floor(np.clip(x_lp, 0.0, None) + 1e-5)
    frac = x_lp - x
    cand = np.flatnonzero(frac > 1e-5)
    if not len(cand):
        return x
    need = lines["need"].to_numpy(float)
    line_of = arcs["line"].to_numpy()
    lot_of = arcs["lot"].to_numpy()
    expiry = arcs["expiry"].to_numpy()
    dep = arcs["depot_id"].to_numpy()
    lot_left = lots["units"].to_numpy(float).copy()
    np.subtract.at(lot_left, lot_of, x)
    got = np.zeros(len(lines))
    np.add.at(got, line_of, x)
    used = {d: np.zeros(4) for d in np.unique(dep)}
    for k in np.flatnonzero(x > 0):
        used[dep[k]] += x[k] * np.array([vol[k], kg[k], vol[k] * cold[k], kg[k] * cold[k]])
    cap = {d: caps.loc[d, ["dispatch_m3", "dispatch_kg", "cold_dispatch_m3", "cold_dispatch_kg"]].to_numpy(float)
           for d in used}
    arcs_of_line: dict[int, np.ndarray] = {}
    vital = (lines["criticality"].to_numpy() == "vital")[line_of]
    order = sorted(cand, key=lambda k: (not vital[k], got[line_of[k]] / need[line_of[k]], -frac[k]))
    for k in order:
        line = line_of[k]
        if lot_left[lot_of[k]] < 1 - 1e-9 or got[line] + 1 > need[line] + 1e-9:
            continue
        add = np.array([vol[k], kg[k], vol[k] * cold[k], kg[k] * cold[k]])
        if np.any(used[dep[k]] + add > cap[dep[k]] + 1e-9):
            continue
        same = arcs_of_line.setdefault(line, np.flatnonzero(line_of == line))
        later = same[expiry[same] >= expiry[k]]
        if any(x[same[expiry[same] <= expiry[j]]].sum() + 1 > room[j] + 1e-9 for j in later):
            continue
        x[k] += 1
        lot_left[lot_of[k]] -= 1
        got[line] += 1
        used[dep[k]] += add
    return x


def _within_dispatch(arcs: pd.DataFrame, x: np.ndarray, vol: np.ndarray, kg: np.ndarray, cold: np.ndarray,
                     caps: pd.DataFrame) -> bool:
    """True when shipping ``x`` keeps every depot within its weekly dispatch capacity."""
    dep = arcs["depot_id"].to_numpy()
    for d in np.unique(dep):
        m = dep == d
        c = caps.loc[d]
        mc = m & cold
        if (x[m] @ vol[m] > c["dispatch_m3"] + 1e-9 or x[m] @ kg[m] > c["dispatch_kg"] + 1e-9
                or x[mc] @ vol[mc] > c["cold_dispatch_m3"] + 1e-9 or x[mc] @ kg[mc] > c["cold_dispatch_kg"] + 1e-9):
            return False
    return True
