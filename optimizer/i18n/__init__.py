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
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args
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


@dataclass(frozen=True)
class Msg:
    """A message a person reads, kept as its catalogue key and parameters until the reader's language is known
    (an error raised in a worker is read later, by whoever asks, in their language).

    A parameter may itself be a :class:`Msg` (rendered in the same language) or a list of them (one per line).
    ``str()`` is the English text: what logs and developers read. :meth:`dumps` / :func:`render_stored` keep a
    message in a text column and show it later in any language.
    """

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: :func:`resolve_lang`)."""
        return t(self.key, lang, **{k: _render(v, lang) for k, v in self.params.items()})

    def __str__(self) -> str:
        return self.text("en")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form: ``{"key": ..., "params": {...}}`` (nested messages the same way)."""
        return {"key": self.key, "params": {k: _to_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Msg:
        """The message :meth:`to_json` wrote."""
        return cls(str(doc["key"]), {k: _from_json(v) for k, v in (doc.get("params") or {}).items()})

    def dumps(self) -> str:
        """The message as text for a store column (:func:`render_stored` shows it in a reader's language)."""
        return json.dumps({_STORED: self.to_json()}, ensure_ascii=False)

    @classmethod
    def loads(cls, stored: str | None) -> Msg | None:
        """The message :meth:`dumps` wrote; None for any other text (a message stored before, as plain text)."""
        if not stored or not stored.startswith('{"' + _STORED + '"'):
            return None
        try:
            return cls.from_json(json.loads(stored)[_STORED])
        except (ValueError, KeyError, TypeError):
            return None


def msg(key: str, /, **params: Any) -> Msg:
    """A :class:`Msg` (shorthand)."""
    return Msg(key, params)


class Said(str):
    """A model's explanation built from a catalogue message: the English text (a ``str``, so the model contract's
    ``explanation: str | None``, logs and older readers are unchanged) that carries its :class:`Msg`, so where a
    person reads it (the report's stage notes, the CLI, a sweep table) it is shown in their language
    (:func:`in_lang`; :func:`msg_of` keeps it across files and processes)."""

    msg: Msg

    def __new__(cls, message: Msg) -> Said:
        text = super().__new__(cls, message.text("en"))
        text.msg = message
        return text

    def __reduce__(self) -> tuple:
        return (Said, (self.msg,))


def said(key: str, /, **params: Any) -> Said:
    """An explanation from catalogue message ``key`` (shorthand for ``Said(msg(key, **params))``)."""
    return Said(Msg(key, params))


def msg_of(text: str | Msg) -> Msg:
    """The message behind an explanation: a :class:`Said`'s own, any other text as it is (``common.text``)."""
    if isinstance(text, Msg):
        return text
    return text.msg if isinstance(text, Said) else Msg("common.text", {"text": str(text)})


def joined(*parts: str | Msg | None) -> Said | None:
    """Explanations one after another (``a; b``), each in the reader's language when it is a :class:`Said`."""
    kept = [msg_of(p) for p in parts if p]
    if not kept:
        return None
    return Said(kept[0]) if len(kept) == 1 else said("common.joined", items=_Semicolons(kept))


def in_lang(text: str | None, lang: str | None = None) -> str | None:
    """An explanation as a person reads it: a :class:`Said` in ``lang`` (default :func:`resolve_lang`), any other
    text as it is."""
    return text.msg.text(lang) if isinstance(text, Said) else text


class _Semicolons(list):
    """A parameter rendered ``a; b; c`` (a plain list renders one item per line)."""


class MsgError(ValueError):
    """An error a person reads (a bad file, row or scenario key): one catalogue message per problem.

    ``str()`` is the English text (logs); :meth:`text` is in a reader's language (Spanish first); :attr:`msg`
    keeps the problems for a reader who asks later (a run's error, an API answer, the CLI's output). Pickled with
    its messages, so an error raised in a worker process is read in the parent in any language.
    """

    def __init__(self, *problems: Msg | str) -> None:
        self.problems = [msg_of(p) for p in problems]  # a plain text (not yet in the catalogue) is kept as it is
        super().__init__(self.text("en"))

    @property
    def msg(self) -> Msg:
        """Every problem as one message (one line each)."""
        return self.problems[0] if len(self.problems) == 1 else msg("common.lines", lines=self.problems)

    def text(self, lang: str | None = None) -> str:
        """The problems in ``lang`` (default: :func:`resolve_lang`), one per line."""
        return "\n".join(p.text(lang) for p in self.problems)

    def __reduce__(self) -> tuple:
        return (_restore_error, (type(self), self.problems, self.__dict__))


def _restore_error(cls: type[MsgError], problems: list[Msg], state: dict[str, Any]) -> MsgError:
    """A :class:`MsgError` (or subclass) as :meth:`MsgError.__reduce__` pickled it."""
    exc = cls.__new__(cls)
    MsgError.__init__(exc, *problems)
    exc.__dict__.update(state)
    return exc


#: The marker of a stored :class:`Msg` in a text column (anything else there is shown as it is).
_STORED = "i18n"


def render_stored(stored: str | None, lang: str | None = None) -> str | None:
    """A text column's message in ``lang``: a :meth:`Msg.dumps` text rendered, any other text as it is."""
    message = Msg.loads(stored)
    return stored if message is None else message.text(lang)


def _render(value: Any, lang: str | None) -> Any:
    """A parameter as text: a message in ``lang``; a list one item per line; a tuple on one line, comma-separated."""
    if isinstance(value, Msg | Said):
        return (value if isinstance(value, Msg) else value.msg).text(lang)
    if isinstance(value, _Semicolons):
        return "; ".join(str(_render(v, lang)) for v in value)
    if isinstance(value, list):
        return "\n".join(str(_render(v, lang)) for v in value)
    if isinstance(value, tuple):
        return ", ".join(str(_render(v, lang)) for v in value)
    return value


#: The JSON forms of a tuple parameter and of a ``_Semicolons`` one (a list is kept as a JSON list).
_INLINE = "i18n_inline"
_SEMICOLONS = "i18n_semicolons"


def _to_json(value: Any) -> Any:
    if isinstance(value, Msg | Said):
        return {_STORED: (value if isinstance(value, Msg) else value.msg).to_json()}
    if isinstance(value, _Semicolons):
        return {_SEMICOLONS: [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, tuple):
        return {_INLINE: [_to_json(v) for v in value]}
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and _STORED in value:
        return Msg.from_json(value[_STORED])
    if isinstance(value, dict) and _INLINE in value:
        return tuple(_from_json(v) for v in value[_INLINE])
    if isinstance(value, dict) and _SEMICOLONS in value:
        return _Semicolons(_from_json(v) for v in value[_SEMICOLONS])
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def validation_msg(err: dict[str, Any]) -> Msg:
    """A pydantic error (one item of ``ValidationError.errors()``) as a message: ``validation.<type>`` with its
    context (limits, choices; whole numbers shown without decimals), else pydantic's English text as it is."""
    key = f"validation.{err.get('type', '')}"
    ctx: dict[str, Any] = {k: _shown(v) for k, v in (err.get("ctx") or {}).items() if isinstance(v, int | float | str)}
    if isinstance(ctx.get("expected"), str):  # pydantic lists choices as "'a', 'b' or 'c'": no English word
        ctx["expected"] = _choices(str(ctx["expected"]))
    if key in catalog("en") and key in catalog(DEFAULT_LANG):
        try:
            catalog("en")[key].format(**ctx)
            return Msg(key, ctx)
        except (KeyError, IndexError):
            pass
    return Msg("common.text", {"text": str(err.get("msg", "")).removeprefix("Value error, ")})


def _choices(expected: str) -> str | tuple[Msg, ...]:
    """Pydantic's choice list (``"'a', 'b' or 'c'"``) in the user's terms: when every value has a label in one
    ``enums.<family>`` of the catalogue, each choice as its label with its code (the code is what the API takes),
    else the codes as written, comma-separated."""
    values = [v.strip().strip("'\"") for v in expected.replace(" or ", ", ").split(", ")]
    labels = catalog(DEFAULT_LANG)
    families = sorted({key.split(".")[1] for key in labels if key.startswith("enums.")})
    for family in families:
        if all(f"enums.{family}.{v}" in labels for v in values):
            return tuple(msg("validation.choice", label=msg(f"enums.{family}.{v}"), value=v) for v in values)
    return expected.replace(" or ", ", ")


def _shown(value: object) -> object:
    """A limit as people write it: ``0.0`` -> ``0``, ``100000`` -> ``100,000`` (the same in es-MX and en)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return f"{int(value):,}"
    return value


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
