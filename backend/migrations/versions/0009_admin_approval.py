"""admin approval: a second admin approves actions on another admin's account

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import backend.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_approval",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("municipality_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("requested_by_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("decided_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["target_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admin_approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_approval_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_approval_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_approval_target_id"), ["target_id"], unique=False)


def downgrade() -> None:
    op.drop_table("admin_approval")
