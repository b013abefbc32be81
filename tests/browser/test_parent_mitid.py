"""A parent signs in with MitID on their phone (issue 15): Chromium at 360 px opens the link,
chooses "Log ind med MitID", signs in at the broker (the tests' real npm oidc-provider, with a
CPR claim) and lands on the parents' part. Someone else's MitID gets the refusal page. axe: 0
serious on each. (Broker and app are both on 127.0.0.1 here, so one site: this does not show why
the session cookie set at the callback is SameSite=Lax — a real broker is another site.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.axe import serious_violations
from tests.citizen_support import MOTHER_CPR, NEIGHBOUR_CPR, invitation_for
from tests.oidc_support import Sso, fresh, running_sso
from tests.support import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Sso]:
    with running_sso(tmp_path_factory.mktemp("citizen-browser"), sqlite_template, citizen=True) as sso:
        fresh(sso)
        sso.provider.set_accounts({"mor": {"name": "Mor", "cpr": MOTHER_CPR}, "nabo": {"cpr": NEIGHBOUR_CPR}})
        yield sso


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _sign_in_at_the_broker(page, username: str) -> None:
    page.get_by_role("link", name="Log ind med MitID").click()
    page.locator('input[name="login"]').fill(username)
    page.locator('input[name="password"]').fill("x")
    page.locator('button[type="submit"], input[type="submit"]').first.click()


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_the_guardian_signs_in_with_mitid_on_the_phone(broker: Sso, phone) -> None:
    invitation, _guardian = invitation_for(broker, MOTHER_CPR)
    path = httpx.URL(invitation["url"]).path
    phone.goto(f"{broker.app.url}{path}")
    assert serious_violations(phone) == [] and _fits(phone)
    _sign_in_at_the_broker(phone, "mor")
    phone.wait_for_url(f"{broker.app.url}{path}")
    assert phone.locator('textarea[name="about_child"]').count() == 1
    assert serious_violations(phone) == [] and _fits(phone)


def test_someone_elses_mitid_gets_the_refusal_page(broker: Sso, phone) -> None:
    invitation, _guardian = invitation_for(broker, MOTHER_CPR)
    path = httpx.URL(invitation["url"]).path
    phone.goto(f"{broker.app.url}{path}")
    _sign_in_at_the_broker(phone, "nabo")
    phone.wait_for_url(f"{broker.app.url}/auth/citizen/callback*")
    assert "Vi kan ikke se, at det er jer, invitationen er sendt til" in phone.content()
    assert serious_violations(phone) == [] and _fits(phone)
    phone.get_by_role("link", name="Tilbage til siden, hvor I kan skrive koden").click()
    assert phone.locator('input[name="code"]').count() == 1
