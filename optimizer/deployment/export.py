"""Write a deployment plan for HR staff: CSV files and an XLSX workbook (summary + one sheet per state)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.kpis import women_share_by_hospital
from optimizer.deployment.model import DeploymentPlan
from optimizer.jsonio import plain, write_json


def plan_tables(inp: DeploymentInput, plan: DeploymentPlan) -> dict[str, pd.DataFrame]:
    """Assignments (with hospital name and state), teams and short hospitals as DataFrames."""
    hosp = {h.clues: h for h in inp.hospitals}
    assignments = pd.DataFrame(
        [
            {"specialist_id": a.specialist, "hospital": a.hospital, "hospital_name": hosp[a.hospital].name,
             "cve_ent": hosp[a.hospital].cve_ent, "role": a.role.value, "pay_mxn_month": a.incentive_mxn,
             "km": round(a.km, 1), "moved": a.moved}
            for a in plan.assignments
        ],
        columns=["specialist_id", "hospital", "hospital_name", "cve_ent", "role", "pay_mxn_month", "km", "moved"],
    )
    teams = pd.DataFrame([{"hospital": t.hospital, "specialty": t.specialty.value, "slots": t.slots}
                          for t in plan.teams], columns=["hospital", "specialty", "slots"])
    short = pd.DataFrame(
        [{"hospital": x.hospital, "specialty": x.specialty.value, "demand_per_week": round(x.demand, 2),
          "covered_per_week": round(x.covered, 2), "reason": x.reason, "detail": x.detail} for x in plan.short],
        columns=["hospital", "specialty", "demand_per_week", "covered_per_week", "reason", "detail"],
    )
    women = pd.DataFrame(list(women_share_by_hospital(inp, plan).items()), columns=["hospital", "women_share"])
    return {"assignments": assignments, "teams": teams, "short": short, "women_by_hospital": women}


def write_plan(inp: DeploymentInput, plan: DeploymentPlan, kpis: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``assignments.csv``, ``teams.csv``, ``short.csv``, ``women_by_hospital.csv``, ``kpis.json`` (the
    package's one KPI dict, :func:`optimizer.deployment.kpis.kpis`, as a scenario run reports it) and
    ``deployment.xlsx`` (summary of the scalar KPIs, coverage by state, short, women, a sheet per state)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = plan_tables(inp, plan)
    paths = []
    for name, df in tables.items():
        path = out_dir / f"{name}.csv"
        df.to_csv(path, index=False)
        paths.append(path)
    write_json(out_dir / "kpis.json", kpis)
    paths.append(out_dir / "kpis.json")
    xlsx = out_dir / "deployment.xlsx"
    summary = pd.DataFrame(
        [(k, v) for k, v in plain(kpis).items() if not isinstance(v, (list, dict))]
        + [("solver", plan.solver), ("seed", plan.seed)],
        columns=["kpi", "value"],
    )
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xw:
        summary.to_excel(xw, sheet_name="summary", index=False)
        pd.DataFrame(kpis["coverage_by_state"]).to_excel(xw, sheet_name="coverage_by_state", index=False)
        tables["short"].to_excel(xw, sheet_name="short", index=False)
        tables["women_by_hospital"].to_excel(xw, sheet_name="women_by_hospital", index=False)
        a = tables["assignments"]
        for st in sorted(a["cve_ent"].unique()) if len(a) else []:
            name = f"{st} {inp.state_names.get(st, '')}".strip()[:31]
            a[a["cve_ent"] == st].drop(columns=["cve_ent"]).to_excel(xw, sheet_name=name, index=False)
    paths.append(xlsx)
    return paths
