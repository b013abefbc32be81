"""`GET /api/export/children/{child_id}`: the right-of-access export as JSON (admin only, audited).

For anyone but an admin of the child's municipality the answer is 404, like any child outside
scope. Internal working notes and abuse-path notes are listed under `for_review` and left out,
unless named in `include` (repeatable) together with a `reason` — which is audited.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from backend.admin.base import clean_line
from backend.admin.export import Inclusion
from backend.domain.cpr import redact_cpr
from backend.web.context import SignedIn
from backend.web.pages.admin_export import export_child

router = APIRouter(prefix="/api", tags=["export"])


@router.get("/export/children/{child_id}", responses={404: {}, 422: {}})
def export_child_json(
    ctx: SignedIn,
    child_id: str,
    include: list[str] = Query([]),
    reason: str = Query("", max_length=1000),
) -> dict:
    """A child's data for a right-of-access request."""
    if not ctx.scope.is_admin:
        raise HTTPException(404)
    reason = redact_cpr(clean_line(reason, 1000))
    chosen = frozenset(value[:36] for value in include[:500])
    if chosen and len(reason) < 3:
        raise HTTPException(
            422, "Skriv en begrundelse (reason) for at tage noter med, der ellers holdes tilbage."
        )
    return export_child(ctx, child_id, Inclusion(chosen, reason), "json")
