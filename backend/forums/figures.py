"""Leader figures for forums (domain §11): cases discussed per forum, the action paths chosen and
the minutes' follow-ups done on time — per forum for a unit's leader, per unit (counts only, for
the municipality report's disclosure control)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, select

from backend.domain import forums as rules
from backend.domain.dates import COPENHAGEN
from backend.people.forum_models import Forum, ForumCase, ForumMeeting
from backend.records.models import Task


def _closed_on(task: Task) -> date | None:
    return task.closed_at.astimezone(COPENHAGEN).date() if task.closed_at else None


def _rows(db: Session, unit_ids: list[str]) -> list[tuple[ForumCase, ForumMeeting, Forum]]:
    if not unit_ids:
        return []
    return list(
        db.exec(
            select(ForumCase, ForumMeeting, Forum)
            .join(ForumMeeting, ForumMeeting.id == ForumCase.meeting_id)
            .join(Forum, Forum.id == ForumMeeting.forum_id)
            .where(ForumCase.unit_id.in_(unit_ids))
        ).all()
    )


def _tasks(db: Session, unit_ids: list[str], case_ids: list[str]) -> dict[str, list[Task]]:
    """The minutes' tasks of the cases (made in the case's unit, see `forums.minutes`)."""
    found: dict[str, list[Task]] = defaultdict(list)
    if not case_ids:
        return found
    tasks = db.exec(select(Task).where(Task.kind == "forum_action", Task.unit_id.in_(unit_ids)))
    wanted = set(case_ids)
    for task in tasks:
        case_id = task.params.get("case")
        if case_id in wanted:
            found[case_id].append(task)
    return found


def _collect(db: Session, unit_ids: list[str], on: date, key) -> dict[str, rules.ForumFigures]:
    rows = _rows(db, unit_ids)
    tasks = _tasks(db, unit_ids, [case.id for case, _m, _f in rows])
    figures: dict[str, rules.ForumFigures] = {}
    for case, meeting, forum in rows:
        entry = figures.setdefault(key(case, forum), rules.ForumFigures(forum.name))
        rules.count_case(entry, meeting.held_on, meeting.status, case.minutes, on)
        for task in tasks.get(case.id, []):
            rules.count_follow_up(entry, task.due_on, task.status, _closed_on(task), on)
    return figures


def figures_per_forum(db: Session, unit_id: str, on: date) -> list[rules.ForumFigures]:
    """The cases a unit brought to each forum (for its leader's overview), by forum name."""
    found = _collect(db, [unit_id], on, lambda _case, forum: forum.id)
    return sorted(found.values(), key=lambda f: f.name)


def counts_per_unit(db: Session, unit_ids: list[str], on: date) -> dict[str, dict[str, int]]:
    """Each unit's forum counts (the report's `forum.*` metrics), zero for a unit without cases."""
    found = _collect(db, unit_ids, on, lambda case, _forum: case.unit_id)
    return {unit_id: found.get(unit_id, rules.ForumFigures()).counts() for unit_id in unit_ids}
