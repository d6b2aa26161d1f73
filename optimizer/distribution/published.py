"""Check the files `bienestar distribute --out DIR` published for a day (and `bienestar urgent` changed) agree.

Read from the folder alone: the day plan ``plan_<day>.json``, the week's ``shipments_<week>.csv``, the
per-vehicle CSV manifests ``manifests_<day>/`` and the workbook ``manifests_<day>.xlsx``. Checked:

* every depot's routes pass the independent route validator (capacities, windows, shifts, cold chain,
  each stop once, distances) on the plan's own matrices;
* the day's shipments are what the plan carries: per (depot, facility, SKU), the units in the plan's stops
  (routed or left unserved for a later day) equal the shipments file's rows for the day (``delivery_day``;
  a file from before that column: the rows of the (depot, facility) pairs the plan serves), urgent rows
  included;
* each routed vehicle has its CSV manifest and workbook sheet, listing exactly its stops' lines in visit
  order, and no other vehicle has one;
* no depot's stock left after the plan is negative.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd

from optimizer.distribution.outputs import manifest_rows, manifest_sheet, shipments_path
from optimizer.distribution.planfile import DayPlan, load_day_plan, plan_path
from optimizer.distribution.validate import validate_routes


def _plan_units(day: DayPlan) -> Counter[tuple[str, str, str]]:
    """Units per (depot, facility, SKU) in the plan's stops, routed or not."""
    units: Counter[tuple[str, str, str]] = Counter()
    for dd in day.depots:
        for s in dd.problem.stops:
            for ln in s.lines:
                units[(dd.depot_id, s.facility, ln.sku)] += int(ln.units)
    return units


def _shipped_units(ship: pd.DataFrame, day: DayPlan) -> Counter[tuple[str, str, str]]:
    """Units per (depot, facility, SKU) the shipments file sends on the plan's day."""
    if "delivery_day" in ship.columns:
        today = ship[ship["delivery_day"] == day.day.isoformat()]
    else:
        pairs = {(dd.depot_id, s.facility) for dd in day.depots for s in dd.problem.stops}
        today = ship[[(d, c) in pairs for d, c in zip(ship["depot_id"], ship["clues"], strict=True)]]
    units: Counter[tuple[str, str, str]] = Counter()
    for d, c, s, u in today[["depot_id", "clues", "sku", "units"]].itertuples(index=False):
        units[(d, c, s)] += int(round(float(u)))
    return units


def _manifest_violations(folder: Path, day: DayPlan) -> list[str]:
    """Each routed vehicle's CSV and sheet list its stops' lines in order; no manifest for anyone else."""
    v: list[str] = []
    tag = day.day.isoformat()
    mdir = folder / f"manifests_{tag}"
    xlsx = folder / f"manifests_{tag}.xlsx"
    sheets = pd.read_excel(xlsx, sheet_name=None, dtype=str) if xlsx.exists() else {}
    expected_files = set()
    for dd in day.depots:
        for r in dd.plan.routes:
            if not r.stops:
                continue
            want = [(x["stop_id"], x["sku"], str(x["units"])) for x in manifest_rows(dd.problem, dd.depot_id, [r])]
            path = mdir / f"{dd.depot_id}_{r.vehicle_id}.csv"
            expected_files.add(path.name)
            if not path.exists():
                v.append(f"vehicle {dd.depot_id}/{r.vehicle_id}: no manifest {path}")
            else:
                got = pd.read_csv(path, dtype=str)
                if list(zip(got["stop_id"], got["sku"], got["units"], strict=True)) != want:
                    v.append(f"{path}: lines differ from the plan's route of {r.vehicle_id}")
            sheet = sheets.get(manifest_sheet(dd.depot_id, r.vehicle_id))
            if sheet is None:
                v.append(f"{xlsx}: no sheet {manifest_sheet(dd.depot_id, r.vehicle_id)}")
            elif list(zip(sheet["stop_id"], sheet["sku"], sheet["units"], strict=True)) != want:
                v.append(f"{xlsx}, sheet {manifest_sheet(dd.depot_id, r.vehicle_id)}: lines differ from the plan")
    extra = sorted(p.name for p in mdir.glob("*.csv") if p.name not in expected_files) if mdir.is_dir() else []
    v.extend(f"{mdir / name}: manifest of a vehicle with no route in the plan" for name in extra)
    return v


def validate_published(folder: Path, day: dt.date) -> list[str]:
    """Violations among the files published for ``day`` in ``folder`` (empty = consistent); see module doc."""
    folder = Path(folder)
    plan = load_day_plan(plan_path(folder, day))
    v: list[str] = []
    for dd in plan.depots:
        v.extend(f"depot {dd.depot_id}: {x}" for x in validate_routes(dd.problem, dd.plan).violations)
        v.extend(f"depot {dd.depot_id}: stock left of {sku} is {u} units" for sku, u in dd.stock_left.items() if u < 0)
    ship_file = shipments_path(folder, day)
    if not ship_file.exists():
        v.append(f"{ship_file}: missing (the week's shipments)")
    else:
        ship = pd.read_csv(ship_file, dtype={"depot_id": str, "clues": str, "sku": str, "delivery_day": str})
        planned, shipped = _plan_units(plan), _shipped_units(ship, plan)
        for key in sorted(set(planned) | set(shipped)):
            if planned[key] != shipped[key]:
                v.append(f"{ship_file.name}: depot {key[0]} -> {key[1]} {key[2]}: {shipped[key]} units shipped on "
                         f"{day.isoformat()}, the day plan carries {planned[key]}")
    v.extend(_manifest_violations(folder, plan))
    return v
