"""Central supply: split a consolidated purchase arriving at the central warehouse among the depots, as a HiGHS LP.

Before the weekly allocation, each lot (SKU, units, expiry date) at the central warehouse is split among the
distribution centres. Variables ``x[k]`` = units of central lot ``l`` sent to depot ``d`` (one column per pair
with a need). Constraints:

* lot supply: ``sum_d x[l, d] <= units[l]``; lots expiring on or before the delivery date are not shipped;
* depot need: ``sum_l x[l, d] <= need[d, s]`` for the lots of SKU ``s``, where ``need[d, s]`` is the
  order-up-to shortfall (the allocation's ``need``) of the facilities whose nearest eligible depot is ``d``,
  minus the depot's own usable stock of ``s`` (units): the depot's covered need;
* storage: the m3 shipped of dry SKUs fit the depot's free dry storage (``capacity_m3`` minus the m3 of dry
  stock it already holds, expired lots included: they occupy shelves until disposed of), and the m3 of
  cold-chain SKUs its free cold room (``cold_capacity_m3`` minus the cold stock held).

Objectives, in order (each later tier keeps the earlier optima: a fill-sum tier by a row within a relative
tolerance of at least 1e-6, a max-min tier by keeping every SKU's minimum fill at its optimum), as the weekly
allocation's tiers: (1) vital SKUs' per-SKU minimum depot fill, summed; (2) total vital fill; (3) every SKU's
minimum depot fill, summed; (4) total fill; (5) first-expiry-first-out: ship the lots that expire soonest
(minimise units x years to expiry). Fill = shipped / need (unit-free). Shipments are whole units: the LP
optimum rounded down, then topped up one unit at a time where every row still holds (vital and least-filled
first). Units not shipped stay at the central warehouse, reported as ``storage_full`` (a depot still needed
them but had no room), ``expired`` or ``no_need``.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from optimizer.distribution.settings import AllocationSettings, CentralLot
from optimizer.i18n import Msg, MsgError, msg
from optimizer.solvers.lexicographic import Tier, TierPolicy, solve_tiers
from optimizer.solvers.silence import quiet_highs

SUPPLY_COLS = ("sku", "units", "expiry_date")
#: Depot storage columns of depots.csv (m3); files written before storage was recorded lack them.
STORAGE_COLUMNS = ("capacity_m3", "cold_capacity_m3")
#: Smallest relative slack when fixing a tier's optimum: tighter than HiGHS's 1e-7 feasibility tolerance, the
#: FEFO tier came back "Not Set" on a generated 200-SKU case; 1e-6 of a fill sum is far below one unit.
MIN_TIER_TOLERANCE = 1e-6


class CentralSupplyError(MsgError):
    """A central-supply file or table with a bad row (names the file, row and field, in a reader's language)."""


def read_supply_csv(path: Path) -> pd.DataFrame:
    """Rows ``row, sku, units, expiry_date`` of a central-supply CSV, format-checked (no catalogue needed).

    The checks every reader of such a file shares (``distribute --central-supply`` and a scenario's
    ``distribution.central_supply_file``): the columns are there, ``sku`` is given, ``units`` is a whole number
    >= 0, ``expiry_date`` a date YYYY-MM-DD. Rows are numbered as a spreadsheet shows them (header = row 1,
    blank lines counted); rows with every field empty (a spreadsheet's trailing ``,,``) are skipped. Whether a
    SKU is in the medicines catalogue is checked where the catalogue is at hand (:func:`read_central_supply`,
    :func:`central_lots`). Raises :class:`CentralSupplyError` naming the file, row and field.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except FileNotFoundError as exc:
        raise CentralSupplyError(msg("data.supply.no_file", file=str(path))) from exc
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CentralSupplyError(msg("data.supply.unreadable", file=str(path), detail=str(exc))) from exc
    missing = [c for c in SUPPLY_COLS if c not in table.columns]
    if missing:
        raise CentralSupplyError(msg("data.supply.columns", file=str(path), missing=", ".join(missing),
                                     expected=",".join(SUPPLY_COLS)))
    rows = []
    for i, (sku, units, expiry) in enumerate(table[list(SUPPLY_COLS)].itertuples(index=False), start=2):
        sku, units, expiry = sku.strip(), units.strip(), expiry.strip()
        if not (sku or units or expiry):
            continue
        if not sku:
            raise _bad_cell(path, i, "sku", msg("data.problem.sku_empty"))
        try:
            u = float(units)
        except ValueError:
            u = float("nan")
        if not math.isfinite(u) or u < 0 or u != int(u):
            raise _bad_cell(path, i, "units", msg("data.problem.not_count", value=units))
        try:
            e = dt.date.fromisoformat(expiry)
        except ValueError:
            raise _bad_cell(path, i, "expiry_date", msg("data.problem.not_date", value=expiry)) from None
        rows.append((i, sku, int(u), e.isoformat()))
    return pd.DataFrame(rows, columns=["row", "sku", "units", "expiry_date"])


def _bad_cell(path: Path, row: int, field: str, problem: Msg) -> CentralSupplyError:
    """The error for one bad cell of a central-supply CSV: file, row (header = 1), field and what is wrong."""
    return CentralSupplyError(msg("data.cell", file=str(Path(path)), row=row, field=field, problem=problem))


def read_central_supply(path: Path, medicines: pd.DataFrame) -> pd.DataFrame:
    """Rows ``lot_id, sku, units, expiry_date`` of a central-supply CSV: the format checks of
    :func:`read_supply_csv`, then every ``sku`` must be a key of the medicines catalogue (file, row, field)."""
    table = read_supply_csv(path)
    unknown = table[~table["sku"].isin(set(medicines["sku"]))]
    if len(unknown):
        first = unknown.iloc[0]
        raise _bad_cell(path, int(first["row"]), "sku", msg("data.problem.sku_unknown", value=first["sku"]))
    lot_id = "central/" + table["sku"] + "/" + table["expiry_date"] + "/row" + table["row"].astype(str)
    return table.assign(lot_id=lot_id)[["lot_id", "sku", "units", "expiry_date"]]


def central_lots(lots: list[CentralLot], medicines: pd.DataFrame) -> pd.DataFrame:
    """The lots of ``DistributionSettings.central_supply`` (a scenario's inline supply, or the rows of its
    ``central_supply_file`` in file order) as the table :func:`read_central_supply` returns; a SKU outside the
    catalogue names its item and field."""
    known = set(medicines["sku"])
    rows = []
    for i, lot in enumerate(lots):
        if lot.sku not in known:
            raise CentralSupplyError(msg("data.supply.inline_sku", item=i, value=lot.sku))
        e = lot.expiry_date.isoformat()
        rows.append((f"central/{lot.sku}/{e}/item{i}", lot.sku, int(lot.units), e))
    return pd.DataFrame(rows, columns=["lot_id", "sku", "units", "expiry_date"])


@dataclass
class CentralInput:
    """One central split (units: medicine units, m3).

    * ``lots``: ``lot_id, sku, units, expiry_date`` at the central warehouse;
    * ``need``: ``depot_id, sku, need`` units the depot's facilities still need after the depot's stock;
    * ``depots``: ``depot_id, room_m3, cold_room_m3`` free dry / cold storage (inf = unlimited), with
      ``capacity_m3, cold_capacity_m3, held_m3, held_cold_m3`` for reports and the validator;
    * ``medicines``: ``sku, volume_l, cold_chain, criticality``;
    * ``delivery_date``: lots expiring on or before it are not shipped.
    """

    lots: pd.DataFrame
    need: pd.DataFrame
    depots: pd.DataFrame
    medicines: pd.DataFrame
    delivery_date: dt.date
    warnings: list[str] = field(default_factory=list)


def storage_table(depots: pd.DataFrame, depot_lots: pd.DataFrame, medicines: pd.DataFrame,
                  absent: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """Capacity, m3 held and free room per depot (dry and cold); a missing or blank capacity is unlimited
    (one warning per column naming the depots), a depot holding more than its capacity has no room.

    ``absent``: capacity columns the depots file does not have at all (an older file); the caller warns
    about those once for the file, so they get no per-depot warning here.
    """
    med = medicines.set_index("sku")
    held = depot_lots.assign(
        m3=depot_lots["units"].astype(float) * depot_lots["sku"].map(med["volume_l"]).astype(float) / 1000.0,
        cold=depot_lots["sku"].map(med["cold_chain"]).astype(bool))
    blank: dict[str, list[str]] = {col: [] for col in STORAGE_COLUMNS}
    rows = []
    for d in depots.itertuples(index=False):
        caps = []
        for col in STORAGE_COLUMNS:
            v = getattr(d, col, None)
            v = float("nan") if v is None or v == "" else float(v)
            if math.isnan(v):
                blank[col].append(str(d.depot_id))
                v = math.inf
            caps.append(v)
        mine = held[held["depot_id"] == d.depot_id]
        dry, cold = float(mine.loc[~mine["cold"], "m3"].sum()), float(mine.loc[mine["cold"], "m3"].sum())
        rows.append({"depot_id": d.depot_id, "capacity_m3": caps[0], "cold_capacity_m3": caps[1],
                     "held_m3": dry, "held_cold_m3": cold, "room_m3": max(0.0, caps[0] - dry),
                     "cold_room_m3": max(0.0, caps[1] - cold)})
    warnings = [f"depots.csv, field '{col}': no value at depot {', '.join(ids)}; that storage is treated "
                "as unlimited" for col, ids in blank.items() if ids and col not in absent]
    return pd.DataFrame(rows), warnings


@dataclass
class CentralPlan:
    """The split: ``split`` rows ``depot_id, lot_id, sku, units, expiry_date`` (whole units) and what stays."""

    status: str  # "optimal" | "time_limit" | "infeasible" (of the LP tiers)
    split: pd.DataFrame
    left: pd.DataFrame  # sku, units, storage_full, expired, no_need: units kept at the central warehouse
    by_depot: pd.DataFrame  # depot_id, units, m3, cold_m3, room_m3, cold_room_m3, need and fill (supplied SKUs)
    tiers: dict[str, float] = field(default_factory=dict)
    solve_seconds: float = 0.0
    time_limit: float = 0.0
    seed: int = 0
    explanation: str = ""


def _columns(ci: CentralInput) -> pd.DataFrame:
    """One column per (usable lot, depot with a need for its SKU)."""
    lots = ci.lots.reset_index(drop=True).assign(lot=lambda f: np.arange(len(f)))
    lots = lots[(lots["units"] > 0) & (pd.to_datetime(lots["expiry_date"]).dt.date > ci.delivery_date)]
    need = ci.need[ci.need["need"] > 0].reset_index(drop=True).assign(line=lambda f: np.arange(len(f)))
    cols = lots[["lot", "lot_id", "sku", "expiry_date"]].merge(need[["line", "depot_id", "sku"]], on="sku")
    return cols.reset_index(drop=True)


def solve_central(ci: CentralInput, settings: AllocationSettings | None = None) -> CentralPlan:
    """Lexicographic split of the central lots among depots (see module doc); time limit and seed from
    ``settings`` (per tier), wall time measured around the whole call."""
    settings = settings or AllocationSettings()
    t0 = time.perf_counter()
    med = ci.medicines.set_index("sku")
    need = ci.need[ci.need["need"] > 0].reset_index(drop=True)
    cols = _columns(ci)
    n = len(cols)
    vol = cols["sku"].map(med["volume_l"]).to_numpy(float) / 1000.0
    cold = cols["sku"].map(med["cold_chain"]).astype(bool).to_numpy()
    status, explanation, tiers = "optimal", "", {}
    x = np.zeros(n)
    if n:
        x, status, explanation, tiers = _lexicographic(ci, cols, need, vol, cold, settings)
    if status != "optimal":
        x = np.zeros(n)
    x = _whole_units(x, ci, cols, need, vol, cold)
    split = cols.assign(units=x.astype(int))[["depot_id", "lot_id", "sku", "units", "expiry_date"]]
    split = split[split["units"] > 0].reset_index(drop=True)
    plan = CentralPlan(status, split, _left(ci, split), _by_depot(ci, split), tiers,
                       time_limit=settings.time_limit_s, seed=settings.seed, explanation=explanation)
    plan.solve_seconds = time.perf_counter() - t0
    return plan


def _lexicographic(ci: CentralInput, cols: pd.DataFrame, need: pd.DataFrame, vol: np.ndarray, cold: np.ndarray,
                   settings: AllocationSettings) -> tuple[np.ndarray, str, str, dict[str, float]]:
    """The five LP tiers on HiGHS; returns (x, status, explanation, tier values).

    Columns: ``x`` (units per lot and depot), ``f`` (fill of each depot line, in [0, 1], tied to its units by
    ``sum x - need * f = 0``) and ``t`` (per-SKU minimum fill). Objectives and the rows fixing earlier tiers
    then have unit coefficients: writing them over ``x / need`` (needs from 1 to 10^5 units) left HiGHS with
    an unscaled primal infeasibility (status Unknown) on a generated 200-SKU case.
    """
    n = len(cols)
    med = ci.medicines.set_index("sku")
    need_v = need["need"].to_numpy(float)
    n_lines = len(need_v)
    skus, sku_of = np.unique(cols["sku"].to_numpy(), return_inverse=True)
    m = len(skus)
    inf = highspy.kHighsInf
    h = quiet_highs()
    h.setOptionValue("random_seed", int(settings.seed))
    h.setOptionValue("threads", 2)
    total = n + n_lines + m
    h.addVars(total, np.zeros(total), np.concatenate([np.full(n, inf), np.ones(n_lines + m)]))
    f0, t0 = n, n + n_lines

    def row(idx: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> None:
        if len(idx) and (upper < inf or lower > -inf):
            h.addRow(lower, upper, len(idx), np.asarray(idx, np.int32), np.asarray(vals, float))

    for lot, idx in cols.groupby("lot").indices.items():
        row(idx, np.ones(len(idx)), -inf, float(ci.lots["units"].iloc[lot]))
    line_sku = np.full(n_lines, -1)
    for line, idx in cols.groupby("line").indices.items():
        row(np.append(idx, f0 + line), np.append(np.ones(len(idx)), -need_v[line]), 0.0, 0.0)
        line_sku[line] = sku_of[idx[0]]
        row(np.array([t0 + sku_of[idx[0]], f0 + line]), np.array([1.0, -1.0]), -inf, 0.0)  # t[sku] <= f[line]
    rooms = ci.depots.set_index("depot_id")
    litres = vol * 1000.0  # storage rows in litres: in m3 (2e-5 m3 per unit) HiGHS met scaling trouble
    for depot, idx in cols.groupby("depot_id").indices.items():
        dry, cld = idx[~cold[idx]], idx[cold[idx]]
        row(dry, litres[dry], -inf, float(rooms.at[depot, "room_m3"]) * 1000.0)
        row(cld, litres[cld], -inf, float(rooms.at[depot, "cold_room_m3"]) * 1000.0)
    vital_line = need["sku"].map(med["criticality"]).astype(str).to_numpy() == "vital"
    vital_line &= line_sku >= 0
    vital_sku = np.isin(np.arange(m), line_sku[vital_line]).astype(float)
    years = (pd.to_datetime(cols["expiry_date"]) - pd.Timestamp(ci.delivery_date)).dt.days.to_numpy(float) / 365
    used = (line_sku >= 0).astype(float)
    zx, zf, zt = np.zeros(n), np.zeros(n_lines), np.zeros(m)
    stages = [
        ("vital_sku_min_fill_sum", "max", np.concatenate([zx, zf, vital_sku]), vital_line.any()),
        ("vital_total_fill", "max", np.concatenate([zx, vital_line.astype(float), zt]), vital_line.any()),
        ("sku_min_fill_sum", "max", np.concatenate([zx, zf, np.ones(m)]), True),
        ("total_fill", "max", np.concatenate([zx, used, zt]), True),
        ("fefo_unit_years", "min", np.concatenate([years, zf, zt]), True),
    ]
    # Max-min tiers keep each SKU's minimum fill (t) at its optimum through the columns' lower bounds rather
    # than a row on their sum: such a row left the next tier numerically unstable in HiGHS (status Unknown,
    # primal infeasibility ~1e2 on a generated 200-SKU case); the sum keeps its optimal value either way.
    run = solve_tiers(h, [Tier(name, sense, cost, "bounds" if name.endswith("min_fill_sum") else "row")
                          for name, sense, cost, active in stages if active],
                      TierPolicy(settings.time_limit_s, max(settings.tolerance, MIN_TIER_TOLERANCE),
                                 bound_tolerance=settings.tolerance, retry="not_optimal"))
    x = np.zeros(n) if run.solution is None else run.solution[:n]
    if run.stopped is not None:
        status = "infeasible" if run.status == "infeasible" else "time_limit"
        return x, status, f"tier '{run.stopped}' stopped with HiGHS status {run.reason}", run.values
    return x, "optimal", "", run.values


def _whole_units(x_lp: np.ndarray, ci: CentralInput, cols: pd.DataFrame, need: pd.DataFrame, vol: np.ndarray,
                 cold: np.ndarray) -> np.ndarray:
    """LP units rounded down, then one pass (vital first, least filled first) giving each column back the one
    unit rounding may have cost it, when that unit still fits its lot, its depot's need and its storage
    (``vol``: m3 per unit of each column; ``cold``: its cold chain)."""
    x = np.floor(np.maximum(x_lp, 0.0) + 1e-6)
    if not len(x):
        return x
    lot_units = ci.lots["units"].to_numpy(float)
    rooms = ci.depots.set_index("depot_id")
    med = ci.medicines.set_index("sku")
    lot_of, line_of = cols["lot"].to_numpy(), cols["line"].to_numpy()
    need_v = need["need"].to_numpy(float)
    lot_left = lot_units.astype(float).copy()
    np.subtract.at(lot_left, lot_of, x)
    line_got = np.zeros(len(need_v))
    np.add.at(line_got, line_of, x)
    depot = cols["depot_id"].to_numpy()
    used: dict[tuple[str, bool], float] = {}
    for k in range(len(x)):
        used[(depot[k], bool(cold[k]))] = used.get((depot[k], bool(cold[k])), 0.0) + x[k] * vol[k]
    vital = cols["sku"].map(med["criticality"]).astype(str).to_numpy() == "vital"
    fill = line_got[line_of] / need_v[line_of]
    for k in np.lexsort((fill, ~vital)):
        key = (depot[k], bool(cold[k]))
        room = float(rooms.at[depot[k], "cold_room_m3" if cold[k] else "room_m3"])
        if (x_lp[k] > x[k] + 1e-9 and lot_left[lot_of[k]] >= 1
                and line_got[line_of[k]] + 1 <= need_v[line_of[k]] + 1e-9 and used[key] + vol[k] <= room + 1e-9):
            x[k] += 1
            lot_left[lot_of[k]] -= 1
            line_got[line_of[k]] += 1
            used[key] += vol[k]
    return x


def _left(ci: CentralInput, split: pd.DataFrame) -> pd.DataFrame:
    """Units of each SKU kept at the central warehouse, by reason: expired on delivery, wanted by a depot
    whose storage is full, or not needed this week."""
    lots = ci.lots.assign(expired=pd.to_datetime(ci.lots["expiry_date"]).dt.date <= ci.delivery_date)
    shipped = split.groupby("sku")["units"].sum()
    got = split.groupby(["depot_id", "sku"])["units"].sum()
    unmet = ci.need.set_index(["depot_id", "sku"])["need"].sub(got, fill_value=0).clip(lower=0)
    unmet = unmet.groupby(level="sku").sum()
    rows = []
    for sku, grp in lots.groupby("sku"):
        expired = int(grp.loc[grp["expired"], "units"].sum())
        usable = int(grp.loc[~grp["expired"], "units"].sum())
        left = usable - int(shipped.get(sku, 0))
        full = int(min(left, unmet.get(sku, 0)))
        if left + expired > 0:
            rows.append({"sku": sku, "units": left + expired, "storage_full": full, "expired": expired,
                         "no_need": left - full})
    return pd.DataFrame(rows, columns=["sku", "units", "storage_full", "expired", "no_need"])


def _by_depot(ci: CentralInput, split: pd.DataFrame) -> pd.DataFrame:
    """Units and m3 received per depot, against its free room and its need."""
    med = ci.medicines.set_index("sku")
    s = split.assign(m3=split["units"] * split["sku"].map(med["volume_l"]).astype(float) / 1000.0,
                     cold=split["sku"].map(med["cold_chain"]).astype(bool))
    rows = []
    for d in ci.depots.itertuples(index=False):
        mine = s[s["depot_id"] == d.depot_id]
        mine_need = ci.need[(ci.need["depot_id"] == d.depot_id) & ci.need["sku"].isin(ci.lots["sku"])]
        need = float(mine_need["need"].sum())  # of the SKUs in the central supply
        units = int(mine["units"].sum())
        rows.append({"depot_id": d.depot_id, "units": units,
                     "m3": round(float(mine.loc[~mine["cold"], "m3"].sum()), 4),
                     "cold_m3": round(float(mine.loc[mine["cold"], "m3"].sum()), 4),
                     "room_m3": d.room_m3, "cold_room_m3": d.cold_room_m3, "need": int(need),
                     "fill": round(units / need, 4) if need > 0 else 1.0})
    return pd.DataFrame(rows)

