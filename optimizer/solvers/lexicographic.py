"""One driver for LPs solved tier by tier on one HiGHS instance (lexicographic optimisation).

Each tier changes only the objective; once it is optimal its value is kept while the next tiers optimise,
either by a row on its objective (``value -/+ slack``) or, for max-min tiers over bounded columns, by raising
those columns' lower bounds to their optimum (a row on a sum of minima left HiGHS numerically unstable on
the central split). Used by the distribution allocation and the central-supply split.

Recovery when HiGHS reports a tier wrongly (a warm start can fail on its own, and a row fixing an earlier
optimum can cut too fine for HiGHS's tolerances; the previous optimum satisfies every later row, so such a
verdict is numerical): ``retry="not_optimal"`` solves any non-optimal tier again from scratch;
``retry="infeasible"`` does so only for an "infeasible" tier after a fixing row, then widens that row by
``widen`` (relative) and solves once more.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np

from optimizer.solvers.highs_status import highs_status

INF = highspy.kHighsInf


@dataclass(frozen=True)
class Tier:
    """One objective: ``cost`` has a coefficient per column; ``keep`` says how its optimum is kept."""

    name: str
    sense: Literal["max", "min"]
    cost: np.ndarray
    keep: Literal["row", "bounds"] = "row"


@dataclass(frozen=True)
class TierPolicy:
    """How tiers are run: ``tier_limit_s`` seconds each but never past ``deadline`` (``time.perf_counter``);
    ``row_tolerance`` the relative slack of a fixing row, ``bound_tolerance`` the absolute slack of a fixed
    bound; ``retry`` and ``widen`` the recovery of the module docstring; ``primal_after_first`` switches HiGHS
    to the primal simplex from each optimal basis (later tiers start primal feasible; faster on large LPs)."""

    tier_limit_s: float
    row_tolerance: float
    deadline: float = math.inf
    bound_tolerance: float = 0.0
    retry: Literal["infeasible", "not_optimal"] = "infeasible"
    widen: float = 1e-6
    primal_after_first: bool = False


@dataclass
class TierRun:
    """Outcome: ``status`` optimal (every tier), feasible (a tier stopped after others finished), time_limit
    (none finished) or infeasible; ``solution`` is every column's value at the last finished tier (None when
    none finished); ``values`` / ``seconds`` per finished (timed) tier; ``stopped`` names the tier that did not
    finish and ``reason`` why (``budget``: not started, the deadline had passed; else HiGHS's status text)."""

    status: str = "optimal"
    solution: np.ndarray | None = None
    values: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    stopped: str | None = None
    reason: str = ""


def _run_tier(h: highspy.Highs, retry: str, last_fix: tuple[int, float, float] | None, widen: float) -> None:
    """Run HiGHS on the current tier, with the recovery of the module docstring."""
    h.run()
    if retry == "not_optimal" and highs_status(h) != "optimal":
        h.clearSolver()
        h.run()
    elif retry == "infeasible" and highs_status(h) == "infeasible" and last_fix is not None:
        h.clearSolver()
        h.run()
        if highs_status(h) == "infeasible":
            row, lo, up = last_fix
            wide = widen * max(1.0, abs(lo if lo > -INF else up))
            h.changeRowBounds(row, lo - wide if lo > -INF else lo, up + wide if up < INF else up)
            h.clearSolver()
            h.run()


def _keep(h: highspy.Highs, tier: Tier, value: float, solution: np.ndarray, row_tolerance: float,
          bound_tolerance: float) -> tuple[int, float, float] | None:
    """Keep ``tier``'s optimum for the tiers after it; returns the fixing row (index, lower, upper) if any."""
    nz = np.flatnonzero(tier.cost)
    if tier.keep == "bounds":
        upper = np.asarray(h.getLp().col_upper_, dtype=float)[nz]
        h.changeColsBounds(len(nz), nz.astype(np.int32), np.maximum(0.0, solution[nz] - bound_tolerance), upper)
        return None
    slack = row_tolerance * max(1.0, abs(value))
    lo, up = (value - slack, INF) if tier.sense == "max" else (-INF, value + slack)
    h.addRow(lo, up, len(nz), nz.astype(np.int32), tier.cost[nz])
    return h.getNumRow() - 1, lo, up


def solve_tiers(h: highspy.Highs, tiers: list[Tier], policy: TierPolicy) -> TierRun:
    """Optimise ``tiers`` in order on the loaded model ``h`` under ``policy``."""
    out = TierRun()
    n = h.getNumCol()
    last_fix: tuple[int, float, float] | None = None
    for tier in tiers:
        left = min(policy.tier_limit_s, policy.deadline - time.perf_counter())
        if left <= 0:
            out.status, out.stopped, out.reason = ("feasible" if out.values else "time_limit"), tier.name, "budget"
            break
        h.changeColsCost(n, np.arange(n, dtype=np.int32), tier.cost)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if tier.sense == "max" else highspy.ObjSense.kMinimize)
        t_tier = time.perf_counter()
        h.setOptionValue("time_limit", float(h.getRunTime() + left))  # HiGHS counts time over the object's life
        _run_tier(h, policy.retry, last_fix, policy.widen)
        outcome = highs_status(h)
        out.seconds[tier.name] = time.perf_counter() - t_tier
        if outcome != "optimal":
            out.status = "infeasible" if outcome == "infeasible" else "feasible" if out.values else "time_limit"
            out.stopped, out.reason = tier.name, h.modelStatusToString(h.getModelStatus())
            break
        value = float(h.getInfo().objective_function_value)
        out.values[tier.name] = value
        out.solution = np.asarray(h.getSolution().col_value, dtype=float)
        last_fix = _keep(h, tier, value, out.solution, policy.row_tolerance, policy.bound_tolerance) or last_fix
        if policy.primal_after_first:
            h.setOptionValue("simplex_strategy", 4)
    return out
