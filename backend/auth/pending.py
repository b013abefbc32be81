"""The half-signed-in state between a right password and the second factor.

A pending sign-in is not a session: the request context never sees a user for it, so it reads
nothing. It lives in the database (any app instance can finish it), for ten minutes and five
wrong codes at most; its cookie holds a random token whose SHA-256 is the row's id.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session, delete

from backend.auth import totp
from backend.auth.models import PendingSignIn
from backend.auth.sessions import token_hash
from backend.config import Settings
from backend.db import utcnow
from backend.people.models import User

COOKIE_NAME = "opspor_pending"
COOKIE_PATH = "/login"
LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5

VERIFY = "verify"
ENROL = "enrol"


def start_pending(db: Session, user_id: str, purpose: str, next_url: str) -> str:
    """A new pending sign-in (replacing the user's earlier ones); returns the cookie token."""
    db.exec(delete(PendingSignIn).where(PendingSignIn.user_id == user_id))
    purge_expired(db)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        PendingSignIn(
            id=token_hash(token),
            user_id=user_id,
            purpose=purpose,
            next_url=next_url[:2000],
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return token


def load_pending(db: Session, token: str | None) -> PendingSignIn | None:
    if not token or len(token) > 100:
        return None
    record = db.get(PendingSignIn, token_hash(token))
    if record is None:
        return None
    if utcnow() >= record.expires_at or record.attempts >= MAX_ATTEMPTS:
        db.delete(record)
        return None
    return record


def count_failure(db: Session, record: PendingSignIn) -> bool:
    """Count a wrong code; True when the pending sign-in is used up (deleted)."""
    record.attempts += 1
    if record.attempts >= MAX_ATTEMPTS:
        db.delete(record)
        return True
    db.add(record)
    return False


def end_pending(db: Session, record: PendingSignIn) -> None:
    db.delete(record)


def purge_expired(db: Session) -> None:
    db.exec(delete(PendingSignIn).where(PendingSignIn.expires_at < utcnow()))


def user_of_pending(db: Session, record: PendingSignIn | None) -> User | None:
    """The person a half-finished sign-in belongs to."""
    return db.get(User, record.user_id) if record is not None else None


def enrolment_secret(db: Session, settings: Settings, record: PendingSignIn) -> str:
    """The TOTP secret being enrolled: made at the first view and kept (sealed) on the pending
    row, so a reload shows the same QR code."""
    if record.secret_sealed is not None:
        try:
            return totp.unseal(settings, record.secret_sealed)
        except totp.SealBroken:
            pass
    secret = totp.new_secret()
    record.secret_sealed = totp.seal(settings, secret)
    db.add(record)
    return secret
