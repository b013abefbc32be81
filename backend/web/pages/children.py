""" "I dag" (the start page), the caseload list with search, and a child's page."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain.dates import today
from backend.domain.forums import PREPARATION_FIELDS
from backend.domain.wellbeing import AREAS
from backend.forums.service import partner_child, partner_children_list
from backend.parents.pages import child_with_parents
from backend.records.access import incoming_child, records_of_child
from backend.records.pages import caseload_view
from backend.records.registry import LABELS, types_for
from backend.records.rounds import child_history
from backend.records.views import user_names
from backend.today import start_page
from backend.web.context import SignedIn
from backend.web.menu import start_of
from backend.web.one_thread import one_thread
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
@one_thread()
def today_page(ctx: SignedIn) -> Response:
    start = start_of(ctx)
    if start != "/":
        return RedirectResponse(start, status_code=303)
    page = start_page(ctx.db, ctx.scope, ctx.audit, today())
    view = page.view
    return render(
        ctx.request,
        "today.html",
        {
            "caseload": view.caseload,
            "units": view.units,
            "has_caseload": view.has_caseload,
            "tasks": view.tasks,
            "overdue": view.overdue,
            "due_today": view.due_today,
            "this_week": view.this_week,
            "open_work": view.open_work,
            "sent_to_parents": page.sent_to_parents,
        },
    )


@router.get("/children")
@one_thread()
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
    if ctx.scope.is_partner and not ctx.scope.unit_ids:
        return _partner_children_page(ctx, q)
    view = caseload_view(ctx.db, ctx.scope, ctx.audit, today(), q or None)
    return render(
        ctx.request,
        "children.html",
        {
            "children": view.children.rows,
            "units": view.children.units,
            "q": q,
            "incoming": view.incoming,
            "fragment": "partials/children_list.html",
        },
    )


@router.get("/children/{child_id}")
@one_thread(conditional=True)
def child_page(ctx: SignedIn, child_id: str) -> Response:
    page = child_with_parents(ctx.db, ctx.scope, ctx.audit, child_id, today())
    if page is None:
        return _incoming_child_page(ctx, child_id)
    view = page.view
    return render(
        ctx.request,
        "child.html",
        {
            "child": view.child,
            "placement": view.placement,
            "unit": view.unit,
            "guardians": view.guardians,
            "history": view.history,
            "records": view.records,
            "names": view.names,
            "type_labels": LABELS,
            "new_types": types_for(ctx.scope, view.placement.unit_id),
            "tasks": view.tasks,
            "sent_to_parents": page.sent_to_parents,
            "screenings": screening_history(view.records),
            "wellbeing_history": child_history(ctx.db, view.records, view.rounds),
            "positions": ctx.municipal.position_labels,
        },
    )


def _incoming_child_page(ctx: SignedIn, child_id: str) -> Response:
    """A child coming to the caller's unit: only the handed-over description is shown."""
    if ctx.scope.is_partner and not ctx.scope.unit_ids:
        return _partner_child_page(ctx, child_id)
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
            "type_labels": LABELS,
            "names": user_names(ctx.db, {r.author_id for r in records}),
        },
    )


def _partner_children_page(ctx: SignedIn, q: str) -> Response:
    """A partner's list: the children on the agendas they may read now, by the one policy (§11)."""
    entries = partner_children_list(ctx.db, ctx.scope, ctx.audit, today(), q or None)
    return render(
        ctx.request,
        "children.html",
        {"children": entries, "partner": True, "q": q, "fragment": "partials/children_list.html"},
    )


def _partner_child_page(ctx: SignedIn, child_id: str) -> Response:
    """A partner's view of a child: the forum cases they may read now, nothing else (§11)."""
    entry = partner_child(ctx.db, ctx.scope, ctx.audit, child_id, today())
    if entry is None:
        raise HTTPException(404)
    return render(
        ctx.request,
        "forums/partner_child.html",
        {
            "entry": entry,
            "fields": PREPARATION_FIELDS,
            "areas": AREAS,
            "positions": ctx.municipal.position_labels,
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
