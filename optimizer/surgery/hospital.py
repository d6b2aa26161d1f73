"""One hospital's surgical scheduling instance from a dataset (``optimizer.data.dataset.Dataset``).

What comes from the data and what is assumed (rules as data, below):

* waiting patients: the hospital's encounters with a surgical procedure in the last ``LOOKBACK_DAYS`` of the
  records; those dated inside the final ``days`` days are released on that day of the horizon, older ones are
  already waiting (release day 0). Urgent ones (diagnosis category in ``URGENT_CATEGORIES`` or an ICD-10 code in
  ``URGENT_ICD10``) are mandatory with a due day ``URGENT_DUE_DAYS`` after release (when a surgeon of the
  specialty, theatre time and beds are free in that window; else they are scheduled as optional, noted);
  the rest are optional (elective). The records are a sample, so the list is drawn from them (with
  replacement, seeded) up to what they stand for, at most ``max_patients``: urgent first, then the longest
  waiting. Patients are pseudonymised (``p000``...): no CURP leaves the records;
* surgery minutes: ``or_hours`` of the procedure catalogue (``data/reference/procedures.csv``);
* length of stay: by the procedure's specialty (``LOS_DAYS``, an assumption: the catalogue has no stay);
* surgeons: specialists of the procedure's specialty in post at the hospital plus the recruits a deployment
  plan sends there; each works 5 days in 7 (rotating, so specialties with two or more surgeons cover every day),
  ``OPERATING_SHARE`` of the daily hours of ``weekly_hours`` at the table;
* theatres: the facility's ``operating_rooms``, ``THEATRE_MINUTES`` a day each (1,440 for rooms the capacity
  model runs 24/7 when the caller passes them);
* rooms: ``SURGICAL_BED_SHARE`` of the facility's beds in rooms of ``BEDS_PER_ROOM`` (two rooms at least); the
  ward starts empty;
* nurses: the surgical nurses in post, each on one shift type 5 days in 7 (rotating), ``NURSE_MAX_LOAD`` care
  units per shift, skill levels 1-2 alternating (the data has no grade); a shift nobody covers gets a
  "cobertura" nurse, named in the notes;
* workload and skill needed per shift: ``CARE_PROFILE`` by day of stay (surgery day heaviest).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from optimizer.data import reference
from optimizer.data.dataset import Dataset
from optimizer.surgery.model import Input, Nurse, Patient

LOOKBACK_DAYS = 56
URGENT_CATEGORIES = frozenset({"trauma", "obstetric"})
URGENT_ICD10 = frozenset({"K35.8", "K35.2", "K35.3"})
URGENT_DUE_DAYS = 2
LOS_DAYS = {"general_surgery": 3, "gyn_obstetrics": 2, "orthopaedics": 4, "paediatric_surgery": 2}
OPERATING_SHARE = 0.7
THEATRE_MINUTES = 720
SURGICAL_BED_SHARE = 0.35
BEDS_PER_ROOM = 2
NURSE_MAX_LOAD = 12
#: (workload, skill) per shift (early, late, night) on the surgery day, the next day, and later days.
CARE_PROFILE = (((3, 3, 2), (2, 2, 1)), ((2, 2, 1), (1, 1, 1)), ((1, 1, 1), (0, 0, 0)))
SHIFT_TYPES = ("early", "late", "night")
AGE_GROUPS = ("0-14", "15-44", "45-64", "65+")
AGE_LIMITS = (15, 45, 65)
#: Objective weights (per unit): delay a day costs as much as 1 care unit over a nurse's load; postponing an
#: elective patient 10 days of delay; an open theatre-day 2 days of delay.
WEIGHTS = {"room_mixed_age": 5, "room_nurse_skill": 10, "continuity_of_care": 1, "nurse_eccessive_workload": 10,
           "open_operating_theater": 20, "surgeon_transfer": 5, "patient_delay": 10, "unscheduled_optional": 100}


@dataclass
class HospitalInstance:
    """The instance of one hospital and what was assumed or left out building it."""

    clues: str
    name: str
    input: Input
    notes: list[str]
    dropped_urgent: int  # urgent patients with no surgeon of their specialty (referred elsewhere)


def _age_group(age: int) -> int:
    return sum(age >= a for a in AGE_LIMITS)


def _care(los: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    work: list[int] = []
    skill: list[int] = []
    for d in range(los):
        w, s = CARE_PROFILE[min(d, len(CARE_PROFILE) - 1)]
        work += w
        skill += s
    return tuple(work), tuple(skill)


def _waiting(ds: Dataset, clues: str, days: int, max_patients: int, seed: int) -> pd.DataFrame:
    """The hospital's recent surgical encounters with release day and urgency, urgent and oldest first.

    Records are a sample (each stands for ``expansion_factor`` real encounters, ``records/_meta.json``), so the
    list is drawn from them with replacement up to ``round(records x expansion_factor)``, at most
    ``max_patients``."""
    enc = pd.read_parquet(ds.records_dir / "encounters", columns=["clues", "date", "age", "sex", "icd10",
                                                                  "procedure"],
                          filters=[("clues", "==", clues)])
    enc = enc[enc["procedure"].notna()].copy()
    if enc.empty:
        return enc
    enc["date"] = pd.to_datetime(enc["date"])
    end = enc["date"].max()
    enc = enc[enc["date"] > end - pd.Timedelta(days=LOOKBACK_DAYS)]
    start = end - pd.Timedelta(days=days - 1)
    enc["release"] = (enc["date"] - start).dt.days.clip(lower=0)
    diag = reference.diagnoses().set_index("code")["category"]
    enc["urgent"] = enc["icd10"].map(diag).isin(URGENT_CATEGORIES) | enc["icd10"].isin(URGENT_ICD10)
    expansion = float(ds.records_meta.get("expansion_factor", 1.0))
    target = min(max_patients, round(len(enc) * expansion))
    if target > len(enc):
        enc = enc.sample(n=target, replace=True, random_state=seed)
    return enc.sort_values(["urgent", "date"], ascending=[False, True]).head(max_patients)


def _surgeons(ds: Dataset, clues: str, assigned: Iterable[tuple[str, str]], days: int) -> dict[str, list]:
    """Specialty -> [(id, minutes per day)] of the surgeons at the hospital."""
    staff = ds.specialists
    extra = {sid for sid, hosp in assigned if hosp == clues}
    mine = staff[((staff["status"] == "in_post") & (staff["facility_clues"] == clues))
                 | staff["specialist_id"].isin(extra)]
    out: dict[str, list] = {}
    for spec in LOS_DAYS:
        rows = mine[mine["specialty"] == spec].sort_values("specialist_id")
        for k, r in enumerate(rows.itertuples()):
            daily = int(r.weekly_hours * 60 / 5 * OPERATING_SHARE)
            out.setdefault(spec, []).append(
                (str(r.specialist_id), tuple(0 if (d + k) % 7 >= 5 else daily for d in range(days))))
    return out


def _nurses(ds: Dataset, clues: str, days: int, notes: list[str]) -> list[Nurse]:
    staff = ds.specialists
    mine = staff[(staff["status"] == "in_post") & (staff["facility_clues"] == clues)
                 & (staff["specialty"] == "surgical_nursing")].sort_values("specialist_id")
    nurses = []
    for k, r in enumerate(mine.itertuples()):
        shift_type = k % 3
        loads = {d * 3 + shift_type: NURSE_MAX_LOAD for d in range(days) if (d + k // 3) % 7 < 5}
        nurses.append(Nurse(str(r.specialist_id), 1 + k % 2, loads))
    covered = {s for n in nurses for s in n.max_load}
    missing = [s for s in range(days * 3) if s not in covered]
    if missing:
        nurses.append(Nurse("cobertura", 1, dict.fromkeys(missing, NURSE_MAX_LOAD)))
        notes.append(f"{len(missing)} turnos sin enfermera de quirófano en plantilla: cubiertos por 'cobertura'")
    return nurses


def _patients(waiting: pd.DataFrame, procs: pd.DataFrame, surgeons: dict[str, list], surgeon_ids: list[str],
              theatre_minutes: list[int], rooms: int, days: int) -> tuple[list[Patient], int, int]:
    """Patients with their surgeon. An urgent patient gets a surgeon and a day of the due window with minutes
    left (surgeon's and all theatres' together) and a bed for the stay (rooms of ``BEDS_PER_ROOM`` beds,
    one gender per room), booked in list order, so the urgent set is schedulable; one that fits nowhere
    becomes optional (counted in ``late``). Electives go to the least booked surgeon."""
    booked: dict[tuple[str, int], int] = {}
    theatre_left = list(theatre_minutes)
    present = [[0, 0] for _ in range(days)]  # [women, men] per day

    def bed_free(d: int, woman: bool) -> bool:
        f, m = present[d][0] + woman, present[d][1] + (not woman)
        return -(-f // BEDS_PER_ROOM) - (-m // BEDS_PER_ROOM) <= rooms
    count: dict[str, int] = {}
    patients, dropped, late = [], 0, 0
    for row in waiting.itertuples():
        proc = procs.loc[row.procedure]
        spec = str(proc["specialty"])
        if spec not in surgeons:
            dropped += int(row.urgent)
            continue
        minutes = int(round(float(proc["or_hours"]) * 60))
        release = int(row.release)
        urgent = bool(row.urgent)
        due = min(days - 1, release + URGENT_DUE_DAYS)
        slot = None
        los = LOS_DAYS[spec]
        if urgent:
            slot = next(((sid, d) for d in range(release, due + 1) for sid, daily in surgeons[spec]
                         if daily[d] - booked.get((sid, d), 0) >= minutes and theatre_left[d] >= minutes
                         and all(bed_free(k, row.sex == "F") for k in range(d, min(days, d + los)))), None)
            late += slot is None
        if slot is not None:
            sid = slot[0]
            booked[slot] = booked.get(slot, 0) + minutes
            theatre_left[slot[1]] -= minutes
            for d in range(slot[1], min(days, slot[1] + los)):
                present[d][0 if row.sex == "F" else 1] += 1
        else:
            urgent = False
            sid = min(surgeons[spec], key=lambda s: count.get(s[0], 0))[0]
        count[sid] = count.get(sid, 0) + 1
        work, skill = _care(los)
        patients.append(Patient(
            id=f"p{len(patients):03d}", gender="A" if row.sex == "F" else "B", age_group=_age_group(int(row.age)),
            length_of_stay=los, workload=work, skill=skill, mandatory=urgent, release_day=release,
            due_day=due if urgent else None, duration=minutes, surgeon=surgeon_ids.index(sid)))
    return patients, dropped, late


def from_dataset(ds: Dataset, clues: str, weeks: int = 2, assigned: Iterable[tuple[str, str]] = (),
                 max_patients: int = 80, rooms_24_7: int = 0, seed: int = 0) -> HospitalInstance:
    """The surgical scheduling instance of hospital ``clues`` over ``weeks`` weeks (see the module notes)."""
    fac = ds.facilities[ds.facilities["clues"] == clues]
    if fac.empty:
        raise ValueError(f"facilities.csv: no facility with clues {clues!r}")
    f = fac.iloc[0]
    if f["kind"] != "hospital" or int(f["operating_rooms"]) < 1:
        raise ValueError(f"facilities.csv: {clues} ({f['name']}) is not a hospital with operating rooms")
    days, notes = 7 * weeks, []
    procs = reference.procedures().set_index("code")
    surgeons = _surgeons(ds, clues, assigned, days)
    surgeon_ids = [sid for spec in surgeons for sid, _ in surgeons[spec]]
    waiting = _waiting(ds, clues, days, max_patients, seed)
    theatres = int(f["operating_rooms"])
    theatre_minutes = [sum(1440 if t < rooms_24_7 else THEATRE_MINUTES for t in range(theatres))] * days
    rooms = max(2, round(SURGICAL_BED_SHARE * int(f["beds"]) / BEDS_PER_ROOM))
    patients, dropped, late = _patients(waiting, procs, surgeons, surgeon_ids, theatre_minutes, rooms, days)
    if dropped:
        notes.append(f"{dropped} pacientes urgentes sin cirujano de su especialidad: referidos")
    if late:
        notes.append(f"{late} pacientes urgentes sin cirujano o quirófano libre antes de su fecha límite: "
                     "se programan como electivos prioritarios")
    capacity = [BEDS_PER_ROOM] * rooms
    inp = Input(
        days=days, skill_levels=3, shift_types=SHIFT_TYPES, age_groups=AGE_GROUPS, weights=dict(WEIGHTS),
        occupants=(), patients=tuple(patients),
        surgeon_ids=tuple(surgeon_ids), surgeon_max_time=tuple(t for spec in surgeons for _, t in surgeons[spec]),
        theatre_ids=tuple(f"q{t + 1}" for t in range(theatres)),
        theatre_availability=tuple((1440 if t < rooms_24_7 else THEATRE_MINUTES,) * days for t in range(theatres)),
        room_ids=tuple(f"c{r + 1:02d}" for r in range(len(capacity))), room_capacity=tuple(capacity),
        nurses=tuple(_nurses(ds, clues, days, notes)), name=clues,
    )
    return HospitalInstance(clues, str(f["name"]), inp, notes, dropped)
