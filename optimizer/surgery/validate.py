"""Independent validator: every hard violation and every soft cost term of a plan, recomputed from the plan alone.

It follows the definitions of the official ``IHTP_Validator.cc`` (version 0.0, 23/05/24) term by term, including
its details: a patient is counted in rooms and nurse shifts only inside the horizon; when two nurses cover the
same room and shift the later one is the room's nurse but both carry the workload; continuity of care counts the
distinct nurses met during the part of the stay inside the horizon (occupants included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.plan import Validation
from optimizer.surgery.model import COST_TERMS, VIOLATION_TERMS, Input, Plan
from optimizer.surgery.settings import Settings


@dataclass
class Breakdown:
    """Counts per term (official names) and the weighted total cost."""

    violations: dict[str, int] = field(default_factory=dict)
    costs: dict[str, int] = field(default_factory=dict)  # unweighted counts
    weights: dict[str, int] = field(default_factory=dict)

    @property
    def total_violations(self) -> int:
        return sum(self.violations.values())

    @property
    def total_cost(self) -> int:
        return sum(self.costs[t] * self.weights[t] for t in self.costs)

    def lines(self) -> list[str]:
        """The breakdown as the official validator prints it (``RoomAgeMix....35 (  5 X   7)``)."""
        out = ["VIOLATIONS: "]
        out += [f"{name:.<30}{count:.>5}" for name, count in self.violations.items()]
        out += [f"Total violations = {self.total_violations}", "", "COSTS (weight X cost): "]
        for name, count in self.costs.items():
            w = self.weights[name]
            out.append(f"{name:.<30}{count * w:.>10} ({w:>3} X {count:>3})")
        out.append(f"Total cost = {self.total_cost}")
        return out


class _View:
    """Who is where: the derived tables of the official validator, built once from the plan."""

    def __init__(self, inp: Input, plan: Plan) -> None:
        self.inp = inp
        self.P = len(inp.patients)
        nr, ns = len(inp.room_ids), inp.shifts
        self.room_day: list[list[list[int]]] = [[[] for _ in range(inp.days)] for _ in range(nr)]
        for o, occ in enumerate(inp.occupants):
            for d in range(min(inp.days, occ.length_of_stay)):
                self.room_day[occ.room][d].append(self.P + o)
        for p, day in enumerate(plan.admission):
            if day is not None:
                for d in range(day, min(inp.days, day + inp.patients[p].length_of_stay)):
                    self.room_day[plan.room[p]][d].append(p)
        self.room_shift_nurse = [[-1] * ns for _ in range(nr)]
        self.nurse_shift_rooms: dict[tuple[int, int], list[int]] = {}
        for n, r, s in plan.nurse_assignments:
            self.room_shift_nurse[r][s] = n
            self.nurse_shift_rooms.setdefault((n, s), []).append(r)
        self.admission = plan.admission
        self.rooms = plan.room

    def stay(self, i: int):
        return self.inp.patients[i] if i < self.P else self.inp.occupants[i - self.P]

    def offset(self, i: int, s: int) -> int:
        """Shift ``s`` relative to the start of stay ``i``."""
        return s - self.admission[i] * self.inp.shifts_per_day if i < self.P else s

    def stay_nurses(self, i: int) -> list[int]:
        """Nurse (or -1) of each shift of stay ``i`` inside the horizon."""
        spd = self.inp.shifts_per_day
        stay = self.stay(i)
        start = self.admission[i] if i < self.P else 0
        room = self.room_of(i)
        end = min(self.inp.days, start + stay.length_of_stay)
        return [self.room_shift_nurse[room][s] for s in range(start * spd, end * spd)]

    def room_of(self, i: int) -> int:
        return self.rooms[i] if i < self.P else self.inp.occupants[i - self.P].room


def _surgery_tables(inp: Input, plan: Plan) -> tuple[list, list, list]:
    theatre_day = [[[] for _ in range(inp.days)] for _ in inp.theatre_ids]
    surgeon_load = [[0] * inp.days for _ in inp.surgeon_ids]
    surgeon_theatres = [[set() for _ in range(inp.days)] for _ in inp.surgeon_ids]
    for p, day in enumerate(plan.admission):
        if day is not None:
            pat = inp.patients[p]
            theatre_day[plan.theatre[p]][day].append(p)
            surgeon_load[pat.surgeon][day] += pat.duration
            surgeon_theatres[pat.surgeon][day].add(plan.theatre[p])
    return theatre_day, surgeon_load, surgeon_theatres


def room_gender_mix(v: _View) -> int:
    """H1: per room and day, the smaller of the two gender counts."""
    total = 0
    for row in v.room_day:
        for people in row:
            a = sum(1 for i in people if v.stay(i).gender == "A")
            total += min(a, len(people) - a)
    return total


def patient_room_compatibility(inp: Input, plan: Plan) -> int:
    """H2: admitted patients in a room on their incompatible list."""
    return sum(1 for p, r in enumerate(plan.room) if r is not None and plan.admission[p] is not None
               and r in inp.patients[p].incompatible_rooms)


def surgeon_overtime(inp: Input, surgeon_load: list[list[int]]) -> int:
    """H3: minutes above each surgeon's daily maximum."""
    return sum(max(0, surgeon_load[u][d] - inp.surgeon_max_time[u][d])
               for u in range(len(inp.surgeon_ids)) for d in range(inp.days))


def theatre_overtime(inp: Input, theatre_day: list) -> int:
    """H4: minutes above each theatre's daily availability."""
    return sum(max(0, sum(inp.patients[p].duration for p in theatre_day[t][d]) - inp.theatre_availability[t][d])
               for t in range(len(inp.theatre_ids)) for d in range(inp.days))


def mandatory_unscheduled(inp: Input, plan: Plan) -> int:
    """H5: mandatory patients not admitted."""
    return sum(1 for p, pat in enumerate(inp.patients) if pat.mandatory and plan.admission[p] is None)


def admission_day(inp: Input, plan: Plan) -> int:
    """H6: admissions before the release day or after the last possible day."""
    return sum(1 for p, pat in enumerate(inp.patients) if plan.admission[p] is not None
               and not pat.release_day <= plan.admission[p] <= pat.last_day(inp.days))


def room_capacity(inp: Input, v: _View) -> int:
    """H7: people above the beds of a room, per day (occupants included)."""
    return sum(max(0, len(people) - inp.room_capacity[r]) for r, row in enumerate(v.room_day) for people in row)


def nurse_presence(inp: Input, plan: Plan) -> int:
    """H8a: room-shifts whose nurse is not rostered in that shift."""
    return sum(1 for n, _, s in plan.nurse_assignments if s not in inp.nurses[n].max_load)


def uncovered_room(inp: Input, v: _View) -> int:
    """H8b: shifts of occupied rooms with no nurse."""
    spd = inp.shifts_per_day
    return sum(1 for r, row in enumerate(v.room_shift_nurse) for s, n in enumerate(row)
               if n == -1 and v.room_day[r][s // spd])


def room_age_mix(v: _View) -> int:
    """S1: per room and day, the largest difference of age groups among the people in it."""
    total = 0
    for row in v.room_day:
        for people in row:
            if people:
                ages = [v.stay(i).age_group for i in people]
                total += max(ages) - min(ages)
    return total


def room_skill_level(inp: Input, v: _View) -> int:
    """S2: per room and shift, the levels by which the room's nurse falls short of each person's need."""
    spd, total = inp.shifts_per_day, 0
    for r, row in enumerate(v.room_shift_nurse):
        for s, n in enumerate(row):
            if n == -1:
                continue
            level = inp.nurses[n].skill_level
            total += sum(max(0, v.stay(i).skill[v.offset(i, s)] - level) for i in v.room_day[r][s // spd])
    return total


def excessive_workload(inp: Input, v: _View) -> int:
    """S4: per nurse and working shift, care units above her maximum load."""
    spd, total = inp.shifts_per_day, 0
    for n, nurse in enumerate(inp.nurses):
        for s, cap in nurse.max_load.items():
            load = sum(v.stay(i).workload[v.offset(i, s)]
                       for r in v.nurse_shift_rooms.get((n, s), []) for i in v.room_day[r][s // spd])
            total += max(0, load - cap)
    return total


def continuity_of_care(inp: Input, v: _View) -> int:
    """S3: per patient admitted and per occupant, the distinct nurses met during the stay."""
    total = 0
    for i in range(v.P + len(inp.occupants)):
        if i < v.P and v.admission[i] is None:
            continue
        total += len({n for n in v.stay_nurses(i) if n != -1})
    return total


def open_theatres(inp: Input, theatre_day: list) -> int:
    """S5: theatre-days with at least one surgery."""
    return sum(1 for row in theatre_day for patients in row if patients)


def surgeon_transfer(surgeon_theatres: list) -> int:
    """S6: per surgeon and day, theatres used beyond the first."""
    return sum(max(0, len(ts) - 1) for row in surgeon_theatres for ts in row)


def patient_delay(inp: Input, plan: Plan) -> int:
    """S7: days between release and admission, summed over admitted patients."""
    return sum(max(0, d - inp.patients[p].release_day) for p, d in enumerate(plan.admission) if d is not None)


def unscheduled_optional(inp: Input, plan: Plan) -> int:
    """S8: optional patients not admitted."""
    return sum(1 for p, pat in enumerate(inp.patients) if not pat.mandatory and plan.admission[p] is None)


def evaluate(inp: Input, plan: Plan) -> Breakdown:
    """Every official violation counter and cost term of ``plan``."""
    v = _View(inp, plan)
    theatre_day, surgeon_load, surgeon_theatres = _surgery_tables(inp, plan)
    violations = dict(zip(VIOLATION_TERMS, (
        room_gender_mix(v), patient_room_compatibility(inp, plan), surgeon_overtime(inp, surgeon_load),
        theatre_overtime(inp, theatre_day), mandatory_unscheduled(inp, plan), admission_day(inp, plan),
        room_capacity(inp, v), nurse_presence(inp, plan), uncovered_room(inp, v),
    ), strict=True))
    costs = dict(zip((t for t, _ in COST_TERMS), (
        room_age_mix(v), room_skill_level(inp, v), continuity_of_care(inp, v), excessive_workload(inp, v),
        open_theatres(inp, theatre_day), surgeon_transfer(surgeon_theatres), patient_delay(inp, plan),
        unscheduled_optional(inp, plan),
    ), strict=True))
    return Breakdown(violations, costs, {t: inp.weights[k] for t, k in COST_TERMS})


def validate(inp: Input, plan: Plan, settings: Settings | None = None) -> Validation:
    """The contract's verdict: one message per non-zero hard counter and the official total cost."""
    b = evaluate(inp, plan)
    return Validation(
        violations=[f"{name}: {count}" for name, count in b.violations.items() if count],
        objective=float(b.total_cost),
    )
