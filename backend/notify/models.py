"""The outbox of e-mails: queued in the same transaction as the write that caused them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.people.models import new_id


class OutgoingEmail(SQLModel, table=True):
    """One e-mail to one recipient, sent by `backend.notify.email.send_pending_emails`.

    `key` makes queuing idempotent (one e-mail per cause and recipient). `next_attempt_at`
    spaces out retries; `claimed_until` lets one sender (of several app instances) own a row
    while it talks to the SMTP server. The body never carries child data (see the callers).
    """

    __tablename__ = "outgoing_email"
    __table_args__ = (Index("ix_outgoing_email_pending", "sent_at", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    key: str = Field(unique=True, max_length=200)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    record_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
