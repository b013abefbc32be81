"""Records as the contract's JSON, and the small read models the pages need."""

from __future__ import annotations

from sqlmodel import Session, select

from backend.people.models import User
from backend.records.models import Record, RecordVersion


def user_names(db: Session, user_ids: set[str]) -> dict[str, str]:
    """Display names by user id; users the session already holds (the signed-in user) are not
    read again."""
    names: dict[str, str] = {}
    for user_id in user_ids:
        user = db.identity_map.get(Session.identity_key(User, user_id)) if user_id else None
        if user is not None:
            names[user_id] = user.display_name
    missing = {user_id for user_id in user_ids if user_id and user_id not in names}
    if missing:
        rows = db.exec(select(User.id, User.display_name).where(User.id.in_(missing)))
        names.update(rows.all())
    return names


def record_json(record: Record, names: dict[str, str]) -> dict:
    return {
        "id": record.id,
        "type": record.type,
        "child_id": record.child_id,
        "unit_id": record.unit_id,
        "version": record.version,
        "status": record.status,
        "data": record.data,
        "derived": record.derived,
        "author": {"id": record.author_id, "name": names.get(record.author_id, "")},
        "updated_by": {"id": record.updated_by_id, "name": names.get(record.updated_by_id, "")},
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def versions_of(db: Session, record_id: str) -> list[RecordVersion]:
    query = select(RecordVersion).where(RecordVersion.record_id == record_id)
    return list(db.exec(query.order_by(RecordVersion.version.desc())))


def version_json(version: RecordVersion, names: dict[str, str]) -> dict:
    return {
        "version": version.version,
        "status": version.status,
        "data": version.data,
        "derived": version.derived,
        "author": {"id": version.author_id, "name": names.get(version.author_id, "")},
        "saved_at": version.saved_at.isoformat(),
    }
