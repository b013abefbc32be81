"""What a device needs to keep its offline copy true: the caller's scope and what to download."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import select

from backend.auth.policy import children_in_scope
from backend.db import utcnow
from backend.domain.dates import today
from backend.people.service import caseload_child_ids
from backend.records.access import incoming_children, own_unit_records
from backend.records.models import Record
from backend.records.registry import types_for
from backend.web.context import SignedIn

router = APIRouter(prefix="/api", tags=["sync"])

#: Pages a device keeps for offline use (never admin pages, which may show CPR numbers).
SHELL_PAGES = ["/", "/children", "/tasks", "/outbox", "/conflicts"]
RECENT_RECORDS_PER_CHILD = 10


@router.get("/sync/scope")
def sync_scope(ctx: SignedIn) -> dict:
    """The children the caller may keep on the device now; a device deletes every other child."""
    rows = children_in_scope(ctx.db, ctx.scope, today())
    incoming = incoming_children(ctx.db, ctx.scope)
    return {
        "user_id": ctx.user.id,
        "children": sorted({child.id for child, _p in rows} | {child.id for child in incoming}),
        "offline_days": ctx.municipal.offline_days,
        "server_time": utcnow().isoformat(),
    }


@router.get("/offline/manifest")
def offline_manifest(ctx: SignedIn) -> dict:
    """Every page the caller may need without network: the shell, the caseload's child pages,
    a blank form per record type and child, and the children's recent records."""
    rows = children_in_scope(ctx.db, ctx.scope, today())
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
    return {"urls": urls, "children": len(caseload)}
