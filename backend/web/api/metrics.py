"""`GET /metrics`: Prometheus's text format, for loopback clients or with the metrics token.

Behind the proxy every outside client has an outside address (the app trusts X-Forwarded-For
only from `OPSPOR_TRUSTED_PROXIES`), and deploy/nginx.conf does not pass `/metrics` on at all.
A Prometheus on another host sends `Authorization: Bearer <OPSPOR_METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.config import get_settings
from backend.metrics import render_latest
from backend.web.errors import error_json

router = APIRouter(include_in_schema=False)

LOOPBACK = frozenset({"127.0.0.1", "::1"})


def metrics_allowed(request: Request, token: str) -> bool:
    if request.client is not None and request.client.host in LOOPBACK:
        return True
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@router.get("/metrics")
def prometheus_metrics(request: Request) -> Response:
    if not metrics_allowed(request, get_settings().metrics_token):
        return error_json(403)
    body, content_type = render_latest()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
