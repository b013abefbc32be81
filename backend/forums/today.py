""" "I dag"'s open work from the forums (issue 17): for each forum the caller belongs to, its next
planned meeting within two weeks and the number of cases on its agenda — so the convener, the
members and the partners see the coming meeting where they start their day. Counts and the
forum's name only: no child is named on the card."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, select

from backend.auth.policy import Scope
from backend.people.forum_models import Forum, ForumCase, ForumMeeting, ForumMember
from backend.records.open_work import WorkCard

#: How far ahead a coming meeting is shown on "I dag".
HORIZON_DAYS = 14


def belongs(scope: Scope, forum: Forum, is_member: bool) -> bool:
    """A member of the forum, or (staff only) the leader of one of its units."""
    return is_member or (not scope.is_partner and bool(scope.led_unit_ids & set(forum.unit_ids)))


def forum_cards(db: Session, scope: Scope, on: date) -> list[WorkCard]:
    """One card per forum with a planned meeting in the next two weeks (the first of them), in
    date order; one query when there is none, two otherwise."""
    rows = db.exec(
        select(ForumMeeting, Forum, ForumMember.id)
        .join(Forum, Forum.id == ForumMeeting.forum_id)
        .outerjoin(ForumMember, and_(ForumMember.forum_id == Forum.id, ForumMember.user_id == scope.user_id))
        .where(
            Forum.municipality_id == scope.municipality_id,
            ForumMeeting.status == "planned",
            ForumMeeting.held_on >= on,
            ForumMeeting.held_on <= on + timedelta(days=HORIZON_DAYS),
        )
        .order_by(ForumMeeting.held_on, ForumMeeting.id)
    ).all()
    first: dict[str, tuple[ForumMeeting, Forum]] = {}
    for meeting, forum, member_id in rows:
        if forum.id not in first and belongs(scope, forum, member_id is not None):
            first[forum.id] = (meeting, forum)
    if not first:
        return []
    meeting_ids = [meeting.id for meeting, _forum in first.values()]
    counts = dict(
        db.exec(
            select(ForumCase.meeting_id, func.count())
            .where(ForumCase.meeting_id.in_(meeting_ids))
            .group_by(ForumCase.meeting_id)
        ).all()
    )
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
