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


def build_demand(records_dir: Path, facilities: pd.DataFrame, base_facilities: pd.DataFrame,
                 medicines: pd.DataFrame, scenario: Scenario, opened: list[str]) -> DemandTables:
    """Demand tables of a run: aggregate the records, apply catchment moves, then the multipliers.

    ``facilities`` is the table the run uses (after overrides); ``base_facilities`` the table before them
    (it still holds the facilities the scenario closes, whose demand moves to a neighbour).
    """
    check_rules(scenario.demand, medicines)
    surgical = surgical_demand(records_dir)
    weekly = medicine_demand_weekly(records_dir)
    weekly["week"] = pd.to_datetime(weekly["week"])
    closed_rows = base_facilities[base_facilities["clues"].isin(scenario.facilities.close)]
    share = scenario.facilities.catchment_share
    surgical = move_catchment(surgical, ["specialty"], list(SURGICAL_COLUMNS), facilities, opened, share,
                              scenario.facilities.close, closed_rows)
    weekly = move_catchment(weekly, ["sku", "week"], ["units"], facilities, opened, share,
                            scenario.facilities.close, closed_rows)
    surgical, weekly = apply_multipliers(surgical, weekly, facilities, medicines, scenario.demand,
                                         scenario.planning_month)
    return DemandTables(surgical.reset_index(drop=True), weekly.reset_index(drop=True))


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


def move_catchment(demand: pd.DataFrame, keys: list[str], values: list[str], facilities: pd.DataFrame,
                   opened: list[str], share: float, closed: list[str],
                   closed_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Move demand rows between facilities (see module doc); the column totals are preserved exactly.

    ``facilities`` is the table after the overrides (opened ones are open, closed ones are gone);
    ``closed_rows`` holds the rows of closed facilities (their location), when any were closed.
    """
    out = demand.copy()
    moves: list[tuple[str, str, float]] = []  # (from, to, share)
    for clues in opened:
        src = _nearest_same_kind(facilities, clues, exclude=set(opened))
        if src is not None and share > 0:
            moves.append((src, clues, share))
    for clues in closed:
        if closed_rows is None or clues not in set(closed_rows["clues"]):
            continue
        dst = _nearest_same_kind(facilities, clues, exclude=set(closed), closed_rows=closed_rows)
        if dst is not None:
            moves.append((clues, dst, 1.0))
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


def apply_multipliers(surgical: pd.DataFrame, weekly: pd.DataFrame, facilities: pd.DataFrame,
                      medicines: pd.DataFrame, rules: list[DemandMultiplier],
                      planning_month: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Multiply the selected rows of both demand tables by each applicable rule's factor."""
    state_of = dict(zip(facilities["clues"], facilities["cve_ent"].astype(str).str.zfill(2), strict=True))
    group_of = dict(zip(medicines["sku"], medicines["group"], strict=True))
    surgical = surgical.copy()
    weekly = weekly.copy()
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
    return surgical, weekly
