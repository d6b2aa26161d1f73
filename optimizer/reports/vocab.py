"""The words people read in reports and workbooks: enum values, shift codes and hours.

Enum values (specialties, roles, shifts, reasons, criticality, ...) live in the shared ``enums.*`` catalogue
(``optimizer/i18n/messages/enums.<lang>.json``) so the web page, the API, the report and the workbooks use one
vocabulary. A value without a text (a new enum member) is shown as it is rather than failing. KPI labels,
units and definitions come from :mod:`optimizer.i18n.kpis`, shared with the web page.
"""

from __future__ import annotations

import re

import pandas as pd

from optimizer.i18n import has, t

#: Hours of each rostering shift id (M 07-15, E 15-22, N 22-07, G guardia 24 h 07-07).
SHIFT_HOURS: dict[str, int] = {"M": 8, "E": 7, "N": 9, "G": 24}
_MISSING_ROLE = re.compile(r"(?P<role>[a-z_/]+) x(?P<n>\d+)")


def enum_label(kind: str, value: object, lang: str) -> str:
    """The human text of enum ``value`` of ``kind`` (``enums.<kind>.<value>``); the value itself if unknown.

    Marginalisation degrees are keyed by their CONAPO text (``'Muy alto'`` -> ``muy_alto``); a combined role
    such as ``internal_medicine/paediatrics`` is translated part by part.
    """
    if value is None or value != value or value == "":
        return ""
    text = str(value)
    if "/" in text and kind == "specialty":
        return " / ".join(enum_label(kind, part, lang) for part in text.split("/"))
    key = f"enums.{kind}.{text.lower().replace(' ', '_') if kind == 'degree' else text}"
    return t(key, lang) if has(key, lang) else text


def enum_series(kind: str, values: pd.Series, lang: str) -> pd.Series:
    """:func:`enum_label` over a column (looked up once per distinct value)."""
    labels = {v: enum_label(kind, v, lang) for v in values.dropna().unique()}
    return values.map(labels).fillna("")


def missing_roles(text: object, lang: str) -> str:
    """``'surgical_nursing x20, surgeon x4'`` in words: ``'Enfermería quirúrgica ×20, Cirujano(a) ... ×4'``."""
    if not isinstance(text, str) or not text:
        return ""
    return ", ".join(f"{enum_label('specialty', m['role'], lang)} ×{m['n']}" for m in _MISSING_ROLE.finditer(text))


def shift_code(shift: object, lang: str) -> str:
    """The code shown in a roster grid (Spanish: M, V, N, G; English: M, E, N, G); blank for a day off."""
    if not isinstance(shift, str) or not shift:
        return ""
    return enum_label("shift_code", shift, lang)
