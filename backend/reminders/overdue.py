"""The leader's view of overdue tasks: open tasks past their date in the units they lead, per
person (unassigned ones: the leaders'), about children still placed in the unit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, placed_on
from backend.people.models import Child, Placement, Unit, User
from backend.records.models import Task
from backend.records.tasks import TaskView


class NotALeader(PermissionError):
    """Only leaders see overdue tasks."""


class OverdueContext(Protocol):
    db: Session
    audit: AuditTrail
    scope: Scope


@dataclass(frozen=True)
class PersonOverdue:
    name: str
    tasks: list[TaskView]


@dataclass(frozen=True)
class UnitOverdue:
    unit: Unit
    people: list[PersonOverdue]

    @property
    def count(self) -> int:
        return sum(len(p.tasks) for p in self.people)


def overdue_in_units(db: Session, unit_ids: set[str], on: date, leaders_label: str) -> list[UnitOverdue]:
    """Open tasks past their date in the units, per person (unassigned ones: the leaders'),
    about children still placed in the unit."""
    query = (
        select(Task, Child.name, User.display_name)
        .outerjoin(Child, Child.id == Task.child_id)
        .outerjoin(Placement, and_(Placement.child_id == Task.child_id, placed_on(on)))
        .outerjoin(User, User.id == Task.assignee_id)
        .where(Task.status == "open", Task.due_on < on, Task.unit_id.in_(unit_ids or {""}))
        .where(or_(Task.child_id.is_(None), Placement.unit_id == Task.unit_id))
        .order_by(Task.due_on, Task.created_at)
    )
    by_unit: dict[str, dict[str, list[TaskView]]] = defaultdict(lambda: defaultdict(list))
    for task, child_name, person in db.exec(query).all():
        by_unit[task.unit_id][person or leaders_label].append(TaskView(task, child_name))
    units = db.exec(select(Unit).where(Unit.id.in_(unit_ids or {""})).order_by(Unit.name)).all()
    return [
        UnitOverdue(
            unit,
            [
                PersonOverdue(name, views)
                for name, views in sorted(by_unit[unit.id].items(), key=lambda item: (-len(item[1]), item[0]))
            ],
        )
        for unit in units
    ]


def overdue_for_leader(
    ctx: OverdueContext, unit_id: str, on: date, leaders_label: str
) -> list[UnitOverdue] | None:
    """The overdue tasks of the units the caller leads, or of one of them (`unit_id`); each
    listed task audited. NotALeader for anyone who leads no unit; None for a unit not theirs."""
    led = set(ctx.scope.led_unit_ids)
    if not led:
        raise NotALeader
    if unit_id:
        if unit_id not in led:
            return None
        led = {unit_id}
    units = overdue_in_units(ctx.db, led, on, leaders_label)
    for overview in units:
        for person in overview.people:
            for view in person.tasks:
                ctx.audit.add("task.overdue_list", "task", view.task.id, view.task.child_id)
    return units
