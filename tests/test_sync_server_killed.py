"""The server process killed (SIGKILL) while a sync batch is in flight: after a restart the
phone sends the same batch again and every item is stored exactly once — a batch is one
transaction of savepoints, so a kill leaves all of it or none of it, and a replay is idempotent."""

import threading
import uuid

import httpx
from sqlalchemy import func
from sqlmodel import select

from backend.domain.dates import today
from backend.records.models import Record
from tests.browser.offline_support import server_database
from tests.support import children_of_unit


def test_a_batch_cut_off_by_a_killed_server_is_stored_exactly_once_after_the_retry(live_server) -> None:
    with server_database(live_server) as db:
        child_ids = [c.id for c in children_of_unit(db, "Sundhedsplejen Nord")]
    items = [
        {
            "id": str(uuid.uuid4()),
            "schema": 1,
            "type": "concern_note",
            "child_id": child_ids[i % len(child_ids)],
            "base_version": None,
            "status": "final",
            "data": {"observed_on": today().isoformat(), "text": f"Note {i}"},
        }
        for i in range(200)
    ]
    sent = threading.Event()
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        token = client.post("/api/session", json={"username": "demo-sundhedsplejerske", "password": "demo"})
        client.headers["X-CSRF-Token"] = token.json()["csrf_token"]
        outcome: list[object] = []

        def send() -> None:
            try:
                outcome.append(client.post("/api/sync", json={"items": items}, extensions={"trace": trace}))
            except httpx.HTTPError as error:
                outcome.append(error)

        def trace(event: str, _info: dict) -> None:
            if event == "http11.send_request_body.complete":
                sent.set()

        worker = threading.Thread(target=send)
        worker.start()
        assert sent.wait(30)
        live_server.stop()  # SIGKILL while the batch is being decided (or just after)
        worker.join(30)
        assert outcome and (isinstance(outcome[0], httpx.HTTPError) or outcome[0].status_code == 200)
        live_server.start()
        retry = client.post("/api/sync", json={"items": items})
    assert retry.status_code == 200, retry.text
    statuses = {r["status"] for r in retry.json()["results"]}
    assert statuses <= {200, 201} and len(statuses) == 1  # all of it or none of it was stored
    with server_database(live_server) as db:
        ids = [item["id"] for item in items]
        assert db.exec(select(func.count()).select_from(Record).where(Record.id.in_(ids))).one() == 200
