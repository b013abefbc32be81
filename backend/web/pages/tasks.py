""" "Opgaver": the caller's open tasks, grouped by when they are due; closing a task by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.domain.dates import today
from backend.domain.messages import N_
from backend.i18n import gettext
from backend.records.models import Task
from backend.records.tasks import (
    CLOSED_BY_HAND,
    HandOnError,
    TaskNotClosable,
    TaskNotFound,
    TaskView,
    close_by_hand,
    hand_on,
    hand_on_choices,
    open_task_for,
    open_tasks_for,
    task_title,
)
from backend.reminders.due_work import children_to_assess
from backend.web.context import SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

GROUPS = (
    ("overdue", N_("Forfaldne")),
    ("today", N_("I dag")),
    ("week", N_("Denne uge")),
    ("later", N_("Senere")),
)


def group_of(due_on: date, on: date) -> str:
    if due_on < on:
        return "overdue"
    if due_on == on:
        return "today"
    if due_on <= on + timedelta(days=6 - on.weekday()):
        return "week"
    return "later"


def grouped(views: list[TaskView], on: date) -> list[tuple[str, str, list[TaskView]]]:
    buckets: dict[str, list[TaskView]] = {key: [] for key, _label in GROUPS}
    for view in views:
        buckets[group_of(view.task.due_on, on)].append(view)
    return [(key, label, buckets[key]) for key, label in GROUPS if buckets[key]]


def audit_tasks(ctx: SignedIn, views: list[TaskView]) -> None:
    for view in views:
        if view.task.child_id:
            ctx.audit.add("task.list", "task", view.task.id, view.task.child_id)


@router.get("/tasks")
def tasks_page(ctx: SignedIn) -> Response:
    on = today()
    views = open_tasks_for(ctx.db, ctx.scope, on)
    audit_tasks(ctx, views)
    return render(ctx.request, "tasks.html", {"groups": grouped(views, on)})


def _task_for(ctx: SignedIn, task_id: str) -> Task:
    """A task the caller may see (the task access policy), else 404."""
    task = open_task_for(ctx.db, ctx.scope, task_id, today())
    if task is None:
        raise HTTPException(404)
    return task


@router.get("/tasks/{task_id}")
def task_page(ctx: SignedIn, task_id: str) -> Response:
    return _task_page(ctx, _task_for(ctx, task_id))


def _task_page(
    ctx: SignedIn, task: Task, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    ctx.audit.add("task.read", "task", task.id, task.child_id)
    round_children = children_to_assess(ctx.db, task, today())
    for child, _assessed in round_children:
        ctx.audit.add("child.list", "child", child.id, child.id)
    return render(
        ctx.request,
        "task.html",
        {
            "task": task,
            "title": task_title(task),
            "closable": task.kind in CLOSED_BY_HAND,
            "releasable": task.kind == "abuse_path_review" and ctx.scope.leads(task.unit_id),
            "round_children": round_children,
            "hand_on_to": hand_on_choices(ctx.db, ctx.scope, task),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post("/tasks/{task_id}/assign")
def hand_on_task(ctx: SignedIn, task_id: str, assignee: Annotated[str, Form(max_length=36)] = "") -> Response:
    try:
        hand_on(ctx.db, ctx.scope, ctx.audit, task_id, assignee, today())
    except TaskNotFound:
        raise HTTPException(404) from None
    except HandOnError as error:
        return _task_page(
            ctx, _task_for(ctx, task_id), {error.field: gettext(error.message)}, status_code=422
        )
    return RedirectResponse("/tasks", status_code=303)


@router.post("/tasks/{task_id}/done")
def complete_task(ctx: SignedIn, task_id: str, note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        close_by_hand(ctx.db, ctx.scope, ctx.audit, task_id, note, today())
    except TaskNotFound:
        raise HTTPException(404) from None
    except TaskNotClosable:
        raise HTTPException(400, N_("Opgaven lukkes, når arbejdet er registreret.")) from None
    return RedirectResponse("/tasks", status_code=303)
