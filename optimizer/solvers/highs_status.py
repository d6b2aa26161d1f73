"""One mapping of HiGHS model statuses to the words plans report (see :data:`optimizer.plan.Status`).

Every model that runs HiGHS reads its outcome through :func:`highs_status`; whether a stopped solve still
counts as ``feasible`` (it has a solution) is the caller's call, made with :func:`has_solution`.
"""

from __future__ import annotations

from typing import Literal

import highspy

HighsOutcome = Literal["optimal", "infeasible", "time_limit", "unbounded", "error"]

_S = highspy.HighsModelStatus
_OUTCOME: dict[object, HighsOutcome] = {
    _S.kOptimal: "optimal",
    _S.kModelEmpty: "optimal",  # nothing to decide: the empty plan is optimal
    _S.kInfeasible: "infeasible",
    _S.kUnboundedOrInfeasible: "infeasible",  # presolve's verdict; our models are bounded, so infeasible
    _S.kUnbounded: "unbounded",
    _S.kTimeLimit: "time_limit",
    _S.kIterationLimit: "time_limit",
    _S.kInterrupt: "time_limit",
    _S.kSolutionLimit: "time_limit",
}


def highs_status(h: highspy.Highs) -> HighsOutcome:
    """``optimal`` (also an empty model), ``infeasible`` (also unbounded-or-infeasible), ``time_limit`` (any
    work limit), ``unbounded`` or ``error`` (load, model, solve or postsolve errors, unknown)."""
    return _OUTCOME.get(h.getModelStatus(), "error")


def has_solution(h: highspy.Highs) -> bool:
    """Whether HiGHS holds a feasible primal point (``primal_solution_status`` 2)."""
    return h.getInfo().primal_solution_status == 2
