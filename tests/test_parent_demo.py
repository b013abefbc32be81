"""The demo municipality has parents taking part (issue 15): a transition description waiting
for the parents' part (an open invitation, unanswered for more than a week, with the follow-up
task), and a dialogue meeting whose preparation came back in the parents' own words."""

from __future__ import annotations

from sqlmodel import select

from backend.domain import parents as rules
from backend.parents.models import ParentInvitation
from backend.parents.service import state_of
from backend.records.models import Record, Task
from tests.support import login, user_named

SUPERVISOR = "demo-dagplejepaedagog"


def test_the_demo_has_a_transition_waiting_for_the_parents_part(demo_full, db, client) -> None:
    invitations = db.exec(select(ParentInvitation)).all()
    waiting = [i for i in invitations if i.part == "transition_parents_part"]
    assert len(waiting) == 1 and state_of(waiting[0]) == rules.STATE_OPEN
    record = db.get(Record, waiting[0].record_id)
    assert record.type == "transition" and not record.data.get("parents_words")
    task = db.exec(select(Task).where(Task.key == f"parent_answer_waiting:{waiting[0].id}")).one()
    assert task.status == "open" and task.assignee_id == user_named(db, SUPERVISOR).id
    login(client, SUPERVISOR)
    today_page = client.get("/").text
    assert 'id="parents-heading"' in today_page and "over en uge" in today_page
    assert "Forældrene har ikke svaret på invitationen" in today_page


def test_the_demo_has_a_dialogue_meeting_prepared_by_the_parents(demo_full, db, client) -> None:
    [answered] = [i for i in db.exec(select(ParentInvitation)) if i.part == "meeting_preparation"]
    assert state_of(answered) == rules.STATE_USED
    meeting = db.get(Record, answered.record_id)
    assert meeting.type == "dialogue_meeting"
    [words] = meeting.data["parents_words"]
    assert words["guardian_id"] == answered.guardian_id and set(words["answers"]) == {
        "everyday_life",
        "topics",
        "participants",
    }
    login(client, SUPERVISOR)
    child_page = client.get(f"/children/{meeting.child_id}").text
    section = child_page.split('id="child-parents-heading"')[1].split("</section>")[0]
    assert "Forberedelse til dialogmødet" in section and "svar modtaget" in section
