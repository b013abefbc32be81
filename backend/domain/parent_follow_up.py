"""The professional's side of parent invitations (issue 15): when an unanswered invitation
becomes a task for the professional who sent it, and how it reads in a list."""

from __future__ import annotations

from datetime import date, timedelta

from backend.domain import parents as rules

#: A parent who has not answered within this many days: a task for the inviting professional.
ANSWER_WAIT_DAYS = 7
#: The follow-up task's kind, and its key per invitation (one task per invitation, ever).
FOLLOW_UP_KIND = "parent_answer_waiting"


def follow_up_key(invitation_id: str) -> str:
    return f"{FOLLOW_UP_KIND}:{invitation_id}"


WAITING = "waiting"
ANSWERED = "answered"


def answer_due_on(sent_on: date) -> date:
    """The day the inviting professional is asked to follow up, if the parent has not answered."""
    return sent_on + timedelta(days=ANSWER_WAIT_DAYS)


def follow_up_needed(state: str, sent_on: date, on: date) -> bool:
    """An open invitation sent a week ago or more needs the professional to follow up."""
    return state == rules.STATE_OPEN and on >= answer_due_on(sent_on)


def follow_up_closing(state: str) -> str | None:
    """How the follow-up task of an invitation that no longer waits closes: `done` when the
    parent answered, `cancelled` when the link was revoked, expired or locked; None: still open."""
    if state == rules.STATE_OPEN:
        return None
    return "done" if state == rules.STATE_USED else "cancelled"


def shown_status(state: str) -> str:
    """Sent and waiting, came back (answered), or closed without an answer (the state itself)."""
    return {rules.STATE_OPEN: WAITING, rules.STATE_USED: ANSWERED}.get(state, state)
