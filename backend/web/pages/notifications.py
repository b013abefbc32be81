"""The notification assistant (issue 16): a leader's co-signature. Its printable page shares
`/records/{id}/print` with the transition description (backend/web/pages/transitions.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain.dates import today
from backend.records.notifications import co_sign_notification
from backend.web.context import SignedIn
from backend.web.forms import Fields

router = APIRouter(include_in_schema=False)


@router.post("/records/{record_id}/co-sign")
def co_sign(ctx: SignedIn, record_id: str, fields: Fields) -> Response:
    record = co_sign_notification(ctx.db, ctx.scope, ctx.audit, ctx.user, record_id, today())
    if record is None:
        raise HTTPException(404)
    return RedirectResponse(f"/records/{record.id}", status_code=303)
