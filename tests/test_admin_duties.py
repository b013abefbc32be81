"""Separation of duties for admin powers over accounts (issue 12, M-6): password links go to the
person by e-mail, an admin never gives itself a role, actions on another admin's account wait for
a second admin's approval, and the affected person is told by e-mail."""

from __future__ import annotations

import re

from sqlmodel import select

from backend.admin.models import AdminApproval
from backend.auth.models import TotpCredential, WebSession
from backend.notify.models import OutgoingEmail
from backend.people.models import PasswordToken, Role, RoleAssignment, User
from tests.admin_support import events, new_client
from tests.support import add_user, give_totp, login, unit_named, user_named


def _emails_to(db, address: str) -> list[OutgoingEmail]:
    db.expire_all()
    query = (
        select(OutgoingEmail).where(OutgoingEmail.to_address == address).order_by(OutgoingEmail.created_at)
    )
    return list(db.exec(query))


def _second_admin(db, username: str = "admin2", *, local: bool = False) -> User:
    """Another admin; `local` makes it a real local account (with a second factor to reset)."""
    user = add_user(db, username, Role.admin, None)
    user.email = f"{username}@kommune.example"
    user.is_demo = not local
    db.add(user)
    db.commit()
    return user


def _roles(db, user: User) -> set[tuple[str, str | None]]:
    db.expire_all()
    return {
        (r.role, r.unit_id) for r in db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
    }


def _approvals(db) -> list[AdminApproval]:
    db.expire_all()
    return list(db.exec(select(AdminApproval).order_by(AdminApproval.created_at)))


# --- password links: to the person, never to the admin's screen -----------------------------------


def test_a_password_link_is_emailed_to_the_person_and_never_shown_to_the_admin(client, db, demo) -> None:
    login(client, "demo-admin")
    paedagog = user_named(db, "demo-paedagog")
    paedagog.email = "jonas@kommune.example"
    db.add(paedagog)
    db.commit()
    page = client.post(f"/admin/users/{paedagog.id}/password-link")
    assert page.status_code == 200
    assert "/set-password" not in page.text and "jonas@kommune.example" in page.text
    (email,) = _emails_to(db, "jonas@kommune.example")
    token = re.search(r"/set-password#t=(\S+)", email.body).group(1)  # in the fragment (M-4)
    assert token not in page.text
    # The e-mailed link works (for the person, in their own browser).
    person = new_client(client.app)
    landing = person.get("/set-password")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', landing.text).group(1)
    assert person.post("/set-password/open", data={"token": token, "csrf_token": csrf}).status_code == 200
    assert [e.detail for e in events(db, "user.password_link_sent")] == [{}]


def test_a_person_without_email_gets_no_link_from_the_screens(client, db, demo) -> None:
    login(client, "demo-admin")
    created = client.post("/admin/users", data={"display_name": "Uden Post", "username": "uden.post"})
    assert created.status_code == 200
    assert "ingen e-mailadresse" in created.text and "opspor password-link" in created.text
    assert "/set-password" not in created.text
    user = user_named(db, "uden.post")
    assert db.exec(select(PasswordToken).where(PasswordToken.user_id == user.id)).first() is None
    again = client.post(f"/admin/users/{user.id}/password-link")
    assert again.status_code == 422 and "ingen e-mailadresse" in again.text
    assert "/set-password" not in again.text
    assert db.exec(select(PasswordToken).where(PasswordToken.user_id == user.id)).first() is None


def test_the_operator_prints_a_password_link_on_the_server(db_url, db) -> None:
    from tests.test_cli import _opspor

    _opspor(db_url, "demo-data")
    result = _opspor(db_url, "password-link", "demo-admin")
    assert result.returncode == 0, result.stderr
    assert re.search(r"/set-password#t=\S{20,}", result.stdout)
    db.expire_all()
    assert [e.detail for e in events(db, "user.password_link_printed")] == [{"via": "cli"}]
    assert _opspor(db_url, "password-link", "ingen-saadan").returncode == 2


# --- no admin gives itself a role -----------------------------------------------------------------


def test_an_admin_cannot_give_itself_any_role(client, db, demo) -> None:
    login(client, "demo-admin")
    admin = user_named(db, "demo-admin")
    before = _roles(db, admin)
    unit = unit_named(db, "Børnehuset Solsikken")
    for role in ("leader", "pedagogue", "health_visitor", "admin"):
        response = client.post(f"/admin/users/{admin.id}/roles", data={"role": role, "unit_id": unit.id})
        assert response.status_code == 422 and "give dig selv en rolle" in response.text
    assert _roles(db, admin) == before
    assert events(db, "user.role_added") == []
    # Nor through a request that someone else would approve: no request is even made.
    assert _approvals(db) == []


# --- actions on another admin's account wait for a second admin -----------------------------------


def test_actions_on_another_admin_wait_for_a_second_admins_approval(client, db, demo) -> None:
    admin2 = _second_admin(db, local=True)
    give_totp(db, admin2.id)
    unit = unit_named(db, "Børnehuset Solsikken")
    (admin_role,) = db.exec(select(RoleAssignment).where(RoleAssignment.user_id == admin2.id)).all()
    login(client, "demo-admin")
    requests = {
        "totp_reset": client.post(f"/admin/users/{admin2.id}/second-factor/reset"),
        "password_link": client.post(f"/admin/users/{admin2.id}/password-link"),
        "role_add": client.post(
            f"/admin/users/{admin2.id}/roles", data={"role": "leader", "unit_id": unit.id}
        ),
        "role_remove": client.post(f"/admin/users/{admin2.id}/roles/{admin_role.id}/delete"),
        "deactivate": client.post(f"/admin/users/{admin2.id}/deactivate"),
    }
    assert {key: r.status_code for key, r in requests.items()} == dict.fromkeys(requests, 303)
    # Asking again for the same thing makes no second request.
    assert client.post(f"/admin/users/{admin2.id}/deactivate").status_code == 303
    # Nothing has happened yet.
    db.expire_all()
    assert db.get(TotpCredential, admin2.id) is not None
    assert db.get(User, admin2.id).active is True
    assert _roles(db, admin2) == {("admin", None)}
    assert db.exec(select(PasswordToken).where(PasswordToken.user_id == admin2.id)).first() is None
    pending = _approvals(db)
    assert [a.action for a in pending] == list(requests)
    assert {a.status for a in pending} == {"pending"}
    # The affected admin is told of every request, without any secret.
    notices = _emails_to(db, admin2.email)
    assert len(notices) == 5 and not any("/set-password" in e.body for e in notices)
    assert len(events(db, "admin_approval.request")) == 5
    # The requester cannot approve its own requests.
    page = client.get("/admin/approvals")
    assert page.status_code == 200 and "Du kan ikke godkende din egen anmodning" in page.text
    for approval in pending:
        refused = client.post(f"/admin/approvals/{approval.id}/approve")
        assert refused.status_code == 422 and "egen anmodning" in refused.text
    assert {a.status for a in _approvals(db)} == {"pending"}
    assert events(db, "admin_approval.approve") == []


def test_a_second_admin_approves_and_the_action_happens(client, db, demo) -> None:
    admin2 = _second_admin(db, local=True)
    give_totp(db, admin2.id)
    login(client, "demo-admin")
    client.post(f"/admin/users/{admin2.id}/second-factor/reset")
    client.post(f"/admin/users/{admin2.id}/password-link")
    reset, link = _approvals(db)
    third = _second_admin(db, "admin3")
    approver = new_client(client.app, third.username)
    assert approver.post(f"/admin/approvals/{reset.id}/approve").status_code == 303
    assert approver.post(f"/admin/approvals/{link.id}/approve").status_code == 303
    db.expire_all()
    assert db.get(TotpCredential, admin2.id) is None
    assert db.exec(select(WebSession).where(WebSession.user_id == admin2.id)).first() is None
    assert [a.status for a in _approvals(db)] == ["approved", "approved"]
    assert {a.decided_by_id for a in _approvals(db)} == {third.id}
    (totp_reset,) = events(db, "totp.reset")
    assert totp_reset.detail["approval"] == reset.id and totp_reset.actor_id == third.id
    assert len(events(db, "admin_approval.approve")) == 2
    # The link went by e-mail to admin2 only — not to either admin's screen.
    bodies = [e.body for e in _emails_to(db, admin2.email)]
    assert sum("/set-password#t=" in body for body in bodies) == 1
    assert any("nulstille din totrinsbekræftelse" in body and "nu gjort" in body for body in bodies)
    assert "/set-password" not in approver.get("/admin/approvals").text


def test_the_admin_who_would_get_a_role_cannot_approve_it_and_a_rejection_does_nothing(
    client, db, demo
) -> None:
    admin2 = _second_admin(db)
    unit = unit_named(db, "Børnehuset Solsikken")
    login(client, "demo-admin")
    client.post(f"/admin/users/{admin2.id}/roles", data={"role": "leader", "unit_id": unit.id})
    (grant,) = _approvals(db)
    target = new_client(client.app, admin2.username)
    refused = target.post(f"/admin/approvals/{grant.id}/approve")
    assert refused.status_code == 422 and "rolle til dig selv" in refused.text
    assert target.post(f"/admin/approvals/{grant.id}/reject").status_code == 303
    assert _roles(db, admin2) == {("admin", None)}
    (rejected,) = _approvals(db)
    assert rejected.status == "rejected" and rejected.decided_by_id == admin2.id
    assert len(events(db, "admin_approval.reject")) == 1
    assert any("afvist" in e.body for e in _emails_to(db, admin2.email))
    # A decided request cannot be approved afterwards.
    third = new_client(client.app, _second_admin(db, "admin3").username)
    late = third.post(f"/admin/approvals/{grant.id}/approve")
    assert late.status_code == 422 and "allerede afgjort" in late.text
    assert _roles(db, admin2) == {("admin", None)}


def test_actions_on_non_admins_take_effect_at_once_and_the_person_is_told(client, db, demo) -> None:
    login(client, "demo-admin")
    paedagog = user_named(db, "demo-paedagog")
    paedagog.email = "jonas@kommune.example"
    db.add(paedagog)
    db.commit()
    unit = unit_named(db, "Dagplejen Syd")
    response = client.post(
        f"/admin/users/{paedagog.id}/roles", data={"role": "childminder", "unit_id": unit.id}
    )
    assert response.status_code == 303 and "role_added" in response.headers["location"]
    assert ("childminder", unit.id) in _roles(db, paedagog)
    assert _approvals(db) == []
    assert any("give dig en rolle" in e.body for e in _emails_to(db, "jonas@kommune.example"))


def test_another_admins_approval_requests_are_only_for_admins(client, db, demo) -> None:
    login(client, "demo-leder")
    assert client.get("/admin/approvals").status_code == 403
