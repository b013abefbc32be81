""" "I dag" and the caseload read as plain rows (issue 21): the lists they show — the caller's
open tasks, what they sent to parents, the coming forum meetings, the children — are read-only,
so no ORM object (identity map, instance state) is made for any row, no statement goes through
the ORM session's execution path, and the forum card costs one statement, not two. The pages
themselves stay as they were: bench/page_snapshots.py compares them, code version against code
version, for every demo login."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session

from backend.domain.dates import today
from backend.people.forum_models import ForumMember
from tests.forum_support import forum_world, shared_case
from tests.overview_support import add_task
from tests.parents_support import invited
from tests.support import login, unit_named, user_named
from tests.test_leader_overview import count_queries


@pytest.fixture
def busy(client, db, demo) -> None:
    """The pedagogue: a member of a forum whose meeting next week has two cases, with open tasks
    (one of them a well-being round's); the health visitor: two invitations sent to parents."""
    world = forum_world(db)
    unit = unit_named(db, "Børnehuset Solsikken")
    for child_id in world.children[:2]:
        shared_case(db, world.meeting_id, child_id, unit.id, world.leader_id)
    pedagogue = user_named(db, "demo-paedagog")
    db.add(ForumMember(forum_id=world.forum_id, user_id=pedagogue.id, role="internal"))
    db.commit()
    add_task(db, unit, "forum_action", -1, assignee=pedagogue)
    add_task(db, unit, "agreement", 2, assignee=pedagogue)
    round_task = add_task(db, unit, "round_assessment", 5, assignee=pedagogue)
    round_task.params = {"round_id": str(uuid.uuid4()), "what": "Efterårets runde"}
    db.add(round_task)
    db.commit()
    invited(client, db)
    invited(client, db, part="meeting_preparation")


#: What the request's context (`web/context.py`: the signed-in session) loads, not the page.
CONTEXT = {"WebSession", "User", "Device"}


@contextmanager
def orm_work():
    """The ORM objects loaded and the statements run through `Session.execute` meanwhile."""
    loaded: list[str] = []
    executed: list[str] = []

    def on_load(target, _context) -> None:
        loaded.append(type(target).__name__)

    real_execute = Session.execute

    def counting_execute(self, statement, *args, **kwargs):
        executed.append(" ".join(str(statement).split()))
        return real_execute(self, statement, *args, **kwargs)

    event.listen(Mapper, "load", on_load)
    Session.execute = counting_execute
    try:
        yield loaded, executed
    finally:
        Session.execute = real_execute
        event.remove(Mapper, "load", on_load)


@pytest.mark.parametrize("username", ["demo-paedagog", "demo-sundhedsplejerske"])
def test_i_dag_and_the_caseload_make_no_orm_object_and_run_nothing_through_the_orm(
    client, busy, username
) -> None:
    login(client, username)
    shown = {
        "demo-paedagog": (
            "Ressourceteam Solsikken",
            "Trivselsrunde: Efterårets runde",
            "Aftale fra dialogmøde",
        ),
        "demo-sundhedsplejerske": ("Sendt til forældre", "skemaer venter på forældrene"),
    }[username]
    client.get("/")  # the session's first request may do more (e.g. the device)
    for url in ("/", "/children"):
        with orm_work() as (loaded, executed):
            page = client.get(url)
        assert page.status_code == 200, page.text[:300]
        if url == "/":
            assert all(text in page.text for text in shown), [t for t in shown if t not in page.text]
        assert [name for name in loaded if name not in CONTEXT] == [], (url, loaded)
        assert [s for s in executed if "FROM web_session" not in s] == [], (url, executed)


def test_the_forum_card_is_read_in_one_statement_with_its_cases_count(client, db, busy) -> None:
    """Before: the coming meetings, then a second statement for the number of cases on them."""
    login(client, "demo-paedagog")
    client.get("/")
    with count_queries() as statements:
        page = client.get("/")
    card = page.text[page.text.index("Ressourceteam Solsikken") :]
    assert "2 sager på dagsordenen" in card[: card.index("</li>")]
    forum = [s for s in statements if "forum_case" in s or "forum_meeting" in s]
    assert len(forum) == 1, forum


def test_a_task_written_in_the_same_session_is_listed(client, db, busy) -> None:
    """`open_tasks_for` reads past the ORM, so it flushes what the session has not written yet
    first, as the ORM's own query did (a record page's next steps right after a save)."""
    from backend.auth.policy import load_scope
    from backend.db import new_session
    from backend.records.models import Task
    from backend.records.tasks import open_tasks_for

    with new_session() as session:
        pedagogue = user_named(session, "demo-paedagog")
        scope = load_scope(session, pedagogue)
        before = len(open_tasks_for(session, scope, today()))
        session.add(
            Task(
                key=f"test:{uuid.uuid4()}",
                kind="agreement",
                unit_id=unit_named(session, "Børnehuset Solsikken").id,
                assignee_id=pedagogue.id,
                due_on=today() + timedelta(days=1),
            )
        )
        views = open_tasks_for(session, scope, today())
        assert len(views) == before + 1
        assert {view.task.kind for view in views} >= {"agreement", "forum_action", "round_assessment"}
        session.rollback()


def test_the_caseload_reads_the_incoming_children_in_the_same_statement(client, db, demo_full) -> None:
    """The children in scope and those coming with a handed-over description (the demo hands one
    over to the pedagogue's unit): one statement, was two — and without a search only."""
    login(client, "demo-paedagog")
    client.get("/children")
    with count_queries() as statements:
        page = client.get("/children")
    assert "Kommende børn" in page.text and "overgangsbeskrivelse modtaget" in page.text
    children = [s for s in statements if "FROM child" in s or "FROM (SELECT child" in s]
    assert len(children) == 1 and "shared_with_unit_id" in children[0], children
    with count_queries() as statements:
        found = client.post("/children", data={"q": "a"})
    assert found.status_code == 200 and "Kommende børn" not in found.text
    assert not [s for s in statements if "shared_with_unit_id" in s]
