"""A consent to a cross-disciplinary forum through the parents' own link (issue 16): what the
parent's consent page shows when the professional prepared a draft consent of kind `meeting`
whose scope is a forum (or one of its meetings) — which forum, what a discussion there is for,
who takes part as they stand now (partners included), and the next meeting's date. The decision
then covers exactly those participants (`participants_version`); the record keeps their user
ids, and `forums.consent_covers` lets only them read a named case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from backend.domain import forums as forum_rules
from backend.domain.dates import today
from backend.people.forum_models import Forum, ForumMeeting, ForumMember
from backend.people.models import Child, User
from backend.records.models import Record


@dataclass
class ForumView:
    """The forum a consent covers, as the parents read it."""

    id: str
    name: str
    kind: str
    #: The meeting the consent is scoped to (None: the forum as such).
    meeting_id: str | None
    next_meeting_on: date | None
    participants: list[dict[str, str]] = field(default_factory=list)

    @property
    def version(self) -> int:
        return forum_rules.participants_version(self.participants)


def _participants(db: Session, forum_id: str) -> list[dict[str, str]]:
    rows = db.exec(
        select(ForumMember, User)
        .join(User, User.id == ForumMember.user_id)
        .where(ForumMember.forum_id == forum_id)
        .order_by(User.display_name, User.id)
    )
    return [
        {"user_id": user.id, "name": user.display_name, "title": member.title or "", "role": member.role}
        for member, user in rows
    ]


def forum_view(db: Session, prepared: Record, unit_id: str) -> ForumView | None:
    """The forum (or forum meeting) a prepared consent record is scoped to, when it is a forum of
    the inviting unit in the child's municipality; else None."""
    scope_id = str(prepared.data.get("scope") or "")
    if not scope_id:
        return None
    meeting = db.get(ForumMeeting, scope_id)
    forum = db.get(Forum, meeting.forum_id if meeting is not None else scope_id)
    child = db.get(Child, prepared.child_id) if prepared.child_id else None
    if forum is None or child is None or forum.municipality_id != child.municipality_id:
        return None
    if unit_id not in (forum.unit_ids or []) or forum.kind not in forum_rules.KINDS:
        return None
    if meeting is not None:
        next_on = meeting.held_on if meeting.status == "planned" else None
    else:
        next_on = db.exec(
            select(ForumMeeting.held_on)
            .where(
                ForumMeeting.forum_id == forum.id,
                ForumMeeting.status == "planned",
                ForumMeeting.held_on >= today(),
            )
            .order_by(ForumMeeting.held_on)
        ).first()
    return ForumView(
        forum.id,
        forum.name,
        forum.kind,
        meeting.id if meeting is not None else None,
        next_on,
        _participants(db, forum.id),
    )
