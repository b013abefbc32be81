"""The demo leader opens the leader overview in Chromium, switches round, sees chart and table."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.offline_support import sign_in


def test_the_demo_leader_opens_the_overview_and_switches_round(live_server, page) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server.url, "demo-leder")
    page.goto(live_server.url + "/leader/overview")
    page.get_by_role("link", name="Dagplejen Syd").click()
    expect(page.get_by_role("heading", name="Samlet position")).to_be_visible()
    chart = page.locator("svg.bar-chart[aria-labelledby='h-positions']")
    expect(chart).to_be_visible()
    assert chart.locator("rect.bar").count() == 3
    expect(page.locator("#positions-table")).to_be_visible()
    round_select = page.get_by_label("Runde", exact=True)
    options = round_select.locator("option")
    assert options.count() == 3  # the current round and two closed ones
    older = options.nth(1).get_attribute("value")
    round_select.select_option(older)  # htmx reloads the overview for the chosen round
    expect(page).to_have_url(re.compile(f"round={older}"))
    expect(page.locator("#overview-heading")).to_contain_text(options.nth(1).inner_text().split(" (")[0])
    expect(page.locator("table.movement")).to_be_visible()
    expect(page.locator("#positions-table")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, width  # readable on a 360 px phone without sideways scrolling
    assert not [e for e in errors if "Content Security Policy" in e], errors
