"""Error responses: one JSON shape (``{"error": ...}``), never a stack trace.

Expected failures raise :class:`ApiError` with a status and a planner-readable message. Request validation
errors keep FastAPI's documented 422 shape (``detail``: list of ``loc``/``msg``/``type``) without echoing
the input. Anything unexpected is logged server-side with an id and answered with a 500 carrying only
that id.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from optimizer.i18n import Msg, has, resolve_lang, t, validation_msg

log = logging.getLogger("bienestar.api")


class ApiError(Exception):
    """An expected failure answered with ``status`` and ``{"error": message}``.

    ``key`` (with ``params``) names the message in the ``api`` catalogue, or ``message`` is a :class:`Msg`
    (e.g. a :class:`ScenarioError`'s problems): the answer is then in the caller's language (``?lang=``,
    ``Accept-Language``, ``BIENESTAR_LANG``, Spanish), with server paths cut (:func:`scrub_paths`); the English
    text is kept for logs and for keys a catalogue lacks.
    """

    def __init__(self, status: int, message: str | Msg, headers: dict[str, str] | None = None, *,
                 key: str | None = None, **params: Any) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = str(message)
        self.msg = message if isinstance(message, Msg) else None
        self.headers = headers or {}
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        """The message in ``lang`` (English source text when the key has no catalogue entry)."""
        if self.msg is not None:
            return scrub_paths(self.msg.text(lang)) or ""
        return Msg(self.key, self.params).text(lang) if self.key and has(self.key, lang) else self.message


def request_lang(request: Request) -> str:
    """The language the caller reads: ``?lang=``, then ``Accept-Language``, then ``BIENESTAR_LANG``, Spanish."""
    return resolve_lang(request.query_params.get("lang"), request.headers.get("accept-language"))


#: An absolute POSIX path of two or more parts (what a server folder looks like in a message).
_ABS_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/'\"`:,;()]+/)+([^\s/'\"`:,;()]*)")


def scrub_paths(message: str | None) -> str | None:
    """``message`` with every absolute path cut to its last part: errors never describe server folders."""
    if message is None:
        return None
    return _ABS_PATH.sub(lambda m: m.group(1) or ".", message)


class ErrorBody(BaseModel):
    """Body of every non-2xx response except 422."""

    error: str


def _error_response(description: str) -> dict[str, object]:
    return {"model": ErrorBody, "description": description}


#: Responses every authenticated endpoint may give (documented in the OpenAPI schema).
AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: _error_response("missing, invalid or revoked API key"),
    403: _error_response("the key's role may not use this endpoint"),
    413: _error_response("request body larger than the limit"),
}
NOT_FOUND = {404: _error_response("no such resource")}
CONFLICT = {409: _error_response("the resource is not in a state that allows this")}
TOO_MANY = {429: _error_response("too many runs executing; retry after the Retry-After seconds")}
BAD_REQUEST = {400: _error_response("the body cannot be parsed, or its content is not usable")}


#: Methods an ``Allow`` header may name.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on the request's path (Starlette's own ``Allow`` names only
    the first route that matched the path, e.g. ``POST`` for ``/runs`` where ``GET`` is allowed too)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.routes:
            if route.matches(scope)[0] == Match.FULL:
                if not isinstance(route, Mount) or method in ("GET", "HEAD"):  # mounts serve static files
                    allowed.append(method)
                break
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the shapes above."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.text(request_lang(request))}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if has(f"api.http.{exc.status_code}"):  # Starlette's own English ("Not Found"), in the caller's language
            message = t(f"api.http.{exc.status_code}", request_lang(request))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = request_lang(request)
        detail = [
            {"loc": [str(p) for p in err.get("loc", ())], "msg": validation_message(err, lang),
             "type": str(err.get("type", ""))}
            for err in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex[:12]
        log.error("unhandled error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": t("api.internal", request_lang(request), id=error_id)}, status_code=500)


def validation_message(err: dict[str, Any], lang: str) -> str:
    """A pydantic error in the caller's language (:func:`optimizer.i18n.validation_msg`: ``validation.<type>``
    with its context, or pydantic's English text for types the catalogue lacks). The input is never echoed."""
    return validation_msg(err).text(lang)
