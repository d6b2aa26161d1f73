"""``solve(input, settings)``: CP-SAT day plan, construction, annealing, CP-SAT LNS, CP-SAT nurse sweeps.

Time shares (of ``time_limit_s``): the day plan gets ``day_plan_share`` (20 s at most), the room plan up to 8 %
(5 s at most), the construction whatever it needs (under 2 s on the largest competition instance), then the
search: the annealing from hot for ``1 - lns_share`` of it (``anneal_min_s`` at least), rounds of CP-SAT
re-insertions of patients (LNS) and cold annealing for the rest, but ``nurse_cpsat_share`` of the limit (15 s at
most), which the exact per-shift nurse re-assignment uses at the end. ``plan.phases`` records when each phase
ended and the cost after it.
"""

from __future__ import annotations

import random
import time

from optimizer.surgery.construct import construct, repair_rooms, repair_theatres
from optimizer.surgery.days import plan_days
from optimizer.surgery.lns import LNS
from optimizer.surgery.model import Input, Plan
from optimizer.surgery.rooms import plan_rooms
from optimizer.surgery.search import Annealer
from optimizer.surgery.settings import Settings
from optimizer.surgery.state import HARD, State
from optimizer.surgery.validate import evaluate


def first_schedule(inp: Input, days: dict[int, int] | None, rooms: dict[int, int] | None,
                   deadline: float) -> State:
    """The construction from the day and room plans (when both exist); while it breaks a hard rule, the next of:
    the day plan as a preference (mandatory patients may move; skipped after ``deadline``), then no plan (2 s
    on i22, always tried: on i22 under load both room plans had no answer and the day plan's days left 6
    violations). The cheapest state is kept."""
    attempts = [(days, rooms, True)] if days and rooms else []
    attempts += [(days, None, False)] if days else []
    attempts.append((None, None, False))
    best: State | None = None
    for d, r, force in attempts:
        if best is not None and best.cost < HARD:
            break
        if d is not None and best is not None and time.monotonic() > deadline:
            continue
        st = State(inp)
        construct(st, d, r, deadline=deadline, force=force)
        if best is None or st.cost < best.cost:
            best = st
    assert best is not None
    return best


def _first_state(inp: Input, settings: Settings, clock0: float, phases: list) -> State:
    """Day plan, room plan (for the mandatory patients alone when the full one has no answer in its share) and
    the construction from them."""
    limit = settings.time_limit_s
    days = plan_days(inp, min(20.0, settings.day_plan_share * limit), settings.seed, settings.workers,
                     settings.day_plan_hint)
    if days is None:  # no day plan yet (a loaded machine, a tight instance): feasibility first, more time
        more = 0.4 * limit - (time.monotonic() - clock0)
        days = plan_days(inp, more, settings.seed + 1, settings.workers, settings.day_plan_hint) \
            if more > 0.5 else None
    phases.append(("day plan", _since(clock0), -1))
    rooms = plan_rooms(inp, days, min(5.0, 0.08 * limit), settings.seed, settings.workers) if days else None
    if days and rooms is None:  # beds and genders block constructions most often: rooms for the mandatory
        more = 0.45 * limit - (time.monotonic() - clock0)  # patients alone, more time
        urgent = {p: d for p, d in days.items() if inp.patients[p].mandatory}
        rooms = plan_rooms(inp, urgent, more, settings.seed + 1, settings.workers) if more > 0.5 else None
    phases.append(("room plan", _since(clock0), -1))
    st = first_schedule(inp, days, rooms, clock0 + 0.5 * limit)
    phases.append(("construction", _since(clock0), st.cost))
    return st


def _since(clock0: float) -> float:
    return round(time.monotonic() - clock0, 2)


#: Seconds kept for the CP-SAT nurse sweeps at most (they stop earlier when no shift improves).
NURSE_MAX_S = 15.0
#: Seconds of LNS sub-problems, then of low-temperature annealing, in each round of the LNS phase.
LNS_ROUND_S, ANNEAL_ROUND_S = 6.0, 2.0


def _lns_rounds(ann: Annealer, settings: Settings, end: float, t_low: float, clock0: float, phases: list) -> None:
    """From the annealing's best: rounds of CP-SAT re-insertions of patients (``lns.LNS``) and a short
    low-temperature annealing (nurses and rooms follow the patients), until ``end``."""
    st = State(ann.st.inp)
    st.load_plan(ann.best_plan)
    ann.st = st
    lns = LNS(st, ann.rng, settings.seed, settings.workers)
    while time.monotonic() < end and st.cost < HARD:
        round_end = min(end, time.monotonic() + LNS_ROUND_S)
        while time.monotonic() < round_end - 0.2:
            lns.step(min(settings.lns_step_s, round_end - time.monotonic()))
        if st.cost < ann.best_cost:
            ann.snapshot()
        ann.run(min(end, time.monotonic() + ANNEAL_ROUND_S), t_low, t_low)
    phases.append(("lns rounds", _since(clock0), ann.best_cost))
    phases.extend((f"lns {kind}: tries {k.tries}, improved {k.improved}", round(k.seconds, 2), k.gain)
                  for kind, k in lns.stats.items())


def _search(st: State, settings: Settings, rng: random.Random, end: float, clock0: float,
            phases: list) -> tuple[Plan, int, float]:
    """Annealing from hot, then (``settings.lns``) rounds of LNS and cold annealing; the best plan and cost, and
    the final temperature."""
    ann = Annealer(st, rng)
    t0 = ann.calibrate()
    share = settings.lns_share if settings.lns else 0.0
    start = time.monotonic()
    hot = max((end - start) * (1 - share), min(end - start, settings.anneal_min_s))
    iterations = ann.run(start + hot, t0, t0 / settings.cooling)
    phases.append((f"annealing ({iterations} moves)", _since(clock0), ann.best_cost))
    if settings.lns and time.monotonic() < end - 1.0:
        _lns_rounds(ann, settings, end, t0 / settings.cooling, clock0, phases)
    return ann.best_plan, ann.best_cost, t0 / settings.cooling


#: Seconds left after the nurse sweeps below which no more cold annealing is tried.
POLISH_MIN_S = 1.0


def _nurses_and_polish(inp: Input, incumbent: tuple[Plan, int], settings: Settings, t_low: float,
                       deadline: float, clock0: float, phases: list) -> tuple[Plan, int]:
    """CP-SAT nurse sweeps from the ``(plan, cost)`` found so far (they stop when no shift improves, usually well
    before ``deadline``); the time they leave goes to cold annealing from their result (at ``t_low``) and
    another sweep, until ``deadline``."""
    from optimizer.surgery.nurses import sweep_nurses

    plan, best = incumbent
    st = State(inp)
    st.load_plan(plan)
    rng = random.Random(settings.seed + 1)
    while True:
        sweep_nurses(st, deadline, settings.seed, settings.workers)
        if st.cost < best:
            plan, best = st.to_plan(), st.cost
        phases.append(("nurse sweeps", _since(clock0), best))
        left = deadline - time.monotonic()
        if left < POLISH_MIN_S or not settings.local_search:
            return plan, best
        ann = Annealer(st, rng)
        ann.run(time.monotonic() + 0.7 * left, t_low, t_low)
        st = State(inp)
        st.load_plan(ann.best_plan)
        phases.append(("cold annealing", _since(clock0), ann.best_cost))


def solve(inp: Input, settings: Settings | None = None) -> Plan:
    """Schedule admissions, rooms, theatres and nurses within ``settings.time_limit_s``."""
    settings = settings or Settings()
    clock0 = time.monotonic()
    deadline = clock0 + settings.time_limit_s
    rng = random.Random(settings.seed)
    phases: list[tuple[str, float, int]] = []
    st = _first_state(inp, settings, clock0, phases)
    plan, best = st.to_plan(), st.cost
    nurse_time = min(NURSE_MAX_S, settings.nurse_cpsat_share * settings.time_limit_s) if settings.nurse_cpsat \
        else 0.0
    t_low = 1.0
    if settings.local_search:
        plan, best, t_low = _search(st, settings, rng, deadline - nurse_time, clock0, phases)
    if best >= HARD:  # the search did not clear every hard violation: the construction's repairs once more
        st = State(inp)
        st.load_plan(plan)
        repair_theatres(st)
        repair_rooms(st, deadline)
        if st.cost < best:
            plan, best = st.to_plan(), st.cost
        phases.append(("repairs", _since(clock0), best))
    if settings.nurse_cpsat:
        plan, best = _nurses_and_polish(inp, (plan, best), settings, t_low, deadline, clock0, phases)
    b = evaluate(inp, plan)
    plan.objective = float(b.total_cost)
    plan.phases = phases
    plan.solve_seconds = time.monotonic() - clock0
    if b.total_violations:
        plan.status = "infeasible"
        plan.explanation = "; ".join(f"{k}: {v}" for k, v in b.violations.items() if v)
    else:  # a heuristic that uses its whole budget by design: a plan with no bound
        plan.status = "feasible"
    assert best >= HARD or best == b.total_cost, (best, b.total_cost)
    return plan
