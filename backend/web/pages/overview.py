"""The leader overview (`/leader/overview`, unit leaders, their own units only) and the
municipality report (`/admin/reports`, admins: counts and shares only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlmodel import select

from backend.auth.policy import is_id
from backend.domain import overview as rules
from backend.domain.dates import today
from backend.domain.units import UNIT_KIND_LABELS
from backend.domain.wellbeing import AREAS, DECISIONS
from backend.people.models import Unit
from backend.reports import charts
from backend.reports.municipality import METRICS, SHARES, Report, build_report
from backend.reports.overview import UnitFigures, unit_overview
from backend.web.context import Admin, Forbidden, RequestContext, SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

OCCASION_LABELS = {"first": "1. screening", "second": "2. screening"}


def age_band_param(value: str) -> str | None:
    return value if value in rules.AGE_BANDS else None


def led_units(ctx: RequestContext) -> list[Unit]:
    """The units the caller leads, by name (one query)."""
    led = ctx.scope.led_unit_ids
    if not led:
        return []
    return list(ctx.db.exec(select(Unit).where(Unit.id.in_(led)).order_by(Unit.name)))


def leader_figures(
    ctx: RequestContext, unit_id: str, round_id: str, age_band: str | None
) -> tuple[UnitFigures, list, list[Unit]]:
    """The overview of a unit the caller leads (404 for any other unit or round)."""
    units = led_units(ctx)
    if not units:
        raise Forbidden
    unit = next((u for u in units if u.id == unit_id), None) if unit_id else units[0]
    if unit is None or (round_id and not is_id(round_id)):
        raise HTTPException(404)
    figures, rounds = unit_overview(ctx.db, unit, round_id or None, today(), ctx.municipal, age_band)
    if round_id and figures.round is None:
        raise HTTPException(404)
    ctx.audit.add("overview.read", "unit", unit.id, round_id=figures.round.id if figures.round else None)
    for child_id in {c.id for c in figures.named} | {s.id for s in figures.adbb_overdue}:
        ctx.audit.add("overview.child_listed", "child", child_id, child_id, unit_id=unit.id)
    return figures, rounds, units


def municipality_report(ctx: RequestContext, age_band: str | None, action: str) -> Report:
    """The municipality's aggregates for an administrator (routes take `Admin`), audited."""
    report = build_report(ctx.db, ctx.scope.municipality_id, today(), ctx.municipal, age_band)
    ctx.audit.add(action, "municipality", ctx.scope.municipality_id, age_band=age_band)
    return report


@router.get("/leader/overview")
def leader_overview(
    ctx: SignedIn,
    unit: Annotated[str, Query(max_length=36)] = "",
    round: Annotated[str, Query(max_length=36)] = "",
    age: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    band = age_band_param(age)
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
    band = age_band_param(age)
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
