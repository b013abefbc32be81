"""The JSON contract of PUT/GET /api/records for the write path (ADBB as the worked example)."""

import uuid
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.records.models import KeptWrite, Record, RecordVersion, Task
from tests.support import (
    adbb_data,
    child_aged,
    children_of_unit,
    login,
    moved_child,
    put_record,
    unit_named,
    user_named,
)


def _hv_child(db):
    return child_aged(db, "Sundhedsplejen Nord", 3, 12)


def test_create_returns_201_with_derived_values(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    response = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 7))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1 and body["status"] == "final" and body["type"] == "adbb"
    assert body["derived"]["total"] == 7
    assert body["derived"]["cutoff"] == 5 and body["derived"]["above_cutoff"] is True
    assert body["author"]["name"] == "Mette Lund"
    assert set(body) >= {
        "id",
        "type",
        "child_id",
        "version",
        "status",
        "data",
        "derived",
        "author",
        "created_at",
        "updated_at",
    }


def test_replay_is_stored_once(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    record_id = str(uuid.uuid4())
    data = adbb_data(today().isoformat(), 3)
    first = put_record(client, "adbb", child.id, data, record_id=record_id)
    second = put_record(client, "adbb", child.id, data, record_id=record_id)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["version"] == 1
    assert db.exec(select(func.count()).select_from(Record)).one() == 1
    assert db.exec(select(func.count()).select_from(RecordVersion)).one() == 1


def test_replayed_update_is_applied_once(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    record_id = str(uuid.uuid4())
    put_record(
        client, "adbb", child.id, adbb_data(today().isoformat(), 3), status="draft", record_id=record_id
    )
    update = adbb_data(today().isoformat(), 4, present="Mor")
    assert (
        put_record(client, "adbb", child.id, update, base_version=1, record_id=record_id).status_code == 200
    )
    replay = put_record(client, "adbb", child.id, update, base_version=1, record_id=record_id)
    assert replay.status_code == 200 and replay.json()["version"] == 2
    assert db.exec(select(func.count()).select_from(KeptWrite)).one() == 0


def test_stale_base_version_is_a_conflict_kept_for_its_author(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    record_id = str(uuid.uuid4())
    put_record(
        client, "adbb", child.id, adbb_data(today().isoformat(), 3), status="draft", record_id=record_id
    )
    put_record(
        client,
        "adbb",
        child.id,
        adbb_data(today().isoformat(), 5),
        base_version=1,
        record_id=record_id,
        status="draft",
    )
    stale = put_record(
        client, "adbb", child.id, adbb_data(today().isoformat(), 9), base_version=1, record_id=record_id
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    assert stale.json()["current"]["derived"]["total"] == 5
    kept = db.exec(select(KeptWrite)).one()
    assert kept.reason == "conflict" and kept.record_id == record_id
    assert kept.body["data"]["items"]["eye_contact"] == 4
    # The copy is listed for its author and shows both versions.
    page = client.get(f"/conflicts/{kept.id}").text
    assert "Din udgave" in page and "Den gemte version" in page


def test_invalid_data_gets_danish_field_errors_and_stores_nothing(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    data = adbb_data(today().isoformat(), 3)
    data["items"]["eye_contact"] = 7
    data["items"]["no_such_item"] = 1
    del data["occasion"]
    response = put_record(client, "adbb", child.id, data)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["data.items.eye_contact"] == "Er for stor."
    assert errors["data.items.no_such_item"] == "Feltet kendes ikke."
    missing = put_record(client, "adbb", child.id, {"screened_on": today().isoformat()})
    fields = {e["field"] for e in missing.json()["errors"]}
    assert {"data.occasion", "data.items.eye_contact", "data.action"} <= fields
    assert db.exec(select(func.count()).select_from(Record)).one() == 0


def test_impossible_dates_are_refused(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    before_birth = (child.birth_date - timedelta(days=1)).isoformat()
    future = (today() + timedelta(days=1)).isoformat()
    for day, message in (
        (before_birth, "før barnets fødsel"),
        (future, "fremtiden"),
        ("2090-01-01", "fremtiden"),
    ):
        response = put_record(client, "adbb", child.id, adbb_data(day, 3))
        assert response.status_code == 422
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert message in errors["data.screened_on"]


def test_age_outside_range_needs_a_reason(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    newborn = child_aged(db, "Sundhedsplejen Nord", 0, 1)
    response = put_record(client, "adbb", newborn.id, adbb_data(today().isoformat(), 2))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.age_reason"
    ok = put_record(
        client,
        "adbb",
        newborn.id,
        adbb_data(today().isoformat(), 2, age_reason="Tidlig bekymring for samspillet"),
    )
    assert ok.status_code == 201
    assert ok.json()["derived"]["age_months"] < 2


def test_final_cannot_become_draft_but_is_corrected_by_a_new_version(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    record_id = str(uuid.uuid4())
    put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 3), record_id=record_id)
    draft = put_record(
        client,
        "adbb",
        child.id,
        adbb_data(today().isoformat(), 3),
        status="draft",
        base_version=1,
        record_id=record_id,
    )
    assert draft.status_code == 422
    corrected = put_record(
        client, "adbb", child.id, adbb_data(today().isoformat(), 4), base_version=1, record_id=record_id
    )
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    versions = client.get(f"/api/records/{record_id}").json()["versions"]
    assert [(v["version"], v["derived"]["total"]) for v in versions] == [(2, 4), (1, 3)]


def test_unknown_and_out_of_scope_children_answer_404(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    institution_child = children_of_unit(db, "Børnehuset Solsikken")[0]
    data = {"observed_on": today().isoformat(), "text": "x"}
    assert put_record(client, "concern_note", institution_child.id, data).status_code == 404
    assert put_record(client, "concern_note", str(uuid.uuid4()), data).status_code == 404
    assert client.put("/api/records/not-a-uuid", json={}).status_code == 404
    assert db.exec(select(func.count()).select_from(KeptWrite)).one() == 0


def test_a_role_without_the_record_type_is_refused(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = children_of_unit(db, "Børnehuset Solsikken")[0]
    response = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 3))
    assert response.status_code == 403


def test_record_reads_and_writes_are_audited(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    record_id = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 3)).json()["id"]
    client.get(f"/api/records/{record_id}")
    actions = [
        e.action
        for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == record_id).order_by(AuditEvent.id))
    ]
    assert actions == ["record.create", "record.read"]


def test_over_cutoff_creates_a_follow_up_task_that_the_next_screening_closes(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _hv_child(db)
    first_day = today() - timedelta(days=20)
    first = put_record(client, "adbb", child.id, adbb_data(first_day.isoformat(), 6)).json()
    tasks = client.get("/api/tasks").json()
    assert [(t["kind"], t["due_on"], t["record_id"]) for t in tasks] == [
        ("adbb_follow_up", (first_day + timedelta(days=14)).isoformat(), first["id"])
    ]
    follow_up = put_record(
        client, "adbb", child.id, adbb_data(today().isoformat(), 8, occasion="follow_up")
    ).json()
    assert follow_up["derived"]["consider_notification"] is True
    kinds = [t["kind"] for t in client.get("/api/tasks").json()]
    assert kinds == ["adbb_follow_up"]  # the new screening's own follow-up; the first is done
    done = db.exec(select(Task).where(Task.record_id == first["id"])).one()
    assert done.status == "done"


def test_a_screening_under_the_cutoff_creates_no_task(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    put_record(client, "adbb", _hv_child(db).id, adbb_data(today().isoformat(), 4))
    assert client.get("/api/tasks").json() == []


def test_moved_childs_earlier_screenings_stay_with_the_old_unit(client, demo, db) -> None:
    child = moved_child(db)
    # Written while the child was in health visiting (placed there until 20 days ago).
    hv = unit_named(db, "Sundhedsplejen Nord")
    health_visitor = user_named(db, "demo-sundhedsplejerske").id
    old = Record(
        id=str(uuid.uuid4()),
        type="adbb",
        child_id=child.id,
        unit_id=hv.id,
        author_id=health_visitor,
        updated_by_id=health_visitor,
        status="final",
        data=adbb_data((today() - timedelta(days=40)).isoformat(), 6),
        derived={"total": 6},
    )
    db.add(old)
    db.commit()
    login(client, "demo-dagplejer")
    assert client.get(f"/api/records/{old.id}").status_code == 404
    assert client.get(f"/api/children/{child.id}").json()["records"] == []
    assert "ADBB" not in client.get(f"/children/{child.id}").text
    login(client, "demo-sundhedsplejerske")  # the old unit no longer sees the child either
    assert client.get(f"/api/records/{old.id}").status_code == 404


def test_a_write_about_a_child_who_moved_away_is_kept_for_the_leader(client, demo, db) -> None:
    child = moved_child(db)
    login(client, "demo-sundhedsplejerske")
    response = put_record(
        client, "concern_note", child.id, {"observed_on": today().isoformat(), "text": "Skrevet offline"}
    )
    assert response.status_code == 202
    assert response.json()["kept"] is True
    kept = db.exec(select(KeptWrite)).one()
    assert kept.reason == "out_of_scope" and kept.unit_id is not None
    assert db.exec(select(func.count()).select_from(Record)).one() == 0
    login(client, "demo-leder")
    listing = client.get("/conflicts").text
    assert child.name in listing
    assert "Skrevet offline" in client.get(f"/conflicts/{kept.id}").text


def test_a_well_being_mark_for_an_unknown_round_is_refused_not_a_crash(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    response = put_record(
        client,
        "wellbeing",
        _hv_child(db).id,
        {"round_id": str(uuid.uuid4()), "kind": "individual"},
        status="draft",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.round_id"
