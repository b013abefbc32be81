"""The professional's side of parent invitations (issue 15): what was sent to whom, what came
back and what is still waiting — on the child's page and in "I dag" — and the task for the
inviting professional when a parent has not answered within a week.

The task is made by the periodic due-work job (`backend/reminders/due_work.py`) with a stable
key per invitation, assigned to the professional who sent it (to the unit's leaders when they
have left the unit), and closed when the parent answers (`done`) or the link is revoked, expires
or locks (`cancelled`). Listing invitations is audited like any read about a child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, bindparam, or_
from sqlmodel import Session, col, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope
from backend.db import plain_rows
from backend.domain import parent_follow_up as follow
from backend.domain import parents as rules
from backend.domain.dates import COPENHAGEN
from backend.parents.models import ParentInvitation
from backend.parents.service import state_of
from backend.parents.staff import PART_LABELS, STATE_LABELS
from backend.people.models import Child, Guardian
from backend.records.access import record_readable_by
from backend.records.models import Record, Task
from backend.records.tasks import close_tasks, ensure_task

FOLLOW_UP_KIND = follow.FOLLOW_UP_KIND
follow_up_key = follow.follow_up_key
#: How long an answered or closed invitation stays in "I dag".
RECENT_DAYS = 7
#: At most this many invitations in a list.
MAX_LISTED = 50


def _sent_on(invitation: ParentInvitation) -> date:
    return invitation.created_at.astimezone(COPENHAGEN).date()


def _moment(on: date) -> datetime:
    """The clock for the day `on` (midday in Copenhagen): whether a link has expired by then."""
    return datetime.combine(on, time(12), tzinfo=COPENHAGEN)


@dataclass
class FollowUpResult:
    created: int = 0
    done: int = 0
    cancelled: int = 0


def sync_follow_ups(db: Session, on: date) -> FollowUpResult:
    """Make the follow-up tasks of invitations unanswered for a week; close the ones whose
    invitation no longer waits. Idempotent."""
    result = FollowUpResult()
    now = _moment(on)
    cutoff = now - timedelta(days=follow.ANSWER_WAIT_DAYS - 1)
    waiting = db.exec(
        select(ParentInvitation).where(
            col(ParentInvitation.used_at).is_(None),
            col(ParentInvitation.revoked_at).is_(None),
            ParentInvitation.created_at < cutoff,
            ParentInvitation.expires_at > now,
        )
    ).all()
    existing = set(db.exec(select(Task.key).where(Task.kind == FOLLOW_UP_KIND)).all())
    for invitation in waiting:
        state = state_of(invitation, now)
        key = follow_up_key(invitation.id)
        if key in existing or not follow.follow_up_needed(state, _sent_on(invitation), on):
            continue
        guardian = db.get(Guardian, invitation.guardian_id)
        ensure_task(
            db,
            key=key,
            kind=FOLLOW_UP_KIND,
            unit_id=invitation.unit_id,
            due_on=follow.answer_due_on(_sent_on(invitation)),
            child_id=invitation.child_id,
            assignee_id=invitation.created_by_id,
            record_id=invitation.record_id,
            params={"what": guardian.name if guardian else "", "invitation_id": invitation.id},
        )
        result.created += 1
    open_tasks = db.exec(
        select(Task).where(Task.kind == FOLLOW_UP_KIND, col(Task.status).in_(("open", "held")))
    ).all()
    for task in open_tasks:
        invitation = db.get(ParentInvitation, task.params.get("invitation_id", ""))
        closing = follow.follow_up_closing(state_of(invitation, now)) if invitation else "cancelled"
        if closing is not None:
            close_tasks(db, closed_by=None, status=closing, key=task.key)
            setattr(result, closing, getattr(result, closing) + 1)
    return result


# --- what the professional sees -----------------------------------------------------------------


@dataclass(frozen=True)
class SentToParents:
    """One invitation as the professional reads it: to whom, what, when, and how it stands."""

    invitation: ParentInvitation  # a read-only row (`db.plain(ParentInvitation)`)
    guardian_name: str
    child_name: str
    status: str  # follow.WAITING, follow.ANSWERED, or the closed link's state
    overdue: bool

    @property
    def record_url(self) -> str:
        return f"/records/{self.invitation.record_id}"

    @property
    def part_label(self) -> str:
        """The task the parent was invited to (a message id for `_()`)."""
        return PART_LABELS.get(self.invitation.part, PART_LABELS["consent"])

    @property
    def status_label(self) -> str:
        """How it stands (a message id for `_()`)."""
        state = {follow.WAITING: rules.STATE_OPEN, follow.ANSWERED: rules.STATE_USED}.get(
            self.status, self.status
        )
        return STATE_LABELS.get(state, STATE_LABELS[rules.STATE_EXPIRED])


def _listing(*where) -> Select:
    """The invitations matching `where` (newest first, at most `MAX_LISTED`), with the guardian's
    and the child's names, in one statement."""
    return (
        select(ParentInvitation, Guardian.name, Child.name)
        .join(Guardian, Guardian.id == ParentInvitation.guardian_id)
        .join(Child, Child.id == ParentInvitation.child_id)
        .join(Record, Record.id == ParentInvitation.record_id)
        .where(*where)
        .order_by(col(ParentInvitation.created_at).desc())
        .limit(MAX_LISTED)
    )


#: Built once, with parameters ("I dag" and the child's page run them on every request; building
#: the access rule's correlated subqueries and keying them cost more CPU than the database's answer).
_SENT_BY = _listing(
    ParentInvitation.created_by_id == bindparam("user_id"),
    or_(
        and_(
            col(ParentInvitation.used_at).is_(None),
            col(ParentInvitation.revoked_at).is_(None),
            ParentInvitation.expires_at >= bindparam("since"),
        ),
        ParentInvitation.used_at >= bindparam("since"),
        ParentInvitation.revoked_at >= bindparam("since"),
    ),
    record_readable_by(bindparam("user_id")),
)
_SENT_FOR_CHILD = _listing(
    ParentInvitation.child_id == bindparam("child_id"),
    col(ParentInvitation.record_id).in_(bindparam("record_ids", expanding=True)),
)


def _listed(db: Session, audit: AuditTrail, statement: Select, params: dict, on: date) -> list[SentToParents]:
    """The rows of a `_listing` statement; each listed invitation is audited as read."""
    now = _moment(on)
    rows = []
    # Read-only rows (`db.plain_rows`): the lists show invitations, they change none.
    for invitation, guardian_name, child_name in plain_rows(db, statement, params, ParentInvitation):
        state = state_of(invitation, now)
        audit.add("parent_invitation.read", "parent_invitation", invitation.id, invitation.child_id)
        rows.append(
            SentToParents(
                invitation=invitation,
                guardian_name=guardian_name,
                child_name=child_name,
                status=follow.shown_status(state),
                overdue=follow.follow_up_needed(state, _sent_on(invitation), on),
            )
        )
    return rows


def sent_for_child(
    db: Session, audit: AuditTrail, child_id: str, readable_record_ids: set[str], on: date
) -> list[SentToParents]:
    """The invitations on the child's records the caller may read (the child's page), newest first."""
    if not readable_record_ids:
        return []
    params = {"child_id": child_id, "record_ids": sorted(readable_record_ids)}
    return _listed(db, audit, _SENT_FOR_CHILD, params, on)


def sent_by_me(db: Session, scope: Scope, audit: AuditTrail, on: date) -> list[SentToParents]:
    """ "I dag": what the caller sent that is still waiting, and what came back or closed in the
    last week — only on records the caller may still read (the access policy's own rule for
    records, `record_readable_by`, in the same statement)."""
    since = _moment(on) - timedelta(days=RECENT_DAYS)
    return _listed(db, audit, _SENT_BY, {"user_id": scope.user_id, "since": since}, on)
