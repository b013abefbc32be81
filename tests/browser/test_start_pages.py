"""Issue 17 on a 360 px phone: the open round on the pedagogue's "I dag" with a count and a
direct way in, a saved mark's "what now" (the next child in the round), the "Alt er sendt" bar
gone after delivery, the leader's start page (the overview of their own unit, numbers first),
and the flag for a child without a responsible professional (admin and leader)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.browser.offline_support import protect_with_pin
from tests.support import PHONE

pytestmark = pytest.mark.browser

AREAS = [
    "Kognitiv trivsel",
    "Psykisk og emotionel trivsel",
    "Social trivsel",
    "Fysisk og sansemotorisk trivsel",
]


def _phone(browser, base_url: str, username: str):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + "/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()
    return context, page, errors


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, (page.url, width)


def _choose(page, group: str, label: str) -> None:
    page.get_by_role("group", name=re.compile(f"^{group}")).get_by_label(label, exact=True).check()


def test_the_pedagogue_finds_the_round_on_today_and_goes_on_to_the_next_child(browser, live_server) -> None:
    context, page, errors = _phone(browser, live_server.url, "demo-paedagog")
    expect(page.get_by_role("heading", name=re.compile("^I dag"))).to_be_visible()
    protect_with_pin(page)  # her saves go through the phone's outbox, which says "Alt er sendt" (issue 20)
    card = page.locator(".work-card").filter(has_text="Trivselsrunde:")
    expect(card).to_have_count(1)
    count_text = card.locator(".work-count").inner_text()
    waiting = int(re.match(r"(\d+) af dine børn mangler din vurdering", count_text).group(1))
    assert waiting >= 2
    _fits(page)
    assert serious_violations(page) == []

    card.get_by_role("link", name="Vurdér børnene").click()
    expect(page.get_by_role("heading", name="Trivselsrunder")).to_be_visible()
    children = page.locator("#unmarked-heading + ul a")
    expect(children).to_have_count(waiting)
    first, second = (
        children.nth(0).locator(".list-title").inner_text(),
        children.nth(1).locator(".list-title").inner_text(),
    )
    children.nth(0).click()
    for area in AREAS:
        _choose(page, area, "Trivsel")
    _choose(page, "Samlet vurdering", "Trivsel")
    # ("Forældre og hjem" is the health visitors' only: not on an institution's form)
    page.get_by_role("button", name="Afslut og gem").click()

    # The saved mark says what now: the next child of mine in the round, first.
    expect(page.get_by_role("status").filter(has_text="Gemt.")).to_be_visible()
    what_now = page.locator(".what-now")
    expect(what_now.get_by_role("heading", name="Hvad nu?")).to_be_visible()
    expect(what_now.get_by_role("link", name=f"Tilbage til {first}")).to_be_visible()
    next_child = what_now.get_by_role("link", name=f"Næste barn i runden: {second}")
    expect(next_child).to_be_visible()
    assert "secondary" in page.get_by_role("link", name="Ret (ny version)").get_attribute("class")
    _fits(page)
    assert serious_violations(page) == []

    # "Alt er sendt" shows after the delivery, then goes: no 60 px bar for the rest of the session.
    status = page.locator("#sync-status")
    expect(status).to_contain_text("Alt er sendt")
    expect(status).to_be_empty(timeout=15_000)
    assert status.evaluate("el => el.getBoundingClientRect().height") == 0
    next_child.click()
    expect(page.get_by_role("heading", name="Trivselsvurdering")).to_be_visible()
    expect(page.get_by_role("navigation", name="Brødkrummer")).to_contain_text(second)
    page.wait_for_load_state("networkidle")
    expect(status).to_be_empty()
    assert status.evaluate("el => el.getBoundingClientRect().height") == 0

    # Back on I dag the count is one less.
    page.goto(live_server.url + "/")
    expect(card.locator(".work-count")).to_have_text(
        re.compile(f"^{waiting - 1} af dine børn mangler din vurdering")
    )
    assert errors == []
    context.close()


def test_the_leader_starts_on_the_overview_of_their_own_unit(browser, live_server) -> None:
    context, page, errors = _phone(browser, live_server.url, "demo-leder")
    expect(page).to_have_url(re.compile(r"/leader/overview$"))
    expect(page.get_by_role("heading", name="Ledelsesoverblik")).to_be_visible()
    tab = page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Overblik")
    expect(tab).to_have_attribute("aria-current", "page")
    # Numbers first; a chart's numbers as a table only behind a disclosure.
    figures = page.get_by_role("list", name="Nøgletal")
    expect(figures).to_be_visible()
    assert figures.bounding_box()["y"] < 740
    page.get_by_role("link", name="Dagplejen Syd").click()
    expect(page.locator("#overview-heading")).to_contain_text("Dagplejen Syd")
    person_table = page.locator("table").filter(has_text="Fagperson")
    expect(person_table).to_be_hidden()
    page.locator("#h-people ~ details summary").click()
    expect(person_table).to_be_visible()
    _fits(page)
    assert serious_violations(page) == []

    # Next time the start page opens on the unit the leader chose, not the alphabetically first.
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Overblik").click()
    expect(page.locator("#overview-heading")).to_contain_text("Dagplejen Syd")
    page.goto(live_server.url + "/")
    expect(page.locator("#overview-heading")).to_contain_text("Dagplejen Syd")
    assert errors == []
    context.close()


def test_a_child_without_a_responsible_professional_is_flagged(browser, live_server) -> None:
    context, page, errors = _phone(browser, live_server.url, "demo-admin")
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    expect(page.locator("#unassigned")).to_have_count(0)  # every demo child has someone

    page.goto(live_server.url + "/admin/children/new")
    page.get_by_label("Barnets navn").fill("Frede Uden Ansvarlig")
    page.get_by_label("Fødselsdato").fill("2024-05-01")
    page.locator('select[name="unit_id"]').select_option(label="Børnehuset Solsikken")
    expect(page.get_by_label("Ansvarlig fagperson (valgfri)")).to_be_visible()
    page.get_by_role("button", name="Opret barnet").click()
    expect(page.get_by_role("heading", name="Frede Uden Ansvarlig")).to_be_visible()

    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Administration").click()
    flag = page.locator("#unassigned")
    expect(flag.get_by_role("heading", name="1 barn uden ansvarlig fagperson")).to_be_visible()
    _fits(page)
    assert serious_violations(page) == []
    flag.get_by_role("link", name=re.compile("Børnehuset Solsikken")).click()
    expect(page.get_by_role("heading", name="Sagsfordeling")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Frede Uden Ansvarlig")).to_contain_text("ingen")
    context.close()

    context, page, errors = _phone(browser, live_server.url, "demo-leder")
    page.get_by_role("link", name="Børnehuset Solsikken").click()
    figure = page.locator(".key-figures .flag")
    expect(figure).to_contain_text("1")
    expect(figure).to_contain_text("uden ansvarlig fagperson")
    figure.get_by_role("link").click()
    page.get_by_text("Vis børnene").click()
    expect(page.get_by_role("link", name="Frede Uden Ansvarlig")).to_be_visible()
    _fits(page)
    assert serious_violations(page) == []
    assert errors == []
    context.close()
