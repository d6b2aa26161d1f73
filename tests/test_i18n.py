"""Every message has a Spanish and an English text with the same placeholders; formats follow es-MX."""

from __future__ import annotations

import pickle
import re
import string
from datetime import date, datetime
from pathlib import Path

import pytest

from optimizer.i18n import (
    LANGS,
    catalog,
    fmt_datetime,
    fmt_int,
    fmt_pct,
    fmt_pp,
    fmt_weekday_date,
    msg,
    render_stored,
    resolve_lang,
    t,
)
from optimizer.scenarios.yamlfile import ScenarioError, parse_scenario


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


#: Where the code names a catalogue key with a literal: ``msg("k")``, ``t("k")``, ``T("k")`` (the page),
#: ``has("k")``, ``key="k"`` (API errors); a ``PydanticCustomError("type", ...)`` is ``validation.<type>``.
_KEY = r"""["']([a-z_]+\.[a-z0-9_.]+)["']"""
_KEY_USES = re.compile(rf"(?:\bmsg|\bt|\bT|\bhas)\(\s*{_KEY}|\bkey={_KEY}")
_CUSTOM_ERRORS = re.compile(r"""PydanticCustomError\(\s*["']([a-z_0-9]+)["']""")
ROOT = Path(__file__).resolve().parent.parent


def test_every_message_key_the_code_uses_has_spanish_and_english() -> None:
    """A message a person reads never falls back to its key or to English: each key the code names has both."""
    used: dict[str, str] = {}
    files = [*ROOT.glob("optimizer/**/*.py"), *ROOT.glob("api/**/*.py"), *ROOT.glob("api/static/*.js")]
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        text = "\n".join(line for line in lines if not line.lstrip().startswith(("#", "//")))  # not comments
        for m in _KEY_USES.finditer(text):
            used[m.group(1) or m.group(2)] = path.name
        for m in _CUSTOM_ERRORS.finditer(text):
            used[f"validation.{m.group(1)}"] = path.name
    assert len(used) > 100, len(used)  # the scan sees the code
    for lang in LANGS:
        missing = sorted(f"{k} ({f})" for k, f in used.items() if k not in catalog(lang))
        assert not missing, f"keys used without a {lang} text: {missing}"


def test_scenario_errors_are_spanish_first_with_their_file_line_key_and_value() -> None:
    text = ("name: x\nplanning_month: 3\ndemand:\n  - factor: 1.2\n    months: [13]\n    states: ['99']\n"
            "models: [capacity, capacity]\ncapacity:\n  time_limit_s: -1\n  tiem: 3\n")
    with pytest.raises(ScenarioError) as bad:
        parse_scenario(text, source="x.yaml")
    es, en = bad.value.text("es").splitlines(), bad.value.text("en").splitlines()
    assert len(es) == len(en) == 5
    expected_es = ["x.yaml: línea 5: demand.0.months: el mes 13 no está en 1..12",
                   "x.yaml: línea 6: demand.0.states: '99' no es una clave de estado 01..32",
                   "x.yaml: línea 7: models: un modelo aparece dos veces",
                   "x.yaml: línea 9: capacity.time_limit_s: Debe ser mayor que 0.",
                   "x.yaml: línea 10: capacity.tiem: clave desconocida"]
    for want, line in zip(expected_es, sorted(es, key=lambda s: int(s.split()[2].rstrip(":"))), strict=True):
        assert line.startswith(want), (want, line)
    assert any(line.startswith("x.yaml: line 9: capacity.time_limit_s: Must be greater than 0.") and "(got -1)" in line
               for line in en), en
    assert str(bad.value) == bad.value.text("en")  # what the log reads


def test_a_stored_message_is_read_later_in_each_readers_language() -> None:
    why = msg("run.prepare_failed", folder="r-1", reason=ScenarioError(
        msg("scenario.override.not_depot", key="D999", known="D001, D002"),
        msg("scenario.dataset.missing", path="ds")).msg)
    stored = why.dumps()
    spanish = render_stored(stored, "es")
    assert spanish.startswith("falló la preparación de los datos de r-1: depots.close: 'D999' no es"), spanish
    assert render_stored(stored, "en").startswith("preparing the inputs of r-1 failed: depots.close: 'D999' is not a")
    assert render_stored(stored, "en").splitlines()[1].startswith("dataset.path: ds holds no dataset")
    assert render_stored("a plain old message", "es") == "a plain old message"


def test_errors_cross_processes_with_their_messages() -> None:
    """A scenario error raised in a worker process is read in the parent in any language (pickled whole)."""
    from api.inputs import InputTooLarge
    from optimizer.scenarios.overrides import OverrideError
    from optimizer.scenarios.runner import RunError

    for exc in (OverrideError(msg("scenario.override.not_depot", key="D9", known="D1")),
                InputTooLarge("api.input.yaml_too_deep", source="s.yaml", line=3, limit=24),
                ScenarioError(msg("scenario.no_file", path="a.yaml"), msg("scenario.not_mapping", source="b.yaml"))):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and back.text("es") == exc.text("es") and str(back) == str(exc)
    assert pickle.loads(pickle.dumps(InputTooLarge("api.input.yaml_anchor", source="s", line=1))).key == \
        "api.input.yaml_anchor"
    run = pickle.loads(pickle.dumps(RunError(msg("run.degraded"))))
    assert run.msg.text("es").startswith("un modelo no llegó")
