"""What the well-being form and view need: the unit's rounds, the kind, and for a joint
assessment the individual marks it starts from (the well-being kind's `form_context`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from backend.auth.policy import is_id
from backend.domain import wellbeing
from backend.domain.dates import today
from backend.i18n import N_, gettext
from backend.people.models import Child, Unit, UnitKind
from backend.records.models import EvaluationRound, Record
from backend.records.rounds import open_round_of, period_of, unit_rounds
from backend.records.rules import Actor
from backend.records.views import user_names

ROUND_CHOICES = 6
KIND_LABELS = {"individual": N_("Individuel vurdering"), "joint": N_("Fælles vurdering")}
STATE_LABELS = {"upcoming": N_("ikke åbnet"), "open": N_("åben"), "closed": N_("lukket")}

#: The domain's Danish labels, marked here so they can be translated.
DOMAIN_LABELS = (
    N_("Kognitiv trivsel"),
    N_("Psykisk og emotionel trivsel"),
    N_("Social trivsel"),
    N_("Fysisk og sansemotorisk trivsel"),
    N_("Ingen yderligere handling"),
    N_("Dialogmøde med forældrene"),
    N_("Handleplan"),
    N_("Faglig sparring"),
    N_("Tværfagligt samarbejde"),
    N_("Henvisning til PPR"),
    N_("Underretning"),
)


def _round_label(evaluation_round: EvaluationRound, state: str) -> str:
    period = period_of(evaluation_round)
    return (
        f"{evaluation_round.name} ({wellbeing.danish_date(period.opens_on)}–"
        f"{wellbeing.danish_date(period.closes_on)}, {gettext(STATE_LABELS[state])})"
    )


def wellbeing_context(
    actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    on = today()
    rounds = unit_rounds(actor.db, unit_id)
    states = {r.id: wellbeing.round_state(period_of(r), on) for r in rounds}
    choices = [r for r in rounds if states[r.id] != "upcoming"][:ROUND_CHOICES]
    wanted = query.get("round") if is_id(query.get("round")) else None
    current = open_round_of(actor.db, unit_id, on)
    round_id = wanted if wanted in states else (current.id if current else None)
    kind = query.get("kind") if query.get("kind") in wellbeing.KINDS else "individual"
    unit = actor.db.get(Unit, unit_id) if unit_id else None
    defaults: dict[str, Any] = {"round_id": round_id, "kind": kind}
    if kind == "joint" and child is not None and round_id:
        defaults.update(_prefill(actor, child.id, round_id))
    marks = _MarksLookup(actor, child, unit_id)
    return {
        "rounds_by_id": {r.id: r for r in rounds},
        "round_choices": {r.id: _round_label(r, states[r.id]) for r in choices},
        "round_states": states,
        "kind_labels": KIND_LABELS,
        "health_visiting": unit is not None and unit.kind == UnitKind.health_visiting,
        "position_keys": wellbeing.POSITIONS,
        "marks_in_round": marks.individual,
        "other_record": marks.other,
        "disagreeing_of": lambda rows: wellbeing.disagreeing_areas(
            wellbeing.flat_positions(record.data) for _name, record in rows
        ),
        "defaults": defaults,
    }


def _prefill(actor: Actor, child_id: str, round_id: str) -> dict[str, Any]:
    """Joint positions the raters agree on, in the record's shape."""
    final = [
        wellbeing.flat_positions(r.data)
        for r in _round_marks(actor, child_id, round_id)
        if r.status == "final" and r.data.get("kind") == "individual"
    ]
    agreed = wellbeing.prefill_joint(final)
    values: dict[str, Any] = {"areas": {k: agreed[k] for k in wellbeing.AREAS if k in agreed}}
    for key in ("overall", "context"):
        if key in agreed:
            values[key] = agreed[key]
    return values


def _round_marks(actor: Actor, child_id: str, round_id: str) -> list[Record]:
    query = select(Record).where(
        Record.type == "wellbeing", Record.round_id == round_id, Record.child_id == child_id
    )
    return list(actor.db.exec(query.order_by(Record.created_at)))


class _MarksLookup:
    """Template helpers that read the round chosen in the form (known only while rendering)."""

    def __init__(self, actor: Actor, child: Child | None, unit_id: str) -> None:
        self.actor, self.child, self.unit_id = actor, child, unit_id

    def _records(self, round_id: Any) -> list[Record]:
        if self.child is None or not isinstance(round_id, str) or not is_id(round_id):
            return []
        return [r for r in _round_marks(self.actor, self.child.id, round_id) if r.unit_id == self.unit_id]

    def individual(self, round_id: Any) -> list[tuple[str, Record]]:
        """The final individual marks of the child in the round, as (rater name, record)."""
        marks = [
            r for r in self._records(round_id) if r.status == "final" and r.data.get("kind") == "individual"
        ]
        names = user_names(self.actor.db, {r.author_id for r in marks})
        return sorted(((names.get(r.author_id, ""), r) for r in marks), key=lambda pair: pair[0])

    def other(self, round_id: Any, kind: Any, record_id: str) -> Record | None:
        """The record this one would duplicate: the caller's own mark, or the joint assessment."""
        for record in self._records(round_id):
            if record.id == record_id or record.data.get("kind") != kind:
                continue
            if kind == "joint" or record.author_id == self.actor.user.id:
                return record
        return None
