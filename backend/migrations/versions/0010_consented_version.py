"""consented_version: the receiving unit reads only the version the parents consented to

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 01:45:00

Adds `record.shared_version`, and for handovers made before it: stores on each given handover
consent the version of the description it covered (`derived.scope_version`: the newest version
saved when the consent was recorded), and shares that version — or, when it was a draft, the
first final version with the same content. A handover whose consented content never became
final stops (the author is told a new consent is needed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

record = sa.table(
    "record",
    sa.column("id", sa.String),
    sa.column("type", sa.String),
    sa.column("child_id", sa.String),
    sa.column("status", sa.String),
    sa.column("data", backend.db.JSONType),
    sa.column("derived", backend.db.JSONType),
    sa.column("created_at", backend.db.UTCDateTime()),
    sa.column("shared_with_unit_id", sa.String),
    sa.column("shared_version", sa.Integer),
)
record_version = sa.table(
    "record_version",
    sa.column("record_id", sa.String),
    sa.column("version", sa.Integer),
    sa.column("status", sa.String),
    sa.column("data", backend.db.JSONType),
    sa.column("saved_at", backend.db.UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_version", sa.Integer(), nullable=True))
    _backfill(op.get_bind())


def _backfill(conn: sa.engine.Connection) -> None:
    consents = conn.execute(
        sa.select(record.c.id, record.c.data, record.c.derived, record.c.created_at).where(
            record.c.type == "consent", record.c.status == "final"
        )
    ).all()
    latest_given: dict[str, tuple[str, int]] = {}
    for consent_id, data, derived, created_at in consents:
        if data.get("kind") != "transition_handover" or not data.get("scope"):
            continue
        covered = derived.get("scope_version") or conn.execute(
            sa.select(sa.func.max(record_version.c.version)).where(
                record_version.c.record_id == data["scope"], record_version.c.saved_at <= created_at
            )
        ).scalar()
        if covered and "scope_version" not in derived:
            conn.execute(
                record.update()
                .where(record.c.id == consent_id)
                .values(derived={**derived, "scope_version": covered})
            )
        if data.get("state") == "given" and covered:
            previous = latest_given.get(data["scope"])
            if previous is None or previous[0] < (data.get("decided_at") or ""):
                latest_given[data["scope"]] = (data.get("decided_at") or "", covered)
    shared = conn.execute(sa.select(record.c.id).where(record.c.shared_with_unit_id.is_not(None))).all()
    for (record_id,) in shared:
        covered = latest_given.get(record_id, ("", None))[1]
        shown = _shown_version(conn, record_id, covered) if covered else None
        values = {"shared_version": shown} if shown else {"shared_with_unit_id": None}
        conn.execute(record.update().where(record.c.id == record_id).values(**values))


def _shown_version(conn: sa.engine.Connection, record_id: str, covered: int) -> int | None:
    versions = conn.execute(
        sa.select(record_version.c.version, record_version.c.status, record_version.c.data)
        .where(record_version.c.record_id == record_id, record_version.c.version >= covered)
        .order_by(record_version.c.version)
    ).all()
    if not versions or versions[0][0] != covered:
        return None
    content = versions[0][2]
    return next((v for v, status, data in versions if status == "final" and data == content), None)


def downgrade() -> None:
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.drop_column("shared_version")
