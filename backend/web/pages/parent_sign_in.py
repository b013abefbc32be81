"""A parent's MitID sign-in (issue 15): `/p/<token>/mitid` starts it, `/auth/citizen/callback`
ends it. The logic is in `backend/parents/citizen.py`.

The flow cookie holds the flow's `state` and the link's token (both already the browser's own),
only for the callback's path and ten minutes. After a matched sign-in the parent's session cookie
is set on the link's path like after the code; it is SameSite=Lax, not Strict, because the
browser arrives from the broker's site and a Strict cookie would not go with that redirect.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from backend.auth import oidc
from backend.auth.signin import cookie_is_secure
from backend.domain import parents as rules
from backend.parents.citizen import Callback, CitizenResult, begin_citizen_sign_in, finish_citizen_sign_in
from backend.parents.link import LinkPage
from backend.web.context import RequestContext
from backend.web.pages.parents import COOKIE, NO_STORE, ParentCtx
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

FLOW_COOKIE = "opspor_citizen_flow"
FLOW_COOKIE_PATH = "/auth/citizen/"


def _refusal(ctx: RequestContext, result: CitizenResult, token: str) -> Response:
    ctx.language = result.language
    if result.status in (404, 410):
        template = "parents/gone.html"
        values: dict = {"page": LinkPage(result.status, result.link_state, result.language)}
    else:
        template = "parents/mitid_refused.html"
        # no language buttons here: the page only leads back to the link, where they are
        values = {"message": result.message, "link": f"/p/{token}", "page": {"status": None}}
    values["text_dir"] = "rtl" if result.language == "ar" else "ltr"
    response = render(ctx.request, template, values, result.status, NO_STORE)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response


@router.get("/p/{token}/mitid")
def parent_mitid(ctx: ParentCtx, token: str) -> Response:
    result = begin_citizen_sign_in(ctx.db, ctx.audit, ctx.settings, token)
    if result.status != 303:
        return _refusal(ctx, result, token)
    response = RedirectResponse(result.url, status_code=303, headers=NO_STORE)
    response.set_cookie(
        FLOW_COOKIE,
        f"{result.state}.{token}",
        max_age=int(oidc.FLOW_LIFETIME.total_seconds()),
        httponly=True,
        secure=cookie_is_secure(ctx),
        samesite="lax",  # the broker sends the browser back with a cross-site GET
        path=FLOW_COOKIE_PATH,
    )
    return response


@router.get("/auth/citizen/callback")
def citizen_callback(
    ctx: ParentCtx, code: str = "", state: str = "", error: str = "", iss: str = ""
) -> Response:
    cookie_state, _, token = (ctx.request.cookies.get(FLOW_COOKIE) or "").partition(".")
    answer = Callback(code[:2001], state[:201], error[:100], iss[:500], cookie_state or None, token[:100])
    result = finish_citizen_sign_in(ctx.db, ctx.audit, ctx.settings, answer)
    if result.status != 303:
        return _refusal(ctx, result, token)
    response = RedirectResponse(result.url, status_code=303, headers=NO_STORE)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    response.set_cookie(
        COOKIE,
        result.session_value,
        max_age=rules.SESSION_MINUTES * 60,
        path=result.url,
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(ctx),
    )
    return response
