"""Capacity LP plan: how many hours of surgery and care each hospital can deliver 24/7.

Decision (hours per week): ``x[h,s]`` operating-room hours of surgical specialty ``s`` at hospital ``h``,
``w[h]`` hours the post-operative ward blocks are staffed, ``e[h]`` hours the emergency units run.
Constraints per hospital (all ``<=`` rows, so every dual is >= 0):

- rooms:    sum_s x[h,s] <= 168 x operating_rooms
- role r:   sum_s team_r(s) x[h,s] + ward_r x blocks x w[h] + er_r x units x e[h] <= available hours of r
            (contracted hours of the people in post x availability after leave and training)
- demand:   x[h,s] <= OR hours/week the records ask for (procedures/week x or_hours per procedure)
- ward:     w[h] <= 168; with ``couple_ward``, sum_s x[h,s] - rooms x w[h] <= 0 (a room runs only while
            the ward is staffed)
- ER:       e[h] <= 168

Objective: maximise sum_h weight_h x procedures/week (weight by marginalisation degree). A second phase
fixes the room hours found and maximises ward and ER hours, so the plan also shows how much care cover
the staff allow. Duals come from the first phase (the procedures LP) and are in weighted procedures per unit of
the row's right-hand side per week. The LP is separable by hospital; solving the network at once or
hospital by hospital gives the same optimum.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.capacity import lp as caplp
from optimizer.capacity.inputs import CapacityInput, CapacityInputError, DeployedStaff, Hospital, SurgicalDemand
from optimizer.capacity.settings import CapacitySettings
from optimizer.domain import HOURS_PER_WEEK, Specialty
from optimizer.i18n import said
from optimizer.plan import Status

#: The input's classes live in :mod:`.inputs` (with the loaders); these names stay importable from here.
__all__ = ["CapacityInput", "CapacityInputError", "CapacityPlan", "DeployedStaff", "Hospital", "HospitalResult",
           "ResourceDual", "SurgicalDemand", "solve"]


@dataclass
class HospitalResult:
    """What one hospital delivers in the plan (hours and procedures per week)."""

    clues: str
    name: str
    weight: float
    or_hours: dict[Specialty, float]
    procedures: dict[Specialty, float]
    ward_hours: float
    er_hours: float

    @property
    def procedures_per_week(self) -> float:
        return sum(self.procedures.values())

    @property
    def room_hours(self) -> float:
        return sum(self.or_hours.values())

    def hours_per_room(self, operating_rooms: int) -> list[float]:
        """Room-by-room schedule of the room hours: rooms are identical, so fill each to 168 h in turn
        (the first rooms run 24/7, one room runs part-time, the rest stay closed)."""
        left = self.room_hours
        out = []
        for _ in range(operating_rooms):
            out.append(min(HOURS_PER_WEEK, max(left, 0.0)))
            left -= HOURS_PER_WEEK
        return out


@dataclass
class ResourceDual:
    """One constraint of the LP with its use, slack and shadow price.

    ``dual``: weighted procedures/week gained per extra unit of ``rhs`` (hour/week of a role, room-hour,
    hour of demand); ``procedures_per_unit`` divides by the hospital weight (plain procedures/week).
    """

    kind: str  # rooms | role | demand | ward_link | ward_hours | er_hours
    clues: str
    key: str  # role or specialty value, "" for rooms / ward / ER rows
    rhs: float
    used: float
    dual: float
    procedures_per_unit: float

    @property
    def slack(self) -> float:
        return self.rhs - self.used


@dataclass
class CapacityPlan:
    """Result of :func:`optimizer.capacity.solve.solve`."""

    status: Status  # optimal | time_limit | error
    objective: float  # weighted procedures/week
    bound: float  # dual objective b'y of the duals reported (= objective at optimality)
    gap: float  # relative gap between objective and bound
    solve_seconds: float  # wall time around the whole call
    hospitals: list[HospitalResult]
    resources: list[ResourceDual]
    explanation: str | None = None
    n_cols: int = 0
    n_rows: int = 0

    @property
    def procedures_per_week(self) -> float:
        return sum(h.procedures_per_week for h in self.hospitals)

    def result(self, clues: str) -> HospitalResult:
        for h in self.hospitals:
            if h.clues == clues:
                return h
        raise KeyError(clues)


#: HiGHS ``primal_solution_status`` of a feasible point.
_FEASIBLE = 2


def solve(inp: CapacityInput, settings: CapacitySettings | None = None) -> CapacityPlan:
    """Solve the capacity LP for every hospital of ``inp`` (one LP for the network) with HiGHS.

    Phase 1 maximises weighted procedures/week and gives the duals; phase 2 fixes the room hours and
    maximises ward + ER hours. The LP always has the all-zero plan, so it is never
    infeasible; a time-out returns the best primal found with status ``time_limit``.
    """
    settings = settings or CapacitySettings()
    t0 = time.perf_counter()
    inp.check()
    model = caplp.build(inp, settings)
    h = caplp.new_highs(settings, settings.time_limit_s)
    caplp.load(h, model, model.cost)
    h.run()
    status = caplp.status_name(h)
    if status not in ("optimal", "time_limit"):
        return CapacityPlan(status="error", objective=0.0, bound=math.inf, gap=math.inf,
                            solve_seconds=time.perf_counter() - t0, hospitals=[], resources=[],
                            explanation=said("models.capacity.highs_status", status=status),
                            n_cols=len(model.cols), n_rows=len(model.rows))
    sol = h.getSolution()
    x = np.array(sol.col_value) if len(model.cols) else np.zeros(0)
    duals = np.array(sol.row_dual) if sol.dual_valid and len(model.rows) else np.zeros(len(model.rows))
    objective = float(model.cost @ x) if len(model.cols) else 0.0
    explanation = None
    if status == "optimal" and len(model.cols):
        x = _max_care(h, model, x, settings, t0)
    elif status == "time_limit":
        if h.getInfo().primal_solution_status != _FEASIBLE:
            x = np.zeros(len(model.cols))  # the all-zero plan is always feasible
            objective = 0.0
        explanation = said("models.time_limit_feasible", seconds=f"{settings.time_limit_s:g}")
    bound = float(model.rhs @ duals) if status == "optimal" else math.inf
    gap = abs(bound - objective) / max(1.0, abs(objective)) if status == "optimal" else math.inf
    return CapacityPlan(
        status=status, objective=objective, bound=bound, gap=gap,
        solve_seconds=time.perf_counter() - t0, hospitals=_hospital_results(inp, settings, model, x),
        resources=_resources(model, x, duals), explanation=explanation,
        n_cols=len(model.cols), n_rows=len(model.rows))


def _max_care(h: highspy.Highs, model: caplp.CapacityLp, x: np.ndarray, settings: CapacitySettings,
              t0: float) -> np.ndarray:
    """Phase 2: fix the operating-room hours of phase 1, maximise ward + ER hours (warm-started).

    Ward and ER teams use roles of their own (the settings enforce it), so fixing the room hours loses
    no care hours and keeps the phase-1 objective exactly.
    """
    cols = np.flatnonzero(model.care == 0).astype(np.int32)
    h.changeColsBounds(len(cols), cols, x[cols], x[cols])
    h.changeColsCost(len(model.cols), np.arange(len(model.cols), dtype=np.int32), model.care)
    h.setOptionValue("time_limit", max(settings.time_limit_s - (time.perf_counter() - t0), 0.01))
    h.run()
    if caplp.status_name(h) != "optimal":
        return x
    out = np.array(h.getSolution().col_value)
    out[cols] = x[cols]
    return out


def _hospital_results(inp: CapacityInput, settings: CapacitySettings, model: caplp.CapacityLp,
                      x: np.ndarray) -> list[HospitalResult]:
    out: dict[str, HospitalResult] = {
        hh.clues: HospitalResult(hh.clues, hh.name, hh.weight(settings), {}, {}, 0.0, 0.0)
        for hh in inp.hospitals}
    for j, col in enumerate(model.cols):
        value = float(x[j]) if x[j] > 0 else 0.0
        res = out[col.clues]
        if col.kind == "or" and col.specialty is not None:
            res.or_hours[col.specialty] = value
            res.procedures[col.specialty] = value * inp.demand[(col.clues, col.specialty)].procedures_per_or_hour
        elif col.kind == "ward":
            res.ward_hours = value
        else:
            res.er_hours = value
    return list(out.values())


def _resources(model: caplp.CapacityLp, x: np.ndarray, duals: np.ndarray) -> list[ResourceDual]:
    used = np.zeros(len(model.rows))
    if len(model.cols):
        counts = np.diff(model.start)
        np.add.at(used, model.index, model.value * np.repeat(x, counts))
    return [ResourceDual(r.kind, r.clues, r.key, float(model.rhs[i]), float(used[i]), float(duals[i]),
                         float(duals[i] / model.row_weight[i]))
            for i, r in enumerate(model.rows)]
