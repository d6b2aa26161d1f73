"""The day plan as a linear programme (HiGHS): its LP relaxation guides the greedy day plan, its MIP competes
with CP-SAT.

The same aggregate model as :func:`optimizer.surgery.days.plan_days` (exact surgeon minutes per day, pooled
theatre minutes with open theatres priced, beds by gender per day over rooms that each hold one gender), written
for HiGHS. On the large competition instances CP-SAT left the day plan far from its optimum in 10 s (i22: 314
patients admitted, delay + postponements 50,330; i27: 54,300) while the LP relaxation solves in under half a
second (i22 bound 30,933, i27 33,905) and its values, used as preferences by a greedy insertion, give a
complete plan at once (i22 40,225 with every mandatory patient; i27 42,085).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np

from optimizer.solvers.silence import quiet_highs
from optimizer.surgery.model import Input


def options(inp: Input, p: int) -> list[int]:
    """Admissible days of ``p`` with one theatre and the surgeon long enough for the surgery."""
    pat = inp.patients[p]
    return [d for d in range(pat.release_day, pat.last_day(inp.days) + 1)
            if inp.surgeon_max_time[pat.surgeon][d] >= pat.duration
            and any(row[d] >= pat.duration for row in inp.theatre_availability)]


@dataclass
class HighsDayModel:
    """The day model in HiGHS: ``x[p, d]`` (admit ``p`` on ``d``), open theatres per day, room genders per day.

    The objective is delay (weight x days) minus the postponement weight per admitted optional patient; the
    constant (every optional patient postponed) is added back by :meth:`cost`."""

    inp: Input
    integer: bool
    h: highspy.Highs = field(init=False)
    x: dict[tuple[int, int], int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.h = quiet_highs()  # no "threads" option: HiGHS refuses to run when it differs from the thread pool
        # an earlier model in this process started (the MIP then silently had no solution)
        inp, D = self.inp, self.inp.days
        present: list[dict[str, list]] = [{"A": [], "B": []} for _ in range(D)]
        by_day: list[list] = [[] for _ in range(D)]
        by_surgeon_day: dict[tuple[int, int], list] = {}
        for p, pat in enumerate(inp.patients):
            chosen = []
            for d in options(inp, p):
                v = self._var(self._admission_cost(p, d))
                self.x[p, d] = v.index
                chosen.append(v)
                by_day[d].append(pat.duration * v)
                by_surgeon_day.setdefault((pat.surgeon, d), []).append(pat.duration * v)
                for e in range(d, min(D, d + pat.length_of_stay)):
                    present[e][pat.gender].append(v)
            if chosen:
                self.h.addConstr(sum(chosen) == 1 if pat.mandatory else sum(chosen) <= 1)
        for (u, d), terms in by_surgeon_day.items():
            self.h.addConstr(sum(terms) <= inp.surgeon_max_time[u][d])
        for d in range(D):
            self._theatres(d, by_day[d])
            self._beds(d, present[d])

    def _var(self, cost: float) -> highspy.highs_var:
        return self.h.addBinary(obj=cost) if self.integer else self.h.addVariable(lb=0, ub=1, obj=cost)

    def _admission_cost(self, p: int, d: int) -> float:
        pat, w = self.inp.patients[p], self.inp.weights
        return w["patient_delay"] * (d - pat.release_day) - (0 if pat.mandatory else w["unscheduled_optional"])

    def _theatres(self, d: int, minutes: list) -> None:
        """Surgery minutes of day ``d`` within the minutes of the theatres opened that day (S5 per theatre)."""
        if minutes:
            rows = self.inp.theatre_availability
            opened = [self._var(self.inp.weights["open_operating_theater"]) for _ in rows]
            self.h.addConstr(sum(minutes) - sum(row[d] * o for row, o in zip(rows, opened, strict=True)) <= 0)

    def _beds(self, d: int, present: dict[str, list]) -> None:
        """Women and men present on day ``d`` within the free beds of the rooms given to each gender (rooms with
        an occupant keep the occupant's gender)."""
        inp = self.inp
        free = list(inp.room_capacity)
        female = [self._var(0.0) for _ in free]
        for o in inp.occupants:
            if o.length_of_stay > d:
                free[o.room] -= 1
                self.h.addConstr(female[o.room] == (1 if o.gender == "A" else 0))
        if present["A"]:
            self.h.addConstr(sum(present["A"]) - sum(b * f for b, f in zip(free, female, strict=True)) <= 0)
        if present["B"]:
            self.h.addConstr(sum(present["B"]) + sum(b * f for b, f in zip(free, female, strict=True)) <= sum(free))

    def cost(self, objective: float) -> float:
        """The model's objective plus the postponement weight of every optional patient (the constant)."""
        optional = sum(not pat.mandatory for pat in self.inp.patients)
        return objective + self.inp.weights["unscheduled_optional"] * optional

    def values(self) -> dict[tuple[int, int], float]:
        """``x[p, d]`` of the last solve."""
        col = self.h.getSolution().col_value
        return {k: col[i] for k, i in self.x.items()}


def lp_values(inp: Input) -> dict[tuple[int, int], float] | None:
    """The LP relaxation's ``x[p, d]`` (dual simplex, under 0.5 s on the largest competition instance), or
    ``None`` when HiGHS does not end optimal."""
    model = HighsDayModel(inp, integer=False)
    model.h.run()
    if model.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return model.values()


def mip_days(inp: Input, time_limit_s: float, start: dict[int, int] | None) -> tuple[float, dict[int, int]] | None:
    """The day model as a MIP within ``time_limit_s`` (from ``start``'s admissions when given): its objective
    (delay, postponements, open theatres) and the admission days, or ``None`` without a solution."""
    model = HighsDayModel(inp, integer=True)
    model.h.setOptionValue("time_limit", max(0.5, time_limit_s))
    if start:
        index = np.array(list(model.x.values()), dtype=np.int32)
        value = np.array([1.0 if start.get(p) == d else 0.0 for p, d in model.x], dtype=np.float64)
        model.h.setSolution(len(index), index, value)
    model.h.run()
    if model.h.getInfo().primal_solution_status != 2:  # kSolutionStatusFeasible
        return None
    days = {p: d for (p, d), v in model.values().items() if v > 0.5}
    return model.cost(model.h.getInfo().objective_function_value), days
