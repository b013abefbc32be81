"""The notification (*underretning*, domain §4.6; issue 16): the assistant's content the social
services need — what was observed and when, the child's own words, what has been done, whether
the parents were told (or why not: on the abuse path they must not be) — printed for the
municipality's secure channel; Opspor never sends it. The duty is the professional's own: no
role or state stops the author from finalising it (a leader may co-sign, never veto). A missing
receipt after 6 working days becomes a task."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from backend.domain.messages import N_
from backend.domain.notification import receipt_due_on
from backend.people.models import Child
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.models import Record
from backend.records.rules import Actor, RecordRules, Write
from backend.records.tasks import abuse_path_open, close_tasks, ensure_task
from backend.records.types import Part, ShortText, Text


class NotificationData(Part):
    sent_on: date | None = None
    authority: ShortText | None = None
    summary: Text | None = None
    receipt_on: date | None = None
    observed_on: date | None = None
    observed: Text | None = None
    child_words: Text | None = None
    done_so_far: Text | None = None
    parents_told: Literal["yes", "no"] | None = None
    parents_not_told_reason: Text | None = None


class NotificationRules(RecordRules):
    def check(self, write: Write) -> None:
        data: NotificationData = write.data  # type: ignore[assignment]
        write.past_date("sent_on", data.sent_on)
        write.past_date("receipt_on", data.receipt_on)
        if data.sent_on and data.receipt_on and data.receipt_on < data.sent_on:
            write.error("receipt_on", "Kvitteringen kan ikke være modtaget, før underretningen blev sendt.")
        write.past_date("observed_on", data.observed_on, not_before_birth=False)
        on_abuse_path = abuse_path_open(write.db, write.child.id if write.child else None)
        if data.parents_told == "yes" and on_abuse_path:
            write.error(
                "parents_told",
                "Ved mistanke om vold eller overgreb må forældrene ikke orienteres. "
                "Vælg nej, og skriv hvorfor.",
            )
        if write.is_final and data.parents_told == "no" and not (data.parents_not_told_reason or "").strip():
            write.error("parents_not_told_reason", "Skriv, hvorfor forældrene ikke er orienteret.")

    def derive(self, write: Write) -> dict[str, Any]:
        data: NotificationData = write.data  # type: ignore[assignment]
        # What is not the author's to write stays: where the draft came from, a leader's co-signature.
        kept = {k: v for k, v in (write.existing.derived if write.existing else {}).items() if k in KEPT}
        if data.sent_on:
            kept["receipt_due_on"] = receipt_due_on(data.sent_on).isoformat()
        return kept

    def after_save(self, write: Write, record: Record) -> None:
        data: NotificationData = write.data  # type: ignore[assignment]
        key = f"notification_receipt:{record.id}"
        if write.is_final:  # the assistant's draft is done
            close_tasks(write.db, closed_by=write.user.id, key=f"notification_write:{record.id}")
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


def form_context(actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """The units the reader leads: a leader may co-sign (never veto) a final notification."""
    return {"defaults": {}, "led_unit_ids": actor.scope.led_unit_ids}


#: Derived values a save keeps (set outside the author's write).
KEPT = frozenset({"from_action_plan", "co_signed_by", "co_signed_by_name", "co_signed_at"})


def summary(record: Record) -> str:
    return record.data.get("authority") or ""


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "sent_on": N_("Sendt den"),
    "authority": N_("Sendt til"),
    "summary": "Resumé",
    "receipt_on": "Kvittering modtaget",
    "observed_on": "Observeret den",
    "observed": "Det har jeg set eller hørt",
    "child_words": "Barnets egne ord",
    "done_so_far": "Det er gjort indtil nu",
    "parents_told": "Forældrene er orienteret",
    "parents_not_told_reason": "Hvorfor forældrene ikke er orienteret",
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
    form_context=form_context,
    key_date="sent_on",
)
