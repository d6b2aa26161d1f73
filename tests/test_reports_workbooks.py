"""The workbooks open as HR, logistics and planners staff use them: Spanish by default (English with the
setting), names next to keys, real dates and times, whole numbers where counts are, filters and frozen panes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from optimizer.reports.vocab import SHIFT_HOURS
from optimizer.reports.xlsx import write_workbooks
from optimizer.scenarios.runner import RunResult
from tests.test_reports_support import tiny_run

#: Number formats whose cells must hold whole numbers (counts, km, pesos).
_WHOLE = ("#,##0", "[$$-80A]#,##0")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def books(run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Workbook]:
    out = tmp_path_factory.mktemp("books-es")
    paths = write_workbooks(run.run_dir, out, against=run.run_dir)
    return {p.name: load_workbook(p, data_only=True) for p in paths}


def _plan(run: RunResult, stage: str, table: str) -> pd.DataFrame:
    return pd.read_csv(run.run_dir / "plans" / stage / f"{table}.csv", dtype={"hospital": str, "clues": str},
                       keep_default_na=False, na_values=[""])


def _header(ws, row: int) -> list[str]:
    return [c.value for c in ws[row] if c.value is not None]


def test_every_sheet_has_filters_frozen_panes_and_no_float_noise(books: dict[str, Workbook]) -> None:
    assert set(books) == {"hr.xlsx", "logistics.xlsx", "planners.xlsx"}
    for name, wb in books.items():
        for ws in wb.worksheets:
            assert ws.auto_filter.ref, f"{name} / {ws.title}: no filter"
            assert ws.freeze_panes, f"{name} / {ws.title}: no frozen panes"
            assert ws.page_setup.orientation == "landscape" and ws.print_title_rows, f"{name} / {ws.title}"
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, float) and c.number_format in _WHOLE:
                        assert c.value == int(c.value), f"{name} / {ws.title} {c.coordinate}: {c.value}"
                    if isinstance(c.value, float) and c.number_format == "General":
                        assert c.value == round(c.value, 6), f"{name} / {ws.title} {c.coordinate}: unformatted"


def test_hr_assignments_carry_names_and_states_in_spanish(run: RunResult, books: dict[str, Workbook]) -> None:
    hr = books["hr.xlsx"]
    assignments = _plan(run, "deployment", "assignments")
    fac = pd.read_csv(run.run_dir / "inputs/dataset/facilities.csv", dtype={"clues": str, "cve_ent": str})
    assert "Resumen por estado" in hr.sheetnames and "Asignaciones (todas)" in hr.sheetnames
    ws = hr["Asignaciones (todas)"]
    header = _header(ws, 4)
    assert header[:5] == ["Persona (id)", "Especialidad", "Sexo", "Estado de origen", "CLUES"]
    assert {"Hospital", "Municipio", "Estado", "Incentivo y bonos (MXN/mes)"} <= set(header)
    rows = [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=5, values_only=True)]
    assert len(rows) == len(assignments) > 0
    names = fac.set_index("clues")["name"]
    states = {r["Estado"] for r in rows}
    for r in rows:
        assert r["Hospital"] == names[r["CLUES"]]
        assert r["Sexo"] in ("Mujer", "Hombre") and "_" not in r["Especialidad"]
        assert isinstance(r["Distancia domicilio-hospital (km)"], int | float)
    for state in states:  # one sheet per state, with that state's rows
        assert state in hr.sheetnames
        assert sum(1 for _ in hr[state].iter_rows(min_row=5)) == sum(r["Estado"] == state for r in rows)


def test_hr_roster_grid_per_hospital_with_real_dates(run: RunResult, books: dict[str, Workbook]) -> None:
    hr = books["hr.xlsx"]
    roster = _plan(run, "rostering", "roster")
    assert roster["hospital"].nunique() >= 1
    for hospital, rows in roster.groupby("hospital"):
        ws = hr[f"Rol {hospital}"]
        days = rows["day"].nunique()
        weekdays = [c.value for c in ws[5][2: 2 + days]]
        dates = [c.value for c in ws[6][2: 2 + days]]
        assert weekdays[:2] == ["lun", "mar"] and weekdays[5] == "sáb"
        assert all(isinstance(d, dt.datetime) for d in dates), dates[:3]
        assert dates[0].date() == dt.date(2025, 3, 3) and dates[-1].date() == dt.date(2025, 3, 3 + days - 1)
        assert ws["A6"].value == "Persona (id)" and ws.freeze_panes == "C7"
        hours = rows.assign(h=rows["shift"].map(SHIFT_HOURS).fillna(0)).groupby("staff_id")["h"].sum()
        total_col = 2 + days + (days + 6) // 7
        people = rows["staff_id"].nunique()
        got = {r[0].value: r[total_col].value for r in ws.iter_rows(min_row=7, max_row=6 + people)}
        assert got == {p: int(h) for p, h in hours.items()}  # total hours per person (formula's stored value)
        codes = {c.value for r in ws.iter_rows(min_row=7, max_row=6 + people, min_col=3, max_col=2 + days)
                 for c in r} - {None}
        assert codes <= {"M", "V", "N", "G"}  # Spanish shift codes (E is "V", vespertino)
        legend = ws["A3"].value
        assert "M = Matutino 07-15" in legend and "V = Vespertino 15-22" in legend and "G = Guardia 24 h" in legend


def test_logistics_manifest_per_vehicle_day(run: RunResult, books: dict[str, Workbook]) -> None:
    lg = books["logistics.xlsx"]
    routes = _plan(run, "distribution", "routes")
    manifest = _plan(run, "distribution", "manifest")
    assert len(routes) >= 1
    assert lg.sheetnames[:2] == ["Rutas", "Envíos por unidad"]
    sheets = [f"03-03 {d} {v}" for d, v in routes[["depot_id", "vehicle_id"]].itertuples(index=False)]
    assert sorted(lg.sheetnames[2:]) == sorted(sheets)
    for (depot, vehicle), lines in manifest.groupby(["depot_id", "vehicle_id"]):
        ws = lg[f"03-03 {depot} {vehicle}"]
        header = _header(ws, 5)
        assert header[0] == "Parada" and "Llegada estimada" in header and "Recibió (nombre y firma)" in header
        rows = [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=6, max_row=5 + len(lines),
                                                                       values_only=True)]
        assert [r["Parada"] for r in rows] == sorted(lines["seq"])
        assert sum(r["Unidades"] for r in rows) == lines["units"].sum()
        assert {r["Cadena de frío"] for r in rows} <= {"Sí", "No"}
        etas = [r["Llegada estimada"] for r in rows if r["Llegada estimada"] is not None]
        assert len(etas) == lines["stop_id"].nunique() and all(isinstance(x, dt.time) for x in etas)
    summary = lg["Rutas"]
    header = _header(summary, 4)
    assert {"Carga (m³)", "Capacidad (m³)", "Uso de volumen (%)", "Costo (MXN)", "Salida"} <= set(header)
    first = dict(zip(header, next(summary.iter_rows(min_row=5, values_only=True)), strict=False))
    assert isinstance(first["Día"], dt.datetime) and isinstance(first["Salida"], dt.time)


def test_planners_kpis_use_percentages_and_pp(books: dict[str, Workbook]) -> None:
    ws = books["planners.xlsx"]["Indicadores"]
    header = _header(ws, 4)
    assert header[0] == "Indicador" and header[-2:] == ["Unidad", "Definición"] and "B − A" in header
    rows = {r[0].value: r for r in ws.iter_rows(min_row=5)}
    coverage = rows["Demanda quirúrgica cubierta"]
    assert coverage[1].number_format == "0.0%" and 0 <= coverage[1].value <= 1
    assert coverage[3].number_format.startswith('+0.0" pp"')
    assert rows["Especialistas asignados"][1].number_format == "#,##0"


def test_workbooks_in_english_with_the_setting(run: RunResult, tmp_path: Path) -> None:
    paths = {p.name: p for p in write_workbooks(run.run_dir, tmp_path, lang="en")}
    hr = load_workbook(paths["hr.xlsx"], read_only=True)
    assert {"Summary by state", "Assignments (all)"} <= set(hr.sheetnames)
    hospital = _plan(run, "rostering", "roster")["hospital"].iloc[0]
    grid = hr[f"Roster {hospital}"]
    assert [c.value for c in next(grid.iter_rows(min_row=5, max_row=5, min_col=3, max_col=4))] == ["Mon", "Tue"]
    assert load_workbook(paths["logistics.xlsx"], read_only=True).sheetnames[:2] == ["Routes", "Shipments by facility"]
    assert load_workbook(paths["planners.xlsx"], read_only=True).sheetnames[0] == "KPIs"
