""" "Faglig sparring": a unit's reflections (anonymous and named) and where a new one starts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from backend.domain import meetings
from backend.domain.dates import today
from backend.records.sparring import sparring_page as load_sparring_page
from backend.web.context import SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/sparring")
def sparring_page(ctx: SignedIn) -> Response:
    found = load_sparring_page(ctx, today())
    return render(
        ctx.request,
        "sparring.html",
        {
            "reflections": found.reflections,
            "units": found.units,
            "startable": found.startable,
            "age_bands": meetings.AGE_BANDS,
        },
    )
