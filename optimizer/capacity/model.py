"""Capacity LP input and plan: how many hours of surgery and care each hospital can deliver 24/7.

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
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import highspy
import numpy as np

from optimizer.capacity import lp as caplp
from optimizer.capacity.settings import CapacitySettings
from optimizer.domain import HOURS_PER_WEEK, MARGINALISATION_WEIGHT, MarginalisationDegree, Specialty
from optimizer.plan import Status


class CapacityInputError(ValueError):
    """Input the capacity model cannot use; the message names the hospital/role and the field."""


@dataclass(frozen=True)
class Hospital:
    """A hospital's physical units and the planner weight of a procedure delivered there."""

    clues: str
    name: str
    cve_ent: str
    marginalisation_degree: str
    operating_rooms: int
    beds: int
    emergency_bays: int

    def weight(self, settings: CapacitySettings) -> float:
        """Planner weight of one procedure here (by the municipality's marginalisation degree)."""
        table = settings.weights or {d.value: w for d, w in MARGINALISATION_WEIGHT.items()}
        if self.marginalisation_degree not in table:
            raise CapacityInputError(
                f"no weight for marginalisation degree '{self.marginalisation_degree}' ({self.clues})")
        return float(table[self.marginalisation_degree])

    def ward_blocks(self, settings: CapacitySettings) -> int:
        """Ward blocks (teams) the beds need at every staffed hour."""
        return math.ceil(self.beds / settings.ward_beds_per_block)

    def er_units(self, settings: CapacitySettings) -> int:
        """Emergency units (teams) the emergency bays need at every hour the ER runs."""
        return math.ceil(self.emergency_bays / settings.er_bays_per_unit)


@dataclass(frozen=True)
class SurgicalDemand:
    """Surgical demand of one hospital and specialty, from the records."""

    procedures_per_week: float
    or_hours_per_week: float

    @property
    def procedures_per_or_hour(self) -> float:
        """Procedures one operating-room hour delivers for this hospital's case mix (1/h)."""
        return self.procedures_per_week / self.or_hours_per_week


@dataclass(frozen=True)
class DeployedStaff:
    """One person a deployment plan sends to a hospital (the deployment model's output row)."""

    specialist_id: str
    role: Specialty
    weekly_hours: float  # contract hours/week
    hospital: str  # CLUES


@dataclass
class CapacityInput:
    """Everything the capacity LP reads. Hours are contracted hours per week before allowances."""

    hospitals: list[Hospital]
    staff_hours: dict[tuple[str, Specialty], float]  # (clues, role) -> contracted hours/week
    headcount: dict[tuple[str, Specialty], int]  # (clues, role) -> people
    demand: dict[tuple[str, Specialty], SurgicalDemand]  # (clues, surgical specialty) -> demand
    new_person_hours: dict[Specialty, float] = field(default_factory=dict)  # h/week of one more person
    new_person_incentive_mxn: dict[Specialty, float] = field(default_factory=dict)  # MXN/month

    @classmethod
    def from_dataset(cls, dataset: object, program_only: bool = True) -> CapacityInput:
        """The input of a dataset folder (``str``/``Path``) or a loaded dataset: program hospitals (or every
        open hospital), staff in post, surgical demand from the records (see :mod:`optimizer.capacity.build`)."""
        from optimizer.capacity.build import from_dataset, load_input

        if isinstance(dataset, str | Path):
            return load_input(dataset, program_only)
        return from_dataset(dataset, program_only)  # type: ignore[arg-type]

    def hospital(self, clues: str) -> Hospital:
        """The hospital with CLUES ``clues``."""
        for h in self.hospitals:
            if h.clues == clues:
                return h
        raise CapacityInputError(f"hospital {clues} is not in the capacity input")

    def available_hours(self, clues: str, role: Specialty, settings: CapacitySettings) -> float:
        """Hours/week of ``role`` really at work at ``clues``: contracted hours x availability."""
        return self.staff_hours.get((clues, role), 0.0) * settings.allowances.availability

    def subset(self, clues: Iterable[str]) -> CapacityInput:
        """The input restricted to some hospitals (the per-hospital LP)."""
        keep = set(clues)
        missing = keep - {h.clues for h in self.hospitals}
        if missing:
            raise CapacityInputError(f"hospitals not in the input: {sorted(missing)[:5]}")
        return replace(
            self,
            hospitals=[h for h in self.hospitals if h.clues in keep],
            staff_hours={k: v for k, v in self.staff_hours.items() if k[0] in keep},
            headcount={k: v for k, v in self.headcount.items() if k[0] in keep},
            demand={k: v for k, v in self.demand.items() if k[0] in keep},
        )

    def split(self) -> list[CapacityInput]:
        """One input per hospital, in one pass (the network LP is separable by hospital)."""
        parts = {h.clues: replace(self, hospitals=[h], staff_hours={}, headcount={}, demand={})
                 for h in self.hospitals}
        for attr in ("staff_hours", "headcount", "demand"):
            for key, value in getattr(self, attr).items():
                getattr(parts[key[0]], attr)[key] = value
        return list(parts.values())

    def with_staff(self, staff: Iterable[DeployedStaff], source: str = "deployed staff",
                   first_row: int = 0) -> CapacityInput:
        """Staff in post plus the people a deployment plan sends (feed from the deployment model).

        Errors name ``source`` and the row (numbered from ``first_row``, e.g. 2 for a CSV under its header).
        """
        known = {h.clues for h in self.hospitals}
        hours = dict(self.staff_hours)
        heads = dict(self.headcount)
        seen: set[str] = set()
        for i, p in enumerate(staff):
            where = f"{source}, row {first_row + i} ({p.specialist_id})"
            if p.hospital not in known:
                raise CapacityInputError(f"{where}, field hospital: {p.hospital} is not in the capacity input")
            if not 0 < p.weekly_hours <= 80:
                raise CapacityInputError(f"{where}, field weekly_hours: must be in (0, 80], got {p.weekly_hours}")
            if p.specialist_id in seen:
                raise CapacityInputError(f"{where}, field specialist_id: deployed twice")
            seen.add(p.specialist_id)
            key = (p.hospital, Specialty(p.role))
            hours[key] = hours.get(key, 0.0) + p.weekly_hours
            heads[key] = heads.get(key, 0) + 1
        return replace(self, staff_hours=hours, headcount=heads)

    def check(self) -> None:
        """Raise :class:`CapacityInputError` naming the hospital and field of the first bad value."""
        seen: set[str] = set()
        for h in self.hospitals:
            if h.clues in seen:
                raise CapacityInputError(f"hospital {h.clues} appears twice")
            seen.add(h.clues)
            for name in ("operating_rooms", "beds", "emergency_bays"):
                if getattr(h, name) < 0:
                    raise CapacityInputError(f"hospital {h.clues}: {name} must be >= 0")
            if h.marginalisation_degree not in {d.value for d in MarginalisationDegree}:
                raise CapacityInputError(
                    f"hospital {h.clues}: marginalisation_degree '{h.marginalisation_degree}' is unknown")
        for (clues, role), hours in self.staff_hours.items():
            if clues not in seen:
                raise CapacityInputError(f"staff hours of {role.value} at {clues}: hospital not in the input")
            if not (hours >= 0 and math.isfinite(hours)):
                raise CapacityInputError(f"hospital {clues}, role {role.value}: staff hours must be >= 0")
        for (clues, spec), d in self.demand.items():
            if clues not in seen:
                raise CapacityInputError(f"demand for {spec.value} at {clues}: hospital not in the input")
            if not (d.procedures_per_week >= 0 and d.or_hours_per_week >= 0):
                raise CapacityInputError(f"hospital {clues}, specialty {spec.value}: demand must be >= 0")
            if d.procedures_per_week > 0 and d.or_hours_per_week == 0:
                raise CapacityInputError(
                    f"hospital {clues}, specialty {spec.value}: procedures with zero or_hours_per_week")


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
                            explanation=f"HiGHS stopped with status '{status}' on the procedures LP",
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
        explanation = f"time limit of {settings.time_limit_s:g} s reached; the plan is feasible, not proven optimal"
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
