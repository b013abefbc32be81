"""A saved record's "what now" (issue 17, problem 15): the tasks the record created and, for a
mark in a well-being round, the next child of the caller's still to mark and the way back to the
round. Read with the caller's scope and audited; the page adds the way back to the child."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth.policy import Scope
from backend.domain import wellbeing
from backend.records.models import Record
from backend.records.rounds import build_overview, period_of, unmarked_by, visible_round
from backend.records.tasks import open_tasks_for


@dataclass(frozen=True)
class NextStep:
    kind: str  # "task", "next_child" or "round": the template's wording
    label: str  # a task's title, a child's or a round's name (shown escaped)
    url: str
    due_on: date | None = None


def next_steps(db: Session, scope: Scope, audit: AuditTrail, record: Record, on: date) -> list[NextStep]:
    steps: list[NextStep] = []
    if record.child_id:
        for view in open_tasks_for(db, scope, on, child_id=record.child_id):
            if view.task.record_id == record.id:
                audit.add("task.list", "task", view.task.id, view.task.child_id)
                steps.append(NextStep("task", view.title, view.url, view.task.due_on))
    if record.type == "wellbeing" and record.round_id and record.data.get("kind") != "joint":
        steps += _round_steps(db, scope, audit, record, on)
    return steps


def _round_steps(db: Session, scope: Scope, audit: AuditTrail, record: Record, on: date) -> list[NextStep]:
    evaluation_round = visible_round(db, scope, record.round_id or "")
    if evaluation_round is None or wellbeing.round_state(period_of(evaluation_round), on) != "open":
        return []
    steps = []
    if record.status == "final":
        overview = build_overview(db, scope, evaluation_round, on)
        waiting = unmarked_by(db, overview, scope.user_id, evaluation_round.unit_id)
        following = next((child for child in waiting if child.id != record.child_id), None)
        if following is not None:
            audit.add("child.list", "child", following.id, following.id, round_id=evaluation_round.id)
            url = f"/forms/wellbeing?child={following.id}&round={evaluation_round.id}"
            steps.append(NextStep("next_child", following.name, url))
    url = f"/rounds/{evaluation_round.id}#child-{record.child_id}"
    steps.append(NextStep("round", evaluation_round.name, url))
    return steps
