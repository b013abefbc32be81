"""Records as the contract's JSON, and the small read models the pages need."""

from __future__ import annotations

from sqlmodel import Session, select

from backend.people.service import user_names as user_names  # moved to people; kept here for callers
from backend.records.models import Record, RecordVersion


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
