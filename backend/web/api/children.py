"""`/api/me`, `/api/children` and `/api/children/{child_id}`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backend.auth.policy import children_in_scope
from backend.domain.dates import age_in_months, today
from backend.forums.service import PartnerChild, partner_child, partner_children_list
from backend.people.service import child_summary, roles_with_units
from backend.records.pages import child_view
from backend.records.views import record_json
from backend.web.context import SignedIn
from backend.web.one_thread import one_thread

router = APIRouter(prefix="/api", tags=["children"])


class ChildOut(BaseModel):
    id: str
    name: str
    birth_date: str
    unit_id: str


@router.get("/me")
def me(ctx: SignedIn) -> dict:
    """The signed-in user, their roles and units."""
    roles = roles_with_units(ctx.db, ctx.user.id)
    units = {unit.id: unit for _role, unit in roles if unit is not None}
    return {
        "id": ctx.user.id,
        "username": ctx.user.username,
        "display_name": ctx.user.display_name,
        "roles": [{"role": role.role, "unit_id": role.unit_id} for role, _unit in roles],
        "units": [{"id": u.id, "name": u.name, "kind": u.kind} for u in units.values()],
        "is_admin": ctx.scope.is_admin,
    }


@router.get("/children", response_model=list[ChildOut])
@one_thread()
def list_children(ctx: SignedIn) -> list[dict]:
    """Children in the caller's scope (no CPR); for a partner, the children on the agendas they
    may read now (domain §11)."""
    if ctx.scope.is_partner and not ctx.scope.unit_ids:
        return [
            _partner_summary(entry) for entry in partner_children_list(ctx.db, ctx.scope, ctx.audit, today())
        ]
    rows = children_in_scope(ctx.db, ctx.scope, today())
    for child, _placement in rows:
        ctx.audit.add("child.list", "child", child.id, child.id)
    return [child_summary(child, placement) for child, placement in rows]


# Sent as built (JSON types only): not validated again as a `dict` nor walked by FastAPI's
# `jsonable_encoder` (a copy of every record, and a trip through the thread pool, per request).
@router.get("/children/{child_id}", responses={404: {}}, response_class=JSONResponse)
@one_thread()
def get_child(ctx: SignedIn, child_id: str) -> JSONResponse:
    """One child with its records (newest first) and open tasks; for a partner, only the child's
    forum cases they may read — never the journal."""
    if ctx.scope.is_partner and not ctx.scope.unit_ids:
        entry = partner_child(ctx.db, ctx.scope, ctx.audit, child_id, today())
        if entry is None:
            raise HTTPException(404)
        return JSONResponse(_partner_json(entry))
    view = child_view(ctx.db, ctx.scope, ctx.audit, child_id, today())
    if view is None:
        raise HTTPException(404)
    child, placement = view.child, view.placement
    return JSONResponse(_child_json(view, child, placement))


def _child_json(view, child, placement) -> dict:
    return {
        **child_summary(child, placement),
        "age_months": age_in_months(child.birth_date, today()),
        "has_cpr": child.cpr is not None,
        "guardians": [
            {"id": g.id, "name": g.name, "relation": g.relation, "phone": g.phone, "email": g.email}
            for g in view.guardians
        ],
        "placements": [
            {
                "unit_id": p.unit_id,
                "unit_name": p.unit_name,
                "starts_on": p.starts_on.isoformat(),
                "ends_on": p.ends_on.isoformat() if p.ends_on else None,
            }
            for p in view.history
        ],
        "records": [record_json(r, view.names) for r in view.records],
        "tasks": [
            {
                "id": v.task.id,
                "kind": v.task.kind,
                "child_id": v.task.child_id,
                "title": v.title,
                "due_on": v.task.due_on.isoformat(),
                "record_id": v.task.record_id,
            }
            for v in view.tasks
        ],
    }


def _partner_summary(entry: PartnerChild) -> dict:
    return {
        "id": entry.child.id,
        "name": entry.child.name,
        "birth_date": entry.child.birth_date.isoformat(),
        "unit_id": entry.unit_id,
    }


def _partner_json(entry: PartnerChild) -> dict:
    return {
        **_partner_summary(entry),
        "age_months": age_in_months(entry.child.birth_date, today()),
        "forum_cases": [
            {
                "id": case.id,
                "meeting_id": meeting.id,
                "held_on": meeting.held_on.isoformat(),
                "preparation": case.preparation,
            }
            for case, meeting in entry.cases
        ],
    }
