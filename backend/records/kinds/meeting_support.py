"""What dialogue meetings and reflections share: list rows with stable keys and their tasks,
and the consent a record needs before it can be final."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

from sqlmodel import Session, select

from backend.domain.meetings import row_keys
from backend.people.models import Child
from backend.records.consents import consent_given
from backend.records.models import Record, Task
from backend.records.rules import Actor, Write
from backend.records.tasks import ensure_task

TASK_TEXT_MAX = 80


def new_row_key() -> str:
    return uuid4().hex[:12]


def key_rows(rows: Sequence, previous: list[dict]) -> None:
    """Give every row (a pydantic part with `key` and `what`) its stable key, in place."""
    earlier = [(row["key"], row.get("what")) for row in previous if isinstance(row, dict) and row.get("key")]
    keys = row_keys([(row.key, row.what) for row in rows], earlier, new_row_key)
    for row, key in zip(rows, keys, strict=True):
        row.key = key


def previous_rows(write: Write, name: str) -> list[dict]:
    rows = write.existing.data.get(name) if write.existing is not None else None
    return rows if isinstance(rows, list) else []


def short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= TASK_TEXT_MAX else text[: TASK_TEXT_MAX - 1] + "…"


def row_task(write: Write, record: Record, kind: str, key: str, due_on, what: str | None) -> None:
    ensure_task(
        write.db,
        key=f"{kind}:{record.id}:{key}",
        kind=kind,
        unit_id=record.unit_id,
        child_id=record.child_id,
        assignee_id=record.author_id,
        record_id=record.id,
        due_on=due_on,
        params={"what": short(what)},
    )


def close_row_task(write: Write, record: Record, kind: str, key: str, status: str = "done") -> None:
    from backend.records.tasks import close_tasks

    close_tasks(write.db, closed_by=write.user.id, status=status, key=f"{kind}:{record.id}:{key}")


def cancel_removed_rows(write: Write, record: Record, kind: str, keys: set[str]) -> None:
    """Rows taken out of the record take their open tasks with them."""
    from backend.db import utcnow

    prefix = f"{kind}:{record.id}:"
    query = select(Task).where(
        Task.record_id == record.id, Task.kind == kind, Task.status.in_(("open", "held"))
    )
    for task in write.db.exec(query):
        if task.key.removeprefix(prefix) not in keys:
            task.status, task.closed_at, task.closed_by_id = "cancelled", utcnow(), write.user.id
            write.db.add(task)


def consent_link(child_id: str, kind: str, scope: str) -> str:
    """Where the consent is recorded (the consent form, filled in for this record)."""
    return "/forms/consent?" + urlencode({"child": child_id, "kind": kind, "scope": scope})


def check_consent_reference(write: Write, consent_id: str | None, kind: str, scopes: set[str]) -> None:
    """A `consent_id` must name a final consent of this child, of the right kind and scope."""
    if consent_id is None:
        return
    consent = write.db.get(Record, consent_id)
    fits = (
        consent is not None
        and consent.type == "consent"
        and consent.status == "final"
        and write.child is not None
        and consent.child_id == write.child.id
        and consent.data.get("kind") == kind
        and consent.data.get("scope") in scopes
    )
    if not fits:
        write.error("consent_id", "Samtykket findes ikke for dette barn og denne registrering.")


def has_consent(db: Session, child_id: str | None, kind: str, scopes: set[str]) -> bool:
    return child_id is not None and any(consent_given(db, child_id, kind, scope) for scope in scopes)


def require_consent(write: Write, kind: str, scope: str, message: str) -> None:
    """A field error pointing to where the consent is recorded (JSON gets the link as `href`)."""
    write.errors.append(
        {
            "field": "data.consent_id",
            "message": message,
            "href": consent_link(write.child.id, kind, scope) if write.child else "",
        }
    )


#: Blank rows a form shows below the filled ones (the way to add rows without JavaScript).
BLANK_ROWS = 2


def consent_helpers(actor: Actor, child: Child | None, kind: str, unit_id: str) -> dict[str, Any]:
    """Helpers for a form: is consent given for this record, and where is it recorded."""

    def given(record_id: str) -> bool:
        scopes = {record_id, unit_id} if kind == "sparring_case" else {record_id}
        return has_consent(actor.db, child.id if child else None, kind, scopes)

    def link(record_id: str) -> str:
        return consent_link(child.id, kind, record_id) if child else ""

    return {"consent_given_for": given, "consent_link_for": link}
