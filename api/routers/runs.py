"""Runs: start (202 + id), list, status with per-stage progress, KPIs, plan tables, cancel, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api import plans, runstate
from api import scenario_files as sf
from api.auth import SCOPE_ROLES, Principal, Scope, require
from api.errors import AUTH_RESPONSES, BAD_REQUEST, CONFLICT, NOT_FOUND, TOO_MANY, ApiError, scrub_paths
from api.inputs import read_scenario
from api.query import MAX_LIMIT, MAX_OFFSET
from api.schemas import UtcDateTime
from optimizer.scenarios.compare import compare_runs
from optimizer.scenarios.yamlfile import ScenarioError

router = APIRouter(tags=["runs"], responses=AUTH_RESPONSES)


class StartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(description="scenario name, as listed by GET /scenarios")


class StageProgress(BaseModel):
    status: str = Field(description="pending, running, or the stage's solve status when done")
    done: int = 0
    total: int = 0
    seconds: float | None = Field(None, description="wall time of the stage, s")


class RunStatus(BaseModel):
    run_id: str
    scenario: str
    status: str = Field(description="queued, running, cancelling, finished, failed, cancelled or interrupted")
    stages: dict[str, StageProgress]
    created: UtcDateTime
    started: UtcDateTime | None = None
    finished: UtcDateTime | None = None
    error: str | None = Field(None, description="why it failed, or a warning for a degraded run")
    outcome: str | None = Field(None, description="the runner's verdict when it ended: ok, degraded or error")
    has_kpis: bool = False
    run_folder: str | None = Field(None, description="run folder name, for `bienestar report` / `rerun`")
    store_run_id: str | None = Field(None, description="the run's id in the store's runs table")


class RunList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[RunStatus]


class PlanTable(BaseModel):
    stage: str
    table: str
    rows: int
    readable: bool = Field(description="whether the caller's role may read this table")


class PlanPage(BaseModel):
    stage: str
    table: str
    total: int
    limit: int
    offset: int
    rows: list[dict[str, Any]]


class KpiDelta(BaseModel):
    """One headline KPI of both runs, recomputed from their plan files."""

    key: str
    label: str
    unit: str
    a: float | None
    b: float | None
    delta: float | None = Field(description="b - a")
    better: bool | None = Field(description="whether B improves on A (null: no change or not applicable)")


class Comparison(BaseModel):
    run_a: str
    run_b: str
    scenario_a: str
    scenario_b: str
    kpis: list[KpiDelta]
    by_state: list[dict[str, Any]] = Field(description="coverage and access by state in both runs, with deltas")


def _status(row: dict[str, Any]) -> RunStatus:
    return RunStatus(run_id=row["run_id"], scenario=row["scenario"], status=row["status"],
                     stages=row["stages"] or {}, created=row["created"], started=row["started"],
                     finished=row["finished"], error=scrub_paths(row["error"]), outcome=row["outcome"],
                     has_kpis=bool(row["kpis"]),
                     run_folder=Path(row["run_dir"]).name if row["run_dir"] else None,
                     store_run_id=row["store_run_id"])


def _run(request: Request, run_id: str) -> dict[str, Any]:
    row = runstate.get(request.app.state.engine, run_id)
    if row is None:
        raise ApiError(404, f"no run '{run_id}'")
    return row


def _finished(request: Request, run_id: str) -> dict[str, Any]:
    """A run that ended with results: finished, or failed after writing its plans (a validator objected:
    the plans stay readable so the violation can be inspected; ``error`` says what failed)."""
    row = _run(request, run_id)
    if row["status"] not in ("finished", "failed") or not row["run_dir"] or not row["outcome"]:
        raise ApiError(409, f"run '{run_id}' is {row['status']} and has no results")
    return row


@router.post("/runs", status_code=202, response_model=RunStatus,
             responses={**NOT_FOUND, **BAD_REQUEST, **TOO_MANY}, summary="Start a run of a scenario")
def start_run(request: Request, body: StartRequest, response: Response,
              _: Principal = Depends(require(Scope.RUNS_WRITE))) -> RunStatus:
    config = request.app.state.config
    found = sf.find(body.scenario, config.scenario_dir, config.user_scenario_dir)
    if found is None:
        raise ApiError(404, f"no scenario '{body.scenario}'")
    try:
        scenario = read_scenario(found.path.read_text(encoding="utf-8"), f"{found.name}.yaml", found.path.parent)
    except ScenarioError as exc:
        raise ApiError(400, scrub_paths(str(exc))) from None
    run_id = request.app.state.pool.submit(found.name, found.path, ["demand", *scenario.models])
    response.headers["Location"] = f"/runs/{run_id}"
    return _status(_run(request, run_id))


@router.get("/runs", response_model=RunList, summary="Runs, newest first")
def list_runs(request: Request, status: str | None = None, limit: int = Query(50, ge=1, le=MAX_LIMIT),
              offset: int = Query(0, ge=0, le=MAX_OFFSET), _: Principal = Depends(require(Scope.RUNS_READ))) -> RunList:
    total, rows = runstate.list_runs(request.app.state.engine, limit, offset, status)
    return RunList(total=total, limit=limit, offset=offset, items=[_status(r) for r in rows])


@router.get("/runs/{run_id}", response_model=RunStatus, responses=NOT_FOUND, summary="Status and stage progress")
def get_run(request: Request, run_id: str, _: Principal = Depends(require(Scope.RUNS_READ))) -> RunStatus:
    return _status(_run(request, run_id))


@router.get("/runs/{run_id}/kpis", response_model=dict[str, Any], responses={**NOT_FOUND, **CONFLICT},
            summary="KPIs of a finished run, by stage")
def get_kpis(request: Request, run_id: str, _: Principal = Depends(require(Scope.RUNS_READ))) -> dict[str, Any]:
    return _finished(request, run_id)["kpis"] or {}


@router.post("/runs/{run_id}/cancel", status_code=202, response_model=RunStatus,
             responses={**NOT_FOUND, **CONFLICT}, summary="Cancel a queued or running run")
def cancel_run(request: Request, run_id: str, _: Principal = Depends(require(Scope.RUNS_WRITE))) -> RunStatus:
    row = _run(request, run_id)
    if not request.app.state.pool.cancel(run_id):
        raise ApiError(409, f"run '{run_id}' is {row['status']}; only a queued or running run can be cancelled")
    return _status(_run(request, run_id))


@router.post("/runs/{run_id}/resume", status_code=202, response_model=RunStatus,
             responses={**NOT_FOUND, **CONFLICT, **BAD_REQUEST, **TOO_MANY},
             summary="Queue an interrupted or cancelled run again; completed stages are reused from the cache")
def resume_run(request: Request, run_id: str, _: Principal = Depends(require(Scope.RUNS_WRITE))) -> RunStatus:
    row = _run(request, run_id)
    pool = request.app.state.pool
    if row["status"] not in runstate.RESUMABLE:
        raise ApiError(409, f"run '{run_id}' is {row['status']}; only an interrupted or cancelled run can be resumed")
    path = Path(row["scenario_file"])
    if not path.is_file():
        raise ApiError(409, f"the scenario file of run '{run_id}' is gone; start a new run instead")
    try:
        scenario = read_scenario(path.read_text(encoding="utf-8"), f"{row['scenario']}.yaml", path.parent)
    except ScenarioError as exc:
        raise ApiError(400, scrub_paths(str(exc))) from None
    if not pool.resume(run_id, ["demand", *scenario.models]):
        raise ApiError(409, f"run '{run_id}' changed state meanwhile; read it again")
    return _status(_run(request, run_id))


@router.get("/runs/{run_id}/plans", response_model=list[PlanTable], responses={**NOT_FOUND, **CONFLICT},
            summary="Plan tables of a finished run")
def list_plans(request: Request, run_id: str,
               who: Principal = Depends(require(Scope.RUNS_READ))) -> list[PlanTable]:
    row = _finished(request, run_id)
    out = []
    for stage, table, path in plans.list_tables(Path(row["run_dir"])):
        with path.open("rb") as fh:
            rows = max(sum(1 for _ in fh) - 1, 0)
        out.append(PlanTable(stage=stage, table=table, rows=rows,
                             readable=who.role in SCOPE_ROLES[plans.scope_of(stage)]))
    return out


@router.get("/runs/{run_id}/plans/{stage}/{table}", response_model=PlanPage,
            responses={**NOT_FOUND, **CONFLICT, 200: {"content": {
                "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
            summary="One plan table as JSON (paged), CSV or XLSX")
def get_plan(request: Request, run_id: str, stage: str, table: str,
             format: Literal["json", "csv", "xlsx"] = "json",
             limit: int | None = Query(None, ge=1, le=1_000_000,
                                       description="rows; default 1000 for JSON, the whole table for CSV/XLSX"),
             offset: int = Query(0, ge=0, le=MAX_OFFSET),
             who: Principal = Depends(require(Scope.RUNS_READ))) -> Any:
    allowed = SCOPE_ROLES[plans.scope_of(stage)]
    if who.role not in allowed:
        roles = ", ".join(sorted(r.value for r in allowed))
        raise ApiError(403, f"role '{who.role}' may not read {stage} plans; allowed: {roles}")
    row = _finished(request, run_id)
    path = plans.table_path(Path(row["run_dir"]), stage, table)
    if path is None:
        raise ApiError(404, f"run '{run_id}' has no plan table {stage}/{table}")
    filename = f"{run_id[:8]}-{stage}-{table}"
    if format == "csv" and limit is None and offset == 0:
        return Response(path.read_bytes(), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
    limit = limit if limit is not None else (1000 if format == "json" else 1_000_000)
    total, df = plans.read_table(path, limit, offset)
    if format == "csv":
        return Response(df.to_csv(index=False).encode(), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
    if format == "xlsx":
        return Response(plans.to_xlsx({f"{stage}-{table}": df}),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
    return PlanPage(stage=stage, table=table, total=total, limit=limit, offset=offset, rows=plans.to_records(df))


@router.get("/compare", response_model=Comparison, responses={**NOT_FOUND, **CONFLICT},
            summary="Headline KPI deltas between two finished runs (b - a), recomputed from their plans")
def compare(request: Request, a: str, b: str, _: Principal = Depends(require(Scope.RUNS_READ))) -> dict:
    row_a, row_b = _finished(request, a), _finished(request, b)
    table = compare_runs(Path(row_a["run_dir"]), Path(row_b["run_dir"]))
    return {**table.to_dict(), "run_a": a, "run_b": b}
