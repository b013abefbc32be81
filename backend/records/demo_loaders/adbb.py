"""Demo ADBB screenings, concern notes and a notification for the health-visiting district."""

from __future__ import annotations

from datetime import timedelta

from backend.domain.adbb import ITEMS
from backend.domain.dates import add_months, age_in_months
from backend.records.demo import DemoWorld

HEALTH_VISITOR = "demo-sundhedsplejerske"


def _scores(total: int) -> dict[str, int]:
    scores, left = {}, total
    for key in ITEMS:
        scores[key] = min(4, left)
        left -= scores[key]
    return scores


def load(world: DemoWorld) -> None:
    for index, child in enumerate(world.children["hv"]):
        months = age_in_months(child.birth_date, world.today)
        if months >= 3:
            first_on = add_months(child.birth_date, 2) + timedelta(days=10)
            total = 6 if index % 4 == 1 else index % 4
            world.save_as(
                HEALTH_VISITOR,
                "adbb",
                child,
                {
                    "screened_on": first_on.isoformat(),
                    "occasion": "first",
                    "items": _scores(total),
                    "present": "Mor",
                    "parent_dialogue": "Vi så sammen på barnets kontakt og smil.",
                    "action": "follow_up" if total >= 5 else "none",
                },
            )
            if total >= 5 and months >= 4:
                world.save_as(
                    HEALTH_VISITOR,
                    "adbb",
                    child,
                    {
                        "screened_on": (first_on + timedelta(days=14)).isoformat(),
                        "occasion": "follow_up",
                        "items": _scores(3),
                        "present": "Mor og far",
                        "parent_dialogue": "Kontakten er blevet bedre.",
                        "action": "none",
                    },
                )
        if months >= 9:
            world.save_as(
                HEALTH_VISITOR,
                "adbb",
                child,
                {
                    "screened_on": (add_months(child.birth_date, 8) + timedelta(days=5)).isoformat(),
                    "occasion": "second",
                    "items": _scores(index % 5),
                    "present": "Far",
                    "action": "none",
                },
            )
    children = world.children["hv"]
    world.save_as(
        HEALTH_VISITOR,
        "concern_note",
        children[5],
        {
            "observed_on": (world.today - timedelta(days=3)).isoformat(),
            "text": "Mor fortæller, at hun sover meget lidt og føler sig alene med barnet.",
            "abuse_path": False,
        },
    )
    world.save_as(
        HEALTH_VISITOR,
        "concern_note",
        children[2],
        {"observed_on": world.today.isoformat(), "text": "Endnu ikke færdigskrevet …"},
        status="draft",
    )
    world.save_as(
        HEALTH_VISITOR,
        "notification",
        children[7],
        {
            "sent_on": (world.today - timedelta(days=12)).isoformat(),
            "authority": "Børn og Familie, Demo Kommune",
            "summary": "Underretning om bekymring for forældrenes overskud (fiktiv).",
        },
    )
