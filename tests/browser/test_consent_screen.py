"""Issue 17 §10 on a 360 px phone: the consent screen keeps the chosen parent and decision when
"Læs beskrivelsen" is opened and closed, offers no "Trukket tilbage" on a new consent, and shows
the saved time the Danish way."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, expect

from backend.domain.dates import today
from tests.browser.offline_support import search_children, sign_in
from tests.browser.test_transition import youngest_childminding_child

pytestmark = pytest.mark.browser


def open_new_consent(page, live_server, protect: bool = True) -> tuple[str, Locator, Locator]:
    """A childminder writes a transition description for the youngest childminding child and opens
    its new consent: (the child's first name, the decision's group, the last parent's radio)."""
    name = youngest_childminding_child(live_server)
    first_name = name.split()[0]
    sign_in(page, live_server.url, "demo-dagplejepaedagog", protect=protect)
    search_children(page, live_server.url, first_name)
    page.locator("#children-list a", has_text=name).click()
    page.get_by_text("Ny registrering").click()
    page.get_by_role("link", name="Overgangsbeskrivelse", exact=True).click()
    page.get_by_label("Modtagende enhed").select_option(label="Børnehuset Solsikken")
    page.get_by_label("Startdato").fill((today() + timedelta(days=40)).isoformat())
    page.get_by_label("Om vores barn").fill(f"{first_name} elsker at grave i sandkassen.")
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.locator("p.alert[role=status]")).to_contain_text("Gemt.")

    page.get_by_role("link", name="Samtykke til overlevering").click()
    decision = page.get_by_role("group", name=re.compile("^Forælderens beslutning"))
    parents = page.get_by_role("group", name=re.compile("^Forælder eller værge")).get_by_role("radio")
    return first_name, decision, parents.last


def test_reading_the_description_keeps_the_parent_and_the_decision(page, live_server) -> None:
    first_name, decision, chosen_parent = open_new_consent(page, live_server)
    expect(decision.get_by_role("radio")).to_have_count(2)  # a new consent: given or refused
    expect(decision).not_to_contain_text("Trukket tilbage")
    chosen_parent.check()
    decision.get_by_label("Afslået").check()

    page.get_by_role("link", name="Læs beskrivelsen").click()
    expect(page.get_by_text(f"{first_name} elsker at grave i sandkassen.")).to_be_visible()
    page.go_back()
    heading = page.get_by_role("heading", name="Samtykke til at overlevere overgangsbeskrivelsen")
    expect(heading).to_be_visible()
    expect(chosen_parent).to_be_checked()
    expect(decision.get_by_label("Afslået")).to_be_checked()
    expect(page.locator(".draft-offer")).to_have_count(0)  # kept as it was, nothing to resume

    page.get_by_label("Forælderens navn (i stedet for underskrift)").fill("Forælder")
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.locator("p.alert[role=status]")).to_contain_text("Gemt.")
    shown = page.locator("dt:has-text('Tidspunkt') + dd").inner_text()
    assert re.fullmatch(r"\d{1,2}\. \w+\.? \d{4} kl\. \d{2}\.\d{2}", shown), shown
