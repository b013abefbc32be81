"""SAML sign-in in Chromium: to the identity provider (pysaml2's IdP, started by the tests) and
back through its auto-posted form, then sign-out here and at the IdP (signed LogoutRequest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.saml_support import P_HEALTH_VISITOR, Person, Saml, fresh, running_saml

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def saml(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Saml]:
    with running_saml(tmp_path_factory.mktemp("saml-browser"), sqlite_template) as running:
        yield running


def test_saml_sign_in_and_sign_out_in_chromium(page, saml: Saml) -> None:
    person = Person("browser-persistent-0001", "Birgit Browser", [P_HEALTH_VISITOR])
    fresh(saml, person, encrypt=True)
    app = saml.app.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and page.url.startswith(app) else None
    )

    page.goto(app + "/children")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fchildren$"))
    page.get_by_role("link", name="Log ind med Fælleskommunal Adgangsstyring").click()

    # The IdP answers with the HTTP-POST binding's form, which posts itself to the app.
    expect(page).to_have_url(app + "/children")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.locator("details.usermenu > summary").click()
    expect(page.locator(".usermenu-name")).to_have_text("Birgit Browser")
    user = saml.user_by_subject(person.subject)
    assert saml.roles(user.id) == {("health_visitor", saml.units["hv"], "saml")}

    # Sign out: the session ends here, the IdP gets a signed LogoutRequest and sends us back.
    page.get_by_role("button", name="Log ud").click()
    expect(page).to_have_url(re.compile("^" + re.escape(app) + "/login"))
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    assert saml.idp.logout_requests[-1] == person.subject
    assert saml.audit("saml.logout_response")[-1].detail["confirmed"] is True
    page.goto(app + "/children")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert errors == []
