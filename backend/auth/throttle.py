"""Sign-in throttling after repeated failures, counted in the database (shared by instances)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, delete, select

from backend.auth.models import LoginAttempt
from backend.config import Settings
from backend.db import utcnow

#: Failures from one address (any usernames) before it is slowed down as well.
_IP_FACTOR = 4


def is_throttled(db: Session, settings: Settings, username: str, ip: str) -> bool:
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    )
    by_user = db.exec(failures.where(LoginAttempt.username == username.lower())).one()
    by_ip = db.exec(failures.where(LoginAttempt.ip == ip)).one() if ip else 0
    return by_user >= settings.login_max_failures or by_ip >= settings.login_max_failures * _IP_FACTOR


def record_attempt(db: Session, username: str, ip: str, succeeded: bool) -> None:
    if succeeded:
        db.exec(delete(LoginAttempt).where(LoginAttempt.username == username.lower()))
    db.add(LoginAttempt(username=username.lower()[:150], ip=ip[:45], succeeded=succeeded))


def purge_old_attempts(db: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete the attempts too old to count towards a lockout (a periodic job); returns how many."""
    since = (now or utcnow()) - timedelta(minutes=settings.login_lockout_minutes)
    return db.exec(delete(LoginAttempt).where(LoginAttempt.at < since)).rowcount
