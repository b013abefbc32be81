"""The audit log for the municipal admin: who read or wrote what, newest first."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from backend.admin.audit_log import audit_page
from backend.domain.numbers import MAX_INT, parse_int
from backend.i18n import N_
from backend.web.context import Admin
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

BAD_BEFORE = N_("Feltet før (before) skal være et helt tal fra 1 til 2147483647.")


@router.get("/admin/audit")
def audit_log(
    ctx: Admin,
    child_id: str = Query("", max_length=36),
    username: str = Query("", max_length=150),
    action: str = Query("", max_length=40),
    before: str = Query("", max_length=40),
) -> Response:
    before_id = parse_int(before.strip(), low=1, high=MAX_INT) if before.strip() else None
    if before.strip() and before_id is None:
        raise HTTPException(400, BAD_BEFORE)
    rows, next_before = audit_page(ctx, child_id, username, action, before_id)
    return render(
        ctx.request,
        "audit.html",
        {
            "rows": rows,
            "child_id": child_id,
            "username": username,
            "action": action,
            "next_before": next_before,
        },
    )
