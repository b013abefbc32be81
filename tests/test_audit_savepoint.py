"""`AuditTrail.savepoint`: a nested transaction whose audit events share its fate."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend.audit import AuditEvent, AuditTrail
from backend.people.models import Municipality


def test_a_failed_block_undoes_its_rows_and_its_events_only(db) -> None:
    trail = AuditTrail(actor_id=None)
    trail.add("before.block")
    with pytest.raises(ValueError), trail.savepoint(db):
        db.add(Municipality(name="Forkastet Kommune"))
        db.flush()
        trail.add("inside.block")
        raise ValueError("refused")
    assert [event["action"] for event in trail.pending] == ["before.block"]
    assert db.exec(select(Municipality).where(Municipality.name == "Forkastet Kommune")).first() is None
    trail.flush(db)
    db.commit()
    assert [e.action for e in db.exec(select(AuditEvent))] == ["before.block"]


def test_a_block_that_succeeds_keeps_both(db) -> None:
    trail = AuditTrail(actor_id=None)
    with trail.savepoint(db):
        db.add(Municipality(name="Beholdt Kommune"))
        trail.add("inside.block")
    trail.flush(db)
    db.commit()
    assert db.exec(select(Municipality).where(Municipality.name == "Beholdt Kommune")).first() is not None
    assert [e.action for e in db.exec(select(AuditEvent))] == ["inside.block"]
