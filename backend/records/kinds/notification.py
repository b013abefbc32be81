"""The notification log (domain §4.6): a missing receipt after 6 working days becomes a task."""

from __future__ import annotations

from datetime import date
from typing import Any

from backend.domain.messages import N_
from backend.domain.notification import receipt_due_on
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.models import Record
from backend.records.rules import RecordRules, Write
from backend.records.tasks import close_tasks, ensure_task
from backend.records.types import Part, ShortText, Text


class NotificationData(Part):
    sent_on: date | None = None
    authority: ShortText | None = None
    summary: Text | None = None
    receipt_on: date | None = None


class NotificationRules(RecordRules):
    def check(self, write: Write) -> None:
        data: NotificationData = write.data  # type: ignore[assignment]
        write.past_date("sent_on", data.sent_on)
        write.past_date("receipt_on", data.receipt_on)
        if data.sent_on and data.receipt_on and data.receipt_on < data.sent_on:
            write.error("receipt_on", "Kvitteringen kan ikke være modtaget, før underretningen blev sendt.")

    def derive(self, write: Write) -> dict[str, Any]:
        data: NotificationData = write.data  # type: ignore[assignment]
        return {"receipt_due_on": receipt_due_on(data.sent_on).isoformat()} if data.sent_on else {}

    def after_save(self, write: Write, record: Record) -> None:
        data: NotificationData = write.data  # type: ignore[assignment]
        key = f"notification_receipt:{record.id}"
        if data.receipt_on is not None:
            close_tasks(write.db, closed_by=write.user.id, key=key)
        elif write.is_final and data.sent_on:
            # The task falls due the day after the deadline: then the receipt is missing.
            from datetime import timedelta

            ensure_task(
                write.db,
                key=key,
                kind="notification_receipt",
                unit_id=record.unit_id,
                child_id=record.child_id,
                assignee_id=record.author_id,
                record_id=record.id,
                due_on=receipt_due_on(data.sent_on) + timedelta(days=1),
            )


def summary(record: Record) -> str:
    return record.data.get("authority") or ""


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "sent_on": N_("Sendt den"),
    "authority": N_("Sendt til"),
    "summary": "Resumé",
    "receipt_on": "Kvittering modtaget",
}


KIND = RecordKind(
    key="notification",
    label=N_("Underretning"),
    schema=NotificationData,
    field_labels=FIELD_LABELS,
    required_for_final=("sent_on", "authority", "summary"),
    rules=NotificationRules(),
    writers=EVERY_WRITER,
    summary=summary,
    key_date="sent_on",
)
