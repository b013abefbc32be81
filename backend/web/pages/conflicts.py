"""Writes the server kept aside: an author's conflict copies, and a leader's out-of-scope writes.

Nothing a user saved is dropped: a stale edit is shown next to the current version so its
author can carry it over or let it go; a write about a child who left the unit goes to the
unit's leader. The rules and reads are in `backend/records/conflicts.py`.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain.dates import today
from backend.records import conflicts as kept_writes
from backend.records.labels import differences, flatten, label_for
from backend.records.registry import LABELS
from backend.web.context import SignedIn
from backend.web.pages.record_form_page import form_page
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/conflicts")
def conflicts(ctx: SignedIn) -> Response:
    found = kept_writes.open_kept_writes(ctx)
    return render(
        ctx.request,
        "conflicts.html",
        {
            "mine": found.mine,
            "for_leader": found.for_leader,
            "child_names": found.child_names,
            "type_labels": LABELS,
        },
    )


@router.get("/conflicts/{kept_id}")
def conflict(ctx: SignedIn, kept_id: str) -> Response:
    try:
        view = kept_writes.read_kept_write(ctx, kept_id, today())
    except kept_writes.NotYours:
        raise HTTPException(404) from None
    kept, current = view.kept, view.current
    mine = kept.body.get("data", {})
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
            "names": view.names,
            "child_name": view.child_name,
            "can_carry_over": view.can_carry_over,
        },
    )


@router.get("/conflicts/{kept_id}/edit")
def carry_over(ctx: SignedIn, kept_id: str) -> Response:
    """The record's form with the author's kept data on top of the current version."""
    try:
        found = kept_writes.carry_over(ctx, kept_id, today())
    except kept_writes.NotYours:
        raise HTTPException(404) from None
    current = found.current
    return form_page(
        ctx,
        current.type,
        found.child,
        current.unit_id,
        current.id,
        found.values,
        base_version=current.version,
        record=current,
        conflict_id=found.kept.id,
    )


@router.post("/conflicts/{kept_id}/resolve")
def resolve(ctx: SignedIn, kept_id: str) -> Response:
    try:
        kept_writes.resolve(ctx, kept_id)
    except kept_writes.NotYours:
        raise HTTPException(404) from None
    return RedirectResponse("/conflicts", status_code=303)
