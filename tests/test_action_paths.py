"""The three action paths (issue 16): each chosen path gets its follow-up, and the page says what
was created."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.people.forum_models import ForumCase
from backend.records.models import Record, Task
from tests.forum_support import forum_world, give_forum_consent
from tests.support import adbb_data, child_aged, children_of_unit, login, put_record, unit_named
from tests.wellbeing_support import CM, add_round, joint

HV_UNIT = "Sundhedsplejen Nord"


def _concern(client, child_id: str) -> str:
    note = {"observed_on": today().isoformat(), "text": "Barnet græder meget ved aflevering"}
    response = put_record(client, "concern_note", child_id, note)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _decision(source_id: str, **paths: object) -> dict:
    return {"source_record_id": source_id, "decided_on": today().isoformat(), "with_parents": "yes", **paths}


def _open_tasks(db, child_id: str) -> dict[str, Task]:
    db.expire_all()
    rows = db.exec(select(Task).where(Task.child_id == child_id, Task.status == "open"))
    return {task.kind: task for task in rows}


def test_path_one_makes_a_plan_record_and_a_follow_up_task(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    source = _concern(client, child.id)
    follow_up = today() + timedelta(days=21)
    plan = put_record(
        client,
        "action_paths",
        child.id,
        _decision(
            source,
            own_profession=True,
            trial_actions="Fast tryghedsvoksen ved aflevering",
            follow_up_on=follow_up.isoformat(),
        ),
    )
    assert plan.status_code == 201, plan.text
    task = _open_tasks(db, child.id)["action_plan_follow_up"]
    assert task.due_on == follow_up and task.record_id == plan.json()["id"]
    page = client.get(f"/records/{plan.json()['id']}").text
    assert "en opgave om at følge op" in page


def test_path_one_needs_trial_actions_and_a_follow_up_date(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    source = _concern(client, child.id)
    response = put_record(client, "action_paths", child.id, _decision(source, own_profession=True))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"data.trial_actions", "data.follow_up_on"} <= fields
    nothing = put_record(client, "action_paths", child.id, _decision(source))
    assert nothing.status_code == 422
    assert "Vælg mindst ét handlingsspor." in nothing.text
    no_parents = put_record(
        client, "action_paths", child.id, _decision(source, notification=True, with_parents="no")
    )
    assert no_parents.status_code == 422 and "data.why_not_with_parents" in no_parents.text


def test_path_two_forum_without_consent_asks_for_consent_first(client, demo, db) -> None:
    world = forum_world(db)
    child_id = world.children[0]
    login(client, "demo-paedagog")
    source = _concern(client, child_id)
    plan = put_record(
        client, "action_paths", child_id, _decision(source, cross_disciplinary=True, cross_route="forum")
    )
    assert plan.status_code == 201, plan.text
    tasks = _open_tasks(db, child_id)
    assert "forum_consent" in tasks and "forum_case_prepare" not in tasks
    assert db.exec(select(ForumCase).where(ForumCase.child_id == child_id)).first() is None
    page = client.get(f"/records/{plan.json()['id']}").text
    assert "Forældrenes samtykke mangler" in page
    consent_link = f"/forms/consent?child={child_id}&amp;kind=meeting&amp;scope={world.forum_id}"
    assert consent_link in page
    tasks_page = client.get("/tasks").text
    assert consent_link in tasks_page


def test_path_two_forum_with_consent_puts_the_case_on_the_next_agenda(client, demo, db) -> None:
    world = forum_world(db)
    child_id = world.children[1]
    unit = unit_named(db, "Børnehuset Solsikken")
    consent = give_forum_consent(db, child_id, world.forum_id, unit.id, world.leader_id)
    db.commit()
    login(client, "demo-paedagog")
    source = _concern(client, child_id)
    body = _decision(
        source, cross_disciplinary=True, cross_route="forum", forum_question="Hvordan støtter vi legen?"
    )
    plan = put_record(client, "action_paths", child_id, body)
    assert plan.status_code == 201, plan.text
    db.expire_all()
    case = db.exec(select(ForumCase).where(ForumCase.child_id == child_id)).one()
    assert case.meeting_id == world.meeting_id and case.consent_id == consent.id
    assert case.preparation["question"] == "Hvordan støtter vi legen?"
    tasks = _open_tasks(db, child_id)
    assert "forum_case_prepare" in tasks and "forum_consent" not in tasks
    assert "sat på dagsordenen" in client.get(f"/records/{plan.json()['id']}").text
    # Saving the decision again puts the case on the agenda once.
    again = put_record(client, "action_paths", child_id, body, record_id=plan.json()["id"], base_version=1)
    assert again.status_code == 200, again.text
    assert len(db.exec(select(ForumCase).where(ForumCase.child_id == child_id)).all()) == 1


def test_path_two_without_a_planned_meeting_makes_a_task_to_bring_the_case(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    source = _concern(client, child.id)
    plan = put_record(
        client, "action_paths", child.id, _decision(source, cross_disciplinary=True, cross_route="forum")
    )
    assert plan.status_code == 201, plan.text
    assert "forum_case" in _open_tasks(db, child.id)


def test_an_adbb_above_the_cut_off_offers_the_supervision_team_first(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    screening = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 12))
    assert screening.status_code == 201, screening.text
    screening_id = screening.json()["id"]
    view = client.get(f"/records/{screening_id}").text
    assert 'id="supervision-offer"' in view
    link = f"/forms/action_paths?child={child.id}&amp;from={screening_id}"
    assert link in view
    form = client.get(link.replace("&amp;", "&")).text
    assert 'id="supervision-offer"' in form
    supervision = form.index('value="adbb_supervision"')
    assert supervision < form.index('value="forum"')
    assert re.search(r'value="adbb_supervision" checked', form)
    plan = put_record(
        client,
        "action_paths",
        child.id,
        _decision(screening_id, cross_disciplinary=True, cross_route="adbb_supervision"),
    )
    assert plan.status_code == 201, plan.text
    assert "adbb_supervision_request" in _open_tasks(db, child.id)


def test_below_the_cut_off_no_supervision_is_offered(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    screening = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 2))
    view = client.get(f"/records/{screening.json()['id']}").text
    assert 'id="supervision-offer"' not in view


def test_path_three_makes_a_notification_draft_and_a_task_to_finish_it(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    source = _concern(client, child.id)
    body = _decision(source, notification=True)
    record_id = str(uuid.uuid4())
    plan = put_record(client, "action_paths", child.id, body, record_id=record_id)
    assert plan.status_code == 201, plan.text
    draft_id = plan.json()["derived"]["notification_record_id"]
    db.expire_all()
    draft = db.get(Record, draft_id)
    assert draft.type == "notification" and draft.status == "draft" and draft.child_id == child.id
    task = _open_tasks(db, child.id)["notification_write"]
    assert task.record_id == draft_id
    page = client.get(f"/records/{record_id}").text
    assert f"/records/{draft_id}/edit" in page
    # Saving the decision again makes no second draft.
    again = put_record(client, "action_paths", child.id, body, record_id=record_id, base_version=1)
    assert again.status_code == 200, again.text
    db.expire_all()
    assert len(db.exec(select(Record).where(Record.type == "notification")).all()) == 1


def test_the_paths_are_not_mutually_exclusive(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    source = _concern(client, child.id)
    plan = put_record(
        client,
        "action_paths",
        child.id,
        _decision(
            source,
            own_profession=True,
            trial_actions="Mere tid på skødet",
            follow_up_on=(today() + timedelta(days=14)).isoformat(),
            cross_disciplinary=True,
            cross_route="adbb_supervision",
            notification=True,
            with_parents="no",
            why_not_with_parents="Mistanke om overgreb: forældrene må ikke orienteres.",
        ),
    )
    assert plan.status_code == 201, plan.text
    tasks = _open_tasks(db, child.id)
    assert {"action_plan_follow_up", "adbb_supervision_request", "notification_write"} <= set(tasks)


def test_a_concern_note_and_a_joint_assessment_lead_to_the_decision(client, demo, db) -> None:
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-sundhedsplejerske")
    source = _concern(client, child.id)
    view = client.get(f"/records/{source}").text
    assert f"/forms/action_paths?child={child.id}&amp;from={source}" in view
    form = client.get(f"/forms/action_paths?child={child.id}&from={source}").text
    assert f'name="data.source_record_id" value="{source}"' in form


@pytest.mark.parametrize(
    ("overall", "offered"), [("concern", True), ("extra_attention", True), ("thriving", False)]
)
def test_a_final_joint_assessment_not_thriving_leads_to_the_decision(
    client, demo, db, overall, offered
) -> None:
    round_id = add_round(db, CM, today(), today() + timedelta(days=20))
    child = children_of_unit(db, CM)[0]
    login(client, "demo-dagplejepaedagog")
    decision = "none" if overall == "thriving" else "action_plan"
    response = put_record(client, "wellbeing", child.id, joint(round_id, overall, decision=decision))
    assert response.status_code == 201, response.text
    record_id = response.json()["id"]
    view = client.get(f"/records/{record_id}").text
    assert (f"/forms/action_paths?child={child.id}&amp;from={record_id}" in view) is offered
