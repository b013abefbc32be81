"""Read models for transition descriptions and consent: timeline lines and the handover status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from backend.auth.policy import Scope
from backend.records.handover import HANDOVER, handover_decision
from backend.records.models import Record, RecordVersion


@dataclass
class Handover:
    """Where a transition description stands with the parents' consent and the receiving unit."""

    state: str  # draft | no_unit | awaiting | given | changed | refused | withdrawn | other_unit
    decisions: list[Record] = field(default_factory=list)
    latest: Record | None = None

    @property
    def handed_over(self) -> bool:
        return self.state == "given"


def handover_of(db: Session, scope: Scope, record: Record) -> Handover:
    """The handover status; the consent records are listed for the writing unit only."""
    decisions = consent_records(db, scope, record)
    latest = handover_decision(db, record)
    if record.status != "final":
        state = "draft"
    elif not record.data.get("to_unit_id"):
        state = "no_unit"
    elif latest is None:
        state = "awaiting"
    elif latest.data.get("state") == "given":
        given_to = latest.derived.get("to_unit_id")
        if given_to != record.data.get("to_unit_id"):
            state = "other_unit"
        elif not record.shared_with_unit_id or _changed_since_consent(db, record):
            state = "changed"
        else:
            state = "given"
    else:
        state = latest.data.get("state", "awaiting")
    return Handover(state=state, decisions=decisions, latest=latest)


def _changed_since_consent(db: Session, record: Record) -> bool:
    """The description differs from the version the receiving unit reads (the consented one)."""
    if record.shared_version is None or record.shared_version == record.version:
        return record.shared_version is None
    shown = db.exec(
        select(RecordVersion).where(
            RecordVersion.record_id == record.id, RecordVersion.version == record.shared_version
        )
    ).first()
    return shown is None or shown.data != record.data


def consent_records(db: Session, scope: Scope, record: Record) -> list[Record]:
    """The handover consents recorded for a description, newest decision first (own unit only)."""
    if record.child_id is None or record.unit_id not in scope.unit_ids:
        return []
    rows = db.exec(
        select(Record).where(
            Record.type == "consent", Record.child_id == record.child_id, Record.unit_id == record.unit_id
        )
    )
    found = [r for r in rows if r.data.get("kind") == HANDOVER and r.data.get("scope") == record.id]
    return sorted(found, key=lambda r: r.data.get("decided_at") or "", reverse=True)


def decided_at(record: Record) -> datetime | None:
    value = record.data.get("decided_at")
    return datetime.fromisoformat(value) if value else None
