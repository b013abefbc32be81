"""Admin pages for children: register, edit with a reason, placements (moves), legal hold.

The admin has no caseload (child pages answer 404 for the admin); these pages are the admin's
own, audited way to a child's master data. CPR numbers are never shown: forms only say whether
one is stored, and a new one is typed in a POST body.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.admin import children as service
from backend.admin.base import AdminError
from backend.admin.caseloads import caseload_of_child, professionals_of_unit
from backend.admin.export import records_of, review_reason
from backend.admin.organisation import rooms_by_unit, units_of
from backend.domain.dates import today
from backend.domain.numbers import is_digits
from backend.people.models import Child
from backend.web.pages.admin_common import Admin, Fields, done_message
from backend.web.templating import render

router = APIRouter(include_in_schema=False)
GUARDIAN_ROWS = 4
_CPR_LIKE = re.compile(r"\d{6}")


def _child(ctx: Admin, child_id: str) -> Child:
    child = service.child_of(ctx.db, ctx.user.municipality_id, child_id)
    if child is None:
        raise HTTPException(404)
    return child


def _back(child: Child, ok: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/children/{child.id}?ok={ok}", status_code=303)


@router.get("/admin/children")
def children_page(ctx: Admin) -> Response:
    """The list; a search is POSTed (below), so a typed name never ends up in a URL or a log.
    An old-style `?q=` address is not searched: the browser is sent to the plain list."""
    if "q" in ctx.request.query_params:
        return RedirectResponse("/admin/children", status_code=303)
    return _children_page(ctx, "")


@router.get("/admin/children/search")
def search_page_reloaded(_ctx: Admin) -> Response:
    return RedirectResponse("/admin/children", status_code=303)


@router.post("/admin/children/search")
def search_children(ctx: Admin, fields: Fields) -> Response:
    return _children_page(ctx, fields.get("q", "").strip()[:100])


def _children_page(ctx: Admin, q: str) -> Response:
    cpr_search = bool(_CPR_LIKE.search(q))
    rows = [] if cpr_search else service.search_children(ctx.db, ctx.user.municipality_id, today(), q)
    for row in rows:
        ctx.audit.add("child.list", "child", row.child.id, row.child.id, admin=True)
    return render(
        ctx.request,
        "admin/children.html",
        {
            "rows": rows,
            "q": "" if cpr_search else q,
            "cpr_search": cpr_search,
            "done": done_message(ctx.request),
        },
    )


def _choices(ctx: Admin, unit_id: str = "") -> dict:
    """The units, and the rooms – only the chosen unit's once a unit is chosen (a form shown
    again after an error offers the rooms that fit the unit it keeps)."""
    units = units_of(ctx.db, ctx.user.municipality_id)
    rooms = [room for unit_rooms in rooms_by_unit(ctx.db, units).values() for room in unit_rooms]
    names = {u.id: u.name for u in units}
    if unit_id in names:
        rooms = [room for room in rooms if room.unit_id == unit_id]
    return {
        "unit_options": {u.id: u.name for u in units},
        "room_options": {
            r.id: f"{names[r.unit_id]} – {r.name}"
            for r in sorted(rooms, key=lambda r: (names[r.unit_id], r.name))
        },
    }


def _guardian_inputs(fields: dict[str, str]) -> list[service.GuardianInput]:
    rows = []
    for index in range(GUARDIAN_ROWS + 20):
        prefix = f"guardian-{index}-"
        if not any(key.startswith(prefix) for key in fields):
            continue
        rows.append(
            service.GuardianInput(
                id=fields.get(prefix + "id", ""),
                name=fields.get(prefix + "name", ""),
                relation=fields.get(prefix + "relation", ""),
                phone=fields.get(prefix + "phone", ""),
                email=fields.get(prefix + "email", ""),
                remove=fields.get(prefix + "remove") == "on",
                cpr=fields.get(prefix + "cpr", ""),
                remove_cpr=fields.get(prefix + "remove_cpr") == "on",
            )
        )
    return rows


def _child_input(fields: dict[str, str]) -> service.ChildInput:
    return service.ChildInput(
        name=fields.get("name", ""),
        birth_date=fields.get("birth_date", ""),
        cpr=fields.get("cpr", ""),
        remove_cpr=fields.get("remove_cpr") == "on",
        unit_id=fields.get("unit_id", ""),
        room_id=fields.get("room_id", ""),
        starts_on=fields.get("starts_on", ""),
        reason=fields.get("reason", ""),
        guardians=_guardian_inputs(fields),
    )


def _form_values(fields: dict[str, str]) -> dict[str, str]:
    """What was typed, to show again exactly – the child's CPR number too (issue 17: the answer to
    the admin's own POST, never cached, never in a URL or a log). A guardian's CPR number is not
    shown again (its rows are asked for afresh)."""
    return {
        key: value
        for key, value in fields.items()
        if key != "csrf_token" and not (key.startswith("guardian-") and key.endswith("-cpr"))
    }


def _guardian_rows(values: dict[str, str], count: int) -> list[int]:
    used = {
        int(key.split("-")[1])
        for key in values
        if key.startswith("guardian-") and is_digits(key.split("-")[1]) and len(key.split("-")[1]) <= 2
    }
    return list(range(max(count, max(used, default=-1) + 1)))


@router.get("/admin/children/new")
def new_child_page(ctx: Admin) -> Response:
    values = {"starts_on": today().isoformat()}
    return _new_child_page(ctx, values, {})


def _new_child_page(ctx: Admin, values: dict, errors: dict, status: int = 200) -> Response:
    return render(
        ctx.request,
        "admin/child_new.html",
        {
            "values": values,
            "errors": errors,
            "guardian_rows": _guardian_rows(values, 2),
            **_choices(ctx, values.get("unit_id", "")),
        },
        status_code=status,
    )


@router.post("/admin/children")
def create_child(ctx: Admin, fields: Fields) -> Response:
    try:
        child = service.register_child(ctx, ctx.user.municipality_id, _child_input(fields), today())
    except service.FormInvalid as invalid:
        return _new_child_page(ctx, _form_values(fields), invalid.errors, 422)
    return _back(child, "child_created")


@router.get("/admin/children/{child_id}")
def child_page(ctx: Admin, child_id: str) -> Response:
    return _child_page(ctx, _child(ctx, child_id))


def _child_page(
    ctx: Admin, child: Child, errors: dict | None = None, values: dict | None = None, status: int = 200
) -> Response:
    on = today()
    ctx.audit.add("child.read", "child", child.id, child.id, admin=True)
    spans = service.spans_of(ctx.db, child.id)
    current = next((s for s in spans if s.holds_on(on)), None)
    caseload = caseload_of_child(ctx.db, child.id)
    records = records_of(ctx.db, child.id)
    return render(
        ctx.request,
        "admin/child.html",
        {
            "child": child,
            "spans": list(reversed(spans)),
            "current": current,
            "guardians": service.guardians_of(ctx.db, child.id),
            "caseload": caseload,
            "record_count": len(records),
            "review_count": sum(1 for r in records if review_reason(r)),
            "professionals": professionals_of_unit(ctx.db, current.unit_id) if current else [],
            "errors": errors or {},
            "values": values or {},
            "done": done_message(ctx.request),
            **_choices(ctx, (values or {}).get("unit_id", "")),
        },
        status_code=status,
    )


@router.get("/admin/children/{child_id}/edit")
def edit_child_page(ctx: Admin, child_id: str) -> Response:
    child = _child(ctx, child_id)
    values = {"name": child.name, "birth_date": child.birth_date.isoformat()}
    for index, guardian in enumerate(service.guardians_of(ctx.db, child.id)):
        for key in ("id", "name", "relation", "phone", "email"):
            values[f"guardian-{index}-{key}"] = getattr(guardian, key)
        if guardian.cpr:  # only that one is recorded, never the number
            values[f"guardian-{index}-has_cpr"] = "1"
    ctx.audit.add("child.read", "child", child.id, child.id, admin=True, form="edit")
    return _edit_page(ctx, child, values, {})


def _edit_page(ctx: Admin, child: Child, values: dict, errors: dict, status: int = 200) -> Response:
    existing = len(service.guardians_of(ctx.db, child.id))
    return render(
        ctx.request,
        "admin/child_edit.html",
        {
            "child": child,
            "values": values,
            "errors": errors,
            "guardian_rows": _guardian_rows(values, existing + 1),
        },
        status_code=status,
    )


@router.post("/admin/children/{child_id}")
def update_child(ctx: Admin, child_id: str, fields: Fields) -> Response:
    child = _child(ctx, child_id)
    try:
        service.update_child(ctx, child, _child_input(fields), today())
    except service.FormInvalid as invalid:
        return _edit_page(ctx, child, _form_values(fields), invalid.errors, 422)
    return _back(child, "child_saved")


@router.post("/admin/children/{child_id}/placements")
def move_child(ctx: Admin, child_id: str, fields: Fields) -> Response:
    child = _child(ctx, child_id)
    try:
        service.move_child(
            ctx,
            child,
            fields.get("unit_id", ""),
            fields.get("room_id", ""),
            fields.get("starts_on", ""),
            fields.get("ends_on", ""),
        )
    except service.FormInvalid as invalid:
        return _child_page(ctx, child, invalid.errors, _form_values(fields), 422)
    return _back(child, "moved")


@router.post("/admin/children/{child_id}/leave")
def leave(ctx: Admin, child_id: str, fields: Fields) -> Response:
    child = _child(ctx, child_id)
    try:
        service.end_enrolment(ctx, child, fields.get("leaves_on", ""))
    except service.FormInvalid as invalid:
        return _child_page(ctx, child, invalid.errors, _form_values(fields), 422)
    return _back(child, "left")


@router.post("/admin/children/{child_id}/placements/{placement_id}/undo")
def undo_move(ctx: Admin, child_id: str, placement_id: str) -> Response:
    child = _child(ctx, child_id)
    try:
        service.undo_future_placement(ctx, child, placement_id, today())
    except AdminError as error:
        return _child_page(ctx, child, {"placements": error.message}, None, 422)
    return _back(child, "undone")


@router.post("/admin/children/{child_id}/legal-hold")
def legal_hold(ctx: Admin, child_id: str, fields: Fields) -> Response:
    child = _child(ctx, child_id)
    hold = fields.get("hold") == "on"
    try:
        service.set_legal_hold(ctx, child, hold, fields.get("hold_reason", ""))
    except service.FormInvalid as invalid:
        return _child_page(ctx, child, {"hold_reason": invalid.errors["reason"]}, _form_values(fields), 422)
    except AdminError as error:
        return _child_page(ctx, child, {"hold_reason": error.message}, _form_values(fields), 422)
    return _back(child, "hold_set" if hold else "hold_cleared")
