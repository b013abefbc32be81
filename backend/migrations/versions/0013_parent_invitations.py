"""parent invitations: a guardian invited to one task on one record (issue 15)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(length: int = 36) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "parent_invitation",
        sa.Column("id", _id(), nullable=False),
        sa.Column("record_id", _id(), nullable=False),
        sa.Column("child_id", _id(), nullable=False),
        sa.Column("unit_id", _id(), nullable=False),
        sa.Column("guardian_id", _id(), nullable=False),
        sa.Column("part", _id(40), nullable=False),
        sa.Column("token_hash", _id(64), nullable=False),
        sa.Column("code_hash", _id(64), nullable=False),
        sa.Column("created_by_id", _id(), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", _id(), nullable=True),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.Column("language", _id(5), nullable=False),
        sa.Column("session_hash", _id(64), nullable=True),
        sa.Column("session_csrf", _id(64), nullable=True),
        sa.Column("session_expires_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["guardian_id"], ["guardian.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("parent_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parent_invitation_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parent_invitation_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parent_invitation_guardian_id"), ["guardian_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parent_invitation_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parent_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parent_invitation_expires_at"))
        batch_op.drop_index(batch_op.f("ix_parent_invitation_guardian_id"))
        batch_op.drop_index(batch_op.f("ix_parent_invitation_child_id"))
        batch_op.drop_index(batch_op.f("ix_parent_invitation_record_id"))
    op.drop_table("parent_invitation")
