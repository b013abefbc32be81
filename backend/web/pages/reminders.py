"""The reminder settings ("Påmindelser") and the leader's view of overdue tasks in the unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query
from fastapi.responses import RedirectResponse, Response

from backend.domain.dates import today
from backend.reminders.overdue import NotALeader, overdue_for_leader
from backend.reminders.preferences import GROUP_LABELS, GROUPS, ReminderPreferences, preferences_of
from backend.reminders.subscriptions import save_preferences, subscribed_endpoint_hashes
from backend.web.context import Forbidden, SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/me/reminders")
def reminders_page(ctx: SignedIn, saved: bool = False) -> Response:
    endpoints = subscribed_endpoint_hashes(ctx.db, ctx.user.id)
    return render(
        ctx.request,
        "reminders.html",
        {
            "preferences": preferences_of(ctx.user.preferences),
            "groups": list(GROUP_LABELS.items()),
            "digest_time": ctx.municipal.digest_time,
            "device_count": len(endpoints),
            "endpoint_hashes": " ".join(endpoints),
            "saved": saved,
        },
    )


@router.post("/me/reminders")
def save_reminders(
    ctx: SignedIn,
    groups: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006 - FastAPI reads it, never mutates
    digest: Annotated[str, Form(max_length=5)] = "",
    urgent: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    chosen = ReminderPreferences(
        groups=frozenset(g for g in groups if g in GROUPS), digest=bool(digest), urgent=bool(urgent)
    )
    save_preferences(ctx.db, ctx.user, chosen)
    return RedirectResponse("/me/reminders?saved=1", status_code=303)


@router.get("/leader/overdue")
def overdue_page(ctx: SignedIn, unit: Annotated[str, Query(max_length=36)] = "") -> Response:
    """The overdue tasks of the units the caller leads (only leaders; only their units)."""
    from backend.i18n import gettext

    on = today()
    try:
        units = overdue_for_leader(ctx, unit, on, gettext("Enhedens ledere"))
    except NotALeader:
        raise Forbidden from None
    if units is None:
        raise HTTPException(404)
    return render(ctx.request, "leader_overdue.html", {"units": units, "on": on})
