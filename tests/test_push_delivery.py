"""Pushes to a real (stand-in) push service: encrypted, signed, no child data, retried, pruned."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlmodel import select

from backend.db import new_session
from backend.domain.dates import COPENHAGEN, is_working_day, today
from backend.people.models import Child, Guardian
from backend.reminders.due_work import materialise_due_work
from backend.reminders.models import PushSend, PushSubscription, ReminderDelivery
from backend.reminders.push import TTL_SECONDS, retry_after_seconds
from backend.reminders.scheduler import run_jobs
from tests.push_receiver import PushReceiver
from tests.support import free_port, login


@pytest.fixture
def receiver():
    receiver = PushReceiver()
    yield receiver
    receiver.close()


def push_morning(hour: int = 7, minute: int = 35) -> datetime:
    """The first working day from today, just after the digest time (local)."""
    day = today()
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), COPENHAGEN)


def next_push_morning(moment: datetime, hour: int = 7, minute: int = 35) -> datetime:
    """The working day after `moment`'s day, at the given local time."""
    day = moment.date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), COPENHAGEN)


def subscribe(client, receiver: PushReceiver, name: str, username: str = "demo-sundhedsplejerske") -> str:
    login(client, username)
    response = client.post("/api/push/subscriptions", json=receiver.subscription(name))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def make_tasks() -> None:
    with new_session() as session:
        materialise_due_work(session, today())
        session.commit()


def run_at(moment: datetime) -> dict:
    with time_machine.travel(moment, tick=True):
        return run_jobs(force=True)


def test_a_reminder_arrives_encrypted_signed_and_without_child_data(client, demo, db, receiver) -> None:
    make_tasks()
    subscribe(client, receiver, "hv-phone")
    moment = push_morning()
    run_at(moment)

    (item,) = receiver.of("hv-phone")
    assert item.headers["content-encoding"] == "aes128gcm"
    assert int(item.headers["ttl"]) == TTL_SECONDS
    message = receiver.decrypt(item)
    assert message["url"] == "/tasks"
    assert message["title"] == "Dagens opgaver i Opspor"
    assert "ADBB-screening" in message["body"]

    claims = receiver.verify_vapid(item)
    assert claims["aud"] == receiver.origin
    assert claims["sub"].startswith("mailto:")
    issued = moment.timestamp()
    assert issued < claims["exp"] <= issued + 24 * 3600 + 60

    plaintext = receiver.decrypt(item).__repr__() + item.body.decode("latin-1")
    for child in db.exec(select(Child)).all():
        assert child.name not in plaintext
        assert child.name.split()[0] not in plaintext
        if child.cpr:
            assert child.cpr not in plaintext and child.cpr[:6] not in plaintext
    for guardian in db.exec(select(Guardian)).all():
        assert guardian.name.split()[0] not in plaintext


def test_each_reminder_is_sent_once(client, demo, db, receiver) -> None:
    make_tasks()
    subscribe(client, receiver, "hv-phone")
    moment = push_morning()
    run_at(moment)
    run_at(moment + timedelta(minutes=5))
    run_at(moment + timedelta(hours=3))
    assert len(receiver.of("hv-phone")) == 1
    run_at(next_push_morning(moment))
    assert len(receiver.of("hv-phone")) == 2  # the next working day's overview


def test_every_device_of_the_user_gets_the_reminder(client, demo, db, receiver) -> None:
    make_tasks()
    subscribe(client, receiver, "phone")
    client.cookies.set("opspor_device", "11111111-1111-4111-8111-111111111111")
    subscribe(client, receiver, "tablet")
    run_at(push_morning())
    assert len(receiver.of("phone")) == len(receiver.of("tablet")) == 1
    assert receiver.decrypt(receiver.of("phone")[0]) == receiver.decrypt(receiver.of("tablet")[0])


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_forgot_is_removed(client, demo, db, receiver, status) -> None:
    make_tasks()
    subscription_id = subscribe(client, receiver, "old-phone")
    receiver.answer("old-phone", status)
    result = run_at(push_morning())
    assert result["push"].gone == 1
    assert db.get(PushSubscription, subscription_id) is None
    assert db.exec(select(PushSend.status)).all() == ["gone"]
    run_at(push_morning() + timedelta(minutes=10))
    assert len(receiver.of("old-phone")) == 1


def test_503_is_retried_no_sooner_than_retry_after(client, demo, db, receiver) -> None:
    make_tasks()
    subscribe(client, receiver, "hv-phone")
    receiver.answer("hv-phone", (503, {"Retry-After": "120"}))
    moment = push_morning()
    assert run_at(moment)["push"].retried == 1
    send = db.exec(select(PushSend)).one()
    assert (send.status, send.attempts, send.last_status) == ("pending", 1, 503)
    assert send.next_attempt_at >= moment.astimezone(UTC) + timedelta(seconds=120)
    run_at(moment + timedelta(seconds=60))
    assert len(receiver.of("hv-phone")) == 1  # not yet
    assert run_at(moment + timedelta(minutes=3))["push"].sent == 1
    first, second = receiver.of("hv-phone")
    assert receiver.decrypt(first) == receiver.decrypt(second)
    db.refresh(send)
    assert (send.status, send.attempts) == ("sent", 2)


def test_429_is_retried_with_backoff(client, demo, db, receiver) -> None:
    make_tasks()
    subscribe(client, receiver, "hv-phone")
    receiver.answer("hv-phone", 429, 500)
    moment = push_morning()
    run_at(moment)
    # The clock ticks while a run works (a loaded machine: seconds), so each run comes well after
    # the backoff's 60 and 120 s — yet before the next doubling.
    run_at(moment + timedelta(seconds=75))
    run_at(moment + timedelta(seconds=75 + 150))
    assert [r.name for r in receiver.received] == ["hv-phone"] * 3
    assert db.exec(select(PushSend.status)).one() == "sent"


def test_an_unreachable_push_service_is_tried_again_later(client, demo, db, receiver) -> None:
    make_tasks()
    login(client, "demo-sundhedsplejerske")
    dead = receiver.subscription("dead")
    dead["endpoint"] = f"http://127.0.0.1:{free_port()}/push/dead"
    assert client.post("/api/push/subscriptions", json=dead).status_code == 201
    moment = push_morning()
    assert run_at(moment)["push"].retried == 1
    send = db.exec(select(PushSend)).one()
    assert send.status == "pending" and send.last_error.startswith("unreachable")
    assert send.next_attempt_at >= moment.astimezone(UTC) + timedelta(seconds=60)


def test_a_push_of_an_earlier_day_is_not_sent_late(client, demo, db, receiver) -> None:
    make_tasks()
    subscribe(client, receiver, "hv-phone")
    receiver.answer("hv-phone", (503, {"Retry-After": "36000"}))
    moment = push_morning(hour=9)
    run_at(moment)
    run_at(next_push_morning(moment, hour=7, minute=10))  # before that day's digest time
    assert len(receiver.of("hv-phone")) == 1
    assert db.exec(select(PushSend.status)).one() == "failed"


def test_the_test_push_is_sent_at_once_even_at_night(client, demo, db, receiver) -> None:
    night = datetime.combine(today(), time(23, 15), COPENHAGEN)
    with time_machine.travel(night, tick=True):  # signed in at night too, so the session is fresh
        subscribe(client, receiver, "hv-phone")
        response = client.post("/api/push/test")
    assert response.status_code == 202
    (item,) = receiver.of("hv-phone")
    assert receiver.decrypt(item)["title"] == "Påmindelser er slået til"
    delivery = db.exec(select(ReminderDelivery)).one()
    assert delivery.kind == "test"


def test_the_test_push_needs_a_subscription(client, demo) -> None:
    login(client, "demo-sundhedsplejerske")
    response = client.post("/api/push/test")
    assert response.status_code == 409
    assert "Slå påmindelser til" in response.json()["detail"]


def test_an_english_user_gets_english_pushes(client, demo, db, receiver) -> None:
    make_tasks()
    subscribe(client, receiver, "hv-phone")
    client.post("/me/language", data={"language": "en", "next": "/"})
    run_at(push_morning())
    message = receiver.decrypt(receiver.of("hv-phone")[0])
    assert message["title"] == "Today's tasks in Opspor"


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("Mon, 23 Nov 2026 10:02:00 GMT", now) == 120
    assert retry_after_seconds("90", now) == 90
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_the_receiver_really_checks_what_it_is_given(receiver) -> None:
    """The stand-in push service refuses a JWT for another audience, and a wrong browser key
    cannot decrypt: its checks in the tests above can fail."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from pywebpush import webpush

    from backend.reminders.models import ServerKey
    from backend.reminders.vapid import _new_key_pair, signer

    private_value, public_value = _new_key_pair()
    vapid = signer(ServerKey(name="x", private_value=private_value, public_value=public_value))
    subscription = receiver.subscription("check")
    claims = {"sub": "mailto:opspor@demo-kommune.example", "aud": "http://127.0.0.1:1"}
    webpush(subscription, data="{}", vapid_private_key=vapid, vapid_claims=claims, ttl=60, timeout=5)
    (item,) = receiver.of("check")
    with pytest.raises(jwt.InvalidAudienceError):
        receiver.verify_vapid(item)
    receiver.browsers["check"].private_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(Exception):  # noqa: B017 - any decryption failure
        receiver.decrypt(item)
