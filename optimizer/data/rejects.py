"""Rejected rows: one line per problem, named by file, row, field, value and reason.

Row numbers follow the spreadsheet convention in every format: the header is row 1, so the first data
row is row 2 (a CSV opened in a spreadsheet shows the same number; in a Parquet file, row ``n`` is the
``n - 1``-th record counting from 1). The rejects report is a CSV with columns
``file,row,field,value,reason``.
Values of identity fields (the CURP) are masked in reports so a typo'd national ID is never written out.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from optimizer.i18n import Msg, MsgError, in_lang, msg_of

#: Columns of the rejects report CSV.
REJECT_COLUMNS: tuple[str, ...] = ("file", "row", "field", "value", "reason")

#: Number added to a 0-based data-row index to get the reported row (header = row 1).
FIRST_DATA_ROW = 2

#: Fields whose raw value must never appear in a report (national IDs).
MASKED_FIELDS = frozenset({"curp"})


def mask_value(field: str, value: object) -> str:
    """Text of ``value`` for a report: identity fields keep only their first 4 characters."""
    if value is None:
        return ""
    text = str(value)
    if field in MASKED_FIELDS and text:
        return text[:4] + "*" * max(len(text) - 4, 0)
    return text


@dataclass(frozen=True)
class Reject:
    """One problem with one row: ``row`` counts the header as row 1 (``row=0`` means the whole file)."""

    file: str
    row: int
    field: str
    value: str
    reason: str

    def message(self, lang: str | None = None) -> str:
        """A planner-readable sentence naming file, row, field, reason and value, in ``lang`` (default
        :func:`optimizer.i18n.resolve_lang`; a reason built from the catalogue, a :class:`~optimizer.i18n.Said`,
        is said in that language too)."""
        return self.as_msg().text(lang)

    def as_msg(self) -> Msg:
        """The sentence as a catalogue message (kept in a run's error, read later in any language)."""
        key = "data.reject." + ("row" if self.row else "file") + ("_value" if self.value != "" else "")
        return Msg(key, {"file": self.file, "row": self.row, "field": self.field, "value": self.value,
                         "reason": msg_of(self.reason)})


class DataFileError(MsgError):
    """A file that cannot be read at all (missing, unknown format, wrong header): nothing in it loads. Its
    message names the file (and row 1 for a header), in a reader's language (:class:`optimizer.i18n.MsgError`)."""


def write_rejects(path: Path, rejects: Iterable[Reject], append: bool = False, lang: str | None = None) -> int:
    """Write (or append) ``rejects`` to the CSV report at ``path`` (reasons in ``lang``, default
    :func:`optimizer.i18n.resolve_lang`); returns how many lines were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new_file = not append or not path.exists()
    n = 0
    with path.open("a" if append else "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if new_file:
            writer.writerow(REJECT_COLUMNS)
        for r in rejects:
            writer.writerow((r.file, r.row, r.field, r.value, in_lang(r.reason, lang)))
            n += 1
    return n
