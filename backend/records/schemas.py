"""Schema versions of a record's `data` on the wire: a device may hold writes made by an older
release (an outbox that waited through an update); each kind keeps an upgrade for every schema
it ever issued (`RecordKind.schema_version`, `RecordKind.upgrades`)."""

from __future__ import annotations

from typing import Any

from backend.records.registry import KINDS
from backend.records.types import FieldError

#: The wire's first schema: an item that names none was written by it.
FIRST_SCHEMA = 1


def upgraded(body: dict[str, Any]) -> dict[str, Any]:
    """The write `body` with its `data` brought to the kind's current schema (its `schema` key
    dropped); FieldError for a schema this server never issued. An unknown type passes
    through unchanged (the write path names that error)."""
    schema = body.get("schema", FIRST_SCHEMA)
    rest = {key: value for key, value in body.items() if key != "schema"}
    entry = KINDS.get(rest.get("type")) if isinstance(rest.get("type"), str) else None
    if entry is None:
        return rest
    if (
        isinstance(schema, bool)
        or not isinstance(schema, int)
        or not FIRST_SCHEMA <= schema <= entry.schema_version
    ):
        raise FieldError(
            [
                {
                    "field": "schema",
                    "message": (
                        f"Registreringen er skrevet i et skema ({schema}), som denne version af Opspor "
                        f"ikke kender (højst {entry.schema_version}). Opdatér appen og prøv igen."
                    ),
                }
            ]
        )
    data = rest.get("data")
    if not isinstance(data, dict):
        return rest
    for version in range(schema, entry.schema_version):
        data = entry.upgrades[version](dict(data))
    return {**rest, "data": data}
