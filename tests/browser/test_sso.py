"""Sign-in in Chromium: single sign-on at a real provider and back, sign-out at both ends; and a
local account's two-factor enrolment on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.auth.models import TotpCredential
from tests.browser.axe import serious_violations
from tests.oidc_support import Sso, fresh, running_sso
from tests.support import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Sso]:
    with running_sso(tmp_path_factory.mktemp("sso-browser"), sqlite_template) as running:
        yield running


def _console_errors(page, origin: str) -> list[str]:
    """Script errors and console errors on the app's own pages (the provider's pages load web
    fonts from the internet, which this machine cannot reach)."""
    errors: list[str] = []

    def ours() -> bool:
        return page.url.startswith(origin)

    page.on("pageerror", lambda error: errors.append(str(error)) if ours() else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and ours() else None)
    return errors


def test_single_sign_on_and_sign_out_in_chromium(page, sso: Sso) -> None:
    idp = fresh(sso)
    app = idp.app.url
    errors = _console_errors(page, app)
    page.goto(app + "/children")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fchildren$"))
    page.get_by_role("link", name="Log ind med kommunens login").click()

    # The provider's own login form (dev interactions): the username is the subject.
    expect(page).to_have_url(re.compile("^" + re.escape(idp.proxy.url) + "/interaction/"))
    page.locator("input[name=login]").fill("sofie")
    page.locator("input[name=password]").fill("hvad-som-helst")
    page.get_by_role("button", name="Sign-in").click()

    expect(page).to_have_url(app + "/children")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.locator("details.usermenu > summary").click()
    expect(page.locator(".usermenu-name")).to_have_text("Sofie Sundhedsplejerske")
    user = idp.user("sofie")
    assert idp.roles(user.id) == {("health_visitor", idp.units["hv"], "oidc")}

    # Sign out: our session ends, then the provider asks to confirm and sends us back.
    page.get_by_role("button", name="Log ud").click()
    expect(page).to_have_url(re.compile("^" + re.escape(idp.proxy.url) + "/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(re.compile("^" + re.escape(app) + "/login"))
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    assert "/session/end/confirm" in idp.proxy.paths

    page.goto(app + "/children")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_role("link", name="Log ind med kommunens login").click()
    expect(page.locator("input[name=login]")).to_be_visible()  # the provider forgot us too
    assert errors == []


def test_the_no_access_page_in_chromium(page, sso: Sso) -> None:
    idp = fresh(sso)
    page.goto(idp.app.url + "/login")
    page.get_by_role("link", name="Log ind med kommunens login").click()
    page.locator("input[name=login]").fill("uden-rolle")
    page.locator("input[name=password]").fill("x")
    page.get_by_role("button", name="Sign-in").click()
    expect(page.get_by_role("heading", name="Ingen adgang")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("ingen rolle i Opspor")
    expect(page.locator("details.usermenu")).to_have_count(0)


@pytest.fixture
def a11y_page(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_local_account_enrols_a_second_factor_on_a_phone(a11y_page, live_server) -> None:
    """The live server runs without single sign-on; a new local account enrols at first sign-in."""
    from backend.auth.passwords import hash_password
    from backend.db import make_engine, new_session
    from backend.people.models import RoleAssignment, Unit, User

    engine = make_engine(live_server.env["OPSPOR_DATABASE_URL"])
    with new_session(engine) as db:
        unit = db.exec(select(Unit).where(Unit.name == "Sundhedsplejen Nord")).one()
        user = User(
            municipality_id=unit.municipality_id,
            username="karin",
            display_name="Karin Kode",
            password_hash=hash_password("en-lang-adgangskode"),
        )
        db.add(user)
        db.flush()
        db.add(RoleAssignment(user_id=user.id, role="health_visitor", unit_id=unit.id))
        db.commit()
        user_id = user.id

    page = a11y_page
    page.goto(live_server.url + "/login")
    page.get_by_label("Brugernavn").fill("karin")
    page.get_by_label("Adgangskode").fill("en-lang-adgangskode")
    page.get_by_role("button", name="Log ind").click()

    expect(page.get_by_role("heading", name="Slå totrinsbekræftelse til")).to_be_visible()
    qr = page.get_by_role("img", name="QR-kode til godkendelsesappen")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")  # the SVG rendered
    assert serious_violations(page) == []
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Kode fra appen").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Slå totrinsbekræftelse til").click()

    expect(page.get_by_role("heading", name="Dine gendannelseskoder")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert serious_violations(page) == []
    page.get_by_role("link", name=re.compile("fortsæt")).click()
    expect(page.get_by_role("heading", name=re.compile("^I dag"))).to_be_visible()
    with new_session(engine) as db:
        assert db.exec(select(TotpCredential).where(TotpCredential.user_id == user_id)).first()
    engine.dispose()
