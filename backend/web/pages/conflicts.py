"""Writes the server kept aside: an author's conflict copies, and a leader's out-of-scope writes.

Nothing a user saved is dropped: a stale edit is shown next to the current version so its
author can carry it over or let it go; a write about a child who left the unit goes to the
unit's leader.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from backend.auth.policy import is_id
from backend.db import utcnow
from backend.domain.dates import today
from backend.people.models import Child
from backend.records.access import can_change, visible_record
from backend.records.labels import differences, flatten, label_for
from backend.records.models import KeptWrite
from backend.records.registry import LABELS
from backend.records.views import user_names
from backend.web.context import SignedIn
from backend.web.pages.records import _form_page
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


def _my_conflict(ctx: SignedIn, kept_id: str) -> KeptWrite:
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is None or kept.reason != "conflict" or kept.author_id != ctx.user.id:
        raise HTTPException(404)
    return kept


def _leaders_kept(ctx: SignedIn, kept_id: str) -> KeptWrite:
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is None or kept.reason != "out_of_scope" or not ctx.scope.leads(kept.unit_id):
        raise HTTPException(404)
    return kept


@router.get("/conflicts")
def conflicts(ctx: SignedIn) -> Response:
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
    names = _child_names(ctx, {k.child_id for k in mine + for_leader if k.child_id})
    for kept in mine + for_leader:
        ctx.audit.add("kept.list", kept.record_type, kept.record_id, kept.child_id)
    return render(
        ctx.request,
        "conflicts.html",
        {"mine": mine, "for_leader": for_leader, "child_names": names, "type_labels": LABELS},
    )


@router.get("/conflicts/{kept_id}")
def conflict(ctx: SignedIn, kept_id: str) -> Response:
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is not None and kept.reason == "out_of_scope":
        kept = _leaders_kept(ctx, kept_id)
        current = None
    else:
        kept = _my_conflict(ctx, kept_id)
        current = visible_record(ctx.db, ctx.scope, kept.record_id, today())
    ctx.audit.add("kept.read", kept.record_type, kept.record_id, kept.child_id)
    mine = kept.body.get("data", {})
    names = user_names(ctx.db, {kept.author_id} | ({current.updated_by_id} if current else set()))
    return render(
        ctx.request,
        "conflict.html",
        {
            "kept": kept,
            "current": current,
            "type_label": LABELS.get(kept.record_type, ""),
            "differences": differences(mine, current.data) if current else [],
            "mine": flatten(mine),
            "label_for": partial(label_for, record_type=kept.record_type),
            "names": names,
            "child_name": _child_names(ctx, {kept.child_id} if kept.child_id else set()).get(
                kept.child_id, ""
            ),
            "can_carry_over": current is not None and can_change(ctx.scope, current),
        },
    )


@router.get("/conflicts/{kept_id}/edit")
def carry_over(ctx: SignedIn, kept_id: str) -> Response:
    """The record's form with the author's kept data on top of the current version."""
    kept = _my_conflict(ctx, kept_id)
    current = visible_record(ctx.db, ctx.scope, kept.record_id, today())
    if current is None or not can_change(ctx.scope, current):
        raise HTTPException(404)
    child = ctx.db.get(Child, current.child_id) if current.child_id else None
    values = {"data": kept.body.get("data", {}), "unit_id": current.unit_id}
    ctx.audit.add("kept.read", kept.record_type, kept.record_id, kept.child_id)
    return _form_page(
        ctx,
        current.type,
        child,
        current.unit_id,
        current.id,
        values,
        base_version=current.version,
        record=current,
        conflict_id=kept.id,
    )


@router.post("/conflicts/{kept_id}/resolve")
def resolve(ctx: SignedIn, kept_id: str) -> Response:
    kept = ctx.db.get(KeptWrite, kept_id) if is_id(kept_id) else None
    if kept is None:
        raise HTTPException(404)
    kept = _leaders_kept(ctx, kept_id) if kept.reason == "out_of_scope" else _my_conflict(ctx, kept_id)
    kept.resolved_at, kept.resolved_by_id = utcnow(), ctx.user.id
    ctx.db.add(kept)
    ctx.audit.add("kept.resolve", kept.record_type, kept.record_id, kept.child_id)
    return RedirectResponse("/conflicts", status_code=303)


def resolve_after_save(ctx: SignedIn, kept_id: str | None, record_id: str) -> None:
    """Called when the author saved the record from a conflict page: the copy is settled."""
    if not kept_id or not is_id(kept_id):
        return
    kept = ctx.db.get(KeptWrite, kept_id)
    if kept and kept.author_id == ctx.user.id and kept.record_id == record_id:
        kept.resolved_at, kept.resolved_by_id = utcnow(), ctx.user.id
        ctx.db.add(kept)


def _child_names(ctx: SignedIn, child_ids: set[str]) -> dict[str, str]:
    if not child_ids:
        return {}
    return dict(ctx.db.exec(select(Child.id, Child.name).where(Child.id.in_(child_ids))).all())
