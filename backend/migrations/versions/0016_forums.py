"""forums: resource, focus and ADBB supervision teams, members, meetings, agenda cases (issue 16)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(length: int = 36) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when() -> backend.db.UTCDateTime:
    return backend.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "forum",
        sa.Column("id", _id(), nullable=False),
        sa.Column("municipality_id", _id(), nullable=False),
        sa.Column("name", _id(200), nullable=False),
        sa.Column("kind", _id(30), nullable=False),
        sa.Column("unit_ids", backend.db.JSONType, nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forum", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_municipality_id"), ["municipality_id"], unique=False)
    op.create_table(
        "forum_member",
        sa.Column("id", _id(), nullable=False),
        sa.Column("forum_id", _id(), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("role", _id(20), nullable=False),
        sa.Column("title", _id(200), nullable=False),
        sa.ForeignKeyConstraint(["forum_id"], ["forum.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("forum_id", "user_id"),
    )
    with op.batch_alter_table("forum_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_member_forum_id"), ["forum_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forum_member_user_id"), ["user_id"], unique=False)
    op.create_table(
        "forum_meeting",
        sa.Column("id", _id(), nullable=False),
        sa.Column("forum_id", _id(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", _id(200), nullable=False),
        sa.Column("status", _id(20), nullable=False),
        sa.Column("created_by_id", _id(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["forum_id"], ["forum.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forum_meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_meeting_forum_id"), ["forum_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forum_meeting_held_on"), ["held_on"], unique=False)
    op.create_table(
        "forum_case",
        sa.Column("id", _id(), nullable=False),
        sa.Column("meeting_id", _id(), nullable=False),
        sa.Column("child_id", _id(), nullable=True),
        sa.Column("consent_id", _id(), nullable=True),
        sa.Column("unit_id", _id(), nullable=False),
        sa.Column("age_band", _id(20), nullable=False),
        sa.Column("description", _id(2000), nullable=False),
        sa.Column("preparation", backend.db.JSONType, nullable=False),
        sa.Column("prepared_by_id", _id(), nullable=True),
        sa.Column("shared_at", _when(), nullable=True),
        sa.Column("created_by_id", _id(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["forum_meeting.id"]),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["consent_id"], ["record.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["prepared_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forum_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_case_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forum_case_child_id"), ["child_id"], unique=False)


def downgrade() -> None:
    for table in ("forum_case", "forum_meeting", "forum_member", "forum"):
        op.drop_table(table)
