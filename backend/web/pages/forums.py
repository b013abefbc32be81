"""Cross-disciplinary forums (domain §11): the forums list (a partner's start page), a forum,
a meeting with its agenda, adding a case, and a case's preparation form."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain.dates import today
from backend.domain.forums import AGE_BANDS, KINDS, MEETING_STATUSES, MEMBER_ROLES, PREPARATION_FIELDS
from backend.domain.wellbeing import AREAS
from backend.forums.service import (
    ForumError,
    add_anonymous_case,
    add_named_case,
    case_page,
    forum_view,
    forums_page,
    meeting_view,
    plan_meeting,
    save_preparation,
)
from backend.i18n import gettext as _
from backend.web.context import SignedIn
from backend.web.forms import Fields
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

LABELS = {
    "kinds": KINDS,
    "statuses": MEETING_STATUSES,
    "member_roles": MEMBER_ROLES,
    "age_bands": AGE_BANDS,
    "prep_fields": PREPARATION_FIELDS,
    "areas": AREAS,
}


def _not_found(error: ForumError) -> None:
    if error.code == "not_found":
        raise HTTPException(404)


@router.get("/forums")
def forums_list(ctx: SignedIn) -> Response:
    page = forums_page(ctx.db, ctx.scope, ctx.audit, today())
    return render(ctx.request, "forums/list.html", {"page": page, **LABELS})


def _forum_page(ctx: SignedIn, forum_id: str, values: dict, errors: dict, status_code: int = 200) -> Response:
    view = forum_view(ctx.db, ctx.scope, forum_id)
    if view is None:
        raise HTTPException(404)
    context = {"view": view, "values": values, "errors": errors, **LABELS}
    return render(ctx.request, "forums/forum.html", context, status_code=status_code)


@router.get("/forums/{forum_id}")
def forum_page(ctx: SignedIn, forum_id: str) -> Response:
    return _forum_page(ctx, forum_id, {}, {})


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


@router.post("/forums/{forum_id}/meetings")
def new_meeting(ctx: SignedIn, forum_id: str, form: Fields) -> Response:
    held_on = _date(form.get("held_on", ""))
    if held_on is None and form.get("held_on", "").strip():
        return _forum_page(ctx, forum_id, form, {"held_on": _("Skriv datoen som dd-mm-åååå.")}, 422)
    try:
        meeting = plan_meeting(
            ctx.db, ctx.scope, ctx.audit, forum_id, held_on, form.get("place", ""), today()
        )
    except ForumError as error:
        _not_found(error)
        return _forum_page(ctx, forum_id, form, {error.field: error.message}, 422)
    return RedirectResponse(f"/forums/meetings/{meeting.id}", status_code=303)


def _meeting_page(
    ctx: SignedIn, meeting_id: str, values: dict, errors: dict, status_code: int = 200, consent_for: str = ""
) -> Response:
    view = meeting_view(ctx.db, ctx.scope, ctx.audit, meeting_id, today())
    if view is None:
        raise HTTPException(404)
    context = {"view": view, "values": values, "errors": errors, "consent_for": consent_for, **LABELS}
    return render(ctx.request, "forums/meeting.html", context, status_code=status_code)


@router.get("/forums/meetings/{meeting_id}")
def meeting_page(ctx: SignedIn, meeting_id: str) -> Response:
    return _meeting_page(ctx, meeting_id, {}, {})


@router.post("/forums/meetings/{meeting_id}/cases")
def new_case(ctx: SignedIn, meeting_id: str, form: Fields) -> Response:
    named = form.get("case_kind") == "named"
    try:
        if named:
            case = add_named_case(ctx.db, ctx.scope, ctx.audit, meeting_id, form.get("child_id", ""), today())
        else:
            case = add_anonymous_case(
                ctx.db,
                ctx.scope,
                ctx.audit,
                meeting_id,
                form.get("age_band", ""),
                form.get("description", ""),
            )
    except ForumError as error:
        _not_found(error)
        consent_for = form.get("child_id", "") if error.code == "consent" else ""
        return _meeting_page(ctx, meeting_id, form, {error.field: error.message}, 422, consent_for)
    return RedirectResponse(f"/forums/cases/{case.id}", status_code=303)


def _case_page(
    ctx: SignedIn, case_id: str, values: dict | None, errors: dict, status_code: int = 200
) -> Response:
    page = case_page(ctx.db, ctx.scope, ctx.audit, case_id, today())
    if page is None:
        raise HTTPException(404)
    context = {
        "page": page,
        "values": values if values is not None else dict(page.case.preparation),
        "errors": errors,
        "positions": ctx.municipal.position_labels,
        **LABELS,
    }
    return render(ctx.request, "forums/case.html", context, status_code=status_code)


@router.get("/forums/cases/{case_id}")
def case_view(ctx: SignedIn, case_id: str) -> Response:
    return _case_page(ctx, case_id, None, {})


@router.post("/forums/cases/{case_id}")
def prepare_case(ctx: SignedIn, case_id: str, form: Fields) -> Response:
    try:
        save_preparation(
            ctx.db, ctx.scope, ctx.audit, case_id, form, today(), share=form.get("action") == "share"
        )
    except ForumError as error:
        _not_found(error)
        return _case_page(ctx, case_id, form, {error.field: error.message}, 422)
    return RedirectResponse(f"/forums/cases/{case_id}", status_code=303)
