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
#: sends its BEGIN outside these counts too). Before issue 21: 10, 9, 14, 12 and 13. "I dag"
#: reads one more since issue 15: what the caller sent to parents (with the guardians' and
#: children's names and the access rule, in that one statement).
LIMITS = {"today": 6, "caseload": 5, "child page": 8, "child json": 8, "record write": 9}


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

    from backend.people.models import RoleAssignment, User

    for user in db.exec(select(User).where(User.username.in_(["hv-maaling", "hv-kollega"]))):
        db.add(RoleAssignment(user_id=user.id, role="health_visitor", unit_id=unit.id))
    db.commit()
    client.headers["X-Opspor-Device"] = str(uuid.uuid4())
    return {"unit": unit, "hv": hv, "children": []}


def test_the_busiest_requests_use_few_queries_whatever_the_caseload(client, db, world) -> None:
    _grow(client, db, world, 3)
    small = _measure(client, world)
    _grow(client, db, world, 27)
    large = _measure(client, world)
    assert large == small
    for name, limit in LIMITS.items():
        assert small[name] <= limit, (name, small[name])
