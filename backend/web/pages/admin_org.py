"""Admin pages: units and rooms, users and roles, one-time password links, deactivation, devices."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.admin import duties
from backend.admin import organisation as org
from backend.admin.base import ROLE_LABELS, AdminError
from backend.admin.devices import device_of, devices_of, revoke_device
from backend.auth.policy import is_id
from backend.domain import admin_duties as rules
from backend.domain.messages import N_
from backend.domain.units import UNIT_KIND_LABELS
from backend.notify.email import send_after_response
from backend.people.models import Unit, User
from backend.web.context import Ctx
from backend.web.pages.admin_common import Admin, Fields, done_message
from backend.web.templating import render

router = APIRouter(include_in_schema=False)
#: Pages that may hold a password link's token: no Referer to anywhere.
NO_REFERRER = {"Referrer-Policy": "no-referrer"}
PAGE_EXPIRED = N_("Siden var udløbet. Prøv igen.")
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _back(url: str, ok: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?ok={ok}", status_code=303)


# --- Units ------------------------------------------------------------------------------------


@router.get("/admin/units")
def units_page(ctx: Admin) -> Response:
    return _units_page(ctx)


def _units_page(
    ctx: Admin, errors: dict | None = None, values: dict | None = None, status: int = 200
) -> Response:
    units = org.units_of(ctx.db, ctx.user.municipality_id)
    rooms = org.rooms_by_unit(ctx.db, units)
    ctx.audit.add("unit.list", "unit")
    return render(
        ctx.request,
        "admin/units.html",
        {
            "units": units,
            "rooms": rooms,
            "kinds": UNIT_KIND_LABELS,
            "errors": errors or {},
            "values": values or {},
            "done": done_message(ctx.request),
        },
        status_code=status,
    )


@router.post("/admin/units")
def create_unit(ctx: Admin, fields: Fields) -> Response:
    try:
        unit = org.create_unit(ctx, ctx.user.municipality_id, fields.get("kind", ""), fields.get("name", ""))
    except AdminError as error:
        return _units_page(ctx, {error.field or "name": error.message}, fields, 422)
    return _back(f"/admin/units/{unit.id}", "unit_created")


def _unit(ctx: Admin, unit_id: str) -> Unit:
    unit = org.unit_of(ctx.db, ctx.user.municipality_id, unit_id) if is_id(unit_id) else None
    if unit is None:
        raise HTTPException(404)
    return unit


@router.get("/admin/units/{unit_id}")
def unit_page(ctx: Admin, unit_id: str) -> Response:
    return _unit_page(ctx, _unit(ctx, unit_id))


def _unit_page(
    ctx: Admin, unit: Unit, errors: dict | None = None, values: dict | None = None, status: int = 200
):
    ctx.audit.add("unit.read", "unit", unit.id)
    return render(
        ctx.request,
        "admin/unit.html",
        {
            "unit": unit,
            "rooms": org.rooms_of(ctx.db, unit.id),
            "kinds": UNIT_KIND_LABELS,
            "errors": errors or {},
            "values": values or {"kind": unit.kind, "name": unit.name},
            "done": done_message(ctx.request),
        },
        status_code=status,
    )


@router.post("/admin/units/{unit_id}")
def update_unit(ctx: Admin, unit_id: str, fields: Fields) -> Response:
    unit = _unit(ctx, unit_id)
    try:
        org.update_unit(ctx, unit, fields.get("kind", ""), fields.get("name", ""))
    except AdminError as error:
        return _unit_page(ctx, unit, {error.field or "name": error.message}, fields, 422)
    return _back(f"/admin/units/{unit.id}", "unit_saved")


@router.post("/admin/units/{unit_id}/rooms")
def add_room(ctx: Admin, unit_id: str, fields: Fields) -> Response:
    unit = _unit(ctx, unit_id)
    try:
        org.add_room(ctx, unit, fields.get("room_name", ""))
    except AdminError as error:
        values = {"kind": unit.kind, "name": unit.name, "room_name": fields.get("room_name", "")}
        return _unit_page(ctx, unit, {"room_name": error.message}, values, 422)
    return _back(f"/admin/units/{unit.id}", "room_added")


@router.post("/admin/units/{unit_id}/rooms/{room_id}/delete")
def remove_room(ctx: Admin, unit_id: str, room_id: str) -> Response:
    unit = _unit(ctx, unit_id)
    room = org.room_in(ctx.db, unit, room_id)
    if room is None:
        raise HTTPException(404)
    try:
        org.remove_room(ctx, room)
    except AdminError as error:
        return _unit_page(ctx, unit, {"rooms": error.message}, None, 422)
    return _back(f"/admin/units/{unit.id}", "room_removed")


# --- Users ------------------------------------------------------------------------------------


@router.get("/admin/users")
def users_page(ctx: Admin) -> Response:
    users = org.users_of(ctx.db, ctx.user.municipality_id)
    roles = org.roles_by_user(ctx.db, users)
    units = {u.id: u for u in org.units_of(ctx.db, ctx.user.municipality_id)}
    ctx.audit.add("user.list", "user")
    return render(
        ctx.request,
        "admin/users.html",
        {
            "users": users,
            "roles": roles,
            "units": units,
            "role_labels": ROLE_LABELS,
            "done": done_message(ctx.request),
        },
    )


@router.get("/admin/users/new")
def new_user_page(ctx: Admin) -> Response:
    return render(ctx.request, "admin/user_new.html", {"values": {}, "errors": {}, **_role_choices(ctx)})


def _role_choices(ctx: Admin) -> dict:
    return {"role_labels": ROLE_LABELS, "unit_choices": org.units_of(ctx.db, ctx.user.municipality_id)}


@router.post("/admin/users")
def create_user(ctx: Admin, fields: Fields) -> Response:
    try:
        user, sent_to = duties.invite_user(ctx, ctx.settings, ctx.user.municipality_id, fields)
    except AdminError as error:
        values = dict(fields)
        return render(
            ctx.request,
            "admin/user_new.html",
            {"values": values, "errors": {error.field or "username": error.message}, **_role_choices(ctx)},
            status_code=422,
        )
    return _link_page(ctx, user, sent_to)


def _link_page(ctx: Admin, user: User, sent_to: str) -> Response:
    """What happened to the one-time link: sent to the person's e-mail, never shown here."""
    response = render(
        ctx.request,
        "admin/user_link.html",
        {"target": user, "sent_to": sent_to, "days": org.LINK_VALID.days},
    )
    return send_after_response(ctx.db, ctx.settings, response)


def _account_action(ctx: Admin, target: User, action: str, params: dict, ok: str) -> Response:
    """One account action through the separation of duties (a request when `target` is another
    admin); errors are shown on the user's page."""
    try:
        outcome = duties.perform(ctx, ctx.settings, action, target, params)
    except AdminError as error:
        return _user_page(ctx, target, error.message, 422, params if action == rules.ROLE_ADD else None)
    if outcome.status == "pending":
        ok = "approval_requested"
    elif action == rules.PASSWORD_LINK:
        return _link_page(ctx, target, outcome.link_sent_to)
    return send_after_response(ctx.db, ctx.settings, _back(f"/admin/users/{target.id}", ok))


def _user(ctx: Admin, user_id: str) -> User:
    user = org.user_of(ctx.db, ctx.user.municipality_id, user_id) if is_id(user_id) else None
    if user is None:
        raise HTTPException(404)
    return user


@router.get("/admin/users/{user_id}")
def user_page(ctx: Admin, user_id: str) -> Response:
    return _user_page(ctx, _user(ctx, user_id))


def _user_page(
    ctx: Admin, target: User, error: str = "", status: int = 200, values: dict | None = None
) -> Response:
    units = {u.id: u for u in org.units_of(ctx.db, ctx.user.municipality_id)}
    ctx.audit.add("user.read", "user", target.id)
    return render(
        ctx.request,
        "admin/user.html",
        {
            "target": target,
            "roles": org.roles_of(ctx.db, target.id),
            "units": units,
            "devices": devices_of(ctx.db, target.id),
            "error": error,
            "values": values or {},
            "done": done_message(ctx.request),
            **_role_choices(ctx),
        },
        status_code=status,
    )


@router.post("/admin/users/{user_id}/roles")
def add_role(ctx: Admin, user_id: str, fields: Fields) -> Response:
    target = _user(ctx, user_id)
    params = {"role": fields.get("role", ""), "unit_id": fields.get("unit_id", "")}
    return _account_action(ctx, target, rules.ROLE_ADD, params, "role_added")


@router.post("/admin/users/{user_id}/roles/{assignment_id}/delete")
def remove_role(ctx: Admin, user_id: str, assignment_id: str) -> Response:
    target = _user(ctx, user_id)
    if not is_id(assignment_id):
        raise HTTPException(404)
    return _account_action(ctx, target, rules.ROLE_REMOVE, {"assignment_id": assignment_id}, "role_removed")


@router.post("/admin/users/{user_id}/deactivate")
def deactivate(ctx: Admin, user_id: str) -> Response:
    return _account_action(ctx, _user(ctx, user_id), rules.DEACTIVATE, {}, "deactivated")


@router.post("/admin/users/{user_id}/reactivate")
def reactivate(ctx: Admin, user_id: str) -> Response:
    return _account_action(ctx, _user(ctx, user_id), rules.REACTIVATE, {}, "reactivated")


@router.post("/admin/users/{user_id}/password-link")
def password_link(ctx: Admin, user_id: str) -> Response:
    return _account_action(ctx, _user(ctx, user_id), rules.PASSWORD_LINK, {}, "link_sent")


@router.post("/admin/users/{user_id}/devices/{device_id}/revoke")
def revoke(ctx: Admin, user_id: str, device_id: str) -> Response:
    target = _user(ctx, user_id)
    device = device_of(ctx.db, target, device_id)
    if device is None:
        raise HTTPException(404)
    try:
        revoke_device(ctx, device)
    except AdminError as error:
        return _user_page(ctx, target, error.message, 422)
    return _back(f"/admin/users/{target.id}", "device_revoked")


# --- Setting a password with a one-time link (no session) -------------------------------------


@router.get("/set-password")
def set_password_landing(ctx: Ctx) -> Response:
    """Where a password link lands. Its token is in the fragment, which only the page's script
    sees: it posts the token to `/set-password/open` (no token in any URL the server logs)."""
    return _set_password_page(ctx, "", landing=True)


@router.get("/set-password/{token}")
def old_password_link(token: str) -> Response:
    """A link sent before the token moved to the fragment: same page, token out of the path.
    (The access log redacts this path: backend/web/logging.py.)"""
    if not _TOKEN_SHAPE.fullmatch(token):
        return RedirectResponse("/set-password", status_code=303, headers=NO_REFERRER)
    return RedirectResponse(f"/set-password#t={token}", status_code=303, headers=NO_REFERRER)


@router.post("/set-password/open")
def open_password_link(ctx: Ctx, fields: Fields) -> Response:
    token = fields.get("token", "")
    if ctx.session is None and not ctx.pre_session_csrf_ok():
        return _set_password_page(ctx, "", PAGE_EXPIRED, "", 403, landing=True)
    return _set_password_page(ctx, token)


def _set_password_page(
    ctx: Ctx, token: str, error: str = "", field: str = "", status: int = 200, landing: bool = False
) -> Response:
    import secrets

    from backend.auth import csrf
    from backend.auth.signin import cookie_is_secure

    found = None if landing else org.user_for_link(ctx.db, token)
    new_pre_session = ctx.session is None and ctx.pre_session_id is None
    if new_pre_session:
        ctx.pre_session_id = secrets.token_urlsafe(24)
    response = render(
        ctx.request,
        "admin/set_password.html",
        {
            "landing": landing,
            "valid": landing or found is not None,
            "target": found[1] if found else None,
            "token": token if found else "",
            "error": error,
            "field": field,
            "min_length": org.MIN_PASSWORD_LENGTH,
        },
        status_code=status if landing or found else 404,
        headers=NO_REFERRER,
    )
    if new_pre_session:
        response.set_cookie(
            csrf.PRE_SESSION_COOKIE,
            ctx.pre_session_id,
            httponly=True,
            samesite="lax",
            secure=cookie_is_secure(ctx),
            max_age=12 * 3600,
        )
    return response


@router.post("/set-password")
def set_password(ctx: Ctx, fields: Fields) -> Response:
    token = fields.get("token", "")
    if ctx.session is None and not ctx.pre_session_csrf_ok():
        return _set_password_page(ctx, token, PAGE_EXPIRED, "", 403)
    try:
        org.set_password_with_link(ctx, token, fields.get("password", ""), fields.get("repeated", ""))
    except AdminError as error:
        return _set_password_page(ctx, token, error.message, error.field, 422)
    return render(ctx.request, "admin/set_password.html", {"saved": True, "valid": True}, headers=NO_REFERRER)
