"""Forums (domain §11): consent gating of named cases, anonymous cases, the preparation form
and `GET /api/forums`."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import text
from sqlmodel import select

from backend.audit import AuditTrail
from backend.auth.policy import load_scope
from backend.domain.dates import today
from backend.forums.service import (
    ForumError,
    add_anonymous_case,
    add_named_case,
    save_preparation,
    share_preparation,
)
from backend.people.forum_models import ForumCase, ForumMeeting
from tests.forum_support import forum_world, give_forum_consent, user_named
from tests.support import login, unit_named


@pytest.fixture
def world(db, demo):
    return forum_world(db)


def _leader(db):
    leader = user_named(db, "demo-leder")
    return load_scope(db, leader), AuditTrail(actor_id=leader.id)


def test_a_named_case_needs_the_parents_consent_to_this_forum(db, world) -> None:
    scope, audit = _leader(db)
    unit_id = unit_named(db, "Børnehuset Solsikken").id
    child = world.children[0]
    with pytest.raises(ForumError) as refused:
        add_named_case(db, scope, audit, world.meeting_id, child, today())
    assert refused.value.code == "consent" and "samtykke" in refused.value.message
    # A consent to another forum, or a refusal, does not open the door either.
    give_forum_consent(db, child, "00000000-0000-4000-8000-000000000000", unit_id, world.leader_id)
    give_forum_consent(db, child, world.forum_id, unit_id, world.leader_id, state="refused")
    with pytest.raises(ForumError):
        add_named_case(db, scope, audit, world.meeting_id, child, today())
    consent = give_forum_consent(db, child, world.forum_id, unit_id, world.leader_id)
    case = add_named_case(db, scope, audit, world.meeting_id, child, today())
    assert case.child_id == child and case.consent_id == consent.id
    assert db.exec(select(ForumCase).where(ForumCase.meeting_id == world.meeting_id)).all() == [case]


def test_a_withdrawn_consent_refuses_the_case(db, world) -> None:
    scope, audit = _leader(db)
    unit_id = unit_named(db, "Børnehuset Solsikken").id
    child = world.children[1]
    give_forum_consent(db, child, world.forum_id, unit_id, world.leader_id)
    give_forum_consent(db, child, world.forum_id, unit_id, world.leader_id, state="withdrawn")
    with pytest.raises(ForumError) as refused:
        add_named_case(db, scope, audit, world.meeting_id, child, today())
    assert refused.value.code == "consent"


def test_a_child_outside_the_forums_units_cannot_be_named(db, world) -> None:
    scope, audit = _leader(db)
    hv_child = db.exec(
        text(
            "select p.child_id from placement p join unit u on u.id = p.unit_id "
            "where u.name = 'Sundhedsplejen Nord' and p.ends_on is null"
        )
    ).first()[0]
    give_forum_consent(
        db, hv_child, world.forum_id, unit_named(db, "Sundhedsplejen Nord").id, world.leader_id
    )
    with pytest.raises(ForumError) as refused:
        add_named_case(db, scope, audit, world.meeting_id, hv_child, today())
    assert refused.value.field == "child_id" and refused.value.code != "consent"


def test_an_anonymous_case_stores_no_child_id(db, world) -> None:
    scope, audit = _leader(db)
    case = add_anonymous_case(
        db, scope, audit, world.meeting_id, "3-6", "En pige på fire år trækker sig fra legen."
    )
    db.commit()
    row = db.exec(
        text("select child_id, consent_id, age_band, description from forum_case where id = :id"),
        params={"id": case.id},
    ).one()
    assert row[0] is None and row[1] is None
    assert row[2] == "3-6" and row[3].startswith("En pige")
    with pytest.raises(ForumError) as refused:
        add_anonymous_case(db, scope, audit, world.meeting_id, "", "x")
    assert refused.value.field == "age_band"
    with pytest.raises(ForumError) as empty:
        add_anonymous_case(db, scope, audit, world.meeting_id, "1-3", "   ")
    assert empty.value.field == "description"


def test_the_preparation_pulls_in_positions_and_must_have_a_question_to_be_shared(db, world) -> None:
    scope, audit = _leader(db)
    unit_id = unit_named(db, "Børnehuset Solsikken").id
    child = world.children[0]
    give_forum_consent(db, child, world.forum_id, unit_id, world.leader_id)
    case = add_named_case(db, scope, audit, world.meeting_id, child, today())
    with pytest.raises(ForumError) as no_question:
        share_preparation(db, scope, audit, case.id)
    assert no_question.value.field == "question" and case.shared_at is None
    save_preparation(
        db,
        scope,
        audit,
        case.id,
        {"question": "Hvordan hjælper vi ham ind i legen?", "tried": "Små grupper", "parents_view": "Enige"},
        today(),
    )
    assert case.preparation["question"].startswith("Hvordan") and "positions" in case.preparation
    share_preparation(db, scope, audit, case.id)
    assert case.shared_at is not None
    with pytest.raises(ForumError) as too_long:
        save_preparation(db, scope, audit, case.id, {"question": "x" * 2001}, today())
    assert too_long.value.field == "question"


def test_api_forums_lists_the_callers_forums(client, db, world) -> None:
    code = pyotp.TOTP(world.partner_secret).now()
    login(client, "raadgiver-test", code=code)
    forums = client.get("/api/forums").json()
    assert forums == [
        {
            "id": world.forum_id,
            "name": "Ressourceteam Solsikken",
            "unit_ids": [unit_named(db, "Børnehuset Solsikken").id],
            "next_meeting_on": (today() + timedelta(days=7)).isoformat(),
        }
    ]
    client.cookies.clear()
    login(client, "demo-leder")
    assert [f["id"] for f in client.get("/api/forums").json()] == [world.forum_id]
    client.cookies.clear()
    login(client, "demo-sundhedsplejerske")
    assert client.get("/api/forums").json() == []


def test_next_meeting_skips_past_and_cancelled_meetings(client, db, world) -> None:
    meeting = db.get(ForumMeeting, world.meeting_id)
    meeting.status = "cancelled"
    db.add(meeting)
    db.add(
        ForumMeeting(
            forum_id=world.forum_id, held_on=today() - timedelta(days=3), created_by_id=world.leader_id
        )
    )
    db.commit()
    login(client, "demo-leder")
    assert client.get("/api/forums").json()[0]["next_meeting_on"] is None


def test_single_sign_on_maps_a_group_to_the_partner_role_without_the_units_children(db, demo) -> None:
    from backend.auth.policy import scope_of
    from backend.auth.provisioning import mapped_roles
    from backend.config import get_settings
    from backend.people.models import RoleAssignment, User

    unit_id = unit_named(db, "Børnehuset Solsikken").id
    mapping = mapped_roles(db, get_settings(), ["ppr"], {"ppr": [{"role": "partner", "unit_id": unit_id}]})
    assert mapping.roles == {("partner", unit_id)}
    user = User(municipality_id="m", username="sso-partner", display_name="P")
    scope = scope_of(user, [RoleAssignment(user_id="u", role="partner", unit_id=unit_id)])
    assert scope.is_partner and scope.unit_ids == frozenset()
