"""A read begins no transaction until it writes (issue 21, PostgreSQL): "I dag", the caseload and
a child's page and JSON cost neither a BEGIN nor a COMMIT round trip when their audit rows are
all they write, and those rows are still committed — in one statement, all or none — before the
response is sent. Whatever else a read writes, and every unsafe request, runs in one transaction
as before. And what those pages only read comes as plain rows, not ORM objects."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event, update
from sqlmodel import select

from backend.audit import AuditEvent
from backend.auth.models import WebSession
from backend.db import _writes_or_locks, begin_at_first_write, get_engine, new_session, utcnow
from backend.people.models import Child
from tests.support import children_of_unit, login, put_record, user_named


@pytest.fixture
def postgresql(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite begins every transaction with BEGIN IMMEDIATE (the write lock up front)")


@contextmanager
def statements_run():
    """(statement, transaction status right after it ran, executemany, rows it wrote)."""
    ran: list[tuple[str, TransactionStatus, bool, int]] = []

    def after(_conn, cursor, statement, _params, _context, executemany) -> None:
        status = cursor.connection.info.transaction_status
        ran.append((statement.lstrip()[:40].upper(), status, executemany, cursor.rowcount))

    event.listen(get_engine(), "after_cursor_execute", after)
    try:
        yield ran
    finally:
        event.remove(get_engine(), "after_cursor_execute", after)


def _audit_inserts(ran):
    return [row for row in ran if row[0].startswith("INSERT INTO AUDIT_EVENT")]


def test_a_page_that_only_reads_runs_outside_a_transaction_and_commits_its_audit_rows(
    client, demo, db, postgresql
) -> None:
    login(client, "demo-sundhedsplejerske")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    actor = user_named(db, "demo-sundhedsplejerske").id
    for url in ("/", "/children", f"/children/{child.id}", f"/api/children/{child.id}"):
        before = len(db.exec(select(AuditEvent.id).where(AuditEvent.actor_id == actor)).all())
        with statements_run() as ran:
            assert client.get(url).status_code == 200, url
        # Idle after every statement: no BEGIN was sent, so no COMMIT is owed.
        assert ran and {status for _s, status, *_ in ran} == {TransactionStatus.IDLE}, (url, ran)
        (insert,) = _audit_inserts(ran)
        db.rollback()  # a fresh look from another connection: the rows are committed
        after = len(db.exec(select(AuditEvent.id).where(AuditEvent.actor_id == actor)).all())
        assert after - before == insert[3] >= 1, url


def test_a_list_page_writes_its_audit_rows_in_one_statement(client, demo, db, postgresql) -> None:
    """Not one execution per child listed (the driver's executemany): one statement with every
    row, which is also what makes it safe outside a transaction (all rows or none)."""
    login(client, "demo-leder")
    with statements_run() as ran:
        listed = client.get("/children")
    assert listed.status_code == 200
    (insert,) = _audit_inserts(ran)
    _statement, _status, executemany, rows = insert
    assert not executemany
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "child.list")).all()
    assert rows == len(events) >= 20
    names = set(db.exec(select(Child.name).where(Child.id.in_([e.child_id for e in events]))))
    assert all(name in listed.text for name in names)
    assert {e.actor_id for e in events} == {user_named(db, "demo-leder").id}
    assert all(e.session_ref and e.ip and e.detail == {} for e in events)


def test_a_read_that_writes_more_than_its_audit_rows_writes_them_in_one_transaction(
    client, demo, db, postgresql
) -> None:
    """A session last seen over a minute ago is touched: that UPDATE begins the transaction, the
    audit rows join it, and the commit ends it."""
    login(client, "demo-sundhedsplejerske")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    long_ago = utcnow() - timedelta(minutes=5)
    db.exec(update(WebSession).values(last_seen_at=long_ago))
    db.commit()
    with statements_run() as ran:
        assert client.get(f"/children/{child.id}").status_code == 200
    touched = [status for statement, status, *_ in ran if statement.startswith("UPDATE WEB_SESSION")]
    assert touched == [TransactionStatus.INTRANS]
    assert _audit_inserts(ran)[0][1] == TransactionStatus.INTRANS
    assert ran[-1][0].startswith("INSERT INTO AUDIT_EVENT")
    db.rollback()
    assert all(s.last_seen_at > long_ago for s in db.exec(select(WebSession)).all())
    read = select(AuditEvent).where(AuditEvent.child_id == child.id, AuditEvent.action == "child.read")
    assert len(db.exec(read).all()) == 1


def test_a_write_runs_in_one_transaction_from_its_first_statement(client, demo, db, postgresql) -> None:
    login(client, "demo-sundhedsplejerske")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    with statements_run() as ran:
        note = {"observed_on": utcnow().date().isoformat(), "text": "Skrevet."}
        assert put_record(client, "concern_note", child.id, note).status_code == 201
    assert {status for _s, status, *_ in ran} == {TransactionStatus.INTRANS}


def test_the_first_write_or_locking_read_begins_the_transaction(demo, db, postgresql) -> None:
    from sqlalchemy import insert

    with new_session() as session:
        begin_at_first_write(session)
        dbapi = session.connection().connection.dbapi_connection
        session.exec(select(Child).limit(1)).first()
        assert dbapi.info.transaction_status == TransactionStatus.IDLE
        session.exec(select(Child).limit(1).with_for_update()).first()  # the lock is held …
        assert dbapi.info.transaction_status == TransactionStatus.INTRANS
        session.rollback()
    with new_session() as session:
        begin_at_first_write(session)
        dbapi = session.connection().connection.dbapi_connection
        session.connection().execute(insert(AuditEvent.__table__).values(action="test.only", detail={}))
        assert dbapi.info.transaction_status == TransactionStatus.INTRANS
        session.rollback()  # … and a write can still be undone
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "test.only")).all() == []


def test_which_statements_begin_a_transaction() -> None:
    assert not _writes_or_locks("SELECT child.id FROM child WHERE child.name = %(name)s")
    assert not _writes_or_locks("\n  select 1")
    for statement in (
        "INSERT INTO child (id) VALUES (%(id)s)",
        "UPDATE web_session SET last_seen_at = %(x)s",
        "DELETE FROM web_session WHERE id = %(id)s",
        "SAVEPOINT sa_savepoint_1",
        "WITH moved AS (DELETE FROM task RETURNING id) SELECT id FROM moved",
        "SELECT record.id FROM record WHERE record.id = %(id)s FOR UPDATE",
        "SELECT push_send.id FROM push_send FOR UPDATE OF push_send SKIP LOCKED",
        "SELECT x FROM t FOR NO KEY UPDATE",
        "SELECT x FROM t\nFOR SHARE",
        "SELECT pg_advisory_xact_lock(1)",
    ):
        assert _writes_or_locks(statement), statement


def test_a_cursors_description_reads_as_psycopgs_own(db, postgresql) -> None:
    """The app's cursors build their description's columns when read (SQLAlchemy mostly only
    asks whether there is one): what is read is what psycopg would have given, also when read
    after the cursor has run another statement."""
    import psycopg

    from backend.db import _Cursor

    raw = db.connection().connection.dbapi_connection
    query = "SELECT 1 AS a, 'x'::text AS b, now() AS c"
    plain = psycopg.Cursor(raw)
    plain.execute(query)
    expected = [(c.name, c.type_code, c.internal_size) for c in plain.description]
    cursor = raw.cursor()
    assert isinstance(cursor, _Cursor)
    cursor.execute(query)
    first = cursor.description
    assert len(first) == 3
    cursor.execute("SELECT 2 AS z")
    assert [(c.name, c.type_code, c.internal_size) for c in first] == expected
    assert first[-1].name == "c" and [c.name for c in first[1:]] == ["b", "c"]
    assert [c.name for c in cursor.description] == ["z"]
    cursor.execute("SET application_name = 'opspor-test'")
    assert cursor.description is None


def test_the_listed_children_are_read_as_plain_rows_with_every_field(demo, db) -> None:
    """ "I dag", the caseload and a child's page and JSON read their children, placements and
    units as read-only named tuples (no ORM object each, nothing the session holds on to), field
    for field what the ORM would have loaded. On SQLite too."""
    from backend.auth.policy import child_in_scope_with_unit, children_in_scope_with_units, load_scope
    from backend.domain.dates import today
    from backend.people.models import Placement, Unit

    leader = user_named(db, "demo-leder")
    scope = load_scope(db, leader)
    with new_session() as session:
        scoped = children_in_scope_with_units(session, scope, today())
        assert len(scoped.rows) >= 20
        one_child, one_placement = scoped.rows[-1]
        assert child_in_scope_with_unit(session, scope, one_child.id, today()) == (
            one_child,
            one_placement,
            scoped.units[one_placement.unit_id],
        )
        assert not [obj for obj in session.identity_map.values() if isinstance(obj, (Child, Placement, Unit))]
    for child, placement in scoped.rows:
        for row, model, key in ((child, Child, child.id), (placement, Placement, placement.id)):
            loaded = db.get(model, key)
            assert row._asdict() == {name: getattr(loaded, name) for name in row._fields}
            assert set(row._fields) == set(model.model_fields)
            with pytest.raises(AttributeError):
                row.id = "changed"  # read-only
    for unit in scoped.units.values():
        assert unit._asdict() == db.get(Unit, unit.id).model_dump()


def test_a_childs_placement_history_is_read_as_columns(demo, db) -> None:
    """The child's page and JSON show the enrolment history from the columns it needs: no ORM
    object per placement, unit and room; newest first, the room's name when there is one."""
    from backend.people.models import Placement, Room, Unit
    from backend.people.service import PlacementView, placement_history

    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    loaded: list[object] = []

    def count(instance, _context) -> None:
        loaded.append(instance)

    for model in (Placement, Unit, Room):
        event.listen(model, "load", count)
    try:
        with new_session() as session:
            history = placement_history(session, child.id)
    finally:
        for model in (Placement, Unit, Room):
            event.remove(model, "load", count)
    assert loaded == []
    placements = db.exec(select(Placement).where(Placement.child_id == child.id)).all()
    expected = []
    for placement in sorted(placements, key=lambda p: p.starts_on, reverse=True):
        unit = db.get(Unit, placement.unit_id)
        room = db.get(Room, placement.room_id) if placement.room_id else None
        room_name = room.name if room else None
        expected.append(
            PlacementView(unit.id, unit.name, unit.kind, room_name, placement.starts_on, placement.ends_on)
        )
    assert history == expected and history


def test_a_childs_page_and_json_load_no_orm_object_for_what_they_only_show(client, app, demo, db) -> None:
    """The child's records, their evaluation rounds, guardians and what was sent to the parents
    come as read-only rows (`db.plain_rows`), not ORM objects; the page and JSON still show them,
    and what the ORM would have loaded is what the rows hold."""
    from backend.parents.models import ParentInvitation
    from backend.people.models import Guardian
    from backend.records.models import EvaluationRound, Record
    from tests.parents_support import hv_child, invited

    child = hv_child(db)
    record, invitation, mother = invited(client, db, child)
    loaded: list[object] = []

    def count(instance, _context) -> None:
        loaded.append(instance)

    models = (Record, EvaluationRound, Guardian, ParentInvitation)
    for model in models:
        event.listen(model, "load", count)
    try:
        page = client.get(f"/children/{child.id}")
        body = client.get(f"/api/children/{child.id}")
    finally:
        for model in models:
            event.remove(model, "load", count)
    assert page.status_code == body.status_code == 200
    assert loaded == []
    assert mother.name in page.text and "Forældrenes del af overgangsbeskrivelsen" in page.text
    shown = {r["id"]: r for r in body.json()["records"]}
    stored = db.get(Record, record["id"])
    assert shown[stored.id]["data"] == stored.data and shown[stored.id]["version"] == stored.version
    assert shown[stored.id]["updated_at"] == stored.updated_at.isoformat()
    assert mother.name in {g["name"] for g in body.json()["guardians"]}
    assert db.get(ParentInvitation, invitation["id"]) is not None


def test_a_handed_over_description_read_as_a_row_is_still_shown_as_the_consented_version(db, demo) -> None:
    """`shared_view` makes the receiving unit's copy from a plain row as from an ORM object: the
    version the parents consented to, never the later edit."""
    from backend.db import plain
    from backend.people.models import Placement
    from backend.records.access import is_shared_view, shared_view
    from backend.records.models import Record, RecordVersion

    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    unit_id = db.exec(select(Placement.unit_id).where(Placement.child_id == child.id)).first()
    hv = user_named(db, "demo-sundhedsplejerske")
    now = utcnow()
    record = Record(
        id="11111111-1111-4111-8111-111111111111",
        type="transition",
        child_id=child.id,
        unit_id=unit_id,
        author_id=hv.id,
        updated_by_id=hv.id,
        status="final",
        version=2,
        data={"v": 2},
        derived={},
        shared_with_unit_id=unit_id,
        shared_version=1,
        created_at=now,
        updated_at=now,
    )
    db.add(record)
    for version, saved_at in ((1, now - timedelta(days=1)), (2, now)):
        db.add(
            RecordVersion(
                record_id=record.id,
                version=version,
                status="final",
                data={"v": version},
                derived={},
                author_id=hv.id,
                body_hash=f"hash-{version}",
                saved_at=saved_at,
            )
        )
    db.commit()
    stored = db.get(Record, record.id)
    from_row = shared_view(db, plain(Record)(**stored.model_dump()))
    assert from_row.model_dump() == shared_view(db, stored).model_dump()
    assert from_row.data == {"v": 1} and from_row.version == 1 and is_shared_view(from_row)
