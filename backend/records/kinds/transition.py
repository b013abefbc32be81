"""Transition descriptions (den gode overgang, domain §4.5): the receiving unit, the dates, the
latest joint well-being position pulled in, the handover after consent, and the tasks."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field
from sqlmodel import select

from backend.auth.policy import placed_on
from backend.domain import transition
from backend.domain.messages import N_
from backend.i18n import gettext as _
from backend.people.models import Placement, Unit
from backend.records.handover import latest_joint_assessment, sync_evaluation_task, sync_handover
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.kinds.transition_forms import transition_context
from backend.records.models import Record
from backend.records.parents_words import ParentsWordsList, check_parents_words, keep_parents_words
from backend.records.rules import RecordRules, Write
from backend.records.tasks import close_tasks, ensure_task
from backend.records.types import Id, Part, Position, ShortText, Text, keyed_part

ParentsPart = keyed_part("ParentsPart", transition.PARENTS_PART, Text)


class ProfessionalPart(Part):
    strengths: Text | None = None
    what_helps: Text | None = None
    support: Text | None = None
    attention_points: Text | None = None
    latest_position: Position | None = None
    latest_summary: Text | None = None


LearningCompetences = keyed_part("LearningCompetences", transition.LEARNING_COMPETENCES, Text)


class TransitionVisit(Part):
    #: Schema 2 (issue 14): was `held_on` — the day the child and parents visited the new place.
    visited_on: date | None = None
    attendees: ShortText | None = None
    notes: Text | None = None


class TransitionData(Part):
    to_unit_id: Id | None = None
    starts_on: date | None = None
    parents_part: ParentsPart = Field(default_factory=ParentsPart)  # type: ignore[valid-type]
    professional_part: ProfessionalPart = Field(default_factory=ProfessionalPart)
    learning_competences: LearningCompetences = Field(  # type: ignore[valid-type]
        default_factory=LearningCompetences
    )
    consent_id: Id | None = None
    conversation_on: date | None = None
    visit: TransitionVisit = Field(default_factory=TransitionVisit)
    evaluation_due_on: date | None = None
    #: The parents' own words, sent through an invitation (issue 15): never changed by staff.
    parents_words: ParentsWordsList | None = None


def upgrade_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: the visit's `held_on` is now `visited_on` (a write queued on a phone before
    the release still arrives with the old name)."""
    visit = data.get("visit")
    if isinstance(visit, dict) and "held_on" in visit:
        visit = dict(visit)
        visit["visited_on"] = visit.pop("held_on")
        data["visit"] = visit
    return data


class TransitionRules(RecordRules):
    def prepare(self, write: Write) -> None:
        keep_parents_words(write)

    def check(self, write: Write) -> None:
        data: TransitionData = write.data  # type: ignore[assignment]
        check_parents_words(write)
        self._check_receiving_unit(write, data.to_unit_id)
        write.planned_date("starts_on", data.starts_on)
        if data.starts_on and write.child is not None and data.starts_on < write.child.birth_date:
            write.error("starts_on", "Startdatoen ligger før barnets fødsel.")
        write.planned_date("conversation_on", data.conversation_on)
        write.past_date("visit.visited_on", data.visit.visited_on)
        write.planned_date("evaluation_due_on", data.evaluation_due_on)
        self._check_evaluation(write, data)
        if data.consent_id is not None:
            consent = write.db.get(Record, data.consent_id)
            if consent is None or consent.type != "consent" or consent.child_id != _child_id(write):
                write.error("consent_id", "Samtykket findes ikke for barnet.")

    @staticmethod
    def _check_receiving_unit(write: Write, unit_id: str | None) -> None:
        if unit_id is None:
            return
        unit = write.db.get(Unit, unit_id)
        municipality = write.child.municipality_id if write.child else None
        if unit is None or not unit.active or unit.municipality_id != municipality:
            write.error("to_unit_id", "Den modtagende enhed findes ikke i kommunen.")
        elif unit_id in _current_units(write):
            write.error(
                "to_unit_id",
                "Barnet går allerede i denne enhed. Vælg den enhed, barnet skal begynde i.",
            )

    @staticmethod
    def _check_evaluation(write: Write, data: TransitionData) -> None:
        if data.evaluation_due_on is None or data.starts_on is None:
            return
        if not transition.evaluation_in_window(data.starts_on, data.evaluation_due_on):
            first, last = transition.evaluation_window(data.starts_on)
            write.error(
                "evaluation_due_on",
                f"Evalueringen skal ligge 3–4 måneder efter starten: mellem {_dk(first)} og {_dk(last)}.",
            )

    def derive(self, write: Write) -> dict[str, Any]:
        data: TransitionData = write.data  # type: ignore[assignment]
        derived: dict[str, Any] = {}
        position = data.professional_part.latest_position
        if write.child is not None:
            joint = latest_joint_assessment(write.db, write.child.id, write.unit_id)
            if joint is not None:
                position = joint.data.get("overall")
                derived["latest_joint"] = {
                    "record_id": joint.id,
                    "position": position,
                    "summary": joint.data.get("summary") or "",
                }
        derived["latest_position"] = position
        derived["needs_conversation"] = transition.needs_transition_conversation(position)
        if data.to_unit_id:
            unit = write.db.get(Unit, data.to_unit_id)
            derived["to_unit_name"] = unit.name if unit else ""
        if data.starts_on:
            first, last = transition.evaluation_window(data.starts_on)
            due = transition.evaluation_due_on(data.starts_on, data.evaluation_due_on)
            derived["evaluation_due_on"] = due.isoformat()
            derived["evaluation_window"] = [first.isoformat(), last.isoformat()]
        return derived

    def after_save(self, write: Write, record: Record) -> None:
        sync_handover(write.db, record, write.actor.audit, write.today)
        sync_evaluation_task(write.db, record)
        self._conversation_task(write, record)

    @staticmethod
    def _conversation_task(write: Write, record: Record) -> None:
        """Children in extra attention or concern: invite the parents to a transition
        conversation; the task closes when the conversation's date is filled in."""
        data: TransitionData = write.data  # type: ignore[assignment]
        key = f"transition_conversation:{record.id}"
        if data.conversation_on is not None:
            close_tasks(write.db, closed_by=write.user.id, key=key)
        elif record.derived.get("needs_conversation") and record.child_id:
            ensure_task(
                write.db,
                key=key,
                kind="transition_conversation",
                unit_id=record.unit_id,
                child_id=record.child_id,
                assignee_id=record.author_id,
                record_id=record.id,
                due_on=transition.conversation_due_on(write.today, data.starts_on),
            )
        else:
            close_tasks(write.db, closed_by=write.user.id, status="cancelled", key=key)


def _child_id(write: Write) -> str | None:
    return write.child.id if write.child else None


def _current_units(write: Write) -> set[str]:
    """The unit the child is in now (the writing unit, and any placement holding today)."""
    units = {write.unit_id}
    if write.child is not None:
        query = select(Placement.unit_id).where(Placement.child_id == write.child.id, placed_on(write.today))
        units.update(write.db.exec(query).all())
    return units


def _dk(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def summary(record: Record) -> str:
    """Where the child goes."""
    unit = record.derived.get("to_unit_name")
    return _("Til %(unit)s") % {"unit": unit} if unit else ""


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "to_unit_id": "Modtagende enhed",
    "starts_on": N_("Startdato"),
    **{f"parents_part.{key}": label for key, label in transition.PARENTS_PART.items()},
    **{f"professional_part.{key}": label for key, label in transition.PROFESSIONAL_PART.items()},
    "professional_part.latest_position": N_("Seneste fælles trivselsvurdering"),
    "professional_part.latest_summary": N_("Seneste fælles beskrivelse"),
    **{f"learning_competences.{key}": label for key, label in transition.LEARNING_COMPETENCES.items()},
    "consent_id": N_("Samtykke"),
    "conversation_on": N_("Overgangssamtale"),
    "visit.visited_on": N_("Overgangsbesøg"),
    "visit.attendees": N_("Deltagere i besøget"),
    "visit.notes": N_("Noter fra besøget"),
    "evaluation_due_on": "Evaluering senest",
    "parents_words": N_("Forældrenes egne ord"),
}


KIND = RecordKind(
    key="transition",
    label=N_("Overgangsbeskrivelse"),
    schema=TransitionData,
    field_labels=FIELD_LABELS,
    required_for_final=("to_unit_id", "starts_on"),
    rules=TransitionRules(),
    writers=EVERY_WRITER,
    form_context=transition_context,
    summary=summary,
    key_date="starts_on",
    schema_version=2,
    upgrades={1: upgrade_1_to_2},
)
