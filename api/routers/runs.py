"""Runs: start (202 + id), list, status with per-stage progress, KPIs, plan tables, cancel, compare."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api import plans, runindex, runstate
from api import scenario_files as sf
from api.auth import SCOPE_ROLES, Principal, Scope, require
from api.errors import AUTH_RESPONSES, BAD_REQUEST, CONFLICT, NOT_FOUND, TOO_MANY, ApiError, request_lang, scrub_paths
from api.inputs import read_scenario
from api.query import MAX_LIMIT, MAX_OFFSET
from api.schemas import UtcDateTime
from optimizer.i18n import Msg, has, msg, render_stored
from optimizer.reports.html import write_report
from optimizer.reports.xlsx import write_workbooks
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
    store_run_id: str | None = Field(None, description="the run's row in the store's runs table, once its worker "
                                     "has started (the same id as run_id)")
    cli_id: str = Field(description="the id to show and to give the CLI (`bienestar report <cli_id>`): run_id's "
                        "first 8 characters, the same from the moment the run is queued")
    source: Literal["api", "cli"] = Field("api", description="who started it: the API, or the CLI (run/demo/sweep)")
    queue_position: int | None = Field(None, description="1 = next to start, while the run waits for a free slot")


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


def _status(row: dict[str, Any], lang: str, pool: Any = None) -> RunStatus:
    """A run as the API shows it; why it failed in ``lang``."""
    position = pool.queue_position(row["run_id"]) if pool is not None and row["status"] == "queued" else None
    return RunStatus(run_id=row["run_id"], scenario=row["scenario"], status=row["status"],
                     cli_id=row["run_id"][:8], source=row.get("source", "api"),
                     queue_position=position,
                     stages=row["stages"] or {}, created=row["created"], started=row["started"],
                     finished=row["finished"], error=scrub_paths(render_stored(row["error"], lang)),
                     outcome=row["outcome"],
                     has_kpis=bool(row["kpis"]),
                     run_folder=Path(row["run_dir"]).name if row["run_dir"] else None,
                     store_run_id=row["store_run_id"])


def status_msg(status: str) -> Msg | str:
    """A run status as a person reads it (``queued`` -> «en cola»), for messages that name it."""
    key = f"common.status.{status}"
    return msg(key) if has(key, "es") and has(key, "en") else status


def _run(request: Request, run_id: str) -> dict[str, Any]:
    row = runindex.resolve(request.app.state.engine, request.app.state.config.runs_dir, run_id)
    if row is None:
        raise ApiError(404, f"no run '{run_id}'", key="api.run.not_found", run=run_id)
    return row


def _finished(request: Request, run_id: str) -> dict[str, Any]:
    """A run that ended with results: finished, or failed after writing its plans (a validator objected:
    the plans stay readable so the violation can be inspected; ``error`` says what failed)."""
    row = _run(request, run_id)
    if row["status"] not in ("finished", "failed") or not row["run_dir"] or not row["outcome"]:
        raise ApiError(409, f"run '{run_id}' is {row['status']} and has no results", key="api.run.no_results",
                       run=run_id, state=status_msg(row["status"]))
    return row


@router.post("/runs", status_code=202, response_model=RunStatus,
             responses={**NOT_FOUND, **BAD_REQUEST, **TOO_MANY},
             summary="Start a run of a scenario (queued with its position when the run limit is reached)")
def start_run(request: Request, body: StartRequest, response: Response,
              _: Principal = Depends(require(Scope.RUNS_WRITE))) -> RunStatus:
    config = request.app.state.config
    found = sf.find(body.scenario, config.scenario_dir, config.user_scenario_dir)
    if found is None:
        raise ApiError(404, f"no scenario '{body.scenario}'", key="api.scenario.not_found", name=body.scenario)
    try:
        scenario = read_scenario(found.path.read_text(encoding="utf-8"), f"{found.name}.yaml", found.path.parent)
    except ScenarioError as exc:
        raise ApiError(400, exc.msg) from None
    run_id = request.app.state.pool.submit(found.name, found.path, ["demand", *scenario.models])
    response.headers["Location"] = f"/runs/{run_id}"
    return _status(_run(request, run_id), request_lang(request), request.app.state.pool)


@router.get("/runs", response_model=RunList, summary="Runs, newest first")
def list_runs(request: Request, status: str | None = None, limit: int = Query(50, ge=1, le=MAX_LIMIT),
              offset: int = Query(0, ge=0, le=MAX_OFFSET), _: Principal = Depends(require(Scope.RUNS_READ))) -> RunList:
    total, rows = runindex.list_all(request.app.state.engine, request.app.state.config.runs_dir, limit, offset, status)
    pool, lang = request.app.state.pool, request_lang(request)
    return RunList(total=total, limit=limit, offset=offset, items=[_status(r, lang, pool) for r in rows])


@router.get("/runs/{run_id}", response_model=RunStatus, responses=NOT_FOUND, summary="Status and stage progress")
def get_run(request: Request, run_id: str, _: Principal = Depends(require(Scope.RUNS_READ))) -> RunStatus:
    return _status(_run(request, run_id), request_lang(request), request.app.state.pool)


#: The stages whose KPIs each role reads (planners and admins read every stage's).
KPI_STAGES: dict[str, frozenset[str]] = {
    "hr": frozenset({"deployment", "rostering", "capacity"}),
    "logistics": frozenset({"demand", "distribution"}),
}


@router.get("/runs/{run_id}/kpis", response_model=dict[str, Any], responses={**NOT_FOUND, **CONFLICT},
            summary="KPIs of a finished run, by stage (the stages the caller's role reads)")
def get_kpis(request: Request, run_id: str, who: Principal = Depends(require(Scope.RUNS_READ))) -> dict[str, Any]:
    kpis = _finished(request, run_id)["kpis"] or {}
    stages = KPI_STAGES.get(who.role)
    return kpis if stages is None else {k: v for k, v in kpis.items() if k in stages}


@router.post("/runs/{run_id}/cancel", status_code=202, response_model=RunStatus,
             responses={**NOT_FOUND, **CONFLICT}, summary="Cancel a queued or running run")
def cancel_run(request: Request, run_id: str, _: Principal = Depends(require(Scope.RUNS_WRITE))) -> RunStatus:
    row = _run(request, run_id)
    if not request.app.state.pool.cancel(row["run_id"]):
        raise ApiError(409, f"run '{run_id}' is {row['status']}; only a queued or running run can be cancelled",
                       key="api.run.not_cancellable", run=run_id, state=status_msg(row["status"]))
    return _status(_run(request, row["run_id"]), request_lang(request), request.app.state.pool)


@router.post("/runs/{run_id}/resume", status_code=202, response_model=RunStatus,
             responses={**NOT_FOUND, **CONFLICT, **BAD_REQUEST, **TOO_MANY},
             summary="Queue an interrupted or cancelled run again; completed stages are reused from the cache")
def resume_run(request: Request, run_id: str, _: Principal = Depends(require(Scope.RUNS_WRITE))) -> RunStatus:
    row = _run(request, run_id)
    pool = request.app.state.pool
    if row["status"] not in runstate.RESUMABLE:
        raise ApiError(409, f"run '{run_id}' is {row['status']}; only an interrupted or cancelled run can be resumed",
                       key="api.run.not_resumable", run=run_id, state=status_msg(row["status"]))
    path = Path(row["scenario_file"])
    if not path.is_file():
        raise ApiError(409, f"the scenario file of run '{run_id}' is gone; start a new run instead",
                       key="api.run.scenario_gone", run=run_id)
    try:
        scenario = read_scenario(path.read_text(encoding="utf-8"), f"{row['scenario']}.yaml", path.parent)
    except ScenarioError as exc:
        raise ApiError(400, exc.msg) from None
    if not pool.resume(run_id, ["demand", *scenario.models]):
        raise ApiError(409, f"run '{run_id}' changed state meanwhile; read it again", key="api.run.changed",
                       run=run_id)
    return _status(_run(request, run_id), request_lang(request))


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
        raise ApiError(403, f"role '{who.role}' may not read {stage} plans; allowed: {roles}",
                       key="api.run.role_may_not_read", role=who.role, stage=stage, roles=roles)
    row = _finished(request, run_id)
    path = plans.table_path(Path(row["run_dir"]), stage, table)
    if path is None:
        raise ApiError(404, f"run '{run_id}' has no plan table {stage}/{table}", key="api.run.no_table",
                       run=run_id, stage=stage, table=table)
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


#: Workbook per audience and the scope whose roles may download it.
WORKBOOKS: dict[str, Scope] = {"planners": Scope.PLANS_PLANNING, "hr": Scope.PLANS_PEOPLE,
                               "logistics": Scope.PLANS_ROUTES}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _allowed(who: Principal, scope: Scope, what: str) -> None:
    if who.role not in SCOPE_ROLES[scope]:
        roles = ", ".join(sorted(r.value for r in SCOPE_ROLES[scope]))
        raise ApiError(403, f"role '{who.role}' may not read {what}; allowed: {roles}",
                       key="api.run.role_may_not_read", role=who.role, stage=what, roles=roles)


def _with_lang(writer: Any, lang: str, *args: Any) -> Any:
    """Call a report writer in ``lang`` when it takes one (the report content is the outputs' to translate)."""
    if "lang" in inspect.signature(writer).parameters:
        return writer(*args, lang=lang)
    return writer(*args)


@router.get("/runs/{run_id}/report", responses={**NOT_FOUND, **CONFLICT, 200: {"content": {"text/html": {}}}},
            response_class=Response, summary="The run's HTML report, written on demand (as `bienestar report`)")
def get_report(request: Request, run_id: str, who: Principal = Depends(require(Scope.RUNS_READ))) -> Response:
    _allowed(who, Scope.PLANS_PLANNING, "report")
    row = _finished(request, run_id)
    lang = request_lang(request)
    out = Path(row["run_dir"]) / "downloads" / lang / "report.html"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        _with_lang(write_report, lang, Path(row["run_dir"]), out)
    name = f"{row['run_id'][:8]}-report.html"
    return Response(out.read_bytes(), media_type="text/html",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/runs/{run_id}/workbooks/{audience}", responses={**NOT_FOUND, **CONFLICT, 200: {"content": {XLSX: {}}}},
            response_class=Response, summary="The planners', HR or logistics workbook of a run, written on demand")
def get_workbook(request: Request, run_id: str, audience: Literal["planners", "hr", "logistics"],
                 who: Principal = Depends(require(Scope.RUNS_READ))) -> Response:
    _allowed(who, WORKBOOKS[audience], f"{audience}.xlsx")
    row = _finished(request, run_id)
    lang = request_lang(request)
    folder = Path(row["run_dir"]) / "downloads" / lang
    path = folder / f"{audience}.xlsx"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        _with_lang(write_workbooks, lang, Path(row["run_dir"]), folder)
    if not path.exists():
        raise ApiError(404, f"run '{run_id}' has no data for the {audience} workbook", key="api.run.no_workbook",
                       run=run_id, audience=audience)
    name = f"{row['run_id'][:8]}-{audience}.xlsx"
    return Response(path.read_bytes(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
