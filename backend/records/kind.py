"""What the app knows about one record kind, in one place (one `KIND` per `records/kinds/` module).

`records/registry.py` collects them; every consumer (the write path, access, views, forms,
export, retention) reads the kind from there. Adding a kind is one module in `records/kinds/`
plus its form and view templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.people.models import Child
from backend.records.models import Record
from backend.records.rules import Actor, RecordRules
from backend.records.types import Part

#: The roles that write every kind but the ADBB screening (domain §2).
EVERY_WRITER = frozenset({"health_visitor", "childminder", "childminder_supervisor", "pedagogue", "leader"})

#: (who is asking, the child or None, the writing unit, the page's query) → the form's values;
#: a "defaults" entry holds the values a new form opens with.
FormContext = Callable[[Actor, Child | None, str, dict[str, Any]], dict[str, Any]]
#: A stored `data` of an older schema version → the data of the next version.
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def no_form_context(actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    return {"defaults": {}}


def no_summary(record: Record) -> str:
    return ""


def nothing_held_back(record: Record) -> str | None:
    return None


@dataclass(frozen=True)
class RecordKind:
    #: The record's `type` in the contract.
    key: str
    #: The kind's Danish name (pages, export; translated where shown).
    label: str
    #: The shape of `data` (contract): checked on every save, drafts included.
    schema: type[Part]
    #: Dotted paths a final record must fill.
    required_for_final: tuple[str, ...]
    #: The write path's hooks: checks that need context, derived values, tasks and effects.
    rules: RecordRules
    #: The Danish label of each field path (`items.eye_contact`; a list's own label for its rows).
    field_labels: Mapping[str, str]
    #: The roles that may start a record of this kind in a unit (access, domain §2).
    writers: frozenset[str]
    #: What the form needs beyond the record (options, the child's context, defaults).
    form_context: FormContext = no_form_context
    #: One line about the record for lists (no more than the list's reader may see).
    summary: Callable[[Record], str] = no_summary
    #: The field holding the date that places the record on the child's timeline.
    key_date: str | None = None
    #: Checkbox fields (unchecked boxes send nothing, so a form says False for them).
    bool_fields: tuple[str, ...] = ()
    #: Why a record of this kind is held back from a right-of-access export for a human look.
    review_reason: Callable[[Record], str | None] = nothing_held_back
    #: The version of `data`'s schema that this code writes; stored data of an older version is
    #: brought up to date by `upgrades[old_version]`, one version at a time (sync, issue 23).
    schema_version: int = 1
    upgrades: Mapping[int, Upgrade] = field(default_factory=dict)
    #: Templates: the form's fields and the record's view (`records/forms/…`, `records/show/…`).
    form_template: str = ""
    show_template: str = ""
    #: Where an error message needs a fuller name than the view's label ("Point for Øjenkontakt").
    error_labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.form_template:
            object.__setattr__(self, "form_template", f"records/forms/{self.key}.html")
        if not self.show_template:
            object.__setattr__(self, "show_template", f"records/show/{self.key}.html")

    def upgrade(self, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Stored data of schema `version` in this code's schema version."""
        while version < self.schema_version:
            data = self.upgrades[version](data)
            version += 1
        return data
