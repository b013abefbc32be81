"""Consent records (domain §5): given, refused or withdrawn by a guardian of the child."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlmodel import select

from backend.auth.policy import is_id
from backend.domain import consent
from backend.domain.consent import HANDOVER
from backend.domain.dates import now_local
from backend.domain.messages import N_
from backend.i18n import gettext as _
from backend.people.forum_models import Forum
from backend.people.models import Child, Guardian, Unit
from backend.people.service import guardians_of
from backend.records.consents import latest_decision
from backend.records.handover import sync_handover
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.models import Record
from backend.records.rules import Actor, RecordRules, Write
from backend.records.types import SIGNATURE_MAX, Id, Part, ShortText


class Evidence(Part):
    signature: (
        Annotated[str, Field(max_length=SIGNATURE_MAX, pattern=r"^data:image/png;base64,[A-Za-z0-9+/=]+$")]
        | None
    ) = None
    typed_name: ShortText | None = None


class ConsentData(Part):
    kind: Literal[tuple(consent.KINDS)] | None = None  # type: ignore[valid-type]
    scope: Id | None = None
    state: Literal[tuple(consent.STATES)] | None = None  # type: ignore[valid-type]
    guardian: Id | None = None
    decided_at: datetime | None = None
    witness: ShortText | None = None
    evidence: Evidence = Field(default_factory=Evidence)


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ConsentRules(RecordRules):
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


def consent_context(actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    guardians = guardians_of(actor.db, child.id) if child else []
    transitions = _own_records(actor, child, unit_id, "transition")
    defaults: dict[str, Any] = {"decided_at": now_local().strftime("%Y-%m-%dT%H:%M")}
    for key in ("kind", "scope", "state", "guardian"):
        value = query.get(key)
        if isinstance(value, str) and (value in consent.KINDS or value in consent.STATES or is_id(value)):
            defaults[key] = value
    scope_options = _scope_options(actor, child, unit_id, transitions)
    chosen_kind = defaults.get("kind")
    if chosen_kind in scope_options and defaults.get("scope") is None:
        only = consent.only_option(scope_options[chosen_kind])
        if only is not None:
            defaults["scope"] = only
    back_to = query.get("fra")
    return {
        "new_consent_states": consent.states_offered(True, defaults.get("state")),
        "back_to": back_to if isinstance(back_to, str) and is_id(back_to) else None,
        "guardian_options": {g.id: f"{g.name} ({g.relation})" if g.relation else g.name for g in guardians},
        "guardian_names": {g.id: g.name for g in guardians},
        "scope_options": scope_options,
        "transitions": {t.id: t for t in transitions},
        "handover_kind": HANDOVER,
        "latest_handover_id": lambda scope: _latest_handover_id(actor, child, scope),
        "defaults": defaults,
    }


def _latest_handover_id(actor: Actor, child: Child | None, scope: str) -> str | None:
    decision = latest_decision(actor.db, child.id, HANDOVER, scope) if child else None
    return decision.id if decision else None


def _own_records(actor: Actor, child: Child | None, unit_id: str, record_type: str) -> list[Record]:
    if child is None or unit_id not in actor.scope.unit_ids:
        return []
    query = select(Record).where(
        Record.type == record_type, Record.child_id == child.id, Record.unit_id == unit_id
    )
    return list(actor.db.exec(query.order_by(Record.created_at.desc())))


def _scope_options(
    actor: Actor, child: Child | None, unit_id: str, transitions: list[Record]
) -> dict[str, dict[str, str]]:
    """What a consent can cover, per kind: the child's transitions, meetings, sparring cases,
    or (for collegial dialogue) the unit itself."""

    def when(record: Record, date_key: str) -> str:
        return (record.data.get(date_key) or record.created_at.date().isoformat())[:10]

    unit = actor.db.get(Unit, unit_id)
    to_unit = _("Overgangsbeskrivelse til %(unit)s")
    return {
        HANDOVER: {
            t.id: to_unit % {"unit": t.derived.get("to_unit_name") or "–"} + f" · {when(t, 'starts_on')}"
            for t in transitions
        },
        "meeting": {
            **{
                r.id: _("Dialogmøde %(date)s") % {"date": when(r, "planned_on")}
                for r in _own_records(actor, child, unit_id, "dialogue_meeting")
            },
            **_forum_options(actor, child, unit_id),
        },
        "sparring_case": {
            r.id: _("Faglig sparring %(date)s") % {"date": when(r, "created_at")}
            for r in _own_records(actor, child, unit_id, "reflection")
        },
        "collegial_dialogue": {unit.id: unit.name} if unit else {},
    }


def _forum_options(actor: Actor, child: Child | None, unit_id: str) -> dict[str, str]:
    """The cross-disciplinary forums of the unit (domain §11): a named case needs the parents'
    consent to the forum's purpose and participants."""
    if child is None or unit_id not in actor.scope.unit_ids:
        return {}
    forums = actor.db.exec(select(Forum).where(Forum.municipality_id == actor.scope.municipality_id))
    label = _("Drøftelse i %(forum)s")
    return {f.id: label % {"forum": f.name} for f in forums if unit_id in f.unit_ids}


def summary(record: Record) -> str:
    """What was decided, and by whom."""
    state = consent.STATES.get(record.data.get("state", ""), "")
    kind = consent.KINDS.get(record.data.get("kind", ""), "")
    guardian = record.derived.get("guardian_name")
    text = f"{_(kind)}: {_(state).lower()}" if kind and state else _(kind or state)
    return f"{text} ({guardian})" if guardian and text else text


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "kind": N_("Samtykket gælder"),
    "scope": N_("Gælder"),
    "state": N_("Beslutning"),
    "guardian": N_("Forælder/værge"),
    "decided_at": N_("Tidspunkt"),
    "witness": N_("Vidne"),
    "evidence.typed_name": "Skrevet navn",
    "evidence.signature": N_("Underskrift"),
}


KIND = RecordKind(
    key="consent",
    label=N_("Samtykke"),
    schema=ConsentData,
    field_labels=FIELD_LABELS,
    required_for_final=("kind", "scope", "state", "guardian", "decided_at"),
    rules=ConsentRules(),
    writers=EVERY_WRITER,
    form_context=consent_context,
    summary=summary,
    key_date="decided_at",
)
