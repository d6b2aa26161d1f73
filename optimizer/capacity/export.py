"""Planner tables of a capacity run as DataFrames, and their export to CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.capacity.kpis import HospitalStatus
from optimizer.capacity.marginal import MarginalGain, TeamGain
from optimizer.capacity.model import CapacityInput, CapacityInputError, CapacityPlan, DeployedStaff
from optimizer.capacity.run import CapacityRun
from optimizer.capacity.wisn import WisnResult
from optimizer.domain import Specialty
from optimizer.i18n import msg


def network_table(inp: CapacityInput, plan: CapacityPlan, status: list[HospitalStatus]) -> pd.DataFrame:
    """One row per hospital: demand, delivered procedures/week, hours, 24/7 status and what is missing."""
    by = {s.clues: s for s in status}
    results = {r.clues: r for r in plan.hospitals}
    demands: dict[str, float] = {}
    for (c, _), d in inp.demand.items():
        demands[c] = demands.get(c, 0.0) + d.procedures_per_week
    rows = []
    for h in inp.hospitals:
        r = results[h.clues]
        st = by[h.clues]
        demand = demands.get(h.clues, 0.0)
        rows.append({
            "clues": h.clues, "name": h.name, "cve_ent": h.cve_ent, "marginalisation": h.marginalisation_degree,
            "weight": r.weight, "operating_rooms": h.operating_rooms,
            "demand_procedures_per_week": demand, "procedures_per_week": r.procedures_per_week,
            "coverage_pct": 100.0 * r.procedures_per_week / demand if demand > 0 else 0.0,
            "or_hours_per_week": r.room_hours, "ward_hours_per_week": r.ward_hours,
            "er_hours_per_week": r.er_hours, "status_24_7": st.status, "rooms_24_7": st.rooms_24_7,
            "staffable_room_hours": st.staffable_room_hours, "limiting_role": st.limiting_role,
            "missing_for_full_24_7": st.missing_roles,
        })
    return pd.DataFrame(rows)


def facility_table(run: CapacityRun, clues: str) -> pd.DataFrame:
    """One hospital's LP rows: capacity, use, slack, shadow price and what one more person adds.

    ``+1 person (dual)`` is the shadow price x the person's available hours, valid while the basis holds;
    ``+1 person (exact)`` re-solves the LP with that person added.
    """
    gains = {g.role.value: g for g in run.gains if g.clues == clues}
    rows = []
    for r in run.plan.resources:
        if r.clues != clues:
            continue
        g = gains.get(r.key) if r.kind == "role" else None
        rows.append({
            "row": f"{r.kind} {r.key}".strip(), "capacity": r.rhs, "used": r.used, "slack": r.slack,
            "procedures_per_unit": r.procedures_per_unit,
            "+1 person (dual)": g.dual_estimate if g else None,
            "+1 person (exact)": g.procedures_per_week if g else None,
        })
    return pd.DataFrame(rows)


def resources_table(plan: CapacityPlan) -> pd.DataFrame:
    """Every LP row with its right-hand side, use, slack and shadow price."""
    return pd.DataFrame([{
        "clues": r.clues, "kind": r.kind, "key": r.key, "rhs": r.rhs, "used": r.used, "slack": r.slack,
        "dual_weighted_per_unit": r.dual, "procedures_per_unit": r.procedures_per_unit,
    } for r in plan.resources])


def gains_table(gains: list[MarginalGain]) -> pd.DataFrame:
    """Per hospital x role: what one more person adds (exact and dual estimate) and costs."""
    return pd.DataFrame([{
        "clues": g.clues, "role": g.role.value, "person_hours": g.person_hours, "hours_added": g.hours_added,
        "procedures_per_week": g.procedures_per_week, "weighted_per_week": g.weighted_per_week,
        "dual_estimate_procedures": g.dual_estimate, "monthly_cost_mxn": g.monthly_cost_mxn,
        "weighted_per_100k_mxn": g.weighted_per_100k_mxn,
    } for g in gains], columns=["clues", "role", "person_hours", "hours_added", "procedures_per_week",
                                "weighted_per_week", "dual_estimate_procedures", "monthly_cost_mxn",
                                "weighted_per_100k_mxn"])


def teams_table(gains: list[TeamGain]) -> pd.DataFrame:
    """Per hospital x surgical specialty: what one more full team adds and costs."""
    return pd.DataFrame([{
        "clues": g.clues, "specialty": g.specialty.value,
        "team": " + ".join(f"{n} {r.value}" for r, n in g.people.items()),
        "procedures_per_week": g.procedures_per_week, "weighted_per_week": g.weighted_per_week,
        "monthly_cost_mxn": g.monthly_cost_mxn, "weighted_per_100k_mxn": g.weighted_per_100k_mxn,
    } for g in gains], columns=["clues", "specialty", "team", "procedures_per_week", "weighted_per_week",
                                "monthly_cost_mxn", "weighted_per_100k_mxn"])


def wisn_table(results: list[WisnResult]) -> pd.DataFrame:
    """WISN rows (rounded half-up to 2 decimals) with every service's standard workload."""
    rows = []
    for res in results:
        row = {k: (float(v) if v is not None and not isinstance(v, str) else v) for k, v in res.row().items()}
        row["services"] = "; ".join(
            f"{s.name}: W={float(s.annual_workload):.0f}/yr, t={float(s.unit_time_h):.2f} h, "
            f"SW={float(s.standard_workload):.1f}" for s in res.services)
        rows.append(row)
    return pd.DataFrame(rows)


def write_tables(path: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write ``tables`` to ``path``: one sheet each in an ``.xlsx``, or ``<stem>_<name>.csv`` files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, df in tables.items():
                df.to_excel(xw, sheet_name=name[:31], index=False)
        return [path]
    if path.suffix.lower() != ".csv":
        raise ValueError(f"{path}: export to .csv or .xlsx")
    out = []
    for name, df in tables.items():
        p = path if len(tables) == 1 else path.with_name(f"{path.stem}_{name}.csv")
        df.to_csv(p, index=False)
        out.append(p)
    return out


DEPLOYMENT_COLUMNS = ("specialist_id", "role", "weekly_hours", "hospital")


def read_deployment(path: Path) -> list[DeployedStaff]:
    """A deployment plan's staff CSV (specialist_id, role, weekly_hours, hospital); errors name row and field."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in DEPLOYMENT_COLUMNS if c not in df.columns]
    if missing:
        raise CapacityInputError(msg("data.file.missing_columns", file=str(path), columns=", ".join(missing)))
    out = []
    for i, r in enumerate(df.itertuples(index=False), start=2):  # header is row 1
        try:
            role = Specialty(r.role)
        except ValueError:
            raise CapacityInputError(msg("data.cell", file=str(path), row=i, field="role",
                                         problem=msg("data.problem.not_specialty", value=r.role))) from None
        try:
            hours = float(r.weekly_hours)
        except ValueError:
            raise CapacityInputError(msg("data.cell", file=str(path), row=i, field="weekly_hours",
                                         problem=msg("data.od.not_number", value=r.weekly_hours))) from None
        out.append(DeployedStaff(str(r.specialist_id), role, hours, str(r.hospital)))
    return out
