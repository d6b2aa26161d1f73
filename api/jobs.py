"""The run pool: each run executes in its own worker process, at most ``max_concurrent_runs`` at once.

Workers are forked from a fork server that imported the runner and the solvers once (a fresh Python takes
seconds to import OR-Tools, HiGHS and PyVRP), so a run starts at once and shares nothing with the server's
threads.

Why processes: a run is CPU-bound solver work for seconds to minutes; outside the server process it
cannot stall requests, and cancelling it is killing its process group (the runner's own rostering
processes included). Why the store: the worker writes status and per-stage progress to ``api_runs``, so the
server only reads, a finished result survives a server restart, and a run lost with the server is marked
``interrupted`` at the next start (:func:`api.runstate.mark_interrupted`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
import uuid
from multiprocessing import forkserver
from multiprocessing.process import BaseProcess
from pathlib import Path

from sqlalchemy import Engine

from api import runstate
from api.errors import ApiError
from api.worker import run_worker
from optimizer.paths import home_dir


class RunPool:
    """Starts, tracks and cancels worker processes; refuses work past the concurrency limit."""

    def __init__(self, engine: Engine, runs_dir: Path, max_concurrent: int, retry_after_s: int,
                 cancel_grace_s: float) -> None:
        self.engine = engine
        self.runs_dir = runs_dir
        self.max_concurrent = max_concurrent
        self.retry_after_s = retry_after_s
        self.cancel_grace_s = cancel_grace_s
        self._procs: dict[str, BaseProcess] = {}
        self._lock = threading.Lock()
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(["api.execute"])

    def warm_up(self) -> None:
        """Start the fork server now, so it has imported the solvers before the first run is asked for."""
        forkserver.ensure_running()

    def active(self) -> int:
        """Runs executing now: worker alive and the run not yet recorded as ended."""
        with self._lock:
            return self._busy()

    def _busy(self) -> int:
        alive = [run_id for run_id, p in self._procs.items() if p.is_alive()]
        return sum(1 for run_id in alive
                   if (row := runstate.get(self.engine, run_id)) is not None and row["status"] in runstate.ACTIVE)

    def submit(self, scenario: str, scenario_file: Path, stages: list[str]) -> str:
        """Queue a run of ``scenario_file`` and start its worker; 429 when the pool is full."""
        with self._lock:
            busy = self._busy()
            if busy >= self.max_concurrent:
                raise ApiError(429, f"{busy} runs are executing (limit {self.max_concurrent}); retry later",
                               headers={"Retry-After": str(self.retry_after_s)})
            run_id = uuid.uuid4().hex
            runstate.create(self.engine, run_id, scenario, str(scenario_file), stages)
            url = self.engine.url.render_as_string(hide_password=False)
            proc = self._ctx.Process(target=run_worker, name=f"bienestar-run-{run_id[:8]}", daemon=False,
                                     args=(run_id, str(scenario_file), str(self.runs_dir), url, str(home_dir())))
            proc.start()
            self._procs[run_id] = proc
        threading.Thread(target=self._reap, args=(run_id, proc), daemon=True, name=f"reap-{run_id[:8]}").start()
        return run_id

    def _reap(self, run_id: str, proc: BaseProcess) -> None:
        """Wait for the worker; a worker that died without recording an end gets one here."""
        proc.join()
        row = runstate.get(self.engine, run_id)
        if row is not None and row["status"] == "cancelling":
            runstate.set_fields(self.engine, run_id, only_if=("cancelling",), status="cancelled",
                                finished=runstate.now(), error="cancelled by request")
        elif row is not None and row["status"] in runstate.ACTIVE:
            runstate.set_fields(self.engine, run_id, only_if=runstate.ACTIVE, status="failed",
                                finished=runstate.now(),
                                error=f"the worker process ended unexpectedly (exit code {proc.exitcode})")
        with self._lock:
            self._procs.pop(run_id, None)

    def cancel(self, run_id: str) -> bool:
        """Stop a queued or running run: SIGTERM to its process group, SIGKILL after the grace period.

        Returns False when the run is not executing in this server (already ended, or unknown).
        """
        with self._lock:
            proc = self._procs.get(run_id)
        if proc is None or not proc.is_alive():
            return False
        if not runstate.set_fields(self.engine, run_id, only_if=("queued", "running"), status="cancelling"):
            return False
        threading.Thread(target=self._kill, args=(proc,), daemon=True).start()
        return True

    def _kill(self, proc: BaseProcess) -> None:
        pid = proc.pid
        if pid is None:
            return
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.cancel_grace_s
        while proc.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        _signal_group(pid, signal.SIGKILL)

    def shutdown(self) -> None:
        """Server stopping: kill every worker; their runs are marked ``interrupted``."""
        with self._lock:
            procs = dict(self._procs)
        for run_id, proc in procs.items():
            if proc.is_alive() and proc.pid is not None:
                runstate.set_fields(self.engine, run_id, only_if=runstate.ACTIVE, status="interrupted",
                                    finished=runstate.now(), error="the server was stopped during this run")
                _signal_group(proc.pid, signal.SIGKILL)
        for proc in procs.values():
            proc.join(timeout=5)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the worker's process group (it makes itself group leader first thing), else the worker alone."""
    try:
        os.killpg(pid, sig)
        return
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
