""" "Faglig sparring": a unit's reflections (anonymous and named) and where a new one starts."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import select

from backend.auth.policy import placed_on
from backend.domain import meetings
from backend.domain.dates import today
from backend.people.models import Child, Placement
from backend.people.service import unit_names
from backend.records.models import Record
from backend.records.registry import may_start
from backend.web.context import SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

LIST_LIMIT = 200


@dataclass(frozen=True)
class ReflectionRow:
    record: Record
    child_name: str | None

    @property
    def open_trial_actions(self) -> int:
        return int(self.record.derived.get("open_trial_actions", 0))


def unit_reflections(ctx: SignedIn) -> list[ReflectionRow]:
    """The reflections of the caller's units, newest first. A named one is listed only while its
    child is placed in the unit that wrote it (records stay with their unit)."""
    if not ctx.scope.unit_ids:
        return []
    records = ctx.db.exec(
        select(Record)
        .where(Record.type == "reflection", Record.unit_id.in_(ctx.scope.unit_ids))
        .order_by(Record.updated_at.desc())
        .limit(LIST_LIMIT)
    ).all()
    child_ids = {r.child_id for r in records if r.child_id}
    placed: dict[str, tuple[str, str]] = {}
    if child_ids:
        rows = ctx.db.exec(
            select(Child.id, Child.name, Placement.unit_id)
            .join(Placement, Placement.child_id == Child.id)
            .where(Child.id.in_(child_ids), placed_on(today()))
        )
        placed = {child_id: (name, unit_id) for child_id, name, unit_id in rows}
    listed = []
    for record in records:
        if record.child_id is None:
            listed.append(ReflectionRow(record, None))
        elif placed.get(record.child_id, ("", ""))[1] == record.unit_id:
            listed.append(ReflectionRow(record, placed[record.child_id][0]))
            ctx.audit.add("record.list", record.type, record.id, record.child_id)
    return listed


@router.get("/sparring")
def sparring_page(ctx: SignedIn) -> Response:
    units = unit_names(ctx.db, ctx.scope.unit_ids)
    startable = sorted(
        (unit for unit_id, unit in units.items() if may_start(ctx.scope, "reflection", unit_id)),
        key=lambda unit: unit.name,
    )
    return render(
        ctx.request,
        "sparring.html",
        {
            "reflections": unit_reflections(ctx),
            "units": units,
            "startable": startable,
            "age_bands": meetings.AGE_BANDS,
        },
    )
