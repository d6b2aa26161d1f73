"""Roster outputs for HR staff: a readable text grid, CSV, and an XLSX workbook with a sheet per unit.

People are rows, days are columns (``D01 Mon``...), cells hold the shift code (empty = day off). Units are
the roles/services of the hospital (``HospitalInstance.units``); a benchmark roster is one unit "all".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.rostering.instance import Roster, RosterInstance

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_labels(horizon: int) -> list[str]:
    """Column labels ``D01 Mon`` ... for a horizon that starts on a Monday."""
    return [f"D{d + 1:02d} {_DAY_NAMES[d % 7]}" for d in range(horizon)]


def roster_frame(inst: RosterInstance, roster: Roster, people: list[str] | None = None) -> pd.DataFrame:
    """Wide table: one row per person (``staff_id``, ``role``, ``hours``), one column per day."""
    lengths = {s.id: s.length for s in inst.shifts}
    role = {e.id: e.role for e in inst.staff}
    ids = people if people is not None else inst.staff_ids
    rows = []
    for eid in ids:
        row = roster[eid]
        rows.append([eid, role[eid], sum(lengths[x] for x in row if x) / 60.0, *row])
    return pd.DataFrame(rows, columns=["staff_id", "role", "hours", *day_labels(inst.horizon)])


def grid_text(inst: RosterInstance, roster: Roster, units: dict[str, list[str]] | None = None) -> str:
    """A fixed-width grid per unit: ``.`` is a day off, weeks separated by ``|``."""
    units = units or {"all": inst.staff_ids}
    width = max(len(s) for s in inst.shift_ids)
    lines: list[str] = []
    name_w = max([len(e) for e in inst.staff_ids] + [8])
    for unit, ids in units.items():
        lines.append(f"[{unit}]")
        header = " " * name_w + " "
        for d in range(inst.horizon):
            header += ("|" if d and d % 7 == 0 else "") + "MTWTFSS"[d % 7].rjust(width)
        lines.append(header)
        for eid in ids:
            cells = ""
            for d, x in enumerate(roster[eid]):
                cells += ("|" if d and d % 7 == 0 else "") + (x or ".").rjust(width)
            lines.append(f"{eid.ljust(name_w)} {cells}")
        lines.append("")
    return "\n".join(lines)


def write_csv(inst: RosterInstance, roster: Roster, path: str | Path) -> Path:
    """All people in one CSV (wide: one column per day)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    roster_frame(inst, roster).to_csv(path, index=False)
    return path


def write_xlsx(
    inst: RosterInstance,
    roster: Roster,
    path: str | Path,
    units: dict[str, list[str]] | None = None,
    summary: dict[str, int] | None = None,
) -> Path:
    """Workbook with a sheet per unit (people as rows, days as columns) and an objective ``summary`` sheet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    units = units or {"all": inst.staff_ids}
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        if summary is not None:
            pd.DataFrame({"penalty": list(summary), "value": list(summary.values())}).to_excel(
                xw, sheet_name="summary", index=False
            )
        used: set[str] = set()
        for unit, ids in units.items():
            sheet = unit[:31] or "all"
            while sheet in used:  # Excel sheet names are unique and at most 31 characters
                sheet = sheet[:29] + f"_{len(used)}"
            used.add(sheet)
            frame = roster_frame(inst, roster, ids)
            frame.to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            ws.freeze_panes = "D2"
    return path
