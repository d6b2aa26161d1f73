"""Run a scenario: prepare its inputs in a run folder, then chain the models from that folder alone.

``prepare``: base dataset + table overrides -> ``inputs/dataset/`` (CSV + a copy of the records), the demand
stage -> ``inputs/demand/``, the scenario as written and as resolved (every default and seed filled in),
and the software versions. ``execute``: reads only the run folder and runs deployment -> capacity ->
rostering -> distribution -> access, writing ``plans/<stage>/*.csv``, ``kpis.json``, ``log.txt`` and
``run.json`` (status, seconds per stage, digest of the plans). Because ``execute`` never looks outside
the folder, ``rerun`` reproduces a run from the folder alone, on another machine too.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.status import Status

import optimizer
from optimizer.data.dataset import load_dataset
from optimizer.i18n import Msg, MsgError, msg, msg_of
from optimizer.jsonio import plain, write_json
from optimizer.scenarios import cache, registry
from optimizer.scenarios.basedata import resolve_base
from optimizer.scenarios.demand import Catchment, DemandTables, build_demand
from optimizer.scenarios.overrides import Tables, apply_overrides, opened_clues
from optimizer.scenarios.schema import Scenario
from optimizer.scenarios.stage import RunContext, StageOutput, status_of
from optimizer.scenarios.stages import access, capacity, deployment, distribution, rostering, surgery
from optimizer.scenarios.yamlfile import ScenarioError, load_scenario

StageFn = Callable[[RunContext], StageOutput]
#: ``(stage, status, done, total, seconds)``, called as a run progresses: ``demand`` running / done while the
#: inputs are prepared, then every model stage ``pending`` -> ``running`` (with ``done``/``total`` steps,
#: e.g. hospitals rostered) -> its solve status with the stage's wall seconds. For callers without a
#: terminal (the API's workers): pass it as ``on_progress`` instead of replacing the rich bar.
ProgressCallback = Callable[[str, str, int, int, "float | None"], None]
#: ``(store run id, run folder)``, called once both exist and before any work (the API records them at once,
#: so a run whose worker dies still has its folder and store row reconciled).
StartCallback = Callable[[str, Path], None]

#: The model stages in chain order (``demand`` runs in ``prepare``).
STAGES: dict[str, StageFn] = {
    "deployment": deployment.run,
    "capacity": capacity.run,
    "rostering": rostering.run,
    "surgery": surgery.run,
    "distribution": distribution.run,
    "access": access.run,
}
#: Libraries whose versions can change a plan; recorded in every run.
_LIBRARIES = ("ortools", "highspy", "pulp", "pyvrp", "numpy", "pandas", "duckdb", "pydantic")


class RunError(RuntimeError):
    """A run that could not start (its inputs could not be prepared); :attr:`msg` says why in a reader's language,
    ``str()`` in English (logs)."""

    def __init__(self, message: Msg) -> None:
        super().__init__(str(message))
        self.msg = message

    def __reduce__(self) -> tuple:
        """Pickled with its message (a worker process's error, read in the parent)."""
        return (RunError, (self.msg,))


def failure(exc: BaseException) -> Msg:
    """Why ``exc`` stopped a run, for a person: a scenario's or a data file's own problems (any
    :class:`~optimizer.i18n.MsgError`) in the reader's language, any other error as its type and (technical,
    English) text."""
    if isinstance(exc, MsgError | RunError):
        return exc.msg
    return msg("run.exception", type=type(exc).__name__, detail=str(exc))


@dataclass
class RunResult:
    """What a run produced: folder, status (ok / degraded / error), seconds per stage, KPIs per stage, and why a
    stage failed (``message``, rendered in a reader's language)."""

    run_dir: Path
    run_id: str
    scenario: str
    status: str
    timings: dict[str, float]
    stage_status: dict[str, str]
    kpis: dict[str, dict[str, Any]]
    plans_digest: str
    message: Msg | None = None
    log: list[str] = field(default_factory=list)


def environment() -> dict[str, Any]:
    """Package and library versions, Python and platform (written to ``environment.json``)."""
    libs = {}
    for name in _LIBRARIES:
        try:
            libs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libs[name] = None
    return {"bienestar_planner": optimizer.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "libraries": libs}


def _link_or_copy(src: str, dst: str) -> str:
    """Hard-link a file when the file system allows it (records are large and never modified), else copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def new_run_dir(runs_dir: Path, name: str, run_id: str) -> Path:
    """A fresh folder ``<name>-<UTC time>-<id8>`` under ``runs_dir``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = runs_dir / f"{name}-{stamp}-{run_id[:8]}"
    out.mkdir(parents=True, exist_ok=False)
    return out


def prepare(scenario: Scenario, scenario_text: str, run_dir: Path, scenario_file: Path | None = None) -> float:
    """Write every input of the run to ``run_dir`` (see the module doc); returns the demand stage's seconds."""
    base = resolve_base(scenario.dataset, scenario_file)
    tables = Tables.read(base)
    opened = opened_clues(tables["facilities"], scenario.facilities)
    used = apply_overrides(tables, scenario)
    data_dir = run_dir / "inputs" / "dataset"
    used.write(data_dir)
    shutil.copytree(base / "records", data_dir / "records", copy_function=_link_or_copy)
    (run_dir / "scenario.yaml").write_text(scenario_text, encoding="utf-8")
    resolved = scenario.model_dump(mode="json")
    resolved["dataset"] = {"path": "inputs/dataset", "generate": None}
    write_json(run_dir / "scenario.resolved.json", {"scenario": resolved, "base_dataset": str(base),
                                                     "opened": opened})
    write_json(run_dir / "environment.json", environment())
    t0 = time.perf_counter()
    ds = load_dataset(data_dir)
    if ds.rejects:
        raise ScenarioError(msg("scenario.dataset.rejects", count=len(ds.rejects), first=ds.rejects[0].as_msg()))
    base = tables["facilities"].assign(lat=lambda f: f["lat"].astype(float), lon=lambda f: f["lon"].astype(float))
    demand = build_demand(ds.records_dir, Catchment.of(scenario, ds.facilities, base, opened), ds.medicines, scenario)
    demand.write(run_dir / "inputs" / "demand")
    return time.perf_counter() - t0


def load_resolved(run_dir: Path) -> Scenario:
    """The resolved scenario of a run folder (dataset path already pointing into the folder)."""
    doc = json.loads((run_dir / "scenario.resolved.json").read_text())
    return Scenario.model_validate(doc["scenario"])


def plans_digest(run_dir: Path) -> str:
    """SHA-256 over every plan file (path and bytes): equal digests = identical plans."""
    h = hashlib.sha256()
    for p in sorted((run_dir / "plans").rglob("*.csv")):
        h.update(str(p.relative_to(run_dir)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _status(enabled: bool, text: str) -> Status | nullcontext:
    """A spinner while a stage without steps runs (base data, overrides, demand)."""
    return Console(stderr=True).status(text) if enabled else nullcontext()


def _no_progress(stage: str, status: str, done: int, total: int, seconds: float | None) -> None:
    """The default progress callback: nothing (the rich bar, when enabled, shows progress)."""


def _progress(enabled: bool) -> Progress | nullcontext:
    if not enabled:
        return nullcontext()
    return Progress(TextColumn("[bold]{task.description:<13}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[status]}"), TimeElapsedColumn())


def execute(run_dir: Path, run_id: str, progress: bool = True, demand_seconds: float = 0.0,
            cache_dir: Path | None = None, on_progress: ProgressCallback | None = None,
            lineage: str | None = None) -> RunResult:
    """Run the scenario's models from the run folder alone and write plans, KPIs, log and run.json.

    With ``cache_dir``, a stage whose inputs and settings match an earlier run's byte for byte reuses its
    plan (see :mod:`optimizer.scenarios.cache`); ``rerun`` passes None and always re-solves. With a
    ``lineage`` too (the API's run id), every completed stage is kept until this attempt ends, so a later
    attempt of the same lineage (a resumed run) reuses what this one completed before it was interrupted.
    ``on_progress`` receives every stage's progress (see :data:`ProgressCallback`).
    """
    report = on_progress or _no_progress
    scenario = load_resolved(run_dir)
    ds = load_dataset(run_dir / "inputs" / "dataset")
    ctx = RunContext(scenario, ds, DemandTables.read(run_dir / "inputs" / "demand"), run_dir)
    attempt_keys: dict[str, str] = {}
    timings: dict[str, float] = {"demand": demand_seconds}
    stage_status: dict[str, str] = {"demand": "computed"}
    kpis: dict[str, dict[str, Any]] = {"demand": demand_kpis(ctx.demand)}
    log: list[str] = [f"run {run_id}: scenario '{scenario.name}', seed {scenario.seed}, models {scenario.models}"]
    message = None
    t_run = time.perf_counter()
    with _progress(progress) as bar:
        tasks = {}
        if bar is not None:
            for name in scenario.models:
                tasks[name] = bar.add_task(name, total=1, status="waiting")
        report("demand", "done", 0, 0, None)
        for name in scenario.models:
            report(name, "pending", 0, 1, None)
        for name in scenario.models:
            report(name, "running", 0, 1, None)
            if bar is not None:
                bar.update(tasks[name], status="running")
            ctx.progress = _ticker(bar, tasks.get(name), name, report)
            t0 = time.perf_counter()
            try:
                out = _solve_stage(name, ctx, cache_dir, lineage, attempt_keys)
            except Exception as exc:  # a stage failure ends the run with the reason, never a traceback
                timings[name] = time.perf_counter() - t0
                stage_status[name] = "error"
                message = msg("run.stage_failed", stage=name, reason=failure(exc))
                log.append(str(message))
                log.append(traceback.format_exc())
                if bar is not None:
                    bar.update(tasks[name], status="[red]error")
                report(name, "error", 0, 1, timings[name])
                break
            timings[name] = time.perf_counter() - t0
            _keep_stage(name, out, ctx, stage_status, kpis, log)
            if bar is not None:
                bar.update(tasks[name], completed=bar.tasks[tasks[name]].total, status=out.status)
            report(name, out.status, 1, 1, timings[name])
    timings["total"] = time.perf_counter() - t_run + demand_seconds
    status = run_status(stage_status, ctx.outputs)
    digest = plans_digest(run_dir)
    result = RunResult(run_dir, run_id, scenario.name, status, timings, stage_status, kpis, digest, message, log)
    write_json(run_dir / "kpis.json", kpis)
    (run_dir / "log.txt").write_text("\n".join(log) + "\n", encoding="utf-8")
    notes = _stage_notes(ctx.outputs)
    write_json(run_dir / "run.json", {"run_id": run_id, "scenario": scenario.name, "status": status,
                                      "timings_s": timings, "stage_status": stage_status, **_message(message),
                                      "stage_notes": {k: str(v) for k, v in notes.items()},
                                      "stage_notes_i18n": {k: v.to_json() for k, v in notes.items()},
                                      "plans_digest": digest,
                                      "finished": datetime.now(UTC).isoformat()})
    _forget_attempt(cache_dir, attempt_keys)
    return result


def _ticker(bar: Any, task: Any, name: str, report: ProgressCallback) -> Callable[[int, int], None]:
    """The stage's progress callback: moves its bar (when one is shown) and reports ``running done/total``."""
    def tick(done: int, total: int) -> None:
        if bar is not None:
            bar.update(task, completed=done, total=total)
        report(name, "running", done, total, None)
    return tick


def _keep_stage(name: str, out: StageOutput, ctx: RunContext, stage_status: dict[str, str],
                kpis: dict[str, dict[str, Any]], log: list[str]) -> None:
    """A finished stage's output, status, KPIs and log lines (its validator objections and explanation too)."""
    ctx.outputs[name] = out
    stage_status[name] = out.status
    kpis[name] = out.kpis
    log.extend(out.log)
    if out.violations:
        log.append(f"{name}: VALIDATOR found {len(out.violations)} violations: {out.violations[:5]}")
    if out.explanation:
        log.append(f"{name}: {out.explanation}")


def _message(message: Msg | None) -> dict[str, Any]:
    """``run.json``'s message: English text (``message``) and the catalogue form (``message_i18n``) a reader's
    language is rendered from."""
    return {"message": str(message) if message else None, "message_i18n": message.to_json() if message else None}


def _stage_notes(outputs: dict[str, StageOutput]) -> dict[str, Msg]:
    """Per stage, why its plan is what it is: the model's explanation, or the validator's first objections (as
    messages: ``run.json`` keeps the English text and the catalogue form the report renders in its language)."""
    notes = {name: msg_of(out.explanation) for name, out in outputs.items() if out.explanation}
    notes.update({name: msg("run.validator_note", violations="; ".join(out.violations[:5]))
                  for name, out in outputs.items() if out.violations})
    return notes


def _forget_attempt(cache_dir: Path | None, attempt_keys: dict[str, str]) -> None:
    """Drop the attempt's cache entries: the attempt has ended, so there is nothing left to resume."""
    for name, key in attempt_keys.items():
        if cache_dir is not None:
            cache.forget(cache_dir, name, key)


def _solve_stage(name: str, ctx: RunContext, cache_dir: Path | None, lineage: str | None = None,
                 attempt_keys: dict[str, str] | None = None) -> StageOutput:
    """Solve stage ``name`` (or reuse an identical earlier plan from ``cache_dir``) and write its plans.

    The cache entry is claimed while it is computed, so a run in another process that reaches the same stage
    with the same inputs at the same moment (the demo's two scenarios, a sweep) waits and reuses the plan
    instead of solving it a second time. Entries of the attempt's ``lineage`` are noted in ``attempt_keys``.
    """
    plans = ctx.run_dir / "plans" / name
    key = cache.stage_key(ctx.run_dir, ctx.scenario, name) if cache_dir is not None else None
    if key is None and cache_dir is not None and lineage is not None:
        key = cache.attempt_key(ctx.run_dir, name, lineage, ctx.outputs)
        if attempt_keys is not None:
            attempt_keys[name] = key
    if key is None or cache_dir is None:
        out = STAGES[name](ctx)
        _write_plans(plans, out.tables)
        return out
    with cache.claim(cache_dir, name, key):
        hit = cache.load(cache_dir, name, key)
        if hit is not None:
            out, source_run, folder = hit
            out.log = [*out.log, f"{name}: plan reused from run {source_run} (identical inputs and settings)"]
            cache.copy_plans(folder, plans)
            return out
        out = STAGES[name](ctx)
        _write_plans(plans, out.tables)
        cache.store(cache_dir, name, key, ctx.run_dir, out)
        return out


def run_status(stage_status: dict[str, str], outputs: dict[str, StageOutput]) -> str:
    """``error`` if a stage failed or a validator found a violation; ``degraded`` if a solve did not reach a
    feasible plan; ``ok`` otherwise."""
    if "error" in stage_status.values() or any(o.violations for o in outputs.values()):
        return "error"
    worst = status_of(list(stage_status.values()))
    return "degraded" if worst in ("infeasible", "time_limit") else "ok"


def demand_kpis(demand: DemandTables) -> dict[str, float]:
    """Totals of the run's demand tables (procedures and OR hours per week; medicine units per week)."""
    weeks = demand.medicine_weekly["week"].nunique() or 1
    return {"procedures_per_week": float(demand.surgical["procedures_per_week"].sum()),
            "or_hours_per_week": float(demand.surgical["or_hours_per_week"].sum()),
            "medicine_units_per_week": float(demand.medicine_weekly["units"].sum() / weeks)}


def _write_plans(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)


def _record(result: RunResult) -> RunResult:
    headline = {stage: {k: v for k, v in k_.items() if isinstance(v, int | float | str | None)}
                for stage, k_ in result.kpis.items()}
    registry.finish(result.run_id, result.status, result.timings, plain(headline),
                    result.message.dumps() if result.message else None)
    return result


def run_scenario(path_or_model: str | Path | Scenario, runs_dir: Path | None = None,
                 progress: bool = True, on_progress: ProgressCallback | None = None,
                 on_start: StartCallback | None = None, run_id: str | None = None) -> RunResult:
    """Run a scenario file (or a :class:`Scenario`) end to end; the run is recorded in the store.

    A bad scenario raises :class:`ScenarioError` (file, line, key) before anything is written.
    ``progress`` draws the terminal bar; ``on_progress`` receives the same progress as calls (the API);
    ``on_start`` learns the store run id and run folder as soon as they exist. ``run_id``: the id the run
    already has (the API's, given when it was queued), kept in the store and the folder name; else a new one.
    A run given its id can be attempted again (resumed): a later attempt reuses the stages an interrupted one
    completed (the id is the stage cache's lineage).
    """
    if isinstance(path_or_model, Scenario):
        scenario, text, src = path_or_model, json.dumps(path_or_model.model_dump(mode="json"), indent=2), None
    else:
        src = Path(path_or_model)
        scenario, text = load_scenario(src), src.read_text(encoding="utf-8")
    scenario = scenario.seeded()
    runs_dir = Path(runs_dir) if runs_dir is not None else registry.default_runs_dir()
    lineage = run_id  # only a run that came with its id can be attempted again
    run_id = registry.start(scenario.name, run_id)
    run_dir = new_run_dir(runs_dir, scenario.name, run_id)
    if on_start is not None:
        on_start(run_id, run_dir)
    if on_progress is not None:
        on_progress("demand", "running", 0, 0, None)
    try:
        with _status(progress, f"preparing inputs and demand of {run_dir.name} ..."):
            demand_s = prepare(scenario, text, run_dir, src)
    except Exception as exc:  # recorded, then re-raised as one clear message (no traceback for the user)
        message = msg("run.prepare_failed", folder=run_dir.name, reason=failure(exc))
        registry.finish(run_id, "error", {}, {}, message.dumps())
        write_json(run_dir / "run.json", {"run_id": run_id, "scenario": scenario.name, "status": "error",
                                           **_message(message)})
        (run_dir / "log.txt").write_text(f"{message}\n{traceback.format_exc()}", encoding="utf-8")
        if isinstance(exc, ScenarioError):
            raise
        raise RunError(message) from exc
    return _record(execute(run_dir, run_id, progress, demand_s, cache_dir=runs_dir / ".stage-cache",
                           on_progress=on_progress, lineage=lineage))


def rerun(ref: str | Path, runs_dir: Path | None = None, progress: bool = True,
          on_progress: ProgressCallback | None = None) -> tuple[RunResult, Path]:
    """Reproduce a run from its folder alone into a new folder; returns the new result and the original folder.

    Compare ``result.plans_digest`` with the original's ``run.json`` to confirm identical plans.
    """
    original = registry.find_run(ref, runs_dir)
    scenario = load_resolved(original)
    runs_dir = Path(runs_dir) if runs_dir is not None else original.parent
    run_id = registry.start(scenario.name)
    run_dir = new_run_dir(runs_dir, scenario.name, run_id)
    for name in ("scenario.yaml", "scenario.resolved.json"):
        shutil.copy2(original / name, run_dir / name)
    shutil.copytree(original / "inputs", run_dir / "inputs", copy_function=_link_or_copy)
    write_json(run_dir / "environment.json", environment())
    prev = json.loads((original / "run.json").read_text())
    result = _record(execute(run_dir, run_id, progress, float(prev.get("timings_s", {}).get("demand", 0.0)),
                             on_progress=on_progress))
    return result, original

