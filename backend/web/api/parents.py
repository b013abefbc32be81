"""`POST /api/parent-invitations` and `DELETE /api/parent-invitations/{id}` (contract "Parents")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response

from backend.parents.service import invite_parent, revoke_invitation
from backend.web.context import SignedIn
from backend.web.errors import error_json

router = APIRouter(prefix="/api", tags=["parents"])

INVITE_EXAMPLE = {"record_id": "…", "part": "transition_parents_part", "guardian_id": "…"}


@router.post("/parent-invitations", status_code=201, responses={403: {}, 404: {}, 409: {}, 422: {}})
def post_parent_invitation(ctx: SignedIn, body: Any = Body(..., examples=[INVITE_EXAMPLE])) -> JSONResponse:
    """Invite a guardian to one task: a one-time link (valid 14 days) and a six-digit code."""
    result = invite_parent(ctx, ctx.settings.base_url, body)
    if result.status != 201:
        return error_json(result.status, result.detail or None, result.errors)
    response = JSONResponse(result.json(), status_code=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.delete("/parent-invitations/{invitation_id}", status_code=204, responses={404: {}})
def delete_parent_invitation(ctx: SignedIn, invitation_id: str) -> Response:
    """Revoke an invitation: its link answers 410 from now on."""
    if not revoke_invitation(ctx, invitation_id):
        return error_json(404, "Invitationen findes ikke.")
    return Response(status_code=204)
