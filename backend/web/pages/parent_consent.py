"""The parents' consent page, "What we agreed" and the withdrawal link (issue 15).

`GET /p/<token>` (backend/web/pages/parents.py) shows the consent or the agreements page of a
link; here are their answers — `POST /p/<token>/consent` (give or refuse) and `POST /p/<token>/read`
(we have read the agreements) — and the withdrawal link sent with a consent given,
`GET/POST /p/withdraw/<token>`. Same small layout, no JavaScript, no staff actor in the audit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from backend.notify.email import send_after_response
from backend.parents.consent_link import (
    WithdrawPage,
    open_withdrawal,
    send_decision,
    send_read,
    send_withdrawal,
)
from backend.parents.service import PARENT_LANGUAGES
from backend.web.context import RequestContext
from backend.web.pages.auth import ensure_pre_session, set_pre_session_cookie
from backend.web.pages.parents import COOKIE, LANGUAGE_NAMES, NO_STORE, ParentCtx, _page
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.post("/p/{token}/consent")
def parent_consent(
    ctx: ParentCtx,
    request: Request,
    token: str,
    choice: Annotated[str, Form(max_length=10)] = "",
    typed_name: Annotated[str, Form(max_length=400)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    page = send_decision(
        ctx.db,
        ctx.audit,
        ctx.settings.base_url,
        token,
        request.cookies.get(COOKIE),
        ctx.submitted_csrf,
        choice,
        typed_name,
        version,
    )
    return send_after_response(ctx.db, ctx.settings, _page(ctx, token, page))


@router.post("/p/{token}/read")
def parent_read(
    ctx: ParentCtx, request: Request, token: str, version: Annotated[str, Form(max_length=12)] = ""
) -> Response:
    page = send_read(ctx.db, ctx.audit, token, request.cookies.get(COOKIE), ctx.submitted_csrf, version)
    return _page(ctx, token, page)


def _withdraw_page(ctx: RequestContext, token: str, page: WithdrawPage) -> Response:
    withdrawal = page.withdrawal
    ctx.language = withdrawal.language if withdrawal and withdrawal.language in PARENT_LANGUAGES else "da"
    new_pre_session = ensure_pre_session(ctx)
    values = {
        "page": page,
        "action": f"/p/withdraw/{token}",
        "languages": [],
        "page_csrf": ctx.csrf_token(),
        "text_dir": "rtl" if ctx.language == "ar" else "ltr",
        "language_names": LANGUAGE_NAMES,
    }
    template = "parents/withdraw.html" if withdrawal is not None else "parents/gone.html"
    response = render(ctx.request, template, values, page.status, NO_STORE)
    if new_pre_session:
        set_pre_session_cookie(ctx, response)
    return response


@router.get("/p/withdraw/{token}")
def parent_withdrawal(ctx: ParentCtx, token: str) -> Response:
    return _withdraw_page(ctx, token, open_withdrawal(ctx.db, ctx.audit, token))


@router.post("/p/withdraw/{token}")
def parent_withdraw(ctx: ParentCtx, token: str) -> Response:
    page = send_withdrawal(ctx.db, ctx.audit, ctx.settings.base_url, token, ctx.pre_session_csrf_ok())
    return send_after_response(ctx.db, ctx.settings, _withdraw_page(ctx, token, page))
