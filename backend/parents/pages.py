""" "I dag" and a child's page with what was sent to the parents (issue 15): the records' views
(`backend/records/pages.py`) plus the invitations (`backend/parents/follow_up.py`), so a web page
still calls one service function — and the records package never imports the parents one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth.policy import Scope
from backend.domain import parent_follow_up as follow
from backend.domain.parents import PARTS
from backend.parents.follow_up import SentToParents, sent_by_me, sent_for_child
from backend.records.open_work import WorkCard
from backend.records.pages import ChildView, TodayView, child_view, today_view

INVITABLE_TYPES = frozenset().union(*PARTS.values())


@dataclass
class TodayWithParents:
    view: TodayView
    #: What the caller sent to parents: still waiting, or answered/closed in the last week.
    sent_to_parents: list[SentToParents]


@dataclass
class ChildWithParents:
    view: ChildView
    #: What was sent to the child's parents, on the records the caller may read.
    sent_to_parents: list[SentToParents]


def today_with_parents(db: Session, scope: Scope, audit: AuditTrail, on: date) -> TodayWithParents:
    view = today_view(db, scope, audit, on)
    sent = sent_by_me(db, scope, audit, on)
    view.open_work.extend(parent_cards(sent))
    return TodayWithParents(view, sent)


def parent_cards(sent: list[SentToParents]) -> list[WorkCard]:
    """ "I dag"'s open work from what was sent to parents: answers to read, forms still waiting
    (the list itself follows under "Sendt til forældre")."""
    answered = sum(1 for row in sent if row.status == follow.ANSWERED)
    waiting = sum(1 for row in sent if row.status == follow.WAITING)
    cards = []
    if answered:
        cards.append(WorkCard("parents_answered", "", "", answered, "#parents-heading"))
    if waiting:
        cards.append(WorkCard("parents_waiting", "", "", waiting, "#parents-heading"))
    return cards


def child_with_parents(
    db: Session, scope: Scope, audit: AuditTrail, child_id: str, on: date
) -> ChildWithParents | None:
    view = child_view(db, scope, audit, child_id, on)
    if view is None:
        return None
    # Only records of a kind parents can be invited to can have invitations (no query otherwise).
    readable = {record.id for record in view.records if record.type in INVITABLE_TYPES}
    return ChildWithParents(view, sent_for_child(db, audit, view.child.id, readable, on))
