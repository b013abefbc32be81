"""The pages and API reads field staff use most read the database in a small, constant number of
queries (issue 21): no query per child, record, task or author, and the session, the user's roles
and the municipality's settings in one. Counted as the overview tests count them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from backend.domain.dates import today
from tests.overview_support import add_child, add_task, add_unit
from tests.support import adbb_data, add_user, login, put_record
from tests.test_leader_overview import count_queries

#: Statements per request at most (SQLite's `BEGIN IMMEDIATE` not counted: PostgreSQL's driver
#: sends its BEGIN outside these counts too). Before issue 21: 10, 9, 14, 12 and 13; then 5, 5,
#: 8, 8 and 9 (the devices a request names read on their own). "I dag" reads one more since
#: issue 15: what the caller sent to parents (with the guardians' and children's names and the
#: access rule, in that one statement), and one more since issue 17's forum card: the caller's
#: coming forum meetings (with its cases' count in the same statement since issue 21's "I dag"
#: work: it was a second one when there was a meeting). The caseload reads the children coming
#: with a handed-over description in the statement of the children in scope (was one of its own).
#: A new record's write, 8 before (a SAVEPOINT and its RELEASE, the id looked up, two INSERTs),
#: is the session, the child's scope, the record's INSERT … ON CONFLICT DO NOTHING and its
#: version's, and the audit rows; on PostgreSQL the record and its version are one statement.
LIMITS = {"today": 6, "caseload": 3, "child page": 7, "child json": 7, "record write": 5}
LIMITS_POSTGRESQL = LIMITS | {"record write": 4}


def _grow(client, db, world: dict, count: int) -> None:
    """`count` more children in the health visitor's caseload, each with records by the health
    visitor and by a colleague, and open tasks (one overdue)."""
    for index in range(count):
        n = len(world["children"])
        child = add_child(
            db, world["unit"], f"Barn {n:02d}", responsible=world["hv"], birth=today() - timedelta(days=200)
        )
        world["children"].append(child)
        add_task(db, world["unit"], "adbb_due", 2, child, assignee=world["hv"])
        add_task(db, world["unit"], "adbb_due", -3, child, assignee=world["hv"])
        for username, kind in (("hv-kollega", "concern_note"), ("hv-maaling", "concern_note")):
            login(client, username)
            note = {"observed_on": today().isoformat(), "text": f"Note {n} fra {username}"}
            assert put_record(client, kind, child.id, note).status_code == 201
        screened = adbb_data(today().isoformat(), 3 + index % 5, occasion="first")
        assert put_record(client, "adbb", child.id, screened).status_code == 201, "adbb"
    login(client, "hv-maaling")


def _measure(client, world: dict) -> dict[str, int]:
    child = world["children"][0]
    requests = {
        "today": lambda: client.get("/"),
        "caseload": lambda: client.get("/children"),
        "child page": lambda: client.get(f"/children/{child.id}"),
        "child json": lambda: client.get(f"/api/children/{child.id}"),
        "record write": lambda: put_record(
            client, "concern_note", child.id, {"observed_on": today().isoformat(), "text": "Målt."}
        ),
    }
    counts = {}
    for name, send in requests.items():
        with count_queries() as statements:
            response = send()
        assert response.status_code in (200, 201), (name, response.text[:300])
        work = [s for s in statements if not s.lstrip().upper().startswith("BEGIN")]
        inserts = [s for s in work if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")]
        assert len(inserts) == 1, name
        counts[name] = len(work)
    return counts


@pytest.fixture
def world(client, demo, db) -> dict:
    unit = add_unit(db, "Målingsplejen", kind="health_visiting")
    hv = add_user(db, "hv-maaling", "health_visitor", None)
    add_user(db, "hv-kollega", "health_visitor", None)
    from sqlmodel import select

    from backend.people.models import AdbbCertification, RoleAssignment, User

    for user in db.exec(select(User).where(User.username.in_(["hv-maaling", "hv-kollega"]))):
        db.add(RoleAssignment(user_id=user.id, role="health_visitor", unit_id=unit.id))
    db.add(AdbbCertification(user_id=hv.id, certified_on=today()))  # she finalises screenings
    db.commit()
    client.headers["X-Opspor-Device"] = str(uuid.uuid4())
    return {"unit": unit, "hv": hv, "children": []}


def test_the_busiest_requests_use_few_queries_whatever_the_caseload(client, db, world) -> None:
    _grow(client, db, world, 3)
    small = _measure(client, world)
    _grow(client, db, world, 27)
    large = _measure(client, world)
    assert large == small
    limits = LIMITS_POSTGRESQL if db.get_bind().dialect.name == "postgresql" else LIMITS
    for name, limit in limits.items():
        assert small[name] <= limit, (name, small[name])


def test_no_ping_before_a_request(client, db, world, monkeypatch) -> None:
    """A request's connection is not pinged first (a round trip each): a dropped connection is
    noticed by the request's first statement instead (below)."""
    from backend.db import get_engine

    _grow(client, db, world, 1)
    dialect = get_engine().dialect
    pings: list[object] = []
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    child = world["children"][0]
    for url in ("/", "/children", f"/children/{child.id}", f"/api/children/{child.id}"):
        assert client.get(url).status_code == 200, url
    assert pings == []


def test_a_connection_the_database_dropped_is_replaced_without_an_error(client, demo, db_url) -> None:
    """PostgreSQL ends the app's idle pooled connections (a restart, an administrator): the next
    requests are answered as usual, on fresh connections, without a ping before each."""
    if not db_url.startswith("postgresql"):
        pytest.skip("ending a server's connections is a PostgreSQL matter")
    from sqlalchemy import create_engine, text

    login(client, "demo-sundhedsplejerske")
    assert client.get("/api/children").status_code == 200
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    assert ended >= 1
    for _ in range(3):
        response = client.get("/api/children")
        assert response.status_code == 200, response.text[:300]


def test_a_page_costs_few_trips_through_the_thread_pool(client, db, world, monkeypatch) -> None:
    """The checks that only look at what `get_ctx` loaded (signed in? an admin? `If-None-Match`?)
    run on the event loop, and a JSON answer is not validated again; opening the request's
    context, the route and committing run in one worker (`web/one_thread.py`): a request takes one
    trip through the thread pool. Before: four or five, then three."""
    import anyio.to_thread

    _grow(client, db, world, 1)
    trips: list[str] = []
    real_run_sync = anyio.to_thread.run_sync

    async def counting_run_sync(function, *args, **kwargs):
        trips.append(getattr(function, "__qualname__", repr(function)))
        return await real_run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting_run_sync)
    child = world["children"][0]
    counts = {}
    for url in ("/", "/children", f"/children/{child.id}", f"/api/children/{child.id}"):
        trips.clear()
        assert client.get(url).status_code == 200, url
        counts[url] = len(trips)
    trips.clear()
    note = {"observed_on": today().isoformat(), "text": "Målt."}
    written = put_record(client, "concern_note", child.id, note)
    assert written.status_code == 201
    counts["record write"] = len(trips)
    # The pages a phone keeps offline (with their `If-None-Match` check) and the list of children.
    record_id = written.json()["id"]
    pages = ("/api/children", f"/records/{record_id}", f"/records/{record_id}/edit")
    for url in (*pages, f"/forms/concern_note?child={child.id}"):
        trips.clear()
        assert client.get(url).status_code == 200, url
        counts[url] = len(trips)
    trips.clear()
    etag = client.get(f"/records/{record_id}", headers={"If-None-Match": 'W/"old"'}).headers["ETag"]
    trips.clear()
    assert client.get(f"/records/{record_id}", headers={"If-None-Match": etag}).status_code == 304
    counts["record page, 304"] = len(trips)
    assert set(counts.values()) == {1}, (counts, trips)


def test_the_child_json_is_sent_as_built(client, db, world, monkeypatch) -> None:
    """GET /api/children/{id} is JSON types already: FastAPI's `jsonable_encoder` (a recursive
    copy of every record) is not run over it."""
    import fastapi.routing

    _grow(client, db, world, 1)
    walked: list[object] = []
    real_encoder = fastapi.routing.jsonable_encoder

    def counting_encoder(value, *args, **kwargs):
        walked.append(value)
        return real_encoder(value, *args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "jsonable_encoder", counting_encoder)
    child = world["children"][0]
    response = client.get(f"/api/children/{child.id}")
    assert response.status_code == 200
    assert response.json()["id"] == child.id and len(response.json()["records"]) == 3
    assert walked == []


def test_a_record_write_in_one_trip_is_checked_in_the_same_order(client, db, world) -> None:
    """`PUT /api/records/{id}` opens its context in the route's one trip (`web/one_thread.py`),
    after FastAPI has read the body: a missing body is still answered after the session and
    CSRF checks, in FastAPI's words, and a JSON `null` is still a body the rules refuse."""
    login(client, "hv-maaling")
    url = f"/api/records/{uuid.uuid4()}"
    missing = client.put(url)
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "body", "message": "Skal udfyldes."}]
    null = client.put(url, content=b"null", headers={"content-type": "application/json"})
    assert null.status_code == 422
    assert null.json()["errors"] == [{"field": "body", "message": "Skal være et objekt."}]
    token = client.headers.pop("X-CSRF-Token")
    refused = client.put(url)
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf")
    client.headers["X-CSRF-Token"] = token
    client.cookies.clear()
    assert client.put(url).status_code == 401


def test_the_busiest_pages_build_no_statement_per_request(client, db, world, monkeypatch) -> None:
    """ "I dag", the caseload, the child page and the child JSON run statements built once (with
    parameters): building an access rule's correlated subqueries and keying them for SQLAlchemy's
    cache cost more CPU than the database's answer. Each statement object of a second request is
    one the first request ran too."""
    from sqlalchemy.orm import Session as OrmSession

    _grow(client, db, world, 2)
    login(client, "hv-kollega")  # she sent the children's parents a form: "Sendt til forældre" lists it
    child = world["children"][0]
    ran: list[object] = []
    real_execute = OrmSession.execute

    def recording_execute(self, statement, *args, **kwargs):
        ran.append(statement)
        return real_execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(OrmSession, "execute", recording_execute)
    for url in ("/", "/children", f"/children/{child.id}", f"/api/children/{child.id}"):
        seen = []
        for _ in range(2):
            ran.clear()
            assert client.get(url).status_code == 200, url
            seen.append({id(statement) for statement in ran})
        assert seen[1] <= seen[0], (url, [str(s)[:120] for s in ran if id(s) not in seen[0]])
