"""records, versions, kept writes, tasks and rounds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:53:32.421494
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text  # noqa: F401 - used by rendered JSONB columns

import backend.db
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('evaluation_round',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('created_at', backend.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evaluation_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_round_unit_id'), ['unit_id'], unique=False)

    op.create_table('kept_write',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('child_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('author_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('server_version', sa.Integer(), nullable=True),
    sa.Column('body', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('body_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', backend.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', backend.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('kept_write', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kept_write_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kept_write_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kept_write_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kept_write_unit_id'), ['unit_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('child_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('assignee_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('parent_facing', sa.Boolean(), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', backend.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', backend.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['closed_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_record_id'), ['record_id'], unique=False)
        batch_op.create_index('ix_task_unit_status', ['unit_id', 'status'], unique=False)

    op.create_table('record',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('child_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('author_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('updated_by_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('derived', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('round_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('abuse_path', sa.Boolean(), nullable=False),
    sa.Column('shared_with_unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('created_at', backend.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], ),
    sa.ForeignKeyConstraint(['shared_with_unit_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index('ix_record_child_unit', ['child_id', 'unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_shared_with_unit_id'), ['shared_with_unit_id'], unique=False)
        batch_op.create_index('ix_record_unit_type', ['unit_id', 'type'], unique=False)

    op.create_table('record_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('derived', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('author_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('body_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('saved_at', backend.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id', 'version')
    )
    with op.batch_alter_table('record_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_version_record_id'), ['record_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('record_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_version_record_id'))

    op.drop_table('record_version')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index('ix_record_unit_type')
        batch_op.drop_index(batch_op.f('ix_record_shared_with_unit_id'))
        batch_op.drop_index(batch_op.f('ix_record_round_id'))
        batch_op.drop_index('ix_record_child_unit')

    op.drop_table('record')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_unit_status')
        batch_op.drop_index(batch_op.f('ix_task_record_id'))
        batch_op.drop_index(batch_op.f('ix_task_due_on'))
        batch_op.drop_index(batch_op.f('ix_task_child_id'))
        batch_op.drop_index('ix_task_assignee_status')

    op.drop_table('task')
    with op.batch_alter_table('kept_write', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kept_write_unit_id'))
        batch_op.drop_index(batch_op.f('ix_kept_write_record_id'))
        batch_op.drop_index(batch_op.f('ix_kept_write_child_id'))
        batch_op.drop_index(batch_op.f('ix_kept_write_author_id'))

    op.drop_table('kept_write')
    with op.batch_alter_table('evaluation_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_round_unit_id'))

    op.drop_table('evaluation_round')

