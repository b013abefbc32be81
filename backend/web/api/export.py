"""The right-of-access export as JSON (admin only, audited).

`GET /api/export/children/{child_id}` gives the plain export. Internal working notes and
abuse-path notes are listed under `for_review` and left out; to include some of them, `POST` the
same address with `{"include": [...], "reason": "..."}` — the reason is free text and is audited,
so it travels in the body (with the CSRF token), never in the URL the server logs.
For anyone but an admin of the child's municipality the answer is 404, like any child outside scope.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from backend.admin.base import clean_line
from backend.admin.export import Inclusion, export_child
from backend.db import utcnow
from backend.domain.cpr import redact_cpr
from backend.web.context import SignedIn

router = APIRouter(prefix="/api", tags=["export"])

REASON_IN_URL = "Send include og reason i brødteksten med POST, ikke i adressen."
NO_REASON = "Skriv en begrundelse (reason) for at tage noter med, der ellers holdes tilbage."


class ExportInclusions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include: list[str] = Field(default_factory=list, max_length=500)
    reason: str = Field("", max_length=1000)


def _export(ctx: SignedIn, child_id: str, inclusion: Inclusion) -> dict:
    data = export_child(ctx, child_id, inclusion, "json", utcnow())
    if data is None:
        raise HTTPException(404)
    return data


@router.get("/export/children/{child_id}", responses={400: {}, 404: {}})
def export_child_json(ctx: SignedIn, child_id: str, request: Request) -> dict:
    """A child's data for a right-of-access request, notes for review held back."""
    if not ctx.scope.is_admin:
        raise HTTPException(404)
    if {"include", "reason"} & set(request.query_params):
        raise HTTPException(400, REASON_IN_URL)
    return _export(ctx, child_id, Inclusion(frozenset(), ""))


@router.post("/export/children/{child_id}", responses={404: {}, 422: {}})
def export_child_json_with_inclusions(ctx: SignedIn, child_id: str, body: ExportInclusions) -> dict:
    """The same export, with the named held-back notes included for the written reason."""
    if not ctx.scope.is_admin:
        raise HTTPException(404)
    reason = redact_cpr(clean_line(body.reason, 1000))
    chosen = frozenset(value[:36] for value in body.include)
    if chosen and len(reason) < 3:
        raise HTTPException(422, NO_REASON)
    return _export(ctx, child_id, Inclusion(chosen, reason))
