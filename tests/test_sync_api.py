"""POST /api/sync (contract "Sync", README "Working offline"): a batch of queued writes, each
decided as PUT /api/records/{id} decides it, offline reads, the children that left the scope."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import select

from backend.audit import AuditEvent
from backend.db import utcnow
from backend.domain.dates import today
from backend.records.models import KeptWrite, Record
from tests.support import adbb_data, child_aged, login, moved_child, put_record, unit_named, user_named


def _note(child_id, text_="Set i dag", *, record_id=None, base_version=None, status="final", **extra):
    return {
        "id": record_id or str(uuid.uuid4()),
        "schema": 1,
        "type": "concern_note",
        "child_id": child_id,
        "base_version": base_version,
        "status": status,
        "data": {"observed_on": today().isoformat(), "text": text_},
        **extra,
    }


def _hv_child(db):
    return child_aged(db, "Sundhedsplejen Nord", 3, 12)


def _count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_mixed_batch_answers_each_item_in_order_and_applies_each_on_its_own(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child, moved = _hv_child(db), moved_child(db)
    replayed = _note(child.id, "Allerede sendt")
    assert client.post("/api/sync", json={"items": [replayed]}).json()["results"][0]["status"] == 201
    stale_id = str(uuid.uuid4())
    put_record(
        client, "adbb", child.id, adbb_data(today().isoformat(), 3), status="draft", record_id=stale_id
    )
    put_record(
        client,
        "adbb",
        child.id,
        adbb_data(today().isoformat(), 5),
        status="draft",
        base_version=1,
        record_id=stale_id,
    )
    stale = {
        "id": stale_id,
        "type": "adbb",
        "child_id": child.id,
        "base_version": 1,
        "status": "final",
        "data": adbb_data(today().isoformat(), 9),
    }
    new = _note(child.id, "Ny note")
    kept = _note(moved.id, "Skrevet offline")
    invalid = _note(child.id, "")
    invalid["data"].pop("text")
    unknown = _note(str(uuid.uuid4()))
    items = [new, replayed, kept, stale, invalid, unknown]
    response = client.post("/api/sync", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == [item["id"] for item in items]
    assert [r["status"] for r in results] == [201, 200, 202, 409, 422, 404]
    assert results[0]["record"]["data"]["text"] == "Ny note" and results[0]["record"]["version"] == 1
    assert results[1]["record"]["version"] == 1
    hv = unit_named(db, "Sundhedsplejen Nord")
    assert results[2]["kept_for"] == {
        "leader": user_named(db, "demo-leder").display_name,
        "unit": hv.name,
        "unit_id": hv.id,
    }
    assert "lederen" in results[2]["detail"]
    assert results[3]["current"]["version"] == 2 and results[3]["conflict_id"]
    assert results[4]["errors"][0]["field"] == "data.text"
    assert "detail" in results[5] and "record" not in results[5]
    # Each applied on its own: two notes, the stale ADBB untouched, one kept for the leader,
    # one conflict copy for its author.
    db.expire_all()
    notes = db.exec(select(Record).where(Record.type == "concern_note")).all()
    assert sorted(n.data["text"] for n in notes) == ["Allerede sendt", "Ny note"]
    assert db.get(Record, stale_id).version == 2
    assert sorted(k.reason for k in db.exec(select(KeptWrite)).all()) == ["conflict", "out_of_scope"]
    writes = db.exec(select(AuditEvent).where(AuditEvent.action == "record.create")).all()
    assert {e.object_id for e in writes} >= {new["id"], replayed["id"]}
    # PUT names the receiver of a kept write the same way.
    via_put = {"observed_on": today().isoformat(), "text": "Via PUT"}
    again = put_record(client, "concern_note", moved.id, via_put)
    assert again.status_code == 202 and again.json()["kept_for"] == results[2]["kept_for"]


def test_one_items_database_error_does_not_undo_the_others(client, demo, db, db_url, caplog) -> None:
    """A real database failure (a trigger refusing one note) inside one item: that item answers
    500, the items before and after it are stored, with their audit events."""
    if db_url.startswith("postgresql"):
        db.exec(
            text(
                "CREATE OR REPLACE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                "IF NEW.data->>'text' = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
        )
        db.exec(
            text(
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON record "
                "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"
            )
        )
    else:
        db.exec(
            text(
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON record "
                "WHEN json_extract(NEW.data, '$.text') = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
        )
    db.commit()
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    items = [_note(child.id, "Før"), _note(child.id, "BOOM"), _note(child.id, "Efter")]
    response = client.post("/api/sync", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 500, 201]
    assert "serveren" in results[1]["detail"]
    assert "BOOM" not in caplog.text and "Før" not in caplog.text  # no note text in the log
    assert "one item failed" in caplog.text
    db.expire_all()
    stored = {r.id: r.data["text"] for r in db.exec(select(Record)).all()}
    assert stored == {items[0]["id"]: "Før", items[2]["id"]: "Efter"}
    audited = {e.object_id for e in db.exec(select(AuditEvent).where(AuditEvent.action == "record.create"))}
    assert items[0]["id"] in audited and items[2]["id"] in audited and items[1]["id"] not in audited


def test_more_than_200_items_are_refused_with_a_danish_message_and_nothing_stored(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    response = client.post("/api/sync", json={"items": [_note(child.id) for _ in range(201)]})
    assert response.status_code == 413
    assert "Højst 200" in response.json()["detail"]
    assert _count(db, Record) == 0
    reads = [{"child_id": child.id, "at": utcnow().isoformat()}] * 1001
    too_many_reads = client.post("/api/sync", json={"items": [_note(child.id)], "reads": reads})
    assert too_many_reads.status_code == 413 and "Højst 1000 opslag" in too_many_reads.json()["detail"]
    assert _count(db, Record) == 0
    assert client.post("/api/sync", json={"items": [_note(child.id) for _ in range(200)]}).status_code == 200
    assert _count(db, Record) == 200


def test_a_body_that_is_not_a_batch_is_a_422_not_a_500(client, demo) -> None:
    login(client, "demo-sundhedsplejerske")
    for body in ([], {"items": "x"}, {"items": [1, None, {"id": 5}]}):
        response = client.post("/api/sync", json=body)
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            assert all(r["status"] == 422 for r in response.json()["results"])


def test_sync_needs_the_csrf_token(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    del client.headers["X-CSRF-Token"]
    response = client.post("/api/sync", json={"items": [_note(child.id)]})
    assert response.status_code == 403
    assert _count(db, Record) == 0


def test_a_future_schema_is_that_items_422(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    items = [_note(child.id, schema=99), _note(child.id, "Gammel app")]
    items[1].pop("schema")  # an item that names no schema was written by the first
    results = client.post("/api/sync", json={"items": items}).json()["results"]
    assert [r["status"] for r in results] == [422, 201]
    assert results[0]["errors"][0]["field"] == "schema"
    assert "Opdatér appen" in results[0]["errors"][0]["message"]


def test_offline_reads_become_audit_events_with_both_times(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child, moved = _hv_child(db), moved_child(db)
    read_at = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    before = utcnow()
    reads = [
        {"child_id": child.id, "at": read_at.isoformat()},
        {"child_id": moved.id, "at": (utcnow() - timedelta(days=40)).isoformat()},  # in scope back then
        {"child_id": str(uuid.uuid4()), "at": read_at.isoformat()},  # never in scope: dropped
        {"child_id": child.id, "at": "i går"},  # malformed: skipped
        {"child_id": child.id, "at": (utcnow() + timedelta(days=2)).isoformat()},  # future: skipped
        "x",
    ]
    response = client.post("/api/sync", json={"items": [], "reads": reads})
    assert response.status_code == 200, response.text
    assert response.json()["reads_recorded"] == 2
    db.expire_all()
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "child.read")).all()
    offline = [e for e in events if e.detail.get("offline") is True]
    assert sorted(e.child_id for e in offline) == sorted([child.id, moved.id])
    mine = next(e for e in offline if e.child_id == child.id)
    assert datetime.fromisoformat(mine.detail["read_at"]) == read_at
    assert mine.at >= before - timedelta(seconds=1)  # the event's own time: when it arrived


def test_removed_child_ids_lists_children_who_left_since_the_last_sync(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    moved = moved_child(db)  # left health visiting 20 days ago
    long_ago = (utcnow() - timedelta(days=30)).isoformat()
    assert (
        moved.id
        in client.post("/api/sync", json={"items": [], "since": long_ago}).json()["removed_child_ids"]
    )
    answer = client.post("/api/sync", json={"items": []}).json()
    # Without `since`: the last offline_days (7) — the move 20 days ago is older than that.
    assert moved.id not in answer["removed_child_ids"]
    assert datetime.fromisoformat(answer["server_time"]) <= utcnow()


VISITED_ON = (today() - timedelta(days=1)).isoformat()


def _transition(child_id, schema, visit_field):
    return {
        "id": str(uuid.uuid4()),
        "schema": schema,
        "type": "transition",
        "child_id": child_id,
        "base_version": None,
        "status": "draft",
        "data": {"visit": {visit_field: VISITED_ON, "attendees": "Mor og dagplejer"}},
    }


def test_a_schema_1_transition_queued_before_the_release_is_upgraded(client, demo, db) -> None:
    """Release 2 renamed the transition visit's `held_on` to `visited_on` (our key: the contract
    names only `visit`): a write the phone queued with schema 1 arrives with the old name and is
    stored with the new one."""
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    old, new = _transition(child.id, 1, "held_on"), _transition(child.id, 2, "visited_on")
    results = client.post("/api/sync", json={"items": [old, new]}).json()["results"]
    assert [r["status"] for r in results] == [201, 201], results
    for result in results:
        assert result["record"]["data"]["visit"]["visited_on"] == VISITED_ON
        assert result["record"]["data"]["visit"]["attendees"] == "Mor og dagplejer"
        assert "held_on" not in result["record"]["data"]["visit"]
    # The same old-schema body over PUT is upgraded the same way; the form speaks schema 2.
    again = _transition(child.id, 1, "held_on")
    put = client.put(f"/api/records/{again.pop('id')}", json=again)
    assert put.status_code == 201 and put.json()["data"]["visit"]["visited_on"] == VISITED_ON
    form = client.get(f"/forms/transition?child={child.id}").text
    assert 'data-schema="2"' in form and 'name="data.visit.visited_on"' in form
    assert 'name="data.visit.held_on"' not in form
    assert 'data-schema="1"' in client.get(f"/forms/notification?child={child.id}").text
    page = client.get(f"/records/{old['id']}").text
    assert "Overgangsbesøg holdt den" in page


def test_the_release_migrates_stored_transitions_to_schema_2(client, demo, db) -> None:
    """Migration 0012 renames the field in stored records, their versions and kept writes (and
    back on downgrade)."""
    from alembic import command
    from alembic.config import Config

    from backend.db import MIGRATIONS_DIR, get_engine
    from backend.records.models import RecordVersion

    login(client, "demo-sundhedsplejerske")
    item = _transition(_hv_child(db).id, 2, "visited_on")
    kept = _transition(moved_child(db).id, 2, "visited_on")
    results = client.post("/api/sync", json={"items": [item, kept]}).json()["results"]
    assert [r["status"] for r in results] == [201, 202]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    def run(step, target) -> None:
        with get_engine().begin() as connection:
            config.attributes["connection"] = connection
            step(config, target)

    def stored() -> list[dict]:
        db.expire_all()
        return [
            db.get(Record, item["id"]).data["visit"],
            db.exec(select(RecordVersion).where(RecordVersion.record_id == item["id"])).one().data["visit"],
            db.exec(select(KeptWrite)).one().body["data"]["visit"],
        ]

    db.commit()
    run(command.downgrade, "0011")
    assert all(data.get("held_on") == VISITED_ON and "visited_on" not in data for data in stored())
    db.commit()
    run(command.upgrade, "head")
    assert all(data.get("visited_on") == VISITED_ON for data in stored())
    assert all("held_on" not in data and data["attendees"] == "Mor og dagplejer" for data in stored())


def test_sync_outcomes_are_counted_in_the_record_write_metric(client, demo, db) -> None:
    from prometheus_client import REGISTRY

    def value(status: str) -> float:
        return REGISTRY.get_sample_value("opspor_record_writes_total", {"status": status}) or 0.0

    login(client, "demo-sundhedsplejerske")
    before = {status: value(status) for status in ("201", "202", "404", "422")}
    items = [
        _note(_hv_child(db).id),
        _note(moved_child(db).id),
        _note(str(uuid.uuid4())),
        _note(None, schema=7),
    ]
    assert [r["status"] for r in client.post("/api/sync", json={"items": items}).json()["results"]] == [
        201,
        202,
        404,
        422,
    ]
    assert {status: value(status) - before[status] for status in before} == dict.fromkeys(before, 1.0)


def test_a_schema_1_write_stored_before_the_release_and_replayed_after_it_is_a_replay(
    client, demo, db
) -> None:
    """The answer to a schema-1 write was lost before the release; the phone replays it after
    the release (0012 renamed the stored visit field): stored once, answered 200, no conflict."""
    from backend.records.models import RecordVersion
    from backend.records.service import Envelope, body_hash
    from tests.support import user_named as named

    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    item = _transition(child.id, 1, "held_on")
    author = named(db, "demo-sundhedsplejerske").id
    unit = unit_named(db, "Sundhedsplejen Nord").id
    sent = Envelope(**{k: item[k] for k in ("type", "child_id", "base_version", "status", "data")})
    renamed = {"visit": {"visited_on": VISITED_ON, "attendees": "Mor og dagplejer"}}
    # What the previous release stored (hash of the body as sent), after migration 0012.
    db.add(
        Record(
            id=item["id"],
            type="transition",
            child_id=child.id,
            unit_id=unit,
            author_id=author,
            updated_by_id=author,
            status="draft",
            data=renamed,
            derived={},
        )
    )
    db.flush()
    db.add(
        RecordVersion(
            record_id=item["id"],
            version=1,
            status="draft",
            data=renamed,
            derived={},
            author_id=author,
            body_hash=body_hash(sent),
        )
    )
    db.commit()
    result = client.post("/api/sync", json={"items": [item]}).json()["results"][0]
    assert result["status"] == 200, result
    assert result["record"]["version"] == 1
    assert _count(db, KeptWrite) == 0


def test_a_batch_sent_again_after_a_lost_answer_is_stored_once(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    items = [_note(child.id, f"Note {i}") for i in range(5)]
    first = client.post("/api/sync", json={"items": items}).json()["results"]
    again = client.post("/api/sync", json={"items": items}).json()["results"]
    assert [r["status"] for r in first] == [201] * 5 and [r["status"] for r in again] == [200] * 5
    assert _count(db, Record) == 5 and _count(db, KeptWrite) == 0
