"""Creating a forum and managing its members (domain §11): the unit's leader for their own
units, the admin municipality-wide."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain.forums import KINDS, MEMBER_ROLES
from backend.forums.manage import (
    ManageError,
    add_member,
    create_forum_from_form,
    members_page,
    new_forum_form,
    remove_member,
    update_forum,
)
from backend.web.context import SignedIn
from backend.web.forms import Form
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

LABELS = {"kinds": KINDS, "member_roles": MEMBER_ROLES}


def _new_page(ctx: SignedIn, values: dict, errors: dict, status_code: int = 200) -> Response:
    form = new_forum_form(ctx.db, ctx.scope)
    if form is None:
        raise HTTPException(404)
    context = {"form": form, "values": values, "errors": errors, **LABELS}
    return render(ctx.request, "forums/new.html", context, status_code=status_code)


@router.get("/forums/new")
def new_forum(ctx: SignedIn) -> Response:
    return _new_page(ctx, {"unit_ids": []}, {})


def _values(form: Form) -> dict:
    return {**form.fields(), "unit_ids": form.getlist("unit_ids")}


@router.post("/forums/new")
def create_forum(ctx: SignedIn, form: Form) -> Response:
    values = _values(form)
    try:
        forum = create_forum_from_form(
            ctx.db,
            ctx.scope,
            ctx.audit,
            values.get("name", ""),
            values.get("kind", ""),
            values["unit_ids"],
            values.get("convener_id", ""),
        )
    except ManageError as error:
        return _new_page(ctx, values, {error.field: error.message}, 422)
    return RedirectResponse(f"/forums/{forum.id}/members", status_code=303)


def _members_page(
    ctx: SignedIn, forum_id: str, values: dict, errors: dict, status_code: int = 200
) -> Response:
    page = members_page(ctx.db, ctx.scope, forum_id)
    if page is None:
        raise HTTPException(404)
    if "unit_ids" not in values:
        values = {**values, "unit_ids": list(page.forum.unit_ids)}
    context = {"page": page, "values": values, "errors": errors, **LABELS}
    return render(ctx.request, "forums/members.html", context, status_code=status_code)


@router.get("/forums/{forum_id}/members")
def forum_members(ctx: SignedIn, forum_id: str) -> Response:
    return _members_page(ctx, forum_id, {}, {})


def _refused(ctx: SignedIn, forum_id: str, values: dict, error: ManageError) -> Response:
    if error.field == "not_found":
        raise HTTPException(404)
    return _members_page(ctx, forum_id, values, {error.field: error.message}, 422)


@router.post("/forums/{forum_id}/members")
def add_forum_member(ctx: SignedIn, forum_id: str, form: Form) -> Response:
    values = form.fields()
    try:
        add_member(
            ctx.db,
            ctx.scope,
            ctx.audit,
            forum_id,
            values.get("user_id", ""),
            values.get("role", ""),
            values.get("title", ""),
        )
    except ManageError as error:
        return _refused(ctx, forum_id, values, error)
    return RedirectResponse(f"/forums/{forum_id}/members#members-heading", status_code=303)


@router.post("/forums/{forum_id}/members/{member_id}/remove")
def remove_forum_member(ctx: SignedIn, forum_id: str, member_id: str) -> Response:
    try:
        remove_member(ctx.db, ctx.scope, ctx.audit, forum_id, member_id)
    except ManageError as error:
        return _refused(ctx, forum_id, {}, error)
    return RedirectResponse(f"/forums/{forum_id}/members#members-heading", status_code=303)


@router.post("/forums/{forum_id}/settings")
def change_forum(ctx: SignedIn, forum_id: str, form: Form) -> Response:
    values = _values(form)
    try:
        update_forum(
            ctx.db,
            ctx.scope,
            ctx.audit,
            forum_id,
            values.get("name", ""),
            values.get("kind", ""),
            values["unit_ids"],
        )
    except ManageError as error:
        return _refused(ctx, forum_id, values, error)
    return RedirectResponse(f"/forums/{forum_id}/members", status_code=303)
