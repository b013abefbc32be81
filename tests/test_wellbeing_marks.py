"""Individual marks, the overview, the joint assessment and its tasks, and a child's history."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.people.models import Municipality
from backend.records.kinds.dialogue_meeting import dialogue_meeting_held
from backend.records.models import Record, Task
from tests.support import add_user, child_aged, children_of_unit, login, put_record, unit_named, user_named
from tests.wellbeing_support import CM, HV, INST, add_round, joint, mark


@pytest.fixture
def round_id(demo, db) -> str:
    """An open round in the childminding group, and a second childminder who can sign in."""
    add_user(db, "dagplejer-b", "childminder", CM)
    return add_round(db, CM, today() - timedelta(days=3), today() + timedelta(days=30), name="Efterår 2026")


def _child(db):
    return children_of_unit(db, CM)[0]


def _tasks(db, kind: str) -> list[Task]:
    db.expire_all()
    return list(db.exec(select(Task).where(Task.kind == kind)))


def _set_settings(db, **settings) -> None:
    municipality = db.exec(select(Municipality)).one()
    municipality.settings = {**municipality.settings, **settings}
    db.add(municipality)
    db.commit()


# --- Individual marks -------------------------------------------------------------------------


def test_each_professional_marks_a_child_once_per_round(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    first = put_record(client, "wellbeing", child.id, mark(round_id, "thriving"))
    assert first.status_code == 201
    assert first.json()["derived"] == {"internal_working_note": True}
    second = put_record(client, "wellbeing", child.id, mark(round_id, "concern"))
    assert second.status_code == 422
    [error] = second.json()["errors"]
    assert error["field"] == "data.round_id"
    assert "Du har allerede vurderet barnet" in error["message"]
    assert f"/records/{first.json()['id']}/edit" in error["message"]
    assert error["record_id"] == first.json()["id"]
    login(client, "dagplejer-b")
    assert put_record(client, "wellbeing", child.id, mark(round_id, "concern")).status_code == 201
    db.expire_all()
    assert len(db.exec(select(Record).where(Record.round_id == round_id)).all()) == 2


def test_a_rater_corrects_their_own_mark_but_not_a_colleagues(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    record_id = str(uuid.uuid4())
    assert put_record(client, "wellbeing", child.id, mark(round_id), record_id=record_id).status_code == 201
    corrected = put_record(
        client, "wellbeing", child.id, mark(round_id, "extra_attention"), record_id=record_id, base_version=1
    )
    assert corrected.status_code == 200 and corrected.json()["data"]["overall"] == "extra_attention"
    login(client, "dagplejer-b")
    response = put_record(client, "wellbeing", child.id, mark(round_id), record_id=record_id, base_version=2)
    assert response.status_code == 422
    assert "kun rettes af den, der har lavet den" in response.json()["errors"][0]["message"]


def test_a_mark_cannot_move_to_another_round_or_become_joint(client, round_id, db) -> None:
    other = add_round(db, CM, today() + timedelta(days=40), today() + timedelta(days=60))
    child = _child(db)
    login(client, "demo-dagplejer")
    record_id = str(uuid.uuid4())
    put_record(client, "wellbeing", child.id, mark(round_id), record_id=record_id, status="draft")
    moved = put_record(client, "wellbeing", child.id, mark(other), record_id=record_id, base_version=1)
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "data.round_id"
    became_joint = put_record(
        client, "wellbeing", child.id, joint(round_id), record_id=record_id, base_version=1
    )
    assert became_joint.status_code == 422 and became_joint.json()["errors"][0]["field"] == "data.kind"


@pytest.mark.parametrize(("opens_in", "closes_in", "message"), [(5, 30, "åbner først"), (-40, -2, "lukkede")])
def test_new_marks_only_while_the_round_is_open(client, demo, db, opens_in, closes_in, message) -> None:
    round_id = add_round(db, CM, today() + timedelta(days=opens_in), today() + timedelta(days=closes_in))
    login(client, "demo-dagplejer")
    response = put_record(client, "wellbeing", _child(db).id, mark(round_id))
    assert response.status_code == 422
    assert message in response.json()["errors"][0]["message"]


def test_a_draft_begun_in_the_open_round_may_be_finished_after_it_closed(client, round_id, db) -> None:
    from backend.records.models import EvaluationRound

    child = _child(db)
    login(client, "demo-dagplejer")
    record_id = str(uuid.uuid4())
    draft = {"round_id": round_id, "kind": "individual", "areas": {"social": "thriving"}}
    assert (
        put_record(client, "wellbeing", child.id, draft, status="draft", record_id=record_id).status_code
        == 201
    )
    evaluation_round = db.get(EvaluationRound, round_id)
    evaluation_round.closes_on = today() - timedelta(days=1)
    db.add(evaluation_round)
    db.commit()
    final = put_record(client, "wellbeing", child.id, mark(round_id), record_id=record_id, base_version=1)
    assert final.status_code == 200


def test_marks_are_checked_field_by_field(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    wrong = {**mark(round_id, summary="Noget", decision="none", context="thriving"), "overall": "green"}
    response = put_record(client, "wellbeing", child.id, wrong)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"data.overall"}  # the position itself is checked first
    response = put_record(
        client, "wellbeing", child.id, mark(round_id, summary="Noget", decision="none", context="thriving")
    )
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"data.summary", "data.decision", "data.context"}
    incomplete = put_record(client, "wellbeing", child.id, {"round_id": round_id, "kind": "individual"})
    assert {e["field"] for e in incomplete.json()["errors"]} >= {"data.overall", "data.areas.social"}


def test_a_mark_for_a_round_of_another_unit_is_refused(client, round_id, db) -> None:
    inst_round = add_round(db, INST, today(), today() + timedelta(days=20))
    login(client, "demo-dagplejer")
    response = put_record(client, "wellbeing", _child(db).id, mark(inst_round))
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Runden findes ikke i barnets enhed."


def test_marking_a_child_outside_ones_units_is_not_found(client, round_id, db) -> None:
    login(client, "demo-paedagog")
    response = put_record(client, "wellbeing", _child(db).id, mark(round_id))
    assert response.status_code == 404
    assert client.get(f"/forms/wellbeing?child={_child(db).id}&round={round_id}").status_code == 404
    assert client.get(f"/rounds/{round_id}").status_code == 404


def test_health_visitors_also_mark_the_context(client, demo, db) -> None:
    round_id = add_round(db, HV, today() - timedelta(days=1), today() + timedelta(days=30))
    child = child_aged(db, HV, 3, 12)
    login(client, "demo-sundhedsplejerske")
    form = client.get(f"/forms/wellbeing?child={child.id}&round={round_id}").text
    assert 'name="data.context"' in form and "Forældre og hjem" in form
    data = mark(round_id, "thriving", context="extra_attention")
    assert put_record(client, "wellbeing", child.id, data).status_code == 201
    missing = joint(round_id, "thriving")
    response = put_record(client, "wellbeing", child.id, missing)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "data.context"


# --- The form ---------------------------------------------------------------------------------


def test_the_form_shows_the_municipal_labels_as_large_choices(client, round_id, db) -> None:
    _set_settings(db, position_labels={"thriving": "Grøn", "extra_attention": "Gul", "concern": "Rød"})
    login(client, "demo-dagplejer")
    page = client.get(f"/forms/wellbeing?child={_child(db).id}").text
    assert page.count('class="position-choice pos-extra_attention"') == 5  # four areas and overall
    assert "<span>Gul</span>" in page and "Ekstra opmærksomhed" not in page
    assert f'<option value="{round_id}" selected>' in page  # the open round is chosen
    assert 'name="data.context"' not in page  # only health visitors mark the context


def test_the_form_of_a_second_mark_points_to_the_first(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    first = put_record(client, "wellbeing", child.id, mark(round_id)).json()["id"]
    page = client.get(f"/forms/wellbeing?child={child.id}&round={round_id}").text
    assert "Du har allerede vurderet barnet i denne runde." in page
    assert f'href="/records/{first}/edit"' in page


def test_a_refused_form_keeps_the_chosen_positions(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    page = client.get(f"/forms/wellbeing?child={child.id}&round={round_id}").text
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    response = client.post(
        f"/records/{record_id}",
        data={
            "type": "wellbeing",
            "child_id": child.id,
            "status": "final",
            "data.kind": "individual",
            "data.round_id": round_id,
            "data.areas.social": "concern",
            "data.area_notes.social": "Leger alene <i>hele</i> tiden",
        },
    )
    assert response.status_code == 422
    assert 'name="data.areas.social" value="concern" checked' in response.text
    assert "Leger alene &lt;i&gt;hele&lt;/i&gt; tiden" in response.text
    assert re.search(r"\S skal udfyldes\.", response.text)  # named (issue 17)


# --- The overview -----------------------------------------------------------------------------


def test_the_overview_highlights_where_raters_disagree(client, round_id, db) -> None:
    agreeing, disagreeing = children_of_unit(db, CM)[:2]
    login(client, "demo-dagplejer")
    put_record(client, "wellbeing", agreeing.id, mark(round_id, "thriving"))
    areas = {"cognitive": "thriving", "emotional": "thriving", "social": "concern", "physical": "thriving"}
    put_record(client, "wellbeing", disagreeing.id, mark(round_id, "thriving"))
    login(client, "dagplejer-b")
    put_record(client, "wellbeing", agreeing.id, mark(round_id, "thriving"))
    put_record(client, "wellbeing", disagreeing.id, mark(round_id, "extra_attention", areas=areas))
    login(client, "demo-leder")
    page = client.get(f"/rounds/{round_id}").text
    rows = re.findall(r'<tr( class="differ")? id="child-([0-9a-f-]{36})">(.*?)</tr>', page, re.S)
    by_child = {child_id: (flag, body) for flag, child_id, body in rows}
    assert by_child[disagreeing.id][0] and not by_child[agreeing.id][0]
    assert re.search(r"Uenige om:\s*Social trivsel,\s*Samlet", by_child[disagreeing.id][1])
    assert "Uenighed om 1 barn" in page
    assert "Vurderet af mindst én: 2 af" in page and "Fælles vurdering: 0 af" in page
    assert "Karin Madsen" in page and "Dagplejer-B" in page


def test_the_overview_is_audited_per_child_and_shows_progress_of_joint_assessments(
    client, round_id, db
) -> None:
    from tests.wellbeing_support import audit_actions

    child = _child(db)
    login(client, "demo-dagplejepaedagog")
    assert put_record(client, "wellbeing", child.id, joint(round_id)).status_code == 201
    page = client.get(f"/rounds/{round_id}").text
    assert "Fælles vurdering: 1 af" in page
    events = audit_actions(db, "round.overview")
    assert {e.child_id for e in events} == {c.id for c in children_of_unit(db, CM)}


# --- The joint assessment ---------------------------------------------------------------------


def test_the_joint_form_starts_from_the_positions_the_raters_agree_on(client, round_id, db) -> None:
    child = _child(db)
    areas = {"cognitive": "thriving", "emotional": "concern", "social": "thriving", "physical": "thriving"}
    login(client, "demo-dagplejer")
    put_record(client, "wellbeing", child.id, mark(round_id, "extra_attention", areas=areas))
    login(client, "dagplejer-b")
    put_record(
        client,
        "wellbeing",
        child.id,
        mark(round_id, "extra_attention", areas={**areas, "emotional": "extra_attention"}),
    )
    login(client, "demo-dagplejepaedagog")
    page = client.get(f"/forms/wellbeing?child={child.id}&round={round_id}&kind=joint").text
    assert 'name="data.areas.cognitive" value="thriving" checked' in page
    assert 'name="data.overall" value="extra_attention" checked' in page
    assert 'name="data.areas.emotional" value="concern" checked' not in page  # they disagree
    assert 'name="data.areas.emotional" value="extra_attention" checked' not in page
    assert "uenige" in page and "Karin Madsen" in page


@pytest.mark.parametrize("overall", ["extra_attention", "concern"])
def test_a_child_not_thriving_gets_a_dialogue_meeting_task_for_the_author(
    client, round_id, db, overall
) -> None:
    _set_settings(db, dialogue_meeting_within_days=10)
    child = _child(db)
    login(client, "demo-dagplejepaedagog")
    response = put_record(client, "wellbeing", child.id, joint(round_id, overall, decision="action_plan"))
    assert response.status_code == 201
    assert response.json()["derived"]["dialogue_meeting_due_on"] == (today() + timedelta(days=10)).isoformat()
    [task] = _tasks(db, "dialogue_meeting")
    assert task.assignee_id == user_named(db, "demo-dagplejepaedagog").id
    assert (task.child_id, task.status, task.parent_facing) == (child.id, "open", True)
    assert task.due_on == today() + timedelta(days=10)
    assert [t["kind"] for t in client.get("/api/tasks").json()] == ["dialogue_meeting"]


def test_a_thriving_child_gets_no_dialogue_meeting_task(client, round_id, db) -> None:
    login(client, "demo-dagplejepaedagog")
    assert put_record(client, "wellbeing", _child(db).id, joint(round_id, "thriving")).status_code == 201
    assert _tasks(db, "dialogue_meeting") == []


def test_correcting_the_joint_assessment_to_thriving_cancels_the_task(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejepaedagog")
    record_id = str(uuid.uuid4())
    put_record(client, "wellbeing", child.id, joint(round_id, "concern"), record_id=record_id)
    [task] = _tasks(db, "dialogue_meeting")
    due_on = task.due_on
    put_record(
        client, "wellbeing", child.id, joint(round_id, "thriving"), record_id=record_id, base_version=1
    )
    assert [t.status for t in _tasks(db, "dialogue_meeting")] == ["cancelled"]
    assert due_on == today() + timedelta(days=14)


def test_the_dialogue_meeting_task_is_held_while_an_abuse_path_note_is_open(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    note = {"observed_on": today().isoformat(), "text": "Mærker på armen", "abuse_path": True}
    assert put_record(client, "concern_note", child.id, note).status_code == 201
    login(client, "demo-dagplejepaedagog")
    assert put_record(client, "wellbeing", child.id, joint(round_id, "concern")).status_code == 201
    [task] = _tasks(db, "dialogue_meeting")
    assert task.status == "held"
    assert client.get("/api/tasks").json() == []


def test_one_joint_assessment_per_child_and_round(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejepaedagog")
    first = put_record(client, "wellbeing", child.id, joint(round_id)).json()["id"]
    login(client, "demo-dagplejer")
    response = put_record(client, "wellbeing", child.id, joint(round_id, "extra_attention"))
    assert response.status_code == 422
    assert "Der er allerede en fælles vurdering" in response.json()["errors"][0]["message"]
    assert response.json()["errors"][0]["record_id"] == first


@pytest.mark.parametrize("summary", ["Ida er i den gule zone.", "Mostly GREEN", "Rødt på det sociale"])
def test_colour_words_are_refused_in_the_parents_summary(client, round_id, db, summary) -> None:
    login(client, "demo-dagplejepaedagog")
    response = put_record(
        client, "wellbeing", _child(db).id, joint(round_id, summary=summary), status="draft"
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "data.summary"
    assert error["message"].startswith("Skriv beskrivelsen uden farveord")
    assert "Forældrene læser den" in error["message"]


def test_a_final_joint_assessment_needs_summary_and_a_fitting_decision(client, round_id, db) -> None:
    login(client, "demo-dagplejepaedagog")
    child = _child(db)
    bare = mark(round_id, "concern", kind="joint")
    errors = {
        e["field"]: e["message"] for e in put_record(client, "wellbeing", child.id, bare).json()["errors"]
    }
    assert set(errors) == {"data.summary", "data.decision"}
    contradicting = joint(round_id, "concern", decision="none")
    response = put_record(client, "wellbeing", child.id, contradicting)
    assert "forældrene altid inddrages" in response.json()["errors"][0]["message"]


def test_the_optional_rule_hints_the_leader_after_two_marks_not_thriving(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    put_record(client, "wellbeing", child.id, mark(round_id, "extra_attention"))
    login(client, "dagplejer-b")
    put_record(client, "wellbeing", child.id, mark(round_id, "concern"))
    assert _tasks(db, "parent_involvement_hint") == []  # the rule is off by default

    _set_settings(db, parent_involvement_hint=True)
    other = children_of_unit(db, CM)[1]
    put_record(client, "wellbeing", other.id, mark(round_id, "concern"))
    assert _tasks(db, "parent_involvement_hint") == []  # one mark is not enough
    login(client, "demo-dagplejer")
    put_record(client, "wellbeing", other.id, mark(round_id, "extra_attention"))
    [hint] = _tasks(db, "parent_involvement_hint")
    assert (hint.child_id, hint.assignee_id) == (other.id, None)
    login(client, "demo-leder")
    titles = [t["title"] for t in client.get("/api/tasks").json()]
    assert "Overvej at inddrage forældrene: Efterår 2026" in titles


def test_a_dialogue_meeting_held_closes_the_task(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejepaedagog")
    put_record(client, "wellbeing", child.id, joint(round_id, "extra_attention"))
    [task] = _tasks(db, "dialogue_meeting")
    unit_id = unit_named(db, CM).id
    closer = user_named(db, "demo-dagplejepaedagog").id
    assert (
        dialogue_meeting_held(
            db, child_id=child.id, unit_id=unit_id, held_on=today() - timedelta(days=1), closed_by=closer
        )
        == 0
    )
    assert (
        dialogue_meeting_held(db, child_id=child.id, unit_id=unit_id, held_on=today(), closed_by=closer) == 1
    )
    db.commit()
    db.expire_all()
    assert db.get(Task, task.id).status == "done"


# --- History on the child's page --------------------------------------------------------------


def test_the_childs_page_shows_joint_positions_across_rounds(client, round_id, db) -> None:
    earlier = add_round(
        db, CM, today() - timedelta(days=200), today() - timedelta(days=170), name="Forår 2026"
    )
    child = _child(db)
    login(client, "demo-dagplejepaedagog")
    # The earlier joint assessment is written now (joint assessments may follow a closed round).
    assert put_record(client, "wellbeing", child.id, joint(earlier, "extra_attention")).status_code == 201
    assert put_record(client, "wellbeing", child.id, joint(round_id, "thriving")).status_code == 201
    page = client.get(f"/children/{child.id}").text
    assert "Trivsel over tid" in page
    table = page[page.index('class="wellbeing-history"') :]
    assert table.index("Efterår 2026") < table.index("Forår 2026")  # newest first
    assert "↑ bedre" in table
    assert 'role="img"' in page and "Forår 2026: Ekstra opmærksomhed; Efterår 2026: Trivsel" in page


def test_individual_marks_alone_make_no_history(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    put_record(client, "wellbeing", child.id, mark(round_id, "concern"))
    page = client.get(f"/children/{child.id}").text
    assert "Trivsel over tid" not in page
    assert "Individuel vurdering" in page  # on the timeline, for the unit's staff


def test_a_joint_assessment_view_says_what_is_parent_facing(client, round_id, db) -> None:
    child = _child(db)
    login(client, "demo-dagplejer")
    individual = put_record(client, "wellbeing", child.id, mark(round_id)).json()["id"]
    login(client, "demo-dagplejepaedagog")
    shared = put_record(client, "wellbeing", child.id, joint(round_id, "extra_attention")).json()["id"]
    assert "Vises ikke for forældrene" in client.get(f"/records/{individual}").text
    page = client.get(f"/records/{shared}").text
    # 296c113 said the follow-up plainly: "Opgave oprettet: dialogmøde med forældrene senest <dato>."
    assert "Fælles beskrivelse til forældrene" in page
    assert "<strong>Opgave oprettet:</strong> dialogmøde med forældrene senest" in page
