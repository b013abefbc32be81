"""transition data schema 2: the visit's `held_on` is `visited_on` (issue 14)

The stored data of transition records, their versions and writes kept for a leader or an
author are brought to schema 2 (as the kind's own upgrade in `records/kinds/transition.py`);
writes still queued on phones are upgraded as they arrive (`records/schemas.py`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:20:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "held_on", "visited_on"


def _rename(data: dict, old: str, new: str) -> dict:
    """`data` with `visit.<old>` renamed `visit.<new>` (the key is ours; the contract names only `visit`)."""
    visit = data.get("visit")
    if isinstance(visit, dict) and old in visit:
        visit = dict(visit)
        visit[new] = visit.pop(old)
        data = {**data, "visit": visit}
    return data


def _load(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def _migrate(old: str, new: str) -> None:
    connection = op.get_bind()
    value = "CAST(:data AS JSONB)" if connection.dialect.name == "postgresql" else ":data"
    records = connection.execute(sa.text("SELECT id FROM record WHERE type = 'transition'")).scalars().all()
    for record_id in records:
        row = connection.execute(sa.text("SELECT data FROM record WHERE id = :id"), {"id": record_id}).one()
        connection.execute(
            sa.text(f"UPDATE record SET data = {value} WHERE id = :id"),
            {"id": record_id, "data": json.dumps(_rename(_load(row[0]), old, new))},
        )
        versions = connection.execute(
            sa.text("SELECT id, data FROM record_version WHERE record_id = :id"), {"id": record_id}
        ).all()
        for version_id, data in versions:
            connection.execute(
                sa.text(f"UPDATE record_version SET data = {value} WHERE id = :id"),
                {"id": version_id, "data": json.dumps(_rename(_load(data), old, new))},
            )
    kept = connection.execute(sa.text("SELECT id, body FROM kept_write WHERE record_type = 'transition'")).all()
    for kept_id, body in kept:
        body = _load(body)
        body["data"] = _rename(body.get("data") or {}, old, new)
        connection.execute(
            sa.text(f"UPDATE kept_write SET body = {value} WHERE id = :id"), {"id": kept_id, "data": json.dumps(body)}
        )


def upgrade() -> None:
    _migrate(OLD, NEW)


def downgrade() -> None:
    _migrate(NEW, OLD)
