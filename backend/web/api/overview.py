"""`GET /api/overview/units/{unit_id}`: the leader overview as JSON (the unit's leaders only), and
`GET /api/reports/municipality.csv`: the municipality's aggregates (admins only, no child data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from backend.auth.policy import is_id
from backend.domain.dates import today
from backend.domain.overview import age_band_or_none
from backend.reports import access as reports
from backend.reports.municipality import report_csv
from backend.reports.overview import UnitFigures
from backend.web.context import Admin, Forbidden, SignedIn

router = APIRouter(prefix="/api", tags=["overview"])


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _round(evaluation_round) -> dict | None:
    if evaluation_round is None:
        return None
    return {
        "id": evaluation_round.id,
        "name": evaluation_round.name,
        "opens_on": _date(evaluation_round.opens_on),
        "closes_on": _date(evaluation_round.closes_on),
    }


def _progress(progress) -> dict:
    return {"children": progress.children, "assessed": progress.assessed, "share": progress.share}


def figures_json(figures: UnitFigures) -> dict:
    return {
        "unit": {"id": figures.unit.id, "name": figures.unit.name, "kind": figures.unit.kind},
        "round": _round(figures.round),
        "previous_round": _round(figures.previous),
        "period": {"from": _date(figures.first), "to": _date(figures.last)},
        "assessed": _progress(figures.progress),
        "joined_during_round": figures.joined,
        "left_during_round": {"assessed": figures.left_counted, "not_counted": figures.left_uncounted},
        "by_room": [{"room": k or None, **_progress(v)} for k, v in sorted(figures.by_room.items())],
        "by_professional": [
            {"name": k or None, **_progress(v)} for k, v in sorted(figures.by_person.items())
        ],
        "positions": figures.positions,
        "areas": figures.areas,
        "movement": figures.movement,
        "compared": figures.compared,
        "follow_up_children": [
            {
                "child_id": c.id,
                "name": c.name,
                "position": c.position,
                "decision": c.decision,
                "next_step": c.next_step,
                "next_due_on": _date(c.next_due_on),
                "overdue": c.overdue,
            }
            for c in figures.named
        ],
        "adbb": vars(figures.adbb) if figures.is_district else None,
        "adbb_overdue": [
            {"child_id": s.id, "name": s.name, "occasion": s.occasion, "due_on": _date(s.due_on)}
            for s in figures.adbb_overdue
        ],
        "transitions": vars(figures.transitions),
        "follow_up": [
            {
                "assignee_id": key or None,
                "name": p.name or None,
                "open": p.follow_up.open,
                "overdue": p.follow_up.overdue,
            }
            for key, p in sorted(figures.follow_up.items(), key=lambda pair: pair[1].name)
        ],
    }


@router.get("/overview/units/{unit_id}", responses={404: {}})
def unit_overview_json(
    ctx: SignedIn,
    unit_id: str,
    round_id: Annotated[str, Query(max_length=36)] = "",
    age_band: Annotated[str, Query(max_length=5)] = "",
) -> dict:
    """The leader overview's figures for a unit and round (default: the newest round opened)."""
    if not is_id(unit_id) or not ctx.scope.leads(unit_id):
        raise HTTPException(404)
    try:
        found = reports.leader_overview(ctx, unit_id, round_id, age_band_or_none(age_band), today())
    except (reports.NotAllowed, reports.NotFound):
        raise HTTPException(404) from None
    return figures_json(found.figures)


@router.get(
    "/reports/municipality.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}}
)
def municipality_csv(
    ctx: Admin,
    age_band: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    """Counts and shares per unit, unit type and municipality; counts below 5 shown as `<5`."""
    try:
        report = reports.municipality_report(
            ctx, age_band_or_none(age_band), "report.municipality_csv", today()
        )
    except reports.NotAllowed:
        raise Forbidden from None
    filename = f"opspor-kommune-{report.on.isoformat()}.csv"
    return Response(
        "\ufeff" + report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
