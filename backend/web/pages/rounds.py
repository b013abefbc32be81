"""Well-being rounds: the unit's rounds, opening and correcting one (leaders), the overview.

The unit's staff see its rounds and overviews; only its leaders open, correct, close or delete
them. Rounds of other units answer 404, like everything else out of scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.auth.policy import is_id
from backend.domain import wellbeing
from backend.domain.dates import today
from backend.people.models import Unit
from backend.records.kinds.wellbeing_form import STATE_LABELS
from backend.records.models import EvaluationRound
from backend.records.rounds import (
    RoundInput,
    build_overview,
    check_round,
    close_early,
    create_round,
    marks_in_round,
    open_round_of,
    period_of,
    unit_rounds,
    unmarked_by,
    visible_round,
)
from backend.web.context import SignedIn
from backend.web.forms import SubmittedForm, submitted_form
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

LEADERS_ONLY = "Kun enhedens leder kan åbne, rette og lukke runder."


def _unit(ctx: SignedIn, unit_id: str) -> Unit:
    if not is_id(unit_id) or not ctx.scope.works_in(unit_id):
        raise HTTPException(404)
    unit = ctx.db.get(Unit, unit_id)
    if unit is None:
        raise HTTPException(404)
    return unit


def _round(ctx: SignedIn, round_id: str) -> EvaluationRound:
    evaluation_round = visible_round(ctx.db, ctx.scope, round_id)
    if evaluation_round is None:
        raise HTTPException(404)
    return evaluation_round


def _leader_of(ctx: SignedIn, unit_id: str) -> None:
    if not ctx.scope.leads(unit_id):
        raise HTTPException(403, LEADERS_ONLY)


def _fields(form: SubmittedForm) -> dict[str, str]:
    return dict(form.items)


@router.get("/rounds")
def rounds_index(ctx: SignedIn) -> Response:
    on = today()
    units = sorted(
        (u for u in (ctx.db.get(Unit, uid) for uid in ctx.scope.unit_ids) if u is not None),
        key=lambda u: u.name,
    )
    current = {u.id: open_round_of(ctx.db, u.id, on) for u in units}
    return render(ctx.request, "rounds/index.html", {"units": units, "current": current})


def _unit_page(
    ctx: SignedIn, unit: Unit, entered: RoundInput | None = None, status_code: int = 200
) -> Response:
    on = today()
    rounds = unit_rounds(ctx.db, unit.id)
    states = {r.id: wellbeing.round_state(period_of(r), on) for r in rounds}
    current = open_round_of(ctx.db, unit.id, on)
    unmarked = []
    if current is not None and ctx.scope.is_professional:
        overview = build_overview(ctx.db, ctx.scope, current, on)
        unmarked = unmarked_by(ctx.db, overview, ctx.user.id, unit.id)
        for child in unmarked:
            ctx.audit.add("child.list", "child", child.id, child.id, round_id=current.id)
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
            "rounds": rounds,
            "states": states,
            "current": current,
            "unmarked": unmarked,
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
    _leader_of(ctx, unit.id)
    entered = RoundInput.from_form(_fields(form))
    if not check_round(ctx.db, unit.id, entered, today()):
        return _unit_page(ctx, unit, entered, status_code=422)
    evaluation_round = create_round(ctx.db, unit.id, entered, ctx.user.id)
    ctx.audit.add(
        "round.create",
        "evaluation_round",
        evaluation_round.id,
        None,
        unit_id=unit.id,
        opens_on=entered.opens_on,
        closes_on=entered.closes_on,
    )
    return RedirectResponse(f"/rounds/{evaluation_round.id}?gemt=1", status_code=303)


@router.get("/rounds/{round_id}")
def round_overview(ctx: SignedIn, round_id: str, gemt: str = "") -> Response:
    evaluation_round = _round(ctx, round_id)
    on = today()
    overview = build_overview(ctx.db, ctx.scope, evaluation_round, on)
    for row in overview.rows:
        ctx.audit.add("round.overview", "evaluation_round", evaluation_round.id, row.child.id)
    return render(
        ctx.request,
        "rounds/overview.html",
        {
            "overview": overview,
            "round": evaluation_round,
            "unit": ctx.db.get(Unit, evaluation_round.unit_id),
            "state": wellbeing.round_state(period_of(evaluation_round), on),
            "state_labels": STATE_LABELS,
            "is_leader": ctx.scope.leads(evaluation_round.unit_id),
            "positions": ctx.municipal.position_labels,
            "areas": wellbeing.AREAS,
            "saved": bool(gemt),
        },
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
    _leader_of(ctx, evaluation_round.unit_id)
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
    _leader_of(ctx, evaluation_round.unit_id)
    entered = RoundInput.from_form(_fields(form))
    if not check_round(ctx.db, evaluation_round.unit_id, entered, today(), editing=evaluation_round):
        return _edit_page(ctx, evaluation_round, entered, status_code=422)
    before = (
        evaluation_round.name,
        evaluation_round.opens_on.isoformat(),
        evaluation_round.closes_on.isoformat(),
    )
    evaluation_round.name = entered.name
    evaluation_round.opens_on = entered.parsed["opens_on"]
    evaluation_round.closes_on = entered.parsed["closes_on"]
    ctx.db.add(evaluation_round)
    ctx.audit.add(
        "round.update",
        "evaluation_round",
        evaluation_round.id,
        None,
        before=list(before),
        after=[entered.name, entered.opens_on, entered.closes_on],
    )
    return RedirectResponse(f"/rounds/{evaluation_round.id}?gemt=1", status_code=303)


@router.post("/rounds/{round_id}/close")
def close_round(ctx: SignedIn, round_id: str) -> Response:
    evaluation_round = _round(ctx, round_id)
    _leader_of(ctx, evaluation_round.unit_id)
    planned = evaluation_round.closes_on
    if not close_early(evaluation_round, today()):
        raise HTTPException(409, "Runden er ikke åben, så den kan ikke lukkes før tid.")
    ctx.db.add(evaluation_round)
    ctx.audit.add(
        "round.close",
        "evaluation_round",
        evaluation_round.id,
        None,
        planned=planned.isoformat(),
        closed=evaluation_round.closes_on.isoformat(),
    )
    return RedirectResponse(f"/rounds/{evaluation_round.id}?gemt=1", status_code=303)


@router.post("/rounds/{round_id}/delete")
def delete_round(ctx: SignedIn, round_id: str) -> Response:
    evaluation_round = _round(ctx, round_id)
    _leader_of(ctx, evaluation_round.unit_id)
    if marks_in_round(ctx.db, evaluation_round.id):
        raise HTTPException(409, "Runden har vurderinger og kan ikke slettes. Luk den i stedet.")
    unit_id = evaluation_round.unit_id
    ctx.audit.add("round.delete", "evaluation_round", evaluation_round.id, None, name=evaluation_round.name)
    ctx.db.delete(evaluation_round)
    return RedirectResponse(f"/units/{unit_id}/rounds", status_code=303)
