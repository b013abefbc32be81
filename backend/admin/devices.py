"""The devices that hold a user's offline data, and revoking them (domain §7).

A revoked device is refused on its next contact, and told to wipe what it holds: the request
context checks every request's device id (`backend/web/context.py`), answers 401 with
`Clear-Site-Data: "cache", "storage"` and forgets the device cookie. The revoked id stays revoked
for ever; signing in again from that browser creates a new device.
"""

from __future__ import annotations

from sqlmodel import Session, delete, select

from backend.admin.base import AdminContext, AdminError
from backend.auth.models import Device, WebSession
from backend.db import utcnow
from backend.domain.messages import N_
from backend.people.models import User
from backend.reminders.push import forget_device_subscriptions


def devices_of(db: Session, user_id: str) -> list[Device]:
    query = select(Device).where(Device.user_id == user_id)
    return list(db.exec(query.order_by(Device.last_seen_at.desc())))


def revoke_device(ctx: AdminContext, device: Device) -> None:
    if device.revoked_at is not None:
        raise AdminError(N_("Apparatet er allerede spærret."))
    _revoke(ctx, device)


def revoke_all_devices(ctx: AdminContext, user: User) -> int:
    devices = [device for device in devices_of(ctx.db, user.id) if device.revoked_at is None]
    for device in devices:
        _revoke(ctx, device)
    return len(devices)


def _revoke(ctx: AdminContext, device: Device) -> None:
    device.revoked_at = utcnow()
    device.revoked_by_id = ctx.user.id if ctx.user else None
    ctx.db.add(device)
    ctx.db.exec(
        delete(WebSession).where(WebSession.user_id == device.user_id, WebSession.device_id == device.id)
    )
    forget_device_subscriptions(ctx.db, None, device.id)  # a revoked phone gets no more pushes
    ctx.audit.add("device.revoke", "device", device.id, user_id=device.user_id)


def device_of(db: Session, user: User, device_id: str) -> Device | None:
    """One of the user's devices (None for any other id)."""
    device = db.get(Device, device_id) if device_id and len(device_id) <= 36 else None
    return device if device is not None and device.user_id == user.id else None
