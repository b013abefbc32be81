"""Issue 12, M-4 and M-5 end to end against the real server (`opspor serve`) and its log: a
password link's token and a searched child's name reach neither a URL the server sees nor the log."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.offline_support import search_children, sign_in
from tests.support import LiveServer

pytestmark = pytest.mark.browser


def _log_with(server: LiveServer, marker: str, timeout: float = 15) -> str:
    """The server's log once it holds `marker` (access log lines are written as requests end)."""
    deadline = time.monotonic() + timeout
    while True:
        text = server.log_path.read_text(errors="replace")
        if marker in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def _password_link(server: LiveServer, username: str) -> str:
    """Invite `username` as the admin; the link from the e-mail the person is sent."""
    from sqlmodel import select

    from backend.notify.models import OutgoingEmail
    from tests.browser.offline_support import server_database

    address = f"{username}@kommune.example"
    with httpx.Client(base_url=server.url) as admin:
        response = admin.post("/api/session", json={"username": "demo-admin", "password": "demo"})
        admin.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        form = {"display_name": "Ny Kollega", "username": username, "email": address}
        created = admin.post("/admin/users", data=form)
        assert created.status_code == 200, created.text[:300]
    with server_database(server) as db:
        email = db.exec(select(OutgoingEmail).where(OutgoingEmail.to_address == address)).one()
    return re.search(r"http://\S+/set-password#t=[A-Za-z0-9_-]+", email.body).group(0)


def test_password_link_and_search_stay_out_of_urls_and_the_log(page, live_server) -> None:
    live_server.stop()  # again, with the log written as it happens (not block-buffered)
    live_server.env["PYTHONUNBUFFERED"] = "1"
    live_server.start()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    link = _password_link(live_server, "ny.kollega")
    token = link.split("#t=", 1)[1]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(link)  # the landing page's script (under the CSP) posts the token
    expect(page.get_by_text("Hej Ny Kollega")).to_be_visible()
    assert token not in page.url
    page.get_by_label("Ny adgangskode").fill("en-god-lang-kode")
    page.get_by_label("Gentag adgangskoden").fill("en-god-lang-kode")
    page.get_by_role("button", name="Gem adgangskoden").click()
    expect(page.get_by_text("Adgangskoden er gemt")).to_be_visible()
    assert not [url for url in requested if token in url.split("#", 1)[0]]

    # A link sent before the change (/set-password/<token>) still works, and is redacted in the log.
    old_style = _password_link(live_server, "ny.kollega2").split("#t=", 1)[1]
    page.goto(f"{live_server.url}/set-password/{old_style}")
    expect(page.get_by_text("Hej Ny Kollega")).to_be_visible()

    # M-5: a search is POSTed; the browser ends on /children with no name in the URL.
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    search_children(page, live_server.url, "Agnes")
    expect(page.locator("#children-list a").first).to_contain_text("Agnes")
    assert "Agnes" not in page.url
    live = page.get_by_role("searchbox", name="Søg efter et barn")
    live.fill("Agne")  # the live (htmx) search posts too
    expect(page.locator("#children-list a").first).to_contain_text("Agnes")
    assert not [url for url in requested if "Agne" in url]
    # An old-style address with the term still reaches the server: the log hides it.
    httpx.get(f"{live_server.url}/children?q=Sidsel+0101011234")
    httpx.get(f"{live_server.url}/api/export/children/x?reason=Mor+har+ringet")

    log = _log_with(live_server, "GET /api/export/children/{child_id}")
    # One line per request, by route (backend/web/observability.py): the requests are there...
    for line in ("GET /set-password 200", "POST /set-password/open 200", "POST /set-password 200"):
        assert line in log, line
    assert "GET /set-password/{token} 303" in log and "POST /children 200" in log
    for secret in (token, old_style, "Agnes", "Agne", "Sidsel", "0101011234", "Mor+har+ringet"):
        assert secret not in log, secret
    assert errors == []
