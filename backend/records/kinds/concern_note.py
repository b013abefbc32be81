"""Concern notes (domain §4.6) and the abuse path (§6)."""

from __future__ import annotations

from backend.records.models import Record
from backend.records.rules import RecordRules, Write, register
from backend.records.tasks import ensure_task, hold_parent_facing
from backend.records.types import ConcernNoteData


class ConcernNoteRules(RecordRules):
    type = "concern_note"

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


register(ConcernNoteRules())
