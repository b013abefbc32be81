"""A pedagogue prepares and minutes a dialogue meeting on a phone: rows added and removed with
the page script, consent asked for when an outsider takes part; the sparring page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.browser.test_adbb import sign_in
from tests.support import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)  # bypass_csp only to inject axe
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()


def test_pedagogue_prepares_and_minutes_a_meeting(phone, live_server) -> None:
    page = phone
    sign_in(page, live_server.url, "demo-paedagog")
    page.goto(live_server.url + "/children")
    page.locator("#children-list a").first.click()
    page.get_by_text("Ny registrering").click()
    page.get_by_role("link", name="Dialogmøde", exact=True).click()
    expect(page.get_by_role("heading", name="Dialogmøde", level=1)).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_label("Formål med mødet").fill("Tale om søvn og afleveringen")
    rows = page.locator("[data-rows]").first
    expect(rows.locator("[data-row]")).to_have_count(2)  # the no-script blank rows
    rows.get_by_role("button", name="Tilføj deltager").click()
    expect(rows.locator("[data-row]")).to_have_count(3)
    expect(page.get_by_role("group", name="Deltager 3")).to_be_visible()
    page.locator("#f-data-participants-0-name").fill("Mor")
    page.locator("#f-data-participants-0-role").select_option("parent")
    page.locator("#f-data-participants-2-name").fill("Sara Holt")
    page.locator("#f-data-participants-2-role").select_option("external")
    page.get_by_role("group", name="Deltager 2").get_by_role("button", name="Fjern deltageren").click()
    expect(rows.locator("[data-row]")).to_have_count(2)

    agreements = page.locator("[data-rows]").nth(1)
    agreements.get_by_role("button", name="Tilføj aftale").click()
    page.locator("#f-data-agreements-2-what").fill("Fast sengetid")
    page.locator("#f-data-agreements-2-who").fill("Mor")
    page.get_by_role("button", name="Gem kladde").click()

    expect(page.get_by_text("Gemt.")).to_be_visible()
    expect(page.get_by_text("Sara Holt")).to_be_visible()
    expect(page.get_by_text("Fast sengetid")).to_be_visible()
    expect(page.get_by_text("samtykket mangler")).to_be_visible()

    page.get_by_role("link", name="Fortsæt").click()
    page.get_by_label("Mødet blev holdt den").fill("2026-01-05")
    page.locator("#f-data-agreements-0-due_on").fill("2026-12-01")
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_role("alert").first).to_contain_text("samtykke")
    consent = page.get_by_role("button", name="Registrér samtykke", exact=True)
    expect(consent).to_have_attribute(
        "data-then-next", re.compile(r"^/forms/consent\?child=.+&kind=meeting&scope=.+&fra=")
    )
    expect(page.locator("#f-data-participants-1-name")).to_have_value("Sara Holt")  # nothing lost
    assert page.errors == []


def test_sparring_page_starts_an_anonymous_reflection(phone, live_server) -> None:
    page = phone
    sign_in(page, live_server.url, "demo-dagplejepaedagog")
    page.locator("details.usermenu > summary").click()
    page.get_by_role("link", name="Faglig sparring").click()
    expect(page.get_by_role("heading", name="Faglig sparring", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile("Anonym · 1–3 år"))).to_be_visible()  # the demo reflection
    assert serious_violations(page) == []
    page.get_by_role("link", name="Ny anonym sparring").click()
    page.get_by_role("group", name=re.compile("Barnets alder")).get_by_label("3–6 år").check()
    page.get_by_label("Hvad skete der?").fill("Uro ved frokost")
    page.get_by_label("Barnets perspektiv").fill("Her er for meget larm")
    page.get_by_role("group", name=re.compile("brug for")).get_by_label("Den store hånd").check()
    page.get_by_role("group", name=re.compile("gav de voksne")).get_by_label("Den lille hånd").check()
    page.locator("#f-data-trial_actions-0-what").fill("Mindre borde")
    page.locator("#f-data-trial_actions-0-follow_up_on").fill("2030-01-01")
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_role("alert").first).to_contain_text("inden for et år")
    page.locator("#f-data-trial_actions-0-follow_up_on").fill(_soon())
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_text("Gemt.")).to_be_visible()
    expect(page.get_by_text("Barnet fik en anden hånd, end det rakte ud efter.")).to_be_visible()
    assert page.errors == []


def _soon() -> str:
    from datetime import timedelta

    from backend.domain.dates import today

    return (today() + timedelta(days=14)).isoformat()


def test_without_javascript_the_form_offers_blank_rows_and_no_dead_buttons(browser, live_server) -> None:
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "demo-paedagog", protect=False)  # no script: nothing is kept
        page.goto(live_server.url + "/children")
        page.locator("#children-list a").first.click()
        page.get_by_text("Ny registrering").click()
        page.get_by_role("link", name="Dialogmøde", exact=True).click()
        expect(page.get_by_role("group", name="Deltager 2")).to_be_visible()
        expect(page.get_by_role("group", name="Aftale 2")).to_be_visible()
        expect(page.get_by_role("button", name="Tilføj deltager")).to_be_hidden()
        removers = page.locator("[data-remove-row]")
        expect(removers).to_have_count(4)  # two participant rows, two agreement rows ...
        for index in range(4):
            expect(removers.nth(index)).to_be_hidden()  # ... and no dead buttons
        page.get_by_label("Formål med mødet").fill("Søvn")
        page.locator("#f-data-participants-1-name").fill("Far")
        page.get_by_role("button", name="Gem kladde").click()
        expect(page.get_by_text("Gemt.")).to_be_visible()
        expect(page.get_by_text("Far", exact=True)).to_be_visible()
    finally:
        context.close()
