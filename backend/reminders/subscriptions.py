"""A user's devices for web push and their reminder settings: which push services a browser's
subscription may point at (an allow-list, so the server cannot be made to post to arbitrary
addresses), storing one subscription per user and device, removing it, and a test push."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.domain.messages import N_
from backend.people.models import User, new_id
from backend.reminders import messages
from backend.reminders.models import PushSubscription, ReminderDelivery
from backend.reminders.planner import queue_sends
from backend.reminders.preferences import ReminderPreferences
from backend.reminders.push import forget_subscription
from backend.reminders.vapid import b64url_decode

#: Push services a browser's subscription may point at (https only). Anything else is refused,
#: so the server cannot be made to post to arbitrary addresses.
PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.services.mozilla.com",
    "web.push.apple.com",
    ".push.apple.com",
    ".notify.windows.com",
)


class PushContext(Protocol):
    """The request context satisfies this."""

    db: Session
    audit: AuditTrail
    user: User
    device_id: str | None


@dataclass
class NewSubscription:
    endpoint: str
    p256dh: str
    auth: str
    user_agent: str = ""


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def endpoint_problem(endpoint: str, base_url: str) -> str | None:
    """Why an endpoint is refused (None: accepted)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and any(
        host == known or (known.startswith(".") and host.endswith(known)) for known in PUSH_SERVICE_HOSTS
    ):
        return None
    if parts.scheme in ("http", "https") and _is_loopback(host) and _is_loopback(urlsplit(base_url).hostname):
        return None  # a local installation (and the tests' stand-in push service)
    return N_("Adressen er ikke en kendt push-tjeneste.")


def key_problems(p256dh: str, auth: str) -> list[dict[str, str]]:
    problems = []
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except (ValueError, TypeError):
        problems.append({"field": "keys.p256dh", "message": N_("Er ikke en gyldig offentlig nøgle.")})
    try:
        auth_ok = len(b64url_decode(auth)) == 16
    except (ValueError, TypeError):
        auth_ok = False
    if not auth_ok:
        problems.append({"field": "keys.auth", "message": N_("Er ikke en gyldig godkendelsesnøgle.")})
    return problems


def subscription_problems(new: NewSubscription, base_url: str) -> list[dict[str, str]]:
    """Field errors (Danish) for a subscription that cannot be stored; empty when it can."""
    problems = key_problems(new.p256dh, new.auth)
    if problem := endpoint_problem(new.endpoint, base_url):
        problems.insert(0, {"field": "endpoint", "message": problem})
    return problems


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def subscribe(ctx: PushContext, new: NewSubscription) -> PushSubscription:
    """Store this device's subscription for the user (checked with `subscription_problems`
    first). An endpoint another user had moves to this one; a device keeps one per user."""
    digest = endpoint_hash(new.endpoint)
    stored = ctx.db.exec(select(PushSubscription).where(PushSubscription.endpoint_hash == digest)).first()
    if stored is not None and stored.user_id != ctx.user.id:
        forget_subscription(ctx.db, stored.id)  # the device now belongs to another user
        stored = None
    _forget_older_on_device(ctx, digest)
    if stored is None:
        stored = PushSubscription(
            user_id=ctx.user.id, endpoint=new.endpoint, endpoint_hash=digest, p256dh="", auth=""
        )
    stored.p256dh, stored.auth = new.p256dh, new.auth
    stored.device_id = ctx.device_id
    stored.user_agent = new.user_agent[:300]
    ctx.db.add(stored)
    ctx.db.flush()
    ctx.audit.add("push.subscribe", "push_subscription", stored.id, None, device_id=ctx.device_id)
    return stored


def _forget_older_on_device(ctx: PushContext, keep_hash: str) -> None:
    """A device has one subscription per user: a new one replaces the device's older one."""
    if not ctx.device_id:
        return
    for older in ctx.db.exec(
        select(PushSubscription).where(
            PushSubscription.user_id == ctx.user.id,
            PushSubscription.device_id == ctx.device_id,
            PushSubscription.endpoint_hash != keep_hash,
        )
    ).all():
        forget_subscription(ctx.db, older.id)


def unsubscribe(ctx: PushContext, endpoint: str) -> bool:
    """Remove one of the user's subscriptions; False when the user has none at `endpoint`."""
    stored = ctx.db.exec(
        select(PushSubscription).where(
            PushSubscription.endpoint_hash == endpoint_hash(endpoint),
            PushSubscription.user_id == ctx.user.id,
        )
    ).first()
    if stored is None:
        return False
    forget_subscription(ctx.db, stored.id)
    ctx.audit.add("push.unsubscribe", "push_subscription", stored.id, None, device_id=ctx.device_id)
    return True


def queue_test_push(ctx: PushContext, language: str) -> bool:
    """A test push to each of the user's devices (sent by the caller after the response);
    False when the user has no device subscribed."""
    subscribed = ctx.db.exec(
        select(PushSubscription.id).where(PushSubscription.user_id == ctx.user.id)
    ).first()
    if subscribed is None:
        return False
    with messages.in_language(language):
        text = messages.sample_text()
    delivery = ReminderDelivery(
        user_id=ctx.user.id,
        key=f"test:{new_id()}",
        kind="test",
        title=text.title,
        body=text.body,
        url=text.url,
    )
    ctx.db.add(delivery)
    ctx.db.flush()
    queue_sends(ctx.db, delivery.id, ctx.user.id)
    ctx.audit.add("push.test", "reminder_delivery", delivery.id, None)
    return True


def subscribed_endpoint_hashes(db: Session, user_id: str) -> list[str]:
    """The endpoint hashes of the user's subscribed devices (the page tells whether this one is)."""
    return list(
        db.exec(select(PushSubscription.endpoint_hash).where(PushSubscription.user_id == user_id)).all()
    )


def save_preferences(db: Session, user: User, chosen: ReminderPreferences) -> None:
    user.preferences = {**user.preferences, "reminders": chosen.as_json()}
    db.add(user)
