"""What a device needs to keep its offline copy true: the caller's scope and what to download
(`backend/records/offline.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from backend.auth.devices import note_protection
from backend.db import utcnow
from backend.domain.dates import today
from backend.domain.protection import protection_of
from backend.notify.email import send_after_response
from backend.records import offline
from backend.sync.batch import BatchRefused, sync
from backend.sync.manifest import offline_manifest_with_versions
from backend.sync.sealing import recipient
from backend.web.context import SignedIn
from backend.web.errors import error_json

router = APIRouter(prefix="/api", tags=["sync"])


@router.get("/sync/scope")
def sync_scope(ctx: SignedIn) -> dict:
    """The children the caller may keep on the device now; a device deletes every other child."""
    return {
        "user_id": ctx.user.id,
        "children": offline.children_to_keep(ctx.db, ctx.scope, today()),
        "offline_days": ctx.municipal.offline_days,
        "server_time": utcnow().isoformat(),
    }


@router.get("/offline/manifest")
def offline_manifest(ctx: SignedIn) -> dict:
    """Every page the caller may need without network: the shell, the caseload's child pages,
    a blank form per record type and child, and the children's recent records."""
    urls, children, etags = offline_manifest_with_versions(ctx, today())
    return {"urls": urls, "children": children, "etags": etags}


@router.get("/sync/key")
def sync_key(ctx: SignedIn) -> JSONResponse:
    """The server's current sealing key `{"kid", "jwk"}`: a locked phone seals its queued writes
    and offline reads to it (README, "Working offline"). The same for every user; an hour's cache."""
    return JSONResponse(recipient(ctx.db, ctx.settings), headers={"Cache-Control": "private, max-age=3600"})


SYNC_EXAMPLE = {
    "items": [
        {
            "id": "…",
            "schema": 1,
            "type": "concern_note",
            "child_id": "…",
            "base_version": None,
            "status": "final",
            "data": {"observed_on": "2026-11-23", "text": "…"},
        }
    ],
    "reads": [{"child_id": "…", "at": "2026-12-07T09:14:03+01:00"}],
    "since": "2026-12-06T18:00:00+00:00",
}


@router.post("/sync", responses={413: {}, 422: {}})
def post_sync(ctx: SignedIn, body: Any = Body(..., examples=[SYNC_EXAMPLE])) -> JSONResponse:
    """A batch of queued writes (each decided as `PUT /api/records/{id}`), offline reads, and
    the children that left the caller's scope since `since` (README, "Working offline")."""
    try:
        answer = sync(ctx, body)
    except BatchRefused as refused:
        return error_json(refused.status, refused.detail)
    return send_after_response(ctx.db, ctx.settings, JSONResponse(answer.json()))


PROTECTION_REFUSED = "Feltet 'methods' skal være en liste med 'pin' eller 'passkey' eller begge."
NO_DEVICE = "Denne browser er ikke kendt som en af dine telefoner. Log ind igen."


@router.post("/devices/current/protection", responses={404: {}, 422: {}})
def device_protection(
    ctx: SignedIn, body: Any = Body(..., examples=[{"methods": ["passkey", "pin"]}])
) -> JSONResponse:
    """The phone tells the server how it now guards its offline data: `{"methods": [...]}`, every
    method it holds ("pin", "passkey"), or `{"method": "pin"|"passkey"}` (an older release: that
    one), for the admin's list of devices. The device is the one the device cookie names."""
    field = "method" if isinstance(body, dict) and "methods" not in body and "method" in body else "methods"
    given = body.get(field) if isinstance(body, dict) else None
    protection = protection_of([given] if field == "method" else given)
    if protection is None:
        return error_json(422, PROTECTION_REFUSED, [{"field": field, "message": PROTECTION_REFUSED}])
    device = note_protection(ctx.db, ctx.audit, ctx.user, ctx.device_id, protection)
    if device is None:
        return error_json(404, NO_DEVICE)
    return JSONResponse({"device_id": device.id, "protection": device.protection})
