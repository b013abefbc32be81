"""Web push: the VAPID public key, storing and removing a device's subscription, a test push.
The allow-list of push services and the subscription rules: `backend/reminders/subscriptions.py`."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from backend.reminders import subscriptions
from backend.reminders.push import send_pending
from backend.reminders.vapid import public_key
from backend.web.context import SignedIn
from backend.web.errors import error_json

router = APIRouter(prefix="/api/push", tags=["push"])


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


@router.get("/vapid-public-key")
def vapid_public_key(ctx: SignedIn) -> dict:
    """The server's VAPID public key (base64url), for `pushManager.subscribe`."""
    return {"public_key": public_key(ctx.db)}


@router.post("/subscriptions", status_code=201, responses={401: {}, 403: {}, 422: {}})
def subscribe(ctx: SignedIn, subscription: SubscriptionIn) -> Response:
    """Store this device's push subscription for the signed-in user."""
    new = subscriptions.NewSubscription(
        endpoint=subscription.endpoint,
        p256dh=subscription.keys.p256dh,
        auth=subscription.keys.auth,
        user_agent=ctx.request.headers.get("user-agent", ""),
    )
    if problems := subscriptions.subscription_problems(new, ctx.settings.base_url):
        return error_json(422, "Påmindelser kunne ikke slås til for denne enhed.", problems)
    stored = subscriptions.subscribe(ctx, new)
    return JSONResponse({"id": stored.id, "device_id": stored.device_id}, status_code=201)


@router.delete("/subscriptions", status_code=204, responses={401: {}, 403: {}, 404: {}, 422: {}})
def unsubscribe(ctx: SignedIn, body: EndpointIn) -> Response:
    """Remove one of the signed-in user's subscriptions (body: `{"endpoint"}`)."""
    if not subscriptions.unsubscribe(ctx, body.endpoint):
        return error_json(404, "Påmindelser er ikke slået til for denne enhed.")
    return Response(status_code=204)


@router.post("/test", status_code=202, responses={401: {}, 403: {}, 409: {}})
def test_push(ctx: SignedIn, background: BackgroundTasks) -> Response:
    """Send a test push to the signed-in user's devices (right away, after the response)."""
    if not subscriptions.queue_test_push(ctx, ctx.language):
        return error_json(409, "Slå påmindelser til på denne enhed først.")
    background.add_task(send_pending, max_batches=5)
    return JSONResponse({"queued": True}, status_code=202)
