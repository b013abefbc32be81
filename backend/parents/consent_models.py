"""A consent a parent gave or refused through a link (issue 15), and its withdrawal link."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.people.models import new_id


class ParentConsentLink(SQLModel, table=True):
    """One decision made on a parent's consent page: the consent record it became and, for a
    consent given, the withdrawal link (only the SHA-256 of its token is stored). `withdrawn_at`
    and `withdrawal_record_id` are set when the parent withdraws through that link."""

    __tablename__ = "parent_consent_link"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    invitation_id: str = Field(foreign_key="parent_invitation.id", index=True, max_length=36)
    consent_record_id: str = Field(foreign_key="record.id", max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    guardian_id: str = Field(foreign_key="guardian.id", max_length=36)
    state: str = Field(max_length=10)
    withdraw_token_hash: str | None = Field(default=None, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawal_record_id: str | None = Field(default=None, foreign_key="record.id", max_length=36)
