"""The leader overview (`/leader/overview`, unit leaders, their own units only) and the
municipality report (`/admin/reports`, admins: counts and shares only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from backend.auth.signin import cookie_is_secure
from backend.domain import overview as rules
from backend.domain.dates import today
from backend.domain.units import UNIT_KIND_LABELS
from backend.domain.wellbeing import AREAS, DECISIONS
from backend.reports import access as reports
from backend.reports import charts
from backend.reports.municipality import METRICS, SHARES, Report
from backend.web.context import Admin, Forbidden, SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

UNIT_COOKIE = "opspor_overview_unit"
OCCASION_LABELS = {"first": "1. screening", "second": "2. screening"}


def leader_figures(
    ctx: SignedIn, unit_id: str, round_id: str, age_band: str | None
) -> reports.LeaderOverview:
    """The overview of a unit the caller leads (403 for non-leaders, 404 for any other unit)."""
    try:
        remembered = ctx.request.cookies.get(UNIT_COOKIE, "")[:36]
        found = reports.leader_overview(
            ctx, unit_id, round_id, age_band, today(), page=True, remembered=remembered
        )
    except reports.NotAllowed:
        raise Forbidden from None
    except reports.NotFound:
        raise HTTPException(404) from None
    return found


def municipality_report(ctx: Admin, age_band: str | None, action: str) -> Report:
    """The municipality's aggregates for an administrator (routes take `Admin`; the service
    refuses anyone else too), audited."""
    try:
        return reports.municipality_report(ctx, age_band, action, today())
    except reports.NotAllowed:
        raise Forbidden from None


@router.get("/leader/overview")
def leader_overview(
    ctx: SignedIn,
    unit: Annotated[str, Query(max_length=36)] = "",
    round: Annotated[str, Query(max_length=36)] = "",
    age: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    band = rules.age_band_or_none(age)
    found = leader_figures(ctx, unit, round, band)
    figures, rounds, units = found.figures, found.rounds, found.units
    positions = ctx.municipal.position_labels
    response = render(
        ctx.request,
        "overview/unit.html",
        {
            "figures": figures,
            "rounds": rounds,
            "units": units,
            "unassigned": found.unassigned,
            "age": band or "",
            "age_bands": rules.AGE_BANDS,
            "positions": positions,
            "areas": AREAS,
            "decisions": DECISIONS,
            "occasions": OCCASION_LABELS,
            "position_chart": charts.position_bars(figures.positions, positions),
            "room_chart": charts.progress_bars(figures.by_room),
            "person_chart": charts.progress_bars(figures.by_person),
            "fragment": "overview/_body.html",
        },
    )
    if unit and unit == figures.unit.id:
        # The unit the leader chose is where their start page opens next time (a unit id only).
        response.set_cookie(
            UNIT_COOKIE,
            unit,
            max_age=400 * 24 * 3600,
            httponly=True,
            secure=cookie_is_secure(ctx),
            samesite="lax",
            path="/leader",
        )
    return response


@router.get("/admin/reports")
def municipality_report_page(
    ctx: Admin,
    age: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    band = rules.age_band_or_none(age)
    report = municipality_report(ctx, band, "report.municipality")
    return render(
        ctx.request,
        "overview/municipality.html",
        {
            "report": report,
            "metrics": {m.key: m for m in METRICS},
            "shares": SHARES,
            "kinds": UNIT_KIND_LABELS,
            "age": band or "",
            "age_bands": rules.AGE_BANDS,
            "positions": ctx.municipal.position_labels,
            "areas": AREAS,
        },
    )
