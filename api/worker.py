"""What runs inside a worker process: one claimed scenario run, its progress and outcome written to the store.

The worker makes itself a process-group leader (so cancelling kills the runner's own child processes too)
and renews the run's lease in the store every few seconds. It does not depend on the server that started it:
if that server dies, the worker finishes and records its run, and the next server adopts it (counts it,
shows its progress, can cancel it) because its lease stays fresh. The lease is also how the worker is told
to stop: when its run is ``cancelling`` it records ``cancelled`` and kills its group; when the store no
longer shows the run executing (settled by a server that found its lease expired) it kills its group
rather than write over a settled record.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import traceback
from pathlib import Path

from sqlalchemy import Engine

from api import runstate
from api.db import engine_for
from api.execute import execute_scenario
from optimizer.i18n import Msg, MsgError, msg
from optimizer.scenarios.runner import RunError, failure


def _keep_lease(engine: Engine, run_id: str, lease_s: float) -> None:
    """Renew the lease every quarter lease; stop this process group when the run is cancelled or settled."""

    def loop() -> None:
        while True:
            status = runstate.heartbeat(engine, run_id, lease_s)
            if status == "cancelling":
                runstate.set_fields(engine, run_id, only_if=("cancelling",), status="cancelled",
                                    finished=runstate.now(), lease_until=None, error=runstate.CANCELLED)
                runstate.end_stages(engine, run_id)
            if status != "running":
                logging.warning("run %s is %s in the store: stopping this worker", run_id, status)
                os.killpg(os.getpgrp(), signal.SIGKILL)
            threading.Event().wait(lease_s / 4)

    threading.Thread(target=loop, daemon=True, name="lease").start()


def _redirect_output(log_path: Path) -> None:
    """Send this process's stdout and stderr (solver banners included, which C code writes) to the run log."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def run_worker(run_id: str, scenario_file: str, runs_dir: str, db_url: str, home: str, lease_s: float) -> None:
    """Entry point of a worker process (started by :class:`api.jobs.RunPool` for a run it claimed).

    ``home`` and ``db_url`` are the server's: a fork server started earlier may hold another environment.
    """
    os.setpgid(0, 0)
    os.environ["BIENESTAR_HOME"] = home
    os.environ["BIENESTAR_DB_URL"] = db_url
    engine = engine_for(db_url)
    if not runstate.set_fields(engine, run_id, only_if=("running",), pid=os.getpid()):
        return  # cancelled or settled before it started
    log_path = Path(runs_dir) / "_api_logs" / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    _redirect_output(log_path)
    _keep_lease(engine, run_id, lease_s)

    def progress(stage: str, status: str, done: int, total: int, seconds: float | None) -> None:
        runstate.set_stage(engine, run_id, stage, status=status, done=done, total=total, seconds=seconds)

    def started(store_run_id: str, run_dir: Path) -> None:
        runstate.set_fields(engine, run_id, store_run_id=store_run_id, run_dir=str(run_dir))

    try:
        outcome = execute_scenario(Path(scenario_file), Path(runs_dir), progress, started, run_id)
    except (ValueError, FileNotFoundError, RunError) as exc:  # bad scenario or data: a message for the planner
        logging.error("run %s failed: %s", run_id, exc)
        _fail(engine, run_id, failure(exc) if isinstance(exc, MsgError | RunError) else msg("common.text",
                                                                                                  text=str(exc)))
        return
    except Exception as exc:
        logging.error("run %s crashed:\n%s", run_id, traceback.format_exc())
        _fail(engine, run_id, msg("run.crashed", type=type(exc).__name__, detail=str(exc)))
        return
    for stage, seconds in outcome.timings.items():  # demand's time is known only at the end
        if stage != "total":
            runstate.set_stage(engine, run_id, stage, seconds=seconds)
    runstate.set_fields(engine, run_id, only_if=("running",), status=outcome.status, finished=runstate.now(),
                        kpis=outcome.kpis, run_dir=str(outcome.run_dir), store_run_id=outcome.store_run_id,
                        error=outcome.message, outcome=outcome.outcome, lease_until=None)


def _fail(engine: Engine, run_id: str, message: Msg) -> None:
    """Record a run that ended with an error message (shown in the reader's language) and no results."""
    runstate.set_fields(engine, run_id, only_if=("running",), status="failed", finished=runstate.now(),
                        error=message.dumps(), lease_until=None)
    runstate.end_stages(engine, run_id)
