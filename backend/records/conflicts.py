"""The life of a kept write: an author's conflict copy (a stale edit, kept next to the current
version until the author carries it over or lets it go) and a leader's out-of-scope write (a
write about a child who left the unit). Every read is audited here; nothing is ever dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, is_id
from backend.db import utcnow
from backend.people.models import Child, User
from backend.records.access import can_change, visible_record
from backend.records.models import KeptWrite, Record
from backend.records.views import user_names


class ConflictContext(Protocol):
    """The request context satisfies this."""

    db: Session
    audit: AuditTrail
    user: User
    scope: Scope


class NotYours(LookupError):
    """No such kept write for this user (the page answers 404, never telling which)."""


@dataclass
class KeptList:
    mine: list[KeptWrite]
    for_leader: list[KeptWrite]
    child_names: dict[str, str]


@dataclass
class KeptView:
    kept: KeptWrite
    current: Record | None
    names: dict[str, str]
    child_name: str
    can_carry_over: bool


@dataclass
class CarryOver:
    kept: KeptWrite
    current: Record
    child: Child | None
    values: dict[str, Any] = field(default_factory=dict)


def _child_names(db: Session, child_ids: set[str]) -> dict[str, str]:
    if not child_ids:
        return {}
    return dict(db.exec(select(Child.id, Child.name).where(Child.id.in_(child_ids))).all())


def _mine(ctx: ConflictContext, kept_id: str) -> KeptWrite:
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is None or kept.reason != "conflict" or kept.author_id != ctx.user.id:
        raise NotYours(kept_id)
    return kept


def _leaders(ctx: ConflictContext, kept_id: str) -> KeptWrite:
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is None or kept.reason != "out_of_scope" or not ctx.scope.leads(kept.unit_id):
        raise NotYours(kept_id)
    return kept


def open_kept_writes(ctx: ConflictContext) -> KeptList:
    """The user's unresolved conflict copies and, for a leader, the led units' kept writes."""
    mine = list(
        ctx.db.exec(
            select(KeptWrite)
            .where(
                KeptWrite.author_id == ctx.user.id,
                KeptWrite.reason == "conflict",
                KeptWrite.resolved_at.is_(None),
            )
            .order_by(KeptWrite.created_at.desc())
        )
    )
    for_leader = list(
        ctx.db.exec(
            select(KeptWrite)
            .where(
                KeptWrite.reason == "out_of_scope",
                KeptWrite.resolved_at.is_(None),
                KeptWrite.unit_id.in_(ctx.scope.led_unit_ids or {""}),
            )
            .order_by(KeptWrite.created_at.desc())
        )
    )
    for kept in mine + for_leader:
        ctx.audit.add("kept.list", kept.record_type, kept.record_id, kept.child_id)
    return KeptList(
        mine, for_leader, _child_names(ctx.db, {k.child_id for k in mine + for_leader if k.child_id})
    )


def read_kept_write(ctx: ConflictContext, kept_id: str, on: date) -> KeptView:
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is not None and kept.reason == "out_of_scope":
        kept = _leaders(ctx, kept_id)
        current = None
    else:
        kept = _mine(ctx, kept_id)
        current = visible_record(ctx.db, ctx.scope, kept.record_id, on)
    ctx.audit.add("kept.read", kept.record_type, kept.record_id, kept.child_id)
    names = user_names(ctx.db, {kept.author_id} | ({current.updated_by_id} if current else set()))
    child_name = _child_names(ctx.db, {kept.child_id} if kept.child_id else set()).get(kept.child_id, "")
    return KeptView(kept, current, names, child_name, current is not None and can_change(ctx.scope, current))


def carry_over(ctx: ConflictContext, kept_id: str, on: date) -> CarryOver:
    """The author's kept data on top of the current version, for the record's form."""
    kept = _mine(ctx, kept_id)
    current = visible_record(ctx.db, ctx.scope, kept.record_id, on)
    if current is None or not can_change(ctx.scope, current):
        raise NotYours(kept_id)
    child = ctx.db.get(Child, current.child_id) if current.child_id else None
    ctx.audit.add("kept.read", kept.record_type, kept.record_id, kept.child_id)
    return CarryOver(kept, current, child, {"data": kept.body.get("data", {}), "unit_id": current.unit_id})


def resolve(ctx: ConflictContext, kept_id: str) -> KeptWrite:
    """The author lets a conflict copy go, or the leader has dealt with a kept write."""
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is None:
        raise NotYours(kept_id)
    kept = _leaders(ctx, kept_id) if kept.reason == "out_of_scope" else _mine(ctx, kept_id)
    kept.resolved_at, kept.resolved_by_id = utcnow(), ctx.user.id
    ctx.db.add(kept)
    ctx.audit.add("kept.resolve", kept.record_type, kept.record_id, kept.child_id)
    return kept


def resolve_after_save(ctx: ConflictContext, kept_id: str | None, record_id: str) -> None:
    """The author saved the record from a conflict page: the copy is settled."""
    if not kept_id or not is_id(kept_id):
        return
    kept = ctx.db.get(KeptWrite, kept_id)
    if kept and kept.author_id == ctx.user.id and kept.record_id == record_id:
        kept.resolved_at, kept.resolved_by_id = utcnow(), ctx.user.id
        ctx.db.add(kept)
