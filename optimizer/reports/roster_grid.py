"""One hospital's roster as the grid HR prints and edits: people as rows, real dates as columns.

Layout (rows): title, period and solve status, the shift legend, a blank row, the weekday names, the header
(person, specialty, one date cell per day, hours per week, total hours, contract hours), one row per person,
then the coverage per shift and day. Weekend columns are shaded and each shift code has its colour
(conditional formats, so an edited cell recolours itself). Hours and coverage are formulas over the grid
(with their values stored), so they follow HR's edits; shift hours: M 8, V (E) 7, N 9, G 24.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from optimizer.i18n import fmt_date, t
from optimizer.reports.rundata import RunData
from optimizer.reports.sheets import Book
from optimizer.reports.vocab import SHIFT_HOURS, enum_label, enum_series, shift_code

#: Cell colours of the shift codes (background, font) and of weekend columns.
SHIFT_STYLE: dict[str, tuple[str, str]] = {"M": ("#FEE08B", "#000000"), "E": ("#FDAE61", "#000000"),
                                           "N": ("#3288BD", "#FFFFFF"), "G": ("#5E4FA2", "#FFFFFF")}
WEEKEND_FILL = "#E7E6E6"
_TOP = 4  # row of the weekday names; the header (dates) is the row below
_LEFT = 2  # person id and specialty columns before the days


def write_roster_grid(book: Book, run: RunData, hospital: str, roster: pd.DataFrame, status: str) -> Worksheet:
    """The grid sheet of ``hospital``'s roster (long rows: staff_id, role, day, shift)."""
    lang = book.lang
    grid = roster.pivot(index="staff_id", columns="day", values="shift").sort_index(axis=1)
    people = roster.drop_duplicates("staff_id").set_index("staff_id")["role"]
    labels = enum_series("specialty", people, lang)
    order = sorted(grid.index, key=lambda p: (labels[p], p))
    grid = grid.loc[order]
    days = [run.start_day + dt.timedelta(days=int(d)) for d in grid.columns]
    weeks = (len(days) + 6) // 7
    ws = book.sheet(t("workbooks.sheet.roster", lang, clues=hospital))
    _heading(book, ws, run, hospital, days, len(order), status)
    fmts = _formats(book)
    header = _TOP + 1
    ws.write_string(header, 0, book.col_text("person_id"), book.header)
    ws.write_string(header, 1, book.col_text("specialty"), book.header)
    for j, day in enumerate(days, _LEFT):
        weekend = day.weekday() >= 5
        ws.write_string(_TOP, j, fmt_date(day, lang, "EEE").replace(".", ""), fmts["wd_weekend" if weekend else "wd"])
        ws.write_datetime(header, j, day, fmts["date_weekend" if weekend else "date"])
    first, last = header + 1, header + len(order)
    for i, person in enumerate(order, first):
        ws.write_string(i, 0, str(person))
        ws.write_string(i, 1, labels[person])
        for j, (day, shift) in enumerate(zip(days, grid.loc[person], strict=True), _LEFT):
            code = shift_code(shift, lang)
            cell_fmt = fmts["cell_weekend" if day.weekday() >= 5 else "cell"]
            if code:
                ws.write_string(i, j, code, cell_fmt)
            else:
                ws.write_blank(i, j, None, cell_fmt)
    hours_col = _hours_columns(book, ws, fmts, run, grid, days, first)
    _coverage_rows(book, ws, fmts, grid, days, last)
    _shift_colours(book, ws, first, last, len(days))
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, max(14, min(30, max((len(v) for v in labels), default=10) + 1)))
    ws.set_column(_LEFT, _LEFT + len(days) - 1, 6.5)
    ws.set_column(hours_col, hours_col + weeks + 1, 9)
    ws.autofilter(header, 0, last, hours_col + weeks + 1)
    ws.freeze_panes(first, _LEFT)
    book.print_setup(ws, t("workbooks.roster.title", lang, hospital=_name(run, hospital), clues=hospital),
                     repeat_to=header)
    ws.repeat_columns(0, _LEFT - 1)
    return ws


def _name(run: RunData, clues: str) -> str:
    fac = run.facilities
    return str(fac.at[clues, "name"]) if clues in fac.index else clues


def _heading(book: Book, ws: Worksheet, run: RunData, hospital: str, days: list[dt.date], people: int,
             status: str) -> None:
    lang = book.lang
    fac = run.facilities
    where = ", ".join(str(fac.at[hospital, f]) for f in ("municipality", "state")
                      if hospital in fac.index and f in fac and pd.notna(fac.at[hospital, f]))
    ws.write_string(0, 0, t("workbooks.roster.title", lang, hospital=_name(run, hospital), clues=hospital)
                    + (f", {where}" if where else ""), book.title)
    ws.write_string(1, 0, t("workbooks.roster.period", lang, start=fmt_date(days[0], lang, "long"),
                            end=fmt_date(days[-1], lang, "long"), people=people,
                            status=t(f"common.status.{status}", lang) if status else "–"), book.note)
    legend = " · ".join(f"{shift_code(s, lang)} = {enum_label('shift', s, lang)}" for s in SHIFT_HOURS)
    ws.write_string(2, 0, f"{legend} · {t('workbooks.roster.blank', lang)} = {t('enums.shift.off', lang)}",
                    book.note)


def _formats(book: Book) -> dict:
    centre = {"align": "center", "border": 1, "border_color": "#BFBFBF"}
    return {
        "wd": book.add_format({"bold": True, "align": "center", "bg_color": "#DCE6F1"}),
        "wd_weekend": book.add_format({"bold": True, "align": "center", "bg_color": WEEKEND_FILL}),
        "date": book.add_format({"bold": True, "align": "center", "num_format": "dd/mm", "bg_color": "#DCE6F1",
                                 "bottom": 1}),
        "date_weekend": book.add_format({"bold": True, "align": "center", "num_format": "dd/mm",
                                         "bg_color": WEEKEND_FILL, "bottom": 1}),
        "cell": book.add_format(centre),
        "cell_weekend": book.add_format({**centre, "bg_color": WEEKEND_FILL}),
        "hours": book.add_format({"num_format": "#,##0", "align": "center"}),
        "total": book.add_format({"num_format": "#,##0", "align": "center", "bold": True, "top": 1}),
        "label": book.add_format({"bold": True, "top": 1}),
    }


def _hours_formula(first: str, last: str, lang: str) -> str:
    terms = [f'{h}*COUNTIF({first}:{last},"{shift_code(s, lang)}")' for s, h in SHIFT_HOURS.items()]
    return "=" + "+".join(terms)


def _hours_columns(book: Book, ws: Worksheet, fmts: dict, run: RunData, grid: pd.DataFrame, days: list[dt.date],
                   first: int) -> int:
    """Hours per week, total and contract hours at the right of the grid; returns the first such column."""
    lang = book.lang
    weeks = (len(days) + 6) // 7
    order = list(grid.index)
    col = _LEFT + len(days)
    header = first - 1
    for w in range(weeks):
        ws.write_string(header, col + w, t("workbooks.roster.week_hours", lang, week=w + 1), book.header)
    ws.write_string(header, col + weeks, t("workbooks.roster.total_hours", lang), book.header)
    ws.write_string(header, col + weeks + 1, t("workbooks.roster.contract_hours", lang), book.header)
    ws.set_row(header, 32)
    hours = grid.apply(lambda s: s.map(lambda v: SHIFT_HOURS.get(v, 0) if isinstance(v, str) else 0))
    weekly_hours = run.people["weekly_hours"] if "weekly_hours" in run.people else pd.Series(dtype=float)
    for i, person in enumerate(order, first):
        row_hours = hours.loc[person].to_numpy()
        for w in range(weeks):
            lo, hi = _LEFT + 7 * w, min(_LEFT + 7 * w + 6, _LEFT + len(days) - 1)
            value = int(row_hours[7 * w: 7 * w + 7].sum())
            ws.write_formula(i, col + w, _hours_formula(xl_rowcol_to_cell(i, lo), xl_rowcol_to_cell(i, hi), lang),
                             fmts["hours"], value)
        ws.write_formula(i, col + weeks, f"=SUM({xl_rowcol_to_cell(i, col)}:{xl_rowcol_to_cell(i, col + weeks - 1)})",
                         fmts["hours"], int(row_hours.sum()))
        contract = weekly_hours.get(person)
        if contract is not None and contract == contract:
            ws.write_number(i, col + weeks + 1, round(float(contract) * len(days) / 7), fmts["hours"])
    last = first + len(order) - 1
    contract_total = sum(round(float(weekly_hours.get(p)) * len(days) / 7) for p in order
                         if weekly_hours.get(p) is not None and weekly_hours.get(p) == weekly_hours.get(p))
    totals = [int(hours.iloc[:, 7 * w: 7 * w + 7].to_numpy().sum()) for w in range(weeks)]
    for k, value in enumerate([*totals, sum(totals), contract_total]):
        letter = xl_col_to_name(col + k)
        ws.write_formula(last + 1, col + k, f"=SUM({letter}{first + 1}:{letter}{last + 1})", fmts["total"], value)
    return col


def _coverage_rows(book: Book, ws: Worksheet, fmts: dict, grid: pd.DataFrame, days: list[dt.date],
                   last: int) -> None:
    """People on each shift per day under the grid (COUNTIF of the column), and everyone working that day."""
    lang = book.lang
    first = last - len(grid) + 1
    row = last + 1
    ws.write_string(row, 0, t("workbooks.roster.coverage", lang), fmts["label"])
    ws.write_blank(row, 1, None, fmts["label"])
    for k, shift in enumerate(SHIFT_HOURS, 1):
        code = shift_code(shift, lang)
        ws.write_string(row + k, 1, f"{code} · {enum_label('shift', shift, lang)}")
        for j in range(len(days)):
            c = _LEFT + j
            rng = f"{xl_rowcol_to_cell(first, c)}:{xl_rowcol_to_cell(last, c)}"
            ws.write_formula(row + k, c, f'=COUNTIF({rng},"{code}")', fmts["hours"],
                             int((grid.iloc[:, j] == shift).sum()))
    total_row = row + len(SHIFT_HOURS) + 1
    ws.write_string(total_row, 1, t("workbooks.roster.people_working", lang), book.bold)
    for j in range(len(days)):
        c = _LEFT + j
        ws.write_formula(total_row, c, f"=SUM({xl_rowcol_to_cell(row + 1, c)}:{xl_rowcol_to_cell(total_row - 1, c)})",
                         fmts["total"], int(grid.iloc[:, j].isin(list(SHIFT_HOURS)).sum()))


def _shift_colours(book: Book, ws: Worksheet, first: int, last: int, n_days: int) -> None:
    rng = f"{xl_rowcol_to_cell(first, _LEFT)}:{xl_rowcol_to_cell(last, _LEFT + n_days - 1)}"
    for shift, (bg, font) in SHIFT_STYLE.items():
        fmt = book.add_format({"bg_color": bg, "font_color": font, "bold": True})
        ws.conditional_format(rng, {"type": "cell", "criteria": "==",
                                    "value": f'"{shift_code(shift, book.lang)}"', "format": fmt})
