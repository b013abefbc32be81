"""Issue 12, M-4, M-5, L-2, L-5, L-6, L-9: secrets and personal data stay out of URLs and logs;
redirect targets, query parameters and device ids are not whatever the client says."""

from __future__ import annotations

import re

import pyotp
import pytest

from tests.support import login
from tests.test_totp import _csrf, _local_user, _password_step

# --- L-2: no open redirect after second-factor enrolment --------------------------------------

HOSTILE_NEXT = [
    "//evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "/\\evil.example/",
    "\\/evil.example/",
    "/\\/evil.example/",
    "/%2F/evil.example/",
    "/%2f%2fevil.example/",
    "/%5Cevil.example/",
    "/%09/evil.example/",
    "/%252F%252Fevil.example/",
    "/.//evil.example/",
    "/x/..//evil.example/",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\u3000/evil.example",
]


def _enrol_with_next(client, db, username: str, next_url: str) -> str:
    """Sign in a new local account with `next`, enrol its second factor; the page's link onward."""
    _local_user(db, username)
    client.cookies.clear()
    assert _password_step(client, username=username, next_url=next_url).headers["location"] == "/login/enrol"
    page = client.get("/login/enrol").text
    secret = re.search(r'id="totp-secret">([^<]+)<', page).group(1).replace(" ", "")
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": _csrf(page)})
    assert done.status_code == 200, done.text[:300]
    return re.search(r'<a class="button wide" href="([^"]*)"', done.text).group(1)


def test_hostile_next_values_after_enrolment_lead_home(client, demo, db) -> None:
    for index, value in enumerate(HOSTILE_NEXT):
        assert _enrol_with_next(client, db, f"karin{index}", value) == "/", repr(value)


def test_local_next_values_after_enrolment_are_kept(client, demo, db) -> None:
    assert _enrol_with_next(client, db, "karin", "/children?q=a%20b") == "/children?q=a%20b"
    assert _enrol_with_next(client, db, "karen", "/admin/../children") == "/children"


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_safe_next_refuses_every_hostile_value(value: str) -> None:
    from backend.web.pages.auth import safe_next

    assert safe_next(value) == "/"


# --- L-5: integers from the address or a form are bounded, never a 500 ------------------------

BAD_NUMBERS = [str(2**64), str(2**63), str(2**31), "-1", "0", "²", "①", "1e3", "0x10", "12abc", " ", "9" * 30]


def test_the_audit_page_refuses_bad_before_values_in_danish(client, demo) -> None:
    login(client, "demo-admin")
    for value in BAD_NUMBERS:
        response = client.get("/admin/audit", params={"before": value})
        if value == " ":  # blank: the first page
            assert response.status_code == 200
            continue
        assert response.status_code == 400, (value, response.status_code)
        assert "Feltet før (before) skal være et helt tal" in response.text, value
    assert client.get("/admin/audit", params={"before": str(2**31 - 1)}).status_code == 200
    assert client.get("/admin/audit", params={"before": "5"}).status_code == 200


def test_number_fields_with_odd_digits_are_refused_not_crashed(client, db, demo) -> None:
    from backend.domain.settings import MunicipalSettings
    from backend.domain.settings_form import settings_to_form
    from tests.support import child_aged
    from tests.test_admin_children import _register

    login(client, "demo-admin")
    page = client.get("/admin/retention").text
    values = dict(re.findall(r'name="([a-z_-]+)" inputmode="numeric" value="(\d+)"', page))
    values["records-adbb-years_after"] = "²"
    refused = client.post("/admin/retention/settings", data=values)
    assert refused.status_code == 422 and "Skal være et helt tal." in refused.text

    form = {k: v for k, v in settings_to_form(MunicipalSettings()).items() if v != ""}
    assert client.post("/admin/settings", data=form | {"offline_days": "²"}).status_code == 422

    assert _register(client, db, cpr="²" * 10).status_code == 422
    for index in ("²", "99999999999999999999"):
        response = _register(client, db, name="", **{f"guardian-{index}-name": "Ole"})
        assert response.status_code == 422, index

    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    page = client.get(f"/forms/adbb?child={child.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    fields = {"csrf_token": token, "type": "adbb", "child_id": child.id, "status": "final"}
    extras = (
        {"base_version": "²"},
        {"base_version": str(2**40)},
        {"data.items.²": "3"},
        {"data.items.eye_contact": "²"},
    )
    for extra in extras:
        response = client.post(f"/records/{record_id}", data=fields | extra, headers={"accept": "text/html"})
        assert response.status_code in (400, 422), (extra, response.status_code)


def test_an_odd_digit_code_at_the_second_step_is_wrong_not_a_crash(client, demo, db) -> None:
    from tests.test_totp import _code_step

    user = _local_user(db)
    from tests.support import give_totp

    give_totp(db, user.id)
    _password_step(client)
    assert _code_step(client, "²²²²²²").status_code == 401


# --- L-6: the audit's device is the server-issued device cookie's -----------------------------


def test_a_device_header_that_disagrees_with_the_cookie_is_ignored(client, demo, db) -> None:
    from sqlmodel import select

    from backend.audit import AuditEvent
    from tests.support import children_of_unit

    login(client, "demo-sundhedsplejerske")
    issued = client.cookies.get("opspor_device")
    assert issued
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    client.get(f"/children/{child.id}", headers={"X-Opspor-Device": "someone-elses-phone"})
    client.cookies.delete("opspor_device")
    client.get(f"/children/{child.id}", headers={"X-Opspor-Device": "someone-elses-phone"})
    reads = db.exec(
        select(AuditEvent.device_id)
        .where(AuditEvent.child_id == child.id, AuditEvent.action == "child.read")
        .order_by(AuditEvent.id)
    ).all()
    assert reads == [issued, None]


def test_a_revoked_device_named_only_in_the_header_is_still_refused(client, demo, db) -> None:
    from backend.auth.models import Device
    from backend.db import utcnow

    login(client, "demo-sundhedsplejerske")
    issued = client.cookies.get("opspor_device")
    device = db.get(Device, issued)
    device.revoked_at = utcnow()
    db.add(device)
    db.commit()
    client.cookies.delete("opspor_device")
    response = client.get("/api/children", headers={"X-Opspor-Device": issued})
    assert response.status_code == 401 and "spærret" in response.json()["detail"]
    db.expire_all()
    assert db.get(Device, issued).wiped_at is None  # a header alone does not prove the phone was wiped


# --- L-9: the export's reason for releasing held-back notes travels in the body ---------------


def test_the_export_reason_is_posted_never_taken_from_the_url(client, db, demo) -> None:
    from tests.admin_support import events
    from tests.support import children_of_unit

    login(client, "demo-admin")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    url = f"/api/export/children/{child.id}"
    in_url = client.get(url, params={"include": "x", "reason": "Mor har ringet"})
    assert in_url.status_code == 400 and "POST" in in_url.json()["detail"]
    assert events(db, "export.child") == []
    assert client.get(url).status_code == 200  # the plain export stays a GET
    posted = client.post(url, json={"include": [], "reason": "Mor har ringet"})
    assert posted.status_code == 200 and posted.json()["child"]["id"] == child.id
    del client.headers["X-CSRF-Token"]
    assert client.post(url, json={"include": [], "reason": "x"}).status_code == 403  # CSRF holds
    page = client.get(f"/admin/export/children/{child.id}").text
    assert 'method="post"' in page and "/api/export" not in page.split("<form", 1)[-1].split(">", 1)[0]


# --- M-5: searches that may carry personal data are POSTed; the log redacts q anyway -----------


def test_a_childs_name_is_searched_by_post_and_the_url_carries_no_term(client, db, demo) -> None:
    from tests.support import children_of_unit

    login(client, "demo-leder")
    child = children_of_unit(db, "Dagplejen Syd")[0]
    term = child.name.split()[0]
    page = client.get("/children").text
    form = re.search(r"<form[^>]*role=\"search\"[^>]*>", page).group(0)
    assert 'method="post"' in form and 'action="/children"' in form
    assert 'hx-post="/children"' in page and "hx-get" not in page.split('role="search"', 1)[1][:600]

    found = client.post("/children", data={"q": term})
    assert found.status_code == 200 and child.name in found.text
    assert found.url.path == "/children" and not found.url.query
    fragment = client.post("/children", data={"q": term}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and child.name in fragment.text
    assert client.get(f"/children?q={term}").headers["location"] == "/children"

    csrf = client.headers.pop("X-CSRF-Token")
    assert client.post("/children", data={"q": term}).status_code == 403
    assert client.post("/children", data={"q": term, "csrf_token": csrf}).status_code == 200


def test_the_admin_searches_children_by_post(client, db, demo) -> None:
    from tests.support import children_of_unit

    login(client, "demo-admin")
    child = children_of_unit(db, "Dagplejen Syd")[0]
    page = client.get("/admin/children").text
    assert re.search(r'<form method="post" action="/admin/children/search" role="search"', page)
    found = client.post("/admin/children/search", data={"q": child.name})
    assert found.status_code == 200 and child.name in found.text and not found.url.query
    assert client.get(f"/admin/children?q={child.name}").headers["location"] == "/admin/children"
    assert client.get("/admin/children/search").headers["location"] == "/admin/children"


def _access_line(target: str) -> str:
    """A line as uvicorn's access logger writes it, through the filter `opspor serve` installs."""
    import logging

    from backend.web.logging import RedactSecretQueries

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", target, "1.1", 200), None,
    )  # fmt: skip
    assert RedactSecretQueries().filter(record)
    return record.getMessage()


@pytest.mark.parametrize(
    ("target", "secret", "kept"),
    [
        ("/children?q=Agnes+Hansen", "Agnes", "/children?q=[skjult]"),
        ("/admin/children?q=010203-1234&page=2", "1234", "/admin/children?q=[skjult]&page=2"),
        ("/admin/children?Q=Agnes", "Agnes", "/admin/children?Q=[skjult]"),
        ("/set-password/abcDEF123_-x", "abcDEF123", "/set-password/[skjult]"),
        ("/auth/oidc/callback?code=s3cr3t&state=xyz", "s3cr3t", "/auth/oidc/callback?[skjult]"),
        ("/api/export/children/1?include=a&reason=Mor+ringede", "Mor", "reason=[skjult]"),
        ("/login?next=%2Fchildren%3Fq%3DAgnes", "Agnes", "/login?next=[skjult]"),
        ("/api/children/0102031234", "0102031234", "/api/children/[CPR]"),
        ("/admin/audit?before=5&action=child", "", "/admin/audit?before=5&action=child"),
    ],
)
def test_the_access_log_redacts_terms_reasons_tokens_and_cpr(target: str, secret: str, kept: str) -> None:
    line = _access_line(target)
    assert kept in line
    assert not secret or secret not in line


# --- M-4: a password link's token never travels in a URL the server sees -----------------------


def test_the_password_link_carries_its_token_in_the_fragment(client, db, demo) -> None:
    from sqlmodel import select

    from backend.notify.models import OutgoingEmail

    login(client, "demo-admin")
    client.post("/admin/users", data={"display_name": "A B", "username": "ab", "email": "ab@example.dk"})
    db.expire_all()
    (email,) = db.exec(select(OutgoingEmail).where(OutgoingEmail.to_address == "ab@example.dk")).all()
    link = re.search(r"http://127\.0\.0\.1/set-password\S*", email.body).group(0)
    assert re.fullmatch(r"http://127\.0\.0\.1/set-password#t=[A-Za-z0-9_-]{40,}", link)
    token = link.split("#t=")[1]

    client.cookies.clear()
    del client.headers["X-CSRF-Token"]
    landing = client.get("/set-password")
    assert landing.status_code == 200 and landing.headers["referrer-policy"] == "no-referrer"
    assert re.search(r'<script src="/static/[0-9a-f]+/set-password\.js" defer></script>', landing.text)
    assert "<script>" not in landing.text  # no inline script: the CSP allows none
    assert client.post("/set-password/open", data={"token": token}).status_code == 403  # CSRF
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', landing.text).group(1)
    opened = client.post("/set-password/open", data={"token": token, "csrf_token": csrf})
    assert opened.status_code == 200 and 'action="/set-password"' in opened.text
    assert opened.headers["cache-control"] == "no-store"
    # An old-style link still lands on the same page, its token moved out of the path.
    old = client.get(f"/set-password/{token}")
    assert old.status_code == 303 and old.headers["location"] == f"/set-password#t={token}"
    assert client.get("/set-password/%3Cscript%3E").headers["location"] == "/set-password"
