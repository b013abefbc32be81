"""POST /api/sync does per item only the item's own writes (issue 14's 1,000 records in ≤ 5 s):
the records and children of the whole batch are looked up once, the items are decided inside
one savepoint and written together, and the audit events go in one INSERT — counted as
tests/test_request_queries.py counts them. Should the database refuse anything, each item is
decided again in a savepoint of its own. The decisions stay those of PUT /api/records/{id}
(tests/test_sync_api.py)."""

from __future__ import annotations

import uuid

from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.records.models import Record
from backend.records.service import LookedUp
from tests.support import child_aged, login, moved_child, unit_named, user_named
from tests.test_leader_overview import count_queries

#: Statements per new note at most: its record_version INSERT (the records go in one executemany;
#: SQLite cannot return the versions' ids from one). Before: 8 — its own look-ups of the record
#: and the child, two savepoints, and the two INSERTs.
PER_ITEM = 1


def _note(child_id: str, text: str = "Set i dag", *, record_id: str | None = None, base_version=None) -> dict:
    return {
        "id": record_id or str(uuid.uuid4()),
        "schema": 1,
        "type": "concern_note",
        "child_id": child_id,
        "base_version": base_version,
        "status": "final",
        "data": {"observed_on": today().isoformat(), "text": text},
    }


def _statements(client, items: list[dict]) -> list[str]:
    with count_queries() as statements:
        response = client.post("/api/sync", json={"items": items})
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["results"]} == {201}
    return [s for s in statements if not s.lstrip().upper().startswith("BEGIN")]


def test_a_batchs_reads_do_not_grow_with_its_items(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    children = [child_aged(db, "Sundhedsplejen Nord", 3, 12), child_aged(db, "Sundhedsplejen Nord", 5, 12)]
    _statements(client, [_note(children[0].id)])  # the first request's one-off reads
    small = _statements(client, [_note(children[i % 2].id) for i in range(20)])
    large = _statements(client, [_note(children[i % 2].id) for i in range(200)])

    def reads(statements: list[str]) -> list[str]:
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")]

    assert len(reads(large)) == len(reads(small)), reads(large)[len(reads(small)) :][:3]
    assert len(large) - len(small) <= PER_ITEM * 180, len(large) - len(small)
    assert len(large) <= len(reads(large)) + PER_ITEM * 200 + 5, len(large)
    audit_inserts = [s for s in large if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")]
    assert len(audit_inserts) == 1
    db.expire_all()
    created = db.exec(select(AuditEvent).where(AuditEvent.action == "record.create")).all()
    assert len(created) == 221


def test_the_same_record_twice_in_one_batch_is_decided_against_the_first(client, demo, db) -> None:
    """A record id's looked-up answer serves its first item only: the second item sees the first's
    write (a replay of the same body, or the next version)."""
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    first = _note(child.id, "Første udgave")
    corrected = _note(child.id, "Rettet udgave", record_id=first["id"], base_version=1)
    results = client.post("/api/sync", json={"items": [first, first, corrected]}).json()["results"]
    assert [r["status"] for r in results] == [201, 200, 200]
    assert results[1]["detail"] == "Allerede gemt."
    assert results[2]["record"]["version"] == 2
    db.expire_all()
    assert db.get(Record, first["id"]).data["text"] == "Rettet udgave"


def test_a_record_stored_by_someone_else_meanwhile_is_decided_again(client, demo, db, monkeypatch) -> None:
    """The batch looked a record up as absent, but another request stored it before this item's
    INSERT (IntegrityError): the item is decided again against that write, as PUT does; the
    items around it stand."""
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    raced = _note(child.id, "Sendt to gange på én gang")
    assert client.post("/api/sync", json={"items": [raced]}).json()["results"][0]["status"] == 201
    looked_up_existing = LookedUp.existing

    def not_there_yet(self, db_, record_id):
        if record_id == raced["id"] and record_id in self.records:
            self.records.pop(record_id)
            return None  # as if the other request's INSERT came after this batch's look-up
        return looked_up_existing(self, db_, record_id)

    monkeypatch.setattr(LookedUp, "existing", not_there_yet)
    before, after = _note(child.id, "Før"), _note(child.id, "Efter")
    results = client.post("/api/sync", json={"items": [before, raced, after]}).json()["results"]
    assert [r["status"] for r in results] == [201, 200, 201]
    assert results[1]["detail"] == "Allerede gemt." and results[1]["record"]["version"] == 1
    db.expire_all()
    assert {r.id for r in db.exec(select(Record)).all()} >= {before["id"], raced["id"], after["id"]}
    assert db.get(Record, raced["id"]).version == 1
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "record.create")).all()
    created = [e.object_id for e in events]
    assert sorted(created) == sorted([raced["id"], before["id"], after["id"]])  # each once


def test_writes_kept_for_one_leader_name_the_receiver_from_one_look_up(client, demo, db) -> None:
    """A phone back after its child moved: every queued note is kept for the leader (202) and
    each result names the leader and unit, read once for the batch, not once per item."""
    login(client, "demo-sundhedsplejerske")
    moved = moved_child(db)
    items = [_note(moved.id, f"Skrevet offline {i}") for i in range(40)]
    with count_queries() as statements:
        response = client.post("/api/sync", json={"items": items})
    results = response.json()["results"]
    assert [r["status"] for r in results] == [202] * 40
    hv = unit_named(db, "Sundhedsplejen Nord")
    leader = user_named(db, "demo-leder").display_name
    assert {(r["kept_for"]["leader"], r["kept_for"]["unit_id"]) for r in results} == {(leader, hv.id)}
    leader_look_ups = [s for s in statements if "roleassignment.role =" in s.lower()]
    assert len(leader_look_ups) == 1, len(leader_look_ups)
