"""A forum world for the tests: Børnehuset Solsikken's resource team with a partner member,
meetings, and children with and without the parents' consent (domain §11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import uuid4

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.passwords import hash_password
from backend.auth.policy import load_scope
from backend.domain.dates import today
from backend.forums.service import NewMember, create_forum, plan_meeting
from backend.people.forum_models import ForumCase, ForumMeeting
from backend.people.models import Guardian, Role, RoleAssignment, User
from backend.records.models import Record
from tests.support import children_of_unit, give_totp, unit_named


@dataclass
class ForumWorld:
    forum_id: str
    meeting_id: str
    partner_secret: str
    leader_id: str
    children: list[str]


def user_named(db: Session, username: str) -> User:
    return db.exec(select(User).where(User.username == username)).one()


_DECISIONS = iter(range(1, 10_000))


def give_forum_consent(
    db: Session, child_id: str, scope_id: str, unit_id: str, author_id: str, state: str = "given"
):
    guardian = db.exec(select(Guardian).where(Guardian.child_id == child_id)).first()
    record = Record(
        id=str(uuid4()),
        type="consent",
        child_id=child_id,
        unit_id=unit_id,
        author_id=author_id,
        updated_by_id=author_id,
        status="final",
        data={
            "kind": "meeting",
            "scope": scope_id,
            "state": state,
            "guardian": guardian.id,
            # Each decision a minute after the one before, so the latest is unambiguous.
            "decided_at": (
                datetime.now().replace(microsecond=0)
                - timedelta(hours=2)
                + timedelta(minutes=next(_DECISIONS))
            ).isoformat(),
            "evidence": {"typed_name": guardian.name},
        },
    )
    db.add(record)
    db.flush()
    return record


def forum_world(db: Session) -> ForumWorld:
    unit = unit_named(db, "Børnehuset Solsikken")
    leader = user_named(db, "demo-leder")
    partner = User(
        municipality_id=unit.municipality_id,
        username="raadgiver-test",
        display_name="Rikke Rådgiver",
        password_hash=hash_password("demo"),
    )
    db.add(partner)
    db.flush()
    db.add(RoleAssignment(user_id=partner.id, role=Role.partner, unit_id=unit.id))
    db.flush()
    audit = AuditTrail(actor_id=leader.id)
    scope = load_scope(db, leader)
    forum = create_forum(
        db,
        scope,
        audit,
        name="Ressourceteam Solsikken",
        kind="resource_team",
        unit_ids=[unit.id],
        members=[NewMember(partner.id, "partner", "Forebyggende rådgiver")],
    )
    meeting = plan_meeting(db, scope, audit, forum.id, today() + timedelta(days=7), "Personalestuen", today())
    children = [c.id for c in children_of_unit(db, "Børnehuset Solsikken")[:4]]
    db.commit()
    secret = give_totp(db, partner.id)
    return ForumWorld(forum.id, meeting.id, secret, leader.id, children)


def past_meeting(db: Session, forum_id: str, held_on: date, created_by_id: str) -> str:
    meeting = ForumMeeting(
        forum_id=forum_id, held_on=held_on, place="", status="held", created_by_id=created_by_id
    )
    db.add(meeting)
    db.flush()
    return meeting.id


def shared_case(
    db: Session, meeting_id: str, child_id: str, unit_id: str, by: str, shared: bool = True
) -> str:
    """A named case put straight into the table (the tests of the access policy need old meetings),
    resting on the parents' consent to the forum as a case added through the agenda does."""
    meeting = db.get(ForumMeeting, meeting_id)
    consent = give_forum_consent(db, child_id, meeting.forum_id, unit_id, by)
    case = ForumCase(
        consent_id=consent.id,
        meeting_id=meeting_id,
        child_id=child_id,
        unit_id=unit_id,
        preparation={"question": "Hvordan støtter vi legen?"},
        shared_at=datetime.now().astimezone() if shared else None,
        created_by_id=by,
    )
    db.add(case)
    db.flush()
    return case.id
