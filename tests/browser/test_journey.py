"""The demo health visitor's journey on a phone: log in, find a child, open it, log out."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.support import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(shared_live_server):
    """These tests only read and sign in or out: they share one started server."""
    return shared_live_server


@pytest.fixture
def a11y_page(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_health_visitor_finds_a_child_and_logs_out(page, live_server) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    page.get_by_label("Brugernavn").fill("demo-sundhedsplejerske")
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name=re.compile("^I dag"))).to_be_visible()
    expect(page.get_by_role("heading", name="Mine børn")).to_be_visible()

    page.get_by_role("link", name="Børn", exact=True).click()
    search = page.get_by_role("searchbox", name="Søg efter et barn")
    search.fill("agn")
    results = page.locator("#children-list a")
    expect(results).to_have_count(1)  # htmx swapped the list without a page load
    expect(results.first).to_contain_text("Agnes")
    results.first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Agnes")
    expect(page.get_by_role("heading", name="Forældre og værger")).to_be_visible()
    assert re.search(r"/children/[0-9a-f-]{36}$", page.url)  # an id, no name or CPR in the URL

    page.locator("details.usermenu > summary").click()
    page.get_by_role("button", name="Log ud").click()
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    page.goto(live_server.url + "/children")
    expect(page).to_have_url(re.compile(r"/login"))
    assert errors == []


def test_screens_have_no_serious_accessibility_violations(a11y_page, live_server) -> None:
    page = a11y_page
    page.goto(live_server.url + "/login")
    assert serious_violations(page) == []
    page.get_by_label("Brugernavn").fill("demo-sundhedsplejerske")
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name=re.compile("^I dag"))).to_be_visible()
    assert serious_violations(page) == []
    page.goto(live_server.url + "/children")
    assert serious_violations(page) == []
    page.locator("#children-list a").first.click()
    expect(page.get_by_role("heading", name="Forældre og værger")).to_be_visible()
    page.locator("details.usermenu > summary").click()
    assert serious_violations(page) == []


def test_layout_fits_a_360px_screen_without_sideways_scrolling(page, live_server) -> None:
    page.goto(live_server.url + "/login")
    page.get_by_label("Brugernavn").fill("demo-leder")
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    for path in ("/", "/children"):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    small_targets = page.evaluate("""() => [...document.querySelectorAll('a, button, input')]
        .filter(el => el.offsetParent !== null)
        .map(el => el.getBoundingClientRect())
        .filter(r => r.height < 44 && r.width > 0).length""")
    assert small_targets == 0
