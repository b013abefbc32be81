"""The record-kind registry: every kind the app knows, in the order pages offer them.

Each kind declares everything about itself — schema, rules, access, form, view, summary, export
labels, schema version — in its own module in `records/kinds/` (see `records/kind.py`). This is
the only table of kinds: consumers ask `kind(key)` or walk `KINDS`.
"""

from __future__ import annotations

from backend.auth.policy import Scope
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.kinds import (
    action_paths,
    adbb,
    concern_note,
    consent,
    dialogue_meeting,
    notification,
    reflection,
    transition,
    wellbeing,
)
from backend.records.models import Record

__all__ = [
    "EVERY_WRITER",
    "KINDS",
    "LABELS",
    "RECORD_TYPES",
    "RecordKind",
    "key_date",
    "kind",
    "label_of",
    "may_start",
    "record_summary",
    "types_for",
]

KINDS: dict[str, RecordKind] = {
    entry.key: entry
    for entry in (
        adbb.KIND,
        wellbeing.KIND,
        dialogue_meeting.KIND,
        reflection.KIND,
        transition.KIND,
        concern_note.KIND,
        notification.KIND,
        consent.KIND,
        action_paths.KIND,
    )
}

RECORD_TYPES = tuple(KINDS)
#: Each kind's Danish name, for templates (`type_labels[record.type]`).
LABELS: dict[str, str] = {key: entry.label for key, entry in KINDS.items()}


def kind(key: str) -> RecordKind:
    """The kind of a record type (KeyError for a type the app does not know)."""
    return KINDS[key]


def label_of(key: str) -> str:
    """A kind's Danish name, or "" for a type the app does not know."""
    entry = KINDS.get(key)
    return entry.label if entry else ""


def key_date(record: Record) -> str | None:
    """The date that places a record on the child's timeline (ISO, day only)."""
    entry = KINDS.get(record.type)
    value = record.data.get(entry.key_date) if entry and entry.key_date else None
    return value[:10] if isinstance(value, str) else None


def record_summary(record: Record) -> str:
    """One line about the record for lists (no more than the list's reader may see)."""
    entry = KINDS.get(record.type)
    return entry.summary(record) if entry else ""


def may_start(scope: Scope, record_type: str, unit_id: str) -> bool:
    """Whether the caller's roles in the unit may start a record of the kind (domain §2)."""
    entry = KINDS.get(record_type)
    return entry is not None and bool(scope.roles_by_unit.get(unit_id, frozenset()) & entry.writers)


def types_for(scope: Scope, unit_id: str) -> list[str]:
    """The kinds the caller may start in the unit, in the order pages offer them."""
    return [key for key in KINDS if may_start(scope, key, unit_id)]
