"""A parent invitation: one guardian, one task on one record, a one-time link and a code."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.people.models import new_id


class ParentInvitation(SQLModel, table=True):
    """Only hashes are stored: `token_hash` is the SHA-256 of the link's token; `code_hash` the
    SHA-256 of the token and the six-digit code together (so the code cannot be guessed from the
    database without the link). `session_hash` is the SHA-256 of the parent's session cookie
    after the right code, valid until `session_expires_at`."""

    __tablename__ = "parent_invitation"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    record_id: str = Field(foreign_key="record.id", index=True, max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", max_length=36)
    guardian_id: str = Field(foreign_key="guardian.id", index=True, max_length=36)
    part: str = Field(max_length=40)
    token_hash: str = Field(unique=True, max_length=64)
    code_hash: str = Field(max_length=64)
    created_by_id: str = Field(foreign_key="app_user.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    wrong_codes: int = 0
    language: str = Field(default="da", max_length=5)
    session_hash: str | None = Field(default=None, max_length=64)
    session_csrf: str | None = Field(default=None, max_length=64)
    session_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    emailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
