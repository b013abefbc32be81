"""Consent records (domain §5): given, refused or withdrawn by a guardian of the child."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from sqlmodel import select

from backend.domain.consent import ConsentFact, allows
from backend.domain.dates import COPENHAGEN
from backend.people.models import Guardian, Unit
from backend.records.models import Record
from backend.records.rules import RecordRules, Write, register
from backend.records.types import ConsentData

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ConsentRules(RecordRules):
    type = "consent"

    def check(self, write: Write) -> None:
        data: ConsentData = write.data  # type: ignore[assignment]
        if data.decided_at is not None:
            write.past_date("decided_at", data.decided_at.date(), not_before_birth=False)
        if data.guardian and write.child is not None:
            guardian = write.db.get(Guardian, data.guardian)
            if guardian is None or guardian.child_id != write.child.id:
                write.error("guardian", "Samtykket skal gives af en af barnets forældre eller værger.")
        if write.is_final and not (data.evidence.signature or (data.evidence.typed_name or "").strip()):
            write.error("evidence.typed_name", "Få en underskrift på skærmen, eller skriv forælderens navn.")
        if data.evidence.signature and not _is_png(data.evidence.signature):
            write.error("evidence.signature", "Underskriften kunne ikke læses. Tegn den igen.")
        if data.kind == "transition_handover" and data.scope:
            self._check_transition(write, data)

    @staticmethod
    def _check_transition(write: Write, data: ConsentData) -> None:
        """A handover consent covers one of the child's transition descriptions in this unit,
        and the parents must know which unit will receive it."""
        transition = _transition_of(write, data.scope)
        if transition is None:
            write.error("scope", "Samtykket skal gælde en overgangsbeskrivelse for barnet.")
        elif data.state == "given" and not transition.data.get("to_unit_id"):
            write.error("scope", "Vælg først den modtagende enhed i overgangsbeskrivelsen.")

    def derive(self, write: Write) -> dict[str, Any]:
        data: ConsentData = write.data  # type: ignore[assignment]
        derived: dict[str, Any] = {"recorded_by": write.user.id, "recorded_by_name": write.user.display_name}
        guardian = write.db.get(Guardian, data.guardian) if data.guardian else None
        if guardian is not None:
            derived["guardian_name"] = guardian.name
        if data.kind == "transition_handover" and data.scope:
            transition = _transition_of(write, data.scope)
            to_unit = transition.data.get("to_unit_id") if transition else None
            if transition is not None:
                derived["scope_version"] = _covered_version(write, data.scope, transition)
            if to_unit:
                unit = write.db.get(Unit, to_unit)
                derived["to_unit_id"] = to_unit
                derived["to_unit_name"] = unit.name if unit else ""
        return derived

    def after_save(self, write: Write, record: Record) -> None:
        data: ConsentData = write.data  # type: ignore[assignment]
        if data.kind != "transition_handover" or not data.scope:
            return
        from backend.records.handover import sync_handover

        transition = _transition_of(write, data.scope)
        if transition is not None:
            sync_handover(write.db, transition, write.actor.audit, write.today)


def _covered_version(write: Write, scope: str, transition: Record) -> int:
    """The version of the description the parents decided about: the one current when the
    consent was first recorded — a correction of the consent (a witness, a typo) keeps it."""
    existing = write.existing
    if existing is not None and existing.data.get("scope") == scope:
        kept = existing.derived.get("scope_version")
        if isinstance(kept, int):
            return kept
    return transition.version


def _transition_of(write: Write, scope: str) -> Record | None:
    record = write.db.get(Record, scope)
    if record is None or record.type != "transition" or write.child is None:
        return None
    if record.child_id != write.child.id or record.unit_id != write.unit_id:
        return None
    return record


def _is_png(data_url: str) -> bool:
    try:
        raw = base64.b64decode(data_url.split(",", 1)[1], validate=True)
    except (binascii.Error, IndexError, ValueError):
        return False
    return raw.startswith(PNG_MAGIC)


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


register(ConsentRules())
