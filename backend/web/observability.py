"""One log line and the metrics for every request — by route template, never the raw path.

The line is `METHOD /route/{template} STATUS DURATIONms` on the `opspor.access` logger: no query
string, no ids, no client address, so neither secrets (sign-in codes, tokens) nor personal data
(CPR numbers, names in searches) can reach the log. `opspor serve` turns uvicorn's own access log
off and prints this one instead.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend import metrics

access_log = logging.getLogger("opspor.access")

#: The label of requests no route matched (a 404 for an unknown address): never the path itself.
UNMATCHED = "<unmatched>"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class ObservabilityMiddleware:
    """Outermost middleware: times the request, counts it, logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        finally:
            elapsed = time.perf_counter() - started
            method = scope.get("method", "")
            route = route_template(scope)
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.HTTP_LATENCY.labels(method=method, route=route).observe(elapsed)
            metrics.PROCESS_REQUESTS.inc()
            access_log.info("%s %s %d %.1fms", method, route, status, elapsed * 1000)
