"""The leader overview (`/leader/overview`, unit leaders, their own units only) and the
municipality report (`/admin/reports`, admins: counts and shares only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from backend.domain import overview as rules
from backend.domain.dates import today
from backend.domain.units import UNIT_KIND_LABELS
from backend.domain.wellbeing import AREAS, DECISIONS
from backend.people.models import Unit
from backend.reports import access as reports
from backend.reports import charts
from backend.reports.municipality import METRICS, SHARES, Report
from backend.reports.overview import UnitFigures
from backend.web.context import Admin, Forbidden, SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

OCCASION_LABELS = {"first": "1. screening", "second": "2. screening"}


def leader_figures(
    ctx: SignedIn, unit_id: str, round_id: str, age_band: str | None
) -> tuple[UnitFigures, list, list[Unit]]:
    """The overview of a unit the caller leads (403 for non-leaders, 404 for any other unit)."""
    try:
        found = reports.leader_overview(ctx, unit_id, round_id, age_band, today())
    except reports.NotAllowed:
        raise Forbidden from None
    except reports.NotFound:
        raise HTTPException(404) from None
    return found.figures, found.rounds, found.units


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
    figures, rounds, units = leader_figures(ctx, unit, round, band)
    positions = ctx.municipal.position_labels
    return render(
        ctx.request,
        "overview/unit.html",
        {
            "figures": figures,
            "rounds": rounds,
            "units": units,
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
