"""Field labels for views, comparisons and error lists (each kind declares its own), and the
flattening and differencing of record data."""

from __future__ import annotations

from typing import Any

from backend.i18n import N_
from backend.records.registry import KINDS

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
