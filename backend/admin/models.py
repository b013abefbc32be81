"""A second admin's approval for actions on another admin's account (separation of duties)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.people.models import new_id


class AdminApproval(SQLModel, table=True):
    """One requested action on an admin's account, waiting for another admin (domain rules in
    `backend/domain/admin_duties.py`). `params` holds ids only (role, unit, assignment)."""

    __tablename__ = "admin_approval"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    municipality_id: str = Field(foreign_key="municipality.id", index=True, max_length=36)
    action: str = Field(max_length=40)
    target_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    requested_by_id: str = Field(foreign_key="app_user.id", max_length=36)
    params: dict = Field(
        default_factory=dict,
        sa_column=Column(
            JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
    )
    status: str = Field(default="pending", max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
