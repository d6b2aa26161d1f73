"""Hospital roster: shifts and rest rules, cover from operating rooms, a dataset hospital through the CLI
(grid, CSV, XLSX), and re-planning after a sick call that keeps the published period."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.i18n import in_lang
from optimizer.rostering.hospital import (
    HospitalInstance,
    HospitalRules,
    StaffMember,
    build_hospital_instance,
    hospital_shifts,
)
from optimizer.rostering.instance import Roster
from optimizer.rostering.model import solve
from optimizer.rostering.replan import changed_cells, replan
from optimizer.rostering.settings import RosterSettings
from optimizer.rostering.validate import check_roster

runner = CliRunner()
FAST = RosterSettings(time_limit_s=8, seed=0)
#: Four anaesthesiologists, one room, no guardias: small enough that CP-SAT proves optimality in about 1 s.
NO_G = HospitalRules(use_guardias=False)


def test_shifts_rest_rule_and_guardia_slots() -> None:
    shifts = {s.id: s for s in hospital_shifts(HospitalRules())}
    assert [(s.id, s.start_minute, s.length) for s in shifts.values()] == [
        ("M", 420, 480), ("E", 900, 420), ("N", 1320, 540), ("G", 420, 1440)]
    assert shifts["M"].forbidden_next == frozenset()
    assert shifts["E"].forbidden_next == {"M", "G"}  # 22:00 -> 07:00 is 9 h < 12 h
    assert shifts["N"].forbidden_next == {"M", "E", "G"}  # ends 07:00 next day
    assert shifts["G"].forbidden_next == {"M", "E", "N", "G"}  # a day off after a 24 h guardia
    assert shifts["G"].slots == ("M", "E", "N")


def team(n_anaes: int, n_nurses: int) -> list[StaffMember]:
    return ([StaffMember(f"A{i:06d}", "anaesthesiology", 40) for i in range(n_anaes)]
            + [StaffMember(f"N{i:06d}", "surgical_nursing", 40) for i in range(n_nurses)]
            + [StaffMember(f"G{i:06d}", "general_surgery", 48) for i in range(3)])


def test_cover_from_operating_rooms_and_notes() -> None:
    hosp = build_hospital_instance(team(6, 5), operating_rooms=1, weeks=1)
    inst = hosp.instance
    need = {(c.role, c.slot): (c.requirement, c.minimum) for c in inst.cover if c.day == 0}
    assert need[("anaesthesiology", "N")] == (1, 1)  # 240 h/week >= 1.25 x 168: hard minimum of one
    assert need[("surgical_nursing", "M")] == (2, 0)  # 200 h/week < 1.25 x 168: soft only
    assert need[("general_surgery", "E")] == (1, 0)  # 144 h/week
    assert any(n.startswith("Surgical nursing: 200 contract h/week for 2 place(s)") for n in hosp.notes)
    assert any(in_lang(n, "es").startswith("Enfermería quirúrgica: 200 h/semana de contrato para 2 plaza(s)")
               for n in hosp.notes)  # the HR workbook's model notes, in the reader's language
    assert hosp.units == {"anaesthesiology": [f"A{i:06d}" for i in range(6)],
                          "surgical_nursing": [f"N{i:06d}" for i in range(5)],
                          "general_surgery": [f"G{i:06d}" for i in range(3)]}
    a = inst.staff[0]
    assert (a.max_total_minutes, a.min_total_minutes, a.max_consecutive_shifts) == (2400, 1800, 6)


def test_hospital_roster_is_feasible_and_fair() -> None:
    hosp = build_hospital_instance(team(6, 5), operating_rooms=1, weeks=1)
    plan = solve(hosp.instance, FAST)
    assert plan.status in ("optimal", "feasible") and plan.violations == []
    report = check_roster(hosp.instance, plan.roster)
    assert report.feasible and report.objective == plan.objective
    assert set(plan.breakdown) >= {"cover_under", "fairness_nights", "fairness_weekends", "fairness_guardias"}
    # the hard minimum holds: an anaesthesiologist on every slot of every day
    for d in range(7):
        for slot in ("M", "E", "N"):
            assert any(slot in hosp.instance.shift(plan.roster[e][d]).slots
                       for e in hosp.units["anaesthesiology"] if plan.roster[e][d])


def anaesthesia(n: int, weeks: int) -> HospitalInstance:
    staff = [StaffMember(f"A{i:06d}", "anaesthesiology", 40) for i in range(n)]
    return build_hospital_instance(staff, operating_rooms=1, weeks=weeks, rules=NO_G)


def test_replan_after_sick_call_keeps_published_week() -> None:
    hosp = anaesthesia(4, 2)
    inst = hosp.instance
    first = solve(inst, FAST)
    assert first.status == "optimal"
    sick = next(e for e in inst.staff_ids if any(first.roster[e][9:12]))
    inst.days_off = {sick: {9, 10, 11}}
    plan = replan(inst, first.roster, published_days=7, change_weight=10, settings=FAST)
    assert plan.status == "optimal" and plan.violations == []
    for e, row in plan.roster.items():  # the published week is unchanged
        assert row[:7] == first.roster[e][:7]
    assert not any(plan.roster[sick][9:12])
    changes = changed_cells(first.roster, plan.roster)
    assert changes and all(d >= 7 for _, d, _, _ in changes)
    assert plan.breakdown["changes"] == 10 * len(changes)
    # the naive repair (blank the sick days) is one candidate; when it keeps every hard rule the optimum of
    # the re-plan cannot be worse than it
    naive = {e: list(r) for e, r in first.roster.items()}
    naive[sick][9:12] = ["", "", ""]
    repair = check_roster(replace(inst, previous=first.roster, pinned_days=7, change_weight=10), naive)
    if repair.feasible:
        assert plan.objective <= repair.objective


def test_replan_with_nothing_changed_changes_nothing() -> None:
    hosp = anaesthesia(4, 1)
    first = solve(hosp.instance, FAST)
    again = replan(hosp.instance, first.roster, published_days=3, change_weight=50, settings=FAST)
    assert first.status == again.status == "optimal"
    # the previous roster is optimal and still feasible, so any change would only add cost
    assert again.objective == first.objective
    assert changed_cells(first.roster, again.roster) == [] and again.breakdown["changes"] == 0


def test_replan_rejects_bad_previous() -> None:
    hosp = build_hospital_instance(team(5, 0), operating_rooms=1, weeks=1)
    bad: Roster = {hosp.instance.staff_ids[0]: ["M"] * 3}
    with pytest.raises(ValueError, match="has 3 days, the horizon has 7"):
        replan(hosp.instance, bad, published_days=2, settings=FAST)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("roster") / "ds"
    generate(out, GeneratorConfig(seed=7, program_hospitals=60, other_hospitals_per_state=1, umfs=60,
                                  pharmacies=30, n_records=10_000, records_chunk=5_000))
    return out


def test_cli_hospital_from_dataset_writes_grid_csv_xlsx(dataset: Path, tmp_path: Path) -> None:
    fac = pd.read_csv(dataset / "facilities.csv", dtype=str)
    staff = pd.read_csv(dataset / "specialists.csv", dtype=str)
    program = fac[(fac["program"] == "True") & (fac["kind"] == "hospital")]["clues"]
    counts = staff[staff["facility_clues"].isin(program)].groupby("facility_clues").size().sort_values()
    clues = counts.index[0]  # the smallest staff list keeps the test fast
    out = tmp_path / "out"
    res = runner.invoke(app, ["roster", "--hospital", clues, "--weeks", "1", "--dataset", str(dataset),
                              "--time-limit", "8", "--out", str(out)], env={"BIENESTAR_LANG": "es"})
    assert res.exit_code == 0, res.output
    assert "desglose del objetivo" in res.output and "MTWTFSS" in res.output
    assert "objective breakdown" not in res.output and "per unit" not in res.output
    wide = pd.read_csv(out / "roster.csv")
    assert list(wide.columns[:4]) == ["staff_id", "role", "hours", "D01 Mon"] and len(wide) == counts.iloc[0]
    book = openpyxl.load_workbook(out / "roster.xlsx")
    assert book.sheetnames[0] == "summary" and set(book.sheetnames[1:]) == set(wide["role"])

    # re-plan: a sick call on day 3, the first two days published
    sick = wide["staff_id"].iloc[0]
    (tmp_path / "sick.csv").write_text(f"staff_id,day\n{sick},3\n")
    res = runner.invoke(app, ["roster", "--hospital", clues, "--weeks", "1", "--dataset", str(dataset),
                              "--time-limit", "8", "--out", str(tmp_path / "re"), "--json",
                              "--previous", str(out / "roster.csv"), "--published-days", "2",
                              "--days-off", str(tmp_path / "sick.csv")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    before = {r.staff_id: [x if isinstance(x, str) else "" for x in r[3:]] for r in wide.itertuples(index=False)}
    assert all(doc["roster"][e][:2] == before[e][:2] for e in before)
    assert doc["roster"][sick][3] == "" and "changes" in doc["breakdown"]

    (tmp_path / "bad.csv").write_text("staff_id,day\nNOBODY,3\n")
    bad = ["roster", "--hospital", clues, "--weeks", "1", "--dataset", str(dataset), "--days-off",
           str(tmp_path / "bad.csv"), "--json"]
    res = runner.invoke(app, bad, env={"BIENESTAR_LANG": "en"})
    assert res.exit_code == 2 and "bad.csv, row 2, field 'staff_id': 'NOBODY' is not on this hospital's staff" \
        in json.loads(res.output)["error"]
    res = runner.invoke(app, bad, env={"BIENESTAR_LANG": "es"})
    assert "bad.csv, fila 2, campo 'staff_id': 'NOBODY' no está en el personal" in json.loads(res.output)["error"]

    res = runner.invoke(app, ["roster", "--hospital", "XXIMB999999", "--dataset", str(dataset)])
    assert res.exit_code == 2 and "no facility with clues 'XXIMB999999'" in res.output


def test_cli_benchmark_json(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,\nSECTION_STAFF\n"
                    "A,D=7,2400,960,5,1,1,1\nB,D=7,2400,960,5,1,1,1\n"
                    "SECTION_SHIFT_ON_REQUESTS\nA,0,D,3\nSECTION_COVER\n"
                    + "".join(f"{d},D,1,100,1\n" for d in range(7)))
    res = runner.invoke(app, ["roster", "--benchmark", str(path), "--time-limit", "10", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["status"] == "optimal" and set(doc["roster"]) == {"A", "B"}
    assert doc["objective"] == sum(doc["breakdown"].values())
    assert all(len(r) == 7 for r in doc["roster"].values()) and doc["roster"]["A"][0] == "D"

    res = runner.invoke(app, ["roster", "--benchmark", str(path), "--hospital", "X", "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["status"] == "error"
