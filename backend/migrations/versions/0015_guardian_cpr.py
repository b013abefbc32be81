"""guardian_cpr: a guardian's CPR number, for matching a parent's citizen sign-in (issue 15)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:45:00

Optional: a parent's MitID sign-in is accepted only for the invited guardian whose CPR number
is recorded and equal to the one the citizen sign-in broker vouches for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guardian", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cpr", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guardian", schema=None) as batch_op:
        batch_op.drop_column("cpr")
