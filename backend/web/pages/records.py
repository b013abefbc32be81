"""Record pages: a new record's form, editing, saving (the one write path), viewing, versions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import uuid4

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from backend.auth.policy import child_in_scope, is_id
from backend.domain import consent
from backend.domain.dates import today
from backend.domain.messages import N_
from backend.notify.email import send_after_response
from backend.people.service import child_by_id, unit_names
from backend.records.access import can_change, visible_record, visible_versions
from backend.records.conflicts import resolve_after_save
from backend.records.forms import FormShapeError, form_to_body, unflatten
from backend.records.models import Record, RecordVersion
from backend.records.next_steps import next_steps
from backend.records.registry import KINDS, RECORD_TYPES, kind, may_start
from backend.records.service import SaveResult, save_record
from backend.records.views import user_names
from backend.web.context import SignedIn
from backend.web.errors import wants_json
from backend.web.forms import SubmittedForm, submitted_form
from backend.web.one_thread import one_thread
from backend.web.pages.record_form_page import form_page
from backend.web.pages.record_forms import form_context
from backend.web.save_result import result_response
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/forms/{record_type}")
@one_thread(conditional=True)
def new_record_form(
    ctx: SignedIn, request: Request, record_type: str, child: str = "", unit: str = ""
) -> Response:
    if record_type not in RECORD_TYPES:
        raise HTTPException(404)
    query = dict(request.query_params)
    if record_type == "reflection" and not child:
        if not is_id(unit) or not may_start(ctx.scope, record_type, unit):
            raise HTTPException(404)
        values = {"data": {"anonymous": True}, "unit_id": unit}
        return form_page(ctx, record_type, None, unit, str(uuid4()), values, base_version=None, query=query)
    found = child_in_scope(ctx.db, ctx.scope, child, today())
    if found is None:
        raise HTTPException(404)
    child_row, placement = found
    if not may_start(ctx.scope, record_type, placement.unit_id):
        raise HTTPException(403, N_("Din rolle kan ikke oprette denne type registrering."))
    ctx.audit.add("record.form", record_type, None, child_row.id)
    return form_page(
        ctx,
        record_type,
        child_row,
        placement.unit_id,
        str(uuid4()),
        {"data": {}},
        base_version=None,
        query=query,
    )


def _own_record(ctx: SignedIn, record_id: str) -> Record:
    record = visible_record(ctx.db, ctx.scope, record_id, today())
    if record is None:
        raise HTTPException(404)
    return record


@router.get("/records/{record_id}/edit")
@one_thread(conditional=True)
def edit_record_form(ctx: SignedIn, record_id: str) -> Response:
    record = _own_record(ctx, record_id)
    if not can_change(ctx.scope, record):
        raise HTTPException(403, N_("Du kan læse, men ikke rette denne registrering."))
    child = child_by_id(ctx.db, record.child_id)
    ctx.audit.add("record.read", record.type, record.id, record.child_id)
    values = {"data": record.data, "unit_id": record.unit_id}
    return form_page(
        ctx, record.type, child, record.unit_id, record.id, values, base_version=record.version, record=record
    )


@router.post("/records/{record_id}")
def submit_record(
    ctx: SignedIn, record_id: str, form: Annotated[SubmittedForm, Depends(submitted_form)]
) -> Response:
    try:
        tree = unflatten(form.items)
    except FormShapeError as error:
        raise HTTPException(400, str(error)) from None
    record_type = tree.get("type") if tree.get("type") in RECORD_TYPES else None
    body = form_to_body(tree, KINDS[record_type].bool_fields if record_type else ())
    if tree.get("then") == "next":  # "Gem og næste barn" finishes this mark
        body["status"] = "final"
    result = save_record(ctx, record_id, body)
    if result.status == 200 and tree.get("conflict_id"):
        resolve_after_save(ctx, tree["conflict_id"], record_id)
    if wants_json(ctx.request):
        response = result_response(ctx, result)
    else:
        response = _html_result(ctx, record_id, body, result, tree)
    return send_after_response(ctx.db, ctx.settings, response)


def _html_result(ctx: SignedIn, record_id: str, body: dict, result: SaveResult, tree: dict) -> Response:
    if result.status in (200, 201):
        return RedirectResponse(_after_save(record_id, body, tree), status_code=303)
    if result.status == 422 and body.get("type") in RECORD_TYPES:
        child = None
        unit_id = body.get("unit_id") or ""
        if body.get("child_id"):
            found = child_in_scope(ctx.db, ctx.scope, body["child_id"], today())
            if found is None:
                raise HTTPException(404)
            child, placement = found
            unit_id = placement.unit_id
        errors = {e["field"]: e["message"] for e in result.errors}
        values = {"data": body["data"], "unit_id": unit_id}
        return form_page(
            ctx,
            body["type"],
            child,
            unit_id,
            record_id,
            values,
            base_version=body.get("base_version"),
            errors=errors,
            status_code=422,
            conflict_id=tree.get("conflict_id"),
        )
    if result.status == 409:
        return RedirectResponse(f"/conflicts/{result.kept.id}", status_code=303)
    if result.status == 202:
        return render(ctx.request, "records/kept.html", {"detail": result.detail}, status_code=202)
    raise HTTPException(result.status if result.status in (403, 404) else 400, result.detail or None)


def _after_save(record_id: str, body: dict, tree: dict) -> str:
    """Where a save leads: the saved record; after "Gem og næste barn" the round's next child;
    after "Registrér samtykke" (a draft saved first) the consent form; after that consent, back to the
    record that asked for it."""
    round_id = (body.get("data") or {}).get("round_id")
    child_id = body.get("child_id")
    then = tree.get("then")
    if then == "next" and isinstance(round_id, str) and is_id(round_id) and is_id(child_id):
        return f"/rounds/{round_id}/next?efter={child_id}"
    if then == "consent" and body.get("type") in consent.CONSENT_FOR_RECORD and is_id(child_id):
        query = {"child": child_id, "kind": consent.CONSENT_FOR_RECORD[body["type"]], "scope": record_id}
        return "/forms/consent?" + urlencode({**query, "fra": record_id})
    back = tree.get("fra")
    if isinstance(back, str) and is_id(back):
        return f"/records/{back}/edit"
    return f"/records/{record_id}?gemt=1"


@router.get("/records/{record_id}")
@one_thread(conditional=True)
def view_record(ctx: SignedIn, record_id: str, gemt: str = "") -> Response:
    record = _own_record(ctx, record_id)
    versions = visible_versions(ctx.db, record)
    return _record_page(ctx, record, versions, shown=None, saved=bool(gemt))


@router.get("/records/{record_id}/versions/{version}")
def view_version(ctx: SignedIn, record_id: str, version: int) -> Response:
    record = _own_record(ctx, record_id)
    versions = visible_versions(ctx.db, record)
    shown = next((v for v in versions if v.version == version), None)
    if shown is None:
        raise HTTPException(404)
    return _record_page(ctx, record, versions, shown=shown, saved=False)


def _record_page(
    ctx: SignedIn, record: Record, versions: list[RecordVersion], shown: RecordVersion | None, saved: bool
) -> Response:
    child = child_by_id(ctx.db, record.child_id)
    names = user_names(ctx.db, {record.author_id, record.updated_by_id, *(v.author_id for v in versions)})
    ctx.audit.add(
        "record.read",
        record.type,
        record.id,
        record.child_id,
        version=shown.version if shown else record.version,
    )
    data = shown.data if shown else record.data
    derived = shown.derived if shown else record.derived
    extra = form_context(record.type, ctx, child, record.unit_id, {})
    extra.pop("defaults", None)
    return render(
        ctx.request,
        "records/view.html",
        {
            "record": record,
            "child": child,
            "data": data,
            "derived": derived,
            "shown": shown,
            "versions": versions,
            "names": names,
            "saved": saved,
            "can_change": can_change(ctx.scope, record),
            "next_steps": [] if shown else next_steps(ctx.db, ctx.scope, ctx.audit, record, today()),
            "units": unit_names(ctx.db, {record.unit_id}),
            "type_label": kind(record.type).label,
            "show_template": kind(record.type).show_template,
            **extra,
        },
    )
