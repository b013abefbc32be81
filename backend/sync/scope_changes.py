"""Children who left a user's scope since a moment: what a device must purge at its next sync.

A child leaves a user's scope when a placement in one of the user's units ends (a move takes
effect, the child leaves the municipality), when the user loses a role in a unit, or when the
retention job deletes the child. Offline copies of those children must go (architecture:
"On sync, the server lists children that left the user's scope"). The answer may include a
child the device never held; purging is idempotent. It never includes a child still in scope.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from backend.audit import AuditEvent
from backend.auth.policy import children_in_scope, load_scope
from backend.domain.dates import COPENHAGEN, today
from backend.people.models import Placement, User


def children_left_scope(db: Session, user_id: str, since: datetime, on: date | None = None) -> list[str]:
    """Ids of the children who were in the user's scope at some day since `since` and are not now."""
    user = db.get(User, user_id)
    if user is None:
        return []
    on = on or today()
    since_day = since.astimezone(COPENHAGEN).date() - timedelta(days=1)  # a day of slack: over-purge
    scope = load_scope(db, user)
    units = set(scope.unit_ids) | _units_lost_since(db, user_id, since)
    if not units:
        return []
    was_placed = select(Placement.child_id).where(
        Placement.unit_id.in_(units),
        Placement.starts_on <= on,
        or_(Placement.ends_on.is_(None), Placement.ends_on >= since_day),
    )
    candidates = set(db.exec(was_placed))
    still_in_scope = {child.id for child, _placement in children_in_scope(db, scope, on, limit=100_000)}
    deleted = _deleted_children_since(db, units, since)
    return sorted((candidates - still_in_scope) | deleted)


def _units_lost_since(db: Session, user_id: str, since: datetime) -> set[str]:
    query = select(AuditEvent).where(
        AuditEvent.action == "user.role_removed", AuditEvent.object_id == user_id, AuditEvent.at >= since
    )
    return {event.detail.get("unit_id") for event in db.exec(query) if event.detail.get("unit_id")}


def _deleted_children_since(db: Session, units: set[str], since: datetime) -> set[str]:
    query = select(AuditEvent).where(AuditEvent.action == "retention.child_deleted", AuditEvent.at >= since)
    return {
        event.child_id
        for event in db.exec(query)
        if event.child_id and units & set(event.detail.get("unit_ids") or [])
    }
