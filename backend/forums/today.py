""" "I dag"'s open work from the forums (issue 17): for each forum the caller belongs to, its next
planned meeting within two weeks and the number of cases on its agenda — so the convener, the
members and the partners see the coming meeting where they start their day. Counts and the
forum's name only: no child is named on the card."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, bindparam, func
from sqlmodel import Session, select

from backend.auth.policy import Scope
from backend.db import plain_rows
from backend.people.forum_models import Forum, ForumCase, ForumMeeting, ForumMember
from backend.records.open_work import WorkCard

#: How far ahead a coming meeting is shown on "I dag".
HORIZON_DAYS = 14


def belongs(scope: Scope, forum: Forum, is_member: bool) -> bool:
    """A member of the forum, or (staff only) the leader of one of its units."""
    return is_member or (not scope.is_partner and bool(scope.led_unit_ids & set(forum.unit_ids)))


#: The number of cases on a meeting's agenda, counted in the meetings' statement.
_CASE_COUNT = (
    select(func.count())
    .select_from(ForumCase)
    .where(ForumCase.meeting_id == ForumMeeting.id)
    .correlate(ForumMeeting)
    .scalar_subquery()
)
#: Built once with parameters ("I dag" runs it on every request): the coming meetings with their
#: forum, whether the caller is a member, and the number of cases on each agenda.
_COMING_MEETINGS = (
    select(ForumMeeting, Forum, ForumMember.id, _CASE_COUNT)
    .join(Forum, Forum.id == ForumMeeting.forum_id)
    .outerjoin(
        ForumMember, and_(ForumMember.forum_id == Forum.id, ForumMember.user_id == bindparam("user_id"))
    )
    .where(
        Forum.municipality_id == bindparam("municipality_id"),
        ForumMeeting.status == "planned",
        ForumMeeting.held_on >= bindparam("from_on"),
        ForumMeeting.held_on <= bindparam("to_on"),
    )
    .order_by(ForumMeeting.held_on, ForumMeeting.id)
)


def forum_cards(db: Session, scope: Scope, on: date) -> list[WorkCard]:
    """One card per forum with a planned meeting in the next two weeks (the first of them), in
    date order; one statement, its rows read-only `plain()` tuples (no ORM object each)."""
    params = {
        "user_id": scope.user_id,
        "municipality_id": scope.municipality_id,
        "from_on": on,
        "to_on": on + timedelta(days=HORIZON_DAYS),
    }
    first: dict[str, tuple[ForumMeeting, Forum, int]] = {}
    for meeting, forum, member_id, count in plain_rows(db, _COMING_MEETINGS, params, ForumMeeting, Forum):
        if forum.id not in first and belongs(scope, forum, member_id is not None):
            first[forum.id] = (meeting, forum, count)
    return [
        WorkCard(
            "forum",
            forum.name,
            meeting.place,
            count or 0,
            f"/forums/meetings/{meeting.id}",
            meeting.held_on,
        )
        for meeting, forum, count in first.values()
    ]
