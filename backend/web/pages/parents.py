"""The parents' own pages (issue 15): `/p/<token>` — code form, the task, language, thank-you.

Their own small layout (templates/parents/), no staff menu and no JavaScript. The parent's
session is a cookie of its own whose path is the link itself, so it is sent nowhere else; its
CSRF token is the invitation's own (checked in `backend/parents/link.py`). Audit events written
here carry the guardian in their detail and no staff actor, even when a staff member's browser
opens the link.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from backend.auth import csrf
from backend.auth.signin import cookie_is_secure
from backend.domain import parents as rules
from backend.parents.citizen import citizen_sign_in_enabled
from backend.parents.link import LinkPage, change_language, enter_code, open_link, send_answers
from backend.parents.service import PARENT_LANGUAGES
from backend.web.context import CsrfRejected, Ctx, RequestContext
from backend.web.pages.auth import ensure_pre_session, set_pre_session_cookie
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

COOKIE = "opspor_parent"
#: The language names, each in its own language (never translated).
LANGUAGE_NAMES = {"da": "Dansk", "en": "English", "ar": "العربية"}
#: The parts with a page of their own beside the two forms (backend/web/pages/parent_consent.py).
PART_TEMPLATES = {"consent": "parents/consent.html", "agreements": "parents/agreements.html"}
#: The page after a decision on those parts.
DONE_TEMPLATES = {
    "given": "parents/consent_done.html",
    "refused": "parents/consent_done.html",
    "read": "parents/agreements_done.html",
}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def parent_ctx(ctx: Ctx) -> RequestContext:
    """The request context as a parent's: no staff user, no staff actor in the audit trail.
    An unsafe request without any CSRF token is refused (403) before the link is even looked up;
    the token's value is checked against the link's own (`backend/parents/link.py`)."""
    if ctx.request.method not in csrf.SAFE_METHODS and not ctx.submitted_csrf:
        raise CsrfRejected
    ctx.user, ctx.session = None, None
    ctx.audit.actor_id, ctx.audit.session_ref, ctx.audit.device_id = None, "", None
    return ctx


ParentCtx = Annotated[RequestContext, Depends(parent_ctx)]


def _path(token: str) -> str:
    return f"/p/{token}"


def _page(ctx: RequestContext, token: str, page: LinkPage) -> Response:
    ctx.language = page.language
    if page.status == 404:
        return render(ctx.request, "parents/gone.html", _values(ctx, token, page), 404, NO_STORE)
    if page.status == 410:
        return render(ctx.request, "parents/gone.html", _values(ctx, token, page), 410, NO_STORE)
    if page.status == 303:
        return RedirectResponse(_path(token), status_code=303, headers=NO_STORE)
    if page.submitted:
        done = DONE_TEMPLATES.get(page.details.get("decision", ""), "parents/thanks.html")
        response = render(ctx.request, done, _values(ctx, token, page), 200, NO_STORE)
        response.delete_cookie(COOKIE, path=_path(token))
        return response
    if page.task is None:
        new_pre_session = ensure_pre_session(ctx)
        status = 403 if page.status == 403 else (422 if page.error else 200)
        response = render(ctx.request, "parents/code.html", _values(ctx, token, page), status, NO_STORE)
        if new_pre_session:
            set_pre_session_cookie(ctx, response)
        return response
    part = page.task.invitation.part
    template = f"parents/{part}.html" if part in rules.FIELDS_OF_PART else PART_TEMPLATES.get(part)
    template = template or "parents/not_here.html"
    status = 422 if page.errors or page.error else 200
    response = render(ctx.request, template, _values(ctx, token, page), status, NO_STORE)
    if page.session_value:
        response.set_cookie(
            COOKIE,
            page.session_value,
            max_age=rules.SESSION_MINUTES * 60,
            path=_path(token),
            httponly=True,
            samesite="strict",
            secure=cookie_is_secure(ctx),
        )
    return response


def _values(ctx: RequestContext, token: str, page: LinkPage) -> dict:
    return {
        "page": page,
        "action": _path(token),
        "fields": rules.FIELDS_OF_PART.get(page.task.invitation.part, {}) if page.task else {},
        "languages": [(code, LANGUAGE_NAMES[code]) for code in PARENT_LANGUAGES],
        "page_csrf": page.csrf or ctx.csrf_token(),
        "text_dir": "rtl" if page.language == "ar" else "ltr",
        "field_max": rules.FIELD_MAX,
        "mitid": citizen_sign_in_enabled(ctx.settings),
    }


@router.get("/p/{token}")
def parent_link(ctx: ParentCtx, request: Request, token: str) -> Response:
    return _page(ctx, token, open_link(ctx.db, ctx.audit, token, request.cookies.get(COOKIE)))


def answers_form(
    about_child: Annotated[str | None, Form()] = None,
    what_helps: Annotated[str | None, Form()] = None,
    wishes_worries: Annotated[str | None, Form()] = None,
    child_thoughts: Annotated[str | None, Form()] = None,
    everyday_life: Annotated[str | None, Form()] = None,
    topics: Annotated[str | None, Form()] = None,
    participants: Annotated[str | None, Form()] = None,
) -> dict[str, str]:
    """The answer fields of every part (`rules.FIELDS_OF_PART`), as typed."""
    given = {
        "about_child": about_child,
        "what_helps": what_helps,
        "wishes_worries": wishes_worries,
        "child_thoughts": child_thoughts,
        "everyday_life": everyday_life,
        "topics": topics,
        "participants": participants,
    }
    return {key: value for key, value in given.items() if value is not None}


Answers = Annotated[dict[str, str], Depends(answers_form)]


@router.post("/p/{token}/code")
def parent_code(
    ctx: ParentCtx, token: str, answers: Answers, code: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    """The code; answers typed before a session ran out come along and are shown again."""
    return _page(ctx, token, enter_code(ctx.db, ctx.audit, token, code, ctx.pre_session_csrf_ok(), answers))


@router.post("/p/{token}/language")
def parent_language(
    ctx: ParentCtx, request: Request, token: str, language: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    page = change_language(
        ctx.db,
        ctx.audit,
        token,
        request.cookies.get(COOKIE),
        ctx.submitted_csrf,
        ctx.pre_session_csrf_ok(),
        language,
    )
    return _page(ctx, token, page)


@router.post("/p/{token}")
def parent_answers(ctx: ParentCtx, request: Request, token: str, answers: Answers) -> Response:
    page = send_answers(ctx.db, ctx.audit, token, request.cookies.get(COOKIE), ctx.submitted_csrf, answers)
    return _page(ctx, token, page)
