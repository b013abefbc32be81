"""Dialogue meetings (domain §4.3) through the JSON contract and the HTML form: consent when
outsiders take part, agreements and the next meeting as tasks, impossible dates refused."""

import re
import uuid
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from backend.audit import AuditEvent
from backend.db import utcnow
from backend.domain.dates import today
from backend.records.models import KeptWrite, Record, RecordVersion, Task
from backend.records.tasks import ensure_task
from tests.meetings_helpers import INSTITUTION, day, give_consent, meeting, with_external
from tests.support import children_of_unit, login, put_record, unit_named, user_named


def _child(db):
    return children_of_unit(db, INSTITUTION)[-1]


def _tasks(db, kind: str) -> list[Task]:
    db.expire_all()
    return list(db.exec(select(Task).where(Task.kind == kind).order_by(Task.due_on)))


def test_create_replay_and_versions(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    record_id = str(uuid.uuid4())
    created = put_record(client, "dialogue_meeting", child.id, meeting(), record_id=record_id)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["type"] == "dialogue_meeting" and body["version"] == 1 and body["status"] == "final"
    assert body["derived"] == {"consent_required": False, "consent_given": False, "open_agreements": 2}
    keys = [a["key"] for a in body["data"]["agreements"]]
    assert all(re.fullmatch(r"[0-9a-f]{12}", k) for k in keys) and len(set(keys)) == 2

    replay = put_record(client, "dialogue_meeting", child.id, meeting(), record_id=record_id)
    assert replay.status_code == 200 and replay.json()["version"] == 1
    assert db.exec(select(func.count()).select_from(Record)).one() == 1
    assert db.exec(select(func.count()).select_from(RecordVersion)).one() == 1
    assert len(_tasks(db, "agreement")) == 2

    corrected = put_record(
        client,
        "dialogue_meeting",
        child.id,
        meeting(best_today="At alle kom"),
        record_id=record_id,
        base_version=1,
    )
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    assert [a["key"] for a in corrected.json()["data"]["agreements"]] == keys  # rows keep their keys
    versions = client.get(f"/api/records/{record_id}").json()["versions"]
    assert [(v["version"], v["data"]["best_today"]) for v in versions] == [
        (2, "At alle kom"),
        (1, "Latteren"),
    ]
    assert len(_tasks(db, "agreement")) == 2

    actions = [
        e.action
        for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == record_id).order_by(AuditEvent.id))
    ]
    assert actions[:1] == ["record.create"] and "record.update" in actions and "record.read" in actions


def test_stale_write_is_a_conflict_copy(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    record_id = str(uuid.uuid4())
    put_record(client, "dialogue_meeting", child.id, meeting(), status="draft", record_id=record_id)
    put_record(
        client,
        "dialogue_meeting",
        child.id,
        meeting(chair="Jonas"),
        status="draft",
        record_id=record_id,
        base_version=1,
    )
    stale = put_record(
        client, "dialogue_meeting", child.id, meeting(chair="Lise"), record_id=record_id, base_version=1
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["data"]["chair"] == "Jonas"
    kept = db.exec(select(KeptWrite)).one()
    assert kept.reason == "conflict" and kept.body["data"]["chair"] == "Lise"
    assert _tasks(db, "agreement") == []  # neither the drafts nor the refused write made tasks


def test_invalid_meetings_get_danish_field_errors(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    data = meeting(
        held_on=day(3),
        next_on="2090-05-01",
        participants=[{"name": "", "role": "aunt"}],
        agreements=[{"what": "Noget", "due_on": "2090-01-01"}],
    )
    response = put_record(client, "dialogue_meeting", child.id, data)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"data.participants.0.role"}  # the shape is checked before the rules

    response = put_record(
        client,
        "dialogue_meeting",
        child.id,
        meeting(
            held_on=day(3),
            next_on="2090-05-01",
            participants=[{"organisation": "PPR"}],
            agreements=[{"what": "Noget", "due_on": "2090-01-01"}, {"what": " "}],
        ),
    )
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["data.held_on"] == "Datoen ligger i fremtiden."
    assert errors["data.next_on"] == "Datoen ligger for langt ude i fremtiden."
    assert errors["data.agreements.0.due_on"] == "Datoen ligger for langt ude i fremtiden."
    assert errors["data.agreements.0.who"] == "Skriv, hvem der er tovholder."
    assert errors["data.agreements.1.what"] == "Skriv, hvad der er aftalt."
    assert errors["data.participants.0.name"] == "Skriv deltagerens navn."
    assert "data.participants.0.role" in errors
    missing = put_record(client, "dialogue_meeting", child.id, {"going_well": "x"})
    fields = {e["field"] for e in missing.json()["errors"]}
    assert {"data.held_on", "data.purpose"} <= fields
    before = put_record(client, "dialogue_meeting", child.id, meeting(held_on="1999-12-31"))
    assert before.json()["errors"][0]["field"] == "data.held_on"
    order = put_record(client, "dialogue_meeting", child.id, meeting(next_on=day(-1), held_on=day(-1)))
    assert order.json()["errors"][0] == {
        "field": "data.next_on",
        "message": "Næste møde skal ligge efter dette møde.",
    }
    assert db.exec(select(func.count()).select_from(Record)).one() == 0


def test_a_draft_in_preparation_may_be_incomplete(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    prepared = {"planned_on": day(10), "purpose": "Søvn", "participants": [{"name": "Mor"}]}
    response = put_record(client, "dialogue_meeting", child.id, prepared, status="draft")
    assert response.status_code == 201
    assert (
        put_record(
            client, "dialogue_meeting", child.id, {"planned_on": "2090-01-01"}, status="draft"
        ).status_code
        == 422
    )


def test_outsiders_need_the_parents_consent_before_the_minutes_are_final(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    record_id = str(uuid.uuid4())
    data = with_external(meeting())
    refused = put_record(client, "dialogue_meeting", child.id, data, record_id=record_id)
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "data.consent_id"
    assert "samtykke" in error["message"]
    assert error["href"] == f"/forms/consent?child={child.id}&kind=meeting&scope={record_id}"
    assert db.exec(select(func.count()).select_from(Record)).one() == 0

    # The draft may be saved; consent for another meeting does not count.
    assert (
        put_record(
            client, "dialogue_meeting", child.id, data, status="draft", record_id=record_id
        ).status_code
        == 201
    )
    give_consent(client, db, child, "meeting", str(uuid.uuid4()))
    still = put_record(client, "dialogue_meeting", child.id, data, record_id=record_id, base_version=1)
    assert still.status_code == 422

    consent = give_consent(client, db, child, "meeting", record_id).json()
    final = put_record(
        client,
        "dialogue_meeting",
        child.id,
        {**data, "consent_id": consent["id"]},
        record_id=record_id,
        base_version=1,
    )
    assert final.status_code == 200, final.text
    assert final.json()["derived"]["consent_required"] is True
    assert final.json()["derived"]["consent_given"] is True


def test_withdrawn_consent_stops_a_later_correction(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    record_id = str(uuid.uuid4())
    give_consent(client, db, child, "meeting", record_id, at="08:00:00")
    data = with_external(meeting())
    assert put_record(client, "dialogue_meeting", child.id, data, record_id=record_id).status_code == 201
    give_consent(client, db, child, "meeting", record_id, state="withdrawn", at="09:00:00")
    again = put_record(
        client, "dialogue_meeting", child.id, data | {"chair": "X"}, record_id=record_id, base_version=1
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "data.consent_id"


def test_a_consent_id_must_name_this_meetings_consent(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    other = give_consent(client, db, child, "meeting", str(uuid.uuid4())).json()
    response = put_record(client, "dialogue_meeting", child.id, meeting(consent_id=other["id"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.consent_id"


def test_out_of_scope_children_and_meetings_answer_404(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    created = put_record(client, "dialogue_meeting", child.id, meeting()).json()
    login(client, "demo-dagplejepaedagog")
    assert put_record(client, "dialogue_meeting", child.id, meeting()).status_code == 404
    assert client.get(f"/api/records/{created['id']}").status_code == 404
    assert client.get(f"/records/{created['id']}").status_code == 404
    assert client.get(f"/forms/dialogue_meeting?child={child.id}").status_code == 404
    assert (
        put_record(
            client, "dialogue_meeting", child.id, meeting(), record_id=created["id"], base_version=1
        ).status_code
        == 404
    )


def test_agreements_become_tasks_for_the_author_until_done_or_removed(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    author = user_named(db, "demo-paedagog")
    record_id = str(uuid.uuid4())
    body = put_record(
        client, "dialogue_meeting", child.id, meeting(next_on=day(42)), record_id=record_id
    ).json()
    agreements = _tasks(db, "agreement")
    assert [(t.due_on.isoformat(), t.assignee_id, t.status) for t in agreements] == [
        (day(7), author.id, "open"),
        (day(14), author.id, "open"),
    ]
    assert {t.key for t in agreements} == {
        f"agreement:{record_id}:{a['key']}" for a in body["data"]["agreements"]
    }
    titles = [t["title"] for t in client.get("/api/tasks").json() if t["kind"] == "agreement"]
    assert titles == [
        "Aftale fra dialogmøde: Jonas tager imod om morgenen",
        "Aftale fra dialogmøde: Far laver en fast afsked",
    ]
    [next_meeting] = _tasks(db, "next_dialogue_meeting")
    assert next_meeting.due_on.isoformat() == day(42) and next_meeting.assignee_id == author.id

    first, second = body["data"]["agreements"]
    # The first agreement is done; the second is removed; a third is added; no next meeting.
    update = meeting(
        agreements=[{**first, "done": True}, {"what": "Ny aftale", "who": "Mor", "due_on": day(3)}]
    )
    response = put_record(client, "dialogue_meeting", child.id, update, record_id=record_id, base_version=1)
    assert response.status_code == 200, response.text
    by_key = {t.key.rsplit(":", 1)[1]: t.status for t in _tasks(db, "agreement")}
    third = response.json()["data"]["agreements"][1]["key"]
    assert by_key == {first["key"]: "done", second["key"]: "cancelled", third: "open"}
    assert [t.status for t in _tasks(db, "next_dialogue_meeting")] == ["cancelled"]


def test_a_held_meeting_closes_the_childs_dialogue_meeting_tasks_in_that_unit(client, demo, db) -> None:
    child = _child(db)
    unit = unit_named(db, INSTITUTION)
    other_unit = unit_named(db, "Dagplejen Syd")
    asked = ensure_task(
        db,
        key=f"dialogue_meeting:x:{child.id}",
        kind="dialogue_meeting",
        unit_id=unit.id,
        child_id=child.id,
        due_on=today(),
    )
    elsewhere = ensure_task(
        db,
        key=f"dialogue_meeting:y:{child.id}",
        kind="dialogue_meeting",
        unit_id=other_unit.id,
        child_id=child.id,
        due_on=today(),
    )
    for task in (asked, elsewhere):  # asked for before the meeting was held
        task.created_at = utcnow() - timedelta(days=40)
        db.add(task)
    db.commit()
    login(client, "demo-paedagog")
    earlier = put_record(
        client, "dialogue_meeting", child.id, meeting(held_on=day(-30), next_on=day(-2))
    ).json()
    db.refresh(asked)
    db.refresh(elsewhere)
    assert (asked.status, elsewhere.status) == ("done", "open")
    [next_task] = _tasks(db, "next_dialogue_meeting")
    assert next_task.record_id == earlier["id"] and next_task.status == "open"

    draft = put_record(client, "dialogue_meeting", child.id, meeting(held_on=day(-1)), status="draft")
    assert [t.status for t in _tasks(db, "next_dialogue_meeting")] == ["open"]  # a draft closes nothing
    put_record(
        client,
        "dialogue_meeting",
        child.id,
        meeting(held_on=day(-1)),
        record_id=draft.json()["id"],
        base_version=1,
    )
    assert [t.status for t in _tasks(db, "next_dialogue_meeting")] == ["done"]


def test_the_form_saves_rows_and_drops_the_blank_ones(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    page = client.get(f"/forms/dialogue_meeting?child={child.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    assert 'name="data.participants.1.name"' in page  # two blank rows without JavaScript
    assert 'name="data.participants.2.name"' not in page
    assert "<template data-row-template>" in page and "data.agreements.__i__.what" in page
    fields = {
        "csrf_token": token,
        "type": "dialogue_meeting",
        "child_id": child.id,
        "status": "final",
        "data.held_on": day(-1),
        "data.purpose": "Søvn",
        "data.participants.0.name": "Mor",
        "data.participants.0.role": "parent",
        "data.participants.1.name": "",
        "data.participants.1.role": "",
        "data.participants.1.organisation": "",
        "data.agreements.0.what": "Fast sengetid",
        "data.agreements.0.who": "Mor",
        "data.agreements.0.due_on": day(5),
        "data.agreements.1.what": "",
        "data.agreements.1.who": "",
        "data.agreements.1.due_on": "",
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 303, response.text
    stored = db.get(Record, record_id)
    assert [p["name"] for p in stored.data["participants"]] == ["Mor"]
    assert [(a["what"], a["done"]) for a in stored.data["agreements"]] == [("Fast sengetid", False)]
    edit = client.get(f"/records/{record_id}/edit").text
    key = stored.data["agreements"][0]["key"]
    assert f'name="data.agreements.0.key" value="{key}"' in edit
    assert 'name="data.agreements.2.what"' in edit and 'name="data.agreements.3.what"' not in edit


def test_the_form_keeps_what_was_typed_and_offers_to_record_consent(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    page = client.get(f"/forms/dialogue_meeting?child={child.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    fields = {
        "csrf_token": token,
        "type": "dialogue_meeting",
        "child_id": child.id,
        "status": "final",
        "data.held_on": day(-1),
        "data.purpose": "Sprog <b>og</b> leg",
        "data.participants.0.name": "Sara Holt",
        "data.participants.0.role": "external",
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 422
    text = response.text
    assert "Sprog &lt;b&gt;og&lt;/b&gt; leg</textarea>" in text
    assert 'value="Sara Holt"' in text
    consent_url = f"/forms/consent?child={child.id}&amp;kind=meeting&amp;scope={record_id}"
    consent_url += f"&amp;fra={record_id}"
    assert f'name="then" value="consent" data-then-next="{consent_url}"' in text  # same tab, draft first
    assert "Forældrene skal give samtykke" in text
    assert db.get(Record, record_id) is None


def test_the_meeting_is_shown_with_its_minutes_and_in_the_childs_timeline(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    record = put_record(client, "dialogue_meeting", child.id, meeting(next_on=day(30))).json()
    page = client.get(f"/records/{record['id']}").text
    for text in (
        "Hvad går godt?",
        "Udfordringer",
        "Muligheder",
        "Aftaler",
        "Det bedste i dag",
        "Tovholder: Jonas",
    ):
        assert text in page
    timeline = client.get(f"/children/{child.id}").text
    assert "Dialogmøde" in timeline and "Tale om afleveringen om morgenen – 2 aftaler" in timeline
