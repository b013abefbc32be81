"""Sending pushes with pywebpush: claim, send without a transaction, record the outcome.

1. Claim (one short transaction): pending sends that are due are marked with this instance's
   id and a claim expiry. On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so two
   instances claiming at the same moment get different rows; a claimed row is skipped by
   everyone else until its claim runs out (the instance died mid-send).
2. Send (no database transaction open): RFC 8291 aes128gcm encryption and a VAPID JWT, with an
   explicit TTL and timeout, a fresh `vapid_claims` dict per call (pywebpush writes `aud` and
   `exp` into it).
   The pushes of a claimed batch go out from a small thread pool.
3. Record (one short transaction per claimed batch): `sent`; the subscription removed on 404/410;
   retried with backoff on 429/5xx (honouring Retry-After) and on unreachable endpoints;
   `failed` on other answers or after too many attempts.

Pushes other than test pushes go out only at push time (working days, 07:00–20:00) and on the
day they were made: a day-old overview is not worth waking a phone for.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from uuid import uuid4

import requests
from pywebpush import WebPushException, webpush
from sqlalchemy import Engine, delete, or_, update
from sqlmodel import Session, select

from backend import metrics
from backend.config import get_settings
from backend.db import get_engine, new_session, utcnow
from backend.domain import schedules
from backend.domain.dates import COPENHAGEN
from backend.domain.numbers import is_digits
from backend.reminders.models import PushSend, PushSubscription, ReminderDelivery
from backend.reminders.vapid import ensure_vapid_key, signer

log = logging.getLogger("opspor.push")

INSTANCE_ID = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid4().hex[:8]}"
CLAIM_BATCH = 16
SEND_WORKERS = 8  # pushes of a claimed batch go out side by side (network latency overlaps)
CLAIM_SECONDS = 300
TTL_SECONDS = 12 * 3600  # an offline phone still gets the morning's overview in the afternoon
TIMEOUT = (5, 10)  # connect, read (seconds)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Claimed:
    send_id: str
    subscription_id: str
    endpoint: str
    p256dh: str
    auth: str
    kind: str
    title: str
    body: str
    url: str
    made_at: datetime
    attempts: int


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | retry | gone | failed
    http_status: int | None = None
    error: str = ""
    retry_after: float | None = None


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    gone: int = 0
    failed: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome.status == "sent":
            self.sent += 1
        elif outcome.status == "retry":
            self.retried += 1
        elif outcome.status == "gone":
            self.gone += 1
        else:
            self.failed += 1


def vapid_subject() -> str:
    """The VAPID `sub`: a mailto: the push services can write to about this server."""
    settings = get_settings()
    sender = settings.smtp_from.strip()
    if "@" in sender and "." in sender.rsplit("@", 1)[1]:
        return f"mailto:{sender}"
    host = urlsplit(settings.base_url).hostname or "localhost"
    return (
        f"mailto:opspor@{host}"
        if "." in host and not host.replace(".", "").isdigit()
        else "mailto:opspor@localhost"
    )


def payload(item: Claimed) -> str:
    """What the phone decrypts: a title, counts and a link — nothing about a child."""
    return json.dumps(
        {"title": item.title, "body": item.body, "url": item.url, "tag": f"opspor-{item.kind}"},
        ensure_ascii=False,
    )


def send_pending(
    engine: Engine | None = None,
    now: datetime | None = None,
    *,
    instance: str = INSTANCE_ID,
    max_batches: int = 1000,
    http: requests.Session | None = None,
) -> SendResult:
    """Send every due pending push (in claimed batches) and record the outcomes."""
    engine = engine or get_engine()
    result = SendResult()
    with new_session(engine) as db:
        key = ensure_vapid_key(db)
        db.commit()
    vapid = signer(key)
    own_http = http is None
    http = http or requests.Session()

    try:
        with ThreadPoolExecutor(max_workers=SEND_WORKERS, thread_name_prefix="push") as pool:
            for _batch in range(max_batches):
                moment = now or utcnow()
                claimed = claim(engine, instance, moment)
                if not claimed:
                    break
                outcomes = list(pool.map(lambda item: deliver(item, vapid, http, moment), claimed))  # noqa: B023
                record(engine, list(zip(claimed, outcomes, strict=True)), instance, now or utcnow())
                for outcome in outcomes:
                    result.count(outcome)
                    metrics.push_delivery(
                        outcome.status if outcome.status in ("sent", "retry", "gone") else "failed"
                    )
    finally:
        if own_http:
            http.close()
    return result


def claim(engine: Engine, instance: str, now: datetime, limit: int | None = None) -> list[Claimed]:
    """Mark up to `limit` due sends as this instance's, in one short transaction."""
    with new_session(engine) as db:
        query = (
            select(PushSend.id)
            .join(ReminderDelivery, ReminderDelivery.id == PushSend.delivery_id)
            .where(
                PushSend.status == "pending",
                PushSend.next_attempt_at <= now,
                or_(PushSend.claimed_until.is_(None), PushSend.claimed_until < now),
            )
            .order_by(PushSend.next_attempt_at)
            .limit(limit or CLAIM_BATCH)
            .with_for_update(of=PushSend, skip_locked=True)
        )
        if not schedules.is_push_time(now.astimezone(COPENHAGEN)):
            query = query.where(ReminderDelivery.kind == "test")
        ids = list(db.exec(query).all())
        if not ids:
            db.rollback()
            return []
        db.execute(
            update(PushSend)
            .where(PushSend.id.in_(ids))
            .values(
                claimed_by=instance,
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                attempts=PushSend.attempts + 1,
            )
        )
        rows = db.exec(
            select(PushSend, ReminderDelivery, PushSubscription)
            .join(ReminderDelivery, ReminderDelivery.id == PushSend.delivery_id)
            .outerjoin(PushSubscription, PushSubscription.id == PushSend.subscription_id)
            .where(PushSend.id.in_(ids))
        ).all()
        db.commit()
    claimed = []
    for send, delivery, subscription in rows:
        claimed.append(
            Claimed(
                send_id=send.id,
                subscription_id=send.subscription_id,
                endpoint=subscription.endpoint if subscription else "",
                p256dh=subscription.p256dh if subscription else "",
                auth=subscription.auth if subscription else "",
                kind=delivery.kind,
                title=delivery.title,
                body=delivery.body,
                url=delivery.url,
                made_at=delivery.created_at,
                attempts=send.attempts,
            )
        )
    return claimed


def deliver(item: Claimed, vapid, http: requests.Session, now: datetime) -> Outcome:
    """One push over the network; no database work here."""
    if not item.endpoint:
        return Outcome("gone", error="subscription removed")
    if (
        item.kind != "test"
        and item.made_at.astimezone(COPENHAGEN).date() != now.astimezone(COPENHAGEN).date()
    ):
        return Outcome("failed", error="expired: made on an earlier day")
    try:
        response = webpush(
            subscription_info={"endpoint": item.endpoint, "keys": {"p256dh": item.p256dh, "auth": item.auth}},
            data=payload(item),
            vapid_private_key=vapid,
            vapid_claims={"sub": vapid_subject()},  # a new dict per call
            content_encoding="aes128gcm",
            ttl=TTL_SECONDS,
            timeout=TIMEOUT,
            headers={"Urgency": "normal"},
            requests_session=http,
        )
        return Outcome("sent", http_status=response.status_code)
    except WebPushException as error:
        return _answered(error)
    except requests.RequestException as error:
        return Outcome("retry", error=f"unreachable: {type(error).__name__}")
    except Exception as error:
        log.warning("push to %s failed: %s", urlsplit(item.endpoint).hostname, type(error).__name__)
        return Outcome("failed", error=f"{type(error).__name__}: {error}"[:300])


def _answered(error: WebPushException) -> Outcome:
    response = error.response
    status = response.status_code if response is not None else None
    if status in (404, 410):
        return Outcome("gone", http_status=status, error="subscription expired")
    if status is not None and (status == 429 or status >= 500):
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return Outcome("retry", http_status=status, error=f"HTTP {status}", retry_after=retry_after)
    return Outcome("failed", http_status=status, error=f"HTTP {status}")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if is_digits(value):
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or utcnow())).total_seconds())


def record(engine: Engine, outcomes: list[tuple[Claimed, Outcome]], instance: str, now: datetime) -> None:
    """Store what happened to a batch of sends (one short transaction)."""
    with new_session(engine) as db:
        for item, outcome in outcomes:
            _record_one(db, item, outcome, instance, now)
        db.commit()


def _record_one(db: Session, item: Claimed, outcome: Outcome, instance: str, now: datetime) -> None:
    values: dict = {
        "claimed_by": None,
        "claimed_until": None,
        "last_status": outcome.http_status,
        "last_error": outcome.error[:300],
    }
    if outcome.status == "sent":
        values.update(status="sent", sent_at=now)
    elif outcome.status == "retry" and item.attempts < MAX_ATTEMPTS:
        delay = schedules.retry_delay(item.attempts, outcome.retry_after)
        values.update(status="pending", next_attempt_at=now + delay)
    elif outcome.status == "gone":
        values.update(status="gone")
    else:
        values.update(status="failed")
    db.execute(
        update(PushSend).where(PushSend.id == item.send_id, PushSend.claimed_by == instance).values(**values)
    )
    if outcome.status == "sent":
        db.execute(
            update(PushSubscription)
            .where(PushSubscription.id == item.subscription_id)
            .values(last_sent_at=now)
        )
    if outcome.status == "gone":
        forget_subscription(db, item.subscription_id)


def forget_subscription(db: Session, subscription_id: str) -> None:
    """Remove a subscription the push service no longer knows, and its pending sends."""
    db.execute(
        update(PushSend)
        .where(PushSend.subscription_id == subscription_id, PushSend.status == "pending")
        .values(status="gone", claimed_by=None, claimed_until=None)
    )
    db.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))


def forget_device_subscriptions(db: Session, user_id: str | None, device_id: str | None) -> None:
    """No more pushes to a device: at sign-out (the next user of a shared phone must not get
    this user's reminders) and when an admin revokes the device (`user_id` None: anyone's)."""
    if not device_id:
        return
    query = select(PushSubscription.id).where(PushSubscription.device_id == device_id)
    if user_id is not None:
        query = query.where(PushSubscription.user_id == user_id)
    for subscription_id in db.exec(query).all():
        forget_subscription(db, subscription_id)


#: Reminders older than this are forgotten (what was sent when is not kept for ever).
KEEP_DELIVERIES = timedelta(days=60)


def forget_old_deliveries(db: Session, now: datetime) -> int:
    """Delete deliveries (and their sends) made more than `KEEP_DELIVERIES` ago."""
    too_old = ReminderDelivery.created_at < now - KEEP_DELIVERIES
    db.execute(delete(PushSend).where(PushSend.delivery_id.in_(select(ReminderDelivery.id).where(too_old))))
    return db.execute(delete(ReminderDelivery).where(too_old)).rowcount
