"""The ADBB journey on a phone as a person does it (issue 17), measured in the page: taps (the
page's own `pointerdown` events), page loads, and screen heights scrolled. Shared by
`bench/adbb_journey.py` and the browser test; no timings.

The person opens the screening from the task on "I dag" (the task's link gives the occasion),
scores the 8 items, chooses the action and saves. Before each tap they scroll just as far as
they must to see the whole row above the sticky save bar – never more.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page, expect

from tests.support import ADBB_ITEMS

#: Counters the page keeps from its first script on (a new page load starts them again).
COUNTERS = """
(() => {
  const m = { taps: 0, scrolled: 0, last: 0 };
  window.__journey = m;
  addEventListener("pointerdown", (event) => { if (event.isTrusted) m.taps += 1; }, true);
  addEventListener("scroll", () => {
    m.scrolled += Math.abs(scrollY - m.last);
    m.last = scrollY;
  }, { passive: true });
})();
"""


@dataclass
class Journey:
    taps: int = 0
    page_loads: int = 0
    item_screens: float = 0.0  # screen heights scrolled from the opened form to the 8th score
    screens: float = 0.0  # all scrolling on the form, from opening it to "Afslut og gem"
    form_height: int = 0
    viewport_height: int = 0


def _bring_into_view(page: Page, selector: str) -> None:
    """Scroll the least a person would: the row wholly visible between the sticky bars."""
    page.evaluate(
        """(selector) => {
          const row = document.querySelector(selector);
          const box = row.getBoundingClientRect();
          const bottomBar = document.querySelector(".form-actions").getBoundingClientRect();
          const top = document.querySelector(".adbb-total");
          const topEdge = top ? Math.max(0, top.getBoundingClientRect().bottom) : 0;
          const visibleBottom = Math.min(innerHeight, bottomBar.top);
          if (box.bottom > visibleBottom) scrollBy(0, box.bottom - visibleBottom + 4);
          else if (box.top < topEdge) scrollBy(0, box.top - topEdge - 4);
        }""",
        selector,
    )


def _row_of(input_selector: str) -> str:
    return f"fieldset:has({input_selector})"


def _counters(page: Page) -> dict:
    return page.evaluate("() => ({ ...window.__journey })")


def run_adbb_journey(page: Page, base_url: str, child_id: str, scores: list[int] | None = None) -> Journey:
    """Drive the journey in a signed-in page; returns what it took."""
    journey = Journey()
    page.add_init_script(COUNTERS)
    page.on("load", lambda _page: setattr(journey, "page_loads", journey.page_loads + 1))
    page.goto(f"{base_url}/forms/adbb?child={child_id}&occasion=second")
    expect(page.locator("[data-adbb-total]")).to_be_visible()
    page.wait_for_load_state("load")
    journey.viewport_height = page.evaluate("innerHeight")
    journey.form_height = page.evaluate("document.documentElement.scrollHeight")
    for key, score in zip(ADBB_ITEMS, scores or [0, 1, 0, 0, 1, 0, 0, 0], strict=True):
        target = f"input[name='data.items.{key}'][value='{score}']"
        _bring_into_view(page, _row_of(target))
        page.locator(target).tap()
    journey.item_screens = _counters(page)["scrolled"] / journey.viewport_height
    action = "input[name='data.action'][value='none']"
    _bring_into_view(page, f"label:has({action})")
    page.locator(action).tap()
    counted = _counters(page)
    journey.screens = counted["scrolled"] / journey.viewport_height
    page.get_by_role("button", name="Afslut og gem").tap()
    expect(page.get_by_text("Gemt.")).to_be_visible()
    page.wait_for_load_state("load")
    journey.taps = counted["taps"] + 1  # the save tap: its page is gone before it can be read
    return journey
