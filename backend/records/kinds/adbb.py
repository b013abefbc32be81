"""ADBB screening (domain §4.1): total, cut-off, age, follow-up task, two-in-a-row flag."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field
from sqlmodel import select

from backend.domain import adbb
from backend.domain.dates import age_in_months
from backend.domain.messages import N_
from backend.domain.numbers import is_digits
from backend.i18n import gettext as _
from backend.people.models import Child
from backend.people.service import is_adbb_certified
from backend.records.kind import RecordKind
from backend.records.models import Record
from backend.records.rules import Actor, RecordRules, Write
from backend.records.tasks import close_tasks, ensure_task
from backend.records.types import Part, Score, ShortText, Text, keyed_part

#: Why a screening stays a draft for a health visitor without the ADBB training (issue 16).
NOT_CERTIFIED = (
    "Kun en sundhedsplejerske, der er certificeret i ADBB (Københavns Universitets uddannelse), kan "
    "afslutte screeningen. Gem den som kladde, og bed en certificeret kollega eller "
    "administratoren om hjælp."
)

AdbbItems = keyed_part("AdbbItems", adbb.ITEMS, Score)
AdbbNotes = keyed_part("AdbbNotes", adbb.ITEMS, Text)


class AdbbData(Part):
    screened_on: date | None = None
    occasion: Literal[tuple(adbb.OCCASIONS)] | None = None  # type: ignore[valid-type]
    items: AdbbItems = Field(default_factory=AdbbItems)  # type: ignore[valid-type]
    item_notes: AdbbNotes = Field(default_factory=AdbbNotes)  # type: ignore[valid-type]
    present: ShortText | None = None
    parent_dialogue: Text | None = None
    action: Literal[tuple(adbb.ACTIONS)] | None = None  # type: ignore[valid-type]
    action_note: Text | None = None
    age_reason: Text | None = None


class AdbbRules(RecordRules):
    def check(self, write: Write) -> None:
        data: AdbbData = write.data  # type: ignore[assignment]
        write.past_date("screened_on", data.screened_on)
        if self._needs_age_reason(write, data):
            write.error(
                "age_reason", "Barnet er uden for 2–24 måneder. Skriv, hvorfor der alligevel screenes."
            )
        if write.is_final and data.action == "other" and not (data.action_note or "").strip():
            write.error("action_note", "Beskriv den anden handling.")
        if write.is_final and not is_adbb_certified(write.db, write.user.id):
            write.errors.append({"field": "status", "message": NOT_CERTIFIED})

    @staticmethod
    def _needs_age_reason(write: Write, data: AdbbData) -> bool:
        if write.child is None or data.screened_on is None or data.screened_on < write.child.birth_date:
            return False
        outside = adbb.age_is_outside_range(write.child.birth_date, data.screened_on)
        return outside and not (data.age_reason or "").strip()

    def derive(self, write: Write) -> dict[str, Any]:
        data: AdbbData = write.data  # type: ignore[assignment]
        items = {k: v for k, v in data.items.model_dump().items() if v is not None}
        cutoff = self._cutoff(write)
        total = adbb.total(items)
        derived: dict[str, Any] = {
            "total": total,
            "cutoff": cutoff,
            "above_cutoff": adbb.is_above_cutoff(total, cutoff),
            "scored_items": len(items),
        }
        if write.child and data.screened_on:
            derived["age_months"] = age_in_months(write.child.birth_date, data.screened_on)
        if write.is_final and data.screened_on and data.occasion:
            current = adbb.Screening(data.occasion, data.screened_on, derived["above_cutoff"])
            derived["consider_notification"] = adbb.consider_notification(current, self._earlier(write))
            if adbb.wants_follow_up(derived["above_cutoff"], data.action):
                derived["follow_up_due_on"] = adbb.follow_up_due_on(
                    data.screened_on, write.actor.municipal.adbb_follow_up_days
                ).isoformat()
        return derived

    def after_save(self, write: Write, record: Record) -> None:
        if not write.is_final or write.child is None:
            return
        data: AdbbData = write.data  # type: ignore[assignment]
        # A later screening does the follow-up that an earlier one asked for.
        for earlier in self._earlier_records(write):
            if earlier.data.get("screened_on", "") <= (data.screened_on.isoformat()):
                close_tasks(write.db, closed_by=write.user.id, key=f"adbb_follow_up:{earlier.id}")
        if data.occasion in ("first", "second"):  # the scheduled screening is done
            close_tasks(write.db, closed_by=write.user.id, key=f"adbb_{data.occasion}_due:{record.child_id}")
        if adbb.wants_follow_up(bool(record.derived.get("above_cutoff")), data.action):
            ensure_task(
                write.db,
                key=f"adbb_follow_up:{record.id}",
                kind="adbb_follow_up",
                unit_id=record.unit_id,
                child_id=record.child_id,
                assignee_id=record.author_id,
                record_id=record.id,
                due_on=adbb.follow_up_due_on(data.screened_on, write.actor.municipal.adbb_follow_up_days),
            )
        else:
            close_tasks(
                write.db, closed_by=write.user.id, status="cancelled", key=f"adbb_follow_up:{record.id}"
            )

    def _cutoff(self, write: Write) -> int:
        """A screening keeps the cut-off it was first judged against."""
        if write.existing is not None and "cutoff" in write.existing.derived:
            return int(write.existing.derived["cutoff"])
        return write.actor.municipal.adbb_cutoff

    def _earlier_records(self, write: Write) -> list[Record]:
        query = select(Record).where(
            Record.type == "adbb",
            Record.child_id == write.child.id,
            Record.unit_id == write.unit_id,
            Record.status == "final",
            Record.id != write.record_id,
        )
        return list(write.db.exec(query))

    def _earlier(self, write: Write) -> list[adbb.Screening]:
        from datetime import date

        return [
            adbb.Screening(
                r.data.get("occasion", ""),
                date.fromisoformat(r.data["screened_on"]),
                bool(r.derived.get("above_cutoff")),
            )
            for r in self._earlier_records(write)
            if r.data.get("screened_on")
        ]


def summary(record: Record) -> str:
    """The total, and whether it is above the cut-off."""
    if "total" not in record.derived:
        return ""
    text = _("Total %(total)s af 32") % {"total": record.derived["total"]}
    if record.derived.get("above_cutoff"):
        text += " – " + _("over grænsen")
    return text


def form_context(actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    return {
        "items": adbb.ITEMS,
        "scores": adbb.SCORES,
        "occasions": adbb.OCCASIONS,
        "score_options": {score: f"{score} – {text}" for score, text in adbb.SCORES.items()},
        "adbb_total": _total_of,
        "actions": adbb.ACTIONS,
        "cutoff": actor.municipal.adbb_cutoff,
        "min_age": adbb.MIN_AGE_MONTHS,
        "max_age": adbb.MAX_AGE_MONTHS,
        "defaults": {"occasion": query.get("occasion")},
    }


def _total_of(items: Any) -> int:
    """The total of the scores filled in so far (form values may be text)."""
    if not isinstance(items, dict):
        return 0
    return sum(int(v) for v in items.values() if isinstance(v, int | str) and is_digits(str(v)))


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "screened_on": N_("Dato for screeningen"),
    "occasion": N_("Anledning"),
    "present": "Til stede",
    "parent_dialogue": N_("Samtalen med forældrene"),
    "action": N_("Handling"),
    "action_note": N_("Beskrivelse af handlingen"),
    "age_reason": N_("Begrundelse for alder"),
    **{f"items.{key}": label for key, label in adbb.ITEMS.items()},
    **{f"item_notes.{key}": f"Note: {label}" for key, label in adbb.ITEMS.items()},
}


#: Error messages name an item's score ("Point for Øjenkontakt skal udfyldes.").
ERROR_LABELS: dict[str, str] = {
    "items.facial_expression": N_("Point for Ansigtsudtryk"),
    "items.eye_contact": N_("Point for Øjenkontakt"),
    "items.activity_level": N_("Point for Generelt aktivitetsniveau"),
    "items.self_stimulation": N_("Point for Selvstimulerende bevægelser"),
    "items.vocalisation": N_("Point for Vokalisering"),
    "items.response_briskness": N_("Point for Reaktion på stimulation"),
    "items.relationship": N_("Point for Evne til at indgå i relation"),
    "items.attracting_attention": N_("Point for Evne til at tiltrække og fastholde opmærksomhed"),
}


KIND = RecordKind(
    key="adbb",
    label="ADBB-screening",
    schema=AdbbData,
    field_labels=FIELD_LABELS,
    required_for_final=("screened_on", "occasion", *(f"items.{k}" for k in adbb.ITEMS), "action"),
    rules=AdbbRules(),
    writers=frozenset({"health_visitor"}),
    form_context=form_context,
    summary=summary,
    key_date="screened_on",
    error_labels=ERROR_LABELS,
)
