"""Helpers for the administration tests."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, time

import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.audit import AuditEvent
from backend.people.models import Child
from tests.support import login


def new_client(app, username: str | None = None) -> TestClient:
    """Another browser: its own cookies, signed in as `username`."""
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    if username:
        login(client, username)
    return client


@contextmanager
def on_day(day: date):
    """Frozen time at noon (Copenhagen is ahead of UTC, so noon UTC is the same day there)."""
    with time_machine.travel(datetime.combine(day, time(12), tzinfo=UTC), tick=False):
        yield


def events(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def child_with_cpr(db: Session) -> Child:
    return db.exec(select(Child).where(Child.cpr.is_not(None)).order_by(Child.name)).first()


def all_audit_text(db: Session) -> str:
    db.expire_all()
    return " ".join(f"{e.action} {e.detail} {e.object_id}" for e in db.exec(select(AuditEvent)))
