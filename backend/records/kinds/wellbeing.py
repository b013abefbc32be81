"""Well-being assessments (domain §4.2): individual marks and the joint assessment of a round.

- An individual mark is one professional's own view (gut feeling allowed): one per rater, child
  and round, started only while the round is open, changed only by its rater. It is an internal
  working note, never parent-facing.
- The joint assessment is the team's: one per child and round, with a plain-words summary the
  parents can read (no colour words) and a decision. When the child is not thriving the parents
  are involved: a dialogue-meeting task for its author (held while an abuse-path note is open).
- Optional municipal rule: two or more individual non-thriving marks → a hint to the leaders.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlmodel import select

from backend.domain import wellbeing
from backend.domain.messages import N_
from backend.i18n import gettext as _
from backend.people.models import Unit, UnitKind
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.kinds.wellbeing_form import wellbeing_context
from backend.records.models import EvaluationRound, Record
from backend.records.rounds import period_of
from backend.records.rules import RecordRules, Write
from backend.records.tasks import close_tasks, ensure_task
from backend.records.types import Id, Part, Position, Text, keyed_part

Areas = keyed_part("Areas", wellbeing.AREAS, Position)
AreaNotes = keyed_part("AreaNotes", wellbeing.AREAS, Text)


class WellbeingData(Part):
    round_id: Id | None = None
    kind: Literal["individual", "joint"] | None = None
    areas: Areas = Field(default_factory=Areas)  # type: ignore[valid-type]
    area_notes: AreaNotes = Field(default_factory=AreaNotes)  # type: ignore[valid-type]
    overall: Position | None = None
    context: Position | None = None
    summary: Text | None = None
    decision: Literal[tuple(wellbeing.DECISIONS)] | None = None  # type: ignore[valid-type]


FINAL_MESSAGE = N_("Skal udfyldes, før registreringen kan afsluttes.")


class WellbeingRules(RecordRules):
    def check(self, write: Write) -> None:
        data: WellbeingData = write.data  # type: ignore[assignment]
        evaluation_round = None
        if data.round_id is not None:
            evaluation_round = write.db.get(EvaluationRound, data.round_id)
            if evaluation_round is None or evaluation_round.unit_id != write.unit_id:
                write.error("round_id", "Runden findes ikke i barnets enhed.")
                return
        if not self._same_round_and_kind(write, data):
            return
        if data.context is not None and not _is_health_visiting(write):
            write.error("context", "Forældre og hjem vurderes kun i sundhedsplejen.")
        if data.kind == "individual":
            self._check_individual(write, data, evaluation_round)
        elif data.kind == "joint":
            self._check_joint(write, data, evaluation_round)

    @staticmethod
    def _same_round_and_kind(write: Write, data: WellbeingData) -> bool:
        if write.existing is None:
            return True
        for key in ("round_id", "kind"):
            before = write.existing.data.get(key)
            if before is not None and before != getattr(data, key):
                write.error(key, "Runde og type kan ikke ændres på en gemt vurdering. Lav en ny i stedet.")
                return False
        return True

    def _check_individual(
        self, write: Write, data: WellbeingData, evaluation_round: EvaluationRound | None
    ) -> None:
        if data.summary is not None:
            write.error("summary", "Den fælles beskrivelse hører til den fælles vurdering.")
        if data.decision is not None:
            write.error("decision", "Beslutningen hører til den fælles vurdering.")
        rater_id = write.existing.author_id if write.existing else write.user.id
        if rater_id != write.user.id:
            write.error("kind", "En individuel vurdering kan kun rettes af den, der har lavet den.")
            return
        if evaluation_round is None:
            return
        if write.existing is None:
            problem = wellbeing.mark_window_problem(period_of(evaluation_round), write.today)
            if problem:
                write.error("round_id", problem)
                return
        other = _other_in_round(write, evaluation_round, "individual", author_id=rater_id)
        if other is not None:
            write.errors.append(
                {
                    "field": "data.round_id",
                    "message": "Du har allerede vurderet barnet i runden "
                    f"“{evaluation_round.name}”. Ret din vurdering i stedet: /records/{other.id}/edit",
                    "record_id": other.id,
                }
            )

    def _check_joint(
        self, write: Write, data: WellbeingData, evaluation_round: EvaluationRound | None
    ) -> None:
        found = wellbeing.colour_words(data.summary)
        if found:
            write.error("summary", wellbeing.COLOUR_WORDS_MESSAGE.format(words=", ".join(found)))
        if write.is_final:
            for key in ("summary", "decision"):
                if not (getattr(data, key) or "").strip():
                    write.error(key, FINAL_MESSAGE)
            if data.context is None and _is_health_visiting(write):
                write.error("context", FINAL_MESSAGE)
            problem = wellbeing.decision_problem(data.overall, data.decision)
            if problem:
                write.error("decision", problem)
        if evaluation_round is None:
            return
        if wellbeing.round_state(period_of(evaluation_round), write.today) == "upcoming":
            write.error("round_id", f"Runden åbner først {wellbeing.danish_date(evaluation_round.opens_on)}.")
            return
        other = _other_in_round(write, evaluation_round, "joint")
        if other is not None:
            write.errors.append(
                {
                    "field": "data.round_id",
                    "message": "Der er allerede en fælles vurdering af barnet i runden "
                    f"“{evaluation_round.name}”. Ret den i stedet: /records/{other.id}/edit",
                    "record_id": other.id,
                }
            )

    def derive(self, write: Write) -> dict[str, Any]:
        data: WellbeingData = write.data  # type: ignore[assignment]
        if data.kind != "joint":
            return {"internal_working_note": True}
        if not (write.is_final and wellbeing.needs_dialogue_meeting(data.overall, data.decision)):
            return {}
        earlier = (write.existing.derived if write.existing else {}).get("dialogue_meeting_due_on")
        days = write.actor.municipal.dialogue_meeting_within_days
        return {"dialogue_meeting_due_on": earlier or (write.today + timedelta(days=days)).isoformat()}

    def after_save(self, write: Write, record: Record) -> None:
        data: WellbeingData = write.data  # type: ignore[assignment]
        if not write.is_final or record.child_id is None or data.round_id is None:
            return
        if data.kind == "joint":
            self._dialogue_meeting_task(write, record)
        elif data.kind == "individual" and write.actor.municipal.parent_involvement_hint:
            self._involvement_hint(write, record)

    @staticmethod
    def _dialogue_meeting_task(write: Write, record: Record) -> None:
        key = f"dialogue_meeting:wellbeing:{record.id}"
        due_on = record.derived.get("dialogue_meeting_due_on")
        if due_on is None:
            close_tasks(write.db, closed_by=write.user.id, status="cancelled", key=key)
            return
        ensure_task(
            write.db,
            key=key,
            kind="dialogue_meeting",
            unit_id=record.unit_id,
            child_id=record.child_id,
            assignee_id=record.author_id,
            record_id=record.id,
            due_on=date.fromisoformat(due_on),
        )

    @staticmethod
    def _involvement_hint(write: Write, record: Record) -> None:
        marks = write.db.exec(
            select(Record).where(
                Record.round_id == record.round_id,
                Record.child_id == record.child_id,
                Record.type == "wellbeing",
                Record.status == "final",
            )
        )
        overalls = [m.data.get("overall") for m in marks if m.data.get("kind") == "individual"]
        if wellbeing.parent_involvement_hint(overalls):
            evaluation_round = write.db.get(EvaluationRound, record.round_id)
            ensure_task(
                write.db,
                key=f"parent_involvement_hint:{record.child_id}:{record.round_id}",
                kind="parent_involvement_hint",
                unit_id=record.unit_id,
                child_id=record.child_id,
                assignee_id=None,
                due_on=write.today,
                params={"what": evaluation_round.name if evaluation_round else ""},
            )


def _is_health_visiting(write: Write) -> bool:
    unit = write.db.get(Unit, write.unit_id)
    return unit is not None and unit.kind == UnitKind.health_visiting


def _other_in_round(
    write: Write, evaluation_round: EvaluationRound, kind: str, author_id: str | None = None
) -> Record | None:
    """Another record of this kind for the child in the round (by this rater, for marks)."""
    query = select(Record).where(
        Record.type == "wellbeing",
        Record.round_id == evaluation_round.id,
        Record.child_id == (write.child.id if write.child else None),
        Record.id != write.record_id,
    )
    if author_id is not None:
        query = query.where(Record.author_id == author_id)
    return next((r for r in write.db.exec(query) if r.data.get("kind") == kind), None)


def summary(record: Record) -> str:
    return _("Fælles vurdering") if record.data.get("kind") == "joint" else _("Individuel vurdering")


def review_reason(record: Record) -> str | None:
    """An individual mark is an internal working note: a human decides whether it is exported."""
    return "internal_note" if record.data.get("kind") == "individual" else None


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "round_id": N_("Runde"),
    "kind": N_("Vurdering"),
    **{f"areas.{key}": label for key, label in wellbeing.AREAS.items()},
    **{f"area_notes.{key}": f"Kommentar: {label}" for key, label in wellbeing.AREAS.items()},
    "overall": "Samlet vurdering",
    "context": N_("Forældre og hjem"),
    "summary": N_("Fælles beskrivelse"),
    "decision": N_("Beslutning"),
}


KIND = RecordKind(
    key="wellbeing",
    label=N_("Trivselsvurdering"),
    schema=WellbeingData,
    field_labels=FIELD_LABELS,
    required_for_final=("round_id", "kind", *(f"areas.{k}" for k in wellbeing.AREAS), "overall"),
    rules=WellbeingRules(),
    writers=EVERY_WRITER,
    form_context=wellbeing_context,
    summary=summary,
    review_reason=review_reason,
)
