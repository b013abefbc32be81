"""Demo dialogue meetings and professional sparring (fictional), through the write path.

- Børnehuset Solsikken: a held meeting with the parents and agreements shared with them ("What we
  agreed", issue 15); a meeting with a PPR
  psychologist, consented to by a parent; a named reflection (with consent) with trial actions.
- Dagplejen Syd: a held meeting with agreements, one being prepared, and an anonymous reflection.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from sqlmodel import select

from backend.people.models import Child, Guardian
from backend.records.demo import DemoWorld

PEDAGOGUE = "demo-paedagog"
SUPERVISOR = "demo-dagplejepaedagog"


def _day(world: DemoWorld, days: int) -> str:
    return (world.today + timedelta(days=days)).isoformat()


def _guardian(world: DemoWorld, child: Child) -> Guardian:
    return world.db.exec(
        select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.name)
    ).first()


def _consent(world: DemoWorld, username: str, child: Child, kind: str, scope: str, on: date) -> None:
    guardian = _guardian(world, child)
    world.save_as(
        username,
        "consent",
        child,
        {
            "kind": kind,
            "scope": scope,
            "state": "given",
            "guardian": guardian.id,
            "decided_at": f"{on.isoformat()}T09:30:00",
            "evidence": {"typed_name": guardian.name},
        },
    )


def _parents(world: DemoWorld, child: Child) -> list[dict]:
    guardians = world.db.exec(select(Guardian).where(Guardian.child_id == child.id)).all()
    return [{"name": g.name, "role": "parent", "organisation": g.relation or "Forælder"} for g in guardians]


def load(world: DemoWorld) -> None:
    institution, childminding = world.children["inst"], world.children["cm"]
    _institution_meeting(world, institution[-3])
    _meeting_with_ppr(world, institution[-6])
    _childminding_meeting(world, childminding[2])
    _prepared_meeting(world, childminding[4])
    _named_reflection(world, institution[-2])
    _anonymous_reflection(world)


def _institution_meeting(world: DemoWorld, child: Child) -> None:
    world.save_as(
        PEDAGOGUE,
        "dialogue_meeting",
        child,
        {
            "planned_on": _day(world, -21),
            "held_on": _day(world, -21),
            "purpose": "At tale sammen om, hvordan barnet har det i overgangen fra vuggestue til børnehave.",
            "hopes": "At vi får en fælles forståelse af, hvad der hjælper om morgenen.",
            "chair": "Jonas Krogh",
            "participants": [
                *_parents(world, child),
                {"name": "Jonas Krogh", "role": "staff", "organisation": "Pædagog, Regnbuen"},
            ],
            "going_well": "Barnet leger godt med to faste venner og er glad for at male.",
            "challenges": "Afleveringen om morgenen er svær; barnet græder længe efter, at far er gået.",
            "possibilities": "En fast voksen tager imod, og der er et kendt legetøj klar.",
            "agreements": [
                {
                    "what": "Jonas tager imod om morgenen i de næste tre uger.",
                    "who": "Jonas Krogh",
                    "due_on": _day(world, 3),
                },
                {
                    "what": "Far laver en kort, fast afskedsrutine med barnet.",
                    "who": "Far",
                    "due_on": _day(world, -2),
                },
            ],
            "best_today": "At vi kunne grine sammen af historien om regnormen.",
            "next_on": _day(world, 35),
            # "What we agreed" (issue 15): shared with the parents on their own phone.
            "shared_summary": "Vi talte om afleveringen om morgenen. Jonas tager imod jeres barn de "
            "næste tre uger, og far laver en kort, fast afskedsrutine. Vi ses igen om fem uger.",
            "share_with_parents": True,
        },
    )


def _meeting_with_ppr(world: DemoWorld, child: Child) -> None:
    meeting_id = str(uuid4())
    _consent(world, PEDAGOGUE, child, "meeting", meeting_id, world.today - timedelta(days=12))
    world.save_as(
        PEDAGOGUE,
        "dialogue_meeting",
        child,
        {
            "held_on": _day(world, -7),
            "purpose": "At få PPR's blik på barnets sprog og samspil med de andre børn.",
            "chair": "Jonas Krogh",
            "participants": [
                *_parents(world, child),
                {"name": "Jonas Krogh", "role": "staff", "organisation": "Pædagog"},
                {"name": "Sara Holt", "role": "external", "organisation": "PPR, psykolog"},
            ],
            "going_well": "Barnet er nysgerrigt og søger de voksne, når noget er svært.",
            "challenges": "Barnet trækker sig fra leg i store grupper.",
            "possibilities": "Leg i små grupper på tre børn, to gange om ugen.",
            "agreements": [
                {
                    "what": "Leg i små grupper to gange om ugen.",
                    "who": "Jonas Krogh",
                    "due_on": _day(world, 21),
                },
            ],
            "best_today": "Forældrene fortalte om barnets nye interesse for dinosaurer.",
            "next_on": _day(world, 49),
        },
        record_id=meeting_id,
    )


def _childminding_meeting(world: DemoWorld, child: Child) -> None:
    world.save_as(
        SUPERVISOR,
        "dialogue_meeting",
        child,
        {
            "held_on": _day(world, -10),
            "purpose": "At følge op på trivselsvurderingen og barnets søvn i dagplejen.",
            "chair": "Lise Berg",
            "participants": [
                *_parents(world, child),
                {"name": "Karin Madsen", "role": "staff", "organisation": "Dagplejer"},
                {"name": "Lise Berg", "role": "staff", "organisation": "Dagplejepædagog"},
            ],
            "going_well": "Barnet spiser godt og er glad for turene i legestuen.",
            "challenges": "Barnet sover uroligt til middag.",
            "possibilities": "Samme putteritual hjemme og i dagplejen.",
            "agreements": [
                {"what": "Forældrene skriver aftenritualet ned.", "who": "Mor", "due_on": _day(world, 4)},
                {
                    "what": "Karin bruger samme sang ved middagssøvnen.",
                    "who": "Karin Madsen",
                    "due_on": _day(world, -3),
                    "done": True,
                },
            ],
            "best_today": "Et fælles billede af et barn, der har det godt det meste af dagen.",
            "next_on": _day(world, 28),
        },
    )


def _prepared_meeting(world: DemoWorld, child: Child) -> None:
    world.save_as(
        SUPERVISOR,
        "dialogue_meeting",
        child,
        {
            "planned_on": _day(world, 6),
            "purpose": "At tale om barnets sprog og leg med de andre børn.",
            "hopes": "At forældrene fortæller, hvad de ser derhjemme.",
            "chair": "Lise Berg",
            "participants": _parents(world, child),
        },
        status="draft",
    )


def _named_reflection(world: DemoWorld, child: Child) -> None:
    reflection_id = str(uuid4())
    _consent(world, PEDAGOGUE, child, "sparring_case", reflection_id, world.today - timedelta(days=16))
    world.save_as(
        PEDAGOGUE,
        "reflection",
        child,
        {
            "held_on": _day(world, -14),
            "participants": "Pædagogerne i Regnbuen og lederen",
            "situation": "Ved samling slår barnet ud efter de andre børn, når de sidder tæt.",
            "adult_perspective": "Vi har sagt fra og flyttet barnet væk fra kredsen.",
            "child_perspective": "Jeg bliver bange, når der er mange helt tæt på mig, og ingen ser det.",
            "hand_needed": "big",
            "hand_offered": "small",
            "analysis": "Barnet havde brug for tryghed og en voksen tæt på – ikke at klare det selv.",
            "trial_actions": [
                {
                    "what": "En voksen sidder ved siden af barnet til samling.",
                    "follow_up_on": _day(world, -2),
                    "outcome": "Barnet sad roligt med hånden på den voksnes arm.",
                    "made_difference": "yes",
                },
                {"what": "Barnet må vælge sin plads først.", "follow_up_on": _day(world, 10)},
            ],
        },
        record_id=reflection_id,
    )


def _anonymous_reflection(world: DemoWorld) -> None:
    world.save_as(
        SUPERVISOR,
        "reflection",
        None,
        {
            "anonymous": True,
            "age_band": "1-3",
            "held_on": _day(world, -5),
            "participants": "Dagplejerne i legestuegruppen og dagplejepædagogen",
            "situation": "Et barn går fra legen og sætter sig alene, når legestuen bliver larmende.",
            "adult_perspective": "Vi har opmuntret barnet til at gå tilbage til legen.",
            "child_perspective": "Her er for højt. Jeg vil gerne være med, men ikke lige nu.",
            "hand_needed": "both",
            "hand_offered": "small",
            "analysis": "Barnet skal først have ro og tryghed, så kan det selv vælge legen igen.",
            "trial_actions": [
                {"what": "Et roligt hjørne med en voksen i nærheden.", "follow_up_on": _day(world, 3)},
                {"what": "Kortere legestueformiddage i en måned.", "follow_up_on": _day(world, 30)},
            ],
        },
        unit_id=world.units["cm"].id,
    )
