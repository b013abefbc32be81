"""Demo data for the leader overview: an older, closed well-being round (a year ago) in the
childminding group and the institution, so the overview shows movement between two closed
rounds as well as from the last closed round to the current one.

Like the wellbeing loader, the round is opened around today (the write path refuses marks in a
closed round), marked, and then moved back to its real dates.
"""

from __future__ import annotations

from backend.records.demo import DemoWorld
from backend.records.demo_loaders.wellbeing import past_round

T, E, C = "thriving", "extra_attention", "concern"

#: The year-old round's joint overall, by child index (youngest first); the wellbeing loader's
#: plan gives the half-year-old round's, so some children move and some stay.
OLDER = [E, C, T, C, E, T, T, E]


def load(world: DemoWorld) -> None:
    past_round(
        world,
        "cm",
        ["demo-dagplejer"],
        "demo-dagplejepaedagog",
        days_ago=365,
        overalls=OLDER,
        marked_days_ago=2,
    )
    past_round(
        world, "inst", ["demo-paedagog"], "demo-paedagog", days_ago=365, overalls=OLDER, marked_days_ago=2
    )
