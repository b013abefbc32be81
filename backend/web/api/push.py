"""Web push: the VAPID public key, storing and removing a device's subscription, a test push."""

from __future__ import annotations

import hashlib
import ipaddress
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from backend.people.models import new_id
from backend.reminders import messages
from backend.reminders.models import PushSubscription, ReminderDelivery
from backend.reminders.planner import queue_sends
from backend.reminders.push import forget_subscription, send_pending
from backend.reminders.vapid import b64url_decode, public_key
from backend.web.context import SignedIn
from backend.web.errors import error_json

router = APIRouter(prefix="/api/push", tags=["push"])

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


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class SubscriptionIn(BaseModel):
    """The browser's `PushSubscription.toJSON()`."""

    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=1, max_length=2000)
    expirationTime: float | None = None
    keys: SubscriptionKeys


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=1, max_length=2000)


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
    return "Adressen er ikke en kendt push-tjeneste."


def key_problems(keys: SubscriptionKeys) -> list[dict[str, str]]:
    problems = []
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(keys.p256dh))
    except (ValueError, TypeError):
        problems.append({"field": "keys.p256dh", "message": "Er ikke en gyldig offentlig nøgle."})
    try:
        auth_ok = len(b64url_decode(keys.auth)) == 16
    except (ValueError, TypeError):
        auth_ok = False
    if not auth_ok:
        problems.append({"field": "keys.auth", "message": "Er ikke en gyldig godkendelsesnøgle."})
    return problems


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


@router.get("/vapid-public-key")
def vapid_public_key(ctx: SignedIn) -> dict:
    """The server's VAPID public key (base64url), for `pushManager.subscribe`."""
    return {"public_key": public_key(ctx.db)}


@router.post("/subscriptions", status_code=201, responses={401: {}, 403: {}, 422: {}})
def subscribe(ctx: SignedIn, subscription: SubscriptionIn) -> Response:
    """Store this device's push subscription for the signed-in user."""
    problems = key_problems(subscription.keys)
    if problem := endpoint_problem(subscription.endpoint, ctx.settings.base_url):
        problems.insert(0, {"field": "endpoint", "message": problem})
    if problems:
        return error_json(422, "Påmindelser kunne ikke slås til for denne enhed.", problems)
    digest = endpoint_hash(subscription.endpoint)
    stored = ctx.db.exec(select(PushSubscription).where(PushSubscription.endpoint_hash == digest)).first()
    if stored is not None and stored.user_id != ctx.user.id:
        forget_subscription(ctx.db, stored.id)  # the device now belongs to another user
        stored = None
    _forget_older_on_device(ctx, digest)
    if stored is None:
        stored = PushSubscription(
            user_id=ctx.user.id, endpoint=subscription.endpoint, endpoint_hash=digest, p256dh="", auth=""
        )
    stored.p256dh, stored.auth = subscription.keys.p256dh, subscription.keys.auth
    stored.device_id = ctx.device_id
    stored.user_agent = ctx.request.headers.get("user-agent", "")[:300]
    ctx.db.add(stored)
    ctx.db.flush()
    ctx.audit.add("push.subscribe", "push_subscription", stored.id, None, device_id=ctx.device_id)
    return JSONResponse({"id": stored.id, "device_id": stored.device_id}, status_code=201)


def _forget_older_on_device(ctx: SignedIn, keep_hash: str) -> None:
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


@router.delete("/subscriptions", status_code=204, responses={401: {}, 403: {}, 404: {}, 422: {}})
def unsubscribe(ctx: SignedIn, body: EndpointIn) -> Response:
    """Remove one of the signed-in user's subscriptions (body: `{"endpoint"}`)."""
    stored = ctx.db.exec(
        select(PushSubscription).where(
            PushSubscription.endpoint_hash == endpoint_hash(body.endpoint),
            PushSubscription.user_id == ctx.user.id,
        )
    ).first()
    if stored is None:
        return error_json(404, "Påmindelser er ikke slået til for denne enhed.")
    forget_subscription(ctx.db, stored.id)
    ctx.audit.add("push.unsubscribe", "push_subscription", stored.id, None, device_id=ctx.device_id)
    return Response(status_code=204)


@router.post("/test", status_code=202, responses={401: {}, 403: {}, 409: {}})
def test_push(ctx: SignedIn, background: BackgroundTasks) -> Response:
    """Send a test push to the signed-in user's devices (right away, after the response)."""
    subscribed = ctx.db.exec(
        select(PushSubscription.id).where(PushSubscription.user_id == ctx.user.id)
    ).first()
    if subscribed is None:
        return error_json(409, "Slå påmindelser til på denne enhed først.")
    with messages.in_language(ctx.language):
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
    background.add_task(send_pending, max_batches=5)
    return JSONResponse({"queued": True}, status_code=202)
