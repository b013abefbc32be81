"""The request middleware (issue 21: one pure ASGI layer instead of seven, each of which cost
every request a coroutine, a wrapped `send` and a header scan). Outermost first, it:

- logs one line and counts the metrics of every request (`web/observability.py`);
- lets password sign-ins wait for a slot before they reach a thread (`web/signin_gate.py`);
- adds the security headers to every response (dynamic ones default to `no-store`);
- answers an exception no handler took with a Danish 500 or 503 (`web/errors.py`), inside the
  security headers;
- refuses a NUL byte in the address (400), request bodies above the limit (413: announced or
  streamed) and JSON bodies with a lone surrogate (422, naming the field).

Starlette's gzip middleware runs inside it."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend import metrics
from backend.domain.messages import N_
from backend.web.errors import unexpected_error_answer
from backend.web.observability import access_log, route_template
from backend.web.signin_gate import SIGN_IN_ROUTES

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


#: The security headers as the raw pairs a response carries, `no-store` last: added to every
#: response that does not set them itself.
_SECURITY_PAIRS = (
    *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()),
    (b"cache-control", b"no-store"),
)
_HSTS = (b"strict-transport-security", b"max-age=63072000")


def _secured(headers: Any, scope: Scope, https: bool) -> list[tuple[bytes, bytes]]:
    """The response's headers with each security header it lacks, its ETag (set by
    `web/conditional.py` in the request's state) and, over HTTPS, Strict-Transport-Security."""
    secured = list(headers)
    present = {name.lower() for name, _ in secured}
    secured += [pair for pair in _SECURITY_PAIRS if pair[0] not in present]
    etag = (scope.get("state") or {}).get("etag")
    if etag and b"etag" not in present:
        secured.append((b"etag", etag.encode("latin-1")))
    if https and _HSTS[0] not in present:
        secured.append(_HSTS)
    return secured


class RequestMiddleware:
    """Every HTTP request's one middleware (see the module's docstring for what it does, in order)."""

    def __init__(self, app: ASGIApp, max_bytes: int, sign_in_slots: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.sign_in_slots = max(1, sign_in_slots)
        self._sign_in_limiter: anyio.CapacityLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        status = 500
        started = False
        https = scope.get("scheme") == "https"

        async def send_secured(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = _secured(message.get("headers", ()), scope, https)
            await send(message)

        async def answer() -> None:
            try:
                try:
                    await self._checked(scope, receive, send_secured)
                except _BodyTooLarge:
                    if not started:
                        await _too_large(send_secured)
            except Exception as error:
                response = unexpected_error_answer(error, scope)
                if started:
                    raise
                await response(scope, receive, send_secured)

        try:
            if (scope.get("method"), scope.get("path")) in SIGN_IN_ROUTES:
                if self._sign_in_limiter is None:  # made inside the running event loop
                    self._sign_in_limiter = anyio.CapacityLimiter(self.sign_in_slots)
                async with self._sign_in_limiter:
                    await answer()
            else:
                await answer()
        finally:
            elapsed = time.perf_counter() - started_at
            method = scope.get("method", "")
            route = route_template(scope)
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.HTTP_LATENCY.labels(method=method, route=route).observe(elapsed)
            metrics.PROCESS_REQUESTS.inc()
            access_log.info("%s %s %d %.1fms", method, route, status, elapsed * 1000)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The address, the body's size and a JSON body's text checked, then the app."""
        raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        query = scope.get("query_string", b"").lower()
        if b"\x00" in raw or b"%00" in raw.lower() or b"%00" in query or b"\x00" in query:
            await _json_error(send, 400, "Adressen indeholder ugyldige tegn.")
            return
        declared = content_type = None
        for name, value in scope["headers"]:  # the last of a repeated header counts, as before
            if name == b"content-length":
                declared = value
            elif name == b"content-type":
                content_type = value
        max_bytes = self.max_bytes
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await _too_large(send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _BodyTooLarge
            return message

        if content_type is not None and _is_json(content_type):
            await self._json_checked(scope, limited_receive, send)
        else:
            await self.app(scope, limited_receive, send)

    async def _json_checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A JSON body whose text holds a lone UTF-16 surrogate (`"\\ud800"`) gets 422 naming the
        field.

        JSON may escape half of a surrogate pair on its own; Python reads it as a string that
        cannot be encoded as UTF-8, so it would fail wherever it is stored, hashed or logged (a
        500). Every JSON body passes here once, before any route parses it. Form bodies cannot
        carry one: Starlette decodes them with replacement characters.
        """
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


#: A surrogate in a JSON body, escaped (`\\ud800`–`\\udfff`) or as raw bytes (`json.loads` reads
#: bytes with "surrogatepass"): a cheap pre-check before parsing.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\xed[\xa0-\xbf]")
INVALID_CHARACTER = N_("Indeholder et tegn, der ikke kan gemmes.")


def _is_json(content_type: bytes) -> bool:
    media_type = content_type.split(b";")[0].strip().lower()
    return media_type == b"application/json" or media_type.endswith(b"+json")


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
