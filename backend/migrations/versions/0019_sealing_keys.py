"""sealing keys for what locked phones send; device protection (issue 20)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "sealing_key",
        sa.Column("kid", _text(43), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("public_jwk", backend.db.JSONType, nullable=False),
        sa.Column("private_sealed", _text(200), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
        sa.UniqueConstraint("generation"),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("protection", _text(10), nullable=True))
        batch_op.add_column(sa.Column("protected_at", backend.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("protected_at")
        batch_op.drop_column("protection")
    op.drop_table("sealing_key")
