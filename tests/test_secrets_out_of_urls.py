"""Issue 12, M-4, M-5, L-2, L-5, L-6, L-9: secrets and personal data stay out of URLs and logs;
redirect targets, query parameters and device ids are not whatever the client says."""

from __future__ import annotations

import re

import pyotp
import pytest

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


def _enrol_with_next(client, db, username: str, next_url: str) -> str:  # noqa: ANN001
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
