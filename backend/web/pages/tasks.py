""" "Opgaver": the caller's open tasks, grouped by when they are due; closing a task by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.auth.policy import is_id
from backend.db import utcnow
from backend.domain.dates import today
from backend.records.models import Task
from backend.records.tasks import (
    CLOSED_BY_HAND,
    TaskView,
    open_tasks_for,
    release_parent_facing,
    task_title,
)
from backend.reminders.due_work import children_to_assess
from backend.web.context import SignedIn
from backend.web.templating import render

router = APIRouter(include_in_schema=False)

GROUPS = (("overdue", "Forfaldne"), ("today", "I dag"), ("week", "Denne uge"), ("later", "Senere"))


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
    """A task the caller may see: their own, or their led unit's, about a child in scope."""
    if not is_id(task_id):
        raise HTTPException(404)
    views = open_tasks_for(ctx.db, ctx.scope, today())
    view = next((v for v in views if v.task.id == task_id), None)
    if view is None:
        raise HTTPException(404)
    return view.task


@router.get("/tasks/{task_id}")
def task_page(ctx: SignedIn, task_id: str) -> Response:
    task = _task_for(ctx, task_id)
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
        },
    )


@router.post("/tasks/{task_id}/done")
def complete_task(ctx: SignedIn, task_id: str, note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    task = _task_for(ctx, task_id)
    if task.kind not in CLOSED_BY_HAND and task.kind != "abuse_path_review":
        raise HTTPException(400, "Opgaven lukkes, når arbejdet er registreret.")
    if task.kind == "abuse_path_review":
        if not ctx.scope.leads(task.unit_id):
            raise HTTPException(404)
        _release_abuse_path(ctx, task)
    task.status, task.closed_at, task.closed_by_id = "done", utcnow(), ctx.user.id
    if note.strip():
        task.params = {**task.params, "completion_note": note.strip()}
    ctx.db.add(task)
    ctx.audit.add("task.done", "task", task.id, task.child_id, kind=task.kind)
    return RedirectResponse("/tasks", status_code=303)


def _release_abuse_path(ctx: SignedIn, task: Task) -> None:
    """The leader releases the parent-facing tasks once no abuse-path review is open."""
    from sqlmodel import select

    others = ctx.db.exec(
        select(Task).where(
            Task.child_id == task.child_id,
            Task.kind == "abuse_path_review",
            Task.status == "open",
            Task.id != task.id,
        )
    ).first()
    if others is None and task.child_id:
        release_parent_facing(ctx.db, task.child_id)
