"""Dialogue meetings (domain §4.3): preparation, consent when outsiders join, the minutes,
agreements → tasks, and the next meeting → a task."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field
from sqlmodel import Session, select

from backend.db import utcnow
from backend.domain import meetings
from backend.domain.dates import COPENHAGEN
from backend.domain.meetings import needs_meeting_consent, next_meeting_before_this
from backend.domain.messages import N_
from backend.i18n import ngettext
from backend.people.models import Child
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.kinds.meeting_support import (
    BLANK_ROWS,
    cancel_removed_rows,
    check_consent_reference,
    close_row_task,
    consent_helpers,
    has_consent,
    key_rows,
    previous_rows,
    require_consent,
    row_task,
)
from backend.records.models import Record, Task
from backend.records.parents_words import ParentsWordsList, check_parents_words, keep_parents_words
from backend.records.rules import Actor, RecordRules, Write
from backend.records.tasks import close_tasks, ensure_task
from backend.records.types import Id, Part, RowKey, ShortText, Text


class Participant(Part):
    name: ShortText | None = None
    role: Literal["parent", "staff", "external"] | None = None
    organisation: ShortText | None = None


class Agreement(Part):
    key: RowKey | None = None
    what: Text | None = None
    who: ShortText | None = None
    due_on: date | None = None
    done: bool = False


class DialogueMeetingData(Part):
    planned_on: date | None = None
    held_on: date | None = None
    purpose: Text | None = None
    hopes: Text | None = None
    chair: ShortText | None = None
    participants: list[Participant] = Field(default_factory=list, max_length=30)
    consent_id: Id | None = None
    going_well: Text | None = None
    challenges: Text | None = None
    possibilities: Text | None = None
    agreements: list[Agreement] = Field(default_factory=list, max_length=30)
    best_today: Text | None = None
    next_on: date | None = None
    #: The parents' preparation, sent through an invitation (issue 15): never changed by staff.
    parents_words: ParentsWordsList | None = None
    #: "What we agreed" (issue 15): the plain-words summary for the parents, and whether the
    #: professional shares it and the agreements with them (nothing else of the minutes is shared).
    shared_summary: Text | None = None
    share_with_parents: bool | None = None


CONSENT_MISSING = N_(
    "Der deltager andre end forældrene og barnets egne medarbejdere. Forældrene skal give samtykke "
    "til mødets formål og deltagere, før referatet kan afsluttes. Registrér samtykket, og gem igen "
    "– eller gem referatet som kladde indtil da."
)


def _data(write: Write) -> DialogueMeetingData:
    return write.data  # type: ignore[return-value]


class DialogueMeetingRules(RecordRules):
    def prepare(self, write: Write) -> None:
        key_rows(_data(write).agreements, previous_rows(write, "agreements"))
        keep_parents_words(write)

    def check(self, write: Write) -> None:
        data = _data(write)
        check_parents_words(write)
        write.past_date("held_on", data.held_on)
        write.planned_date("planned_on", data.planned_on)
        write.planned_date("next_on", data.next_on)
        if next_meeting_before_this(data.held_on, data.next_on):
            write.error("next_on", "Næste møde skal ligge efter dette møde.")
        self._check_participants(write, data)
        self._check_agreements(write, data)
        check_consent_reference(write, data.consent_id, "meeting", {write.record_id})
        if write.is_final and self._consent_missing(write, data):
            require_consent(write, "meeting", write.record_id, CONSENT_MISSING)

    @staticmethod
    def _check_participants(write: Write, data: DialogueMeetingData) -> None:
        if not write.is_final:
            return
        for index, person in enumerate(data.participants):
            if not (person.name or "").strip():
                write.error(f"participants.{index}.name", "Skriv deltagerens navn.")
            if person.role is None:
                write.error(
                    f"participants.{index}.role",
                    "Vælg, om deltageren er forælder, medarbejder eller ekstern.",
                )

    @staticmethod
    def _check_agreements(write: Write, data: DialogueMeetingData) -> None:
        for index, agreement in enumerate(data.agreements):
            write.planned_date(f"agreements.{index}.due_on", agreement.due_on)
            if not write.is_final:
                continue
            if not (agreement.what or "").strip():
                write.error(f"agreements.{index}.what", "Skriv, hvad der er aftalt.")
            if not (agreement.who or "").strip():
                write.error(f"agreements.{index}.who", "Skriv, hvem der er tovholder.")
            if agreement.due_on is None:
                write.error(f"agreements.{index}.due_on", "Vælg, hvornår aftalen skal være gjort.")

    @staticmethod
    def _consent_missing(write: Write, data: DialogueMeetingData) -> bool:
        if not needs_meeting_consent(p.role for p in data.participants):
            return False
        return not has_consent(
            write.db, write.child.id if write.child else None, "meeting", {write.record_id}
        )

    def derive(self, write: Write) -> dict[str, Any]:
        data = _data(write)
        required = needs_meeting_consent(p.role for p in data.participants)
        return {
            "consent_required": required,
            "consent_given": required and not self._consent_missing(write, data),
            "open_agreements": sum(1 for a in data.agreements if not a.done),
        }

    def after_save(self, write: Write, record: Record) -> None:
        if not write.is_final or record.child_id is None:
            return
        data = _data(write)
        if write.became_final:
            self._close_earlier_meeting_tasks(write, record, data.held_on)
        for agreement in data.agreements:
            if agreement.done:
                close_row_task(write, record, "agreement", agreement.key)
            else:
                row_task(write, record, "agreement", agreement.key, agreement.due_on, agreement.what)
        cancel_removed_rows(write, record, "agreement", {a.key for a in data.agreements})
        next_key = f"next_dialogue_meeting:{record.id}"
        if data.next_on is None:
            close_tasks(write.db, closed_by=write.user.id, status="cancelled", key=next_key)
        else:
            ensure_task(
                write.db,
                key=next_key,
                kind="next_dialogue_meeting",
                unit_id=record.unit_id,
                child_id=record.child_id,
                assignee_id=record.author_id,
                record_id=record.id,
                due_on=data.next_on,
            )

    @staticmethod
    def _close_earlier_meeting_tasks(write: Write, record: Record, held_on: date | None) -> None:
        """This meeting is the one a well-being assessment or an earlier meeting asked for."""
        dialogue_meeting_held(
            write.db,
            child_id=record.child_id,
            unit_id=record.unit_id,
            held_on=held_on or write.today,
            closed_by=write.user.id,
        )
        query = (
            select(Task, Record)
            .join(Record, Record.id == Task.record_id)
            .where(
                Task.kind == "next_dialogue_meeting",
                Task.child_id == record.child_id,
                Task.unit_id == record.unit_id,
                Task.status.in_(("open", "held")),
                Task.record_id != record.id,
            )
        )
        for task, earlier in write.db.exec(query):
            earlier_on = earlier.data.get("held_on")
            if held_on is None or earlier_on is None or earlier_on <= held_on.isoformat():
                close_tasks(write.db, closed_by=write.user.id, key=task.key)


def dialogue_meeting_held(db: Session, *, child_id: str, unit_id: str, held_on: date, closed_by: str) -> int:
    """Close the child's dialogue-meeting tasks in the unit that a meeting held on `held_on`
    answers (those created up to that day). For the dialogue-meeting rules to call when a final
    meeting record is saved; returns how many were closed."""
    query = select(Task).where(
        Task.kind == "dialogue_meeting",
        Task.child_id == child_id,
        Task.unit_id == unit_id,
        Task.status.in_(("open", "held")),
    )
    closed = 0
    for task in db.exec(query):
        if task.created_at.astimezone(COPENHAGEN).date() <= held_on:
            task.status, task.closed_at, task.closed_by_id = "done", utcnow(), closed_by
            db.add(task)
            closed += 1
    return closed


def summary(record: Record) -> str:
    """The meeting's purpose and how many agreements it made."""
    purpose = " ".join((record.data.get("purpose") or "").split())
    text = purpose[:100] + ("…" if len(purpose) > 100 else "")
    count = len(record.data.get("agreements") or [])
    if count:
        agreements = ngettext("%(num)s aftale", "%(num)s aftaler", count) % {"num": count}
        text = f"{text} – {agreements}" if text else agreements
    return text


def form_context(actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    return {
        "participant_roles": meetings.PARTICIPANT_ROLES,
        "headings": meetings.MINUTES_HEADINGS,
        "blank_rows": BLANK_ROWS,
        **consent_helpers(actor, child, "meeting", unit_id),
        "defaults": {},
    }


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "planned_on": N_("Planlagt til"),
    "held_on": N_("Holdt den"),
    "purpose": N_("Formål"),
    "hopes": N_("Det håber vi på"),
    "chair": N_("Mødeleder"),
    "participants": N_("Deltagere"),
    "going_well": N_("Hvad går godt?"),
    "challenges": N_("Udfordringer"),
    "possibilities": N_("Muligheder"),
    "agreements": N_("Aftaler"),
    "best_today": "Det bedste i dag",
    "next_on": N_("Næste møde"),
    "consent_id": N_("Samtykke"),
    "parents_words": N_("Forældrenes egne ord"),
    "shared_summary": N_("Kort fortalt til forældrene"),
    "share_with_parents": N_("Del aftalerne med forældrene"),
}


KIND = RecordKind(
    key="dialogue_meeting",
    label=N_("Dialogmøde"),
    schema=DialogueMeetingData,
    field_labels=FIELD_LABELS,
    required_for_final=("held_on", "purpose"),
    rules=DialogueMeetingRules(),
    writers=EVERY_WRITER,
    form_context=form_context,
    summary=summary,
    key_date="held_on",
    bool_fields=("agreements.*.done", "share_with_parents"),
)
