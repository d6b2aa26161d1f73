"""Messages and locale formats for everything a person reads: Spanish first, English on request.

One plain JSON catalogue per domain and language in ``messages/<domain>.<lang>.json`` (``web``, ``api``,
``reports``, ``workbooks``, ``kpis``, ``enums``, ...): a flat ``{"key": "text with {placeholders}"}`` map. A plain
catalogue is simpler than gettext here: no compile step, the web page reads the same JSON, and a test checks that
every key has a Spanish and an English text with the same placeholders (``tests/test_i18n.py``).

The language comes from, in order: an explicit choice (a page switch, ``--lang``), an ``Accept-Language`` header,
the ``BIENESTAR_LANG`` environment variable, then Spanish. Numbers and dates follow ``es-MX`` (or ``en``)
conventions through Babel; times are shown in ``America/Mexico_City``.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "es"
#: The users' time zone: every time a person reads is shown here.
TZ = ZoneInfo("America/Mexico_City")
_LOCALES: dict[Lang, str] = {"es": "es_MX", "en": "en_US"}
MESSAGES_DIR = Path(__file__).parent / "messages"


def resolve_lang(explicit: str | None = None, accept_language: str | None = None) -> Lang:
    """The language to use: explicit choice > ``Accept-Language`` > ``BIENESTAR_LANG`` > Spanish."""
    for candidate in (explicit, _from_accept_language(accept_language), os.environ.get("BIENESTAR_LANG")):
        lang = _normalise(candidate)
        if lang is not None:
            return lang
    return DEFAULT_LANG


def _normalise(value: str | None) -> Lang | None:
    """``'es-MX'`` -> ``'es'``; unknown or empty -> ``None``."""
    if not value:
        return None
    base = value.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGS else None  # type: ignore[return-value]


def _from_accept_language(header: str | None) -> str | None:
    """The supported language with the highest q-value in an ``Accept-Language`` header."""
    if not header:
        return None
    best: tuple[float, str] | None = None
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if _normalise(tag) is not None and (best is None or q > best[0]):
            best = (q, tag)
    return best[1] if best else None


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """Every message of one language, merged over all domain files (a key may live in one domain only)."""
    merged: dict[str, str] = {}
    for path in sorted(MESSAGES_DIR.glob(f"*.{lang}.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        clash = set(entries) & set(merged)
        if clash:
            raise ValueError(f"{path.name}: keys defined in another catalogue too: {sorted(clash)[:5]}")
        merged.update(entries)
    return merged


def t(key: str, lang: str | None = None, /, **params: object) -> str:
    """The text of ``key`` in ``lang`` (default: :func:`resolve_lang`), with ``{placeholders}`` filled.

    A key missing from the catalogue returns the key itself (never an exception in front of a user);
    ``tests/test_i18n.py`` makes sure that does not happen for keys the code uses.
    """
    text = catalog(resolve_lang(lang)).get(key)
    if text is None:
        return key
    return text.format(**params) if params else text


def has(key: str, lang: str | None = None) -> bool:
    """True when ``key`` has a text in ``lang``."""
    return key in catalog(resolve_lang(lang))


def fmt_int(value: float, lang: str | None = None) -> str:
    """A count as a whole number with thousands separators (``12,345``)."""
    return format_decimal(round(value), format="#,##0", locale=_LOCALES[resolve_lang(lang)])


def fmt_num(value: float, lang: str | None = None, digits: int = 1) -> str:
    """A measured quantity with ``digits`` decimals (``1,234.5``)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_LOCALES[resolve_lang(lang)])


def fmt_pct(share: float, lang: str | None = None, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage (``0.554`` -> ``55.4 %``)."""
    return f"{fmt_num(100 * share, lang, digits)} %"


def fmt_pp(points: float, lang: str | None = None, digits: int = 1) -> str:
    """A difference of two percentages, in percentage points with its sign (``+1.2 pp``)."""
    shown = round(points, digits)
    sign = "+" if shown > 0 else ("−" if shown < 0 else "")
    return f"{sign}{fmt_num(abs(shown), lang, digits)} pp"


def fmt_money(value: float, lang: str | None = None) -> str:
    """Mexican pesos, whole pesos (``$12,346``)."""
    return format_currency(round(value), "MXN", format="¤#,##0", locale=_LOCALES[resolve_lang(lang)],
                           currency_digits=False)


def fmt_date(day: date, lang: str | None = None, pattern: str = "medium") -> str:
    """A calendar date in the language's convention (``pattern``: Babel's short/medium/long or a CLDR pattern)."""
    return format_date(day, format=pattern, locale=_LOCALES[resolve_lang(lang)])


def fmt_weekday_date(day: date, lang: str | None = None) -> str:
    """A column header for a day: abbreviated weekday and day/month (``lun 03/03`` / ``Mon 03/03``)."""
    return format_date(day, format="EEE dd/MM", locale=_LOCALES[resolve_lang(lang)]).replace(".", "")


def to_local(moment: datetime) -> datetime:
    """``moment`` in America/Mexico_City (a naive datetime is taken as UTC, as the store writes them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(TZ)


def fmt_datetime(moment: datetime, lang: str | None = None) -> str:
    """A timestamp shown in Mexico City time, saying so (``05/12/2026 20:31 (CDMX)``)."""
    shown = format_datetime(to_local(moment), format="dd/MM/yyyy HH:mm", tzinfo=TZ,
                            locale=_LOCALES[resolve_lang(lang)])
    return f"{shown} ({t('common.time_zone', lang)})"
