"""Admin pages for caseloads: per unit who has which child, assigning, and handing a whole
caseload to a colleague in one step after a preview."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import RedirectResponse, Response

from backend.admin import caseloads as service
from backend.admin.base import AdminError
from backend.admin.children import child_of
from backend.admin.organisation import unit_of, units_of, user_of, users_of
from backend.auth.policy import is_id
from backend.domain.dates import today
from backend.domain.messages import N_
from backend.web.pages.admin_common import Admin, Fields, done_message
from backend.web.pages.auth import safe_next
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/caseloads")
def caseloads_page(ctx: Admin, unit: str = Query("", max_length=36)) -> Response:
    return _caseloads_page(ctx, unit)


def _caseloads_page(ctx: Admin, unit_id: str, error: str = "", status: int = 200) -> Response:
    units = units_of(ctx.db, ctx.user.municipality_id)
    chosen = unit_of(ctx.db, ctx.user.municipality_id, unit_id) if is_id(unit_id) else None
    rows = service.unit_caseloads(ctx.db, chosen, today()) if chosen else []
    for row in rows:
        ctx.audit.add("child.list", "child", row.child.id, row.child.id, admin=True, page="caseloads")
    users = [u for u in users_of(ctx.db, ctx.user.municipality_id)]
    return render(
        ctx.request,
        "admin/caseloads.html",
        {
            "units": units,
            "unit": chosen,
            "rows": rows,
            "professionals": service.professionals_of_unit(ctx.db, chosen.id) if chosen else [],
            "users": users,
            "error": error,
            "done": done_message(ctx.request),
        },
        status_code=status,
    )


def _redirect(fields: dict[str, str], fallback: str, ok: str) -> RedirectResponse:
    target = safe_next(fields.get("next") or fallback)
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}ok={ok}", status_code=303)


@router.post("/admin/caseloads")
def assign(ctx: Admin, fields: Fields) -> Response:
    child = child_of(ctx.db, ctx.user.municipality_id, fields.get("child_id", ""))
    user = (
        user_of(ctx.db, ctx.user.municipality_id, fields.get("user_id", ""))
        if is_id(fields.get("user_id"))
        else None
    )
    if child is None:
        raise HTTPException(404)
    if user is None:
        return _caseloads_page(ctx, fields.get("unit", ""), N_("Vælg en medarbejder."), 422)
    try:
        service.assign(ctx, child, user, today())
    except AdminError as error:
        return _caseloads_page(ctx, fields.get("unit", ""), error.message, 422)
    return _redirect(fields, f"/admin/caseloads?unit={fields.get('unit', '')}", "assigned")


@router.post("/admin/caseloads/{entry_id}/delete")
def unassign(ctx: Admin, entry_id: str, fields: Fields) -> Response:
    entry = service.caseload_entry_of(ctx.db, ctx.user.municipality_id, entry_id)
    if entry is None:
        raise HTTPException(404)
    service.unassign(ctx, entry)
    return _redirect(fields, f"/admin/caseloads?unit={entry.unit_id}", "unassigned")


def _pair(ctx: Admin, from_id: str, to_id: str):
    municipality_id = ctx.user.municipality_id
    from_user = user_of(ctx.db, municipality_id, from_id) if is_id(from_id) else None
    to_user = user_of(ctx.db, municipality_id, to_id) if is_id(to_id) else None
    return from_user, to_user


@router.get("/admin/caseloads/handover")
def handover_page(
    ctx: Admin, from_user: str = Query("", max_length=36), to_user: str = Query("", max_length=36)
) -> Response:
    return _handover_page(ctx, from_user, to_user)


def _handover_page(ctx: Admin, from_id: str, to_id: str, error: str = "", status: int = 200) -> Response:
    giver, taker = _pair(ctx, from_id, to_id)
    items = service.handover_preview(ctx.db, giver, taker, today()) if giver and taker else []
    for item in items:
        ctx.audit.add("child.list", "child", item.child.id, item.child.id, admin=True, page="handover")
    if giver and taker and giver.id == taker.id:
        error, items = error or N_("Vælg to forskellige medarbejdere."), []
    return render(
        ctx.request,
        "admin/handover.html",
        {
            "users": users_of(ctx.db, ctx.user.municipality_id),
            "giver": giver,
            "taker": taker,
            "items": items,
            "outcomes": service.OUTCOMES,
            "moving": sum(1 for item in items if item.outcome == "moves"),
            "error": error,
        },
        status_code=status,
    )


@router.post("/admin/caseloads/handover")
def hand_over(ctx: Admin, fields: Fields) -> Response:
    giver, taker = _pair(ctx, fields.get("from_user", ""), fields.get("to_user", ""))
    if giver is None or taker is None:
        return _handover_page(ctx, "", "", N_("Vælg begge medarbejdere."), 422)
    try:
        service.hand_over(ctx, giver, taker, today())
    except AdminError as error:
        return _handover_page(ctx, giver.id, taker.id, error.message, 422)
    return RedirectResponse(
        f"/admin/caseloads/handover?from_user={giver.id}&to_user={taker.id}&ok=handed_over", status_code=303
    )
