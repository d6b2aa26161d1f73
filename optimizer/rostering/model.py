"""Solve a roster with CP-SAT: greedy hint, full-model solve, LNS decomposition, validation, explanation.

Small instances get one full CP-SAT solve. Larger ones (``use_decomposition``) start from a person-by-person
roster; up to ``column_generation_max_cells`` (without fairness rules) column generation gives the bound and,
by a dive, the start of the people LNS (``colgen.py``); above it a short full solve does, as before. Horizons
of ``rolling_min_days`` or more (half a year, a year) start from the block-by-block construction
(``horizon.py``) and go straight to the people LNS.

``solve(inst, settings)`` is the one entry point used by the CLI, the benchmark and re-planning. The wall time
is measured around the whole call (model building, greedy, CP-SAT, LNS, validation). Every returned roster is
re-checked by the independent validator (``validate.py``); its recomputed objective is the one reported.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.i18n import joined, said
from optimizer.plan import Status
from optimizer.rostering import colgen
from optimizer.rostering.cpsat import build_model
from optimizer.rostering.decompose import split_by_role
from optimizer.rostering.explain import explain_infeasibility
from optimizer.rostering.greedy import greedy_roster
from optimizer.rostering.horizon import rolling_construct
from optimizer.rostering.instance import Roster, RosterInstance
from optimizer.rostering.lns import construct, lns_improve
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import check_roster
from optimizer.solvers.cpsat import cpsat_solver, found


@dataclass
class RosterPlan:
    """A solved roster and how it was obtained.

    ``status``: ``optimal`` (proven), ``feasible`` (with ``bound``/``gap``), ``infeasible`` (with
    ``explanation``) or ``time_limit`` (no roster found in time). ``objective`` is recomputed by the
    validator; ``violations`` lists hard rules the validator found broken (always empty unless a bug).
    """

    status: Status
    objective: int | None
    bound: float | None
    gap: float | None  # relative, (objective - bound) / objective
    solve_seconds: float
    first_feasible_seconds: float | None
    roster: Roster = field(default_factory=dict)
    breakdown: dict[str, int] = field(default_factory=dict)
    explanation: str | None = None  # why there is no roster (infeasible / time_limit), one paragraph
    violations: list[str] = field(default_factory=list)
    greedy_objective: int | None = None
    lns_steps: int = 0
    seed: int = 0
    conflict: list[str] = field(default_factory=list)  # infeasible: the minimal set of conflicting rules


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    """Records the wall time of the first solution (time to first feasible)."""

    def __init__(self, t0: float) -> None:
        super().__init__()
        self.t0 = t0
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = time.monotonic() - self.t0


def check_instance(inst: RosterInstance) -> None:
    """Raise ``ValueError`` naming the field when the instance is inconsistent (before any solve)."""
    ids = set(inst.shift_ids)
    staff = set(inst.staff_ids)
    for r in inst.requests:
        if r.staff not in staff or r.shift not in ids or not 0 <= r.day < inst.horizon:
            raise ValueError(f"request {r} names an unknown person, shift or day")
    for c in inst.cover:
        if not 0 <= c.day < inst.horizon:
            raise ValueError(f"cover line {c}: day outside the horizon 0..{inst.horizon - 1}")
    if inst.previous is not None:
        for eid, row in inst.previous.items():
            if len(row) != inst.horizon:
                raise ValueError(f"previous roster row {eid!r} has {len(row)} days, the horizon has {inst.horizon}")
            bad = [x for x in row if x and x not in ids]
            if bad:
                raise ValueError(f"previous roster row {eid!r} names unknown shifts {sorted(set(bad))}")


def use_decomposition(inst: RosterInstance, settings: RosterSettings) -> bool:
    """Whether to spend part of the time on LNS (see ``RosterSettings.decomposition``)."""
    if settings.decomposition != "auto":
        return settings.decomposition == "always"
    cells = len(inst.staff) * inst.horizon * len(inst.shifts)
    return cells >= settings.decomposition_min_cells


def use_column_generation(inst: RosterInstance, settings: RosterSettings) -> bool:
    """Whether the LNS starts from column generation (see ``RosterSettings.column_generation_max_cells``)."""
    return colgen.applies(inst) and _cells(inst) <= settings.column_generation_max_cells


def solve(inst: RosterInstance, settings: RosterSettings | None = None, hint: Roster | None = None) -> RosterPlan:
    """Find a roster minimising the weighted penalties of ``inst`` within ``settings.time_limit_s``.

    ``hint`` (a roster, e.g. the previous one when re-planning) is given to CP-SAT as its starting point;
    without it the greedy roster is used when ``settings.greedy_hint`` is set.

    Independent staff groups (``decompose.split_by_role``) are solved one after the other, smallest first,
    each with its size's share of the time still left; the merged roster is validated as a whole.
    """
    settings = settings or RosterSettings()
    t0 = time.monotonic()
    deadline = t0 + settings.time_limit_s
    check_instance(inst)
    parts = sorted(split_by_role(inst), key=_cells)
    if len(parts) == 1:
        return _solve_part(inst, settings, t0, deadline, hint)
    plans: list[RosterPlan] = []
    for i, part in enumerate(parts):
        left = deadline - time.monotonic()
        share = _cells(part) / max(1, sum(_cells(p) for p in parts[i:]))
        plan = _solve_part(part, settings, t0, time.monotonic() + max(0.5, left * share), hint)
        plans.append(plan)
        if plan.status in ("infeasible", "time_limit"):
            plan.solve_seconds = time.monotonic() - t0
            return plan
    roster: Roster = {}
    for plan in plans:
        roster.update(plan.roster)
    report = check_roster(inst, roster)
    optimal = all(p.status == "optimal" for p in plans)
    bound = sum(p.bound or 0.0 for p in plans)
    firsts = [p.first_feasible_seconds for p in plans if p.first_feasible_seconds is not None]
    return RosterPlan(
        status="optimal" if optimal else "feasible",
        objective=report.objective,
        bound=bound,
        gap=0.0 if optimal else (report.objective - bound) / max(1, report.objective),
        solve_seconds=time.monotonic() - t0,
        first_feasible_seconds=max(firsts, default=None),
        roster=roster,
        breakdown=report.breakdown,
        violations=[v.message for v in report.violations],
        greedy_objective=None,
        lns_steps=sum(p.lns_steps for p in plans),
        seed=settings.seed,
    )


def _cells(inst: RosterInstance) -> int:
    """Size of a (sub-)instance: person x day x shift cells."""
    return max(1, len(inst.staff)) * inst.horizon * len(inst.shifts)


def _full_solve(settings: RosterSettings, seconds: float) -> cp_model.CpSolver:
    """A CP-SAT solver for the whole model with the settings' workers, seed and subsolvers."""
    return cpsat_solver(max(0.1, seconds), settings.seed, settings.workers, log=settings.log,
                        subsolvers=settings.subsolvers)


def use_rolling_horizon(inst: RosterInstance, settings: RosterSettings) -> bool:
    """Whether the first roster comes from the rolling-horizon construction (``RosterSettings.rolling_min_days``)."""
    return inst.horizon >= settings.rolling_min_days


def _solve_part(
    inst: RosterInstance, settings: RosterSettings, t0: float, deadline: float, hint: Roster | None
) -> RosterPlan:
    """Solve one independent instance until ``deadline`` (``time.monotonic()``); times count from ``t0``."""
    if use_rolling_horizon(inst, settings):
        return _rolling_part(inst, settings, t0, deadline, hint)
    built = build_model(inst, symmetry_breaking=settings.symmetry_breaking)
    greedy_obj = None
    if hint is None and settings.greedy_hint:
        hint = greedy_roster(inst)
        greedy_obj = check_roster(inst, hint).objective
    decompose = use_decomposition(inst, settings)
    remaining = deadline - time.monotonic()
    constructed: Roster | None = None
    constructed_at: float | None = None
    if hint is None and decompose:
        # the person-by-person roster: the full solve's hint, and the LNS start if the full solve finds nothing
        constructed = construct(inst, time.monotonic() + remaining / 2, settings.seed)
        if constructed is not None and check_roster(inst, constructed).feasible:
            hint, constructed_at = constructed, time.monotonic() - t0
            if use_column_generation(inst, settings):
                return _colgen_part(inst, settings, t0, deadline, constructed, constructed_at, greedy_obj)
        else:
            constructed = None
    if hint is not None:
        built.hint(hint)
    callback = _FirstSolution(t0)
    full_end = deadline - remaining * (1 - settings.full_solve_share) if decompose else deadline
    solver = _full_solve(settings, full_end - time.monotonic())
    status = solver.Solve(built.model, callback)

    if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
        why = explain_infeasibility(inst, settings.explain_time_limit_s, settings.seed)
        return RosterPlan("infeasible", None, None, None, time.monotonic() - t0, None, explanation=joined(*why),
                          conflict=why,
                          greedy_objective=greedy_obj, seed=settings.seed)
    first = constructed_at if constructed_at is not None else callback.first
    if found(status):
        roster = built.roster(solver, inst)
        objective = int(round(solver.ObjectiveValue()))
    elif constructed is not None:
        roster, objective, status = constructed, check_roster(inst, constructed).objective, cp_model.FEASIBLE
    else:
        return RosterPlan(
            "time_limit", None, None, None, time.monotonic() - t0, None,
            explanation=said("models.rostering.no_roster_in_time", name=inst.name or "roster",
                             seconds=f"{deadline - t0:.0f}"),
            greedy_objective=greedy_obj, seed=settings.seed,
        )
    bound = max(0.0, solver.BestObjectiveBound())
    steps = 0
    if decompose and status != cp_model.OPTIMAL:
        roster, objective, steps = lns_improve(inst, roster, objective, deadline, settings, math.ceil(bound - 1e-6))
    proven = status == cp_model.OPTIMAL
    return _finished(inst, settings, roster, bound, proven, _Search(t0, first, greedy_obj, steps))


def _rolling_part(
    inst: RosterInstance, settings: RosterSettings, t0: float, deadline: float, hint: Roster | None
) -> RosterPlan:
    """Long horizons: a first roster block by block (``horizon.rolling_construct``; ``hint`` instead when it
    keeps every hard rule), then the people LNS until ``deadline``. No full model is built (Instance24's took
    53 s), so there is no lower bound: the plan is ``feasible`` without a gap."""
    start = hint if hint is not None and check_roster(inst, hint).feasible else None
    if start is None:
        start = rolling_construct(inst, deadline, settings.seed, settings.rolling_block_days,
                                  pace_until=t0 + settings.rolling_pace_share * (deadline - t0))
    if start is None or not check_roster(inst, start).feasible:
        return RosterPlan(
            "time_limit", None, None, None, time.monotonic() - t0, None,
            explanation=said("models.rostering.rolling_unfinished", name=inst.name or "roster",
                             days=settings.rolling_block_days, seconds=f"{deadline - t0:.0f}"),
            seed=settings.seed,
        )
    first = time.monotonic() - t0
    objective = check_roster(inst, start).objective
    roster, objective, steps = lns_improve(inst, start, objective, deadline, settings, 0)
    return _finished(inst, settings, roster, None, False, _Search(t0, first, None, steps))


def _colgen_part(
    inst: RosterInstance, settings: RosterSettings, t0: float, deadline: float, start: Roster, first: float,
    greedy_obj: int | None,
) -> RosterPlan:
    """Column generation from the constructed roster ``start``: the root LP gives the lower bound, a dive the
    roster the LNS improves until ``deadline``."""
    limit = deadline - t0
    cg = colgen.ColumnGeneration(inst, start, settings.seed, settings.workers)
    cg.root(min(deadline, t0 + settings.colgen_root_share * limit))
    dived = cg.dive(min(deadline, t0 + settings.colgen_dive_share * limit))
    roster, objective = start, check_roster(inst, start).objective
    dive_report = check_roster(inst, dived)
    if dive_report.feasible and dive_report.objective < objective:
        roster, objective = dived, dive_report.objective
    bound = colgen.ceil_bound(cg.lower_bound)
    lower = bound if bound is not None else 0
    roster, objective, steps = lns_improve(inst, roster, objective, deadline, settings, lower, cg.person_gaps)
    return _finished(inst, settings, roster, None if bound is None else float(bound), False,
                     _Search(t0, first, greedy_obj, steps))


@dataclass(frozen=True)
class _Search:
    """How a solve went: its start (``time.monotonic()``), seconds to the first roster, the greedy hint's
    objective (None without one) and the LNS steps taken."""

    t0: float
    first: float | None
    greedy_obj: int | None
    steps: int


def _finished(
    inst: RosterInstance, settings: RosterSettings, roster: Roster, bound: float | None, proven: bool,
    search: _Search,
) -> RosterPlan:
    """The plan of ``roster`` as the validator sees it; optimal when ``proven`` or when it meets ``bound``."""
    report = check_roster(inst, roster)
    proven = proven or bound is not None and report.objective <= math.ceil(bound - 1e-6)
    return RosterPlan(
        status="optimal" if proven else "feasible",
        objective=report.objective,
        bound=float(report.objective) if proven else bound,
        gap=0.0 if proven else None if bound is None else (report.objective - bound) / max(1, report.objective),
        solve_seconds=time.monotonic() - search.t0,
        first_feasible_seconds=search.first,
        roster=roster,
        breakdown=report.breakdown,
        violations=[v.message for v in report.violations],
        greedy_objective=search.greedy_obj,
        lns_steps=search.steps,
        seed=settings.seed,
    )
