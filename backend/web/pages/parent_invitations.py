"""The professional's invite screen (issue 15): `/records/<id>/parents` — invite a guardian to one
task, show the link as a QR code and the code in large digits, e-mail the link, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.notify.email import send_after_response
from backend.parents.staff import (
    PART_LABELS,
    STATE_LABELS,
    InviteScreen,
    email_link,
    invite_from_screen,
    invite_screen,
    revoke_from_screen,
)
from backend.web.context import SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

#: The link and the code are shown once: never cached, never sent on as a referrer.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _show(ctx: SignedIn, screen: InviteScreen | None, status: int = 200, notice: str = "") -> Response:
    if screen is None:
        raise HTTPException(404)
    values = {
        "screen": screen,
        "child": screen.child,
        "part_labels": PART_LABELS,
        "state_labels": STATE_LABELS,
        "notice": notice,
    }
    return render(ctx.request, "parent_invitations.html", values, status, NO_STORE)


@router.get("/records/{record_id}/parents")
def invitations_page(ctx: SignedIn, record_id: str) -> Response:
    return _show(ctx, invite_screen(ctx, record_id))


@router.post("/records/{record_id}/parents")
def invite(
    ctx: SignedIn,
    record_id: str,
    guardian_id: Annotated[str, Form(max_length=40)] = "",
    part: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    screen = invite_from_screen(
        ctx, ctx.settings.base_url, record_id, {"guardian_id": guardian_id, "part": part}
    )
    status = 200 if screen is None or screen.created else (409 if not screen.errors else 422)
    return _show(ctx, screen, status)


@router.post("/records/{record_id}/parents/{invitation_id}/email")
def email(
    ctx: SignedIn, record_id: str, invitation_id: str, token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    result = email_link(ctx, ctx.settings.base_url, record_id, invitation_id, token)
    if result.status == 404:
        raise HTTPException(404)
    response = _show(
        ctx, invite_screen(ctx, record_id), 200 if result.status == 200 else result.status, result.reason
    )
    return send_after_response(ctx.db, ctx.settings, response)


@router.post("/records/{record_id}/parents/{invitation_id}/revoke")
def revoke(ctx: SignedIn, record_id: str, invitation_id: str) -> Response:
    if not revoke_from_screen(ctx, record_id, invitation_id):
        raise HTTPException(404)
    return RedirectResponse(f"/records/{record_id}/parents", status_code=303)
