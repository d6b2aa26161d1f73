"""Request body size limits, enforced before the body reaches any endpoint.

A pure ASGI middleware. It refuses a request whose ``Content-Length`` exceeds the limit (413) and a
streamed (chunked) body without a length (411), so no endpoint ever reads more than the limit. Uploads
under ``/ingest`` get the larger upload limit; every other request gets the JSON body limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from optimizer.i18n import msg, resolve_lang, t

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodySizeLimit:
    """Answer 413 to bodies over ``max_body`` bytes (``max_upload`` bytes under ``upload_prefix``)."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int, upload_prefix: str = "/ingest") -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_prefix = upload_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if scope["path"].startswith(self.upload_prefix) else self.max_body
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0 or declared > limit:
                await _reply(send, 413, msg("api.limits.too_large", limit=f"{limit:,}").text(_lang(scope, headers)))
                return
        elif b"transfer-encoding" in headers:
            await _reply(send, 411, t("api.limits.no_length", _lang(scope, headers)))
            return
        await self.app(scope, receive, send)


def _lang(scope: Scope, headers: dict[bytes, bytes]) -> str:
    """The caller's language as :func:`api.errors.request_lang` reads it (``?lang=``, ``Accept-Language``)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    return resolve_lang(query, headers.get(b"accept-language", b"").decode("latin-1") or None)


async def _reply(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
