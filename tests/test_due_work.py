"""The job that turns the calendar into tasks: ADBB screenings, rounds, transitions."""

from datetime import date, timedelta

from sqlmodel import select

from backend.db import new_session
from backend.domain.dates import add_months, age_in_months, today
from backend.people.models import Caseload, Child, Placement
from backend.records.models import EvaluationRound, Task
from backend.records.tasks import TITLES, task_title, task_url
from backend.reminders.due_work import materialise_due_work
from tests.support import (
    adbb_data,
    children_of_unit,
    login,
    moved_child,
    put_record,
    unit_named,
    user_named,
)

HV = "Sundhedsplejen Nord"
CM = "Dagplejen Syd"


def run_job(on: date | None = None):
    with new_session() as session:
        result = materialise_due_work(session, on or today())
        session.commit()
    return result


def open_tasks(db, kind: str) -> list[Task]:
    db.expire_all()
    return list(db.exec(select(Task).where(Task.kind == kind, Task.status == "open")).all())


def hv_child_aged(db, min_days: int, max_days: int) -> Child:
    for child in children_of_unit(db, HV):
        if min_days <= (today() - child.birth_date).days <= max_days:
            return child
    raise LookupError


def test_first_screening_task_in_the_window_goes_to_the_health_visitor(client, demo, db) -> None:
    run_job()
    child = hv_child_aged(db, 61, 70)
    task = db.exec(select(Task).where(Task.key == f"adbb_first_due:{child.id}")).one()
    assert task.kind == "adbb_first" and task.status == "open"
    assert task.assignee_id == user_named(db, "demo-sundhedsplejerske").id
    assert task.due_on == add_months(child.birth_date, 4)
    login(client, "demo-sundhedsplejerske")
    listed = {t["child_id"]: t for t in client.get("/api/tasks").json() if t["kind"] == "adbb_first"}
    assert listed[child.id]["title"] == "1. ADBB-screening"
    assert listed[child.id]["url"] == f"/forms/adbb?child={child.id}&occasion=first"


def test_children_outside_their_windows_get_no_screening_task(demo, db) -> None:
    run_job()
    tasks = {t.child_id: t.kind for t in db.exec(select(Task)).all()}
    for child in children_of_unit(db, HV):
        days = (today() - child.birth_date).days
        months = age_in_months(child.birth_date, today())
        if months < 2:
            assert child.id not in tasks, days
        elif months < 8:
            assert tasks[child.id] == "adbb_first", days
        else:
            assert tasks[child.id] == "adbb_second", days
    assert not {c.id for c in children_of_unit(db, CM)} & set(tasks)  # childminding: no ADBB


def test_the_job_is_idempotent(demo, db) -> None:
    first = run_job()
    second = run_job()
    assert first.created > 0
    assert (second.created, second.updated, second.done, second.cancelled) == (0, 0, 0, 0)
    keys = db.exec(select(Task.key)).all()
    assert len(keys) == len(set(keys)) == first.created


def test_saving_the_first_screening_closes_its_task_and_the_job_keeps_it_closed(client, demo, db) -> None:
    run_job()
    child = hv_child_aged(db, 61, 70)
    login(client, "demo-sundhedsplejerske")
    response = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 2, occasion="first"))
    assert response.status_code == 201
    task = db.exec(select(Task).where(Task.key == f"adbb_first_due:{child.id}")).one()
    db.refresh(task)
    assert task.status == "done"
    assert child.id not in [t["child_id"] for t in client.get("/api/tasks").json()]
    run_job()
    db.refresh(task)
    assert task.status == "done"
    assert len(db.exec(select(Task).where(Task.child_id == child.id)).all()) == 1


def test_the_job_closes_a_screening_task_whose_screening_exists(client, demo, db) -> None:
    run_job()
    child = hv_child_aged(db, 250, 260)  # about 8.3 months: second window
    task = db.exec(select(Task).where(Task.key == f"adbb_second_due:{child.id}")).one()
    login(client, "demo-sundhedsplejerske")
    put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 1, occasion="ad_hoc"))
    run_job()
    db.refresh(task)
    assert task.status == "open"  # an ad hoc screening is not the second screening
    put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 1, occasion="second"))
    db.refresh(task)
    assert task.status == "done"
    task.status = "open"  # as if saved before the write path closed tasks (older data)
    db.add(task)
    db.commit()
    assert run_job().done == 1
    db.refresh(task)
    assert task.status == "done"


def test_overdue_screenings_are_listed_first_under_overdue(client, demo, db) -> None:
    run_job()
    login(client, "demo-sundhedsplejerske")
    page = client.get("/tasks").text
    assert page.index("Forfaldne") < page.index("Senere")
    overdue = page[page.index("Forfaldne") : page.index("Senere")]
    assert "1. ADBB-screening" in overdue and "2. ADBB-screening" in overdue
    tasks = client.get("/api/tasks").json()
    assert [t["due_on"] for t in tasks] == sorted(t["due_on"] for t in tasks)


def test_a_child_who_leaves_health_visiting_has_the_task_cancelled(demo, db) -> None:
    run_job()
    child = hv_child_aged(db, 61, 70)
    placement = db.exec(select(Placement).where(Placement.child_id == child.id)).one()
    placement.ends_on = today()
    db.add(placement)
    db.commit()
    result = run_job()
    assert result.cancelled == 1
    task = db.exec(select(Task).where(Task.key == f"adbb_first_due:{child.id}")).one()
    assert task.status == "cancelled"


def _round(db, unit_name: str, opens: date, closes: date) -> EvaluationRound:
    round_ = EvaluationRound(
        unit_id=unit_named(db, unit_name).id,
        name="Efterår",
        opens_on=opens,
        closes_on=closes,
        created_by_id=user_named(db, "demo-leder").id,
    )
    db.add(round_)
    db.commit()
    return round_


def _individual(round_id: str, position: str = "thriving") -> dict:
    areas = {a: position for a in ("cognitive", "emotional", "social", "physical")}
    return {"round_id": round_id, "kind": "individual", "areas": areas, "overall": position}


def test_open_round_gives_each_childminder_a_task_closed_when_all_are_assessed(client, demo, db) -> None:
    round_ = _round(db, CM, today() - timedelta(days=3), today() + timedelta(days=30))
    run_job()
    childminder = user_named(db, "demo-dagplejer")
    mine = db.exec(select(Caseload.child_id).where(Caseload.user_id == childminder.id)).all()
    task = db.exec(select(Task).where(Task.key == f"round_assessment:{round_.id}:{childminder.id}")).one()
    assert (task.due_on, task.params["remaining"]) == (round_.closes_on, len(mine))
    assert task_title(task) == "Trivselsvurderinger: Efterår"
    assert len(open_tasks(db, "round_assessment")) == 2  # both childminders; not the supervisor
    login(client, "demo-dagplejer")
    for child_id in mine[:-1]:
        assert put_record(client, "wellbeing", child_id, _individual(round_.id)).status_code == 201
    run_job()
    db.refresh(task)
    assert (task.status, task.params["remaining"]) == ("open", 1)
    page = client.get(f"/tasks/{task.id}").text  # the task lists the children, linked to the form
    assert page.count("Vurderet") == len(mine) - 1 and page.count("Mangler din vurdering") == 1
    assert f"/forms/wellbeing?child={mine[-1]}&amp;round_id={round_.id}" in page
    from backend.audit import AuditEvent

    listed = db.exec(select(AuditEvent.child_id).where(AuditEvent.action == "child.list")).all()
    assert sorted(listed) == sorted(mine)  # the listed children are audited
    put_record(client, "wellbeing", mine[-1], _individual(round_.id))
    run_job()
    db.refresh(task)
    assert task.status == "done"


def test_a_round_not_yet_open_or_long_closed_makes_no_task(demo, db) -> None:
    _round(db, CM, today() + timedelta(days=1), today() + timedelta(days=30))
    _round(db, CM, today() - timedelta(days=120), today() - timedelta(days=57))
    run_job()
    assert open_tasks(db, "round_assessment") == []


def test_known_move_asks_for_the_transition_description_until_it_is_final(client, demo, db) -> None:
    child = hv_child_aged(db, 380, 400)
    starts = today() + timedelta(days=30)
    db.add(Placement(child_id=child.id, unit_id=unit_named(db, CM).id, starts_on=starts))
    db.commit()
    run_job()
    (task,) = open_tasks(db, "transition_description")
    assert (task.child_id, task.due_on) == (child.id, starts - timedelta(days=14))
    assert task.assignee_id == user_named(db, "demo-sundhedsplejerske").id
    assert task_url(task) == f"/forms/transition?child={child.id}"
    login(client, "demo-sundhedsplejerske")
    data = {"to_unit_id": unit_named(db, CM).id, "starts_on": starts.isoformat()}
    draft = put_record(client, "transition", child.id, data, status="draft").json()
    run_job()
    db.refresh(task)
    assert (task.status, task.record_id) == ("open", draft["id"])
    assert task_url(task) == f"/records/{draft['id']}/edit"
    put_record(client, "transition", child.id, data, base_version=1, record_id=draft["id"])
    run_job()
    db.refresh(task)
    assert task.status == "done"


def test_the_receiving_unit_evaluates_a_transition_three_months_after_the_start(demo, db) -> None:
    """A final transition without an evaluation task (saved before the record rule made one, or
    imported) gets one from the job once the 3–4 month window opens — not before."""
    from backend.records.models import Record

    child = hv_child_aged(db, 380, 400)
    starts = today() + timedelta(days=20)
    hv = user_named(db, "demo-sundhedsplejerske")
    data = {"to_unit_id": unit_named(db, CM).id, "starts_on": starts.isoformat()}
    transition = Record(
        id="00000000-0000-4000-8000-000000000002",
        type="transition",
        child_id=child.id,
        unit_id=unit_named(db, HV).id,
        author_id=hv.id,
        updated_by_id=hv.id,
        status="final",
        data=data,
    )
    db.add(transition)
    record = {"id": transition.id}
    placement = db.exec(select(Placement).where(Placement.child_id == child.id)).one()
    placement.ends_on = starts
    db.add(placement)
    db.add(Placement(child_id=child.id, unit_id=unit_named(db, CM).id, starts_on=starts))
    db.commit()
    run_job(add_months(starts, 3) - timedelta(days=1))
    assert open_tasks(db, "transition_evaluation") == []
    run_job(add_months(starts, 3))
    (task,) = open_tasks(db, "transition_evaluation")
    expected = (unit_named(db, CM).id, record["id"], add_months(starts, 4))
    assert (task.unit_id, task.record_id, task.due_on) == expected
    run_job(add_months(starts, 3) + timedelta(days=5))
    assert len(db.exec(select(Task).where(Task.kind == "transition_evaluation")).all()) == 1


def test_an_evaluation_task_made_by_a_record_rule_is_not_made_twice(demo, db) -> None:
    child = moved_child(db)
    from backend.records.models import Record

    record = Record(
        id="00000000-0000-4000-8000-000000000001",
        type="transition",
        child_id=child.id,
        unit_id=unit_named(db, HV).id,
        author_id=user_named(db, "demo-sundhedsplejerske").id,
        updated_by_id=user_named(db, "demo-sundhedsplejerske").id,
        status="final",
        data={"to_unit_id": unit_named(db, CM).id, "starts_on": (today() - timedelta(days=20)).isoformat()},
    )
    db.add(record)
    db.add(
        Task(
            key=f"evaluate:{record.id}",
            kind="transition_evaluation",
            unit_id=unit_named(db, CM).id,
            record_id=record.id,
            due_on=today(),
        )
    )
    db.commit()
    run_job(today() + timedelta(days=100))
    assert len(db.exec(select(Task).where(Task.kind == "transition_evaluation")).all()) == 1


def test_every_task_kind_has_a_danish_title_and_a_link() -> None:
    for kind in TITLES:
        task = Task(
            key=kind,
            kind=kind,
            unit_id="u",
            child_id="c",
            record_id="r",
            due_on=date(2026, 1, 1),
            params={},
        )
        assert task_title(task) != kind
        assert task_url(task).startswith("/") and "None" not in task_url(task)
    made_by_the_job = {"adbb_first", "adbb_second", "round_assessment", "transition_description"}
    assert made_by_the_job <= set(TITLES)
