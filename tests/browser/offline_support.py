"""Helpers for the offline tests: sign in, wait for the service worker, look into the phone."""

from __future__ import annotations

import re
from contextlib import contextmanager

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from backend.db import make_engine, new_session
from backend.people.models import Child, User
from tests.support import ADBB_ITEMS, LiveServer

PIN = "246810"


def sign_in(page: Page, base_url: str, username: str, password: str = "demo", protect: bool = True) -> None:
    """Sign in; on "I dag" also protect the data on the phone with a PIN (issue 20), or unlock it."""
    page.goto(base_url + "/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    # each person's start page: "I dag", a leader's overview, the admin home (issue 17)
    expect(
        page.get_by_role("heading", name=re.compile("^(I dag|Ledelsesoverblik|Administration)"))
    ).to_be_visible()
    if protect and page.locator("[data-vault-enrol]").count():
        protect_with_pin(page)


def protect_with_pin(page: Page, pin: str = PIN) -> None:
    """On "I dag": enrol a PIN, or (enrolled earlier on this phone) unlock with it."""
    section = page.locator("[data-vault-enrol]")
    expect(section).to_be_visible()
    status = section.locator("[data-vault-status]")
    form = section.locator("form:visible")
    unlock = status.get_by_role("link", name="Lås op")
    expect(form.or_(unlock).or_(status.get_by_text("er beskyttet")).first).to_be_visible()
    if form.count():
        page.get_by_label("Vælg en PIN").fill(pin)
        page.get_by_label("Gentag PIN").fill(pin)
        page.get_by_role("button", name="Beskyt med PIN").click()
        expect(status).to_contain_text("Dine data på telefonen er beskyttet", timeout=30_000)
    elif unlock.is_visible():
        unlock.click()
        unlock_with_pin(page, pin)


def unlock_with_pin(page: Page, pin: str = PIN) -> None:
    page.get_by_label("PIN", exact=True).fill(pin)
    page.get_by_role("button", name="Lås op med PIN").click()
    expect(page.get_by_role("heading", name="Lås op")).to_have_count(0, timeout=30_000)


def search_children(page: Page, base_url: str, term: str) -> None:
    """The children list searched for `term` through the search box (a POST: no term in the URL)."""
    page.goto(base_url + "/children")
    page.get_by_role("searchbox", name="Søg efter et barn").fill(term)
    with page.expect_navigation():
        page.get_by_role("button", name="Søg", exact=True).click()
    assert page.url == base_url + "/children"


def wait_for_service_worker(page: Page) -> None:
    """Until the service worker controls the page.

    The worker claims open pages when it activates; a page that loaded in the moment between
    can stay uncontrolled, and then the next navigation is (as for a person using the app).
    """
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)


def eventually(check, timeout: float = 15.0, interval: float = 0.25):
    """Poll `check()` until it returns something truthy (page promises are awaited by evaluate)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def download_for_offline(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    wait_for_service_worker(page)
    page.get_by_role("button", name="Hent til offline").click()
    expect(page.locator("[data-download-status]")).to_contain_text("Klar til brug uden net", timeout=60_000)


def wait_for_failed_navigation(page: Page) -> None:
    page.wait_for_url("chrome-error://chromewebdata/", timeout=15_000)


def outbox_items(page: Page) -> list[dict]:
    """The signed-in user's outbox, read from the phone's IndexedDB."""
    return page.evaluate("""async () => {
        const { userId } = await OpsporStore.currentUser();
        return (await OpsporStore.user(userId).all("outbox")).map((e) => e.value);
    }""")


def drafts_text(page: Page) -> str:
    """The field values of the signed-in user's form drafts on the phone, one a line."""
    return page.evaluate("""async () => {
        const { userId } = await OpsporStore.currentUser();
        return (await OpsporStore.user(userId).all("drafts"))
            .flatMap((e) => [...new URLSearchParams(e.value.fields)].map(([, value]) => value)).join("\\n");
    }""")


def user_fact(page: Page, key: str):
    """One of the signed-in user's facts on the phone (e.g. "last_sync_at"), or None."""
    return page.evaluate(
        """async (key) => {
        const { userId } = await OpsporStore.currentUser();
        return (await OpsporStore.user(userId).get("facts", key)) ?? null;
    }""",
        key,
    )


def offline_reads(page: Page) -> list[dict]:
    """The signed-in user's offline reads waiting on the phone, opened with the user's key."""
    return page.evaluate("""async () => {
        const { userId } = await OpsporStore.currentUser();
        const keys = await OpsporCrypto.ready(userId);
        const entries = (await OpsporStore.user(userId).get("facts", "offline_reads")) || [];
        return Promise.all(entries.map((entry) => OpsporCrypto.open(keys.aes, entry.box)));
    }""")


def kept_urls(page: Page) -> list[str]:
    """The kept pages' cache URLs (/kept/<opaque name>: no path in clear)."""
    return page.evaluate("""async () => {
        const { userId } = await OpsporStore.currentUser();
        const cache = await caches.open(OpsporStore.pageCache(userId));
        return (await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
    }""")


def is_kept(page: Page, path: str) -> bool:
    """Whether the phone keeps a copy of `path` (looked up by its name under the user's key)."""
    return page.evaluate(
        """async (path) => {
        const { userId } = await OpsporStore.currentUser();
        return OpsporStore.hasKept(userId, path);
    }""",
        path,
    )


def fill_adbb(page: Page, scores: list[int] | None = None) -> None:
    page.get_by_role("group", name=re.compile("^Anledning")).get_by_label(re.compile("2. screening")).check()
    for key, score in zip(ADBB_ITEMS, scores or [1, 0, 0, 0, 0, 0, 0, 0], strict=True):
        page.locator(f"input[name='data.items.{key}'][value='{score}']").check()
    page.get_by_role("group", name=re.compile("^Handling")).get_by_label("Ingen yderligere handling").check()


@contextmanager
def server_database(server: LiveServer):
    """A session on the live server's database that sees its writes as they happen."""
    engine = make_engine(server.env["OPSPOR_DATABASE_URL"], sqlite_write_lock_up_front=False)
    try:
        with new_session(engine) as session:
            yield session
    finally:
        engine.dispose()


def lock_after(server: LiveServer, minutes: int) -> None:
    """The municipalities' `lock_minutes` (the app locks after that long unused, issue 20)."""
    from backend.people.models import Municipality

    with server_database(server) as db:
        for municipality in db.exec(select(Municipality)):
            municipality.settings = {**(municipality.settings or {}), "lock_minutes": minutes}
            db.add(municipality)
        db.commit()


def child_named(db: Session, first_name: str) -> Child:
    return db.exec(select(Child).where(Child.name.startswith(first_name))).one()


def user_id(db: Session, username: str) -> str:
    return db.exec(select(User.id).where(User.username == username)).one()
