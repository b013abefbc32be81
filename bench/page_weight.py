"""Page weight: compressed bytes of a cold load of the caseload page, HTML + CSS + JS.

Budget: under 60 KB in all. Run: `.venv/bin/python -m bench.page_weight`.
"""

from __future__ import annotations

from collections import defaultdict

from playwright.sync_api import sync_playwright

from bench.common import bench_server
from tests.support import CHROMIUM, CHROMIUM_ARGS, PHONE

BUDGET = 60 * 1024
KINDS = {
    "Document": "HTML",
    "Stylesheet": "CSS",
    "Script": "JS",
    "Image": "images",
    "Manifest": "manifest",
    "Other": "other",
    "Fetch": "fetch",
    "XHR": "fetch",
}


def measure(base_url: str, path: str = "/children") -> dict[str, int]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE, service_workers="block")
        response = context.request.post(
            base_url + "/api/session", data={"username": "demo-sundhedsplejerske", "password": "demo"}
        )
        assert response.ok, response.text()
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        kinds: dict[str, str] = {}
        totals: dict[str, int] = defaultdict(int)
        cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
        cdp.on(
            "Network.loadingFinished",
            lambda e: totals.__setitem__(
                KINDS.get(kinds.get(e["requestId"], "Other"), "other"),
                totals[KINDS.get(kinds.get(e["requestId"], "Other"), "other")] + int(e["encodedDataLength"]),
            ),
        )
        page.goto(base_url + path, wait_until="networkidle")
        browser.close()
    return dict(totals)


def main() -> None:
    with bench_server() as server:
        totals = measure(server.url)
    total = sum(totals.values())
    print("Page weight, cold load of the caseload page (/children), compressed bytes on the wire:")
    for kind in ("HTML", "CSS", "JS", "images", "manifest", "fetch", "other"):
        if kind in totals:
            print(f"  {kind:<9} {totals[kind]:>7,} B")
    print(f"  {'total':<9} {total:>7,} B  (budget {BUDGET:,} B: {'OK' if total < BUDGET else 'OVER'})")


if __name__ == "__main__":
    main()
