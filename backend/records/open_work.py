""" "I dag"'s open work: one card per piece of work waiting for the caller, built in one place.

Each card names its `kind` (the template words it), a count and the page to go to. A builder
gets what "I dag" has read already (`Known`: the caller's open tasks and children) so a card
costs no query when there is nothing to show. New kinds of open work (forms waiting for
parents, cases for the next forum meeting …) add a builder to `BUILDERS`; "I dag" shows
whatever the builders return, in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope
from backend.db import plain_rows
from backend.people.models import Child, Placement, Unit
from backend.records.models import Record
from backend.records.tasks import TaskView


@dataclass(frozen=True)
class WorkCard:
    kind: str  # "round" …: the template's wording
    title: str  # a name the user gave (a round's name), shown escaped
    place: str  # the unit's name
    count: int
    url: str
    on: date | None = None  # a meeting's date


@dataclass(frozen=True)
class Known:
    """What "I dag" has read already: the caller's open tasks (all, soonest first), the children
    in their caseload with their placement today, and the units by id."""

    tasks: list[TaskView]
    mine: list[tuple[Child, Placement]]
    units: dict[str, Unit]


def round_tasks(known: Known, user_id: str, on: date) -> list[TaskView]:
    """The caller's assessment tasks of rounds that are open today (one per round and person,
    made by the due-work job: reminders/due_work.py)."""
    return [
        view
        for view in known.tasks
        if view.task.kind == "round_assessment"
        and view.task.assignee_id == user_id
        and view.task.due_on >= on
        and view.task.params.get("round_id")
    ]


#: The caller's final marks in rounds (built once, with parameters; "I dag" runs it).
_MARKED = select(Record.round_id, Record.child_id, Record.data).where(
    Record.round_id.in_(bindparam("round_ids", expanding=True)),
    Record.author_id == bindparam("user_id"),
    Record.type == "wellbeing",
    Record.status == "final",
)


def _open_rounds(db: Session, scope: Scope, audit: AuditTrail, on: date, known: Known) -> list[WorkCard]:
    """Per open well-being round the caller marks in: the number of children in their caseload
    there that they have not marked yet (counted now, not when the task was made)."""
    views = round_tasks(known, scope.user_id, on)
    if not views:
        return []
    params = {"round_ids": sorted({view.task.params["round_id"] for view in views}), "user_id": scope.user_id}
    marked = {
        (round_id, child_id)
        for round_id, child_id, data in plain_rows(db, _MARKED, params)
        if (data or {}).get("kind") != "joint"
    }
    cards = []
    for view in views:
        task, round_id = view.task, view.task.params["round_id"]
        waiting = [
            child
            for child, placement in known.mine
            if placement.unit_id == task.unit_id and (round_id, child.id) not in marked
        ]
        if not waiting:
            continue
        audit.add("round.open_work", "evaluation_round", round_id, unmarked=len(waiting))
        unit = known.units.get(task.unit_id)
        cards.append(
            WorkCard(
                "round",
                str(task.params.get("what", "")),
                unit.name if unit else "",
                len(waiting),
                f"/units/{task.unit_id}/rounds",
            )
        )
    return cards


Builder = Callable[[Session, Scope, AuditTrail, date, Known], list[WorkCard]]

#: The builders of open work, in the order "I dag" shows their cards.
BUILDERS: tuple[Builder, ...] = (_open_rounds,)


def open_work(db: Session, scope: Scope, audit: AuditTrail, on: date, known: Known) -> list[WorkCard]:
    """Every card of open work for the caller, audited by its builder."""
    return [card for build in BUILDERS for card in build(db, scope, audit, on, known)]
