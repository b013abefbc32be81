"""The cost of one record write (issue 21): a new record's `PUT /api/records/{id}` is stored
without a SAVEPOINT, without looking the id up first and without the ORM's unit of work — its
INSERT (`ON CONFLICT (id) DO NOTHING`) tells whether the id exists — and answers exactly as
before: a replay, a stale create and two devices creating the same id at the same moment each end
as one record, the later write decided against the one that won."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, func, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.people.models import Child, Placement
from backend.records.kinds.concern_note import ConcernNoteRules
from backend.records.models import KeptWrite, Record, RecordVersion, Task
from tests.support import child_aged, login, put_record
from tests.test_leader_overview import count_queries


def _child(db):
    return child_aged(db, "Sundhedsplejen Nord", 3, 12)


def _note(text_: str, **more) -> dict:
    return {"observed_on": today().isoformat(), "text": text_, **more}


@pytest.fixture
def unit_of_work(monkeypatch) -> list[str]:
    """The table models the ORM's unit of work inserts, flush by flush, and the children and
    placements it loads ("loaded Child")."""
    inserted: list[str] = []

    def before_flush(session, _context, _instances) -> None:
        inserted.extend(type(instance).__name__ for instance in session.new)

    def loaded(instance, _context) -> None:
        inserted.append(f"loaded {type(instance).__name__}")

    event.listen(OrmSession, "before_flush", before_flush)
    for model in (Child, Placement):
        event.listen(model, "load", loaded)
    yield inserted
    event.remove(OrmSession, "before_flush", before_flush)
    for model in (Child, Placement):
        event.remove(model, "load", loaded)


def test_a_new_record_is_stored_without_a_savepoint_a_look_up_or_the_orm(
    client, demo, db, unit_of_work
) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _child(db)
    record_id = str(uuid.uuid4())
    unit_of_work.clear()  # the sign-in's and the test's own
    with count_queries() as statements:
        response = put_record(client, "concern_note", child.id, _note("Træt i dag."), record_id=record_id)
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 1 and response.json()["author"]["name"] == "Mette Lund"
    sent = [" ".join(s.split()).upper() for s in statements]
    assert not [s for s in sent if "SAVEPOINT" in s], sent
    assert not [s for s in sent if s.startswith("SELECT") and "FROM RECORD " in s + " "], sent
    assert "Record" not in unit_of_work and "RecordVersion" not in unit_of_work, unit_of_work
    assert "loaded Child" not in unit_of_work and "loaded Placement" not in unit_of_work  # plain rows
    record = db.get(Record, record_id)
    assert (record.version, record.status, record.data["text"], record.abuse_path) == (
        1,
        "final",
        "Træt i dag.",
        False,
    )
    versions = db.exec(select(RecordVersion).where(RecordVersion.record_id == record_id)).all()
    assert [(v.version, v.data["text"], v.author_id) for v in versions] == [
        (1, "Træt i dag.", record.author_id)
    ]
    assert versions[0].saved_at == record.created_at == record.updated_at
    events = db.exec(select(AuditEvent.action).where(AuditEvent.object_id == record_id)).all()
    assert events == ["record.create"]


def test_what_the_rules_change_after_the_insert_is_stored(client, demo, db) -> None:
    """A concern note on the abuse path: the rules mark the stored record and make the leader's task."""
    login(client, "demo-sundhedsplejerske")
    child = _child(db)
    response = put_record(client, "concern_note", child.id, _note("Mærker på armen.", abuse_path=True))
    assert response.status_code == 201, response.text
    db.expire_all()
    assert db.get(Record, response.json()["id"]).abuse_path is True
    tasks = db.exec(select(Task.kind).where(Task.record_id == response.json()["id"])).all()
    assert tasks == ["abuse_path_review"]


def test_a_create_sent_again_is_decided_against_the_stored_record(client, demo, db) -> None:
    """The id exists (the phone lost the first answer, or wrote it again): the same body is a replay,
    another body without a base version a conflict copy, a refused one refused as an update — and
    the record stays as it was."""
    login(client, "demo-sundhedsplejerske")
    child = _child(db)
    record_id = str(uuid.uuid4())
    first = put_record(client, "concern_note", child.id, _note("Første."), record_id=record_id)
    assert first.status_code == 201
    replay = put_record(client, "concern_note", child.id, _note("Første."), record_id=record_id)
    assert (replay.status_code, replay.json()["version"]) == (200, 1)
    other = put_record(client, "concern_note", child.id, _note("Anden."), record_id=record_id)
    assert other.status_code == 409 and other.json()["current"]["data"]["text"] == "Første."
    other_type = put_record(client, "adbb", child.id, {"screened_on": "x"}, record_id=record_id)
    assert other_type.status_code == 422  # refused as a change of type, not as an invalid screening
    assert [e["field"] for e in other_type.json()["errors"]] == ["type"]
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Record)).one() == 1
    assert db.exec(select(func.count()).select_from(RecordVersion)).one() == 1
    assert db.get(Record, record_id).data["text"] == "Første."
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.object_id == record_id)).all()
    assert sorted(actions) == ["record.create", "record.kept_conflict"]


def _waiting_on_a_lock(url: str) -> bool:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            query = text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            return connection.execute(query).scalar_one() > 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("same_body", [True, False], ids=["replay", "other body"])
def test_two_devices_creating_the_same_record_at_once_end_as_one(
    app, client, demo, db, db_url, monkeypatch, same_body
) -> None:
    """Device A has inserted the record and not yet committed when device B's create of the same id
    arrives: B waits on A's row, then — A committed — is decided against A's write (a replay, or
    a conflict copy for its author). One record, one version, no SAVEPOINT sent by either."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite lets one write transaction in at a time: the writes cannot overlap")
    login(client, "demo-sundhedsplejerske")
    child = _child(db)
    record_id = str(uuid.uuid4())
    first_body = _note("Skrevet på telefonen.")
    inserted, go_on = threading.Event(), threading.Event()
    real_after_save = ConcernNoteRules.after_save

    def after_save_holding_a(self, write, record) -> None:
        if write.data.text == "Skrevet på telefonen." and not inserted.is_set():
            inserted.set()  # A's rows are in, uncommitted: B's create comes now
            assert go_on.wait(20)
        real_after_save(self, write, record)

    monkeypatch.setattr(ConcernNoteRules, "after_save", after_save_holding_a)
    answers: dict[str, object] = {}

    def device_a() -> None:
        answers["a"] = put_record(client, "concern_note", child.id, first_body, record_id=record_id)

    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as other_device:
        login(other_device, "demo-sundhedsplejerske")
        second_body = first_body if same_body else _note("Skrevet på tabletten.")

        def device_b() -> None:
            answers["b"] = put_record(
                other_device, "concern_note", child.id, second_body, record_id=record_id
            )

        with count_queries() as statements:
            a = threading.Thread(target=device_a)
            a.start()
            assert inserted.wait(20)
            b = threading.Thread(target=device_b)
            b.start()
            deadline = time.monotonic() + 20
            while not _waiting_on_a_lock(db_url):  # B's INSERT waits for A's uncommitted row
                assert time.monotonic() < deadline, "device B never waited on device A's row"
                time.sleep(0.02)
            go_on.set()
            a.join(20)
            b.join(20)
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    assert answers["a"].status_code == 201, answers["a"].text
    second = answers["b"]
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Record)).one() == 1
    assert db.exec(select(func.count()).select_from(RecordVersion)).one() == 1
    assert db.get(Record, record_id).data["text"] == "Skrevet på telefonen."
    actions = sorted(db.exec(select(AuditEvent.action).where(AuditEvent.object_id == record_id)).all())
    if same_body:
        assert second.status_code == 200, second.text  # a replay: the record as stored, no new version
        assert second.json()["version"] == 1 and second.json()["data"]["text"] == "Skrevet på telefonen."
        assert actions == ["record.create"]
    else:
        assert second.status_code == 409, second.text
        assert second.json()["current"]["data"]["text"] == "Skrevet på telefonen."
        kept = db.exec(select(KeptWrite)).all()
        assert [(k.reason, k.body["data"]["text"]) for k in kept] == [("conflict", "Skrevet på tabletten.")]
        assert second.json()["conflict_id"] == kept[0].id
        assert actions == ["record.create", "record.kept_conflict"]


def test_the_writes_plain_child_is_the_access_policys_child_field_for_field(demo, db) -> None:
    """A write reads the child it is about as plain rows: the same answer as `child_in_scope`, for
    a child in the caller's scope and one outside it."""
    from backend.auth.policy import child_in_scope, child_in_scope_plain, load_scope
    from backend.db import new_session
    from tests.support import children_of_unit, user_named

    scope = load_scope(db, user_named(db, "demo-sundhedsplejerske"))
    inside, outside = _child(db), children_of_unit(db, "Børnehuset Solsikken")[0]
    with new_session() as session:
        for child in (inside, outside):
            orm = child_in_scope(session, scope, child.id, today())
            plain = child_in_scope_plain(session, scope, child.id, today())
            if orm is None:
                assert plain is None and child is outside
                continue
            for entity, row in zip(orm, plain, strict=True):
                columns = entity.__table__.columns
                assert tuple(row) == tuple(getattr(entity, c.key) for c in columns), type(entity)
        assert child_in_scope_plain(session, scope, "not-an-id", today()) is None
