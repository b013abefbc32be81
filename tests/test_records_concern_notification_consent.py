"""Concern notes and the abuse path, the notification log, consent records, and text as typed."""

import uuid
from datetime import timedelta

from sqlmodel import select

from backend.domain.dates import today
from backend.records.models import Task
from backend.records.tasks import ensure_task
from tests.support import add_user, child_aged, children_of_unit, login, put_record, user_named


def _note(text: str = "Barnet virkede bange ved afhentning", abuse_path: bool = False) -> dict:
    return {"observed_on": today().isoformat(), "text": text, "abuse_path": abuse_path}


def test_abuse_path_note_is_seen_by_its_author_and_the_leader_only(client, demo, db) -> None:
    add_user(db, "kollega-sundhedsplejerske", "health_visitor", "Sundhedsplejen Nord")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    note = put_record(client, "concern_note", child.id, _note(abuse_path=True)).json()
    ordinary = put_record(client, "concern_note", child.id, _note("Træt")).json()
    assert client.get(f"/api/records/{note['id']}").status_code == 200

    login(client, "kollega-sundhedsplejerske")
    assert client.get(f"/api/records/{note['id']}").status_code == 404
    ids = {r["id"] for r in client.get(f"/api/children/{child.id}").json()["records"]}
    assert ids == {ordinary["id"]}
    assert "virkede bange" not in client.get(f"/children/{child.id}").text

    login(client, "demo-leder")
    assert client.get(f"/api/records/{note['id']}").status_code == 200
    tasks = client.get("/api/tasks").json()
    assert [t["kind"] for t in tasks] == ["abuse_path_review"]


def test_abuse_path_holds_parent_facing_tasks_until_the_leader_releases_them(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    health_visitor = user_named(db, "demo-sundhedsplejerske")
    meeting = ensure_task(
        db,
        key=f"dialogue_meeting:test:{child.id}",
        kind="dialogue_meeting",
        unit_id=_unit(db),
        child_id=child.id,
        assignee_id=health_visitor.id,
        due_on=today(),
    )
    db.commit()
    login(client, "demo-sundhedsplejerske")
    assert [t["kind"] for t in client.get("/api/tasks").json()] == ["dialogue_meeting"]
    put_record(client, "concern_note", child.id, _note(abuse_path=True))
    assert client.get("/api/tasks").json() == []  # held: not shown, not pushed
    db.refresh(meeting)
    assert meeting.status == "held"

    login(client, "demo-leder")
    review = client.get("/api/tasks").json()[0]
    assert client.post(f"/tasks/{review['id']}/done", data={"note": "Vurderet"}).status_code == 303
    db.refresh(meeting)
    assert meeting.status == "open"
    login(client, "demo-sundhedsplejerske")
    assert [t["kind"] for t in client.get("/api/tasks").json()] == ["dialogue_meeting"]


def _unit(db) -> str:
    from tests.support import unit_named

    return unit_named(db, "Sundhedsplejen Nord").id


def test_a_parent_facing_task_created_during_an_open_abuse_path_starts_held(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    put_record(client, "concern_note", child.id, _note(abuse_path=True))
    task = ensure_task(
        db,
        key="dialogue_meeting:later",
        kind="dialogue_meeting",
        unit_id=_unit(db),
        child_id=child.id,
        due_on=today(),
    )
    assert task.status == "held"


def test_only_the_leader_takes_a_note_off_the_abuse_path(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    record_id = str(uuid.uuid4())
    put_record(client, "concern_note", child.id, _note(abuse_path=True), record_id=record_id)
    response = put_record(
        client, "concern_note", child.id, _note(abuse_path=False), record_id=record_id, base_version=1
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.abuse_path"


def test_missing_notification_receipt_becomes_a_task_after_six_working_days(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    sent_on = today() - timedelta(days=3)
    record_id = str(uuid.uuid4())
    created = put_record(
        client,
        "notification",
        child.id,
        {
            "sent_on": sent_on.isoformat(),
            "authority": "Børn og Familie",
            "summary": "Underretning om omsorgssvigt",
        },
        record_id=record_id,
    ).json()
    from backend.domain.notification import receipt_due_on

    assert created["derived"]["receipt_due_on"] == receipt_due_on(sent_on).isoformat()
    task = db.exec(select(Task).where(Task.kind == "notification_receipt")).one()
    assert task.due_on == receipt_due_on(sent_on) + timedelta(days=1)
    put_record(
        client,
        "notification",
        child.id,
        {
            "sent_on": sent_on.isoformat(),
            "authority": "Børn og Familie",
            "summary": "Underretning om omsorgssvigt",
            "receipt_on": today().isoformat(),
        },
        record_id=record_id,
        base_version=1,
    )
    db.refresh(task)
    assert task.status == "done"


def test_receipt_before_sending_is_refused(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    response = put_record(
        client,
        "notification",
        child.id,
        {
            "sent_on": today().isoformat(),
            "authority": "X",
            "summary": "Y",
            "receipt_on": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.receipt_on"


def test_consent_must_come_from_one_of_the_childs_guardians(client, demo, db) -> None:
    from backend.people.models import Guardian

    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    other = next(c for c in children_of_unit(db, "Sundhedsplejen Nord") if c.id != child.id)
    strangers_guardian = db.exec(select(Guardian).where(Guardian.child_id == other.id)).first()
    own_guardian = db.exec(select(Guardian).where(Guardian.child_id == child.id)).first()
    login(client, "demo-sundhedsplejerske")
    consent = {
        "kind": "collegial_dialogue",
        "scope": str(uuid.uuid4()),
        "state": "given",
        "decided_at": f"{today().isoformat()}T10:00:00",
        "evidence": {"typed_name": "Mor"},
    }
    refused = put_record(client, "consent", child.id, {**consent, "guardian": strangers_guardian.id})
    assert refused.status_code == 422
    assert "forældre eller værger" in refused.json()["errors"][0]["message"]
    no_evidence = put_record(
        client, "consent", child.id, {**consent, "guardian": own_guardian.id, "evidence": {}}
    )
    assert no_evidence.status_code == 422
    ok = put_record(client, "consent", child.id, {**consent, "guardian": own_guardian.id})
    assert ok.status_code == 201


def test_text_is_stored_and_shown_exactly_as_typed(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    typed = "<script>alert('x')</script> Ærø & Ålborg 😀\nlinje 2 \"citat\""
    record = put_record(client, "concern_note", child.id, _note(typed)).json()
    assert record["data"]["text"] == typed
    page = client.get(f"/records/{record['id']}").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Ærø &amp; Ålborg 😀" in page


def test_control_characters_are_dropped_and_huge_text_refused(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    cleaned = put_record(client, "concern_note", child.id, _note("før\x00efter\x07")).json()
    assert cleaned["data"]["text"] == "førefter"
    huge = put_record(client, "concern_note", child.id, _note("æ" * 100_000))
    assert huge.status_code == 422
    assert huge.json()["errors"][0]["message"] == "Teksten er for lang (højst 20.000 tegn)."
