"""SAML sign-in routes: metadata, start at the identity provider, the assertion consumer service
and the single-logout endpoint.

The logic lives in `backend/auth/saml.py` (protocol) and `backend/auth/provisioning.py` (users and
roles, shared with OpenID Connect). Every refusal is a Danish page with no session, and an audit
event (`saml.*`) with a reason only — never the response or assertion.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.auth import saml
from backend.auth.provisioning import NoAccess, provision
from backend.auth.signin import THROTTLED, cookie_is_secure
from backend.auth.throttle import is_throttled
from backend.web.context import Ctx, RequestContext
from backend.web.pages.auth import safe_next
from backend.web.pages.sso import SsoPages

router = APIRouter(include_in_schema=False)

SOURCE = "saml"
FLOW_COOKIE = "opspor_saml_flow"
FLOW_COOKIE_PATH = "/auth/saml/"
PAGES = SsoPages("saml", FLOW_COOKIE, FLOW_COOKIE_PATH)


def _enabled(ctx: RequestContext) -> None:
    if not ctx.settings.saml_idp_metadata:
        raise HTTPException(404)


@router.get(saml.METADATA_PATH)
def saml_metadata(ctx: Ctx) -> Response:
    _enabled(ctx)
    try:
        xml = saml.sp_metadata(ctx.settings)
    except saml.SamlError as error:
        return PAGES.message(ctx, error.message, 503)
    return Response(xml, media_type="application/samlmetadata+xml")


@router.get("/auth/saml/login")
def saml_login(ctx: Ctx, next: str = "/") -> Response:
    _enabled(ctx)
    if is_throttled(ctx.db, ctx.settings, PAGES.throttle_key(ctx), ctx.audit.ip):
        return PAGES.refused(ctx, "throttled", THROTTLED, 429)
    try:
        url, relay_state = saml.begin(ctx.db, ctx.settings, safe_next(next))
    except saml.SamlError as error:
        ctx.audit.add("saml.failure", "user", reason=error.reason)
        return PAGES.message(ctx, error.message, 503)
    response = RedirectResponse(url, status_code=303)
    secure = cookie_is_secure(ctx)
    response.set_cookie(
        FLOW_COOKIE,
        relay_state,
        max_age=int(saml.FLOW_LIFETIME.total_seconds()),
        httponly=True,
        secure=secure,
        # The IdP's answer is a cross-site POST: only SameSite=None (which needs Secure) is sent
        # with it. Over plain http (development, tests) the IdP must be on the same site.
        samesite="none" if secure else "lax",
        path=FLOW_COOKIE_PATH,
    )
    return response


@router.post(saml.ACS_PATH)
def saml_acs(
    ctx: Ctx,
    SAMLResponse: Annotated[str, Form(max_length=500_000)] = "",
    RelayState: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The identity provider's POST (cross-site, so exempt from CSRF: the signed response, its
    `InResponseTo` and the one-time RelayState stand in for the token)."""
    _enabled(ctx)
    if is_throttled(ctx.db, ctx.settings, PAGES.throttle_key(ctx), ctx.audit.ip):
        return PAGES.refused(ctx, "throttled", THROTTLED, 429)
    try:
        flow = saml.take_flow(ctx.db, RelayState, ctx.request.cookies.get(FLOW_COOKIE))
        signed_in = saml.finish(ctx.db, ctx.settings, flow, SAMLResponse)
    except saml.SamlError as refused:
        status = 503 if refused.reason == "metadata_unavailable" else 400
        return PAGES.refused(ctx, refused.reason, refused.message, status)
    try:
        provisioned = provision(
            ctx.db,
            ctx.settings,
            signed_in.identity,
            groups=signed_in.privileges,
            role_map=ctx.settings.saml_role_map,
            source=SOURCE,
        )
    except NoAccess as denied:
        return PAGES.no_access(ctx, denied)
    return PAGES.sign_in(
        ctx,
        provisioned,
        safe_next(flow.next_url),
        lambda session_id: saml.remember_login(ctx.db, session_id, signed_in),
    )


@router.get(saml.SLO_PATH)
def saml_slo(ctx: Ctx, SAMLResponse: str = "", SAMLRequest: str = "") -> Response:
    """The identity provider's LogoutResponse after an SP-initiated logout (the local session
    has already ended); a logout the IdP starts itself is not supported."""
    _enabled(ctx)
    if SAMLResponse and len(SAMLResponse) <= 100_000:
        confirmed = saml.logout_response_ok(ctx.settings, SAMLResponse)
        ctx.audit.add("saml.logout_response", "user", confirmed=confirmed)
    else:
        ctx.audit.add("saml.logout_response", "user", confirmed=False, reason="no_response")
    return RedirectResponse("/login", status_code=303)
