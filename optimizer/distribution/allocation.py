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

When depot dispatch capacity binds, the SKUs no longer separate and the full LP is solved (national week with a
large central supply: 415k arcs). It is kept tractable by exact means: lines where no shelf-life row can bind
get one column per depot instead of per lot (:class:`_Columns`, ~220k columns), each SKU's max-min fill is
bounded by its value without dispatch rows, later tiers restart the primal simplex from the previous basis,
and the total-fill tier uses the interior point method. The whole allocation has a time budget
(``total_time_limit_s``); a run that spends it returns the best feasible plan at hand with status ``feasible``
and the stopped tier named. ``AllocationPlan.dispatch`` gives each depot's dispatch use and the capacities
that bind (m3, kg, cold m3, cold kg), and the explanation names them.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from optimizer.distribution.settings import AllocationSettings
from optimizer.i18n import joined, msg, said
from optimizer.solvers.lexicographic import Tier, TierPolicy, solve_tiers
from optimizer.solvers.silence import quiet_highs

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

    # Of the LP tiers: "optimal" | "feasible" (the full LP stopped early: best plan at hand, see explanation) |
    # "time_limit" (no plan) | "infeasible"; whole units: see the validator's tiers.
    status: str
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
    dispatch: pd.DataFrame | None = None  # per depot: weekly dispatch used vs capacity, which capacity binds


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
class _Columns:
    """LP columns of the allocation, smaller than the (lot, line) arcs and exactly equivalent.

    A line where a shelf-life (FEFO) row can bind (some lot the facility could not use up before it expires)
    keeps one column per arc (``lot`` >= 0). Every other line gets one column per depot (``lot`` = -1): which
    of the depot's lots of the SKU it draws from is immaterial to its rules, so those units are bounded by the
    depot's pool of usable units of the SKU (``pool``) and are split among lots afterwards (``_expand``).
    Lot rows bound the per-lot columns; pool rows bound all columns of a pool, which leaves room for the
    pooled units in the lots' residuals, so the split always exists (national week: 415k arcs -> 220k columns).
    """

    table: pd.DataFrame  # line, depot_id, clues, sku, km, lot (-1 = pooled), pool, expiry
    room: np.ndarray  # FEFO room per column (inf for pooled columns: no FEFO row can bind)
    pool_units: np.ndarray  # usable units per pool (depot x SKU)
    arc_col: np.ndarray  # column of each arc


def _reduce(arcs: pd.DataFrame, room: np.ndarray, need: np.ndarray, lot_units: np.ndarray,
            free_line: np.ndarray) -> _Columns:
    """Columns for ``arcs``; ``free_line[l]`` says no FEFO row can bind at line l (see :class:`_Columns`)."""
    line_of = arcs["line"].to_numpy()
    pool, _ = pd.factorize(arcs["depot_id"].astype(str) + "|" + arcs["sku"].astype(str))
    pool_units = np.zeros(pool.max() + 1 if len(pool) else 0)
    lots = pd.DataFrame({"pool": pool, "lot": arcs["lot"].to_numpy()}).drop_duplicates("lot")
    np.add.at(pool_units, lots["pool"].to_numpy(), lot_units[lots["lot"].to_numpy()])
    pooled = free_line[line_of]
    arc_col = np.empty(len(arcs), dtype=np.int64)
    own = np.flatnonzero(~pooled)
    t_own = arcs.iloc[own][["line", "depot_id", "clues", "sku", "km", "lot", "expiry"]].assign(pool=pool[own])
    arc_col[own] = np.arange(len(own))
    shared = np.flatnonzero(pooled)
    key = line_of[shared].astype(np.int64) * (len(pool_units) + 1) + pool[shared]
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    t_pool = arcs.iloc[shared[first]][["line", "depot_id", "clues", "sku", "km"]].assign(
        lot=-1, expiry=dt.date.max, pool=pool[shared[first]])
    arc_col[shared] = len(own) + inverse
    table = pd.concat([t_own, t_pool], ignore_index=True)
    col_room = np.concatenate([room[own], np.full(len(uniq), np.inf)])
    return _Columns(table, col_room, pool_units, arc_col)


def _expand(c: _Columns, y: np.ndarray, arcs: pd.DataFrame, lots: pd.DataFrame) -> np.ndarray:
    """Units per arc from units per column: per-lot columns map one to one; each pool's pooled units are
    taken from its lots' residuals (units minus the per-lot columns' draw), first expiry first."""
    x = np.zeros(len(arcs))
    y = np.clip(y, 0.0, None)
    own = c.table["lot"].to_numpy() >= 0
    mine = own[c.arc_col]
    x[mine] = y[c.arc_col[mine]]
    lot_units = lots["units"].to_numpy(float)
    residual = lot_units.copy()
    np.subtract.at(residual, arcs["lot"].to_numpy()[mine], x[mine])
    residual = np.clip(residual, 0.0, None)
    shared = np.flatnonzero(~mine)
    if not len(shared):
        return x
    frame = pd.DataFrame({"arc": shared, "col": c.arc_col[shared], "lot": arcs["lot"].to_numpy()[shared],
                          "expiry": arcs["expiry"].to_numpy()[shared], "pool": c.table["pool"].to_numpy()[
                              c.arc_col[shared]]})
    for _, g in frame.groupby("pool", sort=False):
        pool_lots = g.drop_duplicates("lot").sort_values(["expiry", "lot"])["lot"].to_numpy()
        cols = np.unique(g["col"].to_numpy())
        lot_end = np.cumsum(residual[pool_lots])
        col_end = np.cumsum(y[cols])
        arc_of = dict(zip(zip(g["col"], g["lot"], strict=True), g["arc"], strict=True))
        i = j = 0
        at = 0.0
        while i < len(cols) and j < len(pool_lots):
            step = min(col_end[i], lot_end[j]) - at
            if step > 0:
                x[arc_of[(cols[i], pool_lots[j])]] += step
                at += step
            if col_end[i] <= lot_end[j]:
                i += 1
            else:
                j += 1
    return x


#: Columns from which tiers after the first run the primal simplex (national full LP: vital total fill in
#: 8-15 s against over 60 s with the dual); small LPs (one SKU) keep HiGHS's default dual simplex.
PRIMAL_COLUMNS = 20_000


@dataclass
class _LexResult:
    x: np.ndarray
    tiers: dict[str, float]
    tier_seconds: dict[str, float]
    status: str = "optimal"
    explanation: str = ""


@dataclass
class _Load:
    """Per column (or arc): m3 and kg per unit, and whether it needs the cold chain."""

    vol: np.ndarray
    kg: np.ndarray
    cold: np.ndarray

    def take(self, i: np.ndarray) -> _Load:
        return _Load(self.vol[i], self.kg[i], self.cold[i])


@dataclass
class _Week:
    """What every part of one allocation reads: the order lines (need, criticality), units per lot and each
    depot's weekly dispatch capacity (m3, kg; cold-chain m3, kg)."""

    lines: pd.DataFrame
    lot_units: np.ndarray
    caps: pd.DataFrame


def _lexicographic(c: _Columns, wk: _Week, load: _Load, caps: pd.DataFrame | None, settings: AllocationSettings,
                   deadline: float, t_upper: pd.Series | None = None) -> _LexResult:
    """Solve the five tiers over the columns ``c`` (a subset is fine); ``caps`` None drops the dispatch rows.

    ``t_upper`` (by SKU) bounds each SKU's minimum line fill from above: valid bounds (the SKU's max-min fill
    without dispatch rows) cut nothing feasible and spare the simplex most of the max-min tiers' degeneracy.
    Tiers after the first change only the objective, so the previous optimal basis stays primal feasible; on
    large LPs HiGHS runs the primal simplex from it (``PRIMAL_COLUMNS``). The tiers run on the shared driver
    :func:`optimizer.solvers.lexicographic.solve_tiers` (a numerically "infeasible" tier is re-solved from
    scratch, then with the previous tier's fixing row widened).

    Each tier gets ``settings.time_limit_s`` seconds but never past ``deadline`` (``time.perf_counter``). A tier
    that stops at its limit ends the run: ``x`` is then the last finished tier's optimum (status
    ``feasible``), or nothing when no tier finished (status ``time_limit``)."""
    cols, room, pool_units, lines, lot_units = c.table, c.room, c.pool_units, wk.lines, wk.lot_units
    vol, kg, cold = load.vol, load.kg, load.cold
    n = len(cols)
    need = lines["need"].to_numpy(float)
    line_of = cols["line"].to_numpy()
    if n == 0:
        return _LexResult(np.zeros(0), {}, {})
    # Columns: x (n), then t[s] = minimum line fill of SKU s over the facilities it can reach.
    sku_codes, sku_of_col = np.unique(cols["sku"].to_numpy(), return_inverse=True)
    m = len(sku_codes)
    h = quiet_highs()
    h.setOptionValue("random_seed", int(settings.seed))
    h.setOptionValue("threads", 2)
    inf = highspy.kHighsInf
    t_up = np.ones(m) if t_upper is None else np.minimum(1.0, t_upper.reindex(sku_codes).fillna(1.0).to_numpy())
    h.addVars(n + m, np.zeros(n + m), np.concatenate([np.full(n, inf), t_up]))
    rows = _RowBuilder()
    ar = np.arange(n)
    lot_of = cols["lot"].to_numpy()
    own = lot_of >= 0
    rows.group(lot_of[own], ar[own], np.ones(int(own.sum())), lot_units)
    pool_of = cols["pool"].to_numpy()
    rows.group(pool_of, ar, np.ones(n), pool_units, only=np.unique(pool_of[~own]))
    rows.group(line_of, ar, np.ones(n), need)
    _fefo_rows(rows, cols, room, need)
    if caps is not None:  # depot dispatch capacity per week (all SKUs; cold-chain SKUs alone)
        dep_codes, dep_of = np.unique(cols["depot_id"].to_numpy(), return_inverse=True)
        cap = caps.loc[dep_codes]
        rows.group(dep_of, ar, vol, cap["dispatch_m3"].to_numpy(float))
        rows.group(dep_of, ar, kg, cap["dispatch_kg"].to_numpy(float))
        rows.group(dep_of[cold], ar[cold], vol[cold], cap["cold_dispatch_m3"].to_numpy(float))
        rows.group(dep_of[cold], ar[cold], kg[cold], cap["cold_dispatch_kg"].to_numpy(float))
    # Max-min rows, one per line l reached by a column, SKU s: t[s] - sum(x into l) / need[l] <= 0.
    fill_coef = 1.0 / need[line_of]
    t_of_line = np.zeros(len(lines), dtype=np.int64)
    t_of_line[line_of] = n + sku_of_col
    rows.group(line_of, ar, -fill_coef, np.zeros(len(lines)), extra_col=t_of_line, only=np.unique(line_of))
    rows.flush(h)
    vital_col = lines["criticality"].to_numpy()[line_of] == "vital"
    vital_sku = np.isin(sku_codes, cols.loc[vital_col, "sku"].unique())
    zx, zt = np.zeros(n), np.zeros(m)
    tiers = [
        ("vital_sku_min_fill_sum", "max", np.concatenate([zx, vital_sku.astype(float)]), vital_col.any()),
        ("vital_total_fill", "max", np.concatenate([np.where(vital_col, fill_coef, 0.0), zt]), vital_col.any()),
        ("sku_min_fill_sum", "max", np.concatenate([zx, np.ones(m)]), True),
        ("total_fill", "max", np.concatenate([fill_coef, zt]), True),
        ("transport_m3_km", "min", np.concatenate([vol * cols["km"].to_numpy(float), zt]), True),
    ]
    run = solve_tiers(h, [Tier(name, sense, cost) for name, sense, cost, active in tiers if active],
                      TierPolicy(settings.time_limit_s, settings.tolerance, deadline=deadline,
                                 widen=max(1e-6, settings.tolerance), primal_after_first=n >= PRIMAL_COLUMNS))
    out = _LexResult(np.zeros(n) if run.solution is None else run.solution[:n], run.values, run.seconds,
                     run.status)
    if run.reason == "budget":
        out.explanation = said("models.distribution.tier_not_started", tier=run.stopped)
    elif run.stopped is not None:
        out.explanation = said("models.distribution.tier_stopped", tier=run.stopped,
                               seconds=f"{run.seconds[run.stopped]:.1f}", status=run.reason)
    return out


def solve_allocation(inp: AllocationInput, settings: AllocationSettings | None = None) -> AllocationPlan:
    """Lexicographic allocation (vital max-min, vital total, max-min, total, transport); see module doc.

    Exact decomposition first: without the depot dispatch rows the LP separates by SKU, and the
    lexicographic optimum of a separable problem is the union of the parts' optima. If that union also
    respects every depot's dispatch capacity it is optimal for the full problem; otherwise the full LP
    (all SKUs, with dispatch rows) is solved within what is left of ``settings.total_time_limit_s``. When the
    full LP stops before its last tier, the plan is the best feasible one at hand (status ``feasible``, the
    explanation names the tier): the last finished tier's optimum or the decomposition's plan scaled down to
    each depot's dispatch capacity, whichever fills more, topped up greedily (:func:`_top_up`).
    """
    settings = settings or AllocationSettings()
    t0 = time.perf_counter()
    deadline = t0 + settings.total_time_limit_s
    lines = inp.lines.reset_index(drop=True).copy()
    med = inp.medicines.set_index("sku")
    lines["criticality"] = lines["sku"].map(med["criticality"]).astype(str)
    arcs = build_arcs(inp)
    need = lines["need"].to_numpy(float)
    room = fefo_room(inp, lines, arcs)
    free_line = np.ones(len(lines), dtype=bool)  # no FEFO row can bind: every lot is usable in full
    free_line[arcs["line"].to_numpy()[room < np.maximum(need, 1.0)[arcs["line"].to_numpy()] - 1e-9]] = False
    # Drop arcs that cannot carry one whole usable unit: the facility could not use a unit of that lot
    # before it expires, or the SKU needs cold chain and the depot has no refrigerated capacity.
    cold = arcs["sku"].map(med["cold_chain"]).astype(bool).to_numpy()
    caps = inp.depots.set_index("depot_id")
    cold_cap = arcs["depot_id"].map(caps["cold_dispatch_m3"]).to_numpy(float)
    keep = (room >= 1.0 - 1e-9) & (~cold | (cold_cap > 0))
    arcs, room, cold = arcs[keep].reset_index(drop=True), room[keep], cold[keep]
    lots = inp.lots.reset_index(drop=True)
    vol = arcs["sku"].map(med["volume_l"]).to_numpy(float) / 1000.0  # m3 per unit
    kg = arcs["sku"].map(med["weight_kg"]).to_numpy(float)
    lines["suppliable"] = False
    lines.loc[np.unique(arcs["line"].to_numpy()), "suppliable"] = True
    lot_units = lots["units"].to_numpy(float)
    c = _reduce(arcs, room, need, lot_units, free_line)
    csku = c.table["sku"]
    cvol = csku.map(med["volume_l"]).to_numpy(float) / 1000.0
    ckg = csku.map(med["weight_kg"]).to_numpy(float)
    ccold = csku.map(med["cold_chain"]).astype(bool).to_numpy()
    wk, cload = _Week(lines, lot_units, caps), _Load(cvol, ckg, ccold)

    method = "per-SKU decomposition (dispatch capacity not binding)"
    t_dec = time.perf_counter()
    result = _per_sku(c, wk, cload, None, settings) if settings.decompose else None
    t_dec = time.perf_counter() - t_dec
    y = result.x if result is not None else np.zeros(len(c.table))
    use = dispatch_use(c.table, y, cvol, ckg, ccold, caps)
    if result is None or result.status != "optimal" or use["over"].any():
        method = "full LP (dispatch capacity binding)"
        exact_parts = result is not None and result.status == "optimal"
        t_upper = _sku_min_fill(c.table, y, need) + 1e-7 if exact_parts else None
        # Keep time for the per-SKU completion should the full LP stop early (it costs about a decomposition).
        reserve = 1.5 * t_dec + 5.0 if settings.decompose else 0.0
        full = _lexicographic(c, wk, cload, caps, settings, deadline - reserve, t_upper)
        if full.status in ("feasible", "time_limit"):
            full = _best_at_hand(full, y, use, c, wk, cload, settings)
        result = full
    x = _round_units(_expand(c, result.x, arcs, lots), arcs, room, lots, wk, _Load(vol, kg, cold))
    ship = arcs.assign(units=x)[["depot_id", "lot_id", "clues", "sku", "units", "line"]]
    ship = ship[ship["units"] > 1e-7].reset_index(drop=True)
    shipped = np.bincount(ship["line"].to_numpy(), weights=ship["units"].to_numpy(), minlength=len(lines))
    lines["shipped"] = shipped
    lines["fill"] = np.where(need > 0, np.minimum(1.0, shipped / np.where(need > 0, need, 1.0)), 1.0)
    dispatch = dispatch_use(arcs, x, vol, kg, cold, caps, lp=_expand(c, result.x, arcs, lots))
    explanation = result.explanation
    binding = dispatch_binding(dispatch)
    if binding:
        explanation = joined(explanation, binding)
    return AllocationPlan(
        status=result.status, shipments=ship.drop(columns="line"), lines=lines,
        objective=result.tiers.get("total_fill", 0.0), tiers=result.tiers, tier_seconds=result.tier_seconds,
        solve_seconds=time.perf_counter() - t0, time_limit=settings.time_limit_s, seed=settings.seed,
        explanation=explanation, method=method, dispatch=dispatch,
    )


def _round_units(x_lp: np.ndarray, arcs: pd.DataFrame, room: np.ndarray, lots: pd.DataFrame, wk: _Week,
                 load: _Load) -> np.ndarray:
    """Whole units: round the LP optimum down (keeps every constraint, all coefficients being non-negative),
    then round up, one arc at a time, the fractional arcs whose extra unit still fits every constraint,
    vital lines first and, within them, the least-filled lines first (the LP's priorities)."""
    lines, caps, vol, kg, cold = wk.lines, wk.caps, load.vol, load.kg, load.cold
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


def _sku_min_fill(table: pd.DataFrame, y: np.ndarray, need: np.ndarray) -> pd.Series:
    """Minimum line fill per SKU of plan ``y`` over the lines its columns reach."""
    line_of = table["line"].to_numpy()
    got = np.bincount(line_of, weights=y, minlength=len(need))
    fill = pd.Series(got[line_of] / need[line_of]).groupby(table["sku"].to_numpy()).min()
    return fill


DISPATCH_DIMS = (("m3", "dispatch_m3"), ("kg", "dispatch_kg"), ("cold_m3", "cold_dispatch_m3"),
                 ("cold_kg", "cold_dispatch_kg"))


def dispatch_use(table: pd.DataFrame, x: np.ndarray, vol: np.ndarray, kg: np.ndarray, cold: np.ndarray,
                 caps: pd.DataFrame, lp: np.ndarray | None = None) -> pd.DataFrame:
    """Per depot: m3 and kg dispatched this week (all SKUs; cold-chain SKUs alone) against the fleet's weekly
    capacity, ``over`` when a capacity is exceeded and ``binding``: the capacities the plan uses in full
    (judged on ``lp``, the plan before rounding to whole units, when given; units of 1e-6 relative)."""
    dep = table["depot_id"].to_numpy()
    out = caps[[f for _, f in DISPATCH_DIMS]].copy()
    for which, amount in (("", x), ("lp_", x if lp is None else lp)):
        frame = pd.DataFrame({"depot_id": dep, "m3": amount * vol, "kg": amount * kg,
                              "cold_m3": amount * vol * cold, "cold_kg": amount * kg * cold})
        used = frame.groupby("depot_id")[["m3", "kg", "cold_m3", "cold_kg"]].sum().reindex(out.index, fill_value=0)
        for dim, _ in DISPATCH_DIMS:
            out[which + dim] = used[dim]
    over = np.zeros(len(out), dtype=bool)
    binding = [[] for _ in range(len(out))]
    for dim, cap in DISPATCH_DIMS:
        c = out[cap].to_numpy(float)
        over |= out[dim].to_numpy(float) > c * (1 + 1e-9) + 1e-9
        tight = (c > 0) & (out["lp_" + dim].to_numpy(float) >= c * (1 - 1e-6))
        for k in np.flatnonzero(tight):
            binding[k].append(dim.replace("_", " "))
    out["over"] = over
    out["binding"] = [", ".join(b) for b in binding]
    out["m3_use"] = np.where(out["dispatch_m3"] > 0, out["m3"] / out["dispatch_m3"].where(out["dispatch_m3"] > 0, 1),
                             0.0)
    return out.drop(columns=["lp_" + d for d, _ in DISPATCH_DIMS]).reset_index()


def dispatch_binding(use: pd.DataFrame) -> str:  # a Said, or '' when no depot binds
    """One sentence naming the depots whose weekly dispatch capacity binds ('' when none does)."""
    b = use[use["binding"] != ""]
    if b.empty:
        return ""
    shown = tuple(msg("models.distribution.dispatch_depot", depot=d, what=what, use=f"{u:.0%}")
                  for d, what, u in b[["depot_id", "binding", "m3_use"]].itertuples(index=False))
    return said("models.distribution.dispatch_binds", count=len(b), total=len(use), depots=shown)


def _per_sku(c: _Columns, wk: _Week, load: _Load, shares: pd.DataFrame | None, settings: AllocationSettings
             ) -> _LexResult:
    """The five tiers for each SKU on its own (columns of other SKUs do not enter its rows); ``shares`` (one
    row per (sku, depot_id) with the four dispatch columns) gives each SKU its own slice of every depot's
    dispatch capacity, None drops the dispatch rows. Tier values and times are summed over SKUs."""
    y = np.zeros(len(c.table))
    out = _LexResult(y, {}, {})
    sku = c.table["sku"].to_numpy()
    for s, idx in pd.Series(np.arange(len(c.table))).groupby(sku):
        i = idx.to_numpy()
        caps = None if shares is None else shares.xs(s, level="sku")
        sub = _Columns(c.table.iloc[i].reset_index(drop=True), c.room[i], c.pool_units, c.arc_col)
        part = _lexicographic(sub, wk, load.take(i), caps, settings, math.inf)
        y[i] = part.x
        for k, v in part.tiers.items():
            out.tiers[k] = out.tiers.get(k, 0.0) + v
        for k, v in part.tier_seconds.items():
            out.tier_seconds[k] = out.tier_seconds.get(k, 0.0) + v
        if part.status != "optimal":
            out.status, out.explanation = part.status, part.explanation
    return out


def _shares(c: _Columns, y: np.ndarray, load: _Load, caps: pd.DataFrame) -> pd.DataFrame:
    """Each SKU's slice of each depot's weekly dispatch capacity: what plan ``y`` uses, plus the capacity ``y``
    leaves unused split in proportion to use (equally when nothing is used); slices sum to the capacity."""
    vol, kg, cold = load.vol, load.kg, load.cold
    per_unit = {"dispatch_m3": vol, "dispatch_kg": kg, "cold_dispatch_m3": vol * cold, "cold_dispatch_kg": kg * cold}
    frame = pd.DataFrame({"sku": c.table["sku"].to_numpy(), "depot_id": c.table["depot_id"].to_numpy(),
                          **{k: y * v for k, v in per_unit.items()}})
    used = frame.groupby(["sku", "depot_id"])[list(per_unit)].sum()
    depot = used.index.get_level_values("depot_id")
    for col in per_unit:
        total = used[col].groupby(level="depot_id").transform("sum").to_numpy()
        count = used[col].groupby(level="depot_id").transform("size").to_numpy()
        slack = np.maximum(0.0, caps.loc[depot, col].to_numpy(float) - total)
        weight = np.where(total > 0, used[col].to_numpy() / np.where(total > 0, total, 1.0), 1.0 / count)
        used[col] = used[col].to_numpy() + slack * weight
    return used


def _best_at_hand(full: _LexResult, y_dec: np.ndarray, use_dec: pd.DataFrame, c: _Columns, wk: _Week, load: _Load,
                  settings: AllocationSettings) -> _LexResult:
    """A feasible plan when the full LP stopped early, completed SKU by SKU.

    Start: the last finished tier's optimum (it keeps the earlier tiers optimal) or, when no tier finished, the
    per-SKU decomposition's plan scaled down at each depot to its dispatch capacity (every row is ``<=`` with
    non-negative coefficients, so scaling keeps them all). Completion: each depot's dispatch capacity is cut
    into per-SKU slices (:func:`_shares`: the start's use plus the unused rest), the SKUs then separate and
    each is solved through all five tiers within its slices (the start is feasible there, so no SKU's tier
    value drops below the start's); a greedy pass (:func:`_top_up`) adds what rounding of slices left."""
    if full.tiers:
        y, source = full.x, f"the optimum of tier '{list(full.tiers)[-1]}'"
    else:
        u = use_dec.set_index("depot_id")
        factor = pd.Series(1.0, index=u.index)
        for dim, cap in DISPATCH_DIMS:
            used = u[dim].to_numpy(float)
            ratio = np.where(used > 0, u[cap].to_numpy(float) / np.where(used > 0, used, 1.0), 1.0)
            factor = np.minimum(factor, np.clip(ratio, 0.0, 1.0))
        y = y_dec * pd.Series(factor, index=u.index).reindex(c.table["depot_id"]).to_numpy(float) * (1 - 1e-9)
        source = "the per-SKU plan scaled down to each depot's dispatch capacity"
    done = _per_sku(c, wk, load, _shares(c, y, load, wk.caps) * (1 - 1e-9), settings)
    if done.status == "optimal":
        y, source = done.x, source + ", completed SKU by SKU within per-SKU slices of dispatch capacity"
    y = _top_up(y, c, wk, load)
    note = (f"{full.explanation}; plan = {source}, topped up greedily (feasible; tiers after the stopped one "
            "not proven optimal)")
    return _LexResult(y, full.tiers, full.tier_seconds, "feasible", note)


def _top_up(y: np.ndarray, c: _Columns, wk: _Week, load: _Load) -> np.ndarray:
    """Add units where every row still holds, in two passes (lines up to half their need, then to all of it),
    vital lines first, nearer depots first: more fill without undoing the plan's priorities."""
    lines, lot_units, caps, vol, kg, cold = wk.lines, wk.lot_units, wk.caps, load.vol, load.kg, load.cold
    y = np.clip(y, 0.0, None).copy()
    t = c.table
    need = lines["need"].to_numpy(float)
    line_of = t["line"].to_numpy()
    lot_of = t["lot"].to_numpy()
    pool_of = t["pool"].to_numpy()
    dep_codes, dep_of = np.unique(t["depot_id"].to_numpy(), return_inverse=True)
    cap = caps.loc[dep_codes, [f for _, f in DISPATCH_DIMS]].to_numpy(float)
    per_unit = np.column_stack([vol, kg, vol * cold, kg * cold])
    left_dep = cap - np.array([np.bincount(dep_of, weights=y * per_unit[:, k], minlength=len(dep_codes))
                               for k in range(4)]).T
    got = np.bincount(line_of, weights=y, minlength=len(need))
    left_pool = c.pool_units - np.bincount(pool_of, weights=y, minlength=len(c.pool_units))
    own = lot_of >= 0
    left_lot = lot_units - np.bincount(lot_of[own], weights=y[own], minlength=len(lot_units))
    expiry = t["expiry"].to_numpy()
    own_of_line: dict[int, np.ndarray] = {}
    for k in np.flatnonzero(own):
        own_of_line.setdefault(int(line_of[k]), []).append(k)
    own_of_line = {line: np.asarray(ks) for line, ks in own_of_line.items()}
    vital = (lines["criticality"].to_numpy() == "vital")[line_of]
    order = np.lexsort((t["km"].to_numpy(float), ~vital))
    for level in (0.5, 1.0):
        for k in order:
            line = line_of[k]
            amount = min(level * need[line] - got[line], left_pool[pool_of[k]])
            if own[k]:
                amount = min(amount, left_lot[lot_of[k]])
                same = own_of_line[line]
                for j in same[expiry[same] >= expiry[k]]:
                    amount = min(amount, c.room[j] - y[same[expiry[same] <= expiry[j]]].sum())
            for d in range(4):
                if per_unit[k, d] > 0:
                    amount = min(amount, left_dep[dep_of[k], d] / per_unit[k, d])
            if amount <= 1e-9:
                continue
            y[k] += amount
            got[line] += amount
            left_pool[pool_of[k]] -= amount
            if own[k]:
                left_lot[lot_of[k]] -= amount
            left_dep[dep_of[k]] -= amount * per_unit[k]
    return y
