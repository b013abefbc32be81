"""Tasks: due work created by the rules, listed soonest first, closed by doing the work.

Every task has a `key` naming the rule and what it is about, so a rule that fires again updates
its task instead of making a second one. Tasks without an assignee belong to the unit's leaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, bindparam, exists, not_, or_
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, is_id, placed_on
from backend.db import plain_rows, utcnow
from backend.i18n import N_
from backend.people.models import Child, Placement, Role, RoleAssignment, User
from backend.records.access import holds_role, record_readable_by
from backend.records.models import Record, Task

#: Kinds that involve the parents; held while an abuse-path concern is open (domain §6).
PARENT_FACING = frozenset(
    {
        "dialogue_meeting",
        "transition_conversation",
        "next_dialogue_meeting",
        "parent_answer_waiting",
        "forum_tell_parents",
    }
)

TITLES: dict[str, str] = {
    "adbb_follow_up": N_("Opfølgende ADBB-screening"),
    "dialogue_meeting": N_("Hold dialogmøde med forældrene"),
    "next_dialogue_meeting": N_("Næste dialogmøde"),
    "agreement": N_("Aftale fra dialogmøde"),
    "trial_action_follow_up": N_("Følg op på prøvehandling"),
    "transition_arrived": "Ny overgangsbeskrivelse modtaget",
    "transition_conversation": N_("Inviter til overgangssamtale"),
    "transition_evaluation": "Evaluér overgangen",
    "notification_receipt": N_("Kvittering for underretning mangler"),
    "abuse_path_review": "Bekymring om vold eller overgreb – vurdér",
    "parent_involvement_hint": N_("Overvej at inddrage forældrene"),
    "reflection_minutes": "Referat fra faglig sparring",
    "adbb_first": N_("1. ADBB-screening"),
    "adbb_second": N_("2. ADBB-screening"),
    "round_assessment": N_("Trivselsvurderinger"),
    "transition_description": N_("Skriv overgangsbeskrivelse"),
    "parent_answer_waiting": N_("Forældrene har ikke svaret på invitationen"),
    "forum_action": N_("Opgave fra forummøde"),
    "forum_tell_parents": N_("Fortæl forældrene, hvad der skal ske efter forummødet"),
    "action_plan_follow_up": N_("Følg op på planen i egen faggruppe"),
    "forum_case": N_("Sæt sagen på dagsordenen i det tværfaglige forum"),
    "forum_case_prepare": N_("Udfyld forberedelsen til det tværfaglige forum"),
    "forum_consent": N_("Indhent forældrenes samtykke til drøftelse i det tværfaglige forum"),
    "adbb_supervision_request": N_("Anmod ADBB-supervisionsteamet om sparring"),
    "notification_write": N_("Skriv underretningen færdig"),
}

#: Kinds a person closes by hand (no record completes them).
CLOSED_BY_HAND = frozenset(
    {
        "agreement",
        "transition_arrived",
        "transition_evaluation",
        "parent_involvement_hint",
        "reflection_minutes",
        "forum_action",
        "forum_tell_parents",
        "action_plan_follow_up",
        "forum_case",
        "forum_case_prepare",
        "forum_consent",
        "adbb_supervision_request",
    }
)


def abuse_path_open(db: Session, child_id: str | None) -> bool:
    """An abuse-path concern for the child is open: parent-facing work is held (domain §6)."""
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
    """Create the task for `key`, or update the open one; a closed task stays closed.

    A task is never given to someone without a role in its unit: it goes to the unit's leaders."""
    if assignee_id is not None and not works_in(db, assignee_id, unit_id):
        assignee_id = None
    task = db.exec(select(Task).where(Task.key == key)).first()
    if task is not None:
        if task.status in ("open", "held"):
            task.due_on, task.assignee_id = due_on, assignee_id
            task.params = {**task.params, **(params or {})}
            db.add(task)
        return task
    parent_facing = kind in PARENT_FACING
    held = parent_facing and abuse_path_open(db, child_id)
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


def works_in(db: Session, user_id: str, unit_id: str) -> bool:
    query = select(RoleAssignment.id).where(
        RoleAssignment.user_id == user_id, RoleAssignment.unit_id == unit_id
    )
    return db.exec(query).first() is not None


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
    #: A `Task`, or its read-only `plain(Task)` from `open_tasks_for` (the same attributes).
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
        "notification_write": f"/records/{task.record_id}/edit",
        "action_plan_follow_up": f"/records/{task.record_id}",
        "adbb_first": f"/forms/adbb?child={child}&occasion=first",
        "adbb_second": f"/forms/adbb?child={child}&occasion=second",
        "parent_answer_waiting": f"/records/{task.record_id}/parents",
        "transition_description": (
            f"/records/{task.record_id}/edit" if task.record_id else f"/forms/transition?child={child}"
        ),
    }
    if task.kind in ("forum_action", "forum_tell_parents") and task.params.get("case"):
        return f"/forums/cases/{task.params['case']}"
    if task.kind in forms and (child or task.record_id):
        return forms[task.kind]
    if task.kind == "forum_case_prepare" and is_id(str(task.params.get("case_id"))):
        return f"/forums/cases/{task.params['case_id']}"
    if task.kind == "forum_consent" and child and is_id(str(task.params.get("forum_id"))):
        return f"/forms/consent?child={child}&kind=meeting&scope={task.params['forum_id']}"
    return f"/tasks/{task.id}"


def task_in_scope(scope: Scope, on: date) -> ColumnElement[bool]:
    """The access policy for tasks (domain §7), as a condition on `Task`: `task_visible_to`."""
    return task_visible_to(scope.user_id, on)


def task_visible_to(user: object, on: object) -> ColumnElement[bool]:
    """Whether the user (an id, or a column naming one) may see a task.

    A task is the user's when it is assigned to them, or unassigned in a unit they lead — and
    only while they have a role in the task's unit: a removed role takes the unit's tasks with
    it. A task about a child counts only while the child is placed in the task's unit, or while
    the task's record is a transition description handed over to that unit (a child still to
    come). A task pointing at a record counts only while the user may read that record.
    """
    mine = and_(Task.assignee_id == user, holds_role(user, Task.unit_id))
    led = and_(Task.assignee_id.is_(None), holds_role(user, Task.unit_id, Role.leader))
    handed_over = exists().where(Record.id == Task.record_id, Record.shared_with_unit_id == Task.unit_id)
    placed = exists().where(
        Placement.child_id == Task.child_id, Placement.unit_id == Task.unit_id, placed_on(on)
    )
    hidden_record = exists().where(Record.id == Task.record_id, not_(record_readable_by(user)))
    return and_(
        or_(mine, led),
        or_(Task.child_id.is_(None), placed, handed_over),
        not_(hidden_record),
    )


_TASKS_LIMIT = 500
#: Built once with parameters (`user_id`, `on`, `child_id`): "I dag" and every child page run it.
_OPEN_TASKS = (
    select(Task, Child.name)
    .outerjoin(Child, Child.id == Task.child_id)
    .where(Task.status == "open", task_visible_to(bindparam("user_id"), bindparam("on")))
    .order_by(Task.due_on, Task.created_at)
)
_OPEN_TASKS_OF_CHILD = _OPEN_TASKS.where(Task.child_id == bindparam("child_id"))
_OPEN_TASKS_FIRST = _OPEN_TASKS.limit(_TASKS_LIMIT)
_OPEN_TASKS_OF_CHILD_FIRST = _OPEN_TASKS_OF_CHILD.limit(_TASKS_LIMIT)


def open_tasks_for(
    db: Session, scope: Scope, on: date, *, child_id: str | None = None, limit: int = _TASKS_LIMIT
) -> list[TaskView]:
    """The caller's open tasks (`task_in_scope`), soonest first.

    Each `TaskView.task` is a read-only `plain(Task)` (its columns as a named tuple), not an ORM
    object: the lists ("I dag", the tasks page, a child's page) only read them (`plain_rows`
    flushes what the session has not written yet, so a record page's next steps after a save
    see its tasks)."""
    params = {"user_id": scope.user_id, "on": on, "child_id": child_id}
    if limit != _TASKS_LIMIT:
        query = (_OPEN_TASKS if child_id is None else _OPEN_TASKS_OF_CHILD).limit(limit)
    else:
        query = _OPEN_TASKS_FIRST if child_id is None else _OPEN_TASKS_OF_CHILD_FIRST
    return [TaskView(task, name) for task, name in plain_rows(db, query, params, Task)]


def open_task_for(db: Session, scope: Scope, task_id: str, on: date) -> Task | None:
    """One open task when the caller may see it (`task_in_scope`), else None (→ 404)."""
    if not is_id(task_id):
        return None
    query = select(Task).where(Task.id == task_id, Task.status == "open", task_in_scope(scope, on))
    return db.exec(query).first()


def release_tasks_left_behind(db: Session, user_id: str, *, everywhere: bool = False) -> list[Task]:
    """Hand a person's open and held tasks in units where they no longer have a role (or, when
    `everywhere`, all of them: a deactivated account) to the unit's leaders — unassigned tasks
    are the leaders', who can hand them on. Call after the roles have changed (flushed)."""
    query = select(Task).where(Task.assignee_id == user_id, Task.status.in_(("open", "held")))
    if not everywhere:
        member = and_(RoleAssignment.user_id == user_id, RoleAssignment.unit_id == Task.unit_id)
        query = query.where(not_(exists().where(member)))
    released = list(db.exec(query))
    for task in released:
        task.assignee_id = None
        db.add(task)
    return released


def release_tasks_of_removed_roles(db: Session, user_id: str) -> list[str]:
    """For sign-in provisioning (registered at start): the ids of the tasks handed back."""
    return [task.id for task in release_tasks_left_behind(db, user_id)]


class TaskNotFound(Exception):
    """No such open task in the caller's scope (→ 404)."""


class TaskNotClosable(Exception):
    """The task closes when its work is registered, not by hand."""


def close_by_hand(db: Session, scope: Scope, audit: AuditTrail, task_id: str, note: str, on: date) -> Task:
    """Close a task by hand, through the task access policy. Closing an abuse-path review is the
    unit leader's, and releases the child's held parent-facing tasks when no other is open."""
    task = open_task_for(db, scope, task_id, on)
    if task is None or (task.kind == "abuse_path_review" and not scope.leads(task.unit_id)):
        raise TaskNotFound(task_id)
    if task.kind not in CLOSED_BY_HAND and task.kind != "abuse_path_review":
        raise TaskNotClosable(task_id)
    if task.kind == "abuse_path_review" and task.child_id and not _other_reviews_open(db, task):
        release_parent_facing(db, task.child_id)
    task.status, task.closed_at, task.closed_by_id = "done", utcnow(), scope.user_id
    if note.strip():
        task.params = {**task.params, "completion_note": note.strip()}
    db.add(task)
    audit.add("task.done", "task", task.id, task.child_id, kind=task.kind)
    return task


def _other_reviews_open(db: Session, task: Task) -> bool:
    query = select(Task.id).where(
        Task.child_id == task.child_id,
        Task.kind == "abuse_path_review",
        Task.status == "open",
        Task.id != task.id,
    )
    return db.exec(query).first() is not None


#: Kinds the daily due-work job assigns from the caseload; they are handed on with the caseload.
FOLLOW_CASELOAD = frozenset({"adbb_first", "adbb_second", "round_assessment", "transition_description"})


class HandOnError(Exception):
    def __init__(self, message: str, field: str = "assignee") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def hand_on_choices(db: Session, scope: Scope, task: Task) -> list[User]:
    """Whom the unit's leader can hand a task to: the active people with a role in its unit."""
    if not scope.leads(task.unit_id) or task.kind in FOLLOW_CASELOAD:
        return []
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.unit_id == task.unit_id, User.active.is_(True))
        .distinct()
        .order_by(User.display_name)
    )
    return list(db.exec(query))


def hand_on(db: Session, scope: Scope, audit: AuditTrail, task_id: str, assignee_id: str, on: date) -> Task:
    """The unit's leader gives one of the unit's tasks to someone working in the unit."""
    task = open_task_for(db, scope, task_id, on)
    if task is None or not scope.leads(task.unit_id):
        raise TaskNotFound(task_id)
    if task.kind in FOLLOW_CASELOAD:
        raise HandOnError(
            N_("Opgaven følger barnets ansvarlige fagperson. Ret ansvaret for barnet i stedet.")
        )
    if assignee_id not in {user.id for user in hand_on_choices(db, scope, task)}:
        raise HandOnError(N_("Vælg en medarbejder i enheden."))
    previous, task.assignee_id = task.assignee_id, assignee_id
    db.add(task)
    audit.add("task.handed_on", "task", task.id, task.child_id, to_user=assignee_id, from_user=previous)
    return task
