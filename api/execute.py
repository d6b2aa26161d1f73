"""The bridge from a worker process to the scenario runner, with stage progress sent to the store.

The runner (:mod:`optimizer.scenarios.runner`) reports progress through a rich ``Progress`` bar: one task
per model stage, updated with its status and ``completed``/``total`` (rostering counts hospitals). In a
worker we give it a silent bar whose updates are forwarded to a callback, so the API shows the same
per-stage progress a planner sees in the terminal.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, TaskID

from optimizer.cli.common import to_jsonable
from optimizer.scenarios import runner

#: ``(stage, status, done, total, seconds)``; status is pending / running / the stage's solve status.
ProgressCallback = Callable[..., None]


@dataclass
class Outcome:
    """How a run ended, for the ``api_runs`` row."""

    status: str  # finished | failed
    kpis: dict[str, Any]
    run_dir: Path
    store_run_id: str
    message: str | None
    outcome: str  # the runner's verdict: ok | degraded | error
    timings: dict[str, float]  # wall seconds per stage


class StageBar(Progress):
    """A rich progress bar that draws nothing and forwards every task update to ``callback``."""

    def __init__(self, callback: ProgressCallback) -> None:
        super().__init__(console=Console(file=io.StringIO()), auto_refresh=False)
        self._callback = callback
        self._started: dict[TaskID, float] = {}

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> TaskID:
        task = super().add_task(description, *args, **kwargs)
        self._callback("demand", "done")
        self._callback(description, "pending", 0, int(kwargs.get("total") or 0))
        return task

    def update(self, task_id: TaskID, *args: Any, **kwargs: Any) -> None:
        super().update(task_id, *args, **kwargs)
        task = self._tasks[task_id]
        status = str(task.fields.get("status", "running")).removeprefix("[red]")
        if status == "running" and task_id not in self._started:
            self._started[task_id] = time.perf_counter()
        finished = status not in ("running", "waiting")
        seconds = time.perf_counter() - self._started[task_id] if finished and task_id in self._started else None
        self._callback(task.description, "pending" if status == "waiting" else status,
                       int(task.completed), int(task.total or 0), seconds)


def execute_scenario(scenario_file: Path, runs_dir: Path, callback: ProgressCallback) -> Outcome:
    """Run ``scenario_file`` with the scenario runner, reporting stage progress to ``callback``."""
    callback("demand", "running")
    runner._progress = lambda enabled: StageBar(callback)  # the runner's bar factory, per worker process
    result = runner.run_scenario(scenario_file, runs_dir, progress=True)
    status = "failed" if result.status == "error" else "finished"
    message = result.message
    if result.status == "degraded" and message is None:
        message = "a model did not reach a feasible plan within its limits; see the stage statuses"
    if result.status == "error" and message is None:
        message = f"a plan failed its independent validator; see {result.run_dir / 'log.txt'}"
    return Outcome(status, to_jsonable(result.kpis), result.run_dir, result.run_id, message, result.status,
                   dict(result.timings))
