"""CSRF protection for every unsafe request.

Signed-in requests carry the session's token, either as the `X-CSRF-Token` header (htmx, JSON,
offline replays) or as the `csrf_token` form field. Before sign-in, the token is an HMAC of a
random pre-session cookie. Tokens rendered into pages are masked with a fresh one-time pad each
time, so compressed pages do not leak them (BREACH).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PRE_SESSION_COOKIE = "opspor_pre"
HEADER = "X-CSRF-Token"
FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def pre_session_token(secret_key: str, pre_session_id: str) -> str:
    digest = hmac.new(secret_key.encode(), f"csrf:{pre_session_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def mask(token: str) -> str:
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    masked = bytes(a ^ b for a, b in zip(raw, pad, strict=True))
    return base64.urlsafe_b64encode(pad + masked).decode().rstrip("=")


def unmask(value: str) -> str | None:
    """The token behind a masked value; unmasked tokens pass through for JSON clients."""
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return value
    half = len(data) // 2
    if len(data) % 2 or half == 0:
        return value
    try:
        return bytes(a ^ b for a, b in zip(data[:half], data[half:], strict=True)).decode()
    except UnicodeDecodeError:
        return value


def token_is_valid(expected: str, given: str | None) -> bool:
    if not given or len(given) > 400:
        return False
    for candidate in (given, unmask(given)):
        if candidate and hmac.compare_digest(expected.encode(), candidate.encode()):
            return True
    return False
