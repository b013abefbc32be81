"""pwa/seal.js in Chromium (issue 20): the page and the service worker both seal to the key the
server gives out, and the server stores what they sealed; the phone's protection and the lock
minutes reach the server and the page."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from backend.auth.models import Device
from backend.domain.dates import today
from backend.records.models import Record
from tests.browser.offline_support import child_named, server_database, sign_in, wait_for_service_worker

pytestmark = pytest.mark.browser

SEAL = """async (items) => {
  const recipient = await (await fetch("/api/sync/key")).json();
  return Promise.all(items.map((item) => OpsporSeal.seal(recipient, item)));
}"""

SEND = """async (items) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch("/api/sync", {method: "POST", body: JSON.stringify({items}),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}});
  return (await response.json()).results.map((r) => [r.id, r.status]);
}"""

PROTECT = """async () => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch("/api/devices/current/protection", {method: "POST",
    body: JSON.stringify({method: "passkey"}),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}});
  return response.status;
}"""


def _note(child_id: str, text: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "schema": 1,
        "type": "concern_note",
        "child_id": child_id,
        "base_version": None,
        "status": "final",
        "data": {"observed_on": today().isoformat(), "text": text},
    }


def test_the_page_and_the_worker_seal_what_the_server_stores(page, browser_context, live_server) -> None:
    with server_database(live_server) as db:
        child = child_named(db, "Agnes")
    sign_in(page, live_server.url, "demo-sundhedsplejerske")
    wait_for_service_worker(page)
    assert page.locator('meta[name="opspor-lock-minutes"]').get_attribute("content") == "5"
    from_page, from_worker = _note(child.id, "Forseglet på siden"), _note(child.id, "Forseglet i workeren")
    [sealed_on_page] = page.evaluate(SEAL, [from_page])
    [worker] = browser_context.service_workers
    [sealed_in_worker] = worker.evaluate(SEAL, [from_worker])
    assert "Forseglet" not in str(sealed_on_page) + str(sealed_in_worker)
    results = page.evaluate(SEND, [sealed_on_page, sealed_in_worker])
    assert results == [[from_page["id"], 201], [from_worker["id"], 201]]
    assert page.evaluate(PROTECT) == 200
    device_id = next(c["value"] for c in browser_context.cookies() if c["name"] == "opspor_device")
    with server_database(live_server) as db:
        stored = db.exec(select(Record).where(Record.id.in_([from_page["id"], from_worker["id"]]))).all()
        assert sorted(r.data["text"] for r in stored) == ["Forseglet i workeren", "Forseglet på siden"]
        assert db.get(Device, device_id).protection == "passkey"
