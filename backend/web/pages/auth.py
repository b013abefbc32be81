"""Sign-in and sign-out pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from backend.auth import csrf, oidc, pending, saml, totp
from backend.auth.signin import (
    SignInRefused,
    check_password_sign_in,
    cookie_is_secure,
    needs_second_factor,
    open_session,
    set_session_cookies,
    sign_out,
)
from backend.domain.messages import N_
from backend.domain.urls import local_path
from backend.people.models import User
from backend.web.context import Ctx, RequestContext
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only local paths: `/children`, never `//evil.example`, `/\tevil.example` or `https://...`."""
    return local_path(target)


def ensure_pre_session(ctx: RequestContext) -> bool:
    """Give a visitor without a session a pre-session id (for CSRF tokens); True when new."""
    new_pre_session = ctx.session is None and ctx.pre_session_id is None
    if new_pre_session:
        ctx.pre_session_id = secrets.token_urlsafe(24)
    return new_pre_session


def set_pre_session_cookie(ctx: RequestContext, response: Response) -> None:
    response.set_cookie(
        csrf.PRE_SESSION_COOKIE,
        ctx.pre_session_id or "",
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(ctx),
        max_age=12 * 3600,
    )


def login_page(
    ctx: RequestContext, next_url: str, error: str | None = None, username: str = "", status_code: int = 200
) -> Response:
    new_pre_session = ensure_pre_session(ctx)
    response = render(
        ctx.request,
        "login.html",
        {
            "next": next_url,
            "error": error,
            "username": username,
            "demo": ctx.settings.demo,
            "oidc_enabled": bool(ctx.settings.oidc_issuer),
            "saml_enabled": bool(ctx.settings.saml_idp_metadata),
        },
        status_code=status_code,
    )
    if new_pre_session:
        set_pre_session_cookie(ctx, response)
    return response


@router.get("/login")
def login_form(ctx: Ctx, next: str = "/") -> Response:
    if ctx.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return login_page(ctx, safe_next(next))


@router.post("/login")
def login(
    ctx: Ctx,
    username: Annotated[str, Form(max_length=150)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = safe_next(next)
    if not ctx.pre_session_csrf_ok():
        return login_page(ctx, target, N_("Siden var udløbet. Prøv at logge ind igen."), username, 403)
    if not username.strip() or not password:
        return login_page(ctx, target, N_("Skriv både brugernavn og adgangskode."), username, 422)
    try:
        user = check_password_sign_in(ctx, username, password)
    except SignInRefused as refused:
        return login_page(ctx, target, refused.message, username, refused.status)
    if needs_second_factor(user):
        return start_second_step(ctx, user, target)
    signed_in = open_session(ctx, user, method="password")
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(ctx, response, signed_in)
    response.delete_cookie(csrf.PRE_SESSION_COOKIE)
    return response


def start_second_step(ctx: RequestContext, user: User, next_url: str) -> Response:
    """After a right password: a pending sign-in (not a session) and on to the code page."""
    purpose = pending.VERIFY if totp.is_enrolled(ctx.db, user.id) else pending.ENROL
    token = pending.start_pending(ctx.db, user.id, purpose, next_url)
    ctx.audit.add("signin.second_factor_requested", "user", user.id, purpose=purpose)
    location = "/login/code" if purpose == pending.VERIFY else "/login/enrol"
    response = RedirectResponse(location, status_code=303)
    response.set_cookie(
        pending.COOKIE_NAME,
        token,
        max_age=int(pending.LIFETIME.total_seconds()),
        httponly=True,
        secure=cookie_is_secure(ctx),
        samesite="strict",
        path=pending.COOKIE_PATH,
    )
    return response


@router.post("/logout")
def logout(ctx: Ctx) -> Response:
    """End the session here; after single sign-on, also at the provider when it offers that.

    The provider is reached through a page that forwards with a meta refresh rather than a
    redirect of this POST, which the CSP's `form-action 'self'` would block in Chrome.
    """
    id_token = _id_token_of_session(ctx)
    provider_logout = oidc.logout_url(oidc.staff_client(ctx.settings), id_token) if id_token else None
    kind = "oidc"
    if provider_logout is None:
        kind = "saml"
        provider_logout = saml.logout_url_for_session(
            ctx.db, ctx.settings, ctx.session.id if ctx.session else None
        )
    if provider_logout is None:
        response: Response = RedirectResponse("/login", status_code=303)
        sign_out(ctx, response)
        return response
    user_id = ctx.user.id if ctx.user else None
    cookies = Response()
    sign_out(ctx, cookies)
    ctx.audit.add(f"{kind}.logout_redirect", "user", user_id)
    response = render(ctx.request, "signed_out.html", {"provider_logout": provider_logout})
    for value in cookies.headers.getlist("set-cookie"):
        response.headers.append("set-cookie", value)
    return response


def _id_token_of_session(ctx: RequestContext) -> str | None:
    if ctx.session is None:
        return None
    return oidc.id_token_of_session(ctx.db, ctx.session.id)
