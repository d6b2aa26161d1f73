"""The run pool: each run executes in its own worker process; at most ``max_concurrent_runs`` execute at once
across every server sharing the store.

Workers are forked from a fork server that imported the runner and the solvers once (a fresh Python takes
seconds to import OR-Tools, HiGHS and PyVRP), so a run starts at once and shares nothing with the server's
threads.

Why processes: a run is CPU-bound solver work for seconds to minutes; outside the server process it
cannot stall requests, and cancelling it is killing its process group (the runner's own rostering
processes included). Why the store: ``POST /runs`` only queues a row; a dispatcher thread in each server
claims queued runs (:func:`api.runstate.claim_next`, one server per run) while the store counts fewer than
the limit executing, and starts a worker for each. Workers renew a lease in the store; the dispatcher also
reconciles (:func:`api.runstate.reconcile`): a run whose lease ran out lost its worker and is settled from
its run folder. A worker outlives a killed server and is adopted by the next one through its lease.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import socket
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
from optimizer.i18n import msg
from optimizer.paths import home_dir

log = logging.getLogger("bienestar.api")

#: Runs that may wait in the queue beyond those executing (past it, 429).
MAX_QUEUED = 20
#: Seconds between two dispatcher passes when nothing wakes it.
DISPATCH_POLL_S = 1.0


class RunPool:
    """Queues, claims, starts, adopts, reconciles and cancels runs; refuses work past the concurrency limit."""

    def __init__(self, engine: Engine, runs_dir: Path, max_concurrent: int, retry_after_s: int,
                 cancel_grace_s: float, lease_s: float) -> None:
        self.engine = engine
        self.runs_dir = runs_dir
        self.max_concurrent = max_concurrent
        self.retry_after_s = retry_after_s
        self.cancel_grace_s = cancel_grace_s
        self.lease_s = lease_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._procs: dict[str, BaseProcess] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._ready = threading.Event()  # set once the fork server can start workers
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(["api.execute"])

    def warm_up(self) -> None:
        """Start the fork server now, so it has imported the solvers before the first run is asked for.

        Until it has, this server claims no run: starting a worker would wait for those imports (many seconds
        on a busy machine) while the claimed run's lease ran out, and another server sharing the store would
        then settle the run as interrupted before its worker began. Queued runs wait for a ready server.
        """
        try:
            forkserver.ensure_running()  # returns before the fork server has imported anything
            _lower_priority(forkserver._forkserver._forkserver_pid)
            probe = self._ctx.Process(target=_ready_probe, name="bienestar-fork-server-probe")
            probe.start()  # answered once the fork server has imported the solvers
            probe.join()
        finally:
            self._ready.set()
            self._wake.set()

    def ready(self) -> bool:
        """Whether this server claims and starts queued runs yet (see :meth:`warm_up`)."""
        return self._ready.is_set()

    def start(self) -> None:
        """At server start: settle the runs whose workers are gone, then dispatch queued runs until shutdown."""
        settled = runstate.reconcile(self.engine)
        if settled:
            log.warning("reconciled %d run(s) left by a stopped server: %s", len(settled), settled)
        threading.Thread(target=self._dispatch_loop, daemon=True, name="run-dispatcher").start()

    def active(self) -> int:
        """Runs executing now in the store (this server's, other servers' and adopted orphans')."""
        return runstate.count(self.engine, runstate.RUNNING)

    def submit(self, scenario: str, scenario_file: Path, stages: list[str]) -> str:
        """Queue a run of ``scenario_file``: it starts when one of the ``max_concurrent`` slots is free, and waits
        in the queue (with its position, :meth:`queue_position`) until then; 429 only when the queue is full."""
        with self._lock:
            self._check_capacity()
            run_id = uuid.uuid4().hex  # the run's one id: its worker runs the scenario under it (store row, folder)
            runstate.create(self.engine, run_id, scenario, str(scenario_file), stages)
        self._wake.set()
        return run_id

    def _check_capacity(self) -> None:
        """429 when the queue is full: ``MAX_QUEUED`` runs wait beyond the ones executing (a client cannot pile up
        unbounded work)."""
        busy = runstate.count(self.engine, runstate.ACTIVE)
        if busy >= self.max_concurrent + MAX_QUEUED:
            raise ApiError(429, f"{busy} runs are queued or executing (limit {self.max_concurrent} at once, "
                           f"{MAX_QUEUED} waiting); retry later", headers={"Retry-After": str(self.retry_after_s)},
                           key="api.run.queue_full", busy=busy, limit=self.max_concurrent, waiting=MAX_QUEUED)

    def queue_position(self, run_id: str) -> int | None:
        """1 for the next queued run to start, 2 for the one after, ...; None when the run is not queued."""
        return runstate.queue_position(self.engine, run_id)

    def resume(self, run_id: str, stages: list[str]) -> bool:
        """Queue an interrupted or cancelled run again (429 past the limit); False when it is in another state."""
        with self._lock:
            self._check_capacity()
            if not runstate.resume(self.engine, run_id, stages):
                return False
        self._wake.set()
        return True

    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._renew_local_leases()
                runstate.reconcile(self.engine)
                while self._ready.is_set() and not self._stop.is_set() and (row := runstate.claim_next(
                        self.engine, self.owner, self.lease_s, self.max_concurrent)) is not None:
                    self._launch(row)
            except Exception:  # a store hiccup must not end dispatching; the next pass retries
                log.exception("run dispatcher pass failed")
            self._wake.wait(DISPATCH_POLL_S)
            self._wake.clear()

    def _renew_local_leases(self) -> None:
        """Renew the lease of every live worker of this server too: a worker whose solver holds the GIL for a
        long C call cannot run its own heartbeat thread, but it is alive, and this server can see that."""
        with self._lock:
            alive = [run_id for run_id, proc in self._procs.items() if proc.is_alive()]
        for run_id in alive:
            runstate.heartbeat(self.engine, run_id, self.lease_s)

    def _launch(self, row: dict) -> None:
        """Start the worker of a run this server just claimed."""
        run_id = row["run_id"]
        url = self.engine.url.render_as_string(hide_password=False)
        proc = self._ctx.Process(target=run_worker, name=f"bienestar-run-{run_id[:8]}", daemon=False,
                                 args=(run_id, row["scenario_file"], str(self.runs_dir), url, str(home_dir()),
                                       self.lease_s))
        proc.start()
        _lower_priority(forkserver._forkserver._forkserver_pid)  # a fork server started by this very launch
        with self._lock:
            self._procs[run_id] = proc
        threading.Thread(target=self._reap, args=(run_id, proc), daemon=True, name=f"reap-{run_id[:8]}").start()

    def _reap(self, run_id: str, proc: BaseProcess) -> None:
        """Wait for a local worker; one that died without recording an end is settled from its folder now."""
        proc.join()
        row = runstate.get(self.engine, run_id)
        if row is not None and row["status"] in runstate.RUNNING:
            runstate.settle(self.engine, row, msg("run.worker_exited", code=proc.exitcode))
        with self._lock:
            self._procs.pop(run_id, None)
        self._wake.set()

    def cancel(self, run_id: str) -> bool:
        """Stop a queued or running run. A queued run is cancelled at once; a running one becomes ``cancelling``:
        this server's worker gets SIGTERM then SIGKILL after the grace period, another server's (or an adopted
        orphan) stops itself at its next heartbeat. False when the run is not queued or running."""
        if runstate.set_fields(self.engine, run_id, only_if=("queued",), status="cancelled",
                               finished=runstate.now(), error=runstate.CANCELLED):
            runstate.end_stages(self.engine, run_id)
            return True
        if not runstate.set_fields(self.engine, run_id, only_if=("running",), status="cancelling"):
            return False
        with self._lock:
            proc = self._procs.get(run_id)
        if proc is not None and proc.is_alive():
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
        """Server stopping in order: stop dispatching, kill this server's workers; their runs become
        ``interrupted`` (resumable). Workers of other servers and adopted orphans are left running."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            procs = dict(self._procs)
        for proc in procs.values():
            if proc.is_alive() and proc.pid is not None:
                _signal_group(proc.pid, signal.SIGKILL)
        for run_id, proc in procs.items():
            proc.join(timeout=5)
            row = runstate.get(self.engine, run_id)
            if row is not None and row["status"] in runstate.RUNNING:
                runstate.settle(self.engine, row, msg("run.server_stopped"))


def _ready_probe() -> None:
    """A worker that does nothing: that it started proves the fork server is ready to start workers."""


#: Niceness of the fork server and so of every worker forked from it: solver runs yield the CPU to requests.
WORKER_NICENESS = 10


def _lower_priority(pid: int | None) -> None:
    """Run ``pid`` (the fork server: its solver imports, then every worker it forks) at :data:`WORKER_NICENESS`,
    so reads keep their latency while runs solve on the same cores."""
    if pid is None:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, max(os.getpriority(os.PRIO_PROCESS, pid), WORKER_NICENESS))
    except (ProcessLookupError, PermissionError):
        return


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
