"""Local sign-in: sessions, cookies, throttling, demo mode, expiry, rotation, sign-out."""

from datetime import timedelta

import pytest
from sqlmodel import select

from backend.auth.models import LoginAttempt, WebSession
from backend.auth.sessions import COOKIE_NAME, token_hash
from backend.db import utcnow
from tests.support import login


def _form_login(client, username: str, password: str, next_url: str = "/"):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, "next": next_url}
    )


def test_json_sign_in_returns_csrf_token_and_a_session_cookie(client, demo) -> None:
    response = client.post("/api/session", json={"username": "demo-paedagog", "password": "demo"})
    assert response.status_code == 200
    assert len(response.json()["csrf_token"]) >= 32
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE_NAME}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/api/me").json()["username"] == "demo-paedagog"


def test_cookie_is_secure_when_not_plain_http_on_localhost(client, demo, monkeypatch) -> None:
    from backend.config import get_settings

    monkeypatch.setattr(get_settings(), "base_url", "https://opspor.example.dk")
    response = client.post("/api/session", json={"username": "demo-paedagog", "password": "demo"})
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_is_refused_in_danish(client, demo) -> None:
    response = client.post("/api/session", json={"username": "demo-paedagog", "password": "nej"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Forkert brugernavn eller adgangskode."
    assert client.get("/api/me").status_code == 401


def test_form_sign_in_keeps_the_username_on_error(client, demo) -> None:
    response = _form_login(client, "demo-paedagog", "forkert")
    assert response.status_code == 401
    assert 'value="demo-paedagog"' in response.text
    assert "Forkert brugernavn eller adgangskode." in response.text


def test_form_sign_in_redirects_to_a_local_next_only(client, demo) -> None:
    response = _form_login(client, "demo-paedagog", "demo", "/children?q=a")
    assert response.status_code == 303
    assert response.headers["location"] == "/children?q=a"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
    ],
)
def test_open_redirects_are_refused(client, demo, target: str) -> None:
    response = _form_login(client, "demo-paedagog", "demo", target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_form_without_csrf_token_is_refused(client, demo) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "demo-paedagog", "password": "demo"})
    assert response.status_code == 403
    assert client.get("/api/me").status_code == 401


def test_repeated_failures_throttle_even_the_right_password(client, demo, db) -> None:
    for _ in range(5):
        client.post("/api/session", json={"username": "demo-leder", "password": "gæt"})
    response = client.post("/api/session", json={"username": "demo-leder", "password": "demo"})
    assert response.status_code == 429
    assert "For mange" in response.json()["detail"]
    # Other users are not affected.
    assert (
        client.post("/api/session", json={"username": "demo-paedagog", "password": "demo"}).status_code == 200
    )
    failures = db.exec(select(LoginAttempt).where(LoginAttempt.username == "demo-leder")).all()
    assert len(failures) == 5


def test_throttle_lifts_after_the_lockout(client, demo, db) -> None:
    for _ in range(5):
        client.post("/api/session", json={"username": "demo-leder", "password": "gæt"})
    for attempt in db.exec(select(LoginAttempt)).all():
        attempt.at = utcnow() - timedelta(minutes=16)
        db.add(attempt)
    db.commit()
    assert client.post("/api/session", json={"username": "demo-leder", "password": "demo"}).status_code == 200


def test_demo_logins_are_refused_outside_demo_mode(client, demo, monkeypatch) -> None:
    from backend.config import get_settings

    monkeypatch.setattr(get_settings(), "demo", False)
    response = client.post("/api/session", json={"username": "demo-admin", "password": "demo"})
    assert response.status_code == 403
    assert "demotilstand" in response.json()["detail"]


def test_demo_session_stops_working_when_demo_mode_is_turned_off(client, demo, monkeypatch) -> None:
    login(client, "demo-paedagog")
    from backend.config import get_settings

    monkeypatch.setattr(get_settings(), "demo", False)
    assert client.get("/api/me").status_code == 401


def _session_row(db, client) -> WebSession:
    return db.get(WebSession, token_hash(client.cookies[COOKIE_NAME]))


def test_idle_session_expires(client, demo, db) -> None:
    login(client, "demo-paedagog")
    row = _session_row(db, client)
    row.last_seen_at = utcnow() - timedelta(minutes=241)
    db.add(row)
    db.commit()
    assert client.get("/api/me").status_code == 401
    assert client.get("/", headers={"accept": "text/html"}).status_code == 303


def test_session_has_an_absolute_lifetime_even_when_active(client, demo, db) -> None:
    login(client, "demo-paedagog")
    row = _session_row(db, client)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    assert client.get("/api/me").status_code == 401


def test_signing_in_rotates_the_session(client, demo) -> None:
    login(client, "demo-paedagog")
    first = client.cookies[COOKIE_NAME]
    login(client, "demo-paedagog")
    second = client.cookies[COOKIE_NAME]
    assert first != second
    client.cookies.set(COOKIE_NAME, first)
    assert client.get("/api/me").status_code == 401


def test_sign_out_ends_the_session_on_the_server(client, demo, db) -> None:
    login(client, "demo-paedagog")
    token = client.cookies[COOKIE_NAME]
    assert client.delete("/api/session").status_code == 204
    assert db.get(WebSession, token_hash(token)) is None
    client.cookies.set(COOKIE_NAME, token)
    assert client.get("/api/me").status_code == 401


def test_anonymous_pages_redirect_to_login_with_next(client, demo) -> None:
    response = client.get("/children?q=al")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fchildren%3Fq%3Dal"
