"""Demo transition descriptions: one handed over with consent, one refused, one in draft."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import select

from backend.people.models import Child, Guardian
from backend.records.demo import DemoWorld

SUPERVISOR = "demo-dagplejepaedagog"
HEALTH_VISITOR = "demo-sundhedsplejerske"


def load(world: DemoWorld) -> None:
    childminding = world.children["cm"]  # youngest first: the oldest are the next to move
    consented = _description(world, childminding[-1], "thriving", days_to_start=21)
    _decide(world, consented, childminding[-1], "given", days_ago=2)
    refused = _description(world, childminding[-2], "extra_attention", days_to_start=35)
    _decide(world, refused, childminding[-2], "refused", days_ago=1)
    _draft_from_health_visiting(world, world.children["hv"][-1])
    world.records["transitions"] = {"consented": consented, "refused": refused}


def _description(world: DemoWorld, child: Child, position: str, days_to_start: int):
    first_name = child.name.split()[0]
    return world.save_as(
        SUPERVISOR,
        "transition",
        child,
        {
            "to_unit_id": world.units["inst"].id,
            "starts_on": (world.today + timedelta(days=days_to_start)).isoformat(),
            "parents_part": {
                "about_child": f"{first_name} leger gerne udenfor og hjælper til i køkkenet.",
                "what_helps": "Et fast godnatkram og at få at vide, hvad der skal ske bagefter.",
                "wishes_worries": "Vi håber, at der bliver tid til at falde til i de første uger.",
                "child_thoughts": "Glæder sig til at se rutsjebanen i den store have.",
            },
            "professional_part": {
                "strengths": "Nysgerrig, tager initiativ til lege og er god til at vente på tur.",
                "what_helps": "Korte beskeder og en voksen, der viser vej i nye situationer.",
                "latest_position": position,
                "latest_summary": "Barnet trives i gruppen og har gode venskaber."
                if position == "thriving"
                else "Barnet har brug for ekstra tid og støtte, når dagen skifter.",
                "support": "Billeder af dagens program i dagplejen.",
                "attention_points": "Afskeden om morgenen kan være svær de første dage.",
            },
            "learning_competences": {"curiosity": "Stiller mange spørgsmål og vil gerne prøve selv."},
            "visit": {
                "visited_on": (world.today - timedelta(days=5)).isoformat(),
                "attendees": "Mor, far, dagplejer og pædagog fra Børnehuset Solsikken",
                "notes": "Forældrene fortalte om barnets dag; vi aftalte en kort første uge.",
            },
        },
    )


def _decide(world: DemoWorld, description, child: Child, state: str, days_ago: int) -> None:
    guardian = world.db.exec(select(Guardian).where(Guardian.child_id == child.id)).first()
    decided_at = datetime.combine(world.today - timedelta(days=days_ago), time(14, 0))
    world.save_as(
        SUPERVISOR,
        "consent",
        child,
        {
            "kind": "transition_handover",
            "scope": description.id,
            "state": state,
            "guardian": guardian.id,
            "decided_at": decided_at.isoformat(),
            "witness": world.users[SUPERVISOR].display_name,
            "evidence": {"typed_name": guardian.name},
        },
    )


def _draft_from_health_visiting(world: DemoWorld, child: Child) -> None:
    world.save_as(
        HEALTH_VISITOR,
        "transition",
        child,
        {
            "to_unit_id": world.units["cm"].id,
            "parents_part": {"about_child": "Sover godt om formiddagen og er vild med sange med fagter."},
            "professional_part": {"strengths": "God kontakt og søger trøst hos sine forældre."},
        },
        status="draft",
    )
