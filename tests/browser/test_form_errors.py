"""Issue 17 at 360 px: errors that name and link their field and open on it, the compact ADBB
form (taps and scrolling counted), no draft banner under a validation error, and a form shown
again that keeps what was typed (the CPR number, the unit's rooms)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.adbb_journey_support import run_adbb_journey
from tests.browser.axe import serious_violations
from tests.browser.offline_support import server_database, sign_in
from tests.support import PHONE, child_aged

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(shared_live_server):
    """Each test uses its own child or form: one started server for the module."""
    return shared_live_server


def _child_id(server, min_months: int, max_months: int) -> str:
    with server_database(server) as db:
        return child_aged(db, "Sundhedsplejen Nord", min_months, max_months).id


def _focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _in_view(page: Page, element_id: str) -> bool:
    return page.evaluate(
        """(id) => { const box = document.getElementById(id).getBoundingClientRect();
                     return box.top >= 0 && box.bottom <= innerHeight; }""",
        element_id,
    )


def test_an_empty_adbb_names_each_field_links_to_it_and_opens_on_the_first(page, live_server) -> None:
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    page.goto(f"{live_server.url}/forms/adbb?child={_child_id(live_server, 2, 4)}")
    page.get_by_role("button", name="Afslut og gem").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Anledning skal udfyldes.")).to_be_visible()
    expect(summary.get_by_role("link", name="Point for Ansigtsudtryk skal udfyldes.")).to_be_visible()
    expect(summary.get_by_role("link", name="Handling skal udfyldes.")).to_be_visible()
    expect(summary.get_by_text(re.compile("^Skal udfyldes"))).to_have_count(0)  # never the bare message
    links = summary.get_by_role("link")
    expect(links).to_have_count(10)  # occasion, 8 items, action
    targets = [
        href.removeprefix("#") for href in links.evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
    ]
    missing = page.evaluate("(ids) => ids.filter((id) => !document.getElementById(id))", targets)
    assert missing == [], "every link goes to a field that exists"

    # The page opens on the first invalid field, focused and in view.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-data-occasion'")
    assert _in_view(page, "f-data-occasion")

    # A link moves the focus to its field (not only the view).
    summary.get_by_role("link", name="Point for Vokalisering skal udfyldes.").click()
    page.wait_for_function("document.activeElement.id === 'f-data-items-vocalisation'")
    assert _in_view(page, "f-data-items-vocalisation")
    expect(page.locator("#f-data-items-vocalisation-error")).to_have_text(
        "Point for Vokalisering skal udfyldes."
    )


def test_the_compact_adbb_takes_ten_taps_and_under_two_screens_for_the_eight_items(page, live_server) -> None:
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    journey = run_adbb_journey(page, live_server.url, _child_id(live_server, 5, 7))
    assert journey.taps <= 10, journey
    assert journey.page_loads == 2, journey
    assert journey.item_screens <= 2, journey
    expect(page.locator(".big-number")).to_contain_text("2")


def test_no_draft_banner_under_a_validation_error(page, live_server) -> None:
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    page.goto(f"{live_server.url}/forms/adbb?child={_child_id(live_server, 8, 10)}")
    page.locator("input[name='data.items.facial_expression'][value='2']").check()
    page.locator("input[name='data.items.eye_contact'][value='1']").check()
    page.wait_for_timeout(600)  # the draft is kept on the phone (on change, and 300 ms after input)
    page.get_by_role("button", name="Afslut og gem").click()

    expect(page.locator("#error-summary")).to_be_visible()
    page.wait_for_load_state("load")
    page.wait_for_timeout(1000)  # the draft offer is looked up after the page's load
    expect(page.locator(".draft-offer")).to_have_count(0)
    expect(page.get_by_text("Du har en kladde")).to_have_count(0)
    expect(page.locator("input[name='data.items.facial_expression'][value='2']")).to_be_checked()
    expect(page.locator("input[name='data.items.eye_contact'][value='1']")).to_be_checked()
    expect(page.locator("[data-adbb-total]")).to_have_text("Total: 3 af 32")


def test_the_admin_child_form_keeps_the_cpr_and_the_units_rooms_after_an_error(page, live_server) -> None:
    page.goto(live_server.url + "/login")
    page.get_by_label("Brugernavn").fill("demo-admin")
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))
    page.goto(live_server.url + "/admin/children/new")
    page.get_by_label(re.compile("^Fødselsdato")).fill("2025-03-04")
    page.locator("#f-cpr").fill("040325-1234")
    page.get_by_label(re.compile("^Enhed")).select_option(label="Børnehuset Solsikken")
    page.get_by_role("button", name="Opret barnet").click()  # no name: refused

    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#f-cpr")).to_have_value("040325-1234")
    expect(page.get_by_label(re.compile("^Fødselsdato"))).to_have_value("2025-03-04")
    rooms = page.get_by_label("Stue (valgfri)").locator("option").all_inner_texts()
    assert len(rooms) > 1
    assert all(text.startswith("Børnehuset Solsikken") for text in rooms[1:]), rooms


def test_the_compact_adbb_form_and_its_errors_pass_axe(browser, live_server) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "demo-sundhedsplejerske")
        page.goto(f"{live_server.url}/forms/adbb?child={_child_id(live_server, 10, 14)}")
        page.locator(".adbb-more summary").first.click()  # the anchors and the note, opened
        assert serious_violations(page) == []
        page.get_by_role("button", name="Afslut og gem").click()
        expect(page.locator("#error-summary")).to_be_visible()
        page.wait_for_load_state("load")
        assert serious_violations(page) == []
    finally:
        context.close()
