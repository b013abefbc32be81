"""Tasks and reminders on a phone: the task list, closing a task by doing the work, push."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from backend.db import make_engine
from backend.people.models import Child, User
from backend.records.models import Task
from backend.records.tasks import task_title
from tests.browser.axe import serious_violations
from tests.browser.offline_support import sign_in
from tests.push_receiver import PushReceiver
from tests.support import ADBB_ITEMS, PHONE

pytestmark = pytest.mark.browser


def open_tasks_of(live_server, username: str) -> list[tuple[str, str | None]]:
    engine = make_engine(live_server.env["OPSPOR_DATABASE_URL"], sqlite_write_lock_up_front=False)
    with Session(engine) as db:
        user = db.exec(select(User).where(User.username == username)).one()
        rows = db.exec(
            select(Task, Child.name)
            .outerjoin(Child, Child.id == Task.child_id)
            .where(Task.assignee_id == user.id, Task.status == "open")
        ).all()
        found = [(task_title(task), name) for task, name in rows]
    engine.dispose()
    return found


def test_the_task_list_shows_the_demo_health_visitors_tasks(page, live_server) -> None:
    expected = open_tasks_of(live_server, "demo-sundhedsplejerske")
    titles = {title for title, _name in expected}
    assert {"1. ADBB-screening", "2. ADBB-screening", "Opfølgende ADBB-screening"} <= titles
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    page.get_by_role("link", name="Opgaver", exact=True).click()
    expect(page.get_by_role("heading", name="Opgaver", level=1)).to_be_visible()
    items = page.locator("ul.tasks > li")
    expect(items).to_have_count(len(expected))
    shown = [
        (item.locator(".list-title").inner_text(), item.locator(".list-meta").inner_text())
        for item in items.all()
    ]
    for title, child_name in expected:
        assert any(t == title and child_name in meta for t, meta in shown), (title, child_name)
    headings = page.locator("section.task-group h2").all_inner_texts()
    assert headings[0].startswith("Forfaldne")  # the missing receipt is overdue
    first = page.get_by_role("link", name=re.compile("1. ADBB-screening")).first
    assert re.search(r"/forms/adbb\?child=[0-9a-f-]{36}&occasion=first$", first.get_attribute("href"))
    other = {name for _t, name in open_tasks_of(live_server, "demo-dagplejer")}
    assert not any(name and name in page.content() for name in other)


def test_completing_the_follow_up_screening_closes_its_task(page, live_server) -> None:
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    page.goto(live_server.url + "/tasks")
    task_link = page.get_by_role("link", name=re.compile("Opfølgende ADBB-screening"))
    expect(task_link).to_have_count(1)
    child_name = task_link.locator(".list-meta").inner_text().split(" · ")[0]
    task_link.click()
    expect(page.get_by_role("heading", name="ADBB-screening")).to_be_visible()
    occasion = page.get_by_role("group", name=re.compile("^Anledning"))
    expect(occasion.get_by_label("Opfølgende screening")).to_be_checked()
    for key in ADBB_ITEMS:
        page.locator(f"input[name='data.items.{key}'][value='0']").check()
    page.get_by_role("group", name=re.compile("^Handling")).get_by_label("Ingen yderligere handling").check()
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_text("Gemt.")).to_be_visible()

    page.get_by_role("link", name="Opgaver", exact=True).click()
    expect(page.get_by_role("heading", name="Opgaver", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Opfølgende ADBB-screening"))).to_have_count(0)
    assert not any(
        title == "Opfølgende ADBB-screening" and name == child_name
        for title, name in open_tasks_of(live_server, "demo-sundhedsplejerske")
    )


PERMISSION_SPY = """
window.__permissionAsked = 0;
Notification.requestPermission = async () => { window.__permissionAsked += 1; return "granted"; };
"""

NEVER_SETTLES = "PushManager.prototype.subscribe = () => new Promise(() => {});"


def fake_push_service(subscription: dict) -> str:
    """The browser's push service replaced by the test receiver (headless Chromium has none)."""
    return (
        "(() => { const json = "
        + json.dumps(subscription)
        + """;
  let current = null;
  const made = { endpoint: json.endpoint, toJSON: () => json,
                 unsubscribe: async () => { current = null; return true; } };
  PushManager.prototype.subscribe = async function (options) {
    if (!options || !options.userVisibleOnly || !options.applicationServerKey) throw new Error("options");
    window.__serverKeyLength = options.applicationServerKey.length;
    current = made; return made; };
  PushManager.prototype.getSubscription = async function () { return current; };
})();"""
    )


def test_permission_is_asked_only_after_the_tap_and_a_silent_push_service_times_out(
    browser_context, live_server
) -> None:
    browser_context.add_init_script(PERMISSION_SPY + NEVER_SETTLES)
    page = browser_context.new_page()
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    page.goto(live_server.url + "/me/reminders")
    expect(page.get_by_role("heading", name="Påmindelser", level=1)).to_be_visible()
    page.wait_for_load_state("load")  # the page's scripts have run (a late ask is caught below)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    assert page.evaluate("window.__permissionAsked") == 0
    page.locator("[data-push]").evaluate("box => box.dataset.timeoutMs = '1500'")
    page.get_by_role("button", name="Slå påmindelser til").click()
    expect(page.locator("[data-push-status]")).to_have_text(re.compile("Telefonen svarede ikke"))
    assert page.evaluate("window.__permissionAsked") == 1
    expect(page.get_by_role("button", name="Slå påmindelser til")).to_be_enabled()


def test_turning_reminders_on_sending_a_test_and_turning_them_off(browser_context, live_server) -> None:
    receiver = PushReceiver()
    try:
        browser_context.grant_permissions(["notifications"], origin=live_server.url)
        browser_context.add_init_script(PERMISSION_SPY + fake_push_service(receiver.subscription("phone")))
        page = browser_context.new_page()
        sign_in(page, live_server.url, "demo-sundhedsplejerske")
        page.goto(live_server.url + "/me/reminders")
        page.get_by_role("button", name="Slå påmindelser til").click()
        status = page.locator("[data-push-status]")
        expect(status).to_have_text("Påmindelser er slået til på denne telefon.")
        assert page.evaluate("window.__serverKeyLength") == 65

        page.get_by_role("button", name="Send en prøvebesked").click()
        expect(status).to_have_text("Prøvebeskeden er sendt.")

        def test_messages() -> list[dict]:
            # The server's own reminder job may push this new subscription too (its tasks are due):
            # the test message is picked out by its title, and must come exactly once.
            messages = [receiver.decrypt(item) for item in receiver.of("phone")]
            return [message for message in messages if message["title"] == "Påmindelser er slået til"]

        deadline = time.monotonic() + 10
        while not test_messages() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a second copy would follow the first at once
        (message,) = test_messages()
        assert message["url"] == "/tasks"

        shown = deliver_push_to_service_worker(browser_context, page, live_server.url, message)
        assert shown == [[message["title"], message["body"], "/tasks"]]

        page.get_by_role("button", name="Slå påmindelser fra på denne telefon").click()
        expect(status).to_have_text("Påmindelser er slået fra på denne telefon.")
        expect(page.get_by_role("button", name="Slå påmindelser til")).to_be_visible()
        page.reload()
        expect(page.get_by_text(re.compile("slået til på \\d enhed"))).to_have_count(0)
    finally:
        receiver.close()


def deliver_push_to_service_worker(context, page, origin: str, message: dict) -> list:
    """Hand the push to the page's service worker through CDP; the notifications it shows."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    registration = next(r for r in registrations if r["scopeURL"].startswith(origin))
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": registration["registrationId"], "data": json.dumps(message)},
    )
    script = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
        .map(n => [n.title, n.body, n.data && n.data.url])"""
    deadline = time.monotonic() + 10
    shown: list = []
    while not shown and time.monotonic() < deadline:
        shown = page.evaluate(script)
        page.wait_for_timeout(100)
    return shown


def test_reminder_screens_are_accessible_and_fit_a_phone(browser, live_server) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "demo-leder")
        for path in ("/me/reminders", "/leader/overdue", "/tasks"):
            page.goto(live_server.url + path)
            assert serious_violations(page) == [], path
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    finally:
        context.close()
