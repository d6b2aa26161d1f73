"""Every message has a Spanish and an English text with the same placeholders; formats follow es-MX."""

from __future__ import annotations

import string
from datetime import date, datetime

from optimizer.i18n import (
    LANGS,
    catalog,
    fmt_datetime,
    fmt_int,
    fmt_pct,
    fmt_pp,
    fmt_weekday_date,
    resolve_lang,
    t,
)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_every_language_with_the_same_placeholders() -> None:
    keys = set().union(*(catalog(lang) for lang in LANGS))
    for lang in LANGS:
        missing = sorted(keys - set(catalog(lang)))
        assert not missing, f"keys without a {lang} text: {missing[:20]}"
        empty = sorted(k for k, v in catalog(lang).items() if not v.strip())
        assert not empty, f"empty {lang} texts: {empty[:20]}"
    for key in keys:
        assert _fields(catalog("es")[key]) == _fields(catalog("en")[key]), key


def test_language_resolution_order(monkeypatch) -> None:
    monkeypatch.delenv("BIENESTAR_LANG", raising=False)
    assert resolve_lang() == "es"
    monkeypatch.setenv("BIENESTAR_LANG", "en")
    assert resolve_lang() == "en"
    assert resolve_lang(accept_language="es-MX,es;q=0.9") == "es"
    assert resolve_lang(accept_language="fr-FR, en;q=0.8, es;q=0.5") == "en"
    assert resolve_lang("es", accept_language="en") == "es"


def test_formats_follow_mexican_conventions() -> None:
    assert fmt_int(12345.6, "es") == "12,346"
    assert fmt_pct(0.5543, "es") == "55.4 %"
    assert fmt_pp(-0.004, "es") == "0.0 pp"
    assert fmt_pp(1.25, "es") == "+1.2 pp"
    assert fmt_weekday_date(date(2025, 3, 3), "es") == "lun 03/03"
    assert fmt_weekday_date(date(2025, 3, 3), "en") == "Mon 03/03"
    # 02:30 UTC on 6 Dec 2026 is 20:30 on 5 Dec in Mexico City (UTC-6, no daylight saving since 2022).
    assert fmt_datetime(datetime(2026, 12, 6, 2, 30), "es").startswith("05/12/2026 20:30")
    assert t("common.status.optimal", "es") == "óptimo"
    assert t("no.such.key", "es") == "no.such.key"
