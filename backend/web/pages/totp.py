"""Two-factor pages: the code step after the password, enrolment, the user's own page and the
admin's reset. The logic lives in `backend/auth/totp.py` and `backend/auth/signin.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from backend.admin import duties
from backend.admin import organisation as org
from backend.auth import csrf, pending, totp
from backend.auth.models import PendingSignIn
from backend.auth.signin import (
    SignInRefused,
    check_second_factor,
    open_session,
    set_session_cookies,
)
from backend.domain import admin_duties
from backend.i18n import N_
from backend.notify.email import send_after_response
from backend.people.models import User
from backend.web.context import Admin, Ctx, RequestContext, SignedIn
from backend.web.pages.auth import ensure_pre_session, login_page, safe_next, set_pre_session_cookie
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

EXPIRED = N_("Login-forsøget er udløbet. Log ind igen.")
TOO_MANY = N_("For mange forkerte koder. Log ind igen.")
PAGE_EXPIRED = N_("Siden var udløbet. Prøv igen.")
CODE_DOES_NOT_FIT = N_("Koden passer ikke. Prøv med den nyeste kode.")


# --- the second step of a local sign-in -------------------------------------------------------


def _pending(ctx: RequestContext, purpose: str) -> PendingSignIn | None:
    record = pending.load_pending(ctx.db, ctx.request.cookies.get(pending.COOKIE_NAME))
    return record if record is not None and record.purpose == purpose else None


def _back_to_login(ctx: RequestContext, message: str, status_code: int) -> Response:
    response = login_page(ctx, "/", message, status_code=status_code)
    response.delete_cookie(pending.COOKIE_NAME, path=pending.COOKIE_PATH)
    return response


def _render_step(ctx: RequestContext, template: str, values: dict, status_code: int = 200) -> Response:
    new_pre_session = ensure_pre_session(ctx)
    response = render(ctx.request, template, values, status_code=status_code)
    if new_pre_session:
        set_pre_session_cookie(ctx, response)
    return response


def _finish(ctx: RequestContext, record: PendingSignIn, user: User, method: str, response: Response) -> None:
    pending.end_pending(ctx.db, record)
    signed_in = open_session(ctx, user, method=method)
    set_session_cookies(ctx, response, signed_in)
    response.delete_cookie(pending.COOKIE_NAME, path=pending.COOKIE_PATH)
    response.delete_cookie(csrf.PRE_SESSION_COOKIE)


@router.get("/login/code")
def code_form(ctx: Ctx) -> Response:
    if _pending(ctx, pending.VERIFY) is None:
        return RedirectResponse("/login", status_code=303)
    return _render_step(ctx, "login_code.html", {})


@router.post("/login/code")
def code_submit(ctx: Ctx, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    record = _pending(ctx, pending.VERIFY)
    if record is None:
        return _back_to_login(ctx, EXPIRED, 401)
    if not ctx.pre_session_csrf_ok():
        return _render_step(ctx, "login_code.html", {"error": PAGE_EXPIRED}, 403)
    user = pending.user_of_pending(ctx.db, record)
    if user is None or not user.active:
        pending.end_pending(ctx.db, record)
        return _back_to_login(ctx, EXPIRED, 401)
    try:
        method = check_second_factor(ctx, user, code)
    except SignInRefused as refused:
        if refused.status == 429:
            pending.end_pending(ctx.db, record)
            return _back_to_login(ctx, refused.message, 429)
        if pending.count_failure(ctx.db, record):
            return _back_to_login(ctx, TOO_MANY, 429)
        return _render_step(ctx, "login_code.html", {"error": refused.message}, refused.status)
    response = RedirectResponse(safe_next(record.next_url), status_code=303)
    _finish(ctx, record, user, f"password+{method}", response)
    return response


# --- enrolment (a local account's first sign-in, or after a reset) ----------------------------


def _enrol_values(ctx: RequestContext, record: PendingSignIn, user: User) -> dict:
    secret = _enrol_secret(ctx, record)
    uri = totp.provisioning_uri(secret, user.username)
    return {"qr_code": totp.qr_code_data_uri(uri), "secret": totp.spaced(secret)}


def _enrol_secret(ctx: RequestContext, record: PendingSignIn) -> str:
    return pending.enrolment_secret(ctx.db, ctx.settings, record)


@router.get("/login/enrol")
def enrol_form(ctx: Ctx) -> Response:
    record = _pending(ctx, pending.ENROL)
    user = pending.user_of_pending(ctx.db, record)
    if record is None or user is None:
        return RedirectResponse("/login", status_code=303)
    return _render_step(ctx, "login_enrol.html", _enrol_values(ctx, record, user))


@router.post("/login/enrol")
def enrol_submit(ctx: Ctx, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    record = _pending(ctx, pending.ENROL)
    user = pending.user_of_pending(ctx.db, record)
    if record is None or user is None or record.secret_sealed is None or not user.active:
        return _back_to_login(ctx, EXPIRED, 401)
    if not ctx.pre_session_csrf_ok():
        values = {**_enrol_values(ctx, record, user), "error": PAGE_EXPIRED}
        return _render_step(ctx, "login_enrol.html", values, 403)
    secret = _enrol_secret(ctx, record)
    codes = totp.confirm_enrolment(ctx.db, ctx.settings, user.id, secret, code)
    if codes is None:
        ctx.audit.add("totp.failure", "user", user.id, method="enrol", reason="wrong")
        if pending.count_failure(ctx.db, record):
            return _back_to_login(ctx, TOO_MANY, 429)
        values = {**_enrol_values(ctx, record, user), "error": CODE_DOES_NOT_FIT}
        return _render_step(ctx, "login_enrol.html", values, 401)
    ctx.audit.add("totp.enrolled", "user", user.id)
    next_url = safe_next(record.next_url)
    placeholder = Response()
    _finish(ctx, record, user, "password+totp_enrolment", placeholder)
    response = render(ctx.request, "recovery_codes.html", {"codes": codes, "next": next_url, "new": True})
    for value in placeholder.headers.getlist("set-cookie"):
        response.headers.append("set-cookie", value)
    return response


# --- the user's own page ----------------------------------------------------------------------


@router.get("/me/second-factor")
def my_second_factor(ctx: SignedIn) -> Response:
    user = ctx.user
    values = {
        "kind": "oidc" if user.oidc_subject else "demo" if user.is_demo else "local",
        "enrolled_at": totp.enrolled_at(ctx.db, user.id),
        "codes_left": totp.recovery_codes_left(ctx.db, user.id),
    }
    return render(ctx.request, "second_factor.html", values)


@router.post("/me/second-factor/recovery-codes")
def renew_recovery_codes(ctx: SignedIn, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    user = ctx.user
    if not totp.is_enrolled(ctx.db, user.id) or not totp.looks_like_totp(code):
        return _my_page_with_error(ctx, N_("Skriv den nyeste kode fra din godkendelsesapp."))
    try:
        check_second_factor(ctx, user, code)
    except SignInRefused as refused:
        return _my_page_with_error(ctx, refused.message, refused.status)
    codes = totp.new_recovery_codes(ctx.db, user.id)
    ctx.audit.add("totp.recovery_codes_renewed", "user", user.id)
    return render(ctx.request, "recovery_codes.html", {"codes": codes, "next": "/me/second-factor"})


def _my_page_with_error(ctx: RequestContext, message: str, status_code: int = 422) -> Response:
    values = {
        "kind": "local",
        "enrolled_at": totp.enrolled_at(ctx.db, ctx.user.id),
        "codes_left": totp.recovery_codes_left(ctx.db, ctx.user.id),
        "error": message,
    }
    return render(ctx.request, "second_factor.html", values, status_code=status_code)


# --- the admin's reset ------------------------------------------------------------------------


@router.get("/admin/second-factor")
def admin_second_factor(ctx: Admin, reset: str = "") -> Response:
    users = [
        (user, totp.enrolled_at(ctx.db, user.id))
        for user in org.local_users(ctx.db, ctx.user.municipality_id)
    ]
    done = next((user for user, _ in users if user.id == reset), None)
    return render(ctx.request, "admin_second_factor.html", {"users": users, "reset_user": done})


@router.post("/admin/users/{user_id}/second-factor/reset")
def admin_reset_second_factor(ctx: Admin, user_id: str) -> Response:
    target = org.user_of(ctx.db, ctx.user.municipality_id, user_id) if len(user_id) <= 36 else None
    if target is None or target.is_demo:
        return render(ctx.request, "error.html", {"status": 404, "message": N_("Brugeren findes ikke.")}, 404)
    outcome = duties.perform(ctx, ctx.settings, admin_duties.TOTP_RESET, target, {})
    if outcome.status == "pending":  # another admin's account: a second admin approves
        response = RedirectResponse("/admin/approvals?ok=approval_requested", status_code=303)
        return send_after_response(ctx.db, ctx.settings, response)
    if target.id == ctx.user.id:  # one's own sessions have just ended
        response = RedirectResponse("/login", status_code=303)
        return response
    response = RedirectResponse(f"/admin/second-factor?reset={target.id}", status_code=303)
    return send_after_response(ctx.db, ctx.settings, response)
