"""The CP-SAT formulation of a ``RosterInstance``.

Variables: ``x[e, d, s]`` = person ``e`` works shift ``s`` on day ``d`` (created only where the person may work
it, unless ``explain`` is set), ``w[e, d]`` = ``e`` works on ``d``. Sequence rules are written the way CP-SAT
propagates best:

* maximum consecutive shifts: a sliding window of ``k + 1`` days holds at most ``k`` working days;
* minimum consecutive shifts ``k``: a run that starts on day ``a >= 1`` (``w[a-1] = 0``, ``w[a] = 1``) must
  go on through day ``a + j`` for every ``j < k`` inside the horizon, one 3-literal clause each
  (``w[a-1] or not w[a] or w[a+j]``; linear form ``w[a+j] >= w[a] - w[a-1]``). A run that reaches the last
  day may stop there, and a run that starts on day 0 is never checked: exactly the benchmark's boundary
  rule. These clauses imply the usual forbidden-pattern clauses and have a tighter LP relaxation;
* minimum consecutive days off: the same on ``not w``;
* forbidden successions: one clause per pair of consecutive days.

With ``explain=True`` every hard-rule group is guarded by an assumption literal, so CP-SAT can return a core
of rules (``rule``, person/day) that cannot hold together; see ``explain.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.rostering.instance import RosterInstance, Staff
from optimizer.rostering.validate import fairness_members, pinned_cell

Key = tuple[str, int, str]
XVars = dict[Key, cp_model.IntVar]
WorkVars = dict[tuple[str, int], cp_model.IntVar]
Terms = dict[str, cp_model.LinearExprT]
#: ``guard(rule, staff, day, text)`` -> enforcement literals of one rule group (empty unless explaining).
Guard = Callable[[str, str | None, int | None, str], list[cp_model.IntVar]]


@dataclass
class BuiltModel:
    """A CP-SAT model plus the handles needed to read a roster and the objective back."""

    model: cp_model.CpModel
    x: dict[Key, cp_model.IntVar]
    work: dict[tuple[str, int], cp_model.IntVar]
    terms: dict[str, cp_model.LinearExprT]
    guards: dict[int, tuple[str, str | None, int | None, str]] = field(default_factory=dict)

    def roster(self, solver: cp_model.CpSolver, inst: RosterInstance) -> dict[str, list[str]]:
        """The roster in the solver's current solution."""
        out = {e.id: [""] * inst.horizon for e in inst.staff}
        for (e, d, s), var in self.x.items():
            if solver.Value(var):
                out[e][d] = s
        return out


def _signature(inst: RosterInstance, e: Staff) -> tuple:
    """Everything that distinguishes one person from another in the model except the id."""
    reqs = sorted((r.day, r.shift, r.weight, r.on) for r in inst.requests if r.staff == e.id)
    prev = tuple(inst.previous[e.id]) if inst.previous and e.id in inst.previous else None
    return (
        tuple(sorted(e.max_shifts.items())),
        e.max_total_minutes,
        e.min_total_minutes,
        e.max_consecutive_shifts,
        e.min_consecutive_shifts,
        e.min_consecutive_days_off,
        e.max_weekends,
        e.role,
        tuple(sorted(inst.days_off.get(e.id, set()))),
        tuple(reqs),
        prev,
    )


def identical_groups(inst: RosterInstance) -> list[list[str]]:
    """Groups (size >= 2) of interchangeable people: swapping two rows keeps feasibility and objective."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for e in inst.staff:
        groups[_signature(inst, e)].append(e.id)
    return [g for g in groups.values() if len(g) > 1]


def build_model(inst: RosterInstance, symmetry_breaking: bool = True, explain: bool = False) -> BuiltModel:
    """Build the CP-SAT model of ``inst`` (objective = sum of ``terms``)."""
    m = cp_model.CpModel()
    H = inst.horizon
    lengths = {s.id: s.length for s in inst.shifts}
    guards: dict[int, tuple[str, str | None, int | None, str]] = {}

    def guard(rule: str, staff: str | None, day: int | None, text: str) -> list[cp_model.IntVar]:
        """Enforcement literal list for a rule group (empty when not explaining)."""
        if not explain:
            return []
        lit = m.NewBoolVar(f"g_{len(guards)}")
        guards[lit.Index()] = (rule, staff, day, text)
        m.AddAssumption(lit)
        return [lit]

    x: dict[Key, cp_model.IntVar] = {}
    work: dict[tuple[str, int], cp_model.IntVar] = {}
    for e in inst.staff:
        off = inst.days_off.get(e.id, set())
        for d in range(H):
            pin = pinned_cell(inst, e.id, d)
            for s in inst.shift_ids:
                possible = e.max_shifts.get(s, 0) > 0 and d not in off
                if explain or possible or pin == s:
                    x[(e.id, d, s)] = m.NewBoolVar(f"x_{e.id}_{d}_{s}")
            day_vars = [x[(e.id, d, s)] for s in inst.shift_ids if (e.id, d, s) in x]
            wv = m.NewBoolVar(f"w_{e.id}_{d}")
            m.Add(wv == sum(day_vars))  # rule 1: at most one shift a day
            work[(e.id, d)] = wv
            if pin is not None:
                g = guard("11 published cell", e.id, d, f"{e.id} keeps the published {pin or 'day off'} on day {d}")
                if pin:
                    m.Add(x[(e.id, d, pin)] == 1).OnlyEnforceIf(g)
                else:
                    m.Add(wv == 0).OnlyEnforceIf(g)
        if explain:
            if off:
                g = guard("9 days off", e.id, None, f"{e.id} is off on days {sorted(off)}")
                for d in off:
                    if d < H:
                        m.Add(work[(e.id, d)] == 0).OnlyEnforceIf(g)
            for s in inst.shift_ids:
                if e.max_shifts.get(s, 0) == 0:
                    g = guard("3 max shifts per type", e.id, None, f"{e.id} may not work {s}")
                    for d in range(H):
                        m.Add(x[(e.id, d, s)] == 0).OnlyEnforceIf(g)

    for e in inst.staff:
        _person_rules(m, inst, e, x, work, lengths, guard)

    terms: dict[str, cp_model.LinearExprT] = {}
    _cover(m, inst, x, terms, guard)
    terms["shift_on_requests"] = sum(
        r.weight * (1 - x[(r.staff, r.day, r.shift)]) if (r.staff, r.day, r.shift) in x else r.weight
        for r in inst.requests
        if r.on
    )
    terms["shift_off_requests"] = sum(
        r.weight * x[(r.staff, r.day, r.shift)]
        for r in inst.requests
        if not r.on and (r.staff, r.day, r.shift) in x
    )
    _fairness(m, inst, x, work, terms)
    if inst.previous is not None:
        changes = []
        for e in inst.staff:
            if e.id not in inst.previous:
                continue
            for d in range(inst.pinned_days, H):
                was = inst.previous[e.id][d]
                if not was:
                    changes.append(work[(e.id, d)])
                else:
                    changes.append(1 - x[(e.id, d, was)] if (e.id, d, was) in x else 1)
        terms["changes"] = inst.change_weight * sum(changes)

    if symmetry_breaking and not explain:
        for group in identical_groups(inst):
            mins = [
                sum(lengths[s] * x[(e, d, s)] for d in range(H) for s in inst.shift_ids if (e, d, s) in x)
                for e in group
            ]
            for a, b in zip(mins, mins[1:], strict=False):
                m.Add(a >= b)
    m.Minimize(sum(terms.values()))
    return BuiltModel(model=m, x=x, work=work, terms=terms, guards=guards)


def _person_rules(
    m: cp_model.CpModel, inst: RosterInstance, e: Staff, x: XVars, work: WorkVars, lengths: dict[str, int],
    guard: Guard,
) -> None:
    """Hard rules 2-8 for one person (rule numbers as in the benchmark README)."""
    H = inst.horizon
    shift_ids = inst.shift_ids
    w = [work[(e.id, d)] for d in range(H)]
    g = guard("2 shift rotation", e.id, None, f"{e.id}'s rest between shifts")
    for s in inst.shifts:
        for t in s.forbidden_next:
            for d in range(H - 1):
                if (e.id, d, s.id) in x and (e.id, d + 1, t) in x:
                    m.AddBoolOr([x[(e.id, d, s.id)].Not(), x[(e.id, d + 1, t)].Not()]).OnlyEnforceIf(g)
    g = guard("3 max shifts per type", e.id, None, f"{e.id}'s maximum shifts of each type")
    for s in shift_ids:
        cap = e.max_shifts.get(s, 0)
        vars_s = [x[(e.id, d, s)] for d in range(H) if (e.id, d, s) in x]
        if cap < len(vars_s):
            m.Add(sum(vars_s) <= cap).OnlyEnforceIf(g)
    minutes = sum(lengths[s] * x[(e.id, d, s)] for d in range(H) for s in shift_ids if (e.id, d, s) in x)
    g = guard("4 max total minutes", e.id, None, f"{e.id} works at most {e.max_total_minutes} min")
    m.Add(minutes <= e.max_total_minutes).OnlyEnforceIf(g)
    if e.min_total_minutes > 0:
        g = guard("4 min total minutes", e.id, None, f"{e.id} works at least {e.min_total_minutes} min")
        m.Add(minutes >= e.min_total_minutes).OnlyEnforceIf(g)
    k = e.max_consecutive_shifts
    g = guard("5 max consecutive shifts", e.id, None, f"{e.id} works at most {k} days in a row")
    for d in range(H - k):
        m.Add(sum(w[d : d + k + 1]) <= k).OnlyEnforceIf(g)
    run = e.min_consecutive_shifts
    g = guard("6 min consecutive shifts", e.id, None, f"{e.id} works at least {run} days in a row")
    for a in range(1, H):
        for j in range(1, min(run, H - a)):
            m.AddBoolOr([w[a - 1], w[a].Not(), w[a + j]]).OnlyEnforceIf(g)
    rest = e.min_consecutive_days_off
    g = guard("7 min consecutive days off", e.id, None, f"{e.id} rests at least {rest} days in a row")
    for a in range(1, H):
        for j in range(1, min(rest, H - a)):
            m.AddBoolOr([w[a - 1].Not(), w[a], w[a + j].Not()]).OnlyEnforceIf(g)
    weekends = weekend_vars(m, w, H, e.id)
    if e.max_weekends < len(weekends):
        g = guard("8 max weekends", e.id, None, f"{e.id} works at most {e.max_weekends} weekends")
        m.Add(sum(weekends) <= e.max_weekends).OnlyEnforceIf(g)


def weekend_vars(m: cp_model.CpModel, w: list[cp_model.IntVar], H: int, name: str) -> list[cp_model.IntVar]:
    """One literal per week: true iff the person works Saturday or Sunday of that week (exact)."""
    out = []
    for week in range((H + 6) // 7):
        days = [w[d] for d in (7 * week + 5, 7 * week + 6) if d < H]
        if not days:
            continue
        wk = m.NewBoolVar(f"wk_{name}_{week}")
        m.AddMaxEquality(wk, days)
        out.append(wk)
    return out


def _cover(m: cp_model.CpModel, inst: RosterInstance, x: XVars, terms: Terms, guard: Guard) -> None:
    """Cover lines: soft preferred requirement (under/over penalties) and hard minimum."""
    fills: dict[tuple[int, str], list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
    role_of = {e.id: e.role for e in inst.staff}
    slots = {s.id: s.slots for s in inst.shifts}
    for (e, d, s), var in x.items():
        for slot in slots[s]:
            fills[(d, slot)].append((role_of[e], var))
    under_terms, over_terms = [], []
    for c in inst.cover:
        vars_c = [v for r, v in fills[(c.day, c.slot)] if c.role is None or r == c.role]
        n = sum(vars_c)
        ub = len(vars_c)
        under = m.NewIntVar(0, max(0, c.requirement), f"under_{c.day}_{c.slot}_{c.role}")
        over = m.NewIntVar(0, max(0, ub - c.requirement), f"over_{c.day}_{c.slot}_{c.role}")
        m.Add(n + under - over == c.requirement)
        under_terms.append(c.weight_under * under)
        over_terms.append(c.weight_over * over)
        if c.minimum > 0:
            who = "anybody" if c.role is None else c.role
            g = guard("10 minimum cover", c.role, c.day, f"at least {c.minimum} of {who} on {c.slot} on day {c.day}")
            m.Add(n >= c.minimum).OnlyEnforceIf(g)
    terms["cover_under"] = sum(under_terms)
    terms["cover_over"] = sum(over_terms)


def _fairness(m: cp_model.CpModel, inst: RosterInstance, x: XVars, work: WorkVars, terms: Terms) -> None:
    """Spread (max - min) of nights / guardias / weekends between people of a role, times the rule weight."""
    H = inst.horizon
    by_role: dict[str, list[Staff]] = defaultdict(list)
    for e in inst.staff:
        by_role[e.role].append(e)
    for rule in inst.fairness:
        spreads = []
        for role, members in by_role.items():
            people = fairness_members(inst, members, rule.kind, rule.shifts)
            if len(people) < 2:
                continue
            counts = []
            for e in people:
                if rule.kind == "weekends":
                    counts.append(sum(weekend_vars(m, [work[(e.id, d)] for d in range(H)], H, f"f{e.id}")))
                else:
                    counts.append(sum(x[(e.id, d, s)] for d in range(H) for s in rule.shifts if (e.id, d, s) in x))
            hi = m.NewIntVar(0, H, f"fair_hi_{rule.name}_{role}")
            lo = m.NewIntVar(0, H, f"fair_lo_{rule.name}_{role}")
            for c in counts:
                m.Add(hi >= c)
                m.Add(lo <= c)
            spreads.append(hi - lo)
        terms[f"fairness_{rule.name}"] = rule.weight * sum(spreads)
