"""Cross-disciplinary forums (domain §11): resource teams, focus teams and ADBB supervision teams,
their members, meetings and the cases on a meeting's agenda.

Kept beside the organisation's tables (not in `backend.forums`) because the one access policy
(`backend.auth.policy`) reads them to decide what a partner may see.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import JSONType, UTCDateTime, utcnow
from backend.people.models import new_id


class Forum(SQLModel, table=True):
    """A standing forum of one or several units; `kind` is a `domain.forums.KINDS` key."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    municipality_id: str = Field(foreign_key="municipality.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    unit_ids: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ForumMember(SQLModel, table=True):
    """A member of a forum: `role` is `convener` (the unit's leader), `internal` (a professional
    of the municipality's own units) or `partner`; `title` says what they are (PPR-psykolog …)."""

    __tablename__ = "forum_member"
    __table_args__ = (UniqueConstraint("forum_id", "user_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    forum_id: str = Field(foreign_key="forum.id", index=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    role: str = Field(max_length=20)
    title: str = Field(default="", max_length=200)


class ForumMeeting(SQLModel, table=True):
    """A meeting of a forum; every member is invited. `status`: planned, held or cancelled."""

    __tablename__ = "forum_meeting"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    forum_id: str = Field(foreign_key="forum.id", index=True, max_length=36)
    held_on: date = Field(index=True)
    place: str = Field(default="", max_length=200)
    status: str = Field(default="planned", max_length=20)
    created_by_id: str = Field(foreign_key="app_user.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ForumCase(SQLModel, table=True):
    """A case on a meeting's agenda: a named child (`child_id`, with the parents' consent record
    `consent_id`) or an anonymous case (`age_band` and `description`, never a child id).

    `preparation` is the preparation form (the question to the forum, what has been tried, the
    latest joint positions per area, the parents' view); `shared_at` is when it was shared with
    the members — a partner's access to a named child starts then.
    """

    __tablename__ = "forum_case"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    meeting_id: str = Field(foreign_key="forum_meeting.id", index=True, max_length=36)
    child_id: str | None = Field(default=None, foreign_key="child.id", index=True, max_length=36)
    consent_id: str | None = Field(default=None, foreign_key="record.id", max_length=36)
    #: The unit the case is brought from (the named child's placement, or the professional's unit).
    unit_id: str = Field(foreign_key="unit.id", max_length=36)
    age_band: str = Field(default="", max_length=20)
    description: str = Field(default="", max_length=2000)
    preparation: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    prepared_by_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    shared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: str = Field(foreign_key="app_user.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
