"""Tasks: due work created by the rules, listed soonest first, closed by doing the work.

Every task has a `key` naming the rule and what it is about, so a rule that fires again updates
its task instead of making a second one. Tasks without an assignee belong to the unit's leaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, exists, or_
from sqlmodel import Session, select

from backend.auth.policy import Scope, placed_on
from backend.db import utcnow
from backend.i18n import N_
from backend.people.models import Child, Placement
from backend.records.models import Record, Task

#: Kinds that involve the parents; held while an abuse-path concern is open (domain §6).
PARENT_FACING = frozenset({"dialogue_meeting", "transition_conversation", "next_dialogue_meeting"})

TITLES: dict[str, str] = {
    "adbb_follow_up": "Opfølgende ADBB-screening",
    "dialogue_meeting": "Hold dialogmøde med forældrene",
    "next_dialogue_meeting": "Næste dialogmøde",
    "agreement": "Aftale fra dialogmøde",
    "trial_action_follow_up": "Følg op på prøvehandling",
    "transition_arrived": "Ny overgangsbeskrivelse modtaget",
    "transition_conversation": "Inviter til overgangssamtale",
    "transition_evaluation": "Evaluér overgangen",
    "notification_receipt": "Kvittering for underretning mangler",
    "abuse_path_review": "Bekymring om vold eller overgreb – vurdér",
    "parent_involvement_hint": "Overvej at inddrage forældrene",
    "reflection_minutes": "Referat fra faglig sparring",
    "adbb_first": N_("1. ADBB-screening"),
    "adbb_second": N_("2. ADBB-screening"),
    "round_assessment": N_("Trivselsvurderinger"),
    "transition_description": N_("Skriv overgangsbeskrivelse"),
}

#: Kinds a person closes by hand (no record completes them).
CLOSED_BY_HAND = frozenset(
    {
        "agreement",
        "transition_arrived",
        "transition_evaluation",
        "parent_involvement_hint",
        "reflection_minutes",
    }
)


def _abuse_path_open(db: Session, child_id: str | None) -> bool:
    if child_id is None:
        return False
    query = select(Task.id).where(
        Task.child_id == child_id, Task.kind == "abuse_path_review", Task.status == "open"
    )
    return db.exec(query).first() is not None


def ensure_task(
    db: Session,
    *,
    key: str,
    kind: str,
    unit_id: str,
    due_on: date,
    child_id: str | None = None,
    assignee_id: str | None = None,
    record_id: str | None = None,
    params: dict | None = None,
) -> Task:
    """Create the task for `key`, or update the open one; a closed task stays closed."""
    task = db.exec(select(Task).where(Task.key == key)).first()
    if task is not None:
        if task.status in ("open", "held"):
            task.due_on, task.assignee_id = due_on, assignee_id
            task.params = {**task.params, **(params or {})}
            db.add(task)
        return task
    parent_facing = kind in PARENT_FACING
    held = parent_facing and _abuse_path_open(db, child_id)
    task = Task(
        key=key,
        kind=kind,
        unit_id=unit_id,
        due_on=due_on,
        child_id=child_id,
        assignee_id=assignee_id,
        record_id=record_id,
        params=params or {},
        parent_facing=parent_facing,
        status="held" if held else "open",
    )
    db.add(task)
    return task


def close_tasks(db: Session, *, closed_by: str | None, status: str = "done", **where: object) -> int:
    """Close the open or held tasks matching `where` (e.g. kind=..., child_id=..., key=...)."""
    query = select(Task).where(Task.status.in_(("open", "held")))
    for column, value in where.items():
        query = query.where(getattr(Task, column) == value)
    closed = 0
    for task in db.exec(query):
        task.status, task.closed_at, task.closed_by_id = status, utcnow(), closed_by
        db.add(task)
        closed += 1
    return closed


def hold_parent_facing(db: Session, child_id: str) -> None:
    for task in db.exec(
        select(Task).where(Task.child_id == child_id, Task.parent_facing, Task.status == "open")
    ):
        task.status = "held"
        db.add(task)


def release_parent_facing(db: Session, child_id: str) -> None:
    for task in db.exec(select(Task).where(Task.child_id == child_id, Task.status == "held")):
        task.status = "open"
        db.add(task)


@dataclass(frozen=True)
class TaskView:
    task: Task
    child_name: str | None

    @property
    def title(self) -> str:
        return task_title(self.task)

    @property
    def url(self) -> str:
        return task_url(self.task)


def task_title(task: Task) -> str:
    from backend.i18n import gettext

    title = gettext(TITLES.get(task.kind, task.kind))
    detail = task.params.get("what")
    return f"{title}: {detail}" if detail else title


def task_url(task: Task) -> str:
    """Where the user completes the task."""
    child = task.child_id
    forms = {
        "adbb_follow_up": f"/forms/adbb?child={child}&occasion=follow_up",
        "dialogue_meeting": f"/forms/dialogue_meeting?child={child}",
        "next_dialogue_meeting": f"/forms/dialogue_meeting?child={child}",
        "transition_conversation": f"/records/{task.record_id}/edit",
        "trial_action_follow_up": f"/records/{task.record_id}/edit",
        "notification_receipt": f"/records/{task.record_id}/edit",
        "adbb_first": f"/forms/adbb?child={child}&occasion=first",
        "adbb_second": f"/forms/adbb?child={child}&occasion=second",
        "transition_description": (
            f"/records/{task.record_id}/edit" if task.record_id else f"/forms/transition?child={child}"
        ),
    }
    if task.kind in forms and (child or task.record_id):
        return forms[task.kind]
    return f"/tasks/{task.id}"


_TASKS_LIMIT = 500
#: Built once (every "I dag" and child page runs it); parameters as in `open_tasks_for`.
_OPEN_TASKS = (
    select(Task, Child.name)
    .outerjoin(Child, Child.id == Task.child_id)
    .outerjoin(Placement, and_(Placement.child_id == Task.child_id, placed_on(bindparam("on"))))
    .where(
        Task.status == "open",
        or_(
            Task.assignee_id == bindparam("user_id"),
            and_(Task.assignee_id.is_(None), Task.unit_id.in_(bindparam("led_unit_ids", expanding=True))),
        ),
    )
    .where(
        or_(
            Task.child_id.is_(None),
            Placement.unit_id == Task.unit_id,
            exists().where(Record.id == Task.record_id, Record.shared_with_unit_id == Task.unit_id),
        )
    )
    .order_by(Task.due_on, Task.created_at)
)
_OPEN_TASKS_OF_CHILD = _OPEN_TASKS.where(Task.child_id == bindparam("child_id"))
_OPEN_TASKS_FIRST = _OPEN_TASKS.limit(_TASKS_LIMIT)
_OPEN_TASKS_OF_CHILD_FIRST = _OPEN_TASKS_OF_CHILD.limit(_TASKS_LIMIT)


def open_tasks_for(
    db: Session, scope: Scope, on: date, *, child_id: str | None = None, limit: int = _TASKS_LIMIT
) -> list[TaskView]:
    """The caller's open tasks, soonest first: their own, plus their led units' unassigned ones.

    A task about a child counts only while the child is placed in the task's unit, or while the
    task's record is a transition description handed over to that unit (a child still to come).
    """
    params = {
        "user_id": scope.user_id,
        "led_unit_ids": sorted(scope.led_unit_ids) or [""],
        "on": on,
        "child_id": child_id,
    }
    if limit != _TASKS_LIMIT:
        query = _OPEN_TASKS if child_id is None else _OPEN_TASKS_OF_CHILD
        rows = db.exec(query.limit(limit), params=params)
    else:
        rows = db.exec(_OPEN_TASKS_FIRST if child_id is None else _OPEN_TASKS_OF_CHILD_FIRST, params=params)
    return [TaskView(task, name) for task, name in rows]
