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
        out.extend(_hospital_gains(part, s, people, t0))
    return out


def _hospital_gains(inp: CapacityInput, s: CapacitySettings, people: int, t0: float) -> list[MarginalGain]:
    """Gains at one hospital: its own small LP re-solved once per role (the network LP is separable)."""
    model = caplp.build(inp, s)
    if not model.cols:
        return []
    h = caplp.new_highs(s, _remaining(s, t0))
    caplp.load(h, model, model.cost)
    h.run()
    if caplp.status_name(h) != "optimal":
        raise RuntimeError(f"capacity LP of {inp.hospitals[0].clues} not solved to optimality "
                           f"({caplp.status_name(h)}); raise time_limit_s")
    base = h.getInfo().objective_function_value
    duals = np.array(h.getSolution().row_dual)
    basis = h.getBasis()
    out: list[MarginalGain] = []
    for i, row in enumerate(model.rows):
        if row.kind != "role":
            continue
        role = Specialty(row.key)
        hours = person_hours(inp, role, s) * people
        added = hours * s.allowances.availability
        h.setOptionValue("time_limit", _remaining(s, t0))
        h.changeRowBounds(i, -highspy.kHighsInf, float(model.rhs[i] + added))
        h.run()
        if caplp.status_name(h) != "optimal":
            raise RuntimeError(f"marginal gains: re-solve for {role.value} at {row.clues} stopped "
                               f"({caplp.status_name(h)}); raise time_limit_s")
        gained = h.getInfo().objective_function_value - base
        h.changeRowBounds(i, -highspy.kHighsInf, float(model.rhs[i]))
        h.setBasis(basis)
        weight = float(model.row_weight[i])
        out.append(MarginalGain(row.clues, role, hours, added, gained / weight, gained,
                                float(duals[i]) * added / weight, person_cost(inp, role, s) * people))
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
