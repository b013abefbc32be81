"""Demo data for parents taking part (issue 15), loaded by `opspor demo-data` after the records
(listed in `backend/records/demo.py`'s LOADERS), through the same service as a real invitation.

Dagplejen Syd's supervisor has
- a transition description waiting for the parents' part: the invitation went to a guardian
  eight days ago and is not answered, so "I dag" shows it waiting and the due-work job gives the
  supervisor a task to follow up;
- a planned dialogue meeting whose invitation came back: the parents' preparation, in their words.

Nobody knows these demo links' tokens or codes (only their hashes are stored): to try the
parents' pages, make a new invitation from a record's "Inviter forældrene" screen.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlmodel import select

from backend.audit import AuditTrail
from backend.config import get_settings
from backend.domain import parents as rules
from backend.parents.models import ParentInvitation
from backend.parents.service import invite_parent, submit_answers
from backend.people.models import Child, Guardian
from backend.records.demo import DemoWorld

SUPERVISOR = "demo-dagplejepaedagog"


def load(world: DemoWorld) -> None:
    childminding = world.children["cm"]  # youngest first
    _transition_waiting(world, childminding[-3])
    _meeting_prepared_by_parents(world, childminding[5])


def _guardian(world: DemoWorld, child: Child) -> Guardian:
    return world.db.exec(
        select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.name)
    ).first()


def _invite(
    world: DemoWorld, record_id: str, guardian: Guardian, part: str, days_ago: int
) -> ParentInvitation:
    actor = world.actor(SUPERVISOR)
    body = {"record_id": record_id, "part": part, "guardian_id": guardian.id}
    result = invite_parent(actor, get_settings().base_url, body)
    if result.status != 201 or result.invitation is None:
        raise RuntimeError(f"demo invitation refused: {result.status} {result.detail} {result.errors}")
    invitation = result.invitation
    invitation.created_at = datetime.combine(world.today - timedelta(days=days_ago), time(9), tzinfo=UTC)
    invitation.expires_at = rules.expires_at(invitation.created_at)
    world.db.add(invitation)
    actor.audit.flush(world.db)
    return invitation


def _transition_waiting(world: DemoWorld, child: Child) -> None:
    description = world.save_as(
        SUPERVISOR,
        "transition",
        child,
        {
            "to_unit_id": world.units["inst"].id,
            "starts_on": (world.today + timedelta(days=45)).isoformat(),
            "professional_part": {
                "strengths": "Glad for at synge og god til at finde en ven at lege med.",
                "what_helps": "At få at vide, hvad der skal ske, før det sker.",
            },
        },
        status="draft",
    )
    _invite(world, description.id, _guardian(world, child), "transition_parents_part", days_ago=8)


def _meeting_prepared_by_parents(world: DemoWorld, child: Child) -> None:
    parents = [
        {"name": g.name, "role": "parent", "organisation": g.relation or "Forælder"}
        for g in world.db.exec(select(Guardian).where(Guardian.child_id == child.id))
    ]
    meeting = world.save_as(
        SUPERVISOR,
        "dialogue_meeting",
        child,
        {
            "planned_on": (world.today + timedelta(days=9)).isoformat(),
            "purpose": "At tale om, hvordan barnet har det med de nye børn i dagplejen.",
            "chair": "Lise Berg",
            "participants": parents,
        },
        status="draft",
    )
    guardian = _guardian(world, child)
    invitation = _invite(world, meeting.id, guardian, "meeting_preparation", days_ago=3)
    answers = {
        "everyday_life": "Hun er glad om morgenen, men træt og lidt ked af det, når vi henter hende.",
        "topics": "Hvordan hun leger med de nye børn, og om hun får sovet nok til middag.",
        "participants": "Gerne både dagplejeren og Lise. Mormor vil også gerne være med.",
    }
    audit = AuditTrail()  # the parent's own action: no staff actor
    result = submit_answers(world.db, audit, invitation, answers)
    if not result.ok:
        raise RuntimeError(f"demo preparation refused: {result.errors}")
    audit.flush(world.db)
