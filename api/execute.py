"""The bridge from a worker process to the scenario runner: progress and the run folder go to callbacks.

The runner reports every stage's progress through ``on_progress`` (``stage, status, done, total, seconds``)
and names its store run id and run folder through ``on_start`` as soon as they exist; the worker writes both
to the store, so the API shows the same per-stage progress a planner sees in the terminal, and a run whose
worker dies still has a folder to be reconciled with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.i18n import msg
from optimizer.jsonio import plain
from optimizer.scenarios import runner
from optimizer.scenarios.runner import ProgressCallback, StartCallback


@dataclass
class Outcome:
    """How a run ended, for the ``api_runs`` row."""

    status: str  # finished | failed
    kpis: dict[str, Any]
    run_dir: Path
    store_run_id: str
    message: str | None  # a stored message (:meth:`optimizer.i18n.Msg.dumps`), shown in the reader's language
    outcome: str  # the runner's verdict: ok | degraded | error
    timings: dict[str, float]  # wall seconds per stage


def execute_scenario(scenario_file: Path, runs_dir: Path, on_progress: ProgressCallback,
                     on_start: StartCallback, run_id: str) -> Outcome:
    """Run ``scenario_file`` under ``run_id`` (the id the API gave the run when it was queued: the store and the
    run folder keep it) with the scenario runner, reporting progress and its folder to the callbacks. An attempt
    of a resumed run (same id) reuses the stages its interrupted attempt completed (:mod:`optimizer.scenarios.
    cache`)."""
    result = runner.run_scenario(scenario_file, runs_dir, progress=False, on_progress=on_progress, on_start=on_start,
                                 run_id=run_id)
    status = "failed" if result.status == "error" else "finished"
    message = result.message
    if result.status == "degraded" and message is None:
        message = msg("run.degraded")
    if result.status == "error" and message is None:
        message = msg("run.validator_failed", log=f"{result.run_dir.name}/log.txt")
    return Outcome(status, plain(result.kpis), result.run_dir, result.run_id, message.dumps() if message else None,
                   result.status, dict(result.timings))
