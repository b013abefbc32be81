"""The ADBB journey on a 360×780 phone in Debian's Chromium (issue 17): taps, page loads and
screen heights scrolled for a screening of the 8 items, from the task's link to "Gemt.".
Goal: ≤ 10 taps and ≤ 2 screens of scrolling for the 8 items (before: 14 taps, 6.6 screens).
Counts, not timings.

Run: `.venv/bin/python -m bench.adbb_journey`
"""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from bench.common import bench_server
from tests.browser.adbb_journey_support import run_adbb_journey
from tests.browser.offline_support import server_database, sign_in
from tests.support import CHROMIUM, CHROMIUM_ARGS, PHONE, child_aged

VIEWPORT = {"width": 360, "height": 780}


def main() -> None:
    with bench_server() as server, sync_playwright() as playwright:
        with server_database(server) as db:
            child_id = child_aged(db, "Sundhedsplejen Nord", 3, 12).id
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**{**PHONE, "viewport": VIEWPORT})
        page = context.new_page()
        sign_in(page, server.url, "demo-sundhedsplejerske")
        journey = run_adbb_journey(page, server.url, child_id)
        browser.close()
    print(f"ADBB journey at {VIEWPORT['width']}×{VIEWPORT['height']} (form opened from the task):")
    print(f"  taps:                       {journey.taps}  (goal ≤ 10)")
    print(f"  page loads:                 {journey.page_loads}  (the form, the saved screening)")
    print(f"  screens scrolled, 8 items:  {journey.item_screens:.2f}  (goal ≤ 2)")
    print(f"  screens scrolled, in all:   {journey.screens:.2f}")
    screens = journey.form_height / VIEWPORT["height"]
    print(f"  form height:                {journey.form_height} px ({screens:.1f} screens)")


if __name__ == "__main__":
    main()
