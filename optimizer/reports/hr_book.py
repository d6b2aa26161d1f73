"""``hr.xlsx``: the workbook HR staffing specialists use as it is, without lookups.

Sheets: a summary by state; one sheet per state with its assignments (person: id, specialty, sex, home state;
hospital: CLUES, name, municipality, state, marginalisation degree; incentive in MXN/month; distance in whole
km); all assignments together; the 24/7 team slots; the demand left uncovered and why; the roster summary and
coverage by role; and one roster grid per rostered hospital (:mod:`optimizer.reports.roster_grid`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.i18n import render_stored, t
from optimizer.reports.figures import read_plan
from optimizer.reports.roster_grid import write_roster_grid
from optimizer.reports.rundata import RunData
from optimizer.reports.sheets import Book, Col
from optimizer.reports.vocab import enum_series

_PERSON = [Col("specialist_id", "person_id"), Col("specialty", "specialty"), Col("sex", "sex"),
           Col("home_state", "home_state")]
_HOSPITAL = [Col("hospital", "clues"), Col("facility_name", "hospital_name"),
             Col("facility_municipality", "municipality"), Col("facility_state", "state"),
             Col("facility_degree", "marginalisation_degree")]
ASSIGNMENT_COLS = [*_PERSON, *_HOSPITAL, Col("pay_mxn_month", "incentive_mxn_month", "money"),
                   Col("km", "distance_km", "km")]


def assignments_frame(run: RunData, assignments: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Assignments with the person's and the hospital's fields in words, sorted by state, hospital, role."""
    people = run.people
    a = run.with_facility(assignments, "hospital")
    a["specialty"] = enum_series("specialty", a["role"], lang)
    a["sex"] = enum_series("sex", a["specialist_id"].map(people["sex"]), lang)
    a["home_state"] = a["specialist_id"].map(people["home_state_name"])
    a["facility_degree"] = enum_series("degree", a["facility_degree"], lang)
    return a.sort_values(["facility_state", "facility_name", "specialty", "specialist_id"], kind="stable")


def state_summary(a: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, list[Col]]:
    """People, women, hospitals, incentives and distance per state, with a column per specialty and a total."""
    women = t("enums.sex.F", lang)
    g = a.groupby("facility_state").agg(hospitals=("hospital", "nunique"), people=("specialist_id", "count"),
                                        women=("sex", lambda s: int((s == women).sum())),
                                        pay=("pay_mxn_month", "sum"), km=("km", "mean"))
    by_spec = a.pivot_table(index="facility_state", columns="specialty", values="specialist_id", aggfunc="count",
                            fill_value=0)
    g = g.join(by_spec)
    total = {**{c: g[c].sum() for c in g.columns}, "hospitals": a["hospital"].nunique(), "km": a["km"].mean()}
    g.loc[t("workbooks.total", lang)] = pd.Series(total)
    g["women_share"] = g["women"] / g["people"].where(g["people"] > 0)
    cols = [Col("facility_state", "state"), Col("hospitals", "hospitals", "int"), Col("people", "people", "int"),
            Col("women", "women", "int"), Col("women_share", "women_share", "share"),
            *[Col(s, "", "int", label=s) for s in by_spec.columns],
            Col("pay", "incentive_mxn_month", "money"), Col("km", "mean_distance_km", "km")]
    return g.reset_index(), cols


def write_hr(run: RunData, path: Path, lang: str) -> Path | None:
    """Write ``hr.xlsx`` from the run's deployment and rostering plans; None when the run has neither."""
    assignments = read_plan(run.run_dir, "deployment", "assignments")
    roster = read_plan(run.run_dir, "rostering", "roster")
    if assignments is None and roster is None:
        return None
    book = Book(path, lang)
    if assignments is not None:
        _deployment_sheets(book, run, assignments, lang)
    if roster is not None:
        _roster_sheets(book, run, roster, lang)
    return book.close()


def _deployment_sheets(book: Book, run: RunData, assignments: pd.DataFrame, lang: str) -> None:
    a = assignments_frame(run, assignments, lang) if len(assignments) else assignments
    if len(a):
        summary, cols = state_summary(a, lang)
        book.table(t("workbooks.sheet.summary", lang), summary, cols, title=t("workbooks.hr.summary_title", lang),
                   notes=[t("workbooks.hr.summary_note", lang)])
        for state, rows in a.groupby("facility_state", sort=True):
            book.table(str(state), rows, ASSIGNMENT_COLS, title=t("workbooks.hr.state_title", lang, state=state),
                       notes=[t("workbooks.hr.assignments_note", lang)])
    book.table(t("workbooks.sheet.assignments", lang), a, ASSIGNMENT_COLS,
               title=t("workbooks.hr.assignments_title", lang), notes=[t("workbooks.hr.assignments_note", lang)])
    teams = read_plan(run.run_dir, "deployment", "teams")
    if teams is not None:
        teams = _hospital_rows(run, teams, lang)
        book.table(t("workbooks.sheet.teams", lang), teams,
                   [*_HOSPITAL, Col("specialty_label", "specialty"), Col("slots", "team_slots", "int")],
                   title=t("workbooks.hr.teams_title", lang), notes=[t("workbooks.hr.teams_note", lang)])
    short = read_plan(run.run_dir, "deployment", "short")
    if short is not None:
        short = _hospital_rows(run, short, lang)
        short["reason_label"] = enum_series("short_reason", short["reason"], lang) if len(short) else []
        book.table(t("workbooks.sheet.uncovered", lang), short,
                   [*_HOSPITAL, Col("specialty_label", "specialty"),
                    Col("demand_per_week", "demand_procedures_week", "num1"),
                    Col("covered_per_week", "covered_procedures_week", "num1"), Col("reason_label", "reason")],
                   title=t("workbooks.hr.uncovered_title", lang), notes=[t("workbooks.hr.uncovered_note", lang)])


def _hospital_rows(run: RunData, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = run.with_facility(frame, "hospital")
    out["facility_degree"] = enum_series("degree", out["facility_degree"], lang)
    if "specialty" in out:
        out["specialty_label"] = enum_series("specialty", out["specialty"], lang)
    return out.sort_values(["facility_state", "facility_name"], kind="stable")


def _roster_sheets(book: Book, run: RunData, roster: pd.DataFrame, lang: str) -> None:
    summary = read_plan(run.run_dir, "rostering", "summary")
    if summary is not None and len(summary):
        s = _hospital_rows(run, summary, lang)
        s["status_label"] = s["status"].map(lambda v: t(f"common.status.{v}", lang))
        s["objective"] = s["objective"].round()
        if "notes_i18n" in s:  # the model's notes in the book's language (older runs: as written)
            s["notes"] = [render_stored(str(stored), lang) if isinstance(stored, str) and stored else note
                          for stored, note in zip(s["notes_i18n"], s["notes"], strict=True)]
        book.table(t("workbooks.sheet.roster_summary", lang), s,
                   [*_HOSPITAL[:4], Col("staff", "people", "int"), Col("status_label", "solve_status"),
                    Col("objective", "penalty", "int"), Col("gap", "gap", "share"),
                    Col("cover_fill_rate", "cover_fill_rate", "share"), Col("notes", "model_notes", width=60)],
                   title=t("workbooks.hr.roster_summary_title", lang),
                   notes=[t("workbooks.hr.roster_summary_note", lang)])
    by_role = read_plan(run.run_dir, "rostering", "by_role")
    if by_role is not None and len(by_role):
        b = _hospital_rows(run, by_role.assign(specialty=by_role["role"]), lang)
        book.table(t("workbooks.sheet.roster_by_role", lang), b,
                   [*_HOSPITAL[:2], Col("specialty_label", "specialty"), Col("people", "people", "int"),
                    Col("required_places", "required_places", "int"), Col("filled_places", "filled_places", "int"),
                    Col("fill_rate", "cover_fill_rate", "share"), Col("hours_worked", "hours_worked", "int"),
                    Col("contract_hours", "contract_hours", "int")],
                   title=t("workbooks.hr.by_role_title", lang), notes=[t("workbooks.hr.by_role_note", lang)])
    status = {} if summary is None else dict(zip(summary["hospital"], summary["status"], strict=True))
    for hospital, rows in roster.groupby("hospital", sort=False):
        write_roster_grid(book, run, str(hospital), rows, status.get(hospital, ""))
