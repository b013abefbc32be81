"""The professional's side of parent invitations (issue 15): on the child's page and in "I dag",
what was sent to whom, what came back and what is still waiting; a task for the inviting
professional when a parent has not answered within a week (the due-work job, fixed clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from sqlmodel import select

from backend.audit import AuditEvent
from backend.db import new_session
from backend.domain.dates import today
from backend.records.models import Task
from backend.records.tasks import task_title, task_url
from backend.reminders.due_work import materialise_due_work
from tests.parents_support import csrf_of, hv_child, invited, link_path, signed_in_parent
from tests.support import login, user_named

KIND = "parent_answer_waiting"


def run_job(on: date) -> None:
    with new_session() as session:
        materialise_due_work(session, on)
        session.commit()


def follow_ups(db, invitation_id: str) -> list[Task]:
    db.expire_all()
    return list(db.exec(select(Task).where(Task.key == f"{KIND}:{invitation_id}")))


def test_a_week_without_an_answer_makes_one_task_for_the_inviting_professional(client, demo, db) -> None:
    record, invitation, guardian = invited(client, db)
    run_job(today() + timedelta(days=6))
    assert follow_ups(db, invitation["id"]) == []
    run_job(today() + timedelta(days=7))
    run_job(today() + timedelta(days=8))  # idempotent
    [task] = follow_ups(db, invitation["id"])
    assert task.kind == KIND and task.status == "open" and task.parent_facing
    assert task.assignee_id == user_named(db, "demo-sundhedsplejerske").id
    assert task.due_on == today() + timedelta(days=7)
    assert task.child_id == hv_child(db).id and task.record_id == record["id"]
    assert task_title(task) == f"Forældrene har ikke svaret på invitationen: {guardian.name}"
    assert task_url(task) == f"/records/{record['id']}/parents"
    listed = [t for t in client.get("/api/tasks").json() if t["kind"] == KIND]
    assert [t["record_id"] for t in listed] == [record["id"]]


def test_the_task_closes_when_the_parent_answers(client, app, demo, db) -> None:
    _record, invitation, _guardian = invited(client, db)
    run_job(today() + timedelta(days=7))
    parent, page = signed_in_parent(app, invitation)
    sent = parent.post(
        link_path(invitation), data={"about_child": "Glad dreng", "csrf_token": csrf_of(page.text)}
    )
    assert sent.status_code == 200
    [task] = follow_ups(db, invitation["id"])
    assert task.status == "done"
    run_job(today() + timedelta(days=8))
    assert [t.status for t in follow_ups(db, invitation["id"])] == ["done"]


def test_the_task_is_cancelled_when_the_link_is_revoked_or_expires(client, demo, db) -> None:
    _record, revoked, _guardian = invited(client, db)
    _record, expiring, _guardian = invited(client, db)
    run_job(today() + timedelta(days=7))
    assert client.delete(f"/api/parent-invitations/{revoked['id']}").status_code == 204
    assert [t.status for t in follow_ups(db, revoked["id"])] == ["cancelled"]
    assert [t.status for t in follow_ups(db, expiring["id"])] == ["open"]
    run_job(today() + timedelta(days=15))  # the link lives 14 days
    assert [t.status for t in follow_ups(db, expiring["id"])] == ["cancelled"]


def _page_on(client, day: date, path: str) -> str:
    """The page as the health visitor sees it on `day` (signed in again then: a session does not
    last a week), and signed in again today afterwards."""
    with time_machine.travel(datetime.combine(day, time(10), tzinfo=UTC), tick=False):
        login(client, "demo-sundhedsplejerske")
        html = client.get(path).text
    login(client, "demo-sundhedsplejerske")
    return html


def test_the_childs_page_shows_what_was_sent_to_whom_and_what_came_back(client, app, demo, db) -> None:
    child = hv_child(db)
    _record, answered, mother = invited(client, db, child)
    _record, waiting, _ = invited(client, db, child, part="meeting_preparation")
    parent, page = signed_in_parent(app, answered)
    parent.post(link_path(answered), data={"about_child": "Glad dreng", "csrf_token": csrf_of(page.text)})
    html = client.get(f"/children/{child.id}").text
    section = html.split('id="child-parents-heading"')[1].split("</section>")[0]
    assert "Sendt til forældrene" in html
    assert "Forældrenes del af overgangsbeskrivelsen" in section and "svar modtaget" in section
    assert "Forberedelse til dialogmødet" in section and "Venter på svar" in section
    assert section.count(mother.name) == 2 and "over en uge" not in section
    reads = db.exec(select(AuditEvent).where(AuditEvent.action == "parent_invitation.read")).all()
    assert {e.object_id for e in reads} >= {answered["id"], waiting["id"]}
    later = _page_on(client, today() + timedelta(days=8), f"/children/{child.id}")
    assert "over en uge" in later.split('id="child-parents-heading"')[1].split("</section>")[0]


def test_i_dag_lists_what_i_sent_that_waits_and_what_came_back(client, app, demo, db) -> None:
    child = hv_child(db)
    _record, invitation, guardian = invited(client, db, child)
    page = client.get("/").text
    section = page.split('id="parents-heading"')[1].split("</section>")[0]
    assert guardian.name in section and child.name in section and "Venter på svar" in section
    assert (
        "over en uge" in _page_on(client, today() + timedelta(days=8), "/").split('id="parents-heading"')[1]
    )
    parent, form = signed_in_parent(app, invitation)
    parent.post(link_path(invitation), data={"about_child": "Glad dreng", "csrf_token": csrf_of(form.text)})
    assert "svar modtaget" in client.get("/").text.split('id="parents-heading"')[1]
    # Answered more than a week ago: off the list.
    assert 'id="parents-heading"' not in _page_on(client, today() + timedelta(days=9), "/")
    # Someone else's "I dag" does not show it.
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    login(client, "demo-paedagog")
    assert guardian.name not in client.get("/").text
