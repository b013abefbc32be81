"""FHIR export in KL's *KL Gateway Children* shapes (`/api/fhir/…`, issue 18).

- `GET /api/fhir/children/{child_id}`: the child and its final ADBB screenings and joint
  well-being assessments as a `collection` Bundle (404 outside the caller's scope).
- `GET /api/fhir/records/{record_id}`: "Send til journal" — one record with its child, as a
  download.
- `GET /api/fhir/delivery?since=…&cursor=…&count=…` (admin only): the incremental delivery. The
  guide's delivery Bundle has no `link`, so the next cursor travels in the `X-Opspor-Cursor`
  header (and, while more is waiting, a `Link: <…>; rel="next"` header).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from backend.domain.dates import today
from backend.fhir import service
from backend.web.context import SignedIn

router = APIRouter(prefix="/api/fhir", tags=["fhir"])

FHIR_JSON = "application/fhir+json"


def _fhir(bundle: dict, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type=FHIR_JSON, headers=headers)


@router.get("/children/{child_id}", responses={404: {}})
def child_bundle(ctx: SignedIn, child_id: str) -> Response:
    bundle = service.child_bundle(ctx.db, ctx.scope, ctx.audit, child_id, today())
    if bundle is None:
        raise HTTPException(404)
    return _fhir(bundle)


@router.get("/records/{record_id}", responses={404: {}})
def record_bundle(ctx: SignedIn, record_id: str) -> Response:
    bundle = service.record_bundle(ctx.db, ctx.scope, ctx.audit, record_id, today())
    if bundle is None:
        raise HTTPException(404)
    disposition = f'attachment; filename="opspor-journal-{record_id}.json"'
    return _fhir(bundle, {"Content-Disposition": disposition})


@router.get("/delivery", responses={400: {}, 404: {}})
def delivery(
    ctx: SignedIn,
    since: str | None = Query(None),
    cursor: str | None = Query(None),
    count: int = Query(service.PAGE_SIZE),
) -> Response:
    try:
        found = service.delivery(ctx.db, ctx.scope, ctx.audit, since=since, cursor=cursor, count=count)
    except service.DeliveryRequestError as error:
        raise HTTPException(400, str(error)) from error
    if found is None:
        raise HTTPException(404)
    headers = {"X-Opspor-Cursor": found.cursor}
    if found.more:
        query = urlencode({"cursor": found.cursor, "count": count})
        headers["Link"] = f'</api/fhir/delivery?{query}>; rel="next"'
    return _fhir(found.bundle, headers)
