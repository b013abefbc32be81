"""What a device needs to keep its offline copy true: the caller's scope and what to download
(`backend/records/offline.py`)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.db import utcnow
from backend.domain.dates import today
from backend.records import offline
from backend.web.context import SignedIn

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
    urls, children = offline.offline_manifest(ctx, today())
    return {"urls": urls, "children": children}
