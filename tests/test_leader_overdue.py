"""The leader's view of overdue tasks in the unit: per person, leaders only, own units only."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from backend.audit import AuditEvent
from backend.db import new_session
from backend.domain.dates import today
from backend.records.models import Task
from backend.reminders.due_work import materialise_due_work
from tests.support import add_user, children_of_unit, login, unit_named, user_named

HV, CM = "Sundhedsplejen Nord", "Dagplejen Syd"


def make_tasks() -> None:
    with new_session() as session:
        materialise_due_work(session, today())
        session.commit()


def add_task(db, unit: str, due_days: int, username: str | None, child=None, kind: str = "agreement") -> Task:
    task = Task(
        key=f"test:{unit}:{due_days}:{username}:{kind}",
        kind=kind,
        unit_id=unit_named(db, unit).id,
        child_id=child.id if child else None,
        assignee_id=user_named(db, username).id if username else None,
        due_on=today() + timedelta(days=due_days),
        params={"what": f"Ring til mor ({unit})"},
    )
    db.add(task)
    db.commit()
    return task


def section(page: str, heading: str) -> str:
    start = page.index(heading)
    following = page.find("<h2", start + 1)
    return page[start : following if following > 0 else len(page)]


def test_the_leader_sees_overdue_tasks_per_person(client, demo, db) -> None:
    make_tasks()
    child = children_of_unit(db, CM)[0]
    add_task(db, CM, -3, "demo-dagplejer", child)
    add_task(db, CM, -1, None)
    add_task(db, CM, 2, "demo-dagplejer", child, kind="trial_action_follow_up")  # not overdue
    login(client, "demo-leder")
    page = client.get("/leader/overdue").text
    hv = section(page, HV)
    overdue_adbb = [
        t
        for t in db.exec(select(Task).where(Task.unit_id == unit_named(db, HV).id)).all()
        if t.due_on < today()
    ]
    assert overdue_adbb and f'Mette Lund <small class="muted">({len(overdue_adbb)})' in hv
    cm = section(page, CM)
    assert 'Karin Madsen <small class="muted">(1)' in cm
    assert 'Enhedens ledere <small class="muted">(1)' in cm
    assert child.name in cm
    assert "Følg op på prøvehandling" not in page
    assert "Ingen forfaldne opgaver." in section(page, "Børnehuset Solsikken")
    listed = db.exec(select(AuditEvent).where(AuditEvent.action == "task.overdue_list")).all()
    assert len(listed) == len(overdue_adbb) + 2  # every listed task


def test_a_leader_of_one_unit_sees_nothing_of_another(client, demo, db) -> None:
    make_tasks()
    add_user(db, "leder-syd", "leader", CM)
    add_task(db, CM, -2, "demo-dagplejer")
    login(client, "leder-syd")
    page = client.get("/leader/overdue").text
    assert CM in page and HV not in page and "ADBB" not in page
    assert client.get(f"/leader/overdue?unit={unit_named(db, HV).id}").status_code == 404
    assert client.get(f"/leader/overdue?unit={unit_named(db, CM).id}").status_code == 200


def test_only_leaders_have_the_view(client, demo, db) -> None:
    for username in ("demo-paedagog", "demo-sundhedsplejerske", "demo-admin"):
        login(client, username)
        assert client.get("/leader/overdue").status_code == 403
        assert "/leader/overdue" not in client.get("/me/reminders").text
        client.delete("/api/session")
    login(client, "demo-leder")
    assert "/leader/overdue" in client.get("/me/reminders").text


def test_closed_tasks_and_children_who_left_are_not_listed(client, demo, db) -> None:
    child = children_of_unit(db, CM)[0]
    done = add_task(db, CM, -5, "demo-dagplejer", child)
    done.status = "done"
    db.add(done)
    db.commit()
    from backend.people.models import Placement

    placement = db.exec(
        select(Placement).where(Placement.child_id == child.id, Placement.ends_on.is_(None))
    ).one()
    add_task(db, CM, -4, "demo-dagplejer", child, kind="trial_action_follow_up")
    placement.ends_on = today() - timedelta(days=1)
    db.add(placement)
    db.commit()
    login(client, "demo-leder")
    page = client.get("/leader/overdue").text
    assert re.search(r"Ingen forfaldne opgaver", section(page, CM))
    assert child.name not in page
