"""The notification assistant's pages (issue 16): the printable notification for the
municipality's secure channel (Opspor never sends it) and a leader's co-signature — which adds a
name, never a veto: nothing here changes whether the author can finalise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth.policy import Scope
from backend.db import utcnow
from backend.people.models import Child, Unit, User
from backend.people.service import child_by_id
from backend.records.access import visible_record
from backend.records.models import Record


@dataclass(frozen=True)
class PrintableNotification:
    record: Record
    child: Child | None
    unit_name: str
    author_name: str


def printable_notification(
    db: Session, scope: Scope, audit: AuditTrail, record_id: str, on: date
) -> PrintableNotification | None:
    """The notification as it is printed (None → 404: not visible, or not a notification)."""
    record = visible_record(db, scope, record_id, on)
    if record is None or record.type != "notification":
        return None
    audit.add("record.print", record.type, record.id, record.child_id, version=record.version)
    unit = db.get(Unit, record.unit_id)
    author = db.get(User, record.author_id)
    return PrintableNotification(
        record=record,
        child=child_by_id(db, record.child_id),
        unit_name=unit.name if unit else "",
        author_name=author.display_name if author else "",
    )


def co_sign_notification(
    db: Session, scope: Scope, audit: AuditTrail, user: User, record_id: str, on: date
) -> Record | None:
    """A leader of the writing unit co-signs a notification (None → 404). The status, the data
    and who may finalise are untouched: a co-signature is support, never a veto."""
    record = visible_record(db, scope, record_id, on)
    if record is None or record.type != "notification" or not scope.leads(record.unit_id):
        return None
    record.derived = {
        **record.derived,
        "co_signed_by": user.id,
        "co_signed_by_name": user.display_name,
        "co_signed_at": utcnow().isoformat(),
    }
    db.add(record)
    audit.add("record.co_sign", record.type, record.id, record.child_id, version=record.version)
    return record
