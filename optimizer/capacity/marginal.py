"""What one more person adds: exact marginal procedures per hospital x role, and the top bottlenecks.

The LP dual is a rate (procedures per extra hour) that holds only while the optimal basis stays the
same; one person adds 30-48 hours, which often crosses a breakpoint. So each gain here is measured
exactly, by re-solving the LP with that role's hours raised by one person (warm-started from the optimal
basis), and the dual-based estimate is reported beside it. This is what the deployment model reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.capacity import lp as caplp
from optimizer.capacity.model import CapacityInput
from optimizer.capacity.settings import CapacitySettings
from optimizer.domain import Specialty


@dataclass
class MarginalGain:
    """One more person of ``role`` at hospital ``clues``: procedures/week gained and cost."""

    clues: str
    role: Specialty
    person_hours: float  # contract h/week of the added person
    hours_added: float  # available h/week after allowances
    procedures_per_week: float  # exact, from the re-solve
    weighted_per_week: float  # exact gain of the objective (marginalisation-weighted)
    dual_estimate: float  # dual x hours_added / weight (procedures/week, first-order)
    monthly_cost_mxn: float  # salary + incentive of one person of the role

    @property
    def weighted_per_100k_mxn(self) -> float:
        """Weighted procedures/week per MXN 100,000 of monthly pay: the bottleneck ranking key."""
        return self.weighted_per_week / self.monthly_cost_mxn * 1e5 if self.monthly_cost_mxn > 0 else 0.0


def person_hours(inp: CapacityInput, role: Specialty, settings: CapacitySettings) -> float:
    """Contract hours/week of one more person of ``role`` (typical recruit, else the settings default)."""
    return inp.new_person_hours.get(role, settings.default_weekly_hours)


def person_cost(inp: CapacityInput, role: Specialty, settings: CapacitySettings) -> float:
    """Monthly cost of one more person of ``role``: base salary + typical incentive asked (MXN/month)."""
    return settings.monthly_salary_mxn.get(role, 0.0) + inp.new_person_incentive_mxn.get(role, 0.0)


@dataclass
class TeamGain:
    """One more full surgical team (surgeons + anaesthesiologists + nurses of the template) at a hospital."""

    clues: str
    specialty: Specialty  # the surgeon's specialty
    people: dict[Specialty, int]
    procedures_per_week: float  # exact, from the re-solve
    weighted_per_week: float
    monthly_cost_mxn: float

    @property
    def weighted_per_100k_mxn(self) -> float:
        return self.weighted_per_week / self.monthly_cost_mxn * 1e5 if self.monthly_cost_mxn > 0 else 0.0


class _HospitalLp:
    """One hospital's LP loaded in HiGHS at its optimum, re-solved from its basis with raised rows."""

    def __init__(self, model: caplp.CapacityLp, s: CapacitySettings, t0: float) -> None:
        self.s, self.t0 = s, t0
        self.model = model
        self.rows = self.model.row_of()
        self.h = caplp.new_highs(s, _remaining(s, t0))
        caplp.load(self.h, self.model, self.model.cost)
        self.h.run()
        self._check("capacity LP")
        self.base = self.h.getInfo().objective_function_value
        self.duals = np.array(self.h.getSolution().row_dual)
        self.basis = self.h.getBasis()

    def _check(self, what: str) -> None:
        if caplp.status_name(self.h) != "optimal":
            raise RuntimeError(f"{what} at {self.model.rows[0].clues} stopped ({caplp.status_name(self.h)}); "
                               "raise time_limit_s")

    def gain(self, added: dict[int, float]) -> float:
        """Objective gained (weighted procedures/week) when row ``i`` gets ``added[i]`` more hours."""
        for i, extra in added.items():
            self.h.changeRowBounds(i, -highspy.kHighsInf, float(self.model.rhs[i] + extra))
        self.h.setOptionValue("time_limit", _remaining(self.s, self.t0))
        self.h.run()
        self._check("re-solve")
        gained = self.h.getInfo().objective_function_value - self.base
        for i in added:
            self.h.changeRowBounds(i, -highspy.kHighsInf, float(self.model.rhs[i]))
        self.h.setBasis(self.basis)
        return gained


def marginal_gains(inp: CapacityInput, settings: CapacitySettings | None = None,
                   people: int = 1) -> list[MarginalGain]:
    """Exact gain of ``people`` more persons for every hospital x role that any unit there uses.

    Roles no unit of the hospital uses (e.g. an orthopaedic surgeon where records show no orthopaedic
    demand) add nothing and are not listed.
    """
    s = settings or CapacitySettings()
    t0 = time.perf_counter()
    inp.check()
    out: list[MarginalGain] = []
    for part in inp.split():
        model = caplp.build(part, s)
        if not model.cols:
            continue
        lp = _HospitalLp(model, s, t0)
        for i, row in enumerate(lp.model.rows):
            if row.kind != "role":
                continue
            role = Specialty(row.key)
            hours = person_hours(part, role, s) * people
            added = hours * s.allowances.availability
            gained = lp.gain({i: added})
            weight = float(lp.model.row_weight[i])
            out.append(MarginalGain(row.clues, role, hours, added, gained / weight, gained,
                                    float(lp.duals[i]) * added / weight, person_cost(part, role, s) * people))
    return out


def team_gains(inp: CapacityInput, settings: CapacitySettings | None = None) -> list[TeamGain]:
    """Exact gain of one more full team of the template for every hospital x specialty with demand.

    This is what the deployment model reads to send whole teams where they add most.
    """
    s = settings or CapacitySettings()
    t0 = time.perf_counter()
    inp.check()
    out: list[TeamGain] = []
    for part in inp.split():
        model = caplp.build(part, s)
        surgical = [c.specialty for c in model.cols if c.kind == "or" and c.specialty]
        if not surgical:
            continue
        lp = _HospitalLp(model, s, t0)
        clues = part.hospitals[0].clues
        for spec in surgical:
            team = {r: int(n) for r, n in s.or_team(spec).items()}
            added = {lp.rows[caplp.RowKey("role", clues, r.value)]:
                     n * person_hours(part, r, s) * s.allowances.availability for r, n in team.items()}
            gained = lp.gain(added)
            weight = part.hospitals[0].weight(s)
            cost = sum(n * person_cost(part, r, s) for r, n in team.items())
            out.append(TeamGain(clues, spec, team, gained / weight, gained, cost))
    return out


def _remaining(s: CapacitySettings, t0: float) -> float:
    remaining = s.time_limit_s - (time.perf_counter() - t0)
    if remaining <= 0:
        raise RuntimeError(f"marginal gains: time limit of {s.time_limit_s:g} s reached")
    return remaining


def bottlenecks(gains: list[MarginalGain], top: int = 10) -> list[MarginalGain]:
    """The ``top`` hospital x role additions that unlock most weighted procedures per peso."""
    useful = [g for g in gains if g.weighted_per_week > 1e-9]
    return sorted(useful, key=lambda g: (-g.weighted_per_100k_mxn, g.clues, g.role.value))[:top]


def best_teams(gains: list[TeamGain], top: int = 10) -> list[TeamGain]:
    """The ``top`` hospital x specialty teams that unlock most weighted procedures per peso."""
    useful = [g for g in gains if g.weighted_per_week > 1e-9]
    return sorted(useful, key=lambda g: (-g.weighted_per_100k_mxn, g.clues, g.specialty.value))[:top]
