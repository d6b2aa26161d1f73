"""Headline KPIs of a run, recomputed from its plan files alone (what `compare` and the report show).

Every number here is a plain function of ``plans/<stage>/*.csv``, so comparing two runs never depends on
in-memory solver objects, and a planner can recompute any cell of the comparison with a spreadsheet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: (key, label, unit, higher_is_better) of each headline KPI, in display order.
HEADLINES: tuple[tuple[str, str, str, bool], ...] = (
    ("coverage_pct", "Surgical demand covered", "% of procedures/week", True),
    ("procedures_per_week", "Procedures delivered", "procedures/week", True),
    ("hospitals_24_7", "Hospitals with 24/7 surgery", "hospitals", True),
    ("hospitals_fully_24_7", "Hospitals fully 24/7", "hospitals", True),
    ("rooms_24_7", "Operating rooms staffed 24/7", "rooms", True),
    ("deployed", "Recruits deployed", "people", True),
    ("pay_mxn_month", "Incentives + bonuses", "MXN/month", False),
    ("relocation_km", "Relocation distance", "km (sum)", False),
    ("fill_rate", "Medicine fill rate", "mean line fill", True),
    ("fill_rate_vital", "Fill rate, vital", "mean line fill", True),
    ("fill_rate_essential", "Fill rate, essential", "mean line fill", True),
    ("fill_rate_other", "Fill rate, other", "mean line fill", True),
    ("route_km", "Delivery route distance", "km/day", False),
    ("route_cost_mxn", "Delivery route cost", "MXN/day", False),
    ("access_60", "People within 60 min of 24/7 surgery", "share", True),
    ("access_120", "People within 120 min of 24/7 surgery", "share", True),
    ("state_coverage_min", "Lowest state coverage", "% of procedures/week", True),
)


def _read(run_dir: Path, stage: str, table: str) -> pd.DataFrame | None:
    p = run_dir / "plans" / stage / f"{table}.csv"
    if not p.exists():
        return None
    try:
        return pd.read_csv(p, dtype={"clues": str, "cve_ent": str, "hospital": str, "sku": str})
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _pct(num: float, den: float) -> float | None:
    return 100.0 * num / den if den > 0 else None


def headline_kpis(run_dir: Path) -> dict[str, float | None]:
    """The KPIs of :data:`HEADLINES` for one run (None where the run did not run that model)."""
    out: dict[str, float | None] = {k: None for k, *_ in HEADLINES}
    cap = _read(run_dir, "capacity", "hospitals")
    if cap is not None and len(cap):
        out["coverage_pct"] = _pct(cap["procedures_per_week"].sum(), cap["demand_procedures_per_week"].sum())
        out["procedures_per_week"] = float(cap["procedures_per_week"].sum())
        out["hospitals_24_7"] = float((cap["rooms_24_7"] >= 1).sum())
        out["hospitals_fully_24_7"] = float((cap["status_24_7"] == "fully_24_7").sum())
        out["rooms_24_7"] = float(cap["rooms_24_7"].sum())
        by_state = state_table(run_dir)
        vals = by_state["coverage_pct"].dropna()
        out["state_coverage_min"] = float(vals.min()) if len(vals) else None
    dep = _read(run_dir, "deployment", "assignments")
    if dep is not None:
        out["deployed"] = float(len(dep))
        out["pay_mxn_month"] = float(dep["pay_mxn_month"].sum()) if len(dep) else 0.0
        out["relocation_km"] = float(dep["km"].sum()) if len(dep) else 0.0
    lines = _read(run_dir, "distribution", "lines")
    if lines is not None and len(lines):
        need = lines[lines["need"] > 0]
        out["fill_rate"] = float(need["fill"].mean())
        for crit in ("vital", "essential", "other"):
            sel = need[need["criticality"] == crit]
            out[f"fill_rate_{crit}"] = float(sel["fill"].mean()) if len(sel) else None
    routes = _read(run_dir, "distribution", "routes")
    if routes is not None:
        out["route_km"] = float(routes["km"].sum()) if len(routes) else 0.0
        out["route_cost_mxn"] = float(routes["cost_mxn"].sum()) if len(routes) else 0.0
    acc = _read(run_dir, "access", "by_state")
    if acc is not None and len(acc):
        pop = acc["population"].sum()
        for t in (60, 120):
            col = f"within_{t}"
            out[f"access_{t}"] = float(acc[col].sum() / pop) if col in acc and pop > 0 else None
    return out


def state_table(run_dir: Path) -> pd.DataFrame:
    """Equity by state: surgical coverage (capacity plan), hospitals at 24/7, people within 60/120 minutes."""
    frames = []
    cap = _read(run_dir, "capacity", "hospitals")
    if cap is not None and len(cap):
        cap = cap.assign(cve_ent=cap["cve_ent"].str.zfill(2), h247=(cap["rooms_24_7"] >= 1).astype(int))
        g = cap.groupby("cve_ent").agg(demand=("demand_procedures_per_week", "sum"),
                                       delivered=("procedures_per_week", "sum"), hospitals=("clues", "count"),
                                       hospitals_24_7=("h247", "sum"))
        g["coverage_pct"] = np.where(g["demand"] > 0, 100.0 * g["delivered"] / g["demand"].where(g["demand"] > 0),
                                     np.nan)
        frames.append(g[["hospitals", "hospitals_24_7", "coverage_pct"]])
    acc = _read(run_dir, "access", "by_state")
    if acc is not None and len(acc):
        a = acc.assign(cve_ent=acc["cve_ent"].str.zfill(2)).set_index("cve_ent")
        cols = {c: c.replace("within_", "access_") for c in a.columns if c.startswith("within_")}
        share = a[list(cols)].div(a["population"].where(a["population"] > 0), axis=0).rename(columns=cols)
        frames.append(pd.concat([a[["state"]], share], axis=1))
    if not frames:
        return pd.DataFrame(columns=["cve_ent"])
    out = pd.concat(frames, axis=1).sort_index()
    out.index.name = "cve_ent"
    return out.reset_index()
