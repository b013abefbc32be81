"""One log line and the metrics for every request — by route template, never the raw path.

The line is `METHOD /route/{template} STATUS DURATIONms` on the `opspor.access` logger: no query
string, no ids, no client address, so neither secrets (sign-in codes, tokens) nor personal data
(CPR numbers, names in searches) can reach the log. `opspor serve` turns uvicorn's own access log
off and prints this one instead. The request middleware (`web/middleware.py`, outermost) times
each request and writes the line and the metrics.
"""

from __future__ import annotations

import logging

from starlette.types import Scope

access_log = logging.getLogger("opspor.access")

#: The label of requests no route matched (a 404 for an unknown address): never the path itself.
UNMATCHED = "<unmatched>"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED
