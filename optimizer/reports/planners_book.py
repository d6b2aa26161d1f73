"""``planners.xlsx``: headline KPIs with their definitions (the web page's), equity by state, capacity by
hospital, bottlenecks, access, medicine fill rates by state, and the comparison with another run.

KPI labels, units and definitions come from the shared ``kpis`` catalogue (:mod:`optimizer.i18n.kpis`); each
KPI value is stored in the kind the catalogue gives it (counts whole, shares and coverage as percentages,
money in MXN), and a difference of two percentages is shown in percentage points (``+1.2 pp``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from optimizer.i18n import kpis as kpi_words
from optimizer.i18n import t
from optimizer.reports.figures import read_plan
from optimizer.reports.rundata import RunData
from optimizer.reports.sheets import Book, Col
from optimizer.reports.vocab import enum_series, missing_roles
from optimizer.scenarios.compare import compare_runs
from optimizer.scenarios.headline import HEADLINES, headline_kpis, state_table

#: How a headline KPI value and its difference between runs are stored, by the KPI's kind.
_VALUE_KIND = {"int": "int", "money": "money", "share": "share", "pct100": "pct100", "num": "num1"}
_DELTA_FORMAT = {"int": "+#,##0;-#,##0;0", "money": "+[$$-80A]#,##0;-[$$-80A]#,##0;[$$-80A]0",
                 "num": "+#,##0.0;-#,##0.0;0.0"}


def kpi_kind(key: str) -> str:
    """The catalogue's kind of headline KPI ``key`` (``int``, ``share``, ``pct100``, ``money``, ``num``)."""
    return kpi_words.KINDS.get(f"headline.{key}", "num")


def _delta(value: float, kind: str) -> float:
    """A difference in the unit it is shown in: percentage points for shares and percentages."""
    return 100.0 * value if kind == "share" else value


def write_kpis(book: Book, run: RunData, against: Path | None) -> Worksheet:
    """The headline KPI sheet: label, value (or A, B and B − A), unit, definition."""
    lang = book.lang
    ws = book.sheet(t("workbooks.sheet.kpis", lang))
    top = book.title_block(ws, t("workbooks.planners.kpis_title", lang), [t("workbooks.planners.kpis_note", lang)])
    values = headline_kpis(run.run_dir)
    other = headline_kpis(against) if against is not None else None
    names = [t("workbooks.col.kpi", lang)]
    if other is None:
        names.append(t("workbooks.col.value", lang))
    else:
        names += [t("workbooks.col.run_a", lang, scenario=_scenario(against)),
                  t("workbooks.col.run_b", lang, scenario=_scenario(run.run_dir)), t("workbooks.col.delta", lang)]
    names += [t("workbooks.col.unit", lang), t("workbooks.col.definition", lang)]
    for j, name in enumerate(names):
        ws.write_string(top, j, name, book.header)
    delta_fmt = {k: book.add_format({"num_format": code}) for k, code in _DELTA_FORMAT.items()}
    for i, (key, *_rest) in enumerate(HEADLINES, top + 1):
        kind = kpi_kind(key)
        cells = [values[key]] if other is None else [other[key], values[key]]
        ws.write_string(i, 0, kpi_words.label(f"headline.{key}", lang))
        for j, v in enumerate(cells, 1):
            book.write_column(ws, i, j, [v], _VALUE_KIND.get(kind, "num1"))
        j = len(cells) + 1
        if other is not None:
            if other[key] is not None and values[key] is not None:
                d = _delta(values[key] - other[key], kind)
                pp = kind in ("share", "pct100")
                ws.write_number(i, j, round(d, 3), book.fmt["pp"] if pp else delta_fmt.get(kind, delta_fmt["num"]))
            j += 1
        ws.write_string(i, j, kpi_words.unit(f"headline.{key}", lang))
        ws.write_string(i, j + 1, kpi_words.definition(f"headline.{key}", lang))
    widths = [40, *([14] * (len(names) - 3)), 22, 80]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.autofilter(top, 0, top + len(HEADLINES), len(names) - 1)
    ws.freeze_panes(top + 1, 1)
    book.print_setup(ws, t("workbooks.planners.kpis_title", lang), repeat_to=top)
    return ws


def _scenario(run_dir: Path) -> str:
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("scenario", run_dir.name)


STATE_COLS = [Col("state", "state"), Col("hospitals", "program_hospitals", "int"),
              Col("hospitals_24_7", "hospitals_24_7", "int"), Col("coverage_pct", "coverage", "pct100"),
              Col("access_60", "access_60", "share"), Col("access_120", "access_120", "share")]


def _states(run: RunData) -> pd.DataFrame:
    s = state_table(run.run_dir)
    names = s["cve_ent"].map(run.state_names)
    s["state"] = names.fillna(s["state"]) if "state" in s else names
    return s


def _capacity(run: RunData, lang: str) -> tuple[pd.DataFrame, list[Col]] | None:
    cap = read_plan(run.run_dir, "capacity", "hospitals")
    if cap is None:
        return None
    c = run.with_facility(cap, "clues")
    c["status_label"] = enum_series("status_24_7", c["status_24_7"], lang)
    c["limiting_label"] = enum_series("specialty", c["limiting_role"], lang)
    c["missing_label"] = c["missing_roles"].map(lambda v: missing_roles(v, lang))
    c["degree_label"] = enum_series("degree", c["marginalisation_degree"], lang)
    cols = [Col("clues", "clues"), Col("facility_name", "hospital_name"), Col("facility_municipality", "municipality"),
            Col("facility_state", "state"), Col("degree_label", "marginalisation_degree"),
            Col("operating_rooms", "operating_rooms", "int"), Col("rooms_24_7", "rooms_24_7", "int"),
            Col("status_label", "status_24_7"), Col("limiting_label", "limiting_role"),
            Col("missing_label", "missing_roles", width=60),
            Col("demand_procedures_per_week", "demand_procedures_week", "num1"),
            Col("procedures_per_week", "procedures_week", "num1"), Col("or_hours_per_week", "or_hours_week", "int")]
    return c.sort_values(["facility_state", "facility_name"]), cols


def _bottlenecks(run: RunData, lang: str) -> tuple[pd.DataFrame, list[Col]] | None:
    b = read_plan(run.run_dir, "capacity", "bottlenecks")
    if b is None:
        return None
    b = run.with_facility(b, "clues")
    b["kind_label"] = enum_series("bottleneck", b["kind"], lang)
    b["key_label"] = enum_series("specialty", b["key"], lang)
    cols = [Col("kind_label", "constraint"), Col("key_label", "specialty"), Col("clues", "clues"),
            Col("facility_name", "hospital_name"), Col("facility_state", "state"),
            Col("rhs", "limit", "num1"), Col("used", "used", "num1"), Col("dual", "shadow_price", "num2")]
    return b, cols


def _access(run: RunData, table: str, lang: str) -> tuple[pd.DataFrame, list[Col]] | None:
    a = read_plan(run.run_dir, "access", table)
    if a is None:
        return None
    share = [Col("population", "population", "int"), Col("within_60", "within_60", "int"),
             Col("share_60", "access_60", "share"), Col("within_120", "within_120", "int"),
             Col("share_120", "access_120", "share"), Col("mean_minutes", "mean_minutes", "int")]
    if table == "by_state":
        a["state"] = a["cve_ent"].map(run.state_names).fillna(a["state"])
        return a, [Col("state", "state"), Col("municipalities", "municipalities", "int"), *share]
    if table == "by_degree":
        a["degree_label"] = enum_series("degree", a["degree"], lang)
        return a, [Col("degree_label", "marginalisation_degree"), Col("municipalities", "municipalities", "int"),
                   *share]
    a["state"] = a["cve_ent"].map(run.state_names)
    a["degree_label"] = enum_series("degree", a["degree"], lang)
    a = run.with_facility(a, "nearest_24_7", ("name",))
    return a, [Col("cvegeo", "cvegeo"), Col("municipality", "municipality"), Col("state", "state"),
               Col("degree_label", "marginalisation_degree"), Col("population", "population", "int"),
               Col("minutes", "minutes_to_24_7", "int"), Col("nearest_24_7", "nearest_24_7"),
               Col("facility_name", "hospital_name")]


def _fill_by_state(run: RunData, lang: str) -> tuple[pd.DataFrame, list[Col]] | None:
    lines = read_plan(run.run_dir, "distribution", "lines")
    if lines is None or not len(lines):
        return None
    need = run.with_facility(lines[lines["need"] > 0], "clues", ("state",))
    g = need.groupby(["facility_state", "criticality"]).agg(
        facilities=("clues", "nunique"), lines=("sku", "count"), need=("need", "sum"), shipped=("shipped", "sum"),
        fill=("fill", "mean")).reset_index()
    g["criticality_label"] = enum_series("criticality", g["criticality"], lang)
    return g, [Col("facility_state", "state"), Col("criticality_label", "criticality"),
               Col("facilities", "facilities", "int"), Col("lines", "lines", "int"), Col("need", "units_needed", "int"),
               Col("shipped", "units_shipped", "int"), Col("fill", "fill_rate", "share")]


def _comparison_by_state(run: RunData, against: Path, lang: str) -> tuple[pd.DataFrame, list[Col]]:
    c = compare_runs(against, run.run_dir).by_state
    c["state"] = c["cve_ent"].map(run.state_names).fillna(c.get("state"))
    for col in ("access_60", "access_120"):
        if f"{col}_delta" in c:
            c[f"{col}_delta"] = 100.0 * c[f"{col}_delta"]
    cols = [Col("state", "state")]
    for base, kind in (("hospitals_24_7", "int"), ("coverage_pct", "pct100"), ("access_60", "share"),
                       ("access_120", "share")):
        if f"{base}_a" not in c:
            continue
        header = {"coverage_pct": "coverage"}.get(base, base)
        cols += [Col(f"{base}_a", "", kind, label=f"{t(f'workbooks.col.{header}', lang)} (A)"),
                 Col(f"{base}_b", "", kind, label=f"{t(f'workbooks.col.{header}', lang)} (B)"),
                 Col(f"{base}_delta", "", "int" if kind == "int" else "pp",
                     label=f"{t(f'workbooks.col.{header}', lang)} (B − A)")]
    return c, cols


def _surgery(run: RunData, lang: str) -> tuple[pd.DataFrame, list[Col]] | None:
    """One row per hospital of the surgery stage (its summary table)."""
    s = read_plan(run.run_dir, "surgery", "summary")
    if s is None or not len(s):
        return None
    s = s.copy()
    s["status_label"] = s["status"].map(lambda v: t(f"common.status.{v}", lang))
    cols = [Col("hospital", "clues"), Col("name", "hospital_name"), Col("status_label", "surgery_status"),
            Col("patients", "surgery_patients", "int"), Col("patients_admitted", "surgery_admitted", "int"),
            Col("mandatory_patients", "surgery_urgent", "int"),
            Col("mandatory_all_admitted", "surgery_all_urgent", "yesno"),
            Col("mean_admission_delay_days", "surgery_mean_wait", "num1"),
            Col("max_admission_delay_days", "surgery_max_wait", "int"),
            Col("optional_patients_postponed", "surgery_postponed", "int"),
            Col("theatre_utilisation", "surgery_theatre_use", "share"),
            Col("open_theatre_days", "surgery_open_theatre_days", "int"),
            Col("nurse_workload_excess", "surgery_nurse_excess", "int"),
            Col("continuity_of_care", "surgery_continuity", "num1"), Col("notes", "surgery_notes", width=60)]
    return s, cols


def write_planners(run: RunData, path: Path, lang: str, against: Path | None = None) -> Path:
    """Write ``planners.xlsx`` (always: the KPI sheet exists for every run)."""
    book = Book(path, lang)
    write_kpis(book, run, against)
    book.table(t("workbooks.sheet.equity", lang), _states(run), STATE_COLS,
               title=t("workbooks.planners.equity_title", lang), notes=[t("workbooks.planners.equity_note", lang)])
    optional = [("capacity", _capacity(run, lang)), ("bottlenecks", _bottlenecks(run, lang)),
                ("access_state", _access(run, "by_state", lang)), ("access_degree", _access(run, "by_degree", lang)),
                ("worst_served", _access(run, "worst_served", lang)), ("fill_state", _fill_by_state(run, lang)),
                ("surgery", _surgery(run, lang))]
    if against is not None:
        optional.append(("comparison_state", _comparison_by_state(run, against, lang)))
    for name, table in optional:
        if table is not None:
            frame, cols = table
            book.table(t(f"workbooks.sheet.{name}", lang), frame, cols,
                       title=t(f"workbooks.planners.{name}_title", lang),
                       notes=[t(f"workbooks.planners.{name}_note", lang)])
    return book.close()
