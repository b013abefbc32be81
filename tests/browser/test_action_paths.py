"""An ADBB above the cut-off on a phone: the supervision team is offered, the health visitor
chooses paths, and the page says what was created (issue 16)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.offline_support import search_children, sign_in
from tests.support import ADBB_ITEMS

pytestmark = pytest.mark.browser


def test_above_the_cut_off_the_health_visitor_chooses_the_action_paths(page, live_server) -> None:
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    search_children(page, live_server.url, "Agnes")
    page.locator("#children-list a").first.click()
    page.get_by_text("Ny registrering").click()
    page.get_by_role("link", name="ADBB-screening", exact=True).click()
    page.get_by_role("group", name=re.compile("^Anledning")).get_by_label(re.compile("2. screening")).check()
    for key, score in zip(ADBB_ITEMS, [2, 2, 1, 2, 0, 1, 0, 0], strict=True):
        page.locator(f"input[name='data.items.{key}'][value='{score}']").check()
    page.get_by_role("group", name=re.compile("^Handling")).get_by_label("Opfølgende screening").check()
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.locator("#supervision-offer")).to_be_visible()

    page.locator("#choose-action-paths").click()
    expect(page.locator("#supervision-offer")).to_be_visible()
    page.get_by_role("group", name=re.compile("^Valgt sammen med forældrene")).get_by_label("Ja").check()
    page.get_by_label("Udvidet opmærksomhed eller støtte i egen faggruppe").check()
    page.get_by_label("Prøvehandlinger").fill("Mere tid ansigt til ansigt ved amning")
    page.get_by_label("Opfølgning den").fill("2099-01-01")
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.locator("[id='data.follow_up_on-error'], .field-error").first).to_be_visible()
    page.get_by_label("Opfølgning den").fill(_in_two_weeks())
    page.get_by_label("Tværfagligt samarbejde", exact=True).check()
    supervision = page.get_by_role("group", name=re.compile("^Hvor går sagen hen"))
    expect(supervision.get_by_label("Anmodning til ADBB-supervisionsteamet")).to_be_checked()
    page.get_by_role("button", name="Afslut og gem").click()

    created = page.locator("#action-paths-created")
    expect(created).to_contain_text("en opgave om at følge op")
    expect(created).to_contain_text("ADBB-supervisionsteamet")


def _in_two_weeks() -> str:
    from datetime import timedelta

    from backend.domain.dates import today

    return (today() + timedelta(days=14)).isoformat()
