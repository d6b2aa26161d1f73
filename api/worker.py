"""What runs inside a worker process: one scenario run, its progress and outcome written to the store.

The worker makes itself a process-group leader (so cancelling kills the runner's own child processes
too) and watches its parent (the fork server, which exits with the server): if the server dies, the worker
kills its group rather than finish a run nobody will read, and the next server start marks the run
``interrupted``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import traceback
from pathlib import Path

from api import runstate
from api.db import engine_for
from api.execute import execute_scenario
from optimizer.scenarios.runner import RunError

PARENT_POLL_S = 0.5


def _watch_parent() -> None:
    """Kill this process group once the parent (the server, or its fork server) is gone."""
    parent_pid = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(PARENT_POLL_S)
            if os.getppid() != parent_pid:
                os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=loop, daemon=True, name="watch-parent").start()


def _redirect_output(log_path: Path) -> None:
    """Send this process's stdout and stderr (solver banners included, which C code writes) to the run log."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def run_worker(run_id: str, scenario_file: str, runs_dir: str, db_url: str, home: str) -> None:
    """Entry point of a worker process (started by :class:`api.jobs.RunPool`).

    ``home`` and ``db_url`` are the server's: a fork server started earlier may hold another environment.
    """
    os.setpgid(0, 0)
    _watch_parent()
    os.environ["BIENESTAR_HOME"] = home
    os.environ["BIENESTAR_DB_URL"] = db_url
    engine = engine_for(db_url)
    if not runstate.set_fields(engine, run_id, only_if=("queued",), status="running", started=runstate.now(),
                               pid=os.getpid()):
        return  # cancelled before it started
    log_path = Path(runs_dir) / "_api_logs" / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    _redirect_output(log_path)

    def progress(stage: str, status: str, done: int = 0, total: int = 0, seconds: float | None = None) -> None:
        runstate.set_stage(engine, run_id, stage, status=status, done=done, total=total, seconds=seconds)

    try:
        outcome = execute_scenario(Path(scenario_file), Path(runs_dir), progress)
    except (ValueError, FileNotFoundError, RunError) as exc:  # bad scenario or data: a message for the planner
        logging.error("run %s failed: %s", run_id, exc)
        runstate.set_fields(engine, run_id, only_if=("running",), status="failed", finished=runstate.now(),
                            error=str(exc))
        runstate.end_stages(engine, run_id)
        return
    except Exception as exc:
        logging.error("run %s crashed:\n%s", run_id, traceback.format_exc())
        runstate.set_fields(engine, run_id, only_if=("running",), status="failed", finished=runstate.now(),
                            error=f"{type(exc).__name__}: {exc} (the run log has the details)")
        runstate.end_stages(engine, run_id)
        return
    for stage, seconds in outcome.timings.items():
        if stage != "total":
            runstate.set_stage(engine, run_id, stage, seconds=seconds)
    runstate.set_fields(engine, run_id, only_if=("running",), status=outcome.status, finished=runstate.now(),
                        kpis=outcome.kpis, run_dir=str(outcome.run_dir), store_run_id=outcome.store_run_id,
                        error=outcome.message, outcome=outcome.outcome)
