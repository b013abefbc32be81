"""The demo municipality: idempotent, ~40 children aged 0–6 across the three units."""

from sqlalchemy import func
from sqlmodel import select

from backend.domain.dates import age_in_years, today
from backend.people.demo import DEMO_LOGINS, load_demo_data
from backend.people.models import Child, Guardian, Municipality, User
from tests.support import children_of_unit


def test_demo_data_is_idempotent(db, demo) -> None:
    assert load_demo_data(db) is False
    assert db.exec(select(func.count()).select_from(Municipality)).one() == 1


def test_demo_has_forty_children_aged_zero_to_six_in_every_unit(db, demo) -> None:
    children = db.exec(select(Child)).all()
    assert 38 <= len(children) <= 45
    ages = {age_in_years(child.birth_date, today()) for child in children}
    assert ages == {0, 1, 2, 3, 4, 5, 6}
    for unit in ("Sundhedsplejen Nord", "Dagplejen Syd", "Børnehuset Solsikken"):
        assert len(children_of_unit(db, unit)) >= 8
    assert all(db.exec(select(Guardian).where(Guardian.child_id == c.id)).first() for c in children)


def test_demo_has_the_logins_of_the_contract(db, demo) -> None:
    usernames = {u.username for u in db.exec(select(User).where(User.is_demo)).all()}
    assert {login for login, _name, _label in DEMO_LOGINS} <= usernames
    assert len(DEMO_LOGINS) == 7 and "demo-raadgiver" in usernames


def test_demo_has_a_resource_team_with_a_named_and_an_anonymous_case(client, db, demo_full) -> None:
    from backend.forums.service import forum_consent
    from backend.people.forum_models import Forum, ForumCase, ForumMeeting, ForumMember
    from tests.support import login

    forum = db.exec(select(Forum).where(Forum.kind == "resource_team")).one()
    raadgiver = db.exec(select(User).where(User.username == "demo-raadgiver")).one()
    member = db.exec(select(ForumMember).where(ForumMember.user_id == raadgiver.id)).one()
    assert member.forum_id == forum.id and member.role == "partner"
    meeting = db.exec(select(ForumMeeting).where(ForumMeeting.forum_id == forum.id)).one()
    assert meeting.status == "planned" and meeting.held_on > today()
    cases = db.exec(select(ForumCase).where(ForumCase.meeting_id == meeting.id)).all()
    named = [c for c in cases if c.child_id]
    anonymous = [c for c in cases if c.child_id is None]
    assert len(named) == 1 and len(anonymous) == 1 and anonymous[0].description
    assert forum_consent(db, named[0].child_id, forum, meeting).id == named[0].consent_id
    login(client, "demo-raadgiver")
    assert [c["id"] for c in client.get("/api/children").json()] == [named[0].child_id]
    assert client.get("/api/forums").json()[0]["id"] == forum.id


def test_full_demo_has_records_made_through_the_write_path(db, demo_full) -> None:
    from backend.records.models import Record, RecordVersion, Task

    records = db.exec(select(Record)).all()
    assert {"adbb", "concern_note", "notification"} <= {r.type for r in records}
    assert db.exec(select(func.count()).select_from(RecordVersion)).one() >= len(records)
    assert db.exec(select(Task)).first() is not None  # the rules ran
