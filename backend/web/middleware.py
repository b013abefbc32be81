"""Pure ASGI middleware: security headers on every response, a cap on request bodies and JSON
bodies that can be stored (no lone surrogates)."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.domain.messages import N_

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
    ),
}


class SecurityHeadersMiddleware:
    """Adds the security headers; dynamic responses default to `Cache-Control: no-store`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Cache-Control", "no-store")
                etag = (scope.get("state") or {}).get("etag")  # set by `web/conditional.py`
                if etag:
                    headers.setdefault("ETag", etag)
                if https:
                    headers.setdefault("Strict-Transport-Security", "max-age=63072000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Refuses request bodies above a limit (413), whether announced or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _too_large(send)


class RejectNulBytesMiddleware:
    """A NUL byte never belongs in a URL (and PostgreSQL text cannot hold one): answer 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            query = scope.get("query_string", b"").lower()
            if b"\x00" in raw or b"%00" in raw.lower() or b"%00" in query or b"\x00" in query:
                await _json_error(send, 400, "Adressen indeholder ugyldige tegn.")
                return
        await self.app(scope, receive, send)


#: A surrogate in a JSON body, escaped (`\\ud800`–`\\udfff`) or as raw bytes (`json.loads` reads
#: bytes with "surrogatepass"): a cheap pre-check before parsing.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\xed[\xa0-\xbf]")
INVALID_CHARACTER = N_("Indeholder et tegn, der ikke kan gemmes.")


class RejectLoneSurrogatesMiddleware:
    """A JSON body whose text holds a lone UTF-16 surrogate (`"\\ud800"`) gets 422 naming the field.

    JSON may escape half of a surrogate pair on its own; Python reads it as a string that cannot
    be encoded as UTF-8, so it would fail wherever it is stored, hashed or logged (a 500). Every
    JSON body passes here once, before any route parses it. Form bodies cannot carry one:
    Starlette decodes them with replacement characters.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        field = _lone_surrogate_field(body) if _SURROGATE_ESCAPE.search(body) else None
        if field is not None:
            await _json_error(
                send,
                422,
                N_("Nogle felter er ikke udfyldt rigtigt."),
                [{"field": field, "message": INVALID_CHARACTER}],
            )
            return
        await self.app(scope, _replay([body], None, receive), send)


def _is_json(scope: Scope) -> bool:
    content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
    return content_type == b"application/json" or content_type.endswith(b"+json")


def _replay(bodies: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A receive that gives the buffered body (or the message read instead), then the rest."""
    queue: list[Message] = [{"type": "http.request", "body": b, "more_body": False} for b in bodies]
    if pending is not None:
        queue.append(pending)

    async def replayed() -> Message:
        return queue.pop(0) if queue else await receive()

    return replayed


def _lone_surrogate_field(body: bytes) -> str | None:
    """The dotted path of the first string (or key) holding a lone surrogate, else None."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the route answers that in its own words
    return _find_surrogate(parsed, [])


def _find_surrogate(value: Any, path: list[str]) -> str | None:
    if isinstance(value, str):
        return None if _encodable(value) else (".".join(path) or "body")
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        if isinstance(key, str) and not _encodable(key):
            return ".".join(path) or "body"  # the key itself cannot be named
        found = _find_surrogate(item, [*path, str(key)])
        if found is not None:
            return found
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    await _json_error(send, 413, N_("Forespørgslen er for stor."))


async def _json_error(send: Send, status: int, detail: str, errors: list | None = None) -> None:
    body = json.dumps({"detail": detail, "errors": errors or []}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
