"""Demo: the schedule-based tasks (ADBB screenings due, rounds, transitions) made right away,
and one recent extra screening over the cut-off, so a follow-up screening is waiting.

Runs last: the other loaders' records decide which screenings are still due. The server's
scheduler keeps the tasks up to date afterwards.
"""

from __future__ import annotations

from datetime import timedelta

from backend.domain.adbb import ITEMS
from backend.records.demo import DemoWorld
from backend.reminders.due_work import materialise_due_work

HEALTH_VISITOR = "demo-sundhedsplejerske"


def load(world: DemoWorld) -> None:
    children = world.children["hv"]
    if len(children) > 6:
        scores = dict.fromkeys(ITEMS, 0) | {"eye_contact": 2, "vocalisation": 2, "relationship": 2}
        world.save_as(
            HEALTH_VISITOR,
            "adbb",
            children[6],
            {
                "screened_on": (world.today - timedelta(days=10)).isoformat(),
                "occasion": "ad_hoc",
                "items": scores,
                "present": "Mor",
                "parent_dialogue": "Mor har også lagt mærke til, at barnet er stille for tiden.",
                "action": "follow_up",
            },
        )
    world.db.flush()
    materialise_due_work(world.db, world.today)
