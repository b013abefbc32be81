"""adbb_certification: who is trained in ADBB and when (issue 16)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:30:00

Only a health visitor with a recorded certification (the University of Copenhagen's training)
finalises an ADBB screening; drafts are allowed to anyone who may write one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from backend.db import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adbb_certification",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("adbb_certification")
