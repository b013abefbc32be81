"""Issue 14 on the phone's side: the quick return, and what later syncs do to what the phone keeps.

Debian's Chromium against a real `opspor serve` process, as tests/browser/test_offline.py.
"""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.offline_support import (
    child_named,
    download_for_offline,
    eventually,
    outbox_items,
    server_database,
    sign_in,
)
from tests.browser.test_offline import HEALTH_VISITOR, NewRecords, save_note_offline

pytestmark = pytest.mark.browser


def attempts(page) -> int:
    return outbox_items(page)[0].get("attempts", 0)


def pause_the_phones_clock(page) -> None:
    """From here on the page's timers fire only when the test moves its clock."""
    now_ms = page.evaluate("() => Date.now()")
    page.clock.pause_at(now_ms + 1000)


def test_the_server_back_with_the_page_open_sends_within_5_s(page, live_server) -> None:
    """Issue 14, quick return: with the retries backed off to 30 s, a write waited up to 30 s after
    the server came back. A cheap probe finds the server and starts delivery at once: here the
    page's clock moves 4 s after the server's return (the next retry is still ~30 s away) and the
    write is delivered."""
    page.clock.install()
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    new_records = NewRecords(live_server, child.id)
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)

    live_server.stop()
    save_note_offline(page, live_server.url, child, "Sendt straks efter afbrydelsen")
    for _ in range(5):  # retries after 5, 10, 20, 30, 30 s: the backoff sits at its 30 s ceiling
        tried = attempts(page)
        page.clock.fast_forward("00:30")
        assert eventually(lambda tried=tried: attempts(page) > tried)
    pause_the_phones_clock(page)
    tried = attempts(page)
    assert new_records() == []

    live_server.start()
    back = time.monotonic()
    page.clock.run_for(4000)  # 4 s of the phone's time: a probe, never the 30 s retry
    expect(page.locator("#sync-status")).to_contain_text("Alt er sendt", timeout=20_000)
    delivered = time.monotonic() - back
    assert [r.data["text"] for r in new_records()] == ["Sendt straks efter afbrydelsen"]
    assert outbox_items(page) == []
    print(f"delivered {delivered:.2f} s (real) after the server's return, 4 s of the phone's time")
    assert tried >= 5
