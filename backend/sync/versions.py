"""Per-page versions for the delta download: an ETag per offline page, so a device refetches
only the pages that changed since its copy ("Hent til offline", each later sync).

A child's version is read from the rows a child's pages show (the child, guardians, placements,
caseload, tasks, kept writes, records: counts and newest change times) — a few grouped queries,
no rendering. A page's ETag combines it with who asks (user, roles and session: a new sign-in
gets fresh pages and a fresh CSRF token), the language, the release and the day (ages and due dates
move with the day). ETags are weak (`W/"…"`): equal pages, not equal bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, child_in_scope
from backend.config import Settings
from backend.domain.dates import today
from backend.people.models import Caseload, Child, Guardian, Placement, Room
from backend.records.access import incoming_child, visible_record
from backend.records.models import EvaluationRound, KeptWrite, Record, Task
from backend.sync.conditional import NotModified

_CHILD_PAGE = re.compile(r"^/children/([0-9a-f-]{36})$")
_FORM_PAGE = re.compile(r"^/forms/([a-z_]+)$")
_RECORD_PAGE = re.compile(r"^/records/([0-9a-f-]{36})(/edit)?$")


class VersionContext(Protocol):
    db: Session
    scope: Scope
    settings: Settings
    audit: AuditTrail
    language: str

    @property
    def session(self) -> Any: ...

    @property
    def user(self) -> Any: ...


def child_versions(db: Session, child_ids: Iterable[str]) -> dict[str, str]:
    """A short fingerprint per child of everything its pages show; changes when any of it does."""
    ids = sorted(set(child_ids))
    if not ids:
        return {}
    parts: dict[str, list[Any]] = {child_id: [] for child_id in ids}

    def gather(label: str, query: Any) -> None:
        for row in db.exec(query).all():
            parts[row[0]].append([label, *[str(value) for value in row[1:]]])

    gather("child", select(Child.id, Child.updated_at, Child.name, Child.birth_date).where(Child.id.in_(ids)))
    gather(
        "record",
        select(Record.child_id, func.count(), func.max(Record.updated_at))
        .where(Record.child_id.in_(ids))
        .group_by(Record.child_id),
    )
    gather(
        "placement",
        select(
            Placement.child_id,
            Placement.id,
            Placement.unit_id,
            Placement.room_id,
            Placement.starts_on,
            Placement.ends_on,
        )
        .where(Placement.child_id.in_(ids))
        .order_by(Placement.id),
    )
    gather(
        "guardian",
        select(
            Guardian.child_id, Guardian.id, Guardian.name, Guardian.relation, Guardian.phone, Guardian.email
        )
        .where(Guardian.child_id.in_(ids))
        .order_by(Guardian.id),
    )
    gather(
        "caseload",
        select(Caseload.child_id, Caseload.id, Caseload.user_id, Caseload.unit_id, Caseload.since)
        .where(Caseload.child_id.in_(ids))
        .order_by(Caseload.id),
    )
    gather(
        "task",
        select(Task.child_id, Task.id, Task.status, Task.due_on, Task.assignee_id)
        .where(Task.child_id.in_(ids))
        .order_by(Task.id),
    )
    gather(
        "kept",
        select(
            KeptWrite.child_id, func.count(), func.max(KeptWrite.created_at), func.max(KeptWrite.resolved_at)
        )
        .where(KeptWrite.child_id.in_(ids))
        .group_by(KeptWrite.child_id),
    )
    gather(  # the well-being rounds of the child's units (the forms offer them)
        "round",
        select(
            Placement.child_id,
            EvaluationRound.id,
            EvaluationRound.name,
            EvaluationRound.opens_on,
            EvaluationRound.closes_on,
        )
        .join(EvaluationRound, EvaluationRound.unit_id == Placement.unit_id)
        .where(Placement.child_id.in_(ids))
        .order_by(EvaluationRound.id),
    )
    gather(
        "room",
        select(Placement.child_id, Room.id, Room.name)
        .join(Room, Room.id == Placement.room_id)
        .where(Placement.child_id.in_(ids))
        .order_by(Room.id),
    )
    return {child_id: _digest(rows) for child_id, rows in parts.items()}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, default=str).encode()).hexdigest()[:24]


def _child_of_url(url: str) -> tuple[str, str | None, str | None]:
    """(kind of page, child id, record id) for an offline page's URL."""
    parts = urlsplit(url)
    if match := _CHILD_PAGE.match(parts.path):
        return "child", match.group(1), None
    if _FORM_PAGE.match(parts.path):
        child = (parse_qs(parts.query).get("child") or [""])[0]
        return "form", child or None, None
    if match := _RECORD_PAGE.match(parts.path):
        return "record", None, match.group(1)
    return "", None, None


def _etag(ctx: VersionContext, url: str, version: str, on: date) -> str:
    roles = sorted((unit, sorted(names)) for unit, names in ctx.scope.roles_by_unit.items())
    who = [
        ctx.user.id,
        ctx.session.id if ctx.session else "",
        roles,
        ctx.language,
        ctx.settings.release,
        on.isoformat(),
    ]
    return f'W/"{_digest([*who, url, version])}"'


def manifest_etags(ctx: VersionContext, urls: list[str], on: date) -> dict[str, str]:
    """The ETag of every page of an offline manifest that has one (pages about a child); the
    caller built `urls` from the user's scope, so no access check is repeated here."""
    wanted: dict[str, str] = {}
    record_ids = []
    for url in urls:
        kind, child_id, record_id = _child_of_url(url)
        if child_id:
            wanted[url] = child_id
        elif record_id:
            record_ids.append(record_id)
    if record_ids:
        owners = dict(ctx.db.exec(select(Record.id, Record.child_id).where(Record.id.in_(record_ids))).all())
        for url in urls:
            _kind, _child, record_id = _child_of_url(url)
            if record_id and owners.get(record_id):
                wanted[url] = owners[record_id]
    versions = child_versions(ctx.db, wanted.values())
    return {url: _etag(ctx, url, versions[child_id], on) for url, child_id in wanted.items()}


def page_etag(ctx: VersionContext, url: str) -> tuple[str, str, str | None, Record | None] | None:
    """The ETag of one offline page the caller may see now (None: no ETag, or no access — the
    route then answers as always), with the page's kind, child and record."""
    kind, child_id, record_id = _child_of_url(url)
    on = today()
    record = None
    if record_id:
        record = visible_record(ctx.db, ctx.scope, record_id, on)
        if record is None or record.child_id is None:
            return None
        child_id = record.child_id
    elif not child_id or not _may_see_child(ctx, child_id, on):
        return None
    version = child_versions(ctx.db, [child_id])[child_id]
    return _etag(ctx, url, version, on), kind, child_id, record


def _may_see_child(ctx: VersionContext, child_id: str, on: date) -> bool:
    return child_in_scope(ctx.db, ctx.scope, child_id, on) is not None or (
        incoming_child(ctx.db, ctx.scope, child_id) is not None
    )


def not_modified(ctx: VersionContext, url: str, if_none_match: str | None) -> str | None:
    """The page's ETag, and whether the device's copy (`If-None-Match`) is still current: then
    the read is audited as the page itself would audit it (the user sees the device's copy)."""
    found = page_etag(ctx, url)
    if found is None:
        return None
    etag, kind, child_id, record = found
    if if_none_match and etag in {tag.strip() for tag in if_none_match.split(",")}:
        if kind == "child":
            ctx.audit.add("child.read", "child", child_id, child_id, not_modified=True)
        elif kind == "record" and record is not None:
            ctx.audit.add("record.read", record.type, record.id, record.child_id, not_modified=True)
        elif kind == "form":
            ctx.audit.add(
                "record.form", urlsplit(url).path.rsplit("/", 1)[-1], None, child_id, not_modified=True
            )
        raise NotModified(etag)
    return etag
