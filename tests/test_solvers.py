"""Solver plumbing (optimizer/solvers): HiGHS status words, the lexicographic tier driver, stdout silencing."""

from __future__ import annotations

import subprocess
import sys

import highspy
import numpy as np
import pytest

from optimizer.solvers.highs_status import has_solution, highs_status
from optimizer.solvers.lexicographic import Tier, TierPolicy, solve_tiers
from optimizer.solvers.silence import quiet_highs

INF = highspy.kHighsInf


def _lp(rows: list[tuple[list[int], list[float], float, float]], n: int, upper: float = INF) -> highspy.Highs:
    h = quiet_highs()
    h.addVars(n, np.zeros(n), np.full(n, upper))
    for idx, val, lo, up in rows:
        h.addRow(lo, up, len(idx), np.array(idx, np.int32), np.array(val, float))
    return h


def test_status_words() -> None:
    empty = quiet_highs()
    empty.run()
    assert highs_status(empty) == "optimal"  # kModelEmpty: nothing to decide
    bad = _lp([([0], [1.0], 2.0, INF), ([0], [1.0], -INF, 1.0)], 1)
    bad.run()
    assert highs_status(bad) == "infeasible" and not has_solution(bad)
    ok = _lp([([0, 1], [1.0, 1.0], -INF, 1.0)], 2)
    ok.changeColsCost(2, np.array([0, 1], np.int32), np.array([1.0, 2.0]))
    ok.changeObjectiveSense(highspy.ObjSense.kMaximize)
    ok.run()
    assert highs_status(ok) == "optimal" and has_solution(ok)


def test_tiers_keep_each_optimum() -> None:
    """max x + y (= 1), then min x: the second tier may not lose the first tier's optimum."""
    h = _lp([([0, 1], [1.0, 1.0], -INF, 1.0)], 2)
    run = solve_tiers(h, [Tier("total", "max", np.array([1.0, 1.0])), Tier("x", "min", np.array([1.0, 0.0]))],
                      TierPolicy(10.0, 1e-9))
    assert run.status == "optimal" and run.values == pytest.approx({"total": 1.0, "x": 0.0})
    assert run.solution == pytest.approx([0.0, 1.0])


def test_bound_keeping_and_budget() -> None:
    """A max-min tier kept through its columns' lower bounds; a spent deadline stops before a tier starts."""
    h = _lp([([0, 1], [1.0, 1.0], -INF, 1.5)], 2, upper=1.0)
    run = solve_tiers(h, [Tier("t", "max", np.array([1.0, 0.0]), keep="bounds"),
                          Tier("y", "max", np.array([0.0, 1.0]))], TierPolicy(10.0, 1e-9, retry="not_optimal"))
    assert run.values == pytest.approx({"t": 1.0, "y": 0.5})
    late = solve_tiers(_lp([], 1, upper=1.0), [Tier("t", "max", np.array([1.0]))], TierPolicy(10.0, 1e-9, deadline=0))
    assert (late.status, late.stopped, late.reason, late.solution) == ("time_limit", "t", "budget", None)


def test_quiet_highs_prints_nothing_on_stdout() -> None:
    code = "from optimizer.solvers.silence import quiet_highs; h = quiet_highs(); h.run()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == ""


def test_cpsat_parameters_and_status_words() -> None:
    """One CP-SAT set-up: the limit, seed, workers and search fields as given; statuses in plan words."""
    from ortools.sat.python import cp_model

    from optimizer.solvers.cpsat import cpsat_solver, cpsat_status, found, solve_cpsat

    s = cpsat_solver(7.5, seed=3, workers=2, subsolvers=["core"], linearization_level=2)
    p = s.parameters
    assert (p.max_time_in_seconds, p.random_seed, p.num_workers, list(p.subsolvers), p.linearization_level) == \
        (7.5, 3, 2, ["core"], 2)
    assert not p.log_to_stdout and not p.log_search_progress
    m = cp_model.CpModel()
    x = m.new_int_var(0, 3, "x")
    m.maximize(x)
    solver, st = solve_cpsat(m, 5.0, seed=0)
    assert cpsat_status(st) == "optimal" and found(st) and solver.value(x) == 3
    m.add(x >= 4)
    _, st = solve_cpsat(m, 5.0, seed=0)
    assert cpsat_status(st) == "infeasible" and not found(st)
    assert cpsat_status(cp_model.UNKNOWN) == "time_limit" and cpsat_status(cp_model.MODEL_INVALID) == "error"


def test_cpsat_search_log_goes_to_stderr() -> None:
    """``log=True`` prints CP-SAT's search log on stderr; stdout stays empty for the JSON."""
    code = ("from ortools.sat.python import cp_model\n"
            "from optimizer.solvers.cpsat import solve_cpsat\n"
            "m = cp_model.CpModel(); x = m.new_int_var(0, 3, 'x'); m.maximize(x)\n"
            "solve_cpsat(m, 5.0, seed=0, log=True)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "" and "CP-SAT" in out.stderr
