"""The contract's push routes: the VAPID key, storing and removing a device's subscription."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from backend.audit import AuditEvent
from backend.db import make_engine, new_session
from backend.reminders.models import PushSubscription, ServerKey
from backend.reminders.vapid import b64url_decode, ensure_vapid_key
from tests.push_receiver import PushReceiver
from tests.support import login, user_named

DEVICE = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def receiver():
    receiver = PushReceiver()
    yield receiver
    receiver.close()


def test_push_routes_need_a_signed_in_user(client, demo, receiver) -> None:
    assert client.get("/api/push/vapid-public-key").status_code == 401
    assert client.post("/api/push/subscriptions", json=receiver.subscription("a")).status_code == 401
    assert client.request("DELETE", "/api/push/subscriptions", json={"endpoint": "x"}).status_code == 401
    assert client.post("/api/push/test").status_code == 401


def test_unsafe_push_routes_need_the_csrf_token(client, demo, db, receiver) -> None:
    login(client, "demo-paedagog")
    token = client.headers.pop("X-CSRF-Token")
    subscription = receiver.subscription("a")
    assert client.post("/api/push/subscriptions", json=subscription).status_code == 403
    assert (
        client.post("/api/push/subscriptions", json=subscription, headers={"X-CSRF-Token": token}).status_code
        == 201
    )
    body = {"endpoint": subscription["endpoint"]}
    assert client.request("DELETE", "/api/push/subscriptions", json=body).status_code == 403
    assert db.exec(select(PushSubscription)).one() is not None


def test_the_vapid_public_key_is_made_at_start_and_stays_the_same(client, demo, db, app_env) -> None:
    stored = db.exec(select(ServerKey)).one()  # made when the app started
    login(client, "demo-paedagog")
    first = client.get("/api/push/vapid-public-key").json()["public_key"]
    assert first == stored.public_value
    raw = b64url_decode(first)
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point
    other_instance = make_engine(app_env)
    with new_session(other_instance) as session:
        assert ensure_vapid_key(session).public_value == first
    other_instance.dispose()


def test_instances_starting_at_once_agree_on_one_key(app_env, db) -> None:
    barrier = threading.Barrier(2)
    keys: list[str] = []

    def start() -> None:
        engine = make_engine(app_env)
        with new_session(engine) as session:
            barrier.wait()
            keys.append(ensure_vapid_key(session).public_value)
            session.commit()
        engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(db.exec(select(ServerKey)).all()) == 1


def test_a_subscription_is_stored_for_the_user_and_device(client, demo, db, receiver) -> None:
    login(client, "demo-sundhedsplejerske")
    subscription = receiver.subscription("phone")
    client.cookies.set("opspor_device", DEVICE)  # the device is the server-issued cookie's (L-6)
    response = client.post("/api/push/subscriptions", json=subscription)
    assert response.status_code == 201
    stored = db.exec(select(PushSubscription)).one()
    assert stored.user_id == user_named(db, "demo-sundhedsplejerske").id
    assert (stored.device_id, stored.endpoint, stored.p256dh) == (
        DEVICE,
        subscription["endpoint"],
        subscription["keys"]["p256dh"],
    )
    again = client.post("/api/push/subscriptions", json=subscription)
    assert again.status_code == 201
    db.expire_all()
    assert len(db.exec(select(PushSubscription)).all()) == 1
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.object_type == "push_subscription")).all()
    assert actions == ["push.subscribe", "push.subscribe"]


def test_a_new_subscription_on_the_same_device_replaces_the_old_one(client, demo, db, receiver) -> None:
    login(client, "demo-sundhedsplejerske")
    headers = {"X-Opspor-Device": DEVICE}
    client.post("/api/push/subscriptions", json=receiver.subscription("old"), headers=headers)
    client.post("/api/push/subscriptions", json=receiver.subscription("new"), headers=headers)
    assert [s.endpoint.rsplit("/", 1)[1] for s in db.exec(select(PushSubscription)).all()] == ["new"]


def test_a_device_that_changes_hands_pushes_only_to_the_new_user(client, demo, db, receiver) -> None:
    subscription = receiver.subscription("shared")
    login(client, "demo-sundhedsplejerske")
    client.post("/api/push/subscriptions", json=subscription)
    client.delete("/api/session")
    login(client, "demo-dagplejer")
    assert client.post("/api/push/subscriptions", json=subscription).status_code == 201
    db.expire_all()
    (stored,) = db.exec(select(PushSubscription)).all()
    assert stored.user_id == user_named(db, "demo-dagplejer").id


def test_unsubscribing_removes_only_the_callers_own_subscription(client, demo, db, receiver) -> None:
    mine, theirs = receiver.subscription("mine"), receiver.subscription("theirs")
    login(client, "demo-dagplejer")
    client.post("/api/push/subscriptions", json=theirs)
    client.cookies.clear()  # another phone, without signing out
    login(client, "demo-sundhedsplejerske")
    client.post("/api/push/subscriptions", json=mine)
    other = client.request("DELETE", "/api/push/subscriptions", json={"endpoint": theirs["endpoint"]})
    assert other.status_code == 404
    gone = client.request("DELETE", "/api/push/subscriptions", json={"endpoint": mine["endpoint"]})
    assert gone.status_code == 204
    db.expire_all()
    assert [s.endpoint for s in db.exec(select(PushSubscription)).all()] == [theirs["endpoint"]]
    again = client.request("DELETE", "/api/push/subscriptions", json={"endpoint": mine["endpoint"]})
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"endpoint": "https://evil.example/steal"}, "endpoint", "Adressen er ikke en kendt push-tjeneste."),
        (
            {"endpoint": "http://fcm.googleapis.com/fcm/send/x"},
            "endpoint",
            "Adressen er ikke en kendt push-tjeneste.",
        ),
        ({"endpoint": "http://10.0.0.5/push"}, "endpoint", "Adressen er ikke en kendt push-tjeneste."),
        (
            {"keys": {"p256dh": "AAAA", "auth": "c2VjcmV0c2VjcmV0MTIzNA"}},
            "keys.p256dh",
            "Er ikke en gyldig offentlig nøgle.",
        ),
        ({"keys": {"p256dh": None, "auth": "x"}}, "keys.p256dh", "Skal være tekst."),
        ({"keys": None}, "keys", "Skal være et objekt."),
        ({"endpoint": None}, "endpoint", "Skal være tekst."),
        ({"endpoint": "x" * 2001}, "endpoint", "Teksten er for lang."),
    ],
)
def test_bad_subscriptions_get_danish_field_errors(
    client, demo, db, receiver, change, field, message
) -> None:
    login(client, "demo-sundhedsplejerske")
    body = {**receiver.subscription("x"), **change}
    response = client.post("/api/push/subscriptions", json=body)
    assert response.status_code == 422
    assert {"field": field, "message": message} in response.json()["errors"]
    assert db.exec(select(PushSubscription)).first() is None


def test_a_wrong_sized_auth_secret_is_refused(client, demo, receiver) -> None:
    login(client, "demo-sundhedsplejerske")
    body = receiver.subscription("x")
    body["keys"]["auth"] = "c2hvcnQ"
    response = client.post("/api/push/subscriptions", json=body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "keys.auth", "message": "Er ikke en gyldig godkendelsesnøgle."}
    ]


def test_known_push_services_are_accepted(client, demo, receiver) -> None:
    login(client, "demo-sundhedsplejerske")
    keys = receiver.subscription("x")["keys"]
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx",
        "https://wns2-db5p.notify.windows.com/w/?token=abc",
    ):
        response = client.post("/api/push/subscriptions", json={"endpoint": endpoint, "keys": keys})
        assert response.status_code == 201, endpoint


def test_unsubscribe_needs_an_endpoint(client, demo) -> None:
    login(client, "demo-sundhedsplejerske")
    response = client.request("DELETE", "/api/push/subscriptions", json={})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "endpoint", "message": "Skal udfyldes."}]


def test_signing_out_stops_pushes_to_that_device(client, demo, db, receiver) -> None:
    login(client, "demo-dagplejer")
    client.cookies.set("opspor_device", DEVICE)
    client.post("/api/push/subscriptions", json=receiver.subscription("other-phone"))
    client.delete("/api/session")
    client.cookies.clear()
    login(client, "demo-sundhedsplejerske")
    client.post("/api/push/subscriptions", json=receiver.subscription("shared-phone"))
    assert len(db.exec(select(PushSubscription)).all()) == 2
    assert client.delete("/api/session").status_code == 204
    db.expire_all()
    (left,) = db.exec(select(PushSubscription)).all()
    assert left.endpoint.endswith("/other-phone")  # another user's phone is not touched


def test_the_settings_page_knows_which_browsers_are_subscribed(client, demo, receiver) -> None:
    import hashlib

    login(client, "demo-sundhedsplejerske")
    subscription = receiver.subscription("phone")
    client.post("/api/push/subscriptions", json=subscription)
    page = client.get("/me/reminders").text
    assert hashlib.sha256(subscription["endpoint"].encode()).hexdigest() in page
    assert subscription["endpoint"] not in page  # the endpoint itself is a secret of the browser
    assert "Påmindelser er slået til på 1 enhed." in page


def test_the_service_worker_has_the_push_handlers(client) -> None:
    source = client.get("/sw.js").text
    assert 'addEventListener("push"' in source and 'addEventListener("notificationclick"' in source
