"""Reading the audit log: the admin's municipality's events, newest first, a page at a time."""

from __future__ import annotations

from sqlmodel import select

from backend.admin.base import AdminContext
from backend.audit import AuditEvent
from backend.people.models import User

PAGE_SIZE = 100


def audit_page(
    ctx: AdminContext, child_id: str, username: str, action: str, before: int | None
) -> tuple[list[tuple[AuditEvent, User | None]], int | None]:
    """One page of events (with their actors) and the id to continue before, if there are more."""
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
    return rows, next_before
