"""Single sign-on routes: start at the provider, come back to the callback.

The logic lives in `backend/auth/oidc.py` (protocol) and `backend/auth/provisioning.py` (users
and roles). Every refusal is a Danish page with no session, and an audit event without tokens.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.auth import oidc
from backend.auth.provisioning import NoAccess, Provisioned, provision
from backend.auth.signin import THROTTLED, cookie_is_secure, open_session, set_session_cookies
from backend.auth.throttle import is_throttled, record_attempt
from backend.i18n import N_
from backend.web.context import Ctx, RequestContext
from backend.web.pages.auth import safe_next
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

FLOW_COOKIE = "opspor_oidc_state"
FLOW_COOKIE_PATH = "/auth/oidc/"
LOGIN_FAILED = N_("Login mislykkedes")
CANCELLED = N_("Login hos kommunens login blev afbrudt. Prøv igen, når du er klar.")
NO_ACCESS = N_(
    "Du er logget ind hos kommunens login, men du har ingen rolle i Opspor. "
    "Kontakt din leder eller kommunens administrator, hvis du skal bruge Opspor."
)


def _throttle_key(ctx: RequestContext) -> str:
    return f"oidc@{ctx.audit.ip}"


def _refused(ctx: RequestContext, reason: str, message: str, status_code: int = 400) -> Response:
    """A Danish page, no session; counted for the throttle and audited (reason only)."""
    record_attempt(ctx.db, _throttle_key(ctx), ctx.audit.ip, succeeded=False)
    ctx.audit.add("oidc.failure", "user", reason=reason)
    ctx.audit.add("signin.failure", "user", reason=f"oidc_{reason}")
    response = render(
        ctx.request, "auth_message.html", {"title": LOGIN_FAILED, "message": message}, status_code
    )
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response


@router.get("/auth/oidc/login")
def oidc_login(ctx: Ctx, next: str = "/") -> Response:
    if not ctx.settings.oidc_issuer:
        raise HTTPException(404)
    if is_throttled(ctx.db, ctx.settings, _throttle_key(ctx), ctx.audit.ip):
        return _refused(ctx, "throttled", THROTTLED, 429)
    try:
        url, state = oidc.begin(ctx.db, ctx.settings, safe_next(next))
    except oidc.OidcError as error:
        ctx.audit.add("oidc.failure", "user", reason=error.reason)
        return render(
            ctx.request, "auth_message.html", {"title": LOGIN_FAILED, "message": error.message}, 503
        )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        state,
        max_age=int(oidc.FLOW_LIFETIME.total_seconds()),
        httponly=True,
        secure=cookie_is_secure(ctx),
        samesite="lax",  # the provider sends the browser back with a cross-site GET
        path=FLOW_COOKIE_PATH,
    )
    return response


@router.get("/auth/oidc/callback")
def oidc_callback(ctx: Ctx, code: str = "", state: str = "", error: str = "", iss: str = "") -> Response:
    if not ctx.settings.oidc_issuer:
        raise HTTPException(404)
    if is_throttled(ctx.db, ctx.settings, _throttle_key(ctx), ctx.audit.ip):
        return _refused(ctx, "throttled", THROTTLED, 429)
    cookie_state = ctx.request.cookies.get(FLOW_COOKIE)
    try:
        flow = oidc.take_flow(ctx.db, state, cookie_state)
        if error:
            reason = "provider_" + re.sub(r"[^a-z_]", "", error.lower())[:30]
            message = CANCELLED if error == "access_denied" else oidc.PROVIDER_ERROR
            raise oidc.OidcError(reason, message)
        if not code or len(code) > 2000:
            raise oidc.OidcError("code_missing", oidc.CODE_REFUSED)
        if iss and iss != ctx.settings.oidc_issuer:  # RFC 9207: the answer of another provider
            raise oidc.OidcError("issuer_mismatch", oidc.TOKEN_INVALID)
        identity = oidc.finish(ctx.settings, flow, code)
    except oidc.OidcError as refused:
        status = 503 if refused.reason == "provider_unreachable" else 400
        return _refused(ctx, refused.reason, refused.message, status)
    try:
        provisioned = provision(ctx.db, ctx.settings, identity)
    except NoAccess as denied:
        return _no_access(ctx, denied)
    return _sign_in(ctx, provisioned, identity.id_token, safe_next(flow.next_url))


def _no_access(ctx: RequestContext, denied: NoAccess) -> Response:
    ctx.audit.add("oidc.no_access", "user", denied.user_id, reason=denied.reason)
    for task_id in denied.released:
        ctx.audit.add("task.reassigned", "task", task_id, from_user=denied.user_id)
    ctx.audit.add("signin.failure", "user", denied.user_id, reason=f"oidc_{denied.reason}")
    response = render(
        ctx.request, "auth_message.html", {"title": N_("Ingen adgang"), "message": NO_ACCESS}, status_code=403
    )
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response


def _sign_in(ctx: RequestContext, provisioned: Provisioned, id_token: str, target: str) -> Response:
    user = provisioned.user
    if provisioned.created:
        ctx.audit.add("oidc.user_created", "user", user.id)
    if provisioned.added or provisioned.removed:
        ctx.audit.add(
            "oidc.roles_changed",
            "user",
            user.id,
            added=[list(key) for key in provisioned.added],
            removed=[list(key) for key in provisioned.removed],
        )
    for task_id in provisioned.released:
        ctx.audit.add("task.reassigned", "task", task_id, from_user=user.id)
    signed_in = open_session(ctx, user, method="oidc")
    oidc.remember_id_token(ctx.db, ctx.session.id, id_token)
    record_attempt(ctx.db, _throttle_key(ctx), ctx.audit.ip, succeeded=True)
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(ctx, response, signed_in)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response
