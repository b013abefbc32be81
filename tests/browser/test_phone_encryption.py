"""What Opspor keeps on the phone is encrypted at rest (issue 20), in Debian's Chromium.

The phone's storage is read raw here (IndexedDB and Cache Storage opened directly, not through
the app): no child's name, CPR number, note text or record id may be in it. Unlocking with a PIN
and a passkey (the DevTools protocol's virtual authenticator with PRF), the auto-lock, five wrong
PINs, two users on one phone, and the writes that go out while the app is locked.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend.auth.models import Device
from backend.people.models import Child
from tests.browser.offline_support import (
    PIN,
    child_named,
    download_for_offline,
    eventually,
    outbox_items,
    server_database,
    sign_in,
    unlock_with_pin,
    wait_for_service_worker,
)
from tests.browser.test_consent_screen import open_new_consent
from tests.browser.test_offline import NewRecords, save_note_offline, save_screening_and_note

pytestmark = pytest.mark.browser

HEALTH_VISITOR = "demo-sundhedsplejerske"
NOTE = "Mor virkede meget træt under besøget."

#: Every IndexedDB database and store and every Cache Storage entry (URL, headers, body), raw.
RAW_STORAGE = """async () => {
    const done = (req) => new Promise((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
    });
    const out = [];
    for (const { name } of await indexedDB.databases()) {
        const db = await done(indexedDB.open(name));
        for (const storeName of db.objectStoreNames) {
            const store = db.transaction(storeName).objectStore(storeName);
            const [keys, values] = [await done(store.getAllKeys()), await done(store.getAll())];
            out.push(JSON.stringify({ db: name, store: storeName, keys, values }));
        }
        db.close();
    }
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
            const response = await cache.match(request);
            const bytes = new Uint8Array(await response.arrayBuffer());
            out.push(name + " " + request.url + " " + JSON.stringify([...response.headers]) + " "
                + new TextDecoder().decode(bytes));
        }
    }
    return out.join("\\n");
}"""


#: What is left of the signed-in user's data on the phone, read raw.
LEFT_ON_THE_PHONE = """async () => {
    const { userId } = await OpsporStore.currentUser();
    const done = (req) => new Promise((resolve) => { req.onsuccess = () => resolve(req.result); });
    const db = await done(indexedDB.open(`opspor-u-${userId}`));
    const all = (name) => done(db.transaction(name).objectStore(name).getAll());
    const left = { outbox: await all("outbox"), drafts: (await all("drafts")).length,
        facts: (await all("facts")).length };
    db.close();
    left.vault = (await OpsporStore.meta.read(`vault-${userId}`)) ?? null;
    left.pages = (await (await caches.open(OpsporStore.pageCache(userId))).keys()).length;
    return left;
}"""


def raw_storage(page) -> str:
    return page.evaluate(RAW_STORAGE)


def children_of_the_phone(live_server) -> list[Child]:
    with server_database(live_server) as db:
        return list(db.exec(select(Child)))


def secrets_in(text: str, children: list[Child], extra: list[str]) -> list[str]:
    found = []
    for child in children:
        for secret in [
            child.name,
            child.id,
            *([child.cpr, f"{child.cpr[:6]}-{child.cpr[6:]}"] if child.cpr else []),
        ]:
            if secret and secret in text:
                found.append(secret)
    return found + [secret for secret in extra if secret in text]


def lock_by_idling(page) -> None:
    """The idle minutes pass (the page's clock); the app locks and shows only "Lås op"."""
    page.clock.fast_forward("06:00")
    expect(page.get_by_role("heading", name="Lås op")).to_be_visible(timeout=15_000)


def test_nothing_on_the_phone_names_a_child_or_a_record_after_download_and_offline_saves(
    page, browser_context, live_server
) -> None:
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.set_offline(True)
    save_screening_and_note(page, live_server.url, child)
    page.goto(f"{live_server.url}/children/{child.id}")  # a kept page opened offline: an offline read
    expect(page.get_by_role("heading", name=child.name)).to_be_visible()
    page.goto(f"{live_server.url}/forms/concern_note?child={child.id}")
    page.get_by_label("Hvad så eller hørte du?").fill("Kladde om søvnen")  # a draft
    page.wait_for_timeout(1000)

    items = outbox_items(page)  # through the app, unlocked: everything is there
    assert len(items) == 2 and any(NOTE in item["body"] or NOTE in str(item) for item in items)
    record_ids = [item["record_id"] for item in items]
    raw = raw_storage(page)
    assert "opspor-u-" in raw and len(raw) > 50_000  # it is all there
    children = children_of_the_phone(live_server)
    assert secrets_in(raw, children, [NOTE, "Kladde om søvnen", *record_ids]) == []
    assert "/kept/" in raw  # the pages are kept, under opaque names


def test_auto_lock_after_the_idle_minutes_shows_only_unlock_and_the_pin_opens_the_page(
    page, browser_context, live_server
) -> None:
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    page.clock.install()
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.set_offline(True)
    save_note_offline(page, live_server.url, child, NOTE)
    page.goto(f"{live_server.url}/children/{child.id}")
    expect(page.get_by_role("heading", name=child.name)).to_be_visible()

    lock_by_idling(page)
    body = page.locator("body").inner_text()
    assert child.name not in body and "Agnes" not in body
    assert not re.search(r"\d+ (venter|børn|registreringer)", body)  # no counts either
    page.goto(f"{live_server.url}/children/{child.id}")  # the kept page itself: still only "Lås op"
    expect(page.get_by_role("heading", name="Lås op")).to_be_visible()
    assert child.name not in page.locator("body").inner_text()

    unlock_with_pin(page)
    expect(page.get_by_role("heading", name=child.name)).to_be_visible()
    assert len(outbox_items(page)) == 1


def test_writes_queued_then_locked_are_delivered_once_while_locked(
    page, browser_context, live_server
) -> None:
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    new_records = NewRecords(live_server, child.id)
    page.clock.install()
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.set_offline(True)
    save_screening_and_note(page, live_server.url, child)
    lock_by_idling(page)

    # Locked: no keys in the page nor in the service worker; what waits is sealed to the server.
    assert page.evaluate("() => OpsporCrypto.heldUser()") is None
    assert [w.evaluate("() => OpsporCrypto.heldUser()") for w in browser_context.service_workers] == [None]
    waiting = page.evaluate(LEFT_ON_THE_PHONE)["outbox"]
    assert len(waiting) == 2 and all(len(item["sealed"]) == 1 and item["box"] for item in waiting)

    browser_context.set_offline(False)  # the locked page (or Background Sync) sends the sealed writes
    assert eventually(lambda: len(new_records()) == 2, timeout=20)
    expect(page.get_by_role("heading", name="Lås op")).to_be_visible()  # still locked
    unlock_with_pin(page)
    assert eventually(lambda: outbox_items(page) == [])
    written = new_records()
    assert sorted(r.type for r in written) == ["adbb", "concern_note"]
    assert all(r.version == 1 for r in written)  # each stored once


def test_five_wrong_pins_wipe_the_phone_but_the_sealed_writes_are_still_delivered(
    page, browser_context, live_server
) -> None:
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    new_records = NewRecords(live_server, child.id)
    page.clock.install()
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.set_offline(True)
    save_note_offline(page, live_server.url, child, NOTE)
    lock_by_idling(page)

    status = page.locator("[data-vault-status]")
    for left in [4, 3, 2, 1]:
        page.get_by_label("PIN", exact=True).fill("999999")
        page.get_by_role("button", name="Lås op med PIN").click()
        expect(status).to_contain_text(f"{left} forsøg tilbage", timeout=15_000)
    page.get_by_label("PIN", exact=True).fill("999999")
    page.get_by_role("button", name="Lås op med PIN").click()
    expect(status).to_contain_text("dine data på telefonen er slettet", timeout=15_000)
    expect(status).to_contain_text("1 registreringer venter stadig")
    left = page.evaluate(LEFT_ON_THE_PHONE)
    assert left["vault"] is None and left["pages"] == 0  # the wrapped keys and the pages are gone
    assert left["drafts"] == left["facts"] == 0
    assert [sorted(item) for item in left["outbox"]] == [
        ["attempts", "first_saved_at", "saved_at", "sealed", "state", "status"]
    ]
    assert NOTE not in raw_storage(page)

    browser_context.set_offline(False)
    assert eventually(lambda: [r.data["text"] for r in new_records()] == [NOTE], timeout=25)
    page.goto(f"{live_server.url}/children/{child.id}")
    page.goto(f"{live_server.url}/")  # protected again from scratch: a new PIN
    expect(page.locator("[data-vault-enrol] form")).to_be_visible()


def test_another_user_of_the_phone_cannot_read_the_first_users_data(browser_context, live_server) -> None:
    page = browser_context.new_page()
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    new_records = NewRecords(live_server, child.id)
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    first_user = page.evaluate("async () => (await OpsporStore.currentUser()).userId")
    browser_context.set_offline(True)
    save_note_offline(page, live_server.url, child, NOTE)
    browser_context.route("**/api/sync", lambda route: route.fulfill(status=503, body="{}"))
    browser_context.set_offline(False)

    browser_context.clear_cookies()  # the phone is handed to a colleague, who signs in
    sign_in(page, live_server.url, "demo-dagplejer")
    wait_for_service_worker(page)
    seen = page.evaluate(
        """async (first) => {
        const store = OpsporStore.user(first);
        const outbox = (await store.all("outbox")).map((e) => e.value);
        let page = "locked";
        try { page = await OpsporStore.keptPage(first, "/"); } catch (error) { page = error.name; }
        // her own keys do not open the first user's boxes
        const mine = OpsporCrypto.held((await OpsporStore.currentUser()).userId);
        let opened = 0;
        for (const item of outbox) {
            try { await OpsporCrypto.open(mine.aes, item.raw.box); opened += 1; } catch (error) { /* no */ }
        }
        return { outbox, page, opened, mine: Boolean(mine), drafts: (await store.all("drafts")).length };
    }""",
        first_user,
    )
    assert len(seen["outbox"]) == 1 and seen["outbox"][0]["locked"]  # it waits, unreadable
    assert NOTE not in str(seen) and child.name not in str(seen)
    assert seen["mine"] and seen["page"] == "Locked" and seen["opened"] == 0 and seen["drafts"] == 0
    browser_context.unroute("**/api/sync")
    page.goto(live_server.url + "/")
    assert new_records() == []  # her session never sends the first user's write

    browser_context.clear_cookies()
    sign_in(page, live_server.url, HEALTH_VISITOR)  # back, unlocked with her PIN: it goes out
    assert eventually(lambda: [r.data["text"] for r in new_records()] == [NOTE], timeout=25)


def with_virtual_passkey(browser_context):
    """A new page whose browser has a platform authenticator with PRF (the DevTools protocol's)."""
    page = browser_context.new_page()
    cdp = browser_context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "hasPrf": True,
            }
        },
    )
    return page


def device_protection(browser_context, live_server) -> str | None:
    """What the server recorded about how this browser's device guards its data."""
    device_id = next(c["value"] for c in browser_context.cookies() if c["name"] == "opspor_device")
    with server_database(live_server) as db:
        return db.get(Device, device_id).protection


def test_a_passkey_with_prf_protects_and_unlocks_the_phone(browser_context, live_server) -> None:
    page = with_virtual_passkey(browser_context)
    base = live_server.url.replace("127.0.0.1", "localhost")  # a passkey needs a domain name
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    page.clock.install()
    sign_in(page, base, HEALTH_VISITOR, protect=False)
    page.get_by_role("button", name="Beskyt med adgangsnøgle").click()
    expect(page.locator("[data-vault-status]")).to_contain_text("er beskyttet", timeout=30_000)
    record = page.evaluate(
        "async () => OpsporStore.meta.read(`vault-${(await OpsporStore.currentUser()).userId}`)"
    )
    assert record["passkey"]["credential_id"] and "pin" not in record
    assert device_protection(browser_context, live_server) == "passkey"
    download_for_offline(page, base)
    browser_context.set_offline(True)
    page.goto(f"{base}/children/{child.id}")
    expect(page.get_by_role("heading", name=child.name)).to_be_visible()

    lock_by_idling(page)
    expect(page.get_by_label("PIN", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Lås op med adgangsnøgle").click()
    expect(page.get_by_role("heading", name=child.name)).to_be_visible(timeout=15_000)
    assert PIN not in str(record)


def test_a_phone_protected_by_a_passkey_and_a_pin_tells_the_server_both(browser_context, live_server) -> None:
    page = with_virtual_passkey(browser_context)
    base = live_server.url.replace("127.0.0.1", "localhost")
    sign_in(page, base, HEALTH_VISITOR, protect=False)
    page.get_by_label("Vælg en PIN").fill(PIN)
    page.get_by_label("Gentag PIN").fill(PIN)
    page.get_by_role("button", name="Beskyt med adgangsnøgle").click()
    expect(page.locator("[data-vault-status]")).to_contain_text("er beskyttet", timeout=30_000)
    record = page.evaluate(
        "async () => OpsporStore.meta.read(`vault-${(await OpsporStore.currentUser()).userId}`)"
    )
    assert record["passkey"]["credential_id"] and record["pin"]["ct"]
    assert device_protection(browser_context, live_server) == "passkey+pin"


#: The tab's and the origin's web storage (sessionStorage, localStorage), raw.
RAW_WEB_STORAGE = """() => JSON.stringify({ session: Object.entries(sessionStorage),
    local: Object.entries(localStorage) })"""


def test_reading_the_consents_description_keeps_the_form_only_encrypted(page, live_server) -> None:
    first_name, decision, chosen_parent = open_new_consent(page, live_server)
    chosen_parent.check()
    decision.get_by_label("Afslået").check()
    typed, witness = "Hanne Sandkasse", "Kirsten Vidnesen"
    page.get_by_label("Forælderens navn (i stedet for underskrift)").fill(typed)
    page.get_by_label("Vidne").fill(witness)
    record_id = page.evaluate(
        "() => document.querySelector('form[data-record-type]').action.split('/records/')[1]"
    )
    scope = page.locator("input[name='data.scope']").get_attribute("value")
    parent = chosen_parent.get_attribute("value")  # the guardian's id
    assert record_id and scope and len(parent) == 36

    page.get_by_role("link", name="Læs beskrivelsen").click()
    expect(page.get_by_text(f"{first_name} elsker at grave i sandkassen.")).to_be_visible()
    web = page.evaluate(RAW_WEB_STORAGE)
    assert "opspor-peek" in web  # the form is kept for the way back, as a box
    raw = web + raw_storage(page)
    children = children_of_the_phone(live_server)
    assert secrets_in(raw, children, [typed, witness, record_id, scope, parent]) == []

    page.go_back()
    expect(chosen_parent).to_be_checked()
    expect(decision.get_by_label("Afslået")).to_be_checked()
    expect(page.get_by_label("Vidne")).to_have_value(witness)
    assert "opspor-peek" not in page.evaluate(RAW_WEB_STORAGE)  # read once, then gone


def test_an_unprotected_phone_keeps_nothing_of_the_consent_form(page, live_server) -> None:
    first_name, decision, chosen_parent = open_new_consent(page, live_server, protect=False)
    chosen_parent.check()
    decision.get_by_label("Afslået").check()
    page.get_by_label("Vidne").fill("Kirsten Vidnesen")
    page.get_by_role("link", name="Læs beskrivelsen").click()
    expect(page.get_by_text(f"{first_name} elsker at grave i sandkassen.")).to_be_visible()
    web = page.evaluate(RAW_WEB_STORAGE)
    assert "opspor-peek" not in web and "Kirsten Vidnesen" not in web


#: Notes in the page whether "Beskyt dine data" ever showed its PIN form (watched from the start).
_WATCH_ENROL_FORM = """
window.__enrolFormShown = false;
new MutationObserver(() => {
  const form = document.querySelector("[data-vault-enrol]:not([hidden]) form:not([hidden])");
  if (form) window.__enrolFormShown = true;
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["hidden"] });
"""


def test_a_protected_phone_never_flashes_the_pin_form_on_i_dag(page, live_server) -> None:
    """Once the phone is protected, "I dag" shows that it is (or "Lås op") without first showing
    the form for choosing a PIN while it looks the phone's protection up."""
    sign_in(page, live_server.url, HEALTH_VISITOR)  # protects the phone with a PIN
    page.add_init_script(_WATCH_ENROL_FORM)
    page.goto(live_server.url + "/")
    status = page.locator("[data-vault-enrol] [data-vault-status]")
    expect(status).to_contain_text("Dine data på telefonen er beskyttet")
    assert page.evaluate("() => window.__enrolFormShown") is False
