"""A consent decided by a parent on their own phone (issue 15), stored as the consent record the
handover already checks (domain §5): final, attributed to the guardian, channel "parent link",
the parent's typed name as evidence, and — for a handover — the very version of the description
the parent read. Withdrawal is a later decision of its own (state `withdrawn`), as on the staff side.

Only `backend/parents/consent.py` calls this; staff consents go through the one write path.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.db import utcnow
from backend.domain.consent import HANDOVER
from backend.domain.dates import COPENHAGEN
from backend.domain.parent_consent import CHANNEL_PARENT_LINK
from backend.people.models import Guardian, Unit, new_id
from backend.records.handover import sync_handover
from backend.records.kinds.consent import ConsentData
from backend.records.models import Record, RecordVersion


def store_parent_consent(
    db: Session,
    audit: AuditTrail,
    *,
    subject: Record,
    kind: str,
    state: str,
    guardian: Guardian,
    typed_name: str,
    covered_version: int | None,
    author_id: str,
    decided_at: datetime | None = None,
    prepared: Record | None = None,
    scope_id: str | None = None,
    extra_derived: dict[str, Any] | None = None,
) -> Record:
    """A final consent record about `subject` (a transition or a dialogue meeting of the child),
    decided by `guardian` through their link. `covered_version` is the version the parent read
    (a handover then passes on exactly that version, never a later edit). A draft consent record
    the professional `prepared` (and invited to) is completed as a new version instead of
    making another record. `scope_id` is what the consent covers when that is not `subject`
    itself (a forum or a forum meeting, with `extra_derived` naming it and its participants)."""
    now = utcnow()
    decided = (decided_at or now).astimezone(COPENHAGEN).replace(tzinfo=None)
    data = ConsentData.model_validate(
        {
            "kind": kind,
            "scope": scope_id or subject.id,
            "state": state,
            "guardian": guardian.id,
            "decided_at": decided,
            "evidence": {"typed_name": typed_name.strip()},
        }
    ).model_dump(mode="json", exclude_none=True)
    derived: dict[str, Any] = {
        "guardian_name": guardian.name,
        "channel": CHANNEL_PARENT_LINK,
        "recorded_by_name": guardian.name,
    }
    if kind == HANDOVER:
        to_unit = subject.data.get("to_unit_id")
        if covered_version is not None:
            derived["scope_version"] = covered_version
        if to_unit:
            unit = db.get(Unit, to_unit)
            derived["to_unit_id"] = to_unit
            derived["to_unit_name"] = unit.name if unit else ""
    elif covered_version is not None:
        derived["scope_version"] = covered_version
    derived.update(extra_derived or {})
    if prepared is not None and prepared.type == "consent" and prepared.status == "draft":
        record = prepared
        record.version += 1
        record.status, record.data, record.derived = "final", data, derived
        record.updated_at, record.updated_by_id = now, author_id
    else:
        record = Record(
            id=new_id(),
            type="consent",
            child_id=subject.child_id,
            unit_id=subject.unit_id,
            author_id=author_id,
            updated_by_id=author_id,
            status="final",
            version=1,
            data=data,
            derived=derived,
            created_at=now,
            updated_at=now,
        )
    db.add(record)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    db.add(
        RecordVersion(
            record_id=record.id,
            version=record.version,
            status="final",
            data=data,
            derived=derived,
            author_id=author_id,
            body_hash=digest,
            saved_at=now,
        )
    )
    db.flush()
    audit.add(
        "record.create" if record.version == 1 else "record.update",
        "consent",
        record.id,
        record.child_id,
        version=record.version,
        status="final",
        guardian_id=guardian.id,
        channel=CHANNEL_PARENT_LINK,
    )
    if kind == HANDOVER:
        sync_handover(db, subject, audit, decided.date())
    return record
