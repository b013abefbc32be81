"""What "I dag", the caseload and a child's page (HTML and JSON) show, each read in a small,
constant number of queries whatever the number of children, records or tasks, and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth.policy import Scope, ScopedChildren, child_in_scope_with_unit, children_in_scope_with_units
from backend.people.models import Child, Guardian, Placement, Unit
from backend.people.service import PlacementView, guardians_of, placement_history
from backend.records.access import INCOMING_CHILDREN, child_records
from backend.records.models import EvaluationRound, Record
from backend.records.open_work import Known, WorkCard, open_work, round_tasks
from backend.records.tasks import TaskView, open_tasks_for


def _audit_listed(audit: AuditTrail, rows: list[tuple[Child, Placement]]) -> None:
    for child, _placement in rows:
        audit.add("child.list", "child", child.id, child.id)


@dataclass
class TodayView:
    caseload: list[tuple[Child, Placement]]
    units: dict[str, Unit]
    has_caseload: bool
    tasks: list[TaskView]
    overdue: list[TaskView]
    due_today: list[TaskView]
    this_week: list[TaskView]
    open_work: list[WorkCard]


def today_view(db: Session, scope: Scope, audit: AuditTrail, on: date) -> TodayView:
    """The caller's open work (the round to mark …), their own caseload (else their units'
    children) and this week's open tasks (a round's task is shown as its open-work card)."""
    scoped = children_in_scope_with_units(db, scope, on)
    mine = [row for row in scoped.rows if row[0].id in scoped.mine]
    caseload = mine or scoped.rows
    _audit_listed(audit, caseload)
    week_end = on + timedelta(days=6 - on.weekday())
    all_open = open_tasks_for(db, scope, on)
    known = Known(all_open, mine, scoped.units)
    as_cards = {id(view) for view in round_tasks(known, scope.user_id, on)}
    tasks = [v for v in all_open if v.task.due_on <= week_end and id(v) not in as_cards]
    for view in tasks:
        if view.task.child_id:
            audit.add("task.list", "task", view.task.id, view.task.child_id)
    return TodayView(
        caseload=caseload,
        units=scoped.units,
        has_caseload=bool(scoped.mine),
        tasks=tasks,
        overdue=[v for v in tasks if v.task.due_on < on],
        due_today=[v for v in tasks if v.task.due_on == on],
        this_week=[v for v in tasks if on < v.task.due_on <= week_end],
        open_work=open_work(db, scope, audit, on, known),
    )


@dataclass
class CaseloadView:
    children: ScopedChildren
    incoming: list[Child]


def caseload_view(db: Session, scope: Scope, audit: AuditTrail, on: date, search: str | None) -> CaseloadView:
    """The children in the caller's scope (searched by name), and — without a search — the
    children coming to the caller's units with a handed-over description."""
    scoped = children_in_scope_with_units(
        db, scope, on, search=search, along=None if search else INCOMING_CHILDREN
    )
    _audit_listed(audit, scoped.rows)
    incoming = scoped.along
    placed_ids = {child.id for child, _p in scoped.rows}
    incoming = [child for child in incoming if child.id not in placed_ids]
    for child in incoming:
        audit.add("child.list", "child", child.id, child.id)
    return CaseloadView(scoped, incoming)


@dataclass
class ChildView:
    child: Child
    placement: Placement
    unit: Unit
    records: list[Record]
    names: dict[str, str]
    rounds: dict[str, EvaluationRound]
    guardians: list[Guardian]
    history: list[PlacementView]
    tasks: list[TaskView]


def child_view(db: Session, scope: Scope, audit: AuditTrail, child_id: str, on: date) -> ChildView | None:
    """A child in the caller's scope with what the caller may see of it (audited), else None."""
    found = child_in_scope_with_unit(db, scope, child_id, on)
    if found is None:
        return None
    child, placement, unit = found
    audit.add("child.read", "child", child.id, child.id)
    seen = child_records(db, scope, child.id, placement.unit_id)
    return ChildView(
        child=child,
        placement=placement,
        unit=unit,
        records=seen.records,
        names=seen.names,
        rounds=seen.rounds,
        guardians=guardians_of(db, child.id),
        history=placement_history(db, child.id),
        tasks=open_tasks_for(db, scope, on, child_id=child.id),
    )
