"""The forum at a phone's width (issue 16): the leader plans a meeting of Solsikken's resource
team and puts an anonymous case on its agenda with its preparation shared; the partner signs in,
starts on their coming meetings and reads the shared named case of the demo meeting.
axe: no serious violations on the forum pages."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.domain.dates import today
from tests.browser.axe import serious_violations
from tests.browser.offline_support import sign_in
from tests.support import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)  # bypass_csp only to inject axe
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_leader_prepares_a_meeting_and_the_partner_reads_the_case(phone, live_server) -> None:
    page = phone
    sign_in(page, live_server.url, "demo-leder")
    page.locator("details.usermenu > summary").click()
    page.get_by_role("link", name="Tværfaglige forummer").click()
    expect(page.get_by_role("heading", name="Tværfaglige forummer", level=1)).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name=re.compile("^Ressourceteam Børnehuset Solsikken.*Næste møde")).click()
    page.get_by_label("Dato").fill((today() + timedelta(days=30)).isoformat())
    page.get_by_label("Sted").fill("Personalestuen")
    page.get_by_role("button", name="Planlæg mødet").click()
    expect(page.get_by_role("heading", name=re.compile("^Møde"), level=1)).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Alder").select_option("1-3")
    page.get_by_label("Beskrivelse").fill("En dreng på to år bider de andre børn.")
    page.get_by_role("button", name="Sæt på dagsordenen").last.click()
    expect(page.get_by_role("heading", name=re.compile("Anonym sag"), level=1)).to_be_visible()
    page.get_by_label("Spørgsmålet til forummet").fill("Hvordan forebygger vi bid?")
    page.get_by_role("button", name="Del forberedelsen").click()
    expect(page.get_by_text(re.compile("Forberedelsen er delt$"))).to_be_visible()
    assert serious_violations(page) == []
    page.context.clear_cookies()

    page.goto(live_server.url + "/login")
    page.get_by_label("Brugernavn").fill("demo-raadgiver")
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Tværfaglige forummer", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Kommende møder")).to_be_visible()
    assert serious_violations(page) == []
    page.locator(".forum-cases a").first.click()
    expect(page.get_by_text("Hvordan kan vi støtte ham i at komme ind i legen")).to_be_visible()
    # Read-only: no preparation form for the partner.
    expect(page.get_by_role("button", name="Del forberedelsen")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []


def test_admin_creates_a_forum_and_adds_a_partner_at_phone_width(phone, live_server) -> None:
    """Issue 16: the create and members screens at 360 px, errors linking their field."""
    page = phone
    sign_in(page, live_server.url, "demo-admin")
    page.locator("details.usermenu > summary").click()
    page.get_by_role("link", name="Tværfaglige forummer").click()
    page.get_by_role("link", name="Opret et forum").click()
    expect(page.get_by_role("heading", name="Opret et forum", level=1)).to_be_visible()
    page.get_by_label("Navn").fill("Fokusteam Solsikken")
    page.get_by_label("Fokusteam").check()
    page.get_by_label("Børnehuset Solsikken").check()
    page.get_by_role("button", name="Opret forummet").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link", name=re.compile("^Mødeindkalder"))).to_be_visible()
    expect(page.get_by_label("Navn")).to_have_value("Fokusteam Solsikken")
    assert serious_violations(page) == []
    page.get_by_label("Mødeindkalder").select_option(label="Anne Vestergaard")
    page.get_by_role("button", name="Opret forummet").click()
    expect(page.get_by_role("heading", name="Fokusteam Solsikken", level=1)).to_be_visible()
    page.get_by_label("Samarbejdspartner").check()
    page.get_by_role("combobox", name=re.compile("^Person")).select_option(label="Rikke Holm")
    page.get_by_label("Titel").fill("Forebyggende rådgiver")
    page.get_by_role("button", name="Tilføj medlemmet").click()
    expect(page.get_by_text("Rikke Holm · Samarbejdspartner · Forebyggende rådgiver")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []
