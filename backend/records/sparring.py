""" "Faglig sparring": a unit's reflections (anonymous and named), read through the one access
rule of `backend/records/access.py`, and the units where the user may start a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, placed_on
from backend.people.models import Child, Placement, Unit
from backend.people.service import unit_names
from backend.records.access import own_unit_records
from backend.records.models import Record
from backend.records.registry import may_start

LIST_LIMIT = 200


class SparringContext(Protocol):
    db: Session
    audit: AuditTrail
    scope: Scope


@dataclass(frozen=True)
class ReflectionRow:
    record: Record
    child_name: str | None

    @property
    def open_trial_actions(self) -> int:
        return int(self.record.derived.get("open_trial_actions", 0))


@dataclass
class SparringPage:
    reflections: list[ReflectionRow]
    units: dict[str, Unit]
    startable: list[Unit]


def unit_reflections(ctx: SparringContext, on: date) -> list[ReflectionRow]:
    """The reflections the caller may see in their units, newest first. A named one is listed
    only while its child is placed in the unit that wrote it (records stay with their unit);
    each listed named reflection is audited."""
    if not ctx.scope.unit_ids:
        return []
    records = ctx.db.exec(
        select(Record)
        .where(Record.type == "reflection", own_unit_records(ctx.scope))
        .order_by(Record.updated_at.desc())
        .limit(LIST_LIMIT)
    ).all()
    child_ids = {r.child_id for r in records if r.child_id}
    placed: dict[str, tuple[str, str]] = {}
    if child_ids:
        rows = ctx.db.exec(
            select(Child.id, Child.name, Placement.unit_id)
            .join(Placement, Placement.child_id == Child.id)
            .where(Child.id.in_(child_ids), placed_on(on))
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


def sparring_page(ctx: SparringContext, on: date) -> SparringPage:
    units = unit_names(ctx.db, ctx.scope.unit_ids)
    startable = sorted(
        (unit for unit_id, unit in units.items() if may_start(ctx.scope, "reflection", unit_id)),
        key=lambda unit: unit.name,
    )
    return SparringPage(unit_reflections(ctx, on), units, startable)
