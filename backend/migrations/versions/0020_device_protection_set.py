"""device protection holds the set of methods, e.g. "passkey+pin" (issue 20)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.alter_column("protection", existing_type=_text(10), type_=_text(20), existing_nullable=True)


def downgrade() -> None:
    # A device that held both methods keeps the stronger one ("passkey") in the narrower column.
    op.execute("UPDATE device SET protection = 'passkey' WHERE protection = 'passkey+pin'")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.alter_column("protection", existing_type=_text(20), type_=_text(10), existing_nullable=True)
