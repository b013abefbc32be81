"""Tasks follow the access policy (issue 12, M-2): a removed role takes the unit's tasks with it,
and the work left behind goes to the unit's leaders, who can hand it on."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlmodel import select

from backend.auth.oidc import Identity
from backend.auth.provisioning import NoAccess, provision
from backend.config import get_settings
from backend.db import new_session
from backend.domain.dates import COPENHAGEN, today
from backend.people.models import RoleAssignment
from backend.records.models import Task
from backend.reminders.models import PushSubscription, ReminderDelivery
from backend.reminders.planner import plan_reminders
from tests.admin_support import events, new_client
from tests.support import add_user, unit_named, user_named

PEDAGOGUE = "demo-paedagog"
TUESDAY = date(2026, 11, 24)
INST = "Børnehuset Solsikken"


def _open_tasks_of(db, username: str) -> list[Task]:
    db.expire_all()
    user = user_named(db, username)
    query = select(Task).where(Task.assignee_id == user.id, Task.status == "open")
    return list(db.exec(query.order_by(Task.due_on)))


def _role(db, username: str, unit: str) -> RoleAssignment:
    user = user_named(db, username)
    query = select(RoleAssignment).where(
        RoleAssignment.user_id == user.id, RoleAssignment.unit_id == unit_named(db, unit).id
    )
    return db.exec(query).one()


def _csrf(client) -> str:
    return client.headers["X-CSRF-Token"]


def test_an_ex_member_sees_none_of_the_units_tasks_and_the_leader_gets_them(app, demo_full, db) -> None:
    pedagogue = new_client(app, PEDAGOGUE)
    tasks = _open_tasks_of(db, PEDAGOGUE)
    agreement = next(t for t in tasks if t.kind == "agreement")
    round_task = next(t for t in tasks if t.kind == "round_assessment")
    child_name = next(v["title"] for v in pedagogue.get("/api/tasks").json() if v["id"] == agreement.id)
    assert agreement.id in {t["id"] for t in pedagogue.get("/api/tasks").json()}  # before: theirs
    round_page = pedagogue.get(f"/tasks/{round_task.id}")
    assert round_page.status_code == 200 and "Børn i runden" in round_page.text

    # The admin moves the pedagogue: a role in the childminding unit, none in the kindergarten.
    admin = new_client(app, "demo-admin")
    user = user_named(db, PEDAGOGUE)
    moved = admin.post(
        f"/admin/users/{user.id}/roles",
        data={"role": "childminder", "unit_id": unit_named(db, "Dagplejen Syd").id},
    )
    assert moved.status_code == 303
    removed = admin.post(f"/admin/users/{user.id}/roles/{_role(db, PEDAGOGUE, INST).id}/delete")
    assert removed.status_code == 303

    # The ex-member sees none of them, anywhere, and cannot close them.
    assert _open_tasks_of(db, PEDAGOGUE) == []
    listed = {t["id"] for t in pedagogue.get("/api/tasks").json()}
    assert not listed & {t.id for t in tasks}
    tasks_page = pedagogue.get("/tasks").text
    today_page = pedagogue.get("/").text
    for text in (tasks_page, today_page):
        assert agreement.params["what"] not in text and "Efterår 2026" not in text
    for task in (agreement, round_task):
        assert pedagogue.get(f"/tasks/{task.id}").status_code == 404
    closed = pedagogue.post(f"/tasks/{agreement.id}/done", data={"note": "x", "csrf_token": _csrf(pedagogue)})
    assert closed.status_code == 404
    db.expire_all()
    assert db.get(Task, agreement.id).status == "open"

    # The work stays with the unit: the leader sees it, with what it is about.
    db.expire_all()
    released = [db.get(Task, t.id) for t in tasks]
    assert all(t.assignee_id is None and t.status == "open" for t in released)
    leader = new_client(app, "demo-leder")
    leaders_tasks = {t["id"]: t for t in leader.get("/api/tasks").json()}
    assert agreement.id in leaders_tasks and leaders_tasks[agreement.id]["title"] == child_name
    assert leader.get(f"/tasks/{agreement.id}").status_code == 200
    # A round task follows the caseload: the leader hands it on there, not on the task page.
    round_page = leader.get(f"/tasks/{round_task.id}")
    assert round_page.status_code == 200 and "Giv videre" not in round_page.text
    refused = leader.post(
        f"/tasks/{round_task.id}/assign", data={"assignee": user_named(db, "demo-leder").id}
    )
    assert refused.status_code == 422 and "Opgaven følger barnets ansvarlige fagperson." in refused.text
    assert {e.object_id for e in events(db, "task.reassigned")} == {t.id for t in tasks}


def test_the_leader_hands_a_released_task_on_to_someone_in_the_unit(app, demo_full, db) -> None:
    newcomer = add_user(db, "ny-paedagog", "pedagogue", INST)
    outsider = user_named(db, "demo-sundhedsplejerske")
    agreement = next(t for t in _open_tasks_of(db, PEDAGOGUE) if t.kind == "agreement")
    admin = new_client(app, "demo-admin")
    user = user_named(db, PEDAGOGUE)
    assert (
        admin.post(f"/admin/users/{user.id}/roles/{_role(db, PEDAGOGUE, INST).id}/delete").status_code == 303
    )

    leader = new_client(app, "demo-leder")
    page = leader.get(f"/tasks/{agreement.id}").text
    assert f'<option value="{newcomer.id}">' in page and f'value="{outsider.id}"' not in page
    assert f'value="{user.id}"' not in page  # no longer in the unit
    refused = leader.post(
        f"/tasks/{agreement.id}/assign", data={"assignee": outsider.id, "csrf_token": _csrf(leader)}
    )
    assert refused.status_code == 422 and "Vælg en medarbejder i enheden." in refused.text
    handed = leader.post(
        f"/tasks/{agreement.id}/assign", data={"assignee": newcomer.id, "csrf_token": _csrf(leader)}
    )
    assert handed.status_code == 303
    assert agreement.id not in {t["id"] for t in leader.get("/api/tasks").json()}
    colleague = new_client(app, "ny-paedagog")
    assert agreement.id in {t["id"] for t in colleague.get("/api/tasks").json()}
    assert (
        colleague.post(
            f"/tasks/{agreement.id}/done", data={"note": "Aftalt", "csrf_token": _csrf(colleague)}
        ).status_code
        == 303
    )
    [event] = events(db, "task.handed_on")
    assert event.object_id == agreement.id and event.detail["to_user"] == newcomer.id


def test_only_the_units_leader_hands_tasks_on(app, demo_full, db) -> None:
    agreement = next(t for t in _open_tasks_of(db, PEDAGOGUE) if t.kind == "agreement")
    pedagogue = new_client(app, PEDAGOGUE)
    assert "Giv videre" not in pedagogue.get(f"/tasks/{agreement.id}").text
    me = user_named(db, PEDAGOGUE).id
    answer = pedagogue.post(
        f"/tasks/{agreement.id}/assign", data={"assignee": me, "csrf_token": _csrf(pedagogue)}
    )
    assert answer.status_code == 404
    leader = new_client(app, "demo-leder")
    # Assigned to the pedagogue, the task is not the leader's to see on the task page.
    assert leader.get(f"/tasks/{agreement.id}").status_code == 404


def test_a_task_in_a_unit_the_assignee_does_not_work_in_is_neither_listed_nor_counted(app, demo, db) -> None:
    """The mechanism, whatever put the task there: the policy asks for a role in the task's unit."""
    user = user_named(db, PEDAGOGUE)
    stray = Task(
        key="test:stray",
        kind="agreement",
        unit_id=unit_named(db, "Sundhedsplejen Nord").id,
        assignee_id=user.id,
        due_on=TUESDAY - timedelta(days=1),
        params={"what": "Fremmed aftale"},
    )
    db.add(stray)
    db.add(
        PushSubscription(
            user_id=user.id,
            endpoint="http://127.0.0.1:9/p",
            endpoint_hash="p".ljust(64, "0"),
            p256dh="x",
            auth="y",
        )
    )
    db.commit()
    pedagogue = new_client(app, PEDAGOGUE)
    assert stray.id not in {t["id"] for t in pedagogue.get("/api/tasks").json()}
    assert "Fremmed aftale" not in pedagogue.get("/").text
    assert pedagogue.get(f"/tasks/{stray.id}").status_code == 404

    with new_session() as session:
        plan_reminders(session, datetime(2026, 11, 24, 9, 0, tzinfo=COPENHAGEN))  # a Tuesday, 09:00
        session.commit()
    db.expire_all()
    [digest] = db.exec(select(ReminderDelivery).where(ReminderDelivery.user_id == user.id)).all()
    assert (digest.key, digest.status, digest.body) == ("digest:2026-11-24", "empty", "")


def test_a_role_removed_at_the_provider_leaves_the_tasks_to_the_units_leaders(app, demo, db) -> None:
    units = {"inst": unit_named(db, INST).id, "cm": unit_named(db, "Dagplejen Syd").id}
    role_map = {
        "inst": [{"role": "pedagogue", "unit_id": units["inst"]}],
        "cm": [{"role": "childminder", "unit_id": units["cm"]}],
    }
    settings = get_settings().model_copy(
        update={"oidc_role_map": role_map, "oidc_issuer": "https://idp.example"}
    )

    def identity(groups: list[str]) -> Identity:
        return Identity(
            issuer="https://idp.example",
            subject="sso-1",
            claims={"sub": "sso-1", "groups": groups},
            id_token="x",
        )

    user = provision(db, settings, identity(["inst", "cm"])).user
    db.commit()

    def task(key: str, unit: str) -> Task:
        made = Task(key=key, kind="agreement", unit_id=units[unit], assignee_id=user.id, due_on=today())
        db.add(made)
        return made

    in_inst, in_cm = task("sso:inst", "inst"), task("sso:cm", "cm")
    db.commit()
    result = provision(db, settings, identity(["cm"]))
    db.commit()
    db.refresh(in_inst)
    db.refresh(in_cm)
    assert result.released == [in_inst.id]
    assert in_inst.assignee_id is None and in_cm.assignee_id == user.id

    try:
        provision(db, settings, identity([]))
    except NoAccess as denied:
        assert denied.released == [in_cm.id]
    else:
        raise AssertionError("no group left should give no access")
    db.commit()
    db.refresh(in_cm)
    assert in_cm.assignee_id is None


def test_deactivating_an_account_leaves_its_tasks_to_the_leaders(app, demo_full, db) -> None:
    tasks = _open_tasks_of(db, PEDAGOGUE)
    assert tasks
    admin = new_client(app, "demo-admin")
    assert admin.post(f"/admin/users/{user_named(db, PEDAGOGUE).id}/deactivate").status_code == 303
    assert _open_tasks_of(db, PEDAGOGUE) == []
    leader = new_client(app, "demo-leder")
    listed = {t["id"] for t in leader.get("/api/tasks").json()}
    assert {t.id for t in tasks if t.kind != "round_assessment"} <= listed
    assert re.search("Aftale fra dialogmøde", leader.get("/tasks").text)


def test_the_reminder_planner_counts_exactly_the_tasks_each_person_may_see(app, demo_full, db) -> None:
    """The push digests read the tasks in bulk, with the same rule as the task list."""
    from backend.auth.policy import load_scope
    from backend.records.tasks import open_tasks_for
    from backend.reminders.planner import _user_plans

    tasks = _open_tasks_of(db, PEDAGOGUE)
    admin = new_client(app, "demo-admin")
    user = user_named(db, PEDAGOGUE)
    assert (
        admin.post(f"/admin/users/{user.id}/roles/{_role(db, PEDAGOGUE, INST).id}/delete").status_code == 303
    )
    db.expire_all()
    people = [
        user_named(db, name) for name in ("demo-leder", PEDAGOGUE, "demo-dagplejepaedagog", "demo-dagplejer")
    ]
    plans = {
        plan.user.username: {t.id for t in plan.tasks}
        for plan in _user_plans(db, user.municipality_id, people, today())
    }
    for person in people:
        listed = {v.task.id for v in open_tasks_for(db, load_scope(db, person), today(), limit=10_000)}
        assert plans[person.username] == listed, person.username
    assert plans[PEDAGOGUE] == set()
    assert {t.id for t in tasks} <= plans["demo-leder"]
