""" "I dag"'s open work from the forums (issue 17): for each forum the caller belongs to, its next
planned meeting within two weeks and the number of cases on its agenda — so the convener, the
members and the partners see the coming meeting where they start their day. Counts and the
forum's name only: no child is named on the card."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, bindparam, func
from sqlmodel import Session, select

from backend.auth.policy import Scope
from backend.people.forum_models import Forum, ForumCase, ForumMeeting, ForumMember
from backend.records.open_work import WorkCard

#: How far ahead a coming meeting is shown on "I dag".
HORIZON_DAYS = 14


def belongs(scope: Scope, forum: Forum, is_member: bool) -> bool:
    """A member of the forum, or (staff only) the leader of one of its units."""
    return is_member or (not scope.is_partner and bool(scope.led_unit_ids & set(forum.unit_ids)))


#: Built once with parameters ("I dag" runs them on every request).
_COMING_MEETINGS = (
    select(ForumMeeting, Forum, ForumMember.id)
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
_CASE_COUNTS = (
    select(ForumCase.meeting_id, func.count())
    .where(ForumCase.meeting_id.in_(bindparam("meeting_ids", expanding=True)))
    .group_by(ForumCase.meeting_id)
)


def forum_cards(db: Session, scope: Scope, on: date) -> list[WorkCard]:
    """One card per forum with a planned meeting in the next two weeks (the first of them), in
    date order; one query when there is none, two otherwise."""
    params = {
        "user_id": scope.user_id,
        "municipality_id": scope.municipality_id,
        "from_on": on,
        "to_on": on + timedelta(days=HORIZON_DAYS),
    }
    rows = db.exec(_COMING_MEETINGS, params=params).all()
    first: dict[str, tuple[ForumMeeting, Forum]] = {}
    for meeting, forum, member_id in rows:
        if forum.id not in first and belongs(scope, forum, member_id is not None):
            first[forum.id] = (meeting, forum)
    if not first:
        return []
    meeting_ids = [meeting.id for meeting, _forum in first.values()]
    counts = dict(db.exec(_CASE_COUNTS, params={"meeting_ids": meeting_ids}).all())
    return [
        WorkCard(
            "forum",
            forum.name,
            meeting.place,
            counts.get(meeting.id, 0),
            f"/forums/meetings/{meeting.id}",
            meeting.held_on,
        )
        for meeting, forum in first.values()
    ]
