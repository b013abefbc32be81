"""The reminder settings ("Påmindelser") and the leader's view of overdue tasks in the unit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import and_, or_
from sqlmodel import Session, select

from backend.auth.policy import placed_on
from backend.domain.dates import today
from backend.people.models import Child, Placement, Unit, User
from backend.records.models import Task
from backend.records.tasks import TaskView
from backend.reminders.models import PushSubscription
from backend.reminders.preferences import GROUP_LABELS, GROUPS, ReminderPreferences, preferences_of
from backend.web.context import Forbidden, SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/me/reminders")
def reminders_page(ctx: SignedIn, saved: bool = False) -> Response:
    endpoints = ctx.db.exec(
        select(PushSubscription.endpoint_hash).where(PushSubscription.user_id == ctx.user.id)
    ).all()
    return render(
        ctx.request,
        "reminders.html",
        {
            "preferences": preferences_of(ctx.user.preferences),
            "groups": list(GROUP_LABELS.items()),
            "digest_time": ctx.municipal.digest_time,
            "device_count": len(endpoints),
            "endpoint_hashes": " ".join(endpoints),
            "saved": saved,
        },
    )


@router.post("/me/reminders")
def save_reminders(
    ctx: SignedIn,
    groups: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006 - FastAPI reads it, never mutates
    digest: Annotated[str, Form(max_length=5)] = "",
    urgent: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    chosen = ReminderPreferences(
        groups=frozenset(g for g in groups if g in GROUPS), digest=bool(digest), urgent=bool(urgent)
    )
    ctx.user.preferences = {**ctx.user.preferences, "reminders": chosen.as_json()}
    ctx.db.add(ctx.user)
    return RedirectResponse("/me/reminders?saved=1", status_code=303)


# --- The leader's view --------------------------------------------------------------------------


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


@router.get("/leader/overdue")
def overdue_page(ctx: SignedIn, unit: Annotated[str, Query(max_length=36)] = "") -> Response:
    """The overdue tasks of the units the caller leads (only leaders; only their units)."""
    from backend.i18n import gettext

    led = set(ctx.scope.led_unit_ids)
    if not led:
        raise Forbidden
    if unit:
        if unit not in led:
            raise HTTPException(404)
        led = {unit}
    on = today()
    units = overdue_in_units(ctx.db, led, on, gettext("Enhedens ledere"))
    for overview in units:
        for person in overview.people:
            for view in person.tasks:
                ctx.audit.add("task.overdue_list", "task", view.task.id, view.task.child_id)
    return render(ctx.request, "leader_overdue.html", {"units": units, "on": on})
