"""The demand stage: weekly demand from the records, moved to opened facilities, times the multipliers.

1. ``surgical_demand`` (clues, specialty, procedures_per_week, or_hours_per_week) and
   ``medicine_demand_weekly`` (clues, sku, week, units) come from the records (DuckDB aggregation).
2. Catchment: a facility the scenario opens takes ``catchment_share`` of the demand of the nearest open
   facility of the same kind in its state (a new hospital draws patients from its neighbour); a facility
   the scenario closes hands all its demand to the nearest open facility of its kind in its state. Total
   demand is unchanged by this step.
3. Multipliers: each rule multiplies the rows it selects (state of the facility, specialty, SKU, medicine
   group); a seasonal rule applies only when ``planning_month`` is one of its months. Rules compose by
   product.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.data.aggregate import medicine_demand_weekly, surgical_demand
from optimizer.geo import distance_matrix_km
from optimizer.i18n import msg
from optimizer.scenarios.overrides import OverrideError
from optimizer.scenarios.schema import DemandMultiplier, Scenario

SURGICAL_COLUMNS = ("procedures_per_week", "or_hours_per_week")


@dataclass
class DemandTables:
    """Demand a run uses: surgical per week by hospital x specialty; medicine units by facility x SKU x week."""

    surgical: pd.DataFrame
    medicine_weekly: pd.DataFrame

    def write(self, folder: Path) -> None:
        """Write both tables (CSV) to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.surgical.to_csv(folder / "surgical_demand.csv", index=False)
        self.medicine_weekly.assign(week=self.medicine_weekly["week"].astype(str)).to_csv(
            folder / "medicine_demand_weekly.csv", index=False)

    @classmethod
    def read(cls, folder: Path) -> DemandTables:
        """Read tables written by :meth:`write`."""
        surgical = pd.read_csv(folder / "surgical_demand.csv", dtype={"clues": str, "specialty": str})
        med = pd.read_csv(folder / "medicine_demand_weekly.csv", dtype={"clues": str, "sku": str})
        med["week"] = pd.to_datetime(med["week"])
        return cls(surgical, med)


def check_rules(rules: list[DemandMultiplier], medicines: pd.DataFrame) -> None:
    """Every SKU and group a rule names must exist in medicines.csv (else the rule would silently do nothing)."""
    skus, groups = set(medicines["sku"]), set(medicines["group"])
    for i, rule in enumerate(rules):
        for sku in rule.skus:
            if sku not in skus:
                raise OverrideError(msg("scenario.override.not_sku", rule=i, sku=sku))
        for g in rule.groups:
            if g not in groups:
                raise OverrideError(msg("scenario.override.not_group", rule=i, group=g,
                                        groups=", ".join(sorted(groups))))


@dataclass(frozen=True)
class Catchment:
    """Where a scenario's facility changes move demand (step 2 of the module doc).

    ``facilities`` is the table after the overrides (opened ones are open, closed ones are gone);
    ``closed_rows`` holds the rows of the closed facilities before them (their kind, state and location).
    """

    facilities: pd.DataFrame
    opened: list[str]
    share: float
    closed: list[str]
    closed_rows: pd.DataFrame | None = None

    @classmethod
    def of(cls, scenario: Scenario, facilities: pd.DataFrame, base_facilities: pd.DataFrame,
           opened: list[str]) -> Catchment:
        """The catchment of a run: ``base_facilities`` is the table before the overrides (it still holds the
        facilities the scenario closes)."""
        close = scenario.facilities.close
        return cls(facilities, opened, scenario.facilities.catchment_share, close,
                   base_facilities[base_facilities["clues"].isin(close)])

    def moves(self) -> list[tuple[str, str, float]]:
        """(from, to, share of the demand): each opened facility draws ``share`` from its nearest neighbour;
        each closed facility hands everything to its nearest open neighbour."""
        moves: list[tuple[str, str, float]] = []
        for clues in self.opened:
            src = _nearest_same_kind(self.facilities, clues, exclude=set(self.opened))
            if src is not None and self.share > 0:
                moves.append((src, clues, self.share))
        known = set(self.closed_rows["clues"]) if self.closed_rows is not None else set()
        for clues in self.closed:
            if clues not in known:
                continue
            dst = _nearest_same_kind(self.facilities, clues, exclude=set(self.closed), closed_rows=self.closed_rows)
            if dst is not None:
                moves.append((clues, dst, 1.0))
        return moves


def build_demand(records_dir: Path, catchment: Catchment, medicines: pd.DataFrame,
                 scenario: Scenario) -> DemandTables:
    """Demand tables of a run: aggregate the records, apply the catchment moves, then the multipliers."""
    check_rules(scenario.demand, medicines)
    surgical = surgical_demand(records_dir)
    weekly = medicine_demand_weekly(records_dir)
    weekly["week"] = pd.to_datetime(weekly["week"])
    moved = DemandTables(move_catchment(surgical, ["specialty"], list(SURGICAL_COLUMNS), catchment),
                         move_catchment(weekly, ["sku", "week"], ["units"], catchment))
    out = apply_multipliers(moved, catchment.facilities, medicines, scenario.demand, scenario.planning_month)
    return DemandTables(out.surgical.reset_index(drop=True), out.medicine_weekly.reset_index(drop=True))


def _nearest_same_kind(facilities: pd.DataFrame, clues: str, exclude: set[str],
                       closed_rows: pd.DataFrame | None = None) -> str | None:
    """CLUES of the nearest open facility of the same kind and state as ``clues`` (None when there is none)."""
    source = closed_rows if closed_rows is not None and clues in set(closed_rows["clues"]) else facilities
    me = source[source["clues"] == clues].iloc[0]
    pool = facilities[(facilities["kind"] == me["kind"]) & (facilities["cve_ent"] == me["cve_ent"])
                      & (facilities["status"] == "open") & ~facilities["clues"].isin(exclude | {clues})]
    if pool.empty:
        return None
    d = distance_matrix_km([float(me["lat"])], [float(me["lon"])], pool["lat"].astype(float),
                           pool["lon"].astype(float))[0]
    return str(pool["clues"].iloc[int(np.argmin(d))])


def move_catchment(demand: pd.DataFrame, keys: list[str], values: list[str], catchment: Catchment) -> pd.DataFrame:
    """Move demand rows between facilities (``catchment.moves()``); the column totals are preserved exactly.

    ``keys`` are the columns besides ``clues`` that identify a row; ``values`` the columns that move.
    """
    out = demand.copy()
    moves = catchment.moves()
    for src, dst, frac in moves:
        rows = out[out["clues"] == src]
        if rows.empty:
            continue
        moved = rows.copy()
        moved["clues"] = dst
        moved[values] = rows[values].to_numpy() * frac
        out.loc[rows.index, values] = rows[values].to_numpy() * (1.0 - frac)
        out = pd.concat([out, moved], ignore_index=True)
        out = out.groupby(["clues", *keys], as_index=False, sort=True)[values].sum()
    return out[out[values].sum(axis=1) > 0].reset_index(drop=True) if moves else out


def rule_applies(rule: DemandMultiplier, planning_month: int) -> bool:
    """A seasonal rule applies only in its months."""
    return not rule.months or planning_month in rule.months


def apply_multipliers(demand: DemandTables, facilities: pd.DataFrame, medicines: pd.DataFrame,
                      rules: list[DemandMultiplier], planning_month: int) -> DemandTables:
    """Multiply the selected rows of both demand tables by each applicable rule's factor (new tables)."""
    state_of = dict(zip(facilities["clues"], facilities["cve_ent"].astype(str).str.zfill(2), strict=True))
    group_of = dict(zip(medicines["sku"], medicines["group"], strict=True))
    surgical = demand.surgical.copy()
    weekly = demand.medicine_weekly.copy()
    s_state = surgical["clues"].map(state_of)
    w_state = weekly["clues"].map(state_of)
    w_group = weekly["sku"].map(group_of)
    for rule in rules:
        if not rule_applies(rule, planning_month):
            continue
        if rule.surgical:
            sel = np.ones(len(surgical), dtype=bool)
            if rule.states:
                sel &= s_state.isin(rule.states).to_numpy()
            if rule.specialties:
                sel &= surgical["specialty"].isin([s.value for s in rule.specialties]).to_numpy()
            surgical.loc[sel, list(SURGICAL_COLUMNS)] *= rule.factor
        if rule.medicine:
            sel = np.ones(len(weekly), dtype=bool)
            if rule.states:
                sel &= w_state.isin(rule.states).to_numpy()
            if rule.skus:
                sel &= weekly["sku"].isin(rule.skus).to_numpy()
            if rule.groups:
                sel &= w_group.isin(rule.groups).to_numpy()
            weekly.loc[sel, "units"] *= rule.factor
    return DemandTables(surgical, weekly)
