"""Professional sparring and reflection (domain §4.4): anonymous or named (with consent or a
documented legal basis), trial actions → follow-up tasks, and the unit's leaders told when the
minutes are final — by an e-mail without child data, or an in-app task when there is no address."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field
from sqlmodel import Session, select

from backend.config import get_settings
from backend.domain import meetings
from backend.domain.meetings import (
    hand_mismatch,
    reflection_basis_ok,
    trial_action_done,
    trial_action_too_far,
)
from backend.domain.messages import N_
from backend.i18n import ngettext
from backend.notify import email as outbox
from backend.notify.models import OutgoingEmail
from backend.people.models import Child, Role, RoleAssignment, Unit, User
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
from backend.records.models import Record
from backend.records.rules import Actor, RecordRules, Write
from backend.records.tasks import ensure_task
from backend.records.types import Id, Part, RowKey, ShortText, Text


class TrialAction(Part):
    key: RowKey | None = None
    what: Text | None = None
    follow_up_on: date | None = None
    outcome: Text | None = None
    made_difference: Literal["yes", "partly", "no"] | None = None


class ReflectionData(Part):
    anonymous: bool = False
    held_on: date | None = None
    participants: ShortText | None = None
    age_band: Literal["0-1", "1-3", "3-6"] | None = None
    consent_id: Id | None = None
    legal_basis: Text | None = None
    situation: Text | None = None
    adult_perspective: Text | None = None
    child_perspective: Text | None = None
    hand_needed: Literal["big", "small", "both"] | None = None
    hand_offered: Literal["big", "small", "both", "none"] | None = None
    analysis: Text | None = None
    trial_actions: list[TrialAction] = Field(default_factory=list, max_length=20)


BASIS_MISSING = N_(
    "Sparring om et navngivet barn kræver forældrenes samtykke eller en dokumenteret hjemmel. "
    "Registrér samtykket, skriv hjemlen – eller gør sparringen anonym."
)

EMAIL_SUBJECT = "Nyt referat fra faglig sparring i Opspor"
EMAIL_BODY = """Hej {leader}

Der er skrevet et referat fra faglig sparring i {unit}, så du kan følge op.

Læs referatet i Opspor (du skal være logget ind):
{link}

Af hensyn til fortroligheden står der intet om barnet eller sparringen i denne e-mail.

Venlig hilsen
Opspor
"""


def _data(write: Write) -> ReflectionData:
    return write.data  # type: ignore[return-value]


class ReflectionRules(RecordRules):
    def prepare(self, write: Write) -> None:
        key_rows(_data(write).trial_actions, previous_rows(write, "trial_actions"))

    def check(self, write: Write) -> None:
        data = _data(write)
        write.past_date("held_on", data.held_on)
        if data.anonymous and write.child is not None:
            write.error("anonymous", "En anonym sparring kan ikke knyttes til et navngivet barn.")
        if data.anonymous and write.is_final and data.age_band is None:
            write.error("age_band", "Vælg barnets aldersgruppe.")
        self._check_trial_actions(write, data)
        if write.child is None:
            return
        scopes = {write.record_id, write.unit_id}
        check_consent_reference(write, data.consent_id, "sparring_case", scopes)
        consented = has_consent(write.db, write.child.id, "sparring_case", scopes)
        if write.is_final and not reflection_basis_ok(consented, data.legal_basis):
            require_consent(write, "sparring_case", write.record_id, BASIS_MISSING)

    @staticmethod
    def _check_trial_actions(write: Write, data: ReflectionData) -> None:
        for index, action in enumerate(data.trial_actions):
            path = f"trial_actions.{index}"
            write.planned_date(f"{path}.follow_up_on", action.follow_up_on)
            on = action.follow_up_on
            if on and data.held_on and on < data.held_on:
                write.error(f"{path}.follow_up_on", "Opfølgningen skal ligge efter sparringen.")
            elif on and trial_action_too_far(on, write.today):
                write.error(f"{path}.follow_up_on", "En prøvehandling følges op inden for et år.")
            if write.is_final and not (action.what or "").strip():
                write.error(f"{path}.what", "Beskriv prøvehandlingen.")
            if write.is_final and on is None:
                write.error(f"{path}.follow_up_on", "Vælg en dato for opfølgningen.")

    def derive(self, write: Write) -> dict[str, Any]:
        data = _data(write)
        return {
            "hand_mismatch": hand_mismatch(data.hand_needed, data.hand_offered),
            "open_trial_actions": sum(
                1 for a in data.trial_actions if not trial_action_done(a.outcome, a.made_difference)
            ),
        }

    def after_save(self, write: Write, record: Record) -> None:
        if not write.is_final:
            return
        actions = _data(write).trial_actions
        for action in actions:
            if trial_action_done(action.outcome, action.made_difference):
                close_row_task(write, record, "trial_action_follow_up", action.key)
            else:
                row_task(
                    write, record, "trial_action_follow_up", action.key, action.follow_up_on, action.what
                )
        cancel_removed_rows(write, record, "trial_action_follow_up", {a.key for a in actions})
        if write.became_final:
            tell_leaders(write.db, record, write.today)


def unit_leaders(db: Session, unit_id: str) -> list[User]:
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.leader, RoleAssignment.unit_id == unit_id, User.active)
        .order_by(User.id)
    )
    return list(db.exec(query))


def usable_address(address: str | None) -> bool:
    """An address the outbox can put in a header (no spaces or line breaks, one @)."""
    value = (address or "").strip()
    return value.count("@") == 1 and not any(ch.isspace() for ch in value) and len(value) <= 320


def tell_leaders(db: Session, record: Record, today) -> None:
    """Every leader of the unit learns that the minutes exist: an e-mail with a link and no child
    data, or — without an address or outgoing mail — a task in the app."""
    settings = get_settings()
    unit = db.get(Unit, record.unit_id)
    link = f"{settings.base_url.rstrip('/')}/records/{record.id}"
    for leader in unit_leaders(db, record.unit_id):
        if usable_address(leader.email) and outbox.smtp_configured(settings):
            outbox.queue_email(
                db,
                key=f"reflection:{record.id}:{leader.id}",
                to=leader.email.strip(),
                subject=EMAIL_SUBJECT,
                body=EMAIL_BODY.format(leader=leader.display_name, unit=unit.name if unit else "", link=link),
                user_id=leader.id,
                record_id=record.id,
            )
        else:
            minutes_task(db, record, leader.id, today)


def minutes_task(db: Session, record: Record, leader_id: str, today) -> None:
    ensure_task(
        db,
        key=f"reflection_minutes:{record.id}:{leader_id}",
        kind="reflection_minutes",
        unit_id=record.unit_id,
        assignee_id=leader_id,
        record_id=record.id,
        due_on=today,
    )


def email_gave_up(db: Session, email: OutgoingEmail) -> None:
    """The e-mail could not be delivered: the leader gets the task in the app instead.
    Registered at start (`backend.startup`) for e-mails keyed `reflection:…`."""
    from backend.domain.dates import today

    record = db.get(Record, email.record_id) if email.record_id else None
    if record is not None and email.user_id:
        minutes_task(db, record, email.user_id, today())


def summary(record: Record) -> str:
    """How many trial actions are still open."""
    open_actions = record.derived.get("open_trial_actions", 0)
    if not open_actions:
        return ""
    return ngettext("%(num)s åben prøvehandling", "%(num)s åbne prøvehandlinger", open_actions) % {
        "num": open_actions
    }


def form_context(actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    return {
        "hands_needed": meetings.HANDS_NEEDED,
        "hands_offered": meetings.HANDS_OFFERED,
        "age_bands": meetings.AGE_BANDS,
        "made_difference": meetings.MADE_DIFFERENCE,
        "blank_rows": BLANK_ROWS,
        **consent_helpers(actor, child, "sparring_case", unit_id),
        "defaults": {},
    }


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "anonymous": N_("Anonym"),
    "held_on": N_("Holdt den"),
    "participants": N_("Deltagere"),
    "age_band": N_("Aldersgruppe"),
    "consent_id": N_("Samtykke"),
    "legal_basis": N_("Hjemmel"),
    "situation": N_("Situationen"),
    "adult_perspective": "De voksnes perspektiv",
    "child_perspective": "Barnets perspektiv",
    "hand_needed": N_("Hånd barnet havde brug for"),
    "hand_offered": N_("Hånd de voksne gav"),
    "analysis": N_("Analyse"),
    "trial_actions": N_("Prøvehandlinger"),
}


KIND = RecordKind(
    key="reflection",
    label="Faglig sparring",
    schema=ReflectionData,
    field_labels=FIELD_LABELS,
    required_for_final=("held_on", "situation", "child_perspective", "hand_needed", "hand_offered"),
    rules=ReflectionRules(),
    writers=EVERY_WRITER,
    form_context=form_context,
    summary=summary,
    key_date="held_on",
    bool_fields=("anonymous",),
)
