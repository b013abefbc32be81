"""Tables for reminders: server keys, push subscriptions, deliveries, sends, scheduler leases.

Everything several app instances must agree on lives here, in the database:
- `server_key`: the VAPID key pair (made once, by whichever instance starts first).
- `reminder_delivery`: one row per user and reminder (unique), so a reminder is sent once.
- `push_send`: one row per delivery and subscription; instances claim rows before sending.
- `scheduler_lease`: one row per periodic job; an instance runs a job only while it holds it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.people.models import new_id


class ServerKey(SQLModel, table=True):
    """A key the server generated for itself (e.g. `vapid`): private part and public part."""

    __tablename__ = "server_key"

    name: str = Field(primary_key=True, max_length=40)
    private_value: str = Field(sa_column=Column(Text, nullable=False))
    public_value: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PushSubscription(SQLModel, table=True):
    """A browser's push subscription, for one user on one device.

    `endpoint_hash` (SHA-256 of the endpoint) is unique: one endpoint belongs to one user.
    """

    __tablename__ = "push_subscription"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    device_id: str | None = Field(default=None, max_length=36)
    endpoint: str = Field(sa_column=Column(Text, nullable=False))
    endpoint_hash: str = Field(unique=True, max_length=64)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    user_agent: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReminderDelivery(SQLModel, table=True):
    """A reminder for a user. (`user_id`, `key`) is unique: each reminder is made once.

    The texts carry counts and a link only — never a child's name, CPR or record content.
    `status`: `queued` (sends made), `merged` (told in another delivery, e.g. the day's
    overview), `empty` (nothing to tell: no push).
    """

    __tablename__ = "reminder_delivery"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # digest | urgent | round | test
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=1000)
    url: str = Field(default="/tasks", max_length=200)
    status: str = Field(default="queued", max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PushSend(SQLModel, table=True):
    """One delivery to one subscription. An instance claims a row (`claimed_by`, `claimed_until`)
    before it sends, so two instances never send the same row; a claim that runs out (the
    instance died) can be taken over.

    `status`: pending | sent | gone (subscription expired) | failed (given up).
    """

    __tablename__ = "push_send"
    __table_args__ = (
        UniqueConstraint("delivery_id", "subscription_id"),
        Index("ix_push_send_due", "status", "next_attempt_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    delivery_id: str = Field(foreign_key="reminder_delivery.id", index=True, max_length=36)
    subscription_id: str = Field(index=True, max_length=36)
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status: int | None = None
    last_error: str = Field(default="", max_length=300)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SchedulerLease(SQLModel, table=True):
    """Who runs a periodic job now (until `expires_at`), and when it last ran."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str | None = Field(default=None, max_length=64)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=300)
