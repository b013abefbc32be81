"""The audit log: who read or wrote what about a child, when, from which device.

Events of one request are collected and written in a single INSERT statement (one row or a list
page's hundred), in the same transaction as the request's own writes, before the response leaves
the server. The table is append-only: the
application never updates or deletes its rows (retention is the one job allowed to prune them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, insert, text
from sqlmodel import Field, Session, SQLModel

from backend.db import JSONType, UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: str | None = Field(default=None, index=True, max_length=36)
    session_ref: str = Field(default="", max_length=12)
    device_id: str | None = Field(default=None, max_length=36)
    ip: str = Field(default="", max_length=45)
    action: str = Field(max_length=40)
    object_type: str = Field(default="", max_length=40)
    object_id: str | None = Field(default=None, max_length=36)
    child_id: str | None = Field(default=None, index=True, max_length=36)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


#: A plain table INSERT (not the ORM's bulk insert, which costs more per call than the row).
_INSERT = insert(AuditEvent.__table__)
#: PostgreSQL: every row of the request in ONE statement, whatever their number (a list page
#: audits each child and task it lists), the rows sent as one JSON array (encoded in C, where the
#: driver's array parameters cost a Python call per value). The statement's text never changes, so
#: the driver prepares it once per connection; and being one statement it is atomic on its own —
#: all the rows or none — also when it is a read's only write and runs outside a transaction
#: (`db.begin_at_first_write`: it may, hence `opspor_alone`).
_JSON_INSERT = text(
    "INSERT INTO audit_event (at, actor_id, session_ref, device_id, ip, action, object_type, object_id, "
    "child_id, detail) SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(at timestamptz, "
    "actor_id varchar, session_ref varchar, device_id varchar, ip varchar, action varchar, "
    "object_type varchar, object_id varchar, child_id varchar, detail jsonb)"
).execution_options(opspor_alone=True)


@dataclass
class AuditTrail:
    """The events of one request, written together by `flush`."""

    actor_id: str | None = None
    session_ref: str = ""
    device_id: str | None = None
    ip: str = ""
    pending: list[dict] = field(default_factory=list)

    def add(
        self,
        action: str,
        object_type: str = "",
        object_id: str | None = None,
        child_id: str | None = None,
        **detail: object,
    ) -> None:
        self.pending.append(
            {
                "at": utcnow(),
                "actor_id": self.actor_id,
                "session_ref": self.session_ref,
                "device_id": self.device_id,
                "ip": self.ip,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "child_id": child_id,
                "detail": detail,
            }
        )

    @contextmanager
    def savepoint(self, db: Session) -> Iterator[None]:
        """A nested transaction whose audit events share its fate: when the block raises, the
        database changes and the events added inside it are both undone (then it re-raises)."""
        mark = len(self.pending)
        try:
            with db.begin_nested():
                yield
        except BaseException:
            del self.pending[mark:]
            raise

    def flush(self, db: Session) -> None:
        """Writes the pending rows — after the session's own pending changes, so that those begin
        the transaction (if any: `db.begin_at_first_write`) that the audit rows then join."""
        if not self.pending:
            return
        db.flush()
        rows = self.pending
        connection = db.connection()
        if connection.dialect.name == "postgresql":
            sent = json.dumps([{**row, "at": row["at"].isoformat()} for row in rows])
            connection.execute(_JSON_INSERT, {"rows": sent})
        else:
            connection.execute(_INSERT, rows[0] if len(rows) == 1 else rows)
        self.pending = []
