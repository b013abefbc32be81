"""Well-being rounds: the unit's rounds, opening and correcting one (leaders), the overview.

The unit's staff see its rounds and overviews; only its leaders open, correct, close or delete
them (the rules: `backend/records/rounds.py`). Rounds of other units answer 404, like everything
else out of scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain import wellbeing
from backend.domain.dates import today
from backend.people.models import Unit
from backend.records import rounds as round_service
from backend.records.kinds.wellbeing_form import STATE_LABELS
from backend.records.models import EvaluationRound
from backend.records.rounds import RoundInput, RoundRefused, marks_in_round, period_of, visible_round
from backend.web.context import SignedIn
from backend.web.forms import SubmittedForm, submitted_form
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


def _unit(ctx: SignedIn, unit_id: str) -> Unit:
    unit = round_service.visible_unit(ctx.db, ctx.scope, unit_id)
    if unit is None:
        raise HTTPException(404)
    return unit


def _round(ctx: SignedIn, round_id: str) -> EvaluationRound:
    evaluation_round = visible_round(ctx.db, ctx.scope, round_id)
    if evaluation_round is None:
        raise HTTPException(404)
    return evaluation_round


def _refused(error: RoundRefused) -> HTTPException:
    return HTTPException(error.status, error.message)


def _fields(form: SubmittedForm) -> dict[str, str]:
    return dict(form.items)


@router.get("/rounds")
def rounds_index(ctx: SignedIn) -> Response:
    found = round_service.rounds_index(ctx.db, ctx.scope, today())
    return render(ctx.request, "rounds/index.html", {"units": found.units, "current": found.current})


def _unit_page(
    ctx: SignedIn, unit: Unit, entered: RoundInput | None = None, status_code: int = 200
) -> Response:
    on = today()
    found = round_service.unit_rounds_view(ctx, unit, on)
    weeks = ctx.municipal.round_window_weeks
    if entered is None:
        entered = RoundInput(
            opens_on=on.isoformat(), closes_on=wellbeing.default_closes_on(on, weeks).isoformat()
        )
    return render(
        ctx.request,
        "rounds/unit.html",
        {
            "unit": unit,
            "rounds": found.rounds,
            "states": found.states,
            "current": found.current,
            "unmarked": found.unmarked,
            "is_leader": ctx.scope.leads(unit.id),
            "entered": entered,
            "window_weeks": weeks,
            "state_labels": STATE_LABELS,
        },
        status_code=status_code,
    )


@router.get("/units/{unit_id}/rounds")
def unit_rounds_page(ctx: SignedIn, unit_id: str) -> Response:
    return _unit_page(ctx, _unit(ctx, unit_id))


@router.post("/units/{unit_id}/rounds")
def open_round(
    ctx: SignedIn, unit_id: str, form: Annotated[SubmittedForm, Depends(submitted_form)]
) -> Response:
    unit = _unit(ctx, unit_id)
    entered = RoundInput.from_form(_fields(form))
    try:
        evaluation_round = round_service.open_new_round(ctx, unit, entered, today())
    except RoundRefused as error:
        raise _refused(error) from None
    if evaluation_round is None:
        return _unit_page(ctx, unit, entered, status_code=422)
    return RedirectResponse(f"/rounds/{evaluation_round.id}?gemt=1", status_code=303)


@router.get("/rounds/{round_id}")
def round_overview(ctx: SignedIn, round_id: str, gemt: str = "", alle: str = "") -> Response:
    evaluation_round = _round(ctx, round_id)
    on = today()
    overview, unit = round_service.read_overview(ctx, evaluation_round, on)
    return render(
        ctx.request,
        "rounds/overview.html",
        {
            "overview": overview,
            "round": evaluation_round,
            "unit": unit,
            "state": wellbeing.round_state(period_of(evaluation_round), on),
            "state_labels": STATE_LABELS,
            "is_leader": ctx.scope.leads(evaluation_round.unit_id),
            "positions": ctx.municipal.position_labels,
            "areas": wellbeing.AREAS,
            "saved": bool(gemt),
            "all_marked": bool(alle),
        },
    )


@router.get("/rounds/{round_id}/next")
def next_child(ctx: SignedIn, round_id: str, efter: str = "") -> Response:
    """After "Gem og næste barn": the next child's form, or the round when all are marked."""
    evaluation_round = _round(ctx, round_id)
    child = round_service.next_child_to_mark(ctx, evaluation_round, efter, today())
    if child is None:
        return RedirectResponse(f"/rounds/{evaluation_round.id}?alle=1", status_code=303)
    return RedirectResponse(
        f"/forms/wellbeing?child={child.id}&round={evaluation_round.id}&gemt=1", status_code=303
    )


def _edit_page(
    ctx: SignedIn, evaluation_round: EvaluationRound, entered: RoundInput, status_code: int = 200
) -> Response:
    return render(
        ctx.request,
        "rounds/edit.html",
        {
            "round": evaluation_round,
            "entered": entered,
            "marks": marks_in_round(ctx.db, evaluation_round.id),
            "state": wellbeing.round_state(period_of(evaluation_round), today()),
            "state_labels": STATE_LABELS,
        },
        status_code=status_code,
    )


@router.get("/rounds/{round_id}/edit")
def edit_round_form(ctx: SignedIn, round_id: str) -> Response:
    evaluation_round = _round(ctx, round_id)
    try:
        round_service.require_leader(ctx.scope, evaluation_round.unit_id)
    except RoundRefused as error:
        raise _refused(error) from None
    entered = RoundInput(
        name=evaluation_round.name,
        opens_on=evaluation_round.opens_on.isoformat(),
        closes_on=evaluation_round.closes_on.isoformat(),
    )
    return _edit_page(ctx, evaluation_round, entered)


@router.post("/rounds/{round_id}")
def update_round(
    ctx: SignedIn, round_id: str, form: Annotated[SubmittedForm, Depends(submitted_form)]
) -> Response:
    evaluation_round = _round(ctx, round_id)
    entered = RoundInput.from_form(_fields(form))
    try:
        saved = round_service.edit_round(ctx, evaluation_round, entered, today())
    except RoundRefused as error:
        raise _refused(error) from None
    if not saved:
        return _edit_page(ctx, evaluation_round, entered, status_code=422)
    return RedirectResponse(f"/rounds/{evaluation_round.id}?gemt=1", status_code=303)


@router.post("/rounds/{round_id}/close")
def close_round(ctx: SignedIn, round_id: str) -> Response:
    evaluation_round = _round(ctx, round_id)
    try:
        round_service.close_round(ctx, evaluation_round, today())
    except RoundRefused as error:
        raise _refused(error) from None
    return RedirectResponse(f"/rounds/{evaluation_round.id}?gemt=1", status_code=303)


@router.post("/rounds/{round_id}/delete")
def delete_round(ctx: SignedIn, round_id: str) -> Response:
    evaluation_round = _round(ctx, round_id)
    unit_id = evaluation_round.unit_id
    try:
        round_service.delete_round(ctx, evaluation_round)
    except RoundRefused as error:
        raise _refused(error) from None
    return RedirectResponse(f"/units/{unit_id}/rounds", status_code=303)
