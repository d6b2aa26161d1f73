"""Exact nurse-to-room assignment for one shift at a time (CP-SAT), every other shift fixed.

With the other shifts fixed the three nurse terms are linear in ``x[r, n]`` (room ``r`` gets nurse ``n``):
S2 is the skill shortfall of ``n`` for the people in ``r``; S3 rises by one for each person in ``r`` who has not
met ``n`` in another shift; S4 is ``max(0, load - max_load)`` per nurse (one integer excess variable each). So the
sub-problem is solved to optimality, and sweeping the shifts never makes the plan worse.
"""

from __future__ import annotations

import random
import time

from ortools.sat.python import cp_model

from optimizer.solvers.cpsat import found, solve_cpsat
from optimizer.surgery.state import State


def _shift_model(st: State, s: int) -> tuple[cp_model.CpModel, dict[tuple[int, int], cp_model.IntVar]] | None:
    d = s // st.spd
    rooms = [r for r in range(st.R) if st.rd_stays[r][d]]
    nurses = st.working[s]
    if not rooms or len(nurses) < 2:
        return None
    m = cp_model.CpModel()
    x = {(r, n): m.new_bool_var(f"x{r}_{n}") for r in rooms for n in nurses}
    cost = []
    for r in rooms:
        m.add_exactly_one(x[r, n] for n in nurses)
        here = st.rd_stays[r][d]
        current = st.rn[r][s]
        for n in nurses:
            lvl, counts = st.nurse_skill[n], st.rs_skill[r][s]
            shortfall = sum((k - lvl) * counts[k] for k in range(lvl + 1, st.L))
            new_nurse = sum(1 for i in here if st.cont[i].get(n, 0) - (n == current) <= 0)
            c = st.w_skill * shortfall + st.w_cont * new_nurse
            if c:
                cost.append(c * x[r, n])
        if current in nurses:
            m.add_hint(x[r, current], 1)
    for n in nurses:
        load = sum(st.rs_load[r][s] * x[r, n] for r in rooms)
        excess = m.new_int_var(0, sum(st.rs_load[r][s] for r in rooms), f"e{n}")
        m.add(excess >= load - st.nmax[n][s])
        cost.append(st.w_load * excess)
    m.minimize(sum(cost))
    return m, x


def improve_shift(st: State, s: int, seed: int, workers: int, limit_s: float) -> int:
    """Re-assign the nurses of shift ``s`` optimally; returns the cost change (never positive)."""
    built = _shift_model(st, s)
    if built is None:
        return 0
    m, x = built
    solver, status = solve_cpsat(m, limit_s, seed, workers)
    if not found(status):
        return 0
    old = {r: st.rn[r][s] for (r, _) in x}
    delta = sum(st.set_nurse(r, s, n) for (r, n), v in x.items() if solver.boolean_value(v))
    if delta > 0:  # a time-limited answer worse than the current one
        for r, n in old.items():
            delta += st.set_nurse(r, s, n)
    return delta


def sweep_nurses(st: State, deadline: float, seed: int, workers: int) -> int:
    """Sweep the shifts in random order until no shift improves or ``deadline``; returns the cost change."""
    rng = random.Random(seed)
    total, improved = 0, True
    while improved and time.monotonic() < deadline:
        improved = False
        order = list(range(st.S))
        rng.shuffle(order)
        for s in order:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            delta = improve_shift(st, s, seed, workers, min(2.0, left))
            total += delta
            improved |= delta < 0
    return total
