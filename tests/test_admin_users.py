"""Units, rooms, users, roles, one-time password links, deactivation and device revocation."""

import re
from datetime import UTC, datetime

import pyotp
from sqlmodel import select

from backend.auth.models import Device, WebSession
from backend.people.models import PasswordToken, Role, RoleAssignment, Room, Unit, User
from backend.sync.scope_changes import children_left_scope
from tests.admin_support import events, new_client
from tests.support import children_of_unit, give_totp, login, unit_named, user_named


def test_admin_creates_and_edits_a_unit_with_rooms(client, db, demo) -> None:
    login(client, "demo-admin")
    created = client.post("/admin/units", data={"kind": "institution", "name": "Børnehuset Mælkebøtten"})
    assert created.status_code == 303
    unit = unit_named(db, "Børnehuset Mælkebøtten")
    assert unit.kind == "institution"
    assert client.post(f"/admin/units/{unit.id}/rooms", data={"room_name": "Stue Rød"}).status_code == 303
    duplicate = client.post(f"/admin/units/{unit.id}/rooms", data={"room_name": "stue rød"})
    assert duplicate.status_code == 422 and "allerede en stue" in duplicate.text
    renamed = client.post(f"/admin/units/{unit.id}", data={"kind": "institution", "name": "Mælkebøtten"})
    assert renamed.status_code == 303
    db.expire_all()
    assert db.get(Unit, unit.id).name == "Mælkebøtten"
    room = db.exec(select(Room).where(Room.unit_id == unit.id)).one()
    assert client.post(f"/admin/units/{unit.id}/rooms/{room.id}/delete").status_code == 303


def test_bad_unit_input_is_refused_in_danish(client, db, demo) -> None:
    login(client, "demo-admin")
    assert "Vælg enhedens type." in client.post("/admin/units", data={"kind": "", "name": "X"}).text
    taken = client.post("/admin/units", data={"kind": "childminding", "name": "dagplejen syd"})
    assert taken.status_code == 422 and "allerede en enhed med det navn" in taken.text


def test_a_room_with_children_cannot_be_removed(client, db, demo) -> None:
    login(client, "demo-admin")
    unit = unit_named(db, "Børnehuset Solsikken")
    room = db.exec(select(Room).where(Room.unit_id == unit.id)).first()
    response = client.post(f"/admin/units/{unit.id}/rooms/{room.id}/delete")
    assert response.status_code == 422 and "der er børn indskrevet" in response.text


def test_an_invited_user_sets_a_password_with_a_one_time_link(client, db, demo) -> None:
    login(client, "demo-admin")
    unit = unit_named(db, "Dagplejen Syd")
    response = client.post(
        "/admin/users",
        data={
            "display_name": "Ny Dagplejer",
            "username": "ny.dagplejer",
            "email": "ny@dagpleje.example",
            "role": "childminder",
            "unit_id": unit.id,
        },
    )
    assert response.status_code == 200
    # The link goes to the person by e-mail (issue 12, M-6), never to the admin's screen.
    assert "/set-password" not in response.text and "ny@dagpleje.example" in response.text
    link = _emailed_link(db, "ny@dagpleje.example")
    user = user_named(db, "ny.dagplejer")
    assert user.password_hash is None
    assert (
        db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).one().role == "childminder"
    )
    # The token is in the fragment (issue 12, M-4): the landing page's script posts it.
    link_token = link.split("#t=", 1)[1]
    newcomer = new_client(client.app)
    landing = newcomer.get("/set-password")
    token = re.search(r'name="csrf_token" value="([^"]+)"', landing.text).group(1)
    form = newcomer.post("/set-password/open", data={"csrf_token": token, "token": link_token})
    assert form.status_code == 200 and "Ny Dagplejer" in form.text
    path = "/set-password"
    fields = {"csrf_token": token, "token": link_token}
    short = newcomer.post(path, data=fields | {"password": "kort", "repeated": "kort"})
    assert short.status_code == 422 and "mindst 10 tegn" in short.text
    different = newcomer.post(path, data=fields | {"password": "a" * 12, "repeated": "b" * 12})
    assert different.status_code == 422 and "ikke ens" in different.text
    done = newcomer.post(path, data=fields | {"password": "hemmelig-kode-1", "repeated": "hemmelig-kode-1"})
    assert done.status_code == 200 and "Adgangskoden er gemt" in done.text
    again = newcomer.post("/set-password/open", data={"csrf_token": token, "token": link_token})
    assert again.status_code == 404  # used once
    # A new local account signs in with its password and the second factor it enrols (issue 7).
    secret = give_totp(db, user.id)
    login(newcomer, "ny.dagplejer", "hemmelig-kode-1", code=pyotp.TOTP(secret).now())
    assert newcomer.get("/api/me").json()["roles"] == [{"role": "childminder", "unit_id": unit.id}]
    assert db.exec(select(PasswordToken).where(PasswordToken.user_id == user.id)).one().used_at is not None


def _emailed_link(db, address: str) -> str:
    from backend.notify.models import OutgoingEmail

    db.expire_all()
    email = db.exec(select(OutgoingEmail).where(OutgoingEmail.to_address == address)).one()
    # The token is in the fragment (issue 12, M-4): it never reaches the server in a URL.
    return re.search(r"(http://127\.0\.0\.1/set-password#t=[A-Za-z0-9_-]+)", email.body).group(1)


def test_the_link_token_is_stored_only_as_a_hash(client, db, demo) -> None:
    login(client, "demo-admin")
    client.post("/admin/users", data={"display_name": "A B", "username": "ab", "email": "ab@example.dk"})
    token = _emailed_link(db, "ab@example.dk").split("#t=", 1)[1]
    stored = db.exec(select(PasswordToken)).one()
    assert token not in stored.id and stored.id != token


def test_bad_user_input_is_refused(client, db, demo) -> None:
    login(client, "demo-admin")
    taken = client.post("/admin/users", data={"display_name": "X", "username": "demo-leder"})
    assert taken.status_code == 422 and "Brugernavnet er optaget." in taken.text
    spaces = client.post("/admin/users", data={"display_name": "X", "username": "med mellemrum"})
    assert spaces.status_code == 422 and "ingen mellemrum" in spaces.text
    no_unit = client.post("/admin/users", data={"display_name": "X", "username": "x1", "role": "pedagogue"})
    assert no_unit.status_code == 422 and "Vælg den enhed" in no_unit.text
    db.expire_all()
    assert db.exec(select(User).where(User.username == "x1")).first() is None


def test_roles_are_given_and_taken(client, db, demo) -> None:
    since = datetime.now(UTC)
    login(client, "demo-admin")
    user = user_named(db, "demo-paedagog")
    unit = unit_named(db, "Dagplejen Syd")
    assert (
        client.post(f"/admin/users/{user.id}/roles", data={"role": "leader", "unit_id": unit.id}).status_code
        == 303
    )
    again = client.post(f"/admin/users/{user.id}/roles", data={"role": "leader", "unit_id": unit.id})
    assert again.status_code == 422 and "allerede den rolle" in again.text
    assignment = db.exec(
        select(RoleAssignment).where(RoleAssignment.user_id == user.id, RoleAssignment.unit_id == unit.id)
    ).one()
    assert client.post(f"/admin/users/{user.id}/roles/{assignment.id}/delete").status_code == 303
    removed = events(db, "user.role_removed")
    assert removed[-1].object_id == user.id and removed[-1].detail["unit_id"] == unit.id
    # The pedagogue's devices purge the childminding children at their next sync.
    left = set(children_left_scope(db, user.id, since))
    assert {c.id for c in children_of_unit(db, "Dagplejen Syd")} <= left
    assert not {c.id for c in children_of_unit(db, "Børnehuset Solsikken")} & left


def test_deactivation_ends_sessions_and_revokes_devices_at_once(client, db, demo) -> None:
    phone = new_client(client.app, "demo-dagplejer")
    assert phone.get("/api/me").status_code == 200
    user = user_named(db, "demo-dagplejer")
    login(client, "demo-admin")
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 303
    db.expire_all()
    assert db.get(User, user.id).active is False
    assert db.exec(select(WebSession).where(WebSession.user_id == user.id)).all() == []
    devices = db.exec(select(Device).where(Device.user_id == user.id)).all()
    assert devices and all(d.revoked_at is not None for d in devices)
    refused = phone.get("/api/me")
    assert refused.status_code == 401 and refused.headers["clear-site-data"] == '"cache", "storage"'
    assert (
        new_client(client.app)
        .post("/api/session", json={"username": "demo-dagplejer", "password": "demo"})
        .status_code
        == 401
    )


def test_the_last_active_admin_cannot_be_deactivated_or_lose_the_role(client, db, demo) -> None:
    login(client, "demo-admin")
    admin = user_named(db, "demo-admin")
    response = client.post(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 422
    assert "sidste aktive administrator" in response.text
    role = db.exec(select(RoleAssignment).where(RoleAssignment.user_id == admin.id)).one()
    removed = client.post(f"/admin/users/{admin.id}/roles/{role.id}/delete")
    assert removed.status_code == 422 and "sidste aktive administrator" in removed.text
    db.expire_all()
    assert db.get(User, admin.id).active is True
    # With a second admin, the first may go.
    colleague = user_named(db, "demo-leder")
    assert client.post(f"/admin/users/{colleague.id}/roles", data={"role": Role.admin}).status_code == 303
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 303


def test_revoking_one_device_refuses_it_and_wipes_it_but_not_the_others(client, db, demo) -> None:
    phone = new_client(client.app, "demo-sundhedsplejerske")
    tablet = new_client(client.app, "demo-sundhedsplejerske")
    phone_id = phone.cookies.get("opspor_device")
    assert phone_id and phone_id != tablet.cookies.get("opspor_device")
    user = user_named(db, "demo-sundhedsplejerske")
    login(client, "demo-admin")
    page = client.get(f"/admin/users/{user.id}")
    assert page.status_code == 200 and "Spær apparatet" in page.text
    assert client.post(f"/admin/users/{user.id}/devices/{phone_id}/revoke").status_code == 303
    refused = phone.get("/api/children")
    assert refused.status_code == 401
    assert refused.headers["clear-site-data"] == '"cache", "storage"'
    assert "spærret af en administrator" in refused.json()["detail"]
    assert "opspor_device" in refused.headers.get("set-cookie", "")
    assert tablet.get("/api/children").status_code == 200
    # The revoked id stays refused wherever it shows up, also for a fresh sign-in attempt.
    header = {"X-Opspor-Device": phone_id}
    stranger = new_client(client.app)
    blocked = stranger.post(
        "/api/session", json={"username": "demo-sundhedsplejerske", "password": "demo"}, headers=header
    )
    assert blocked.status_code == 401 and blocked.headers["clear-site-data"]
    # Signing in again from the wiped browser makes a new device; the old one stays revoked.
    login(phone, "demo-sundhedsplejerske")
    assert phone.cookies.get("opspor_device") not in (None, phone_id)
    db.expire_all()
    old = db.get(Device, phone_id)
    assert old.revoked_at is not None and old.wiped_at is not None
    assert [e.object_id for e in events(db, "device.wipe")][:1] == [phone_id]
    assert events(db, "device.revoke")[0].object_id == phone_id


def test_a_device_list_shows_last_contact(client, db, demo) -> None:
    new_client(client.app, "demo-paedagog")
    user = user_named(db, "demo-paedagog")
    login(client, "demo-admin")
    page = client.get(f"/admin/users/{user.id}").text
    assert "sidst kontakt" in page and "testclient" in page
