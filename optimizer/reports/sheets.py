"""Formatted, printable XLSX sheets: typed columns, bold headers, filters, frozen panes, widths, print setup.

Written with XlsxWriter rather than openpyxl: it writes the same typed sheet faster (the national run's 15,466
manifest lines: see ``benchmarks/workbooks.py`` and "Workbooks and report" in ``benchmarks/RESULTS.md``), holds
no cell objects in memory, and sets everything a printable sheet needs (print titles, fit to width, headers and
footers, conditional formats, internal links) through one documented API. openpyxl stays the reader (tests,
`bienestar check-published`).

Every column has a kind that fixes how its cells are stored and shown, so a count is a whole number, a share
a percentage, money a peso amount, a date a date cell and a time a time cell (never text):

========== =========================================== ==========================
kind       stored                                      shown
========== =========================================== ==========================
text       string                                      as is
int        whole number (rounded)                      ``12,345``
km         whole kilometres (rounded)                  ``1,235``
num1/num2  number                                      1 or 2 decimals
money      MXN (rounded to whole pesos)                ``$12,345``
share      value in [0, 1]                             ``55.4%``
pct100     a percentage 0..100, stored divided by 100  ``55.4%``
pp         difference in percentage points             ``+1.2 pp``
date       ``datetime.date``                           ``03/03/2025``
time       ``datetime.time``                           ``14:05``
duration   ``datetime.timedelta``                      ``7:45`` (hours:minutes)
yesno      bool                                        ``Sí`` / ``No``
========== =========================================== ==========================
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from optimizer.i18n import resolve_lang, t

#: Excel's limit on sheet-name length (characters) and the characters it forbids in one.
SHEET_CHARS = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Number formats by column kind (Excel codes, read by Excel, LibreOffice and openpyxl alike).
NUMBER_FORMATS: dict[str, str] = {
    "int": "#,##0", "km": "#,##0", "num1": "#,##0.0", "num2": "#,##0.00", "money": "[$$-80A]#,##0",
    "share": "0.0%", "pct100": "0.0%", "pp": '+0.0" pp";-0.0" pp";0.0" pp"', "date": "dd/mm/yyyy",
    "time": "hh:mm", "duration": "[h]:mm",
}
_HEADER = {"bold": True, "bg_color": "#DCE6F1", "text_wrap": True, "valign": "top", "bottom": 1}
_TITLE = {"bold": True, "font_size": 13}
_MAX_WIDTH = 48
_WIDTH_SAMPLE = 300


@dataclass(frozen=True)
class Col:
    """One column of a sheet: ``field`` of the frame, its header key (``workbooks.col.<header>``) and kind."""

    field: str
    header: str
    kind: str = "text"
    width: float | None = None
    label: str | None = None  # a header already in words (e.g. a specialty), used instead of ``header``


class Book:
    """One XLSX workbook in a language: cell formats by kind, unique sheet names, typed tables."""

    def __init__(self, path: Path | IO[bytes], lang: str) -> None:
        self.path = path
        self.lang = lang
        target = path if isinstance(path, io.BytesIO) else str(path)
        self.wb = xlsxwriter.Workbook(target, {"nan_inf_to_errors": True, "in_memory": True})
        self._names: set[str] = set()
        self.fmt = {kind: self.wb.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
        self.fmt["text"] = self.wb.add_format({})
        self.fmt["yesno"] = self.wb.add_format({"align": "center"})
        self.header = self.wb.add_format(_HEADER)
        self.title = self.wb.add_format(_TITLE)
        self.note = self.wb.add_format({"italic": True, "font_color": "#555555"})
        self.bold = self.wb.add_format({"bold": True})
        self._yes, self._no = t("common.yes", lang).capitalize(), t("common.no", lang).capitalize()

    def add_format(self, props: dict[str, Any]) -> Any:
        """A new cell format of this workbook."""
        return self.wb.add_format(props)

    def sheet(self, name: str) -> Worksheet:
        """A new worksheet named ``name`` made valid and unique (31 characters, no ``[]:*?/\\``)."""
        base = _FORBIDDEN.sub("-", name).strip("'")[:SHEET_CHARS] or "-"
        unique, i = base, 2
        while unique.lower() in self._names:
            suffix = f" ({i})"
            unique, i = base[:SHEET_CHARS - len(suffix)] + suffix, i + 1
        self._names.add(unique.lower())
        return self.wb.add_worksheet(unique)

    def col_header(self, col: Col) -> str:
        """The header text of a column in the book's language."""
        return col.label if col.label is not None else self.col_text(col.header)

    def col_text(self, header: str) -> str:
        """The text of column key ``header`` (``workbooks.col.<header>``)."""
        return t(f"workbooks.col.{header}", self.lang)

    def table(self, name: str, frame: pd.DataFrame, cols: Sequence[Col], title: str | None = None,
              notes: Sequence[str] = (), freeze_cols: int = 1) -> tuple[Worksheet, int]:
        """A sheet with an optional title and note lines, then a filtered, frozen header row and typed data;
        returns the sheet and its header row.

        Printable: landscape letter paper, one page wide, the header rows repeated on every page.
        """
        ws = self.sheet(name)
        row = self.title_block(ws, title, notes)
        self.write_table(ws, row, frame, cols, freeze_cols=freeze_cols)
        self.print_setup(ws, title or name, repeat_to=row)
        return ws, row

    def title_block(self, ws: Worksheet, title: str | None, notes: Sequence[str]) -> int:
        """Write a title and note lines at the top of ``ws``; the first free row (a blank row after them)."""
        if title is None and not notes:
            return 0
        if title is not None:
            ws.write_string(0, 0, title, self.title)
        for i, line in enumerate(notes, 1):
            ws.write_string(i, 0, line, self.note)
        return len(notes) + 2

    def write_table(self, ws: Worksheet, top: int, frame: pd.DataFrame, cols: Sequence[Col],
                    freeze_cols: int = 1, filters: bool = True) -> int:
        """Header at row ``top`` and the rows of ``frame`` under it; returns the last row written."""
        for j, c in enumerate(cols):
            ws.write_string(top, j, self.col_header(c), self.header)
            values = frame[c.field].tolist() if c.field in frame else [None] * len(frame)
            self.write_column(ws, top + 1, j, values, c.kind)
            ws.set_column(j, j, c.width or _width(self.col_header(c), values, c.kind))
        last = top + len(frame)
        if filters and cols:
            ws.autofilter(top, 0, max(last, top), len(cols) - 1)
        ws.freeze_panes(top + 1, freeze_cols)
        ws.set_row(top, 32 if any(len(self.col_header(c)) > 14 for c in cols) else None)
        return last

    def write_column(self, ws: Worksheet, first_row: int, col: int, values: Sequence[object], kind: str,
                     fmt: Any = None) -> None:
        """Cells of one column from ``first_row`` down, stored as ``kind`` says (blank for missing values)."""
        write = self._writer(ws, kind)
        cell_fmt = fmt if fmt is not None else self.fmt.get(kind, self.fmt["text"])
        for i, v in enumerate(values):
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
                continue
            write(first_row + i, col, v, cell_fmt)

    def _writer(self, ws: Worksheet, kind: str) -> Callable[[int, int, Any, Any], object]:
        if kind in ("int", "km", "money"):
            return lambda r, c, v, f: ws.write_number(r, c, round(float(v)), f)
        if kind == "pct100":
            return lambda r, c, v, f: ws.write_number(r, c, float(v) / 100.0, f)
        if kind in ("num1", "num2", "share", "pp"):
            digits = {"num1": 1, "num2": 2, "share": 6, "pp": 3}[kind]
            return lambda r, c, v, f: ws.write_number(r, c, round(float(v), digits), f)
        if kind in ("date", "time", "duration"):
            return lambda r, c, v, f: ws.write_datetime(r, c, v, f)
        if kind == "yesno":
            return lambda r, c, v, f: ws.write_string(r, c, self._yes if _truthy(v) else self._no, f)
        return lambda r, c, v, f: ws.write_string(r, c, str(v), f)

    def print_setup(self, ws: Worksheet, title: str, repeat_to: int) -> None:
        """Landscape letter paper, one page wide, rows ``0..repeat_to`` repeated, title and page numbers."""
        ws.set_landscape()
        ws.set_paper(1)  # letter ("carta"), the paper size used in Mexico
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, repeat_to)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        safe = title.replace("&", "&&")[:200]
        ws.set_header(f"&L&\"Calibri,Bold\"{safe}")
        ws.set_footer("&R" + t("workbooks.page", self.lang, page="&P", pages="&N"))

    def close(self) -> Path:
        """Write the file; returns its path."""
        self.wb.close()
        return self.path  # type: ignore[return-value]


def inferred_kind(values: pd.Series) -> str:
    """The column kind of a plain table column: whole numbers, 2-decimal numbers, yes/no or text."""
    if pd.api.types.is_bool_dtype(values):
        return "yesno"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        return "int" if len(finite) and (finite == finite.round()).all() else "num2"
    return "text"


def frames_to_xlsx(frames: dict[str, pd.DataFrame], lang: str | None = None) -> bytes:
    """Plain tables (their own column names as headers) as a workbook with the same care as the product's own:
    bold frozen header, filters, widths, typed cells, printable (e.g. plan downloads from the web page)."""
    buf = io.BytesIO()
    book = Book(buf, resolve_lang(lang))
    for name, frame in frames.items():
        cols = [Col(str(c), "", inferred_kind(frame[c]), label=str(c)) for c in frame.columns]
        book.table(name, frame, cols, freeze_cols=0)
    book.close()
    return buf.getvalue()


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "sí", "si")
    return bool(value)


def _width(header: str, values: Sequence[object], kind: str) -> float:
    """A column width (characters) that fits the header's longest word and the sampled values."""
    fixed = {"date": 11, "time": 7, "duration": 7, "yesno": 6, "share": 8, "pct100": 8, "pp": 9}
    if kind in fixed:
        content = fixed[kind]
    elif kind in ("int", "km", "money", "num1", "num2"):
        biggest = max((abs(float(v)) for v in values[:_WIDTH_SAMPLE] if isinstance(v, int | float) and v == v),
                      default=0.0)
        content = len(f"{biggest:,.0f}") + (3 if kind in ("num1", "num2", "money") else 1)
    else:
        content = max((len(str(v)) for v in values[:_WIDTH_SAMPLE] if v is not None), default=0)
    longest_word = max((len(w) for w in header.split()), default=0)
    return float(min(max(content, longest_word, 6) + 2, _MAX_WIDTH))
