"""The notification assistant (issue 16): the printable page and a leader's co-signature."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain.dates import today
from backend.records.notifications import co_sign_notification, printable_notification
from backend.web.context import SignedIn
from backend.web.forms import Fields
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/records/{record_id}/print")
def print_page(ctx: SignedIn, record_id: str) -> Response:
    view = printable_notification(ctx.db, ctx.scope, ctx.audit, record_id, today())
    if view is None:
        raise HTTPException(404)
    return render(ctx.request, "records/notification_print.html", {"view": view, "data": view.record.data})


@router.post("/records/{record_id}/co-sign")
def co_sign(ctx: SignedIn, record_id: str, fields: Fields) -> Response:
    record = co_sign_notification(ctx.db, ctx.scope, ctx.audit, ctx.user, record_id, today())
    if record is None:
        raise HTTPException(404)
    return RedirectResponse(f"/records/{record.id}", status_code=303)
