"""Records, their versions, writes kept aside, tasks and evaluation rounds (domain §4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import JSONType, UTCDateTime, utcnow
from backend.people.models import new_id


class Record(SQLModel, table=True):
    """The current version of a record; `id` is the UUID the client generated for it.

    `unit_id` is the unit that wrote it: records stay with that unit when the child moves.
    `shared_with_unit_id` is set while a consented transition description is handed over, and
    `shared_version` names the version the parents consented to: the only one the receiving unit sees.
    """

    __table_args__ = (
        Index("ix_record_child_unit", "child_id", "unit_id"),
        Index("ix_record_unit_type", "unit_id", "type"),
    )

    id: str = Field(primary_key=True, max_length=36)
    type: str = Field(max_length=30)
    child_id: str | None = Field(default=None, foreign_key="child.id", max_length=36)
    unit_id: str = Field(foreign_key="unit.id", max_length=36)
    author_id: str = Field(foreign_key="app_user.id", max_length=36)
    updated_by_id: str = Field(foreign_key="app_user.id", max_length=36)
    status: str = Field(max_length=10)
    version: int = 1
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    derived: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    round_id: str | None = Field(default=None, foreign_key="evaluation_round.id", index=True, max_length=36)
    abuse_path: bool = False
    shared_with_unit_id: str | None = Field(default=None, foreign_key="unit.id", index=True, max_length=36)
    #: The version the receiving unit reads: the one the parents consented to (never a later edit).
    shared_version: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecordVersion(SQLModel, table=True):
    """Every saved version, readable for ever (a final record is corrected, never overwritten)."""

    __tablename__ = "record_version"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(foreign_key="record.id", index=True, max_length=36)
    version: int
    status: str = Field(max_length=10)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    derived: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    author_id: str = Field(foreign_key="app_user.id", max_length=36)
    body_hash: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=36)
    saved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KeptWrite(SQLModel, table=True):
    """A write the server did not apply but keeps: a stale edit (a conflict copy for its author)
    or a write about a child who left the author's scope meanwhile (for the unit's leader)."""

    __tablename__ = "kept_write"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    reason: str = Field(max_length=20)  # "conflict" | "out_of_scope"
    record_id: str = Field(index=True, max_length=36)
    record_type: str = Field(max_length=30)
    child_id: str | None = Field(default=None, index=True, max_length=36)
    unit_id: str | None = Field(default=None, foreign_key="unit.id", index=True, max_length=36)
    author_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    base_version: int | None = None
    server_version: int | None = None
    body: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    body_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)


class Task(SQLModel, table=True):
    """Due work. `key` makes every rule's task unique (a rule firing twice makes one task).

    `assignee_id` empty means the unit's leaders. A parent-facing task is `held` while an
    abuse-path concern for the child is open (domain §6).
    """

    __table_args__ = (
        Index("ix_task_assignee_status", "assignee_id", "status"),
        Index("ix_task_unit_status", "unit_id", "status"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=40)
    child_id: str | None = Field(default=None, foreign_key="child.id", index=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", max_length=36)
    assignee_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    record_id: str | None = Field(default=None, index=True, max_length=36)
    due_on: date = Field(index=True)
    status: str = Field(default="open", max_length=10)  # open | held | done | cancelled
    parent_facing: bool = False
    params: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)


class EvaluationRound(SQLModel, table=True):
    """A well-being round for a unit: every child assessed between `opens_on` and `closes_on`."""

    __tablename__ = "evaluation_round"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    name: str = Field(max_length=100)
    opens_on: date
    closes_on: date
    created_by_id: str = Field(foreign_key="app_user.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
