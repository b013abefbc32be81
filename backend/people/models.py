"""The organisation and the children (domain §2–§3)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import uuid4

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db import JSONType, UTCDateTime, utcnow
from backend.domain.units import UnitKind as UnitKind


def new_id() -> str:
    return str(uuid4())


def _created() -> datetime:
    return utcnow()


class Role(StrEnum):
    health_visitor = "health_visitor"
    childminder = "childminder"
    childminder_supervisor = "childminder_supervisor"
    pedagogue = "pedagogue"
    leader = "leader"
    admin = "admin"
    #: A cross-disciplinary partner (PPR psychologist, speech therapist, preventive social worker
    #: …): sees only the forum cases they are invited to (domain §11), never a unit's children.
    partner = "partner"


#: Roles that work with children directly (they see their units' children and records).
PROFESSIONAL_ROLES = frozenset(
    {Role.health_visitor, Role.childminder, Role.childminder_supervisor, Role.pedagogue}
)


class Municipality(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    settings: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Unit(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    municipality_id: str = Field(foreign_key="municipality.id", index=True, max_length=36)
    kind: str = Field(max_length=20)  # a UnitKind value
    name: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Room(SQLModel, table=True):
    """A room (stue) of an institution, or a group within a unit."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    name: str = Field(max_length=200)


class User(SQLModel, table=True):
    """A staff member. Single sign-on users are known by (`oidc_issuer`, `oidc_subject`), never by
    e-mail; `emergency_admin` marks the one local account allowed in while single sign-on is on."""

    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_app_user_oidc_subject"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    municipality_id: str = Field(foreign_key="municipality.id", index=True, max_length=36)
    username: str = Field(unique=True, max_length=150)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    password_hash: str | None = Field(default=None, max_length=200)
    is_demo: bool = False
    active: bool = True
    oidc_issuer: str | None = Field(default=None, max_length=500)
    oidc_subject: str | None = Field(default=None, max_length=255)
    emergency_admin: bool = False
    preferences: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class RoleAssignment(SQLModel, table=True):
    """A role a user holds; `unit_id` is empty for the municipality-wide admin role."""

    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    role: str = Field(max_length=30)  # a Role value
    unit_id: str | None = Field(default=None, foreign_key="unit.id", index=True, max_length=36)
    source: str = Field(default="local", max_length=10)


class Child(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    municipality_id: str = Field(foreign_key="municipality.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    birth_date: date
    cpr: str | None = Field(default=None, max_length=10)
    legal_hold: bool = False
    legal_hold_reason: str = Field(default="", max_length=1000)
    legal_hold_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Guardian(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    relation: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=320)
    #: Ten digits, or None when not recorded: a parent's citizen sign-in (MitID) is matched to it.
    cpr: str | None = Field(default=None, max_length=10)


class Placement(SQLModel, table=True):
    """Where a child is enrolled from `starts_on` until (not including) `ends_on`."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    room_id: str | None = Field(default=None, foreign_key="room.id", max_length=36)
    starts_on: date = Field(index=True)
    ends_on: date | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)


class Caseload(SQLModel, table=True):
    """A professional's responsibility for a child, within one unit."""

    __table_args__ = (UniqueConstraint("user_id", "child_id", "unit_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    since: date


class PasswordToken(SQLModel, table=True):
    """A one-time link to set a password (an invitation or a reset); `id` is the token's SHA-256."""

    __tablename__ = "password_token"

    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    created_by_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportBatch(SQLModel, table=True):
    """An uploaded CSV file between its dry run and its import (the text is emptied afterwards)."""

    __tablename__ = "import_batch"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    municipality_id: str = Field(foreign_key="municipality.id", index=True, max_length=36)
    created_by_id: str = Field(foreign_key="app_user.id", max_length=36)
    filename: str = Field(default="", max_length=200)
    encoding: str = Field(default="", max_length=20)
    content: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime, index=True)
    imported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class AdbbCertification(SQLModel, table=True):
    """A health visitor's ADBB training (University of Copenhagen): only a certified health visitor
    finalises an ADBB screening (KL's FHIR guide; issue 16). Recorded by an admin."""

    __tablename__ = "adbb_certification"

    user_id: str = Field(foreign_key="app_user.id", primary_key=True, max_length=36)
    certified_on: date
    recorded_by_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    recorded_at: datetime = Field(default_factory=_created, sa_type=UTCDateTime)
