"""Reader and writer of the official IHTC-2024 JSON files (instance in, solution out).

The solution written here is what ``IHTP_Validator.cc`` reads: every patient with ``admission_day`` (or
``"none"``), ``room`` and ``operating_theater``; every nurse with her working shifts and the rooms she covers.
A malformed instance raises :class:`InstanceError` naming the file and the field (``patients[3].surgeon_id``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optimizer.surgery.model import COST_TERMS, Input, Nurse, Occupant, Patient, Plan


class InstanceError(ValueError):
    """An instance or solution file that cannot be read; the message names the file and the field."""


class _Reader:
    """Typed field access that reports ``file: path.to.field: problem``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> InstanceError:
        return InstanceError(f"{self.source}: {where}: {problem}")

    def get(self, obj: Any, key: str, where: str) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        if key not in obj:
            raise self.fail(f"{where}.{key}" if where else key, "missing field")
        return obj[key]

    def int_(self, obj: Any, key: str, where: str, minimum: int | None = 0) -> int:
        value = self.get(obj, key, where)
        path = f"{where}.{key}" if where else key
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(path, f"must be >= {minimum}, got {value}")
        return value

    def list_(self, obj: Any, key: str, where: str) -> list[Any]:
        value = self.get(obj, key, where)
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}" if where else key, "expected a list")
        return value

    def str_(self, obj: Any, key: str, where: str) -> str:
        value = self.get(obj, key, where)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}" if where else key, f"expected a string, got {value!r}")
        return value

    def ints(self, obj: Any, key: str, where: str, length: int) -> tuple[int, ...]:
        values = self.list_(obj, key, where)
        path = f"{where}.{key}"
        if len(values) < length:
            raise self.fail(path, f"expected {length} values, got {len(values)}")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values[:length]):
            raise self.fail(path, "expected non-negative integers")
        return tuple(values[:length])

    def lookup(self, index: dict[str, int], value: Any, where: str, what: str) -> int:
        if value not in index:
            raise self.fail(where, f"unknown {what} {value!r}")
        return index[value]


def _load(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InstanceError(f"{path}: file not found") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(f"{path}: not valid JSON ({exc})") from exc


def read_instance(path: Path | str) -> Input:
    """Read an official instance file."""
    path = Path(path)
    return parse_instance(_load(path), source=str(path), name=path.stem)


def _stay_vectors(rd: _Reader, obj: Any, where: str, spd: int, skill_levels: int) -> tuple[int, tuple, tuple]:
    los = rd.int_(obj, "length_of_stay", where, minimum=1)
    workload = rd.ints(obj, "workload_produced", where, los * spd)
    skill = rd.ints(obj, "skill_level_required", where, los * spd)
    if any(k >= skill_levels for k in skill):
        raise rd.fail(f"{where}.skill_level_required", f"levels must be < skill_levels={skill_levels}")
    return los, workload, skill


def _gender(rd: _Reader, obj: Any, where: str) -> str:
    gender = rd.str_(obj, "gender", where)
    if gender not in ("A", "B"):
        raise rd.fail(f"{where}.gender", f"expected 'A' or 'B', got {gender!r}")
    return gender


def _occupant(rd: _Reader, obj: Any, i: int, ctx: dict[str, Any]) -> Occupant:
    where = f"occupants[{i}]"
    los, workload, skill = _stay_vectors(rd, obj, where, ctx["spd"], ctx["skill_levels"])
    return Occupant(
        id=rd.str_(obj, "id", where),
        gender=_gender(rd, obj, where),
        age_group=rd.lookup(ctx["ages"], rd.get(obj, "age_group", where), f"{where}.age_group", "age group"),
        length_of_stay=los,
        workload=workload,
        skill=skill,
        room=rd.lookup(ctx["rooms"], rd.get(obj, "room_id", where), f"{where}.room_id", "room"),
    )


def _patient(rd: _Reader, obj: Any, i: int, ctx: dict[str, Any]) -> Patient:
    where = f"patients[{i}]"
    los, workload, skill = _stay_vectors(rd, obj, where, ctx["spd"], ctx["skill_levels"])
    mandatory = rd.get(obj, "mandatory", where)
    if not isinstance(mandatory, bool):
        raise rd.fail(f"{where}.mandatory", f"expected true or false, got {mandatory!r}")
    release = rd.int_(obj, "surgery_release_day", where)
    due = rd.int_(obj, "surgery_due_day", where) if mandatory else None
    if release >= ctx["days"] or (due is not None and not release <= due < ctx["days"]):
        raise rd.fail(where, f"release day {release} / due day {due} outside the {ctx['days']}-day horizon")
    incompatible = obj.get("incompatible_room_ids") or []
    if not isinstance(incompatible, list):
        raise rd.fail(f"{where}.incompatible_room_ids", "expected a list")
    return Patient(
        id=rd.str_(obj, "id", where),
        gender=_gender(rd, obj, where),
        age_group=rd.lookup(ctx["ages"], rd.get(obj, "age_group", where), f"{where}.age_group", "age group"),
        length_of_stay=los,
        workload=workload,
        skill=skill,
        mandatory=mandatory,
        release_day=release,
        due_day=due,
        duration=rd.int_(obj, "surgery_duration", where, minimum=1),
        surgeon=rd.lookup(ctx["surgeons"], rd.get(obj, "surgeon_id", where), f"{where}.surgeon_id", "surgeon"),
        incompatible_rooms=frozenset(
            rd.lookup(ctx["rooms"], r, f"{where}.incompatible_room_ids", "room") for r in incompatible
        ),
    )


def _nurse(rd: _Reader, obj: Any, i: int, ctx: dict[str, Any]) -> Nurse:
    where = f"nurses[{i}]"
    level = rd.int_(obj, "skill_level", where)
    loads: dict[int, int] = {}
    for k, ws in enumerate(rd.list_(obj, "working_shifts", where)):
        w = f"{where}.working_shifts[{k}]"
        day = rd.int_(ws, "day", w)
        if day >= ctx["days"]:
            raise rd.fail(f"{w}.day", f"day {day} outside the {ctx['days']}-day horizon")
        shift = rd.lookup(ctx["shifts"], rd.get(ws, "shift", w), f"{w}.shift", "shift type")
        loads[day * ctx["spd"] + shift] = rd.int_(ws, "max_load", w)
    return Nurse(id=rd.str_(obj, "id", where), skill_level=level, max_load=loads)


def _ids(rd: _Reader, items: list[Any], key: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    for i, item in enumerate(items):
        ident = rd.str_(item, "id", f"{key}[{i}]")
        if ident in ids:
            raise rd.fail(f"{key}[{i}].id", f"duplicate id {ident!r}")
        ids[ident] = i
    return ids


def parse_instance(data: Any, source: str = "instance", name: str = "instance") -> Input:
    """Build an :class:`Input` from the parsed JSON of an instance file, checking every field."""
    rd = _Reader(source)
    days = rd.int_(data, "days", "", minimum=1)
    shift_types = tuple(rd.list_(data, "shift_types", ""))
    age_groups = tuple(rd.list_(data, "age_groups", ""))
    weights_obj = rd.get(data, "weights", "")
    weights = {key: rd.int_(weights_obj, key, "weights") for _, key in COST_TERMS}
    surgeons = rd.list_(data, "surgeons", "")
    theatres = rd.list_(data, "operating_theaters", "")
    rooms = rd.list_(data, "rooms", "")
    ctx: dict[str, Any] = {
        "days": days,
        "spd": len(shift_types),
        "skill_levels": rd.int_(data, "skill_levels", "", minimum=1),
        "ages": {a: i for i, a in enumerate(age_groups)},
        "shifts": {s: i for i, s in enumerate(shift_types)},
        "rooms": _ids(rd, rooms, "rooms"),
        "surgeons": _ids(rd, surgeons, "surgeons"),
    }
    _ids(rd, theatres, "operating_theaters")
    patients = rd.list_(data, "patients", "")
    occupants = rd.list_(data, "occupants", "")
    nurses = rd.list_(data, "nurses", "")
    for key, items in (("patients", patients), ("occupants", occupants), ("nurses", nurses)):
        _ids(rd, items, key)
    return Input(
        days=days,
        skill_levels=ctx["skill_levels"],
        shift_types=shift_types,
        age_groups=age_groups,
        weights=weights,
        occupants=tuple(_occupant(rd, o, i, ctx) for i, o in enumerate(occupants)),
        patients=tuple(_patient(rd, p, i, ctx) for i, p in enumerate(patients)),
        surgeon_ids=tuple(s["id"] for s in surgeons),
        surgeon_max_time=tuple(rd.ints(s, "max_surgery_time", f"surgeons[{i}]", days) for i, s in enumerate(surgeons)),
        theatre_ids=tuple(t["id"] for t in theatres),
        theatre_availability=tuple(
            rd.ints(t, "availability", f"operating_theaters[{i}]", days) for i, t in enumerate(theatres)
        ),
        room_ids=tuple(r["id"] for r in rooms),
        room_capacity=tuple(rd.int_(r, "capacity", f"rooms[{i}]", minimum=1) for i, r in enumerate(rooms)),
        nurses=tuple(_nurse(rd, n, i, ctx) for i, n in enumerate(nurses)),
        name=name,
    )


def read_solution(inp: Input, path: Path | str) -> Plan:
    """Read an official solution file into a :class:`Plan` (ids resolved against ``inp``)."""
    path = Path(path)
    return parse_solution(inp, _load(path), source=str(path))


def parse_solution(inp: Input, data: Any, source: str = "solution") -> Plan:
    """Build a :class:`Plan` from the parsed JSON of a solution file, as the official validator reads it."""
    rd = _Reader(source)
    patients = {p.id: i for i, p in enumerate(inp.patients)}
    rooms = {r: i for i, r in enumerate(inp.room_ids)}
    theatres = {t: i for i, t in enumerate(inp.theatre_ids)}
    nurses = {n.id: i for i, n in enumerate(inp.nurses)}
    shifts = {s: i for i, s in enumerate(inp.shift_types)}
    plan = Plan.empty(inp)
    for i, obj in enumerate(rd.list_(data, "patients", "")):
        where = f"patients[{i}]"
        if rd.get(obj, "admission_day", where) == "none":
            continue
        p = rd.lookup(patients, rd.get(obj, "id", where), f"{where}.id", "patient")
        if plan.admission[p] is not None:
            raise rd.fail(f"{where}.id", f"patient {inp.patients[p].id} assigned twice")
        day = rd.int_(obj, "admission_day", where)
        if day >= inp.days:
            raise rd.fail(f"{where}.admission_day", f"day {day} outside the {inp.days}-day horizon")
        plan.admission[p] = day
        plan.room[p] = rd.lookup(rooms, rd.get(obj, "room", where), f"{where}.room", "room")
        plan.theatre[p] = rd.lookup(
            theatres, rd.get(obj, "operating_theater", where), f"{where}.operating_theater", "theatre"
        )
    for i, obj in enumerate(rd.list_(data, "nurses", "")):
        where = f"nurses[{i}]"
        n = rd.lookup(nurses, rd.get(obj, "id", where), f"{where}.id", "nurse")
        for k, a in enumerate(rd.list_(obj, "assignments", where)):
            w = f"{where}.assignments[{k}]"
            shift = rd.int_(a, "day", w) * inp.shifts_per_day + rd.lookup(
                shifts, rd.get(a, "shift", w), f"{w}.shift", "shift type"
            )
            for room in rd.list_(a, "rooms", w):
                plan.nurse_assignments.append((n, rd.lookup(rooms, room, f"{w}.rooms", "room"), shift))
    return plan


def solution_json(inp: Input, plan: Plan) -> dict[str, Any]:
    """The official solution document: every patient, every nurse with each working shift and its rooms."""
    patients = []
    for p, pat in enumerate(inp.patients):
        day = plan.admission[p]
        if day is None:
            patients.append({"id": pat.id, "admission_day": "none"})
        else:
            patients.append(
                {
                    "id": pat.id,
                    "admission_day": day,
                    "room": inp.room_ids[plan.room[p]],
                    "operating_theater": inp.theatre_ids[plan.theatre[p]],
                }
            )
    rooms_of: dict[tuple[int, int], list[str]] = {}
    for n, r, s in plan.nurse_assignments:
        rooms_of.setdefault((n, s), []).append(inp.room_ids[r])
    spd = inp.shifts_per_day
    nurses = []
    for n, nurse in enumerate(inp.nurses):
        shifts = sorted(set(nurse.max_load) | {s for (m, s) in rooms_of if m == n})
        nurses.append(
            {
                "id": nurse.id,
                "assignments": [
                    {"day": s // spd, "shift": inp.shift_types[s % spd], "rooms": rooms_of.get((n, s), [])}
                    for s in shifts
                ],
            }
        )
    return {"patients": patients, "nurses": nurses}


def write_solution(inp: Input, plan: Plan, path: Path | str) -> Path:
    """Write the official solution file (UTF-8 JSON, 2-space indent) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(solution_json(inp, plan), indent=2) + "\n", encoding="utf-8")
    return path
