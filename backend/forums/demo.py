"""Demo forum (issue 16): Børnehuset Solsikken's resource team with its leader as convener, the
pedagogue and the preventive social worker `demo-raadgiver`; a meeting planned in ten days whose
agenda names a child (the parents' consent recorded through the write path, preparation shared)
and holds an anonymous case."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from backend.forums.service import (
    NewMember,
    add_anonymous_case,
    add_named_case,
    create_forum,
    plan_meeting,
    save_preparation,
    share_preparation,
)
from backend.people.models import Guardian
from backend.records.demo import DemoWorld

LEADER = "demo-leder"
PEDAGOGUE = "demo-paedagog"


def load(world: DemoWorld) -> None:
    leader = world.actor(LEADER)
    forum = create_forum(
        world.db,
        leader.scope,
        leader.audit,
        name="Ressourceteam Børnehuset Solsikken",
        kind="resource_team",
        unit_ids=[world.units["inst"].id],
        members=[
            NewMember(world.users[PEDAGOGUE].id, "internal", "Pædagog"),
            NewMember(world.users["demo-raadgiver"].id, "partner", "Forebyggende rådgiver"),
        ],
    )
    meeting = plan_meeting(
        world.db,
        leader.scope,
        leader.audit,
        forum.id,
        world.today + timedelta(days=10),
        "Personalestuen",
        world.today,
    )
    child = world.children["inst"][2]
    guardian = world.db.exec(
        select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.name)
    ).first()
    world.save_as(
        PEDAGOGUE,
        "consent",
        child,
        {
            "kind": "meeting",
            "scope": forum.id,
            "state": "given",
            "guardian": guardian.id,
            "decided_at": f"{(world.today - timedelta(days=4)).isoformat()}T14:00:00",
            "evidence": {"typed_name": guardian.name},
        },
    )
    pedagogue = world.actor(PEDAGOGUE)
    case = add_named_case(world.db, leader.scope, leader.audit, meeting.id, child.id, world.today)
    save_preparation(
        world.db,
        pedagogue.scope,
        pedagogue.audit,
        case.id,
        {
            "question": "Hvordan kan vi støtte ham i at komme ind i legen med de andre børn?",
            "tried": "Små legegrupper om formiddagen og en fast voksen ved overgange, i seks uger.",
            "parents_view": "Forældrene oplever det samme derhjemme og vil gerne have gode råd.",
        },
        world.today,
    )
    share_preparation(world.db, pedagogue.scope, pedagogue.audit, case.id)
    add_anonymous_case(
        world.db,
        leader.scope,
        leader.audit,
        meeting.id,
        "1-3",
        "En toårig i vuggestuen virker ofte trist og søvnig om morgenen. Vi er usikre på, "
        "om vi skal gå videre med det.",
    )
    leader.audit.flush(world.db)
    pedagogue.audit.flush(world.db)
    world.db.flush()
