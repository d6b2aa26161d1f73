"""One way to set up and run CP-SAT: parameters from the contract's settings, no output on stdout, one status map.

Rostering, deployment (``solver="cpsat"``) and surgery build different models but configure the solver the
same way: a wall-clock limit (s), a seed, a number of workers (threads) and, rarely, a few search parameters.
CP-SAT only writes its search log when asked (``log=True``); it then goes to stderr, never to stdout, so a
``--json`` document stays the only thing there (see :mod:`optimizer.solvers.silence` for HiGHS's banner).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ortools.sat.python import cp_model

from optimizer.plan import Status

_STATUS: dict[int, Status] = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "error",
    cp_model.UNKNOWN: "time_limit",  # stopped by the clock before a solution or a proof
}


def _log_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cpsat_solver(
    time_limit_s: float, seed: int, workers: int = 1, *, log: bool = False,
    subsolvers: Sequence[str] = (), **search: float | int | bool,
) -> cp_model.CpSolver:
    """A ``CpSolver`` stopping after ``time_limit_s`` seconds (wall time, as given: callers apply their own
    floor), seeded with ``seed``, on ``workers`` threads. ``subsolvers`` (names) and ``search`` (other
    ``SatParameters`` fields, e.g. ``linearization_level=2``) tune the search; ``log`` sends the search log
    to stderr."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = float(time_limit_s)
    p.num_workers = int(workers)
    p.random_seed = int(seed)
    p.subsolvers.extend(subsolvers)
    for name, value in search.items():
        setattr(p, name, value)
    p.log_to_stdout = False
    p.log_search_progress = log
    if log:
        solver.log_callback = _log_to_stderr
    return solver


def found(status: int) -> bool:
    """Whether a CP-SAT status comes with a solution (``OPTIMAL`` or ``FEASIBLE``)."""
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def cpsat_status(status: int) -> Status:
    """The plan word for a ``CpSolverStatus``: ``optimal``, ``feasible``, ``infeasible``, ``error`` (an
    invalid model) or ``time_limit`` (``UNKNOWN``: stopped before a solution or a proof)."""
    return _STATUS.get(status, "error")


def solve_cpsat(
    model: cp_model.CpModel, time_limit_s: float, seed: int, workers: int = 1,
    callback: cp_model.CpSolverSolutionCallback | None = None, **search: float | int | bool,
) -> tuple[cp_model.CpSolver, int]:
    """Solve ``model`` with :func:`cpsat_solver`'s parameters; returns the solver (values, bound) and its
    status."""
    solver = cpsat_solver(time_limit_s, seed, workers, **search)
    return solver, solver.solve(model, callback)
