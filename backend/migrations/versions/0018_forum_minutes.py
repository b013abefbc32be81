"""forum minutes: per case the plan, action path and who does what (→ tasks); members'
contributions (issue 16)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(length: int = 36) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("forum_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minutes", backend.db.JSONType, nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("minutes_by_id", _id(), nullable=True))
        batch_op.add_column(sa.Column("minutes_at", backend.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_forum_case_minutes_by", "app_user", ["minutes_by_id"], ["id"])
    op.create_table(
        "forum_contribution",
        sa.Column("id", _id(), nullable=False),
        sa.Column("case_id", _id(), nullable=False),
        sa.Column("author_id", _id(), nullable=False),
        sa.Column("text", _id(2000), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["forum_case.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forum_contribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_contribution_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("forum_contribution")
    with op.batch_alter_table("forum_case", schema=None) as batch_op:
        batch_op.drop_constraint("fk_forum_case_minutes_by", type_="foreignkey")
        batch_op.drop_column("minutes_at")
        batch_op.drop_column("minutes_by_id")
        batch_op.drop_column("minutes")
