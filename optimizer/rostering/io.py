"""Read and write the Curtois & Qu shift-scheduling benchmark text format.

Format (see ``../shared/benchmarks/rostering/README.md``): comma-separated records, ``#`` comments, sections
``SECTION_HORIZON``, ``SECTION_SHIFTS``, ``SECTION_STAFF``, ``SECTION_DAYS_OFF``,
``SECTION_SHIFT_ON_REQUESTS``, ``SECTION_SHIFT_OFF_REQUESTS``, ``SECTION_COVER``. Every parse error names the
file, the line number and the field, so a planner who edits an instance by hand can fix it.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.rostering.instance import CoverLine, RosterInstance, ShiftRequest, ShiftType, Staff

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


class InstanceFormatError(ValueError):
    """A benchmark file that does not follow the format; the message names file, line and field."""


def _int(text: str, where: str, field_name: str, minimum: int = 0) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InstanceFormatError(f"{where}: field {field_name!r} must be an integer, got {text!r}") from None
    if value < minimum:
        raise InstanceFormatError(f"{where}: field {field_name!r} must be >= {minimum}, got {value}")
    return value


def parse_instance(path: str | Path) -> RosterInstance:
    """Parse a Curtois & Qu ``InstanceN.txt`` file into a ``RosterInstance``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstanceFormatError(f"{path}: cannot read the file ({exc.strerror})") from None
    return parse_text(text, source=str(path), name=path.stem)


Records = dict[str, list[tuple[int, list[str]]]]


def parse_text(text: str, source: str = "<text>", name: str = "") -> RosterInstance:
    """Parse the text of a benchmark instance (``source`` is used in error messages). Sections are read in
    the order their fields refer to each other: horizon, shifts, staff, then days off, requests and cover."""
    records = _records(text, source)
    horizon = _horizon(records, source)
    shifts = _shifts(records, source)
    staff = _staff(records, source, {s.id for s in shifts})
    refs = _Refs(source, horizon, {s.id for s in shifts}, {e.id for e in staff})
    return RosterInstance(
        horizon=horizon, shifts=shifts, staff=staff, days_off=_days_off(records, refs),
        requests=_requests(records, refs), cover=_cover(records, refs), name=name,
    )


def _records(text: str, source: str) -> Records:
    """The comma-split fields of every data line, with its line number, per section."""
    records: Records = {s: [] for s in SECTIONS}
    section: str | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in records:
                raise InstanceFormatError(f"{source}, line {lineno}: unknown section {line!r}")
            section = line
            continue
        if section is None:
            raise InstanceFormatError(f"{source}, line {lineno}: data before the first SECTION_ line")
        records[section].append((lineno, [f.strip() for f in line.split(",")]))
    return records


def _where(source: str, lineno: int) -> str:
    return f"{source}, line {lineno}"


def _horizon(records: Records, source: str) -> int:
    """SECTION_HORIZON: one integer, the number of days (>= 1)."""
    if len(records["SECTION_HORIZON"]) != 1:
        raise InstanceFormatError(f"{source}: SECTION_HORIZON must hold exactly one integer (days)")
    h_line, h_fields = records["SECTION_HORIZON"][0]
    return _int(h_fields[0], _where(source, h_line), "horizon", minimum=1)


def _shifts(records: Records, source: str) -> list[ShiftType]:
    """SECTION_SHIFTS: ShiftID, Length (minutes), Forbidden next shifts (``|``-separated known ids)."""
    shifts: list[ShiftType] = []
    for lineno, f in records["SECTION_SHIFTS"]:
        w = _where(source, lineno)
        if len(f) != 3:
            raise InstanceFormatError(f"{w}: a shift line needs 3 fields (ShiftID, Length, Forbidden)")
        forbidden = frozenset(x.strip() for x in f[2].split("|") if x.strip())
        shifts.append(ShiftType(id=f[0], length=_int(f[1], w, "Length", 1), forbidden_next=forbidden))
    shift_ids = {s.id for s in shifts}
    if not shifts:
        raise InstanceFormatError(f"{source}: SECTION_SHIFTS is empty")
    for s in shifts:
        unknown = s.forbidden_next - shift_ids
        if unknown:
            raise InstanceFormatError(f"{source}: shift {s.id!r} forbids unknown shift ids {sorted(unknown)}")
    return shifts


def _staff(records: Records, source: str, shift_ids: set[str]) -> list[Staff]:
    """SECTION_STAFF: one line of 8 fields per person; ids are unique."""
    staff = [_staff_line(f, _where(source, lineno), shift_ids) for lineno, f in records["SECTION_STAFF"]]
    if len({e.id for e in staff}) != len(staff):
        raise InstanceFormatError(f"{source}: SECTION_STAFF repeats a staff id")
    return staff


def _staff_line(f: list[str], w: str, shift_ids: set[str]) -> Staff:
    """ID, MaxShifts (``shift=count|...``), Max/MinTotalMinutes, Max/MinConsecutiveShifts,
    MinConsecutiveDaysOff, MaxWeekends."""
    if len(f) != 8:
        raise InstanceFormatError(f"{w}: a staff line needs 8 fields, got {len(f)}")
    max_shifts: dict[str, int] = {}
    for pair in (p for p in f[1].split("|") if p.strip()):
        if "=" not in pair:
            raise InstanceFormatError(f"{w}: field 'MaxShifts' entry {pair!r} is not shift=count")
        sid, count = (x.strip() for x in pair.split("=", 1))
        if sid not in shift_ids:
            raise InstanceFormatError(f"{w}: field 'MaxShifts' names unknown shift {sid!r}")
        max_shifts[sid] = _int(count, w, f"MaxShifts[{sid}]")
    return Staff(
        id=f[0],
        max_shifts=max_shifts,
        max_total_minutes=_int(f[2], w, "MaxTotalMinutes"),
        min_total_minutes=_int(f[3], w, "MinTotalMinutes"),
        max_consecutive_shifts=_int(f[4], w, "MaxConsecutiveShifts", 1),
        min_consecutive_shifts=_int(f[5], w, "MinConsecutiveShifts", 1),
        min_consecutive_days_off=_int(f[6], w, "MinConsecutiveDaysOff", 1),
        max_weekends=_int(f[7], w, "MaxWeekends"),
    )


class _Refs:
    """Checks of the fields that refer to the horizon, SECTION_SHIFTS and SECTION_STAFF."""

    def __init__(self, source: str, horizon: int, shift_ids: set[str], staff_ids: set[str]) -> None:
        self.source, self.horizon, self.shift_ids, self.staff_ids = source, horizon, shift_ids, staff_ids

    def where(self, lineno: int) -> str:
        return _where(self.source, lineno)

    def staff(self, eid: str, lineno: int) -> str:
        if eid not in self.staff_ids:
            raise InstanceFormatError(f"{self.where(lineno)}: field 'EmployeeID' {eid!r} is not in SECTION_STAFF")
        return eid

    def day(self, text_day: str, lineno: int, field_name: str = "Day") -> int:
        day = _int(text_day, self.where(lineno), field_name)
        if day >= self.horizon:
            raise InstanceFormatError(f"{self.where(lineno)}: field {field_name!r} = {day} is past the horizon")
        return day

    def shift(self, sid: str, lineno: int) -> str:
        if sid not in self.shift_ids:
            raise InstanceFormatError(f"{self.where(lineno)}: field 'ShiftID' {sid!r} is not in SECTION_SHIFTS")
        return sid


def _days_off(records: Records, refs: _Refs) -> dict[str, set[int]]:
    """SECTION_DAYS_OFF: EmployeeID followed by the days (0-based) the person cannot work."""
    days_off: dict[str, set[int]] = {}
    for lineno, f in records["SECTION_DAYS_OFF"]:
        eid = refs.staff(f[0], lineno)
        days_off.setdefault(eid, set()).update(refs.day(d, lineno) for d in f[1:] if d)
    return days_off


def _requests(records: Records, refs: _Refs) -> list[ShiftRequest]:
    """SECTION_SHIFT_ON_REQUESTS then SECTION_SHIFT_OFF_REQUESTS: EmployeeID, Day, ShiftID, Weight."""
    requests: list[ShiftRequest] = []
    for sec, on in (("SECTION_SHIFT_ON_REQUESTS", True), ("SECTION_SHIFT_OFF_REQUESTS", False)):
        for lineno, f in records[sec]:
            if len(f) != 4:
                raise InstanceFormatError(
                    f"{refs.where(lineno)}: a request line needs 4 fields (EmployeeID, Day, ShiftID, Weight)"
                )
            requests.append(
                ShiftRequest(
                    staff=refs.staff(f[0], lineno),
                    day=refs.day(f[1], lineno),
                    shift=refs.shift(f[2], lineno),
                    weight=_int(f[3], refs.where(lineno), "Weight"),
                    on=on,
                )
            )
    return requests


def _cover(records: Records, refs: _Refs) -> list[CoverLine]:
    """SECTION_COVER: Day, ShiftID, Requirement, WeightUnder, WeightOver."""
    cover: list[CoverLine] = []
    for lineno, f in records["SECTION_COVER"]:
        w = refs.where(lineno)
        if len(f) != 5:
            raise InstanceFormatError(f"{w}: a cover line needs 5 fields (Day, Shift, Req, WUnder, WOver)")
        cover.append(
            CoverLine(
                day=refs.day(f[0], lineno),
                slot=refs.shift(f[1], lineno),
                requirement=_int(f[2], w, "Requirement"),
                weight_under=_int(f[3], w, "WeightUnder"),
                weight_over=_int(f[4], w, "WeightOver"),
            )
        )
    return cover


def format_instance(inst: RosterInstance) -> str:
    """The benchmark text of ``inst`` (only the fields the format has: no roles, minimums or fairness)."""
    out: list[str] = ["SECTION_HORIZON", str(inst.horizon), "", "SECTION_SHIFTS"]
    for s in inst.shifts:
        forb = "|".join(x for x in inst.shift_ids if x in s.forbidden_next)
        out.append(f"{s.id},{s.length},{forb}")
    out += ["", "SECTION_STAFF"]
    for e in inst.staff:
        ms = "|".join(f"{sid}={e.max_shifts.get(sid, 0)}" for sid in inst.shift_ids)
        out.append(
            f"{e.id},{ms},{e.max_total_minutes},{e.min_total_minutes},{e.max_consecutive_shifts},"
            f"{e.min_consecutive_shifts},{e.min_consecutive_days_off},{e.max_weekends}"
        )
    out += ["", "SECTION_DAYS_OFF"]
    for e in inst.staff:
        days = sorted(inst.days_off.get(e.id, set()))
        if days:
            out.append(",".join([e.id, *map(str, days)]))
    for title, on in (("SECTION_SHIFT_ON_REQUESTS", True), ("SECTION_SHIFT_OFF_REQUESTS", False)):
        out += ["", title]
        out += [f"{r.staff},{r.day},{r.shift},{r.weight}" for r in inst.requests if r.on == on]
    out += ["", "SECTION_COVER"]
    out += [f"{c.day},{c.slot},{c.requirement},{c.weight_under},{c.weight_over}" for c in inst.cover]
    return "\n".join(out) + "\n"


def write_instance(inst: RosterInstance, path: str | Path) -> None:
    """Write ``inst`` in the benchmark text format."""
    Path(path).write_text(format_instance(inst), encoding="utf-8")
