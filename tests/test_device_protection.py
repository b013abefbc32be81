"""The device protection registry (issue 20): the phone tells the server how it guards its offline
data; the admin's list of devices shows it; revocation works as before."""

from __future__ import annotations

from backend.auth.models import Device
from tests.admin_support import events, new_client
from tests.support import login, user_named


def test_the_phone_says_how_it_is_protected_and_the_admin_sees_it(client, demo, db) -> None:
    phone = new_client(client.app, "demo-sundhedsplejerske")
    tablet = new_client(client.app, "demo-sundhedsplejerske")
    laptop = new_client(client.app, "demo-sundhedsplejerske")
    phone_id, tablet_id = phone.cookies.get("opspor_device"), tablet.cookies.get("opspor_device")
    answer = phone.post("/api/devices/current/protection", json={"method": "pin"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"device_id": phone_id, "protection": "pin"}
    assert tablet.post("/api/devices/current/protection", json={"method": "passkey"}).status_code == 200
    db.expire_all()
    assert db.get(Device, phone_id).protection == "pin" and db.get(Device, phone_id).protected_at
    assert db.get(Device, tablet_id).protection == "passkey"
    assert [(e.object_id, e.detail["method"]) for e in events(db, "device.protect")] == [
        (phone_id, "pin"),
        (tablet_id, "passkey"),
    ]
    user = user_named(db, "demo-sundhedsplejerske")
    login(client, "demo-admin")
    page = client.get(f"/admin/users/{user.id}").text
    assert page.count("Krypteret (adgangskode/PIN)") == 1 and page.count("Krypteret (nøgle)") == 1
    assert page.count("Ikke beskyttet") == 1  # the laptop
    assert laptop.cookies.get("opspor_device") in page
    # Revocation works as before on a protected device.
    assert client.post(f"/admin/users/{user.id}/devices/{phone_id}/revoke").status_code == 303
    refused = phone.post("/api/devices/current/protection", json={"method": "passkey"})
    assert refused.status_code == 401 and refused.headers["clear-site-data"] == '"cache", "storage"'


def test_a_phone_with_a_passkey_and_a_pin_is_recorded_with_both_in_either_order(client, demo, db) -> None:
    phone = new_client(client.app, "demo-sundhedsplejerske")
    tablet = new_client(client.app, "demo-sundhedsplejerske")
    phone_id, tablet_id = phone.cookies.get("opspor_device"), tablet.cookies.get("opspor_device")
    for _ in range(2):  # said again: the same
        answer = phone.post("/api/devices/current/protection", json={"methods": ["passkey", "pin"]})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"device_id": phone_id, "protection": "passkey+pin"}
    answer = tablet.post("/api/devices/current/protection", json={"methods": ["pin", "passkey", "pin"]})
    assert answer.json() == {"device_id": tablet_id, "protection": "passkey+pin"}
    db.expire_all()
    assert db.get(Device, phone_id).protection == db.get(Device, tablet_id).protection == "passkey+pin"
    assert [(e.object_id, e.detail["method"]) for e in events(db, "device.protect")] == [
        (phone_id, "passkey+pin"),
        (phone_id, "passkey+pin"),
        (tablet_id, "passkey+pin"),
    ]
    user = user_named(db, "demo-sundhedsplejerske")
    login(client, "demo-admin")
    page = client.get(f"/admin/users/{user.id}").text
    assert page.count("Krypteret (nøgle og PIN)") == 2
    assert "Krypteret (nøgle)" not in page and "Krypteret (adgangskode/PIN)" not in page
    client.post("/me/language", data={"language": "en", "next": "/"})
    english = client.get(f"/admin/users/{user.id}").text
    assert english.count("Encrypted (passkey and PIN)") == 2
    # What the phone holds now replaces what it said before (protected again with a PIN only).
    assert (
        tablet.post("/api/devices/current/protection", json={"methods": ["pin"]}).json()["protection"]
        == "pin"
    )
    assert phone.post("/api/devices/current/protection", json={"methods": ["passkey"]}).status_code == 200
    db.expire_all()
    assert (db.get(Device, tablet_id).protection, db.get(Device, phone_id).protection) == ("pin", "passkey")


def test_bad_methods_no_device_no_session_and_no_csrf_are_refused(client, demo, db) -> None:
    phone = new_client(client.app, "demo-paedagog")
    bodies = {
        "method": ({"method": "face"}, {"method": None}, {"method": ["pin"]}),
        "methods": (
            {},
            ["pin"],
            "pin",
            {"methods": []},
            {"methods": ["pin", "face"]},
            {"methods": "pin"},
            {"methods": [None]},
            {"methods": None},
            {"methods": {"pin": True}},
        ),
    }
    for field, refused_bodies in bodies.items():
        for body in refused_bodies:
            refused = phone.post("/api/devices/current/protection", json=body)
            assert refused.status_code == 422, body
            assert refused.json()["errors"][0]["field"] == field, body
            assert "'pin' eller 'passkey'" in refused.json()["detail"]
    token = phone.headers.pop("X-CSRF-Token")
    assert phone.post("/api/devices/current/protection", json={"method": "pin"}).status_code == 403
    phone.headers["X-CSRF-Token"] = token
    # Another user's device cookie is not this user's device.
    other = new_client(client.app, "demo-leder")
    other.cookies.set("opspor_device", phone.cookies.get("opspor_device"))
    assert other.post("/api/devices/current/protection", json={"method": "pin"}).status_code == 404
    stranger = new_client(client.app)
    assert stranger.post("/api/devices/current/protection", json={"method": "pin"}).status_code == 401
    assert events(db, "device.protect") == []
    db.expire_all()
    assert db.get(Device, phone.cookies.get("opspor_device")).protection is None
