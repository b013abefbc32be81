"""HTML forms → the contract's write body, so forms, JSON and offline replays share one path.

Inputs are named by their place in the body: `status`, `base_version`, `child_id`,
`data.items.eye_contact`, `data.agreements.0.what`. Empty inputs mean "not filled in"; list rows
left completely empty are dropped; a checkbox sends "on" (or "true").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backend.domain.messages import N_
from backend.domain.numbers import is_digits, parse_int

MAX_FIELDS = 500
MAX_INDEX = 50
#: Row fields that alone do not make a row filled in (a box, a row's hidden key).
ROW_MARKERS = frozenset({"done", "key"})


class FormShapeError(ValueError):
    """A field name that cannot be placed (too deep, an index too large, a clash)."""


def unflatten(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for count, (name, value) in enumerate(items):
        if count >= MAX_FIELDS:
            raise FormShapeError(N_("Formularen har for mange felter."))
        if name == "csrf_token" or not isinstance(value, str):
            continue
        _place(tree, name.split("."), _value(value))
    return _lists(tree)


def _value(raw: str) -> Any:
    if raw == "":
        return None
    return raw


def _place(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    if len(parts) > 6 or any(not part for part in parts):
        raise FormShapeError("Ukendt felt i formularen.")
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise FormShapeError("Ukendt felt i formularen.")
        node = child
    last = parts[-1]
    if last in node and value is not None:
        existing = node[last]
        node[last] = [*existing, value] if isinstance(existing, list) else [existing, value]
    elif last not in node or node[last] is None:
        node[last] = value


def _lists(node: Any) -> Any:
    """Turn dicts keyed 0, 1, 2… into lists, dropping rows with nothing filled in."""
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(is_digits(key) for key in converted):
        if any(int(key) > MAX_INDEX for key in converted):
            raise FormShapeError(N_("Formularen har for mange rækker."))
        rows = [converted[key] for key in sorted(converted, key=int)]
        return [row for row in rows if _filled(row)]
    return converted


def _filled(row: Any) -> bool:
    if isinstance(row, dict):
        return any(_filled(value) for key, value in row.items() if key not in ROW_MARKERS)
    return row not in (None, "", [])


def checkbox(value: Any) -> bool:
    return value in ("on", "true", "1", True)


def form_to_body(form: dict[str, Any], bool_paths: Iterable[str] = ()) -> dict[str, Any]:
    """The write body from an unflattened form; unchecked checkboxes become False."""
    data = form.get("data") or {}
    for path in bool_paths:
        _set_bool(data, path.split("."))
    base = form.get("base_version")
    return {
        "type": form.get("type"),
        "child_id": form.get("child_id"),
        "unit_id": form.get("unit_id"),
        "base_version": parse_int(base) if isinstance(base, str) else None,
        "status": form.get("status") or "draft",
        "data": data,
    }


def _set_bool(node: Any, parts: list[str]) -> None:
    if parts and parts[0] == "*":
        for row in node if isinstance(node, list) else []:
            _set_bool(row, parts[1:])
        return
    if not isinstance(node, dict):
        return
    if len(parts) == 1:
        node[parts[0]] = checkbox(node.get(parts[0]))
    elif parts[0] in node:
        _set_bool(node[parts[0]], parts[1:])
