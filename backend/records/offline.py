"""What a device needs to keep its offline copy true: the caller's scope (a device deletes every
other child) and the pages to download (each child downloaded is audited)."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, children_in_scope
from backend.people.models import User
from backend.people.service import caseload_child_ids
from backend.records.access import incoming_children, own_unit_records
from backend.records.models import Record
from backend.records.registry import types_for

#: Pages a device keeps for offline use (never admin pages, which may show CPR numbers).
SHELL_PAGES = ["/", "/children", "/tasks", "/outbox", "/conflicts"]
RECENT_RECORDS_PER_CHILD = 10


class OfflineContext(Protocol):
    db: Session
    audit: AuditTrail
    scope: Scope
    user: User


def children_to_keep(db: Session, scope: Scope, on: date) -> list[str]:
    """The children the caller may keep on the device now (placed in scope, or incoming)."""
    rows = children_in_scope(db, scope, on)
    incoming = incoming_children(db, scope)
    return sorted({child.id for child, _p in rows} | {child.id for child in incoming})


def offline_manifest(ctx: OfflineContext, on: date) -> tuple[list[str], int]:
    """Every page the caller may need without network: the shell, the caseload's child pages,
    a blank form per record type and child, and the children's recent records; and how many
    children that is."""
    rows = children_in_scope(ctx.db, ctx.scope, on)
    mine = caseload_child_ids(ctx.db, ctx.user.id)
    caseload = [(c, p) for c, p in rows if c.id in mine] or rows
    urls = list(SHELL_PAGES)
    for child, placement in caseload:
        urls.append(f"/children/{child.id}")
        urls.extend(f"/forms/{kind}?child={child.id}" for kind in types_for(ctx.scope, placement.unit_id))
        ctx.audit.add("offline.download", "child", child.id, child.id)
    child_ids = [child.id for child, _p in caseload]
    if child_ids:
        records = ctx.db.exec(
            select(Record.id, Record.child_id, Record.status, Record.unit_id)
            .where(Record.child_id.in_(child_ids), own_unit_records(ctx.scope))
            .order_by(Record.updated_at.desc())
        ).all()
        per_child: dict[str, int] = {}
        placements = {child.id: placement.unit_id for child, placement in caseload}
        for record_id, child_id, status, unit_id in records:
            if unit_id != placements.get(child_id) or per_child.get(child_id, 0) >= RECENT_RECORDS_PER_CHILD:
                continue
            per_child[child_id] = per_child.get(child_id, 0) + 1
            urls.append(f"/records/{record_id}")
            if status == "draft":
                urls.append(f"/records/{record_id}/edit")
    return urls, len(caseload)
