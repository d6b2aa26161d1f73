"""The web page speaks the reader's language: every text comes from the catalogue (Spanish first, English on
request), ``GET /`` serves ``lang="es"`` / ``lang="en"`` with no label of the other language, and no text a
person reads is written into the page's HTML or script outside the catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_api_support import home_env, module_home

from api.app import create_app
from api.config import ApiConfig
from optimizer.i18n import catalog

STATIC = Path(__file__).resolve().parent.parent / "api" / "static"
#: Literal bits of the page that are the same in every language (brand-free symbols, formats, language names).
#: Literals in app.js that are data, not text: the script directive, CONAPO's degree names (Spanish data keys) and
#: the CLI command shown as code.
DATA_VALUES = {"use strict", "Muy alto", "bienestar report"}
NEUTRAL = {"A", "B", "CSV", "XLSX", "bk_...", "Español", "English", "+", "−", "Δ", "ID", "—"}


class _Text(HTMLParser):
    """Visible text and user-facing attributes of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.lang: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("placeholder", "aria-label", "title") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _texts(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = module_home(tmp_path_factory.getbasetemp(), "workbench-page")
    with home_env(home), TestClient(create_app(ApiConfig(scenario_dir=home / "test-scenarios"))) as c:
        yield c


@pytest.mark.parametrize(("header", "lang", "other"), [("es-MX,es;q=0.9", "es", "en"), ("en-US,en;q=0.8", "en", "es")])
def test_page_is_served_in_the_readers_language(client: TestClient, header: str, lang: str, other: str) -> None:
    r = client.get("/", headers={"Accept-Language": header})
    assert r.status_code == 200 and "{{" not in r.text
    page = _texts(r.text)
    assert page.lang == lang
    mine, theirs = catalog(lang), catalog(other)
    foreign = {v for k, v in theirs.items() if k.startswith("web.") and v != mine.get(k)}
    shown = [t for t in page.texts if t not in NEUTRAL]
    leaked = sorted({t for t in shown if t in foreign})
    assert not leaked, f"{other} labels on the {lang} page: {leaked[:10]}"
    assert mine["web.scenarios.title"] in page.texts


def test_page_switch_and_cookie_win_over_the_header(client: TestClient) -> None:
    r = client.get("/?lang=en", headers={"Accept-Language": "es-MX"})
    assert _texts(r.text).lang == "en" and r.cookies.get("bienestar_lang") == "en"
    r = client.get("/", headers={"Accept-Language": "es-MX"}, cookies={"bienestar_lang": "en"})
    assert _texts(r.text).lang == "en"
    doc = client.get("/i18n/es").json()
    assert doc["messages"]["web.runs.title"] == "Corridas" and doc["kinds"]["access.share_60"] == "share"


def test_template_has_no_text_outside_the_catalogue() -> None:
    template = (STATIC / "index.html").read_text(encoding="utf-8")
    bare = _texts(re.sub(r"\{\{\s*[a-z0-9_.]+\s*\}\}", "", template))
    leftovers = [t for t in bare.texts if re.search(r"[A-Za-zÁÉÍÓÚáéíóúñ]{2,}", t) and t not in NEUTRAL]
    assert not leftovers, f"text written into index.html instead of the catalogue: {leftovers}"
    keys = set(re.findall(r"\{\{\s*(web\.[a-z0-9_.]+)\s*\}\}", template))
    for lang in ("es", "en"):
        assert keys <= set(catalog(lang)), sorted(keys - set(catalog(lang)))


def test_script_has_no_text_outside_the_catalogue() -> None:
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    literals = re.findall(r'"((?:[^"\\\n]|\\.)*)"', code) + re.findall(r"`([^`]*)`", code)
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    classes = set(re.findall(r"\.([A-Za-z][\w-]*)", css))

    def is_text(s: str) -> bool:
        """A phrase a person reads: two words or more, not a CSS selector, class list or data value."""
        s = re.sub(r"\$\{[^}]*\}", "", s).strip()
        if s in DATA_VALUES or s.startswith(("#", ".")) or re.match(r"^[a-z-]+: ", s):  # selectors, inline styles
            return False
        if all(token in classes or token.endswith("-") for token in s.split()):  # class lists
            return False
        return re.search(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}", s) is not None

    phrases = [s for s in literals if is_text(s)]
    assert not phrases, f"text written into app.js instead of the catalogue: {phrases[:10]}"
    keys = set(re.findall(r'T\("(web\.[a-z0-9_.]+)"', code))
    for lang in ("es", "en"):
        assert keys <= set(catalog(lang)), sorted(keys - set(catalog(lang)))
