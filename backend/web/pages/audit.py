"""The audit log for the municipal admin: who read or wrote what, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlmodel import select

from backend.audit import AuditEvent
from backend.people.models import User
from backend.web.context import Admin
from backend.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


@router.get("/admin/audit")
def audit_log(
    ctx: Admin,
    child_id: str = Query("", max_length=36),
    username: str = Query("", max_length=150),
    action: str = Query("", max_length=40),
    before: int | None = Query(None, ge=1),
) -> Response:
    municipality_users = select(User.id).where(User.municipality_id == ctx.user.municipality_id)
    query = (
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.actor_id.in_(municipality_users) | AuditEvent.actor_id.is_(None))
    )
    if child_id:
        query = query.where(AuditEvent.child_id == child_id.strip())
    if username:
        query = query.where(User.username == username.strip().lower())
    if action:
        query = query.where(AuditEvent.action.startswith(action.strip()))
    if before:
        query = query.where(AuditEvent.id < before)
    rows = list(ctx.db.exec(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)))
    ctx.audit.add(
        "audit.read",
        "audit_event",
        None,
        child_id.strip() or None,
        filters={"username": username, "action": action},
    )
    next_before = rows[-1][0].id if len(rows) == PAGE_SIZE else None
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
