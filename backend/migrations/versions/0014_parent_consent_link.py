"""parent consent links: a consent decided on a parent's own phone and its withdrawal link (issue 15)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(length: int = 36) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "parent_consent_link",
        sa.Column("id", _id(), nullable=False),
        sa.Column("invitation_id", _id(), nullable=False),
        sa.Column("consent_record_id", _id(), nullable=False),
        sa.Column("child_id", _id(), nullable=False),
        sa.Column("guardian_id", _id(), nullable=False),
        sa.Column("state", _id(10), nullable=False),
        sa.Column("withdraw_token_hash", _id(64), nullable=True),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", backend.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_record_id", _id(), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["parent_invitation.id"]),
        sa.ForeignKeyConstraint(["consent_record_id"], ["record.id"]),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["guardian_id"], ["guardian.id"]),
        sa.ForeignKeyConstraint(["withdrawal_record_id"], ["record.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("withdraw_token_hash"),
    )
    with op.batch_alter_table("parent_consent_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parent_consent_link_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_parent_consent_link_child_id"), ["child_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parent_consent_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parent_consent_link_child_id"))
        batch_op.drop_index(batch_op.f("ix_parent_consent_link_invitation_id"))
    op.drop_table("parent_consent_link")
