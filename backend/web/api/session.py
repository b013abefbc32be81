"""`POST /api/session` (sign in) and `DELETE /api/session` (sign out)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from backend.auth import totp
from backend.auth.signin import (
    ENROL_FIRST,
    SignInRefused,
    check_password_sign_in,
    check_second_factor,
    needs_second_factor,
    open_session,
    set_session_cookies,
    sign_out,
)
from backend.web.context import Ctx
from backend.web.errors import error_json

router = APIRouter(prefix="/api", tags=["session"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=500)
    code: str | None = Field(
        default=None, max_length=40, description="TOTP or recovery code (local accounts, not demo users)"
    )


class SessionOut(BaseModel):
    csrf_token: str


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


@router.post("/session", response_model=SessionOut, responses={401: {}, 403: {}, 415: {}, 429: {}})
def create_session(ctx: Ctx, credentials: Credentials) -> Response:
    """Sign in with username and password (and `code`, the second factor, for local accounts
    that are not demo users); answers the session's CSRF token and sets the cookie."""
    if not _is_json(ctx.request):
        return error_json(415, "Send brugernavn og adgangskode som JSON.")
    method = "password"
    try:
        user = check_password_sign_in(ctx, credentials.username, credentials.password)
        if needs_second_factor(user):
            if not totp.is_enrolled(ctx.db, user.id):
                ctx.audit.add("signin.failure", "user", user.id, reason="second_factor_not_enrolled")
                raise SignInRefused(ENROL_FIRST, status=403)
            method += "+" + check_second_factor(ctx, user, credentials.code or "")
    except SignInRefused as refused:
        return error_json(refused.status, refused.message)
    signed_in = open_session(ctx, user, method=method)
    response = JSONResponse({"csrf_token": signed_in.csrf_token})
    set_session_cookies(ctx, response, signed_in)
    return response


@router.delete("/session", status_code=204)
def delete_session(ctx: Ctx) -> Response:
    """Sign out: the session ends on the server and the cookie is removed."""
    response = Response(status_code=204)
    sign_out(ctx, response)
    return response
