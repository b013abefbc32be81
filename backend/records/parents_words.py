"""The parents' own words on a record (issue 15): written by a guardian through an invitation,
attributed to them, carried unchanged through every staff write and never changed by staff.

A kind that holds them declares `parents_words: ParentsWordsList` and calls `keep_parents_words`
in its `prepare` and `check_parents_words` in its `check` (staff add their own text in their own
fields, e.g. the transition's `parents_part`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from backend.domain import parents
from backend.records.rules import Write
from backend.records.types import Id, Part, ShortText, Text


class ParentsWords(Part):
    part: Literal[tuple(parents.PARTS)]  # type: ignore[valid-type]
    guardian_id: Id
    guardian_name: ShortText
    invitation_id: Id
    submitted_at: datetime
    answers: dict[Annotated[str, Field(max_length=40)], Text] = Field(default_factory=dict, max_length=10)


ParentsWordsList = Annotated[list[ParentsWords], Field(max_length=50)]


def _existing(write: Write) -> list | None:
    return write.existing.data.get("parents_words") if write.existing is not None else None


def _normalised(stored: list | None) -> list | None:
    """Stored words as the schema writes them (so a date's spelling never counts as a change)."""
    if not stored:
        return None
    return [ParentsWords.model_validate(entry).model_dump(mode="json") for entry in stored]


def keep_parents_words(write: Write) -> None:
    """A staff write that does not carry the parents' words (a form, a phone) keeps them."""
    existing = _existing(write)
    if existing and getattr(write.data, "parents_words", None) is None:
        write.data.parents_words = [ParentsWords.model_validate(entry) for entry in existing]  # type: ignore[attr-defined]


def check_parents_words(write: Write) -> None:
    """Staff may add to a record, never add, change or remove the parents' own words."""
    sent = getattr(write.data, "parents_words", None)
    sent_json = [entry.model_dump(mode="json") for entry in sent] if sent else None
    if parents.parents_words_changed(_normalised(_existing(write)), sent_json):
        write.error(
            "parents_words",
            "Forældrenes egne ord kan ikke rettes af medarbejdere. "
            "Skriv jeres tilføjelser i jeres egne felter.",
        )
