"""Keep secrets and personal data out of the server's logs.

uvicorn's access log prints each request's path with its query string. The app keeps secrets
and personal data out of URLs (password links carry their token in the fragment, searches and
the export's reason are POSTed), but a URL is whatever a client sends, so the log redacts:

- the whole query of paths that carry one-time secrets (the single sign-on callback's `code`
  and `state`);
- the rest of the path after `/set-password/` (password links sent before the token moved to
  the fragment);
- the values of query parameters that may hold a search term, a free-text reason, a CPR number
  or a secret (`REDACTED_PARAMS`), on every path — also inside an encoded `next=`;
- anything anywhere in it that looks like a CPR number.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, quote

from backend.domain.cpr import redact_cpr

#: Paths whose query strings are never logged.
SECRET_QUERY_PATHS = ("/auth/oidc/callback", "/auth/citizen/callback")
#: Paths whose remainder is a secret (a password link's token, a parent invitation's link).
SECRET_PATH_PREFIXES = ("/set-password/", "/p/")
#: Query parameters whose values are never logged, on any path.
REDACTED_PARAMS = frozenset({"q", "reason", "cpr", "token", "code", "state", "password", "next"})
HIDDEN = "[skjult]"


def redact_target(target: str) -> str:
    """The request target (path and query) as it may be written to a log."""
    return redact_cpr(_redact_target(target))


def _redact_target(target: str) -> str:
    path, question, query = target.partition("?")
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            path = prefix + HIDDEN
    if not question:
        return path
    if path.startswith(SECRET_QUERY_PATHS):
        return f"{path}?{HIDDEN}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs and query:
        return f"{path}?{HIDDEN}"  # not a query we can read: keep nothing of it
    kept = [
        f"{quote(key, safe='')}={HIDDEN if key.lower() in REDACTED_PARAMS else quote(value, safe='')}"
        for key, value in pairs
    ]
    return f"{path}?{'&'.join(kept)}"


class RedactSecretQueries(logging.Filter):
    """For uvicorn's access logger: its record's third argument is the request target."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True
