"""A solver-neutral sparse MIP (maximisation) and its three back ends: HiGHS, CBC (via PuLP) and CP-SAT.

The formulation is built once as arrays; each back end translates it. Wall time is measured around the
whole call (model hand-over, presolve, search, solution read-back), because a solver can overrun its own
limit.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from optimizer.deployment.settings import SolverName
from optimizer.solvers.cpsat import cpsat_status, found, solve_cpsat
from optimizer.solvers.highs_status import has_solution, highs_status


@dataclass
class Mip:
    """maximise ``c @ x + offset`` s.t. ``row_lo <= A @ x <= row_hi``, ``lb <= x <= ub``, some x integer."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    a: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    offset: float = 0.0

    @property
    def n_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.a.shape[0])


@dataclass
class MipResult:
    """Outcome of one solve: ``status`` is optimal / feasible / infeasible / time_limit / error."""

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    message: str = ""


def is_feasible(mip: Mip, x: np.ndarray, tol: float = 1e-6) -> bool:
    """True when ``x`` satisfies every row, bound and integrality of ``mip`` (within ``tol``)."""
    ax = mip.a @ x
    return bool(
        np.all(ax >= mip.row_lo - tol) and np.all(ax <= mip.row_hi + tol)
        and np.all(x >= mip.lb - tol) and np.all(x <= mip.ub + tol)
        and np.all(np.abs(x[mip.integer] - np.round(x[mip.integer])) <= tol)
    )


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|bound - objective| / max(1, |objective|): the gap convention used in every report."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(bound - objective) / max(1.0, abs(objective))


#: Seconds a back end spends outside its own clock (model hand-over, files, process start), taken off the
#: limit it is given so the call ends near ``time_limit_s``: measured on the priced 282-hospital MIP, where
#: CBC through PuLP overran a 10 s call by 1.0 s and CP-SAT by 0.5 s (HiGHS by < 0.1 s).
HANDOVER_S: dict[str, float] = {"highs": 0.0, "cbc": 1.0, "cpsat": 0.5}


def solve_mip(
    mip: Mip, solver: SolverName, time_limit_s: float, seed: int, threads: int, gap: float,
    start: np.ndarray | None = None,
) -> MipResult:
    """Solve ``mip`` with the named back end under a time limit and a seed (``start``: a feasible x)."""
    t0 = time.perf_counter()
    time_limit_s = max(0.2, time_limit_s - HANDOVER_S.get(solver, 0.0))
    if mip.n_cols == 0:  # nothing to decide (no demand or no useful recruit): the empty plan is optimal
        return MipResult("optimal", np.zeros(0), mip.offset, mip.offset, 0.0, time.perf_counter() - t0, solver)
    if solver == "highs":
        res = _solve_highs(mip, time_limit_s, seed, threads, gap, start)
    elif solver == "cbc":
        res = _solve_cbc(mip, time_limit_s, seed, threads, gap, start)
    elif solver == "cpsat":
        res = _solve_cpsat(mip, time_limit_s, seed, threads, gap, start)
    else:
        raise ValueError(f"unknown solver '{solver}' (highs, cbc or cpsat)")
    res.seconds = time.perf_counter() - t0
    if res.x is not None:
        res.objective = float(mip.c @ res.x + mip.offset)
        res.gap = relative_gap(res.objective, res.bound)
    return res


# --- HiGHS (highspy) ---------------------------------------------------------------------------------------


def _highs_model(mip: Mip, time_limit_s: float, seed: int, threads: int, gap: float, relax: bool = False):
    """A highspy ``Highs`` object holding ``mip`` (its LP relaxation when ``relax``)."""
    import highspy

    from optimizer.solvers.silence import quiet_highs

    h = quiet_highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("threads", int(threads))
    lp = highspy.HighsLp()
    lp.num_col_ = mip.n_cols
    lp.num_row_ = mip.n_rows
    lp.col_cost_ = mip.c
    lp.col_lower_ = mip.lb
    lp.col_upper_ = mip.ub
    lp.row_lower_ = np.where(np.isfinite(mip.row_lo), mip.row_lo, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(mip.row_hi), mip.row_hi, highspy.kHighsInf)
    lp.offset_ = mip.offset
    lp.sense_ = highspy.ObjSense.kMaximize
    csc = mip.a.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr
    lp.a_matrix_.index_ = csc.indices
    lp.a_matrix_.value_ = csc.data
    lp.a_matrix_.num_col_ = mip.n_cols
    lp.a_matrix_.num_row_ = mip.n_rows
    if mip.integer.any() and not relax:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in mip.integer
        ]
    h.passModel(lp)
    return h


def solve_lp(mip: Mip, time_limit_s: float, threads: int) -> tuple[str, float, np.ndarray, np.ndarray]:
    """LP relaxation by HiGHS simplex: (status, objective, x, row duals); reduced costs are c - A^T duals."""

    h = _highs_model(mip, time_limit_s, 0, threads, 0.0, relax=True)
    h.run()
    sol = h.getSolution()
    ok = highs_status(h) == "optimal"
    return ("optimal" if ok else h.modelStatusToString(h.getModelStatus()), float(h.getInfo().objective_function_value),
            np.asarray(sol.col_value, dtype=float), np.asarray(sol.row_dual, dtype=float))


def _solve_highs(
    mip: Mip, time_limit_s: float, seed: int, threads: int, gap: float, start: np.ndarray | None
) -> MipResult:
    import highspy

    h = _highs_model(mip, time_limit_s, seed, threads, gap)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    outcome = highs_status(h)
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_solution(h) else None
    bound = float(info.mip_dual_bound) if mip.integer.any() else float(info.objective_function_value)
    if outcome == "optimal" and h.getNumCol() == 0:  # an empty model: nothing left to decide
        x, bound = np.zeros(mip.n_cols), mip.offset
    if outcome in ("optimal", "infeasible"):
        status = outcome
    else:
        status = "feasible" if x is not None else outcome if outcome == "time_limit" else "error"
    return MipResult(status, x, None, bound, None, 0.0, "highs", h.modelStatusToString(h.getModelStatus()))


# --- CBC through PuLP --------------------------------------------------------------------------------------


def _solve_cbc(
    mip: Mip, time_limit_s: float, seed: int, threads: int, gap: float, start: np.ndarray | None
) -> MipResult:
    import pulp

    prob = pulp.LpProblem("deployment", pulp.LpMaximize)
    xs = [
        pulp.LpVariable(
            f"x{j}",
            lowBound=float(mip.lb[j]),
            upBound=float(mip.ub[j]) if math.isfinite(mip.ub[j]) else None,
            cat=pulp.LpInteger if mip.integer[j] else pulp.LpContinuous,
        )
        for j in range(mip.n_cols)
    ]
    if start is not None:
        for v, val in zip(xs, start, strict=True):
            v.setInitialValue(float(round(val)) if v.cat == pulp.LpInteger else float(val))
    nz = np.flatnonzero(mip.c)
    prob += pulp.LpAffineExpression([(xs[j], float(mip.c[j])) for j in nz], constant=mip.offset)
    a = mip.a
    for i in range(mip.n_rows):
        lo_i, hi_i = a.indptr[i], a.indptr[i + 1]
        pairs = zip(a.indices[lo_i:hi_i], a.data[lo_i:hi_i], strict=True)
        expr = pulp.LpAffineExpression([(xs[j], float(v)) for j, v in pairs])
        lo, hi = mip.row_lo[i], mip.row_hi[i]
        if math.isfinite(lo) and math.isfinite(hi) and lo == hi:
            prob += expr == float(lo), f"r{i}"
            continue
        if math.isfinite(lo):
            prob += expr >= float(lo), f"r{i}_lo"
        if math.isfinite(hi):
            prob += expr <= float(hi), f"r{i}_hi"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        cmd = pulp.PULP_CBC_CMD(
            msg=False,
            timeLimit=float(time_limit_s),
            gapRel=float(gap),
            threads=int(threads),
            options=[f"randomCbcSeed {seed + 1}", f"randomSeed {seed + 1}"],
            logPath=str(log),
            warmStart=start is not None,
        )
        try:
            prob.solve(cmd)
        except pulp.PulpSolverError as exc:  # the CBC process died (observed on the full 282-hospital MIP)
            text = log.read_text() if log.exists() else ""
            return MipResult("error", None, None, None, None, 0.0, "cbc", f"CBC failed: {exc}; {text[-300:]}")
        text = log.read_text() if log.exists() else ""
    pstatus = pulp.LpStatus[prob.status]
    sol_status = prob.sol_status
    x = None
    if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        x = np.array([v.varValue if v.varValue is not None else 0.0 for v in xs], dtype=float)
    if pstatus == "Infeasible":
        return MipResult("infeasible", None, None, None, None, 0.0, "cbc", text[-500:])
    objective = float(mip.c @ x + mip.offset) if x is not None else None
    bound = _cbc_bound(text, objective)
    stopped = "Stopped on time" in text
    status = ("time_limit" if stopped else "error") if x is None else "feasible" if stopped else "optimal"
    return MipResult(status, x, None, bound, None, 0.0, "cbc", pstatus)


def _cbc_bound(log: str, objective: float | None) -> float | None:
    """Best bound from CBC's closing summary (CBC minimises -objective for a maximisation)."""
    if objective is None:
        return None
    obj = re.search(r"Objective value:\s+(\S+)", log)
    low = re.search(r"Lower bound:\s+(\S+)", log)
    if obj and low:
        # CBC reports in its own (minimisation) sign; shift our objective by the reported gap.
        return objective + abs(float(obj.group(1)) - float(low.group(1)))
    return objective if "Optimal solution found" in log else None


# --- CP-SAT ------------------------------------------------------------------------------------------------


def _row_scale(coefs: np.ndarray) -> tuple[float, bool]:
    """Smallest power of ten making the row's coefficients integral (exact), else 1e4 (rounded)."""
    for s in (1.0, 10.0, 100.0, 1000.0, 1e4):
        scaled = coefs * s
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return s, True
    return 1e4, False


def _solve_cpsat(
    mip: Mip, time_limit_s: float, seed: int, threads: int, gap: float, start: np.ndarray | None
) -> MipResult:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    xs = []
    for j in range(mip.n_cols):
        lo = math.ceil(mip.lb[j] - 1e-9)
        hi = math.floor(mip.ub[j] + 1e-9) if math.isfinite(mip.ub[j]) else 10**9
        xs.append(model.new_int_var(lo, hi, ""))
    a = mip.a
    for i in range(mip.n_rows):
        lo_i, hi_i = a.indptr[i], a.indptr[i + 1]
        cols, vals = a.indices[lo_i:hi_i], a.data[lo_i:hi_i]
        s, _exact = _row_scale(vals)
        ints = np.round(vals * s).astype(np.int64)
        expr = cp_model.LinearExpr.weighted_sum([xs[j] for j in cols], [int(v) for v in ints])
        lo, hi = mip.row_lo[i], mip.row_hi[i]
        lo_int = math.ceil(lo * s - 1e-6) if math.isfinite(lo) else -(2**62)
        hi_int = math.floor(hi * s + 1e-6) if math.isfinite(hi) else 2**62
        model.add_linear_constraint(expr, lo_int, hi_int)
    if start is not None:
        for v, val in zip(xs, start, strict=True):
            model.add_hint(v, int(round(val)))
    nz = np.flatnonzero(mip.c)
    model.maximize(cp_model.LinearExpr.weighted_sum([xs[j] for j in nz], [float(mip.c[j]) for j in nz]))
    solver, st = solve_cpsat(model, time_limit_s, seed, threads, relative_gap_limit=float(gap))
    x = np.array([solver.value(v) for v in xs], dtype=float) if found(st) else None
    if st == cp_model.INFEASIBLE:
        return MipResult("infeasible", None, None, None, None, 0.0, "cpsat", "INFEASIBLE")
    bound = float(solver.best_objective_bound) + mip.offset if x is not None else None
    return MipResult(cpsat_status(st), x, None, bound, None, 0.0, "cpsat", solver.status_name(st))
