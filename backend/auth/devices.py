"""The phones and browsers people sign in from, as every request sees them: a revoked device is
refused (and told to wipe its data), a known device's last contact is kept. Revoking is the
admin's (`backend/admin/devices.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.models import Device
from backend.db import utcnow
from backend.people.models import User

#: How often a device's last contact is written (at most once a minute, not at every request).
TOUCH_EVERY = timedelta(seconds=60)


class RevokedDevice(Exception):
    """The request names a device an admin revoked."""


def is_revoked(db: Session, device_id: str | None) -> Device | None:
    """The device when it is revoked, else None (unknown ids are not revoked)."""
    if not device_id:
        return None
    device = db.get(Device, device_id)
    return device if device is not None and device.revoked_at is not None else None


def named_devices(db: Session, device_ids: set[str]) -> dict[str, Device]:
    """The known devices among the ids a request names, by id, in one query."""
    if not device_ids:
        return {}
    return {d.id: d for d in db.exec(select(Device).where(Device.id.in_(sorted(device_ids))))}


def check_devices(
    db: Session,
    claimed: set[str],
    device_id: str | None,
    user: User | None,
    now: datetime | None = None,
    known: dict[str, Device] | None = None,
) -> None:
    """RevokedDevice when any device the request names (cookie or header) is revoked; else the
    signed-in user's own device (the cookie's) has its last contact kept. One query for
    all of them, none when `known` already holds the known devices among them (read with the
    session, `sessions.load_signed_in`)."""
    named = claimed | ({device_id} if device_id else set())
    devices = known if known is not None else named_devices(db, named)
    if any(device.revoked_at is not None for device in devices.values()):
        raise RevokedDevice
    if user is None or device_id is None:
        return
    device = devices.get(device_id)
    now = now or utcnow()
    if device is not None and device.user_id == user.id and now - device.last_seen_at > TOUCH_EVERY:
        device.last_seen_at = now
        db.add(device)


def note_wipe(db: Session, device_id: str | None, ip: str, path: str) -> bool:
    """A revoked device made contact and was told to wipe its data: remember it (audited, in a
    transaction of its own). False when the device is not a revoked one."""
    device = is_revoked(db, device_id)
    if device is None:
        return False
    device.wiped_at = utcnow()
    db.add(device)
    trail = AuditTrail(actor_id=device.user_id, device_id=device.id, ip=ip)
    trail.add("device.wipe", "device", device.id, path=path[:200])
    trail.flush(db)
    db.commit()
    return True


def note_protection(
    db: Session, audit: AuditTrail, user: User, device_id: str | None, protection: str
) -> Device | None:
    """The signed-in user's own device (the cookie's) now guards its offline data with the
    methods `protection` names (`backend.domain.protection.protection_of`: what the phone holds
    now, replacing what it said before; audited `device.protect`); None when the request names
    no device of this user's."""
    device = db.get(Device, device_id) if device_id else None
    if device is None or device.user_id != user.id or device.revoked_at is not None:
        return None
    device.protection = protection
    device.protected_at = utcnow()
    db.add(device)
    audit.add("device.protect", "device", device.id, method=protection)
    return device
