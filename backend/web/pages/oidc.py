"""Single sign-on routes: start at the provider, come back to the callback.

The logic lives in `backend/auth/oidc.py` (protocol) and `backend/auth/provisioning.py` (users
and roles). Every refusal is a Danish page with no session, and an audit event without tokens.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.auth import oidc
from backend.auth.provisioning import NoAccess, provision
from backend.auth.sign_on import ANSWER_INVALID, PROVIDER_ERROR
from backend.auth.signin import THROTTLED, cookie_is_secure
from backend.auth.throttle import is_throttled
from backend.i18n import N_
from backend.web.context import Ctx
from backend.web.pages.auth import safe_next
from backend.web.pages.sso import SsoPages

router = APIRouter(include_in_schema=False)

FLOW_COOKIE = "opspor_oidc_state"
FLOW_COOKIE_PATH = "/auth/oidc/"
PAGES = SsoPages("oidc", FLOW_COOKIE, FLOW_COOKIE_PATH)
CANCELLED = N_("Login hos kommunens login blev afbrudt. Prøv igen, når du er klar.")


@router.get("/auth/oidc/login")
def oidc_login(ctx: Ctx, next: str = "/") -> Response:
    if not ctx.settings.oidc_issuer:
        raise HTTPException(404)
    if is_throttled(ctx.db, ctx.settings, PAGES.throttle_key(ctx), ctx.audit.ip):
        return PAGES.refused(ctx, "throttled", THROTTLED, 429)
    try:
        url, state = oidc.begin(ctx.db, oidc.staff_client(ctx.settings), safe_next(next))
    except oidc.OidcError as error:
        ctx.audit.add("oidc.failure", "user", reason=error.reason)
        return PAGES.message(ctx, error.message, 503)
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
    if is_throttled(ctx.db, ctx.settings, PAGES.throttle_key(ctx), ctx.audit.ip):
        return PAGES.refused(ctx, "throttled", THROTTLED, 429)
    cookie_state = ctx.request.cookies.get(FLOW_COOKIE)
    try:
        flow = oidc.take_flow(ctx.db, state, cookie_state)
        if error:
            reason = "provider_" + re.sub(r"[^a-z_]", "", error.lower())[:30]
            message = CANCELLED if error == "access_denied" else PROVIDER_ERROR
            raise oidc.OidcError(reason, message)
        if not code or len(code) > 2000:
            raise oidc.OidcError("code_missing", oidc.CODE_REFUSED)
        if iss and iss != ctx.settings.oidc_issuer:  # RFC 9207: the answer of another provider
            raise oidc.OidcError("issuer_mismatch", ANSWER_INVALID)
        identity = oidc.finish(oidc.staff_client(ctx.settings), flow, code)
    except oidc.OidcError as refused:
        status = 503 if refused.reason == "provider_unreachable" else 400
        return PAGES.refused(ctx, refused.reason, refused.message, status)
    try:
        provisioned = provision(ctx.db, ctx.settings, identity)
    except NoAccess as denied:
        return PAGES.no_access(ctx, denied)
    return PAGES.sign_in(
        ctx,
        provisioned,
        safe_next(flow.next_url),
        lambda session_id: oidc.remember_id_token(ctx.db, session_id, identity.id_token),
    )
