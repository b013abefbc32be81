"""Every screen of every role at 360 px: no serious or critical axe finding (issue 17).

Each demo role signs in and walks its app the way a user would: from "I dag", every link on a
page that leads to another screen of the app. Screens are told apart by their path with ids
replaced (one child's page stands for all children's pages), so the walk stays small; pages
that leave the app or change something (sign-out, downloads, the API) are not followed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.axe import serious_violations
from tests.support import PHONE

pytestmark = pytest.mark.browser

ROLES = (
    "demo-sundhedsplejerske",
    "demo-paedagog",
    "demo-dagplejer",
    "demo-dagplejepaedagog",
    "demo-leder",
    "demo-admin",
)
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b\d+\b")
NOT_SCREENS = re.compile(
    r"^/(static|api|sw\.js|manifest|logout|login|saml|oidc|me/language)|\.(csv|json|pdf)$"
)
MAX_SCREENS_PER_ROLE = 45
#: Screens every signed-in user has that no page links to (the status bar's link, the user menu's
#: own forms, the offline fallback, "Lås op").
UNLINKED = ["/outbox", "/me/second-factor", "/offline", "/unlock"]


@pytest.fixture
def live_server(shared_live_server):
    """The walk only reads: the tests share one started server."""
    return shared_live_server


def screen_of(path: str) -> str:
    return ID.sub(":id", path)


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or NOT_SCREENS.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def walk(page, base: str) -> dict[str, list[dict]]:
    """Visit every screen reachable by links from "/"; axe findings per screen."""
    seen: set[str] = set()
    todo = ["/", *UNLINKED]
    findings: dict[str, list[dict]] = {}
    while todo and len(seen) < MAX_SCREENS_PER_ROLE:
        target = todo.pop(0)
        path, _, query = target.partition("?")
        screen = screen_of(path) + (f"?{query.split('=')[0]}" if query else "")
        if screen in seen:
            continue
        seen.add(screen)
        response = page.goto(base + target)
        if response is None or response.status >= 400:
            continue
        findings[screen] = serious_violations(page)
        todo.extend(_links(page, base))
    return findings


@pytest.mark.parametrize("username", ROLES)
def test_every_screen_of_the_role_has_no_serious_axe_finding(browser, live_server, username) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True, service_workers="block")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        assert serious_violations(page) == []
        page.get_by_label("Brugernavn").fill(username)
        page.get_by_label("Adgangskode").fill("demo")
        page.get_by_role("button", name="Log ind").click()
        page.wait_for_load_state()
        findings = walk(page, live_server.url)
    finally:
        context.close()
    assert len(findings) >= 3, findings.keys()
    assert {screen: found for screen, found in findings.items() if found} == {}


def test_the_page_script_speaks_the_users_language(browser, live_server) -> None:
    """Under lang="en" the page script's texts come from the English catalogue in the page."""
    context = browser.new_context(**PHONE, service_workers="block")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.get_by_label("Brugernavn").fill("demo-dagplejer")
        page.get_by_label("Adgangskode").fill("demo")
        page.get_by_role("button", name="Log ind").click()
        page.wait_for_load_state()
        texts_url = page.eval_on_selector("link[rel=modulepreload][href$='/texts.js']", "l => l.href")
        say = "url => import(url).then(m => [m._('Venter på net'), m._('Modtaget af {who}.', {who: 'Ida'})])"
        assert page.evaluate(say, texts_url) == ["Venter på net", "Modtaget af Ida."]
        page.locator("details.usermenu > summary").click()
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.evaluate(say, texts_url) == ["Waiting for a connection", "Received by Ida."]
        page.locator("details.usermenu > summary").click()
        page.get_by_role("button", name="Dansk").click()
        page.wait_for_load_state()
    finally:
        context.close()
