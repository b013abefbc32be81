"""Concern notes (domain §4.6) and the abuse path (§6)."""

from __future__ import annotations

from datetime import date

from backend.domain.messages import N_
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.models import Record
from backend.records.rules import RecordRules, Write
from backend.records.tasks import ensure_task, hold_parent_facing
from backend.records.types import Part, Text


class ConcernNoteData(Part):
    observed_on: date | None = None
    text: Text | None = None
    abuse_path: bool = False


class ConcernNoteRules(RecordRules):
    def check(self, write: Write) -> None:
        data: ConcernNoteData = write.data  # type: ignore[assignment]
        write.past_date("observed_on", data.observed_on, not_before_birth=False)
        leaving_abuse_path = write.existing is not None and write.existing.abuse_path and not data.abuse_path
        if leaving_abuse_path and not write.actor.scope.leads(write.unit_id):
            write.error("abuse_path", "Kun lederen kan tage en note ud af sporet om vold eller overgreb.")

    def after_save(self, write: Write, record: Record) -> None:
        data: ConcernNoteData = write.data  # type: ignore[assignment]
        record.abuse_path = data.abuse_path
        if data.abuse_path and write.is_final and record.child_id:
            # Only the unit's leader is alerted; parent-facing tasks wait for the leader.
            ensure_task(
                write.db,
                key=f"abuse_path_review:{record.id}",
                kind="abuse_path_review",
                unit_id=record.unit_id,
                child_id=record.child_id,
                assignee_id=None,
                record_id=record.id,
                due_on=write.today,
            )
            hold_parent_facing(write.db, record.child_id)


def summary(record: Record) -> str:
    text = record.data.get("text") or ""
    return text[:120] + ("…" if len(text) > 120 else "")


def review_reason(record: Record) -> str | None:
    """A note on the abuse path (domain §6) needs a human look before it is exported."""
    return "abuse_path" if record.data.get("abuse_path") else None


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "observed_on": N_("Observeret"),
    "text": N_("Observation"),
    "abuse_path": "Spor om vold eller overgreb",
}


KIND = RecordKind(
    key="concern_note",
    label=N_("Bekymringsnotat"),
    schema=ConcernNoteData,
    field_labels=FIELD_LABELS,
    required_for_final=("observed_on", "text"),
    rules=ConcernNoteRules(),
    writers=EVERY_WRITER,
    summary=summary,
    key_date="observed_on",
    bool_fields=("abuse_path",),
    review_reason=review_reason,
)
