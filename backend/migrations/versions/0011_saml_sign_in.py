"""saml sign-in: started flows, seen assertion ids and the subject behind a SAML session

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sqlmodel

import backend.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saml_flow",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("next_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("saml_flow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saml_flow_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "saml_assertion_seen",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("expires_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("saml_assertion_seen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saml_assertion_seen_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "saml_login",
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name_id", sa.Text(), nullable=False),
        sa.Column("session_index", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", backend.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["web_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )


def downgrade() -> None:
    op.drop_table("saml_login")
    with op.batch_alter_table("saml_assertion_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saml_assertion_seen_expires_at"))
    op.drop_table("saml_assertion_seen")
    with op.batch_alter_table("saml_flow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saml_flow_expires_at"))
    op.drop_table("saml_flow")
