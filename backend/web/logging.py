"""Keep secrets out of the server's access log.

The single sign-on callback carries the provider's one-time authorization code and `state` in
its query string; uvicorn's access log would print them. This filter drops the query string of
such paths from the log line.
"""

from __future__ import annotations

import logging

#: Paths whose query strings are never logged.
SECRET_QUERY_PATHS = ("/auth/oidc/callback",)


class RedactSecretQueries(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, _, query = args[2].partition("?")
            if query and path.startswith(SECRET_QUERY_PATHS):
                record.args = (*args[:2], path + "?[skjult]", *args[3:])
        return True
