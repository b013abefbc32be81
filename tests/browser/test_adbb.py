"""A full ADBB screening on a phone, with the live total."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.offline_support import search_children, sign_in
from tests.support import ADBB_ITEMS

pytestmark = pytest.mark.browser


def test_health_visitor_records_a_full_screening_with_live_total(page, live_server) -> None:
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    search_children(page, live_server.url, "Agnes")
    page.locator("#children-list a").first.click()
    page.get_by_text("Ny registrering").click()
    page.get_by_role("link", name="ADBB-screening", exact=True).click()
    expect(page.get_by_role("heading", name="ADBB-screening")).to_be_visible()

    total = page.locator("[data-adbb-total]")
    expect(total).to_have_text("Total: 0 af 32")
    page.get_by_role("group", name=re.compile("^Anledning")).get_by_label(re.compile("2. screening")).check()
    scores = [1, 1, 0, 2, 0, 1, 0, 0]
    for key, score in zip(ADBB_ITEMS, scores, strict=True):
        page.locator(f"input[name='data.items.{key}'][value='{score}']").check()
    expect(total).to_have_text("Total: 5 af 32")  # updated while scoring, no server round trip
    expect(page.locator(".adbb-total")).to_have_class(re.compile("over"))
    page.get_by_label("Samtalen med forældrene").fill("Vi så sammen på, hvordan Agnes søger blikket.")
    page.get_by_role("group", name=re.compile("^Handling")).get_by_label("Opfølgende screening").check()
    page.get_by_role("button", name="Afslut og gem").click()

    expect(page.get_by_text("Gemt.")).to_be_visible()
    expect(page.locator(".big-number")).to_contain_text("5")
    expect(page.get_by_text("Over grænsen")).to_be_visible()
    page.get_by_role("link", name=re.compile("Agnes")).first.click()
    expect(page.get_by_role("heading", name="ADBB-screeninger")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Opfølgende ADBB-screening"))).to_be_visible()
