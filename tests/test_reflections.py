"""Professional sparring (domain §4.4): anonymous or named (consent or legal basis), trial
actions as follow-up tasks, the unit page, and the leaders told (task when no e-mail)."""

import re
import uuid

from sqlalchemy import func
from sqlmodel import select

from backend.audit import AuditEvent
from backend.notify.models import OutgoingEmail
from backend.records.models import KeptWrite, Record, RecordVersion, Task
from tests.meetings_helpers import CHILDMINDING, INSTITUTION, anonymous, day, give_consent, reflection
from tests.support import add_user, children_of_unit, login, put_record, unit_named, user_named


def _child(db):
    return children_of_unit(db, INSTITUTION)[-1]


def _tasks(db, kind: str) -> list[Task]:
    db.expire_all()
    return list(db.exec(select(Task).where(Task.kind == kind).order_by(Task.due_on)))


def test_anonymous_reflection_belongs_to_the_unit(client, demo, db) -> None:
    login(client, "demo-dagplejepaedagog")
    unit = unit_named(db, CHILDMINDING)
    record_id = str(uuid.uuid4())
    created = put_record(client, "reflection", None, anonymous(), unit_id=unit.id, record_id=record_id)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["child_id"] is None and body["unit_id"] == unit.id
    assert body["derived"] == {"hand_mismatch": True, "open_trial_actions": 2}
    replay = put_record(client, "reflection", None, anonymous(), unit_id=unit.id, record_id=record_id)
    assert replay.status_code == 200
    assert db.exec(select(func.count()).select_from(RecordVersion)).one() == 1

    login(client, "demo-dagplejer")  # a colleague in the unit sees it
    assert client.get(f"/api/records/{record_id}").status_code == 200
    login(client, "demo-paedagog")  # another unit does not
    assert client.get(f"/api/records/{record_id}").status_code == 404
    assert client.get(f"/records/{record_id}").status_code == 404
    other = put_record(client, "reflection", None, anonymous(), unit_id=unit.id)
    assert other.status_code == 404
    assert client.get(f"/forms/reflection?unit={unit.id}").status_code == 404
    events = db.exec(select(AuditEvent.action).where(AuditEvent.object_id == record_id)).all()
    assert "record.create" in events and "record.read" in events


def test_anonymous_needs_an_age_band_and_no_child(client, demo, db) -> None:
    login(client, "demo-paedagog")
    unit = unit_named(db, INSTITUTION)
    no_band = put_record(client, "reflection", None, reflection(anonymous=True), unit_id=unit.id)
    assert no_band.status_code == 422
    assert {e["field"]: e["message"] for e in no_band.json()["errors"]}[
        "data.age_band"
    ] == "Vælg barnets aldersgruppe."
    with_child = put_record(client, "reflection", _child(db).id, anonymous())
    assert with_child.status_code == 422
    assert with_child.json()["errors"][0]["field"] == "data.anonymous"
    bad_band = put_record(client, "reflection", None, anonymous(age_band="7-9"), unit_id=unit.id)
    assert bad_band.status_code == 422
    named_without_child = put_record(client, "reflection", None, reflection(), unit_id=unit.id)
    assert named_without_child.status_code == 422
    assert named_without_child.json()["errors"][0]["field"] == "child_id"
    assert db.exec(select(func.count()).select_from(Record)).one() == 0


def test_a_named_case_needs_consent_or_a_documented_legal_basis(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    record_id = str(uuid.uuid4())
    refused = put_record(client, "reflection", child.id, reflection(), record_id=record_id)
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "data.consent_id" and "samtykke" in error["message"]
    assert error["href"] == f"/forms/consent?child={child.id}&kind=sparring_case&scope={record_id}"
    assert db.exec(select(func.count()).select_from(Record)).one() == 0

    basis = put_record(client, "reflection", child.id, reflection(legal_basis="Led i en verserende sag"))
    assert basis.status_code == 201

    give_consent(client, db, child, "sparring_case", record_id)
    consented = put_record(client, "reflection", child.id, reflection(), record_id=record_id)
    assert consented.status_code == 201, consented.text
    # A consent that covers the unit's sparring works too.
    other_child = children_of_unit(db, INSTITUTION)[-2]
    give_consent(client, db, other_child, "sparring_case", unit_named(db, INSTITUTION).id)
    assert put_record(client, "reflection", other_child.id, reflection()).status_code == 201
    # A refused consent does not.
    third = children_of_unit(db, INSTITUTION)[-3]
    give_consent(client, db, third, "sparring_case", unit_named(db, INSTITUTION).id, state="refused")
    assert put_record(client, "reflection", third.id, reflection()).status_code == 422


def test_invalid_reflections_get_field_errors(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    data = reflection(
        legal_basis="x",
        held_on=day(1),
        hand_needed="left",
        trial_actions=[{"what": "x", "follow_up_on": "2090-01-01"}],
    )
    assert put_record(client, "reflection", child.id, data).status_code == 422
    data["hand_needed"] = "big"
    errors = {
        e["field"]: e["message"] for e in put_record(client, "reflection", child.id, data).json()["errors"]
    }
    assert errors["data.held_on"] == "Datoen ligger i fremtiden."
    assert errors["data.trial_actions.0.follow_up_on"] == "Datoen ligger for langt ude i fremtiden."
    data = reflection(
        legal_basis="x",
        trial_actions=[
            {"what": "Før", "follow_up_on": day(-3)},
            {"what": "Langt ude", "follow_up_on": day(400)},
            {"follow_up_on": day(3)},
            {"what": "Ingen dato"},
        ],
    )
    errors = {
        e["field"]: e["message"] for e in put_record(client, "reflection", child.id, data).json()["errors"]
    }
    assert errors == {
        "data.trial_actions.0.follow_up_on": "Opfølgningen skal ligge efter sparringen.",
        "data.trial_actions.1.follow_up_on": "En prøvehandling følges op inden for et år.",
        "data.trial_actions.2.what": "Beskriv prøvehandlingen.",
        "data.trial_actions.3.follow_up_on": "Vælg en dato for opfølgningen.",
    }
    missing = put_record(client, "reflection", child.id, {"legal_basis": "x"})
    fields = {e["field"] for e in missing.json()["errors"]}
    assert {
        "data.held_on",
        "data.situation",
        "data.child_perspective",
        "data.hand_needed",
        "data.hand_offered",
    } <= fields


def test_stale_reflection_is_kept_as_a_conflict_copy(client, demo, db) -> None:
    login(client, "demo-dagplejepaedagog")
    unit = unit_named(db, CHILDMINDING)
    record_id = str(uuid.uuid4())
    put_record(client, "reflection", None, anonymous(), unit_id=unit.id, status="draft", record_id=record_id)
    put_record(
        client,
        "reflection",
        None,
        anonymous(analysis="A"),
        unit_id=unit.id,
        status="draft",
        record_id=record_id,
        base_version=1,
    )
    stale = put_record(
        client,
        "reflection",
        None,
        anonymous(analysis="B"),
        unit_id=unit.id,
        record_id=record_id,
        base_version=1,
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["data"]["analysis"] == "A"
    assert db.exec(select(KeptWrite)).one().body["data"]["analysis"] == "B"


def test_trial_actions_become_follow_up_tasks_closed_by_their_outcome(client, demo, db) -> None:
    login(client, "demo-dagplejepaedagog")
    author = user_named(db, "demo-dagplejepaedagog")
    unit = unit_named(db, CHILDMINDING)
    record_id = str(uuid.uuid4())
    draft = put_record(
        client, "reflection", None, anonymous(), unit_id=unit.id, status="draft", record_id=record_id
    )
    assert _tasks(db, "trial_action_follow_up") == []
    first, second = draft.json()["data"]["trial_actions"]
    final = put_record(
        client, "reflection", None, anonymous(), unit_id=unit.id, record_id=record_id, base_version=1
    )
    assert final.status_code == 200
    tasks = _tasks(db, "trial_action_follow_up")
    assert [(t.due_on.isoformat(), t.assignee_id, t.child_id, t.status) for t in tasks] == [
        (day(10), author.id, None, "open"),
        (day(20), author.id, None, "open"),
    ]
    listed = client.get("/api/tasks").json()
    assert [t["url"] for t in listed if t["kind"] == "trial_action_follow_up"] == [
        f"/records/{record_id}/edit"
    ] * 2

    followed = anonymous(
        trial_actions=[
            {**first, "outcome": "Barnet fandt ro i hjørnet"},  # no judgement yet: still open
            {**second, "outcome": "Kortere dage hjalp", "made_difference": "yes"},
        ]
    )
    put_record(client, "reflection", None, followed, unit_id=unit.id, record_id=record_id, base_version=2)
    assert [t.status for t in _tasks(db, "trial_action_follow_up")] == ["open", "done"]
    followed["trial_actions"][0]["made_difference"] = "partly"
    response = put_record(
        client, "reflection", None, followed, unit_id=unit.id, record_id=record_id, base_version=3
    )
    assert response.json()["derived"]["open_trial_actions"] == 0
    assert [t.status for t in _tasks(db, "trial_action_follow_up")] == ["done", "done"]
    removed = anonymous(trial_actions=[{"what": "En ny idé", "follow_up_on": day(5)}])
    put_record(client, "reflection", None, removed, unit_id=unit.id, record_id=record_id, base_version=4)
    assert sorted(t.status for t in _tasks(db, "trial_action_follow_up")) == ["done", "done", "open"]


def test_leaders_without_an_address_get_a_task_and_no_email(client, demo, db) -> None:
    second_leader = add_user(db, "leder-to", "leader", INSTITUTION)
    assert second_leader.email is None
    login(client, "demo-paedagog")
    child = _child(db)
    record = put_record(client, "reflection", child.id, reflection(legal_basis="Hjemmel")).json()
    # Without outgoing mail configured (the tests' default) every leader gets the task.
    tasks = _tasks(db, "reflection_minutes")
    leaders = {user_named(db, "demo-leder").id, second_leader.id}
    assert {t.assignee_id for t in tasks} == leaders
    assert all(t.record_id == record["id"] and t.child_id is None for t in tasks)
    assert db.exec(select(func.count()).select_from(OutgoingEmail)).one() == 0
    login(client, "leder-to")
    [task] = client.get("/api/tasks").json()
    assert task["title"] == "Referat fra faglig sparring"
    assert f'href="/records/{record["id"]}"' in client.get(f"/tasks/{task['id']}").text
    # A correction of final minutes does not tell the leaders again.
    login(client, "demo-paedagog")
    put_record(
        client,
        "reflection",
        child.id,
        reflection(legal_basis="Hjemmel", analysis="Ny"),
        record_id=record["id"],
        base_version=1,
    )
    assert len(_tasks(db, "reflection_minutes")) == 2


def test_the_sparring_page_lists_the_units_reflections_and_starts_an_anonymous_one(client, demo, db) -> None:
    login(client, "demo-paedagog")
    unit = unit_named(db, INSTITUTION)
    child = _child(db)
    put_record(client, "reflection", child.id, reflection(legal_basis="Hjemmel"))
    put_record(client, "reflection", None, anonymous(), unit_id=unit.id, status="draft")
    login(client, "demo-dagplejepaedagog")
    put_record(
        client, "reflection", None, anonymous(situation="Dagplejen"), unit_id=unit_named(db, CHILDMINDING).id
    )

    login(client, "demo-paedagog")
    page = client.get("/sparring").text
    assert f'href="/forms/reflection?unit={unit.id}"' in page and "Ny anonym sparring" in page
    assert child.name in page and "Anonym · 1–3 år" in page and "kladde" in page
    assert page.count('class="list-item"') == 2  # not the other unit's
    assert "Faglig sparring" in client.get("/").text  # in the menu

    form = client.get(f"/forms/reflection?unit={unit.id}").text
    assert 'name="data.anonymous" value="on"' in form and 'name="unit_id"' in form
    assert "Den store hånd er den voksnes nærhed" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', form).group(1)
    fields = {
        "csrf_token": token,
        "type": "reflection",
        "unit_id": unit.id,
        "status": "final",
        "data.anonymous": "on",
        "data.age_band": "3-6",
        "data.held_on": day(),
        "data.situation": "Uro ved frokost",
        "data.child_perspective": "Her er larm",
        "data.hand_needed": "big",
        "data.hand_offered": "big",
        "data.trial_actions.0.what": "Mindre borde",
        "data.trial_actions.0.follow_up_on": day(14),
        "data.trial_actions.1.what": "",
        "data.trial_actions.1.follow_up_on": "",
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 303, response.text
    stored = db.get(Record, record_id)
    assert (
        stored.child_id is None
        and stored.data["anonymous"] is True
        and len(stored.data["trial_actions"]) == 1
    )
    shown = client.get(f"/records/{record_id}").text
    assert "Anonym · 3–6 år" in shown and "Mindre borde" in shown


def test_a_named_reflection_is_started_from_the_child_and_shown_in_the_timeline(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = _child(db)
    assert f"/forms/reflection?child={child.id}" in client.get(f"/children/{child.id}").text
    form = client.get(f"/forms/reflection?child={child.id}").text
    assert "Registrér samtykke" in form and 'name="data.anonymous"' not in form
    record = put_record(client, "reflection", child.id, reflection(legal_basis="Hjemmel")).json()
    timeline = client.get(f"/children/{child.id}").text
    assert "Faglig sparring" in timeline and "2 åbne prøvehandlinger" in timeline
    shown = client.get(f"/records/{record['id']}").text
    assert "Hjemmel" in shown and "Barnet fik en anden hånd, end det rakte ud efter." in shown


def test_a_named_reflection_stays_with_its_unit_when_the_child_moves(client, demo, db) -> None:
    from backend.domain.dates import today
    from backend.people.models import Placement

    login(client, "demo-paedagog")
    unit = unit_named(db, INSTITUTION)
    child = _child(db)
    named = put_record(client, "reflection", child.id, reflection(legal_basis="Hjemmel")).json()
    put_record(client, "reflection", None, anonymous(), unit_id=unit.id)
    placement = db.exec(
        select(Placement).where(Placement.child_id == child.id, Placement.ends_on.is_(None))
    ).one()
    placement.ends_on = today()
    db.add(placement)
    db.add(Placement(child_id=child.id, unit_id=unit_named(db, CHILDMINDING).id, starts_on=today()))
    db.commit()

    login(client, "demo-leder")  # leads both units: the child is seen, the old unit's notes are not
    page = client.get("/sparring").text
    assert child.name not in page and page.count('class="list-item"') == 1
    assert client.get(f"/records/{named['id']}").status_code == 404
