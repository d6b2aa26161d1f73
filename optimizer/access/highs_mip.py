"""A thin, typed call of HiGHS (highspy) for the where-next MIPs: build from row-wise arrays, solve with a
time limit, a seed and a thread count, and return status, solution, objective, bound and gap."""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from optimizer.solvers.highs_status import has_solution, highs_status
from optimizer.solvers.silence import stdout_to_stderr


@dataclass(frozen=True)
class RowwiseMip:
    """min/max c'x subject to row_lo <= A x <= row_hi, col_lo <= x <= col_hi, x_j integer where flagged.

    ``A`` is given row-wise: row r's nonzeros are ``index[start[r]:start[r+1]]`` with ``value`` alike.
    """

    cost: NDArray[np.float64]
    col_lo: NDArray[np.float64]
    col_hi: NDArray[np.float64]
    integer: NDArray[np.bool_]
    row_lo: NDArray[np.float64]
    row_hi: NDArray[np.float64]
    start: NDArray[np.int64]
    index: NDArray[np.int64]
    value: NDArray[np.float64]
    maximize: bool = False


@dataclass(frozen=True)
class MipResult:
    """What HiGHS returned: ``status`` is optimal / feasible / infeasible / time_limit."""

    status: str
    x: NDArray[np.float64] | None
    objective: float | None
    bound: float | None
    gap: float | None


def solve_mip(mip: RowwiseMip, time_limit_s: float, seed: int, threads: int, mip_rel_gap: float,
              start: NDArray[np.float64] | None = None) -> MipResult:
    """Solve ``mip`` with HiGHS; ``start`` is an optional feasible point given as a warm start."""
    with stdout_to_stderr():
        h = highspy.Highs()
    for name, value in (("output_flag", False), ("time_limit", float(max(time_limit_s, 0.01))),
                        ("random_seed", int(seed)), ("threads", int(threads)), ("mip_rel_gap", mip_rel_gap)):
        h.setOptionValue(name, value)
    lp = highspy.HighsLp()
    lp.num_col_ = len(mip.cost)
    lp.num_row_ = len(mip.row_lo)
    lp.col_cost_ = mip.cost
    lp.col_lower_ = mip.col_lo
    lp.col_upper_ = mip.col_hi
    lp.row_lower_ = mip.row_lo
    lp.row_upper_ = mip.row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = mip.start
    lp.a_matrix_.index_ = mip.index
    lp.a_matrix_.value_ = mip.value
    lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                       for f in mip.integer]
    lp.sense_ = highspy.ObjSense.kMaximize if mip.maximize else highspy.ObjSense.kMinimize
    h.passModel(lp)
    _stop_at(h, time.perf_counter() + time_limit_s)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        h.setSolution(sol)
    h.run()
    status = highs_status(h)
    info = h.getInfo()
    found = has_solution(h)
    x = np.asarray(h.getSolution().col_value, dtype=float) if found else None
    if status == "optimal":
        return MipResult("optimal", x, info.objective_function_value, info.mip_dual_bound, info.mip_gap)
    if status == "infeasible":
        return MipResult("infeasible", None, None, None, None)
    if found:
        return MipResult("feasible", x, info.objective_function_value, info.mip_dual_bound, info.mip_gap)
    return MipResult("time_limit", None, None, None, None)


def _stop_at(h: highspy.Highs, deadline: float) -> None:
    """Interrupt HiGHS at ``deadline`` (``time.perf_counter()`` s) from its simplex, IPM and MIP callbacks, so a
    long LP inside the MIP stops on time as well. HiGHS's presolve makes no such callback and cannot be
    stopped: models whose presolve would outlast the limit are not built (``pmedian.MAX_MIP_LEVELS``)."""

    def check(event: highspy.HighsCallbackEvent) -> None:
        if time.perf_counter() >= deadline:
            event.interrupt()
    h.cbSimplexInterrupt += check
    h.cbIpmInterrupt += check
    h.cbMipInterrupt += check
