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
    is_kept,
    lock_after,
    outbox_items,
    server_database,
    sign_in,
)
from tests.browser.test_offline import HEALTH_VISITOR, NewRecords, save_note_offline

pytestmark = pytest.mark.browser


def attempts(page) -> int:
    return outbox_items(page)[0].get("attempts", 0)


def pause_the_phones_clock(page) -> None:
    """From here on the page's timers fire only when the test moves its clock (one second on:
    Playwright for Python takes the time in seconds — in milliseconds it jumped 57,000 years
    ahead, which the app's auto-lock now notices)."""
    now_ms = page.evaluate("() => Date.now()")
    page.clock.pause_at((now_ms + 1000) / 1000)


def test_the_server_back_with_the_page_open_sends_within_5_s(page, live_server) -> None:
    """Issue 14, quick return: with the retries backed off to 30 s, a write waited up to 30 s after
    the server came back. A cheap probe finds the server and starts delivery at once: here the
    page's clock moves 4 s after the server's return (the next retry is still ~30 s away) and the
    write is delivered. The app's lock is set to its longest, 60 minutes: on a loaded machine the
    retries' rounds take several 30 s moves of the phone's clock, and after 5 minutes unused the
    page would lock and go to "Lås op" under the test's feet (a CI run did)."""
    lock_after(live_server, 60)
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
        # 30 s of the phone's time again while no retry came: a round still running when the clock
        # moved sets its next retry after that (a loaded machine), so one move may not reach it.
        assert eventually(lambda tried=tried: page.clock.fast_forward("00:30") or attempts(page) > tried)
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


QUEUE = """async (envelopes) => {
    const { userId } = await OpsporStore.currentUser();
    const labels = { concern_note: "Bekymringsnotat", adbb: "ADBB-screening" };
    for (const [i, envelope] of envelopes.entries()) {
        await OpsporStore.queue(userId, { record_id: envelope.id, url: `/records/${envelope.id}`,
            body: new URLSearchParams({ type: envelope.type, status: envelope.status }).toString(),
            envelope, type: envelope.type, type_label: labels[envelope.type],
            page: `/forms/${envelope.type}?child=${envelope.child_id}`,
            base_version: envelope.base_version, saved_at: new Date(Date.now() + i).toISOString() });
    }
}"""


def queue_on_the_phone(page, envelopes: list[dict]) -> None:
    """Writes waiting in the phone's outbox, as a form save queues them (the sync wire's envelopes)."""
    page.evaluate(QUEUE, envelopes)


def note(child_id: str, text: str, **extra) -> dict:
    import uuid

    from backend.domain.dates import today

    return {
        "id": str(uuid.uuid4()),
        "schema": 1,
        "type": "concern_note",
        "child_id": child_id,
        "base_version": None,
        "status": "final",
        "data": {"observed_on": today().isoformat(), "text": text, "abuse_path": False},
        **extra,
    }


def sync_posts(page) -> list[list[str]]:
    """The record ids of each POST /api/sync the page sends from now on."""
    posts: list[list[str]] = []
    page.on(
        "request",
        lambda request: (
            posts.append([item["id"] for item in request.post_data_json["items"]])
            if request.method == "POST" and request.url.endswith("/api/sync")
            else None
        ),
    )
    return posts


def test_a_batch_with_mixed_outcomes_gives_each_item_its_own_result(page, live_server) -> None:
    """Issue 14: 201, 200 (a replay), 202, 409, 422 and 404 in one batch: each item ends in its own
    state on the phone, on /outbox and on /conflicts, and on the server nothing is half-applied."""
    import uuid
    from datetime import timedelta

    import httpx
    from sqlalchemy import func
    from sqlmodel import select

    from backend.domain.dates import today
    from backend.records.models import KeptWrite, Record, RecordVersion
    from tests.support import adbb_data, child_aged, login, moved_child, put_record

    with server_database(live_server) as db:
        child, moved = child_aged(db, "Sundhedsplejen Nord", 3, 12), moved_child(db)
        child_name = child.name
    new, replayed = note(child.id, "Ny note fra telefonen"), note(child.id, "Svaret gik tabt")
    kept = note(moved.id, "Om et barn, der er flyttet")
    invalid = note(child.id, "Om tre dage")
    invalid["data"]["observed_on"] = (today() + timedelta(days=3)).isoformat()
    unknown = note(str(uuid.uuid4()), "Om et barn, der ikke findes")
    stale_id = str(uuid.uuid4())
    stale = {"id": stale_id, "schema": 1, "type": "adbb", "child_id": child.id, "base_version": 1,
             "status": "final", "data": adbb_data(today().isoformat(), 9)}  # fmt: skip
    with httpx.Client(base_url=live_server.url, timeout=30) as other_tab:
        login(other_tab, HEALTH_VISITOR)
        body = {key: replayed[key] for key in ("type", "child_id", "base_version", "status", "data")}
        assert other_tab.put(f"/api/records/{replayed['id']}", json=body).status_code == 201
        for version, total in ((None, 3), (1, 5)):  # the ADBB moves on to version 2 meanwhile
            answer = put_record(other_tab, "adbb", child.id, adbb_data(today().isoformat(), total),
                                status="draft", base_version=version, record_id=stale_id)  # fmt: skip
            assert answer.status_code in (200, 201), answer.text
    with server_database(live_server) as db:
        versions_before = db.exec(select(func.count()).select_from(RecordVersion)).one()

    sign_in(page, live_server.url, HEALTH_VISITOR)
    page.goto(live_server.url + "/outbox")
    items = [new, replayed, kept, stale, invalid, unknown]
    page.context.set_offline(True)  # queued as without network: the open page cannot send the first early
    queue_on_the_phone(page, items)
    posts = sync_posts(page)  # listening before the network returns: the "online" event sends at once
    page.context.set_offline(False)
    status = page.locator("#sync-status")
    expect(status).to_contain_text("3 kræver din handling", timeout=20_000)
    assert posts[0] == [item["id"] for item in items]  # one batch, in the order saved

    by_id = {item["record_id"]: item for item in outbox_items(page)}
    assert set(by_id) == {kept["id"], stale_id, invalid["id"], unknown["id"]}  # 201 and 200 left
    assert (by_id[kept["id"]]["state"], by_id[kept["id"]]["status"]) == ("kept", 202)
    assert (by_id[stale_id]["state"], by_id[stale_id]["status"]) == ("conflict", 409)
    assert (by_id[invalid["id"]]["state"], by_id[invalid["id"]]["status"]) == ("invalid", 422)
    assert (by_id[unknown["id"]]["state"], by_id[unknown["id"]]["status"]) == ("invalid", 404)
    assert [e["field"] for e in by_id[invalid["id"]]["error"]["errors"]] == ["data.observed_on"]

    page.goto(live_server.url + "/outbox")
    expect(page.locator(".outbox-item")).to_have_count(4)
    expect(page.locator(".outbox-item.kept")).to_contain_text("Sendt til lederen")
    conflict = page.locator(".outbox-item.conflict")
    expect(conflict).to_contain_text("Ændret af en anden")
    expect(conflict.get_by_role("link", name="Se begge udgaver")).to_be_visible()
    refused = page.locator(".outbox-item.invalid")
    expect(refused).to_have_count(2)
    expect(refused.get_by_role("link", name="Ret")).to_have_count(2)
    expect(refused.locator(".field-error").first).not_to_be_empty()
    page.goto(live_server.url + "/conflicts")
    expect(page.locator("#mine-heading + .hint + .list")).to_contain_text(f"ADBB-screening – {child_name}")

    with server_database(live_server) as db:
        ids = [item["id"] for item in items]
        stored = {r.id: r for r in db.exec(select(Record).where(Record.id.in_(ids)))}
        assert set(stored) == {new["id"], replayed["id"], stale_id}
        assert stored[new["id"]].version == 1 and stored[replayed["id"]].version == 1
        assert stored[stale_id].version == 2 and stored[stale_id].status == "draft"  # untouched
        reasons = sorted((k.record_id, k.reason) for k in db.exec(select(KeptWrite)))
        assert reasons == sorted([(kept["id"], "out_of_scope"), (stale_id, "conflict")])
        # One new version: the new note's (the replay and the refused items wrote none).
        assert db.exec(select(func.count()).select_from(RecordVersion)).one() == versions_before + 1

    page.goto(live_server.url + "/outbox")  # another round: the refused items wait for the author
    expect(page.locator(".outbox-item")).to_have_count(4)
    assert len(posts) == 1


def test_the_server_killed_in_the_middle_of_a_batch_stores_every_item_exactly_once(page, live_server) -> None:
    """Issue 14: 300 writes (a batch of 200 and one of 100, both on the wire), the server process
    killed (SIGKILL) as they go out; after its restart the phone retries and every write is stored
    exactly once — whether the kill came before, during or after a batch's commit."""
    from sqlalchemy import func
    from sqlmodel import select

    from backend.records.models import Record, RecordVersion
    from tests.support import children_of_unit

    with server_database(live_server) as db:
        child_ids = [c.id for c in children_of_unit(db, "Sundhedsplejen Nord")]
    items = [note(child_ids[i % len(child_ids)], f"Note {i} skrevet under besøget") for i in range(300)]
    ids = [item["id"] for item in items]
    sign_in(page, live_server.url, HEALTH_VISITOR)
    page.goto(live_server.url + "/outbox")
    queue_on_the_phone(page, items)
    posts = sync_posts(page)

    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/sync")):
        page.reload()
    live_server.stop()  # SIGKILL with the batches on the wire
    expect(page.locator("#sync-status")).to_contain_text("venter", timeout=30_000)
    with server_database(live_server) as db:
        before_restart = db.exec(select(func.count()).select_from(Record).where(Record.id.in_(ids))).one()

    live_server.start()  # the probe finds it; the phone sends again
    expect(page.locator("#sync-status")).to_contain_text("Alt er sendt", timeout=30_000)
    assert outbox_items(page) == []
    with server_database(live_server) as db:
        assert db.exec(select(func.count()).select_from(Record).where(Record.id.in_(ids))).one() == 300
        versions = db.exec(select(RecordVersion.record_id).where(RecordVersion.record_id.in_(ids))).all()
        assert sorted(versions) == sorted(ids)  # one version each: nothing stored twice
    assert len(posts) >= 3 and set(ids) <= {i for post in posts for i in post}
    print(f"stored before the restart: {before_restart} of 300; posts: {[len(p) for p in posts]}")


KEPT_COPY = """async (url) => {
    const { userId } = await OpsporStore.currentUser();
    const copy = await OpsporStore.keptPage(userId, url);
    const etags = (await OpsporStore.user(userId).get("facts", "etags")) || {};
    return copy ? { etag: etags[url] || null, kept_at: copy.keptAt } : null;
}"""


def kept_copy(page, url: str) -> dict | None:
    return page.evaluate(KEPT_COPY, url)


def test_a_sync_answer_removes_the_pages_of_children_who_left_the_scope(
    page, browser_context, live_server
) -> None:
    """The sync answer's removed_child_ids drop those children's kept pages, also when the
    separate scope call does not get through (here it always fails)."""
    from tests.browser.test_offline import move_child_to_childminding
    from tests.support import children_of_unit

    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
        other = next(c for c in children_of_unit(db, "Sundhedsplejen Nord") if c.id != child.id)
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.route("**/api/sync/scope", lambda route: route.fulfill(status=503, body="{}"))
    browser_context.set_offline(True)
    save_note_offline(page, live_server.url, other, "Skrevet mens Agnes flyttede")
    assert kept_copy(page, f"/children/{child.id}")
    move_child_to_childminding(live_server, child.id)

    # The page's own round or the service worker's Background Sync, whichever gets the outbox's
    # lock first when the network returns: the context sees both senders' answers.
    with browser_context.expect_event(
        "response", lambda r: r.url.endswith("/api/sync") and r.request.method == "POST"
    ) as synced:
        browser_context.set_offline(False)
    assert child.id in synced.value.json()["removed_child_ids"]
    assert eventually(lambda: not is_kept(page, f"/children/{child.id}"))
    assert kept_copy(page, f"/children/{other.id}")  # the others stay


def test_a_later_sync_refreshes_the_kept_pages_that_changed(page, browser_context, live_server) -> None:
    """Not only "Hent til offline": after a sync the phone fetches again the kept child pages whose
    ETag changed on the server (here a colleague wrote about another child meanwhile)."""
    import httpx

    from backend.domain.dates import today
    from tests.support import children_of_unit, login, put_record

    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
        other = next(c for c in children_of_unit(db, "Sundhedsplejen Nord") if c.id != child.id)
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    before = kept_copy(page, f"/children/{other.id}")
    untouched = kept_copy(page, f"/children/{child.id}")
    assert before["etag"]

    browser_context.set_offline(True)
    save_note_offline(page, live_server.url, child, "Skrevet uden net")
    with httpx.Client(base_url=live_server.url, timeout=30) as colleague:
        login(colleague, HEALTH_VISITOR)
        data = {"observed_on": today().isoformat(), "text": "Skrevet af en kollega"}
        assert put_record(colleague, "concern_note", other.id, data).status_code == 201

    browser_context.set_offline(False)  # the write goes out; then the kept pages are checked
    expect(page.locator("#sync-status")).to_contain_text("Alt er sendt", timeout=20_000)
    after = eventually(
        lambda: (copy := kept_copy(page, f"/children/{other.id}")) and copy["etag"] != before["etag"] and copy
    )
    assert after and after["kept_at"] > before["kept_at"]
    manifest = page.evaluate("async () => (await (await fetch('/api/offline/manifest')).json()).etags")
    assert after["etag"] == manifest[f"/children/{other.id}"]
    assert kept_copy(page, f"/children/{child.id}")["etag"] == manifest[f"/children/{child.id}"]
    assert untouched["etag"] != manifest[f"/children/{child.id}"]  # her own note changed her page too


def test_a_record_saved_again_while_its_batch_is_on_the_wire_lands_as_a_clean_update(
    page, browser_context, live_server
) -> None:
    """A draft goes out; while its batch waits for the answer the author saves the record again.
    The newer write is sent next with the version the server answered for the first as its base:
    an update (version 2), not a conflict kept aside."""
    from sqlalchemy import func
    from sqlmodel import select

    from backend.records.models import KeptWrite

    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    new_records = NewRecords(live_server, child.id)
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.set_offline(True)
    page.goto(f"{live_server.url}/forms/concern_note?child={child.id}")
    text = page.get_by_label("Hvad så eller hørte du?")
    text.fill("Første kladde")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Kladden er gemt på telefonen – sendes når der er net.")).to_be_visible()

    held = []

    def hold_first_answer(route) -> None:
        if route.request.method == "POST" and not held:
            held.append((route, route.fetch()))  # the server stores the draft; the answer waits
        else:
            route.continue_()

    browser_context.route("**/api/sync", hold_first_answer)
    browser_context.set_offline(False)
    for _ in range(60):  # the route's handler runs while the test waits in the browser
        if held:
            break
        page.wait_for_timeout(250)
    assert held
    assert [r.version for r in new_records()] == [1]
    text.fill("Anden kladde, gemt mens den første var på vej")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Kladden er gemt på telefonen – sendes når der er net.")).to_be_visible()
    route, answer = held[0]
    route.fulfill(response=answer)  # now the first write's answer arrives: version 1

    expect(page.locator("#sync-status")).to_contain_text("Alt er sendt", timeout=20_000)
    written = new_records()
    assert [(r.version, r.data["text"]) for r in written] == [
        (2, "Anden kladde, gemt mens den første var på vej")
    ]
    with server_database(live_server) as db:
        assert db.exec(select(func.count()).select_from(KeptWrite)).one() == 0
    assert outbox_items(page) == []


def test_a_save_queued_just_after_its_earlier_write_was_answered_takes_the_answered_version(
    page, live_server
) -> None:
    """The form read the earlier write as still waiting (base: none, a new record); before the
    newer save reaches the outbox the sync answer arrives — version 1 kept, the earlier write
    gone. The newer save must go out as an update of version 1, not as a second creation the
    server refuses as a conflict with the author's own write."""
    sign_in(page, live_server.url, HEALTH_VISITOR)
    queued = page.evaluate("""async () => {
        const { userId } = await OpsporStore.currentUser();
        const store = OpsporStore.user(userId);
        const id = "7b0c3f5e-0000-4000-8000-000000000001";
        const envelope = { id, schema: 1, type: "concern_note", base_version: null, status: "draft",
          data: { text: "Anden kladde" } };
        const item = { record_id: id, url: `/records/${id}`, body: "type=concern_note&status=draft",
          base_version: null, status: "draft", saved_at: new Date().toISOString(), envelope };
        // What the earlier write's answer leaves: no outbox item, the version it was given.
        await store.put("versions", id, 1);
        const entry = await OpsporStore.queue(userId, item);
        await store.delete("outbox", id);
        await store.delete("versions", id);
        return entry;
    }""")
    assert queued["base_version"] == 1
    assert queued["envelope"]["base_version"] == 1
    assert "base_version=1" in queued["body"]


def a_draft_whose_answer_is_held(page, browser_context, live_server):
    """A concern note's draft saved offline; back online, the server stores it but its answer is
    held (`held[0]`: the route and the server's answer) — the test decides what becomes of it."""
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    new_records = NewRecords(live_server, child.id)
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.set_offline(True)
    page.goto(f"{live_server.url}/forms/concern_note?child={child.id}")
    text = page.get_by_label("Hvad så eller hørte du?")
    text.fill("Første kladde")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Kladden er gemt på telefonen – sendes når der er net.")).to_be_visible()

    held = []

    def hold_first_answer(route) -> None:
        if route.request.method == "POST" and not held:
            held.append((route, route.fetch()))  # the server stores the draft; its answer waits
        else:
            route.continue_()

    browser_context.route("**/api/sync", hold_first_answer)
    browser_context.set_offline(False)
    return text, held, new_records


def test_a_record_saved_again_while_its_batchs_answer_is_lost_lands_as_a_clean_update(
    page, browser_context, live_server
) -> None:
    """The server stores a draft but its answer never reaches the phone (the connection drops,
    or the phone gives up waiting), and the author saved the record again meanwhile. The phone
    cannot know whether the first write landed: it sends it again before the newer one (a replay
    if it landed), so the newer write is an update of version 1, not a conflict with itself."""
    from sqlalchemy import func
    from sqlmodel import select

    from backend.records.models import KeptWrite

    text, held, new_records = a_draft_whose_answer_is_held(page, browser_context, live_server)
    for _ in range(60):
        if held:
            break
        page.wait_for_timeout(250)
    assert held
    assert [r.version for r in new_records()] == [1]
    text.fill("Anden kladde, gemt mens svaret gik tabt")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Kladden er gemt på telefonen – sendes når der er net.")).to_be_visible()
    # Saved again *while* the answer is still out: the newer write is in the outbox before the
    # connection drops (the message above is still on screen from the first save).
    for _ in range(80):
        if "Anden kladde" in str(outbox_items(page)):
            break
        page.wait_for_timeout(250)
    assert "Anden kladde" in str(outbox_items(page))
    held[0][0].abort("connectionreset")

    expect(page.locator("#sync-status")).to_contain_text("Alt er sendt", timeout=45_000)
    assert [(r.version, r.data["text"]) for r in new_records()] == [
        (2, "Anden kladde, gemt mens svaret gik tabt")
    ]
    with server_database(live_server) as db:
        assert db.exec(select(func.count()).select_from(KeptWrite)).one() == 0
    assert outbox_items(page) == []


def test_a_record_saved_again_after_its_answer_was_lost_lands_as_a_clean_update(
    page, browser_context, live_server
) -> None:
    """The server stores a draft, its answer is lost, and the phone has marked the write as still
    waiting (no network now). Only then does the author save the record again: the phone cannot
    know whether the first write landed, so it sends it again first (a replay) and the newer
    write updates version 1 — before, the newer write went with no base version and came back
    as a conflict with the author's own draft."""
    from sqlalchemy import func
    from sqlmodel import select

    from backend.records.models import KeptWrite

    text, held, new_records = a_draft_whose_answer_is_held(page, browser_context, live_server)
    assert eventually(lambda: page.evaluate("() => 1") and held, timeout=15)  # lets the route run
    assert [r.version for r in new_records()] == [1]
    browser_context.set_offline(True)  # the connection drops with the answer on its way
    held[0][0].abort("connectionreset")
    assert eventually(lambda: outbox_items(page)[0].get("attempts", 0) >= 1, timeout=15)  # handled

    text.fill("Anden kladde, gemt efter at svaret gik tabt")
    page.get_by_role("button", name="Gem kladde").click()
    assert eventually(lambda: "Anden kladde" in str(outbox_items(page)), timeout=15)
    browser_context.set_offline(False)

    expect(page.locator("#sync-status")).to_contain_text("Alt er sendt", timeout=45_000)
    assert [(r.version, r.data["text"]) for r in new_records()] == [
        (2, "Anden kladde, gemt efter at svaret gik tabt")
    ]
    with server_database(live_server) as db:
        assert db.exec(select(func.count()).select_from(KeptWrite)).one() == 0
    assert outbox_items(page) == []


def test_ret_refused_again_online_then_saved_leaves_nothing_to_resolve(
    page, browser_context, live_server
) -> None:
    """ "Ret" on a refused item, saved online and refused again (422), then corrected and saved:
    one record, and the older item no longer waits as "kræver din handling"."""
    from datetime import timedelta

    from backend.domain.dates import today

    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    new_records = NewRecords(live_server, child.id)
    sign_in(page, live_server.url, HEALTH_VISITOR)
    download_for_offline(page, live_server.url)
    browser_context.set_offline(True)
    page.goto(f"{live_server.url}/forms/concern_note?child={child.id}")
    page.get_by_label("Dato for observationen").fill((today() + timedelta(days=3)).isoformat())
    page.get_by_label("Hvad så eller hørte du?").fill("Rettet to gange")
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_text("Gemt på telefonen – sendes når der er net.")).to_be_visible()
    record_id = outbox_items(page)[0]["record_id"]
    browser_context.set_offline(False)
    expect(page.locator("#sync-status")).to_contain_text("1 kræver din handling", timeout=20_000)

    page.goto(live_server.url + "/outbox")
    page.locator(".outbox-item.invalid").get_by_role("link", name="Ret").click()
    expect(page.get_by_label("Hvad så eller hørte du?")).to_have_value("Rettet to gange")
    page.get_by_label("Dato for observationen").fill((today() + timedelta(days=2)).isoformat())
    with page.expect_navigation():  # online, refused again: the server's page with its errors
        page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_label("Dato for observationen")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Hvad så eller hørte du?")).to_have_value("Rettet to gange")
    page.get_by_label("Dato for observationen").fill(today().isoformat())
    page.get_by_role("button", name="Afslut og gem").click()
    page.wait_for_url(f"**/records/{record_id}?gemt=1")
    assert [(r.id, r.data["text"]) for r in new_records()] == [(record_id, "Rettet to gange")]
    assert outbox_items(page) == []
    expect(page.locator("#sync-status")).not_to_contain_text("kræver din handling")
    page.goto(live_server.url + "/outbox")
    expect(page.locator(".outbox-item")).to_have_count(0)


def test_a_server_that_answers_with_errors_is_left_to_the_backoff_not_the_probe(
    page, browser_context, live_server
) -> None:
    """The probe only looks for a server that did not answer at all: when the server is there but
    refuses the batch (503), its quick answers to /healthz do not send the batch every 3 s."""
    from tests.browser.test_offline import fail_record_posts

    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    page.clock.install()
    sign_in(page, live_server.url, HEALTH_VISITOR)
    posts = sync_posts(page)
    fail_record_posts(browser_context)  # pages and /healthz answer; every save gets 503
    save_note_offline(page, live_server.url, child, "Venter på en server, der svarer med fejl")
    assert eventually(lambda: page.evaluate("() => 1") and posts, timeout=20)  # the first try
    pause_the_phones_clock(page)
    first = len(posts)
    for _ in range(10):  # 30 s of the phone's time, 3 s at a time: ten probes
        page.clock.run_for(3000)
        page.wait_for_timeout(200)
    assert 1 <= len(posts) - first <= 3, posts  # the backoff's 5, 10 and 20 s, not one per probe
    assert [item["state"] for item in outbox_items(page)] == ["pending"]
