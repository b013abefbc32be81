"""The offline pages: what is waiting on this phone, and the fallback for pages not kept."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from backend.web.context import Ctx, SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/outbox")
def outbox_page(ctx: SignedIn) -> Response:
    """The list is read from the phone's own storage by the page script (it never left it)."""
    return render(ctx.request, "outbox.html", {"section": "outbox"})


@router.get("/offline")
def offline_page(ctx: Ctx) -> Response:
    """Shown by the service worker for a page that is not kept on the phone (no user data)."""
    ctx.user = None  # a generic page: it is cached for everyone on the device
    return render(ctx.request, "offline.html", {})


@router.get("/unlock")
def unlock_page(ctx: Ctx) -> Response:
    """ "Lås op": all a locked app shows for kept pages (no user data; cached for everyone)."""
    ctx.user = None
    return render(ctx.request, "unlock.html", {})
