"""The user's own settings: language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from backend.i18n import LANGUAGES
from backend.people.service import set_preference
from backend.web.context import SignedIn
from backend.web.pages.auth import safe_next

router = APIRouter(include_in_schema=False)


@router.post("/me/language")
def set_language(
    ctx: SignedIn,
    language: Annotated[str, Form(max_length=5)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if language in LANGUAGES:
        set_preference(ctx.db, ctx.user, "language", language)
    return RedirectResponse(safe_next(next), status_code=303)
