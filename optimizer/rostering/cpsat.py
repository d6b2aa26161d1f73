"""The CP-SAT formulation of a ``RosterInstance``, for the whole staff or for a few freed people.

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

Each person's rules are independent of everybody else's; only cover (and fairness) couples people. So
``add_person_vars`` and ``_person_rules`` write one person's variables and rules, and ``build_model`` uses
them both for the full model and, with ``free`` and ``fixed``, for the LNS sub-model of a few freed people
whose cover lines count the fixed people's shifts as constants (``lns.py``). The sub-model's objective
includes the fixed people's penalties as a constant, so it equals the full objective of the merged roster.
Every person's variables are created before any rule (the order of the model before the LNS rewrite):
Instance5 at 60 s, seeds 0-2, gave 1,240 / 1,149 / 1,146 this way and 1,237 / 1,145 / 1,242 with each
person's rules written right after their variables.

With ``explain=True`` every hard-rule group is guarded by an assumption literal, so CP-SAT can return a core
of rules (``rule``, person/day) that cannot hold together; see ``explain.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.i18n import Msg, msg
from optimizer.rostering.instance import Roster, RosterInstance, Staff
from optimizer.rostering.validate import fairness_members, pinned_cell

Key = tuple[str, int, str]
XVars = dict[Key, cp_model.IntVar]
WorkVars = dict[tuple[str, int], cp_model.IntVar]
Terms = dict[str, cp_model.LinearExprT]
#: ``guard(rule, staff, day, text)`` -> enforcement literals of one rule group (empty unless explaining); ``text``
#: is the catalogue message HR reads when the rule is part of a conflict (``explain.py``).
Guard = Callable[[str, str | None, int | None, Msg], list[cp_model.IntVar]]


@dataclass
class BuiltModel:
    """A CP-SAT model plus the handles needed to read a roster and the objective back.

    ``fixed`` holds the rows of the people that are not in the model (a sub-model); they are copied into
    every roster read back.
    """

    model: cp_model.CpModel
    x: dict[Key, cp_model.IntVar]
    work: dict[tuple[str, int], cp_model.IntVar]
    terms: dict[str, cp_model.LinearExprT]
    guards: dict[int, tuple[str, str | None, int | None, str]] = field(default_factory=dict)
    fixed: Roster = field(default_factory=dict)

    def roster(self, solver: cp_model.CpSolver, inst: RosterInstance) -> Roster:
        """The roster in the solver's current solution (fixed people keep their rows)."""
        out = {e.id: list(self.fixed[e.id]) if e.id in self.fixed else [""] * inst.horizon for e in inst.staff}
        for (e, d, s), var in self.x.items():
            if solver.Value(var):
                out[e][d] = s
        return out

    def hint(self, roster: Roster) -> None:
        """Give ``roster`` (rows of the modelled people) to CP-SAT as its starting point."""
        self.model.ClearHints()
        for (e, d, s), var in self.x.items():
            self.model.AddHint(var, 1 if e in roster and roster[e][d] == s else 0)


def _signature(inst: RosterInstance, e: Staff, requests: list[tuple[int, str, int, bool]]) -> tuple:
    """Everything that distinguishes one person from another in the model except the id (``requests``: the
    person's requests as ``(day, shift, weight, on)``)."""
    reqs = sorted(requests)
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
    requests: dict[str, list[tuple[int, str, int, bool]]] = defaultdict(list)
    for r in inst.requests:  # one pass (once per person was 0.5 M steps a build on Instance24)
        requests[r.staff].append((r.day, r.shift, r.weight, r.on))
    groups: dict[tuple, list[str]] = defaultdict(list)
    for e in inst.staff:
        groups[_signature(inst, e, requests[e.id])].append(e.id)
    return [g for g in groups.values() if len(g) > 1]


def build_model(
    inst: RosterInstance,
    symmetry_breaking: bool = True,
    explain: bool = False,
    free: set[tuple[str, int]] | None = None,
    fixed: Roster | None = None,
) -> BuiltModel:
    """Build the CP-SAT model of ``inst`` (objective = sum of ``terms``).

    With ``free`` (a set of ``(staff id, day)`` cells) only the people owning a free cell get variables, and
    their cells outside ``free`` are fixed to ``fixed``; everybody else keeps the row ``fixed[id]``, which
    enters cover, fairness, requests and changes as constants.
    """
    m = cp_model.CpModel()
    guards: dict[int, tuple[str, str | None, int | None, Msg]] = {}

    def guard(rule: str, staff: str | None, day: int | None, text: Msg) -> list[cp_model.IntVar]:
        """Enforcement literal list for a rule group (empty when not explaining)."""
        if not explain:
            return []
        lit = m.NewBoolVar(f"g_{len(guards)}")
        guards[lit.Index()] = (rule, staff, day, text)
        m.AddAssumption(lit)
        return [lit]

    people, rows = _modelled(inst, free, fixed)
    x: XVars = {}
    work: WorkVars = {}
    for e in people:
        add_person_vars(m, inst, e, x, work, guard, explain)
    for e in people:
        _person_rules(m, inst, e, x, work, guard)
        if free is not None and fixed is not None:
            _fix_outside(m, inst, e, x, work, free, fixed)

    terms: Terms = {}
    _cover(m, inst, x, rows, terms, guard)
    _request_terms(inst, x, rows, terms)
    _fairness(m, inst, x, work, rows, terms)
    if inst.previous is not None:
        terms["changes"] = inst.change_weight * sum(_changes(inst, e, x, work, rows) for e in inst.staff)
    if symmetry_breaking and not explain:
        _break_symmetry(m, inst, x, rows)
    m.Minimize(sum(terms.values()))
    return BuiltModel(model=m, x=x, work=work, terms=terms, guards=guards, fixed=rows)


def _modelled(inst: RosterInstance, free: set[tuple[str, int]] | None, fixed: Roster | None
              ) -> tuple[list[Staff], Roster]:
    """The people who get variables (everybody, or the owners of a free cell) and the fixed rows of the rest."""
    if free is None:
        return list(inst.staff), {}
    assert fixed is not None, "a sub-model needs the fixed people's rows"
    owners = {e for e, _ in free}
    people = [e for e in inst.staff if e.id in owners]
    rows = {e.id: fixed[e.id] for e in inst.staff if e.id not in owners}
    return people, rows


def _fix_outside(m: cp_model.CpModel, inst: RosterInstance, e: Staff, x: XVars, work: WorkVars,
                 free: set[tuple[str, int]], fixed: Roster) -> None:
    """A modelled person's cells outside ``free`` keep their shift (or day off) of ``fixed``."""
    for d in range(inst.horizon):
        if (e.id, d) not in free:
            m.Add(work[(e.id, d)] == (1 if fixed[e.id][d] else 0))
            if fixed[e.id][d]:
                m.Add(x[(e.id, d, fixed[e.id][d])] == 1)


def _request_terms(inst: RosterInstance, x: XVars, rows: Roster, terms: Terms) -> None:
    """Shift-on requests not granted and shift-off requests not granted (weights), fixed rows as constants."""
    terms["shift_on_requests"] = sum(
        r.weight * (rows[r.staff][r.day] != r.shift) if r.staff in rows
        else r.weight * (1 - x[(r.staff, r.day, r.shift)]) if (r.staff, r.day, r.shift) in x else r.weight
        for r in inst.requests
        if r.on
    )
    terms["shift_off_requests"] = sum(
        r.weight * (rows[r.staff][r.day] == r.shift) if r.staff in rows
        else r.weight * x[(r.staff, r.day, r.shift)] if (r.staff, r.day, r.shift) in x else 0
        for r in inst.requests
        if not r.on
    )


def _break_symmetry(m: cp_model.CpModel, inst: RosterInstance, x: XVars, rows: Roster) -> None:
    """Interchangeable people (:func:`identical_groups`) work non-increasing minutes in group order."""
    lengths = {s.id: s.length for s in inst.shifts}
    for group in identical_groups(inst):
        mins = [
            sum(lengths[s] * x[(e, d, s)] for d in range(inst.horizon) for s in inst.shift_ids if (e, d, s) in x)
            for e in group
            if e not in rows
        ]
        for a, b in zip(mins, mins[1:], strict=False):
            m.Add(a >= b)


def add_person_vars(
    m: cp_model.CpModel, inst: RosterInstance, e: Staff, x: XVars, work: WorkVars, guard: Guard, explain: bool
) -> None:
    """Variables of one person (``x``, ``w``; rule 1: at most one shift a day), published cells (rule 11),
    days off and per-type bans (rules 9 and 3, as guarded constraints when explaining); rules 2-8 are
    ``_person_rules``."""
    H = inst.horizon
    off = inst.days_off.get(e.id, set())
    for d in range(H):
        pin = pinned_cell(inst, e.id, d)
        for s in inst.shift_ids:
            possible = e.max_shifts.get(s, 0) > 0 and d not in off
            if explain or possible or pin == s:
                x[(e.id, d, s)] = m.NewBoolVar(f"x_{e.id}_{d}_{s}")
        day_vars = [x[(e.id, d, s)] for s in inst.shift_ids if (e.id, d, s) in x]
        wv = m.NewBoolVar(f"w_{e.id}_{d}")
        m.Add(wv == sum(day_vars))
        work[(e.id, d)] = wv
        if pin is not None:
            g = guard("11 published cell", e.id, d, msg("models.rostering.rule_text.published", person=e.id,
                                                            cell=pin or msg("models.rostering.day_off"), day=d))
            if pin:
                m.Add(x[(e.id, d, pin)] == 1).OnlyEnforceIf(g)
            else:
                m.Add(wv == 0).OnlyEnforceIf(g)
    if explain:
        _guarded_bans(m, inst, e, x, work, guard, off)


def _guarded_bans(m: cp_model.CpModel, inst: RosterInstance, e: Staff, x: XVars, work: WorkVars, guard: Guard,
                  off: set[int]) -> None:
    """When explaining, days off (rule 9) and shift types the person may not work (rule 3) are constraints
    under a guard, so a conflict can name them (otherwise those variables are simply not created)."""
    H = inst.horizon
    if off:
        g = guard("9 days off", e.id, None, msg("models.rostering.rule_text.days_off", person=e.id,
                                                      days=tuple(sorted(off))))
        for d in off:
            if d < H:
                m.Add(work[(e.id, d)] == 0).OnlyEnforceIf(g)
    for s in inst.shift_ids:
        if e.max_shifts.get(s, 0) == 0:
            banned = msg("models.rostering.rule_text.banned", person=e.id, shift=s)
            g = guard("3 max shifts per type", e.id, None, banned)
            for d in range(H):
                m.Add(x[(e.id, d, s)] == 0).OnlyEnforceIf(g)


def _person_rules(m: cp_model.CpModel, inst: RosterInstance, e: Staff, x: XVars, work: WorkVars, guard: Guard) -> None:
    """Hard rules 2-8 for one person (rule numbers as in the benchmark README)."""
    _rotation_and_caps(m, inst, e, x, guard)
    _minutes(m, inst, e, x, guard)
    _runs_and_weekends(m, inst, e, [work[(e.id, d)] for d in range(inst.horizon)], guard)


def _rotation_and_caps(m: cp_model.CpModel, inst: RosterInstance, e: Staff, x: XVars, guard: Guard) -> None:
    """Rule 2 (no forbidden shift the next day) and rule 3 (at most the person's shifts of each type)."""
    H = inst.horizon
    g = guard("2 shift rotation", e.id, None, msg("models.rostering.rule_text.rotation", person=e.id))
    for s in inst.shifts:
        for t in s.forbidden_next:
            for d in range(H - 1):
                if (e.id, d, s.id) in x and (e.id, d + 1, t) in x:
                    m.AddBoolOr([x[(e.id, d, s.id)].Not(), x[(e.id, d + 1, t)].Not()]).OnlyEnforceIf(g)
    g = guard("3 max shifts per type", e.id, None, msg("models.rostering.rule_text.max_shifts", person=e.id))
    for s in inst.shift_ids:
        cap = e.max_shifts.get(s, 0)
        vars_s = [x[(e.id, d, s)] for d in range(H) if (e.id, d, s) in x]
        if cap < len(vars_s):
            m.Add(sum(vars_s) <= cap).OnlyEnforceIf(g)


def _minutes(m: cp_model.CpModel, inst: RosterInstance, e: Staff, x: XVars, guard: Guard) -> None:
    """Rule 4: total minutes within the person's maximum and minimum."""
    H, shift_ids = inst.horizon, inst.shift_ids
    lengths = {s.id: s.length for s in inst.shifts}
    minutes = sum(lengths[s] * x[(e.id, d, s)] for d in range(H) for s in shift_ids if (e.id, d, s) in x)
    g = guard("4 max total minutes", e.id, None, msg("models.rostering.rule_text.max_minutes", person=e.id,
                                                                  minutes=e.max_total_minutes))
    m.Add(minutes <= e.max_total_minutes).OnlyEnforceIf(g)
    if e.min_total_minutes > 0:
        g = guard("4 min total minutes", e.id, None, msg("models.rostering.rule_text.min_minutes", person=e.id,
                                                                      minutes=e.min_total_minutes))
        m.Add(minutes >= e.min_total_minutes).OnlyEnforceIf(g)


def _runs_and_weekends(m: cp_model.CpModel, inst: RosterInstance, e: Staff, w: list[cp_model.IntVar],
                       guard: Guard) -> None:
    """Rules 5-8 on the person's work literals ``w``: at most k days in a row, runs of work and of rest at
    least their minimum, at most the person's weekends."""
    H = inst.horizon
    k = e.max_consecutive_shifts
    g = guard("5 max consecutive shifts", e.id, None, msg("models.rostering.rule_text.max_run", person=e.id, days=k))
    for d in range(H - k):
        m.Add(sum(w[d : d + k + 1]) <= k).OnlyEnforceIf(g)
    run = e.min_consecutive_shifts
    g = guard("6 min consecutive shifts", e.id, None, msg("models.rostering.rule_text.min_run", person=e.id, days=run))
    for a in range(1, H):
        for j in range(1, min(run, H - a)):
            m.AddBoolOr([w[a - 1], w[a].Not(), w[a + j]]).OnlyEnforceIf(g)
    rest = e.min_consecutive_days_off
    g = guard("7 min consecutive days off", e.id, None,
              msg("models.rostering.rule_text.min_rest", person=e.id, days=rest))
    for a in range(1, H):
        for j in range(1, min(rest, H - a)):
            m.AddBoolOr([w[a - 1].Not(), w[a], w[a + j].Not()]).OnlyEnforceIf(g)
    weekends = weekend_vars(m, w, H, e.id)
    if e.max_weekends < len(weekends):
        g = guard("8 max weekends", e.id, None, msg("models.rostering.rule_text.max_weekends", person=e.id,
                                                             weekends=e.max_weekends))
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


def _cover(m: cp_model.CpModel, inst: RosterInstance, x: XVars, rows: Roster, terms: Terms, guard: Guard) -> None:
    """Cover lines: soft preferred requirement (under/over penalties) and hard minimum.

    People in ``rows`` (not modelled) add their shifts to the count as a constant; a line nobody modelled can
    fill is a constant penalty (and a hard minimum it misses makes the model infeasible).
    """
    fills: dict[tuple[int, str], list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
    base: dict[tuple[int, str, str | None], int] = defaultdict(int)
    role_of = {e.id: e.role for e in inst.staff}
    slots = {s.id: s.slots for s in inst.shifts}
    for (e, d, s), var in x.items():
        for slot in slots[s]:
            fills[(d, slot)].append((role_of[e], var))
    for eid, row in rows.items():
        for d, s in enumerate(row):
            for slot in slots[s] if s else ():
                base[(d, slot, role_of[eid])] += 1
                base[(d, slot, None)] += 1
    under_terms: list[cp_model.LinearExprT] = []
    over_terms: list[cp_model.LinearExprT] = []
    for c in inst.cover:
        vars_c = [v for r, v in fills[(c.day, c.slot)] if c.role is None or r == c.role]
        have = base[(c.day, c.slot, c.role)]
        if not vars_c:
            under_terms.append(c.weight_under * max(0, c.requirement - have))
            over_terms.append(c.weight_over * max(0, have - c.requirement))
            if have < c.minimum:
                m.AddBoolOr([])  # nobody modelled can lift this line to its hard minimum
            continue
        n = sum(vars_c)
        need = c.requirement - have
        under = m.NewIntVar(0, max(0, need), f"under_{c.day}_{c.slot}_{c.role}")
        over = m.NewIntVar(0, max(0, len(vars_c) - need), f"over_{c.day}_{c.slot}_{c.role}")
        m.Add(n + under - over == need)
        under_terms.append(c.weight_under * under)
        over_terms.append(c.weight_over * over)
        if c.minimum > have:
            who = msg("models.rostering.anybody") if c.role is None else c.role
            g = guard("10 minimum cover", c.role, c.day, msg("models.rostering.rule_text.min_cover", minimum=c.minimum,
                                                              who=who, slot=c.slot, day=c.day))
            m.Add(n >= c.minimum - have).OnlyEnforceIf(g)
    terms["cover_under"] = sum(under_terms)
    terms["cover_over"] = sum(over_terms)


def _changes(inst: RosterInstance, e: Staff, x: XVars, work: WorkVars, rows: Roster) -> cp_model.LinearExprT:
    """Draft-period cells of ``e`` that differ from the previous roster (a constant for fixed people)."""
    if inst.previous is None or e.id not in inst.previous:
        return 0
    was = inst.previous[e.id]
    days = range(inst.pinned_days, inst.horizon)
    if e.id in rows:
        return sum(1 for d in days if rows[e.id][d] != was[d])
    return sum(
        work[(e.id, d)] if not was[d] else 1 - x[(e.id, d, was[d])] if (e.id, d, was[d]) in x else 1 for d in days
    )


def _fairness(
    m: cp_model.CpModel, inst: RosterInstance, x: XVars, work: WorkVars, rows: Roster, terms: Terms
) -> None:
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
            counts: list[cp_model.LinearExprT] = []
            for e in people:
                if e.id in rows:
                    counts.append(_fixed_count(rows[e.id], rule.kind, rule.shifts))
                elif rule.kind == "weekends":
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


def _fixed_count(row: list[str], kind: str, shifts: frozenset[str]) -> int:
    """A fixed person's count for a fairness rule: worked weekends, or days on one of ``shifts``."""
    if kind == "weekends":
        H = len(row)
        return sum(1 for w in range((H + 6) // 7) if any(d < H and row[d] for d in (7 * w + 5, 7 * w + 6)))
    return sum(1 for s in row if s in shifts)
