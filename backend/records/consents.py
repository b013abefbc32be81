"""What a child's parents decided (final consent records): read by the consent kind's rules and
form, the transition handover and the meeting kinds. A service of its own, so that
`records/handover.py` and `records/kinds/consent.py` (whose rules call `sync_handover`) need not
import each other."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from backend.domain.consent import ConsentFact, allows
from backend.domain.dates import COPENHAGEN
from backend.records.models import Record


def _decided_at(data: dict) -> datetime:
    decided_at = datetime.fromisoformat(data["decided_at"])
    return decided_at.replace(tzinfo=COPENHAGEN) if decided_at.tzinfo is None else decided_at


def _final_consents(db, child_id: str) -> list[Record]:
    rows = db.exec(
        select(Record).where(Record.type == "consent", Record.child_id == child_id, Record.status == "final")
    )
    return [
        row
        for row in rows
        if row.data.get("kind")
        and row.data.get("scope")
        and row.data.get("state")
        and row.data.get("decided_at")
    ]


def consent_facts(db, child_id: str) -> list[ConsentFact]:
    """Every final consent decision recorded for a child."""
    return [
        ConsentFact(row.data["kind"], row.data["scope"], row.data["state"], _decided_at(row.data))
        for row in _final_consents(db, child_id)
    ]


def consent_given(db, child_id: str, kind: str, scope: str) -> bool:
    return allows(consent_facts(db, child_id), kind, scope)


def latest_decision(db, child_id: str, kind: str, scope: str) -> Record | None:
    """The consent record holding the latest final decision for a kind and scope."""
    rows = [r for r in _final_consents(db, child_id) if r.data["kind"] == kind and r.data["scope"] == scope]
    return max(rows, key=lambda r: _decided_at(r.data), default=None)
