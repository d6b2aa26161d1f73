"""``solve(input, settings)``: CP-SAT day plan, feasible construction, annealing, CP-SAT nurse sweeps.

Time shares (of ``time_limit_s``): the day plan gets ``day_plan_share`` (20 s at most), the room plan up to 8 %
(5 s at most), the construction whatever it needs (under 2 s on the largest competition instance), the annealing
the rest but ``nurse_cpsat_share``, which the exact per-shift nurse re-assignment uses at the end.
"""

from __future__ import annotations

import random
import time

from optimizer.surgery.construct import construct, repair_rooms, repair_theatres
from optimizer.surgery.days import plan_days, plan_rooms
from optimizer.surgery.model import Input, Plan
from optimizer.surgery.search import Annealer
from optimizer.surgery.settings import Settings
from optimizer.surgery.state import HARD, State
from optimizer.surgery.validate import evaluate


def first_schedule(inp: Input, days: dict[int, int] | None, rooms: dict[int, int] | None,
                   deadline: float) -> State:
    """The construction from the day and room plans; while it breaks a hard rule, the next of: the day plan
    as a preference (mandatory patients may move), then no plan. The cheapest state is kept."""
    attempts = [(days, rooms, True), (days, None, False), (None, None, False)]
    best: State | None = None
    for d, r, force in attempts:
        if best is not None and (best.cost < HARD or time.monotonic() > deadline):
            break
        if d is None and force:
            continue
        st = State(inp)
        construct(st, d, r, deadline=deadline, force=force)
        if best is None or st.cost < best.cost:
            best = st
    assert best is not None
    return best


def solve(inp: Input, settings: Settings | None = None) -> Plan:
    """Schedule admissions, rooms, theatres and nurses within ``settings.time_limit_s``."""
    settings = settings or Settings()
    clock0 = time.monotonic()
    deadline = clock0 + settings.time_limit_s
    rng = random.Random(settings.seed)
    days = plan_days(inp, min(20.0, settings.day_plan_share * settings.time_limit_s), settings.seed,
                     settings.workers)
    if days is None:  # no day plan yet (a loaded machine, a tight instance): feasibility first, more time
        more = 0.4 * settings.time_limit_s - (time.monotonic() - clock0)
        days = plan_days(inp, more, settings.seed + 1, settings.workers) if more > 0.5 else None
    rooms = plan_rooms(inp, days, min(5.0, 0.08 * settings.time_limit_s), settings.seed,
                       settings.workers) if days else None
    if days and rooms is None:  # beds and genders block constructions most often: rooms for the mandatory
        more = 0.45 * settings.time_limit_s - (time.monotonic() - clock0)  # patients alone, more time
        urgent = {p: d for p, d in days.items() if inp.patients[p].mandatory}
        rooms = plan_rooms(inp, urgent, more, settings.seed + 1, settings.workers) if more > 0.5 else None
    st = first_schedule(inp, days, rooms, clock0 + 0.5 * settings.time_limit_s)
    history = [(round(time.monotonic() - clock0, 2), st.cost)]
    plan = st.to_plan()
    best = st.cost
    nurse_time = settings.nurse_cpsat_share * settings.time_limit_s if settings.nurse_cpsat else 0.0
    if settings.local_search:
        ann = Annealer(st, rng)
        ann.best_cost = best
        t0 = ann.calibrate()
        iterations = ann.run(deadline - nurse_time, t0, t0 / settings.cooling, clock0)
        history.append((-1.0, iterations))
        plan, best = ann.best_plan, ann.best_cost
        history += ann.history
    if best >= HARD:  # the annealing did not clear every hard violation: the construction's repairs once more
        st = State(inp)
        st.load_plan(plan)
        repair_theatres(st)
        repair_rooms(st, deadline)
        if st.cost < best:
            plan, best = st.to_plan(), st.cost
    if settings.nurse_cpsat:
        from optimizer.surgery.nurses import sweep_nurses

        st = State(inp)
        st.load_plan(plan)
        sweep_nurses(st, deadline, settings.seed, settings.workers)
        if st.cost < best:
            plan, best = st.to_plan(), st.cost
            history.append((round(time.monotonic() - clock0, 2), best))
    b = evaluate(inp, plan)
    plan.objective = float(b.total_cost)
    plan.history = history
    plan.solve_seconds = time.monotonic() - clock0
    if b.total_violations:
        plan.status = "infeasible"
        plan.explanation = "; ".join(f"{k}: {v}" for k, v in b.violations.items() if v)
    else:  # a heuristic that uses its whole budget by design: a plan with no bound
        plan.status = "feasible"
    assert best >= HARD or best == b.total_cost, (best, b.total_cost)
    return plan
