"""`GET /api/forums`: the forums the caller belongs to (domain §11)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.domain.dates import today
from backend.forums.service import forums_of
from backend.web.context import SignedIn

router = APIRouter(prefix="/api", tags=["forums"])


@router.get("/forums")
def list_forums(ctx: SignedIn) -> list[dict]:
    """`[{id, name, unit_ids, next_meeting_on}]` for the caller's forums."""
    return [forum.as_json() for forum in forums_of(ctx.db, ctx.scope, today())]
