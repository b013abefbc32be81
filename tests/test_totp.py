"""Two-factor sign-in for local accounts (TOTP, RFC 6238), and local sign-in while SSO is on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import select

from backend.audit import AuditEvent
from backend.auth.models import PendingSignIn, RecoveryCode, TotpCredential, WebSession
from backend.auth.passwords import hash_password
from backend.auth.sessions import COOKIE_NAME
from backend.people.models import Municipality, Role, RoleAssignment, User
from tests.support import give_totp, login, unit_named, user_named

PASSWORD = "en-lang-adgangskode"


def _wrong_code(secret: str) -> str:
    """A six-digit code no time step near now accepts (two steps either side of the valid window)."""
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    near = {totp.at(now + timedelta(seconds=30 * steps)) for steps in range(-3, 4)}
    return next(
        code
        for code in ("000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777")
        if code not in near
    )


def _local_user(db, username: str = "karin", emergency_admin: bool = False, role: str = Role.health_visitor):
    unit = unit_named(db, "Sundhedsplejen Nord")
    user = User(
        municipality_id=unit.municipality_id,
        username=username,
        display_name=username.title(),
        password_hash=hash_password(PASSWORD),
        emergency_admin=emergency_admin,
    )
    db.add(user)
    db.flush()
    db.add(RoleAssignment(user_id=user.id, role=role, unit_id=None if role == Role.admin else unit.id))
    db.commit()
    return user


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _password_step(client, username: str = "karin", password: str = PASSWORD, next_url: str = "/"):
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, "next": next_url}
    )


def _code_step(client, code: str):
    page = client.get("/login/code")
    assert page.status_code == 200, page.status_code
    return client.post("/login/code", data={"code": code, "csrf_token": _csrf(page.text)})


def _sign_out(client) -> None:
    assert client.post("/logout", data={"csrf_token": _csrf(client.get("/").text)}).status_code == 303


def _enrol(client) -> tuple[str, list[str]]:
    """The enrolment step after a right password: returns the secret and the recovery codes."""
    page = client.get("/login/enrol").text
    secret = re.search(r'id="totp-secret">([^<]+)<', page).group(1).replace(" ", "")
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": _csrf(page)})
    assert done.status_code == 200, done.text[:300]
    return secret, re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)


def _actions(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- enrolment -------------------------------------------------------------------------------


def test_first_sign_in_enrols_with_a_qr_code_and_recovery_codes(client, demo, db) -> None:
    user = _local_user(db)
    response = _password_step(client, next_url="/children")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/enrol"
    assert COOKIE_NAME not in client.cookies
    # Half signed in is not signed in: nothing can be read.
    assert client.get("/api/me").status_code == 401
    assert client.get("/children", headers={"accept": "text/html"}).status_code == 303

    page = client.get("/login/enrol")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.text and "QR-kode" in page.text
    secret = re.search(r'id="totp-secret">([^<]+)<', page.text).group(1).replace(" ", "")
    assert len(secret) == 32
    assert (
        client.get("/login/enrol").text.count(re.search(r'id="totp-secret">([^<]+)<', page.text).group(1))
        == 1
    )

    wrong = client.post("/login/enrol", data={"code": _wrong_code(secret), "csrf_token": _csrf(page.text)})
    assert wrong.status_code == 401 and "Koden passer ikke" in wrong.text
    assert client.get("/api/me").status_code == 401

    done = client.post(
        "/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": _csrf(page.text)}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/children"' in done.text
    assert client.get("/api/me").json()["username"] == "karin"

    db.expire_all()
    credential = db.get(TotpCredential, user.id)
    assert secret not in credential.secret_sealed
    stored = {row.code_hash for row in db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id))}
    assert len(stored) == 10 and not stored & set(codes)
    assert db.exec(select(PendingSignIn)).all() == []
    assert _actions(db, "totp.enrolled")[-1].object_id == user.id
    assert _actions(db, "signin.success")[-1].detail == {"method": "password+totp_enrolment"}


def test_the_enrolment_page_needs_the_password_first(client, demo, db) -> None:
    assert client.get("/login/enrol").headers["location"] == "/login"
    assert client.get("/login/code").headers["location"] == "/login"
    response = client.post("/login/code", data={"code": "123456"})
    assert response.status_code == 401 and "udløbet" in response.text


# --- the code at every sign-in ---------------------------------------------------------------


def test_an_enrolled_user_needs_the_right_code(client, demo, db) -> None:
    user = _local_user(db)
    secret = give_totp(db, user.id)
    response = _password_step(client, next_url="/children?q=a")
    assert response.headers["location"] == "/login/code"
    assert client.get("/api/me").status_code == 401

    totp = pyotp.TOTP(secret)
    refused = _code_step(client, _wrong_code(secret))
    assert refused.status_code == 401
    assert "Koden er forkert" in refused.text
    assert client.get("/api/me").status_code == 401
    assert _actions(db, "totp.failure")[-1].detail == {"method": "totp", "reason": "wrong"}

    accepted = _code_step(client, totp.now())
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/children?q=a"
    assert client.get("/api/me").status_code == 200
    assert _actions(db, "signin.success")[-1].detail == {"method": "password+totp"}


def test_wrong_codes_are_throttled(client, demo, db) -> None:
    user = _local_user(db)
    give_totp(db, user.id)
    _password_step(client)
    for _ in range(4):
        assert _code_step(client, "000000").status_code == 401
    page = client.get("/login/code")
    last = client.post("/login/code", data={"code": "000000", "csrf_token": _csrf(page.text)})
    assert last.status_code == 429
    assert "For mange forkerte koder" in last.text
    assert client.get("/login/code").status_code == 303  # the pending sign-in is gone
    # Five failures count against the account: even the right password now waits.
    again = _password_step(client)
    assert again.status_code == 429 and "For mange" in again.text


def test_a_replayed_code_is_refused_within_its_window(client, demo, db) -> None:
    user = _local_user(db)
    secret = give_totp(db, user.id)
    totp = pyotp.TOTP(secret)
    start = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        code = totp.at(start)
        _password_step(client)
        assert _code_step(client, code).status_code == 303
        _sign_out(client)
        _password_step(client)
        replayed = _code_step(client, code)
        assert replayed.status_code == 401
        assert "allerede brugt" in replayed.text
        assert _actions(db, "totp.failure")[-1].detail == {"method": "totp", "reason": "replayed"}
    later = start + timedelta(seconds=30)
    with time_machine.travel(later, tick=False):
        # Still inside the window, but the code of an earlier step than the last used one.
        assert _code_step(client, totp.at(start - timedelta(seconds=30))).status_code == 401
        assert _code_step(client, totp.at(later)).status_code == 303
        assert client.get("/api/me").status_code == 200


def test_a_code_is_accepted_one_step_either_side_of_now(client, demo, db) -> None:
    user = _local_user(db)
    secret = give_totp(db, user.id)
    now = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        _password_step(client)
        assert _code_step(client, pyotp.TOTP(secret).at(now - timedelta(seconds=90))).status_code == 401
        assert _code_step(client, pyotp.TOTP(secret).at(now - timedelta(seconds=30))).status_code == 303


def test_recovery_codes_work_once(client, demo, db) -> None:
    user = _local_user(db)
    _password_step(client)
    _secret, codes = _enrol(client)
    _sign_out(client)

    _password_step(client)
    assert _code_step(client, codes[0].upper().replace("-", " ")).status_code == 303
    assert client.get("/api/me").status_code == 200
    used = _actions(db, "totp.recovery_code_used")[-1]
    assert used.object_id == user.id and used.detail == {"left": 9}
    assert _actions(db, "signin.success")[-1].detail == {"method": "password+recovery"}
    _sign_out(client)

    _password_step(client)
    again = _code_step(client, codes[0])
    assert again.status_code == 401
    assert _code_step(client, codes[1]).status_code == 303


def test_the_api_needs_the_second_factor_too(client, demo, db) -> None:
    user = _local_user(db)
    body = {"username": "karin", "password": PASSWORD}
    not_enrolled = client.post("/api/session", json=body)
    assert not_enrolled.status_code == 403
    assert "totrinsbekræftelse" in not_enrolled.json()["detail"]

    secret = give_totp(db, user.id)
    missing = client.post("/api/session", json=body)
    assert missing.status_code == 401 and missing.json()["detail"] == "Skriv koden fra din godkendelsesapp."
    assert client.post("/api/session", json=body | {"code": "abc"}).status_code == 401
    assert client.get("/api/me").status_code == 401
    login(client, "karin", PASSWORD, code=pyotp.TOTP(secret).now())
    assert client.get("/api/me").json()["username"] == "karin"


def test_demo_users_need_no_second_factor(client, demo) -> None:
    login(client, "demo-paedagog")
    assert client.get("/api/me").status_code == 200


# --- local sign-in while single sign-on is on ------------------------------------------------


@pytest.fixture(params=["oidc", "saml"])
def sso_on(request, monkeypatch):
    """Single sign-on of either kind: the rules for local sign-in are the same."""
    from backend.config import get_settings

    if request.param == "oidc":
        monkeypatch.setattr(get_settings(), "oidc_issuer", "http://127.0.0.1:9/kommunens-login")
    else:
        monkeypatch.setattr(get_settings(), "saml_idp_metadata", "/dev/null/kombit-idp-metadata.xml")


def test_local_sign_in_is_refused_when_sso_is_on(client, demo, db, sso_on) -> None:
    _local_user(db)
    response = _password_step(client)
    assert response.status_code == 403
    assert "Log ind med kommunens login" in response.text
    assert client.get("/login/enrol").status_code == 303
    api = client.post("/api/session", json={"username": "karin", "password": PASSWORD})
    assert api.status_code == 403
    assert _actions(db, "signin.failure")[-1].detail == {"reason": "sso_required"}
    # A wrong password says only that.
    assert "Forkert brugernavn" in _password_step(client, password="forkert").text


def test_the_emergency_admin_may_sign_in_locally_with_a_second_factor(client, demo, db, sso_on) -> None:
    _local_user(db, "noedadmin", emergency_admin=True, role=Role.admin)
    response = _password_step(client, "noedadmin")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/enrol"
    _enrol(client)
    assert client.get("/api/me").json()["is_admin"] is True


def test_demo_logins_keep_working_in_demo_mode_when_sso_is_on(client, demo, sso_on) -> None:
    login(client, "demo-leder")
    assert client.get("/api/me").status_code == 200


def test_the_municipality_can_allow_local_sign_in_with_sso(client, demo, db, sso_on) -> None:
    user = _local_user(db)
    municipality = db.get(Municipality, user.municipality_id)
    municipality.settings = {**municipality.settings, "local_sign_in_with_sso": True}
    db.add(municipality)
    db.commit()
    assert _password_step(client).headers["location"] == "/login/enrol"


# --- the user's own page and the admin's reset -----------------------------------------------


def test_my_page_shows_the_second_factor_and_renews_recovery_codes(client, demo, db) -> None:
    user = _local_user(db)
    _password_step(client)
    secret, codes = _enrol(client)
    page = client.get("/")
    assert 'href="/me/second-factor"' in page.text
    mine = client.get("/me/second-factor")
    assert "Slået til siden" in mine.text and "10 ubrugte gendannelseskoder" in mine.text
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=60), tick=False):
        renewed = client.post(
            "/me/second-factor/recovery-codes",
            data={"code": pyotp.TOTP(secret).now(), "csrf_token": _csrf(mine.text)},
        )
    assert renewed.status_code == 200
    new_codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", renewed.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    db.expire_all()
    assert len(db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()) == 10
    assert _actions(db, "totp.recovery_codes_renewed")[-1].object_id == user.id


def test_an_admin_can_reset_a_second_factor(app, client, demo, db) -> None:
    user = _local_user(db)
    secret = give_totp(db, user.id)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as phone:
        login(phone, "karin", PASSWORD, code=pyotp.TOTP(secret).now())
        assert phone.get("/api/me").status_code == 200

        login(client, "demo-admin")
        del client.headers["X-CSRF-Token"]
        page = client.get("/admin/second-factor")
        assert page.status_code == 200 and "Karin" in page.text
        response = client.post(
            f"/admin/users/{user.id}/second-factor/reset", data={"csrf_token": _csrf(page.text)}
        )
        assert response.status_code == 303
        assert "Totrinsbekræftelsen er nulstillet for Karin" in client.get(response.headers["location"]).text

        db.expire_all()
        assert db.get(TotpCredential, user.id) is None
        assert db.exec(select(WebSession).where(WebSession.user_id == user.id)).all() == []
        assert phone.get("/api/me").status_code == 401
        event = _actions(db, "totp.reset")[-1]
        assert event.object_id == user.id and event.actor_id == user_named(db, "demo-admin").id
    # The next sign-in asks for a new enrolment.
    client.cookies.clear()
    assert _password_step(client).headers["location"] == "/login/enrol"


def test_only_admins_reset_and_only_in_their_municipality(client, demo, db) -> None:
    user = _local_user(db)
    login(client, "demo-leder")
    assert client.get("/admin/second-factor", headers={"accept": "text/html"}).status_code == 403
    assert client.post(f"/admin/users/{user.id}/second-factor/reset").status_code == 403
    other = Municipality(name="Anden Kommune")
    db.add(other)
    db.flush()
    stranger = User(municipality_id=other.id, username="fremmed", display_name="F", password_hash="x")
    db.add(stranger)
    db.commit()
    give_totp(db, stranger.id)
    client.cookies.clear()
    login(client, "demo-admin")
    assert client.post(f"/admin/users/{stranger.id}/second-factor/reset").status_code == 404
    db.expire_all()
    assert db.get(TotpCredential, stranger.id) is not None


# --- the command line ------------------------------------------------------------------------


def test_create_user_marks_one_emergency_admin(db_url, db) -> None:
    from tests.test_cli import _opspor

    _opspor(db_url, "demo-data")
    args = ["create-user", "--name", "Nød Admin", "--role", "admin", "--emergency-admin", "--password-stdin"]
    first = _opspor(db_url, *args[:1], "noed1", *args[1:], stdin=PASSWORD + "\n")
    assert first.returncode == 0, first.stderr
    assert user_named(db, "noed1").emergency_admin is True
    second = _opspor(db_url, *args[:1], "noed2", *args[1:], stdin=PASSWORD + "\n")
    assert second.returncode == 2 and "allerede en nødadministrator" in second.stderr
    not_admin = _opspor(
        db_url,
        "create-user",
        "noed3",
        "--name",
        "X",
        "--emergency-admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert not_admin.returncode == 2 and "admin" in not_admin.stderr


def test_reset_second_factor_command(db_url, db) -> None:
    from tests.test_cli import _opspor

    _opspor(db_url, "demo-data")
    user = _local_user(db)
    give_totp(db, user.id)
    result = _opspor(db_url, "reset-second-factor", "karin")
    assert result.returncode == 0, result.stderr
    db.expire_all()
    assert db.get(TotpCredential, user.id) is None
    assert _actions(db, "totp.reset")[-1].detail == {"had_second_factor": True, "via": "cli"}
