"""Sessions stored in the database, so every app instance can check them.

The cookie holds a random token; the database holds only its SHA-256. Sessions end after an idle
time and an absolute lifetime; signing in always creates a new session (rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_
from sqlmodel import Session, delete, select

from backend.auth.models import Device, WebSession
from backend.config import Settings
from backend.db import utcnow
from backend.people.models import Municipality, RoleAssignment, User

COOKIE_NAME = "opspor_session"
DEVICE_COOKIE = "opspor_device"
#: Touching `last_seen_at` at most this often keeps reads from writing on every request.
_TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class NewSession:
    token: str
    record: WebSession


def start_session(
    db: Session,
    settings: Settings,
    user_id: str,
    *,
    ip: str = "",
    user_agent: str = "",
    device_id: str | None = None,
    replaces_token: str | None = None,
) -> NewSession:
    """Create a fresh session (ending the one it replaces)."""
    if replaces_token:
        end_session(db, replaces_token)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = WebSession(
        id=token_hash(token),
        user_id=user_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        ip=ip[:45],
        user_agent=user_agent[:300],
        device_id=device_id,
    )
    db.add(record)
    return NewSession(token=token, record=record)


def load_session(db: Session, settings: Settings, token: str | None) -> WebSession | None:
    """The live session for a cookie token, or None when unknown, idle too long or expired."""
    if not token or len(token) > 100:
        return None
    return _live(db, settings, db.get(WebSession, token_hash(token)))


#: Built once: every request runs it. The devices the request names (at most two: the cookie's
#: and the header's) come along, so a revoked device is refused without a query of its own.
#: The roles come as plain columns (the scope reads nothing else of them; no ORM object each), and
#: the devices as two plain parameters (a request names at most two), not an expanding list
#: SQLAlchemy would render into the statement on every execution.
_SIGNED_IN = (
    select(WebSession, User, Municipality.settings, RoleAssignment.role, RoleAssignment.unit_id, Device)
    .join(User, User.id == WebSession.user_id)
    .outerjoin(Municipality, Municipality.id == User.municipality_id)
    .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
    .outerjoin(Device, Device.id.in_([bindparam("device_a"), bindparam("device_b")]))
    .where(WebSession.id == bindparam("session_id"))
)


@dataclass(frozen=True)
class Assignment:
    """A role the signed-in user holds (what `policy.scope_of` reads of a `RoleAssignment`)."""

    role: str
    unit_id: str | None


@dataclass
class SignedInUser:
    session: WebSession
    user: User
    assignments: list[Assignment]
    municipal_settings: dict | None
    #: The known devices among those the request names, by id.
    devices: dict[str, Device]


def load_signed_in(
    db: Session, settings: Settings, token: str | None, device_ids: set[str] = frozenset()
) -> SignedInUser | None:
    """The live session for a cookie token with its user, the user's role assignments, the
    municipality's settings and the known devices among `device_ids`, in one query (every
    request asks for them); None as `load_session`."""
    if not token or len(token) > 100:
        return None
    if len(device_ids) > 2:
        raise ValueError("a request names two devices at most (its cookie's and its header's)")
    device_a, device_b = (*sorted(device_ids), "", "")[:2]  # "" is no device's id
    params = {"session_id": token_hash(token), "device_a": device_a, "device_b": device_b}
    rows = db.exec(_SIGNED_IN, params=params).all()
    if not rows:
        return None
    record, user, municipal_settings, *_ = rows[0]
    if _live(db, settings, record) is None:
        return None
    roles = {(role, unit_id): None for *_, role, unit_id, _ in rows if role is not None}
    assignments = [Assignment(role, unit_id) for role, unit_id in roles]
    devices = {device.id: device for *_, device in rows if device is not None}
    return SignedInUser(record, user, assignments, municipal_settings, devices)


def _live(db: Session, settings: Settings, record: WebSession | None) -> WebSession | None:
    if record is None:
        return None
    now = utcnow()
    idle_limit = record.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= record.expires_at or now >= idle_limit:
        db.delete(record)
        return None
    if now - record.last_seen_at > _TOUCH_EVERY:
        record.last_seen_at = now
        db.add(record)
    return record


def end_session(db: Session, token: str) -> None:
    db.exec(delete(WebSession).where(WebSession.id == token_hash(token)))


def end_user_sessions(db: Session, user_id: str) -> None:
    db.exec(delete(WebSession).where(WebSession.user_id == user_id))


def purge_expired_sessions(db: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete the sessions past their lifetime or idle too long (a periodic job); returns how many."""
    now = now or utcnow()
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    result = db.exec(
        delete(WebSession).where(or_(WebSession.expires_at <= now, WebSession.last_seen_at <= idle_since))
    )
    return result.rowcount


def sessions_of(db: Session, user_id: str) -> list[WebSession]:
    return list(db.exec(select(WebSession).where(WebSession.user_id == user_id)))


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())
