""" "I dag" (the start page), the caseload list with search, and a child's page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.auth.policy import child_in_scope, children_in_scope
from backend.domain.dates import today
from backend.people.service import caseload_child_ids, guardians_of, placement_history, unit_names
from backend.records.access import incoming_child, incoming_children, records_of_child, types_for
from backend.records.rounds import child_history
from backend.records.tasks import open_tasks_for
from backend.records.types import TYPE_LABELS
from backend.records.views import user_names
from backend.web.context import SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


def _audit_listed(ctx: SignedIn, rows: list) -> None:
    for child, _placement in rows:
        ctx.audit.add("child.list", "child", child.id, child.id)


@router.get("/")
def today_page(ctx: SignedIn) -> Response:
    on = today()
    rows = children_in_scope(ctx.db, ctx.scope, on)
    mine = caseload_child_ids(ctx.db, ctx.user.id)
    caseload = [row for row in rows if row[0].id in mine] or rows
    _audit_listed(ctx, caseload)
    week_end = on + timedelta(days=6 - on.weekday())
    tasks = [v for v in open_tasks_for(ctx.db, ctx.scope, on) if v.task.due_on <= week_end]
    for view in tasks:
        if view.task.child_id:
            ctx.audit.add("task.list", "task", view.task.id, view.task.child_id)
    units = unit_names(ctx.db, {placement.unit_id for _c, placement in caseload})
    return render(
        ctx.request,
        "today.html",
        {
            "caseload": caseload,
            "units": units,
            "has_caseload": bool(mine),
            "tasks": tasks,
            "overdue": [v for v in tasks if v.task.due_on < on],
            "due_today": [v for v in tasks if v.task.due_on == on],
            "this_week": [v for v in tasks if on < v.task.due_on <= week_end],
        },
    )


@router.get("/children")
def children_page(ctx: SignedIn) -> Response:
    """The list; a search is POSTed (below), so a typed name never ends up in a URL or a log.
    An old-style `?q=` address is not searched: the browser is sent to the plain list."""
    if "q" in ctx.request.query_params:
        return RedirectResponse("/children", status_code=303)
    return _children_page(ctx, "")


@router.post("/children")
def search_children(ctx: SignedIn, q: Annotated[str, Form(max_length=100)] = "") -> Response:
    return _children_page(ctx, q.strip())


def _children_page(ctx: SignedIn, q: str) -> Response:
    rows = children_in_scope(ctx.db, ctx.scope, today(), search=q or None)
    _audit_listed(ctx, rows)
    incoming = [] if q else incoming_children(ctx.db, ctx.scope)
    placed_ids = {child.id for child, _p in rows}
    incoming = [child for child in incoming if child.id not in placed_ids]
    for child in incoming:
        ctx.audit.add("child.list", "child", child.id, child.id)
    units = unit_names(ctx.db, {placement.unit_id for _c, placement in rows})
    return render(
        ctx.request,
        "children.html",
        {
            "children": rows,
            "units": units,
            "q": q,
            "incoming": incoming,
            "fragment": "partials/children_list.html",
        },
    )


@router.get("/children/{child_id}")
def child_page(ctx: SignedIn, child_id: str) -> Response:
    found = child_in_scope(ctx.db, ctx.scope, child_id, today())
    if found is None:
        return _incoming_child_page(ctx, child_id)
    child, placement = found
    ctx.audit.add("child.read", "child", child.id, child.id)
    records = records_of_child(ctx.db, ctx.scope, child.id, placement.unit_id)
    names = user_names(ctx.db, {r.author_id for r in records})
    return render(
        ctx.request,
        "child.html",
        {
            "child": child,
            "placement": placement,
            "unit": unit_names(ctx.db, {placement.unit_id}).get(placement.unit_id),
            "guardians": guardians_of(ctx.db, child.id),
            "history": placement_history(ctx.db, child.id),
            "records": records,
            "names": names,
            "type_labels": TYPE_LABELS,
            "new_types": types_for(ctx.scope, placement.unit_id),
            "tasks": open_tasks_for(ctx.db, ctx.scope, today(), child_id=child.id),
            "screenings": screening_history(records),
            "wellbeing_history": child_history(ctx.db, records),
            "positions": ctx.municipal.position_labels,
        },
    )


def _incoming_child_page(ctx: SignedIn, child_id: str) -> Response:
    """A child coming to the caller's unit: only the handed-over description is shown."""
    child = incoming_child(ctx.db, ctx.scope, child_id)
    if child is None:
        raise HTTPException(404)
    ctx.audit.add("child.read", "child", child.id, child.id, incoming=True)
    records = records_of_child(ctx.db, ctx.scope, child.id, current_unit_id="")
    return render(
        ctx.request,
        "child_incoming.html",
        {
            "child": child,
            "records": records,
            "type_labels": TYPE_LABELS,
            "names": user_names(ctx.db, {r.author_id for r in records}),
        },
    )


def screening_history(records: list) -> list[dict]:
    """Final ADBB screenings, oldest first, for the history table and chart."""
    rows = [
        {
            "id": r.id,
            "on": date.fromisoformat(r.data["screened_on"]),
            "total": r.derived["total"],
            "above": r.derived.get("above_cutoff", False),
            "cutoff": r.derived.get("cutoff"),
            "occasion": r.data.get("occasion"),
        }
        for r in records
        if r.type == "adbb" and r.status == "final" and r.data.get("screened_on")
    ]
    return sorted(rows, key=lambda row: row["on"])
