"""Field labels for views, comparisons and error lists (each kind declares its own), and the
flattening and differencing of record data."""

from __future__ import annotations

from typing import Any

from backend.domain.messages import VALIDATION_MESSAGES
from backend.i18n import N_
from backend.i18n import gettext as _
from backend.records.registry import KINDS
from backend.records.types import MISSING_FOR_FINAL

#: The label of a field the app does not know. Never the key itself: keys can come from a
#: client, and a label is translated and shown as a heading.
UNKNOWN_FIELD = N_("Ukendt felt")

#: Every kind's labels together, for a path whose kind is not known (a kind's own label first).
ALL_FIELD_LABELS: dict[str, str] = {}
for _kind in KINDS.values():
    for _path, _label in _kind.field_labels.items():
        ALL_FIELD_LABELS.setdefault(_path, _label)


def label_for(path: str, record_type: str = "") -> str:
    """The label of a field path (`data.items.eye_contact` or `agreements.0.what`) in a record
    of the given kind (the same path can mean different things: a consent's `kind` is not a
    well-being assessment's).

    Always a fixed Danish label from the kind (or `UNKNOWN_FIELD`), never the path itself."""
    kind = KINDS.get(record_type)
    labels = kind.field_labels if kind is not None else ALL_FIELD_LABELS
    path = path.removeprefix("data.")
    if path in labels:
        return labels[path]
    head = path.split(".")[0]
    return labels.get(head, UNKNOWN_FIELD)


#: Messages that only say a field is empty: the named message says it in one sentence.
_MISSING = {MISSING_FOR_FINAL, VALIDATION_MESSAGES["missing"], VALIDATION_MESSAGES["string_too_short"]}


def error_label(path: str, record_type: str = "") -> str:
    """The (translated) name of a field in an error message: the kind's error label if it has
    one ("Point for Øjenkontakt"), else the field's label."""
    kind = KINDS.get(record_type)
    short = path.removeprefix("data.")
    if kind is not None and short in kind.error_labels:
        return _(kind.error_labels[short])
    return _(label_for(path, record_type))


def named_errors(errors: dict[str, str], record_type: str = "") -> dict[str, str]:
    """Each field's error message with the field's name in it (issue 17): "Point for
    Øjenkontakt skal udfyldes.", "Dato for screeningen: Datoen ligger i fremtiden." – so that a
    list of errors says which field each one is about. The name is always a fixed label
    (`UNKNOWN_FIELD` for a path the kind does not know), never the path."""
    named = {}
    for field, message in errors.items():
        name = error_label(field, record_type)
        if message in _MISSING:
            named[field] = _("%(field)s skal udfyldes.") % {"field": name}
        else:
            named[field] = _("%(field)s: %(message)s") % {"field": name, "message": _(message)}
    return named


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Leaf values of nested data as (path, value), skipping empty ones."""
    if isinstance(data, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in data.items():
            rows.extend(flatten(value, f"{prefix}{key}."))
        return rows
    if isinstance(data, list):
        rows = []
        for index, value in enumerate(data):
            rows.extend(flatten(value, f"{prefix}{index}."))
        return rows
    return [] if data in (None, "") else [(prefix.rstrip("."), data)]


def differences(mine: dict, theirs: dict) -> list[tuple[str, Any, Any]]:
    """The fields where two versions differ: (path, my value, their value)."""
    left, right = dict(flatten(mine)), dict(flatten(theirs))
    return [
        (path, left.get(path), right.get(path))
        for path in sorted(set(left) | set(right))
        if left.get(path) != right.get(path)
    ]
