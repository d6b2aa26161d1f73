"""The web page in the reader's language: ``GET /`` renders ``static/index.html`` with every ``{{web.key}}``
replaced by its text, and ``GET /i18n/{lang}`` gives the page script its messages, KPI labels and kinds.

The language is the page's switch (``?lang=``, remembered in the ``bienestar_lang`` cookie), else
``Accept-Language``, else ``BIENESTAR_LANG``, else Spanish. Neither route needs a key: they carry no data,
only the page's own text (as the static files do).
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from optimizer.i18n import LANGS, Lang, catalog, resolve_lang
from optimizer.i18n.kpis import AUDIENCE_HEADLINES, KINDS

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
COOKIE = "bienestar_lang"
#: Catalogue prefixes the page script reads.
PAGE_DOMAINS = ("web.", "kpis.", "common.", "validation.")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_.]+)\s*\}\}")

router = APIRouter(include_in_schema=False)


def page_lang(request: Request) -> Lang:
    """The page's language: switch (query), cookie, ``Accept-Language``, environment, Spanish."""
    explicit = request.query_params.get("lang") or request.cookies.get(COOKIE)
    return resolve_lang(explicit, request.headers.get("accept-language"))


@cache
def render(lang: Lang) -> str:
    """``index.html`` in ``lang``: ``{{lang}}`` and every ``{{web.key}}`` filled (HTML-escaped)."""
    messages = catalog(lang)
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        key = match.group(1)
        return lang if key == "lang" else html.escape(messages.get(key, key))

    return _PLACEHOLDER.sub(fill, template)


@router.get("/")
def index(request: Request) -> HTMLResponse:
    lang = page_lang(request)
    response = HTMLResponse(render(lang), headers={"Content-Language": lang, "Vary": "Accept-Language, Cookie"})
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/i18n/{lang}")
def messages(lang: str) -> JSONResponse:
    """The page script's messages in ``lang`` (unknown languages get Spanish), KPI kinds and audiences."""
    chosen = resolve_lang(lang) if lang in LANGS else "es"
    texts = {k: v for k, v in catalog(chosen).items() if k.startswith(PAGE_DOMAINS)}
    return JSONResponse({"lang": chosen, "messages": texts, "kinds": KINDS, "audiences": AUDIENCE_HEADLINES},
                        headers={"Cache-Control": "max-age=300"})
