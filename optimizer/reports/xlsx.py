"""XLSX workbooks per audience, from a run's plan files: HR, logistics and planners.

- ``hr.xlsx``: deployment assignments (who goes where, role, pay, km), team slots, rosters (one sheet,
  long format, plus a per-hospital summary);
- ``logistics.xlsx``: the day's manifests (vehicle, stop order, ETA, SKU, units), routes and shipments;
- ``planners.xlsx``: headline KPIs, equity by state, capacity by hospital, bottlenecks, access tables, and
  the comparison with another run when one is given.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.reports.figures import read_plan
from optimizer.scenarios.compare import compare_runs
from optimizer.scenarios.headline import HEADLINES, headline_kpis, state_table

#: Excel's sheet-name limit (characters).
_SHEET_CHARS = 31


def _write(path: Path, sheets: dict[str, pd.DataFrame | None]) -> Path | None:
    keep = {name[:_SHEET_CHARS]: df for name, df in sheets.items() if df is not None}
    if not keep:
        return None
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, df in keep.items():
            df.to_excel(xl, sheet_name=name, index=False)
            ws = xl.sheets[name]
            ws.freeze_panes = "A2"
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
                ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 50)
    return path


def write_workbooks(run_dir: str | Path, out_dir: str | Path | None = None,
                    against: str | Path | None = None) -> list[Path]:
    """Write hr.xlsx, logistics.xlsx and planners.xlsx (those with data) to ``out_dir`` (default the run)."""
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir is not None else run_dir
    out.mkdir(parents=True, exist_ok=True)
    hr = _write(out / "hr.xlsx", {
        "assignments": read_plan(run_dir, "deployment", "assignments"),
        "team slots": read_plan(run_dir, "deployment", "teams"),
        "uncovered demand": read_plan(run_dir, "deployment", "short"),
        "rosters": read_plan(run_dir, "rostering", "roster"),
        "roster summary": read_plan(run_dir, "rostering", "summary"),
    })
    logistics = _write(out / "logistics.xlsx", {
        "manifests": read_plan(run_dir, "distribution", "manifest"),
        "routes": read_plan(run_dir, "distribution", "routes"),
        "shipments": read_plan(run_dir, "distribution", "shipments"),
        "order lines": read_plan(run_dir, "distribution", "lines"),
    })
    k = headline_kpis(run_dir)
    kpis = pd.DataFrame([(label, k[key], unit) for key, label, unit, _ in HEADLINES],
                        columns=["kpi", "value", "unit"])
    sheets: dict[str, pd.DataFrame | None] = {
        "headline KPIs": kpis,
        "equity by state": state_table(run_dir),
        "capacity by hospital": read_plan(run_dir, "capacity", "hospitals"),
        "bottlenecks": read_plan(run_dir, "capacity", "bottlenecks"),
        "access by state": read_plan(run_dir, "access", "by_state"),
        "access by degree": read_plan(run_dir, "access", "by_degree"),
        "worst served": read_plan(run_dir, "access", "worst_served"),
    }
    if against is not None:
        cmp = compare_runs(against, run_dir)
        sheets["comparison"] = cmp.frame()
        sheets["comparison by state"] = cmp.by_state
    planners = _write(out / "planners.xlsx", sheets)
    return [p for p in (hr, logistics, planners) if p is not None]
