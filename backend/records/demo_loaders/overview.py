"""Demo data for the leader overview: an older, closed well-being round (a year ago) in the
childminding group and the institution, so the overview shows movement between two closed
rounds as well as from the last closed round to the current one.

Like the wellbeing loader, the round is opened around today (the write path refuses marks in a
closed round), marked, and then moved back to its real dates.
"""

from __future__ import annotations

from datetime import timedelta

from backend.domain import wellbeing
from backend.domain.dates import add_months
from backend.records.demo import DemoWorld
from backend.records.demo_loaders.wellbeing import _joint, _mark, _open, _season
from backend.records.kinds.dialogue_meeting import dialogue_meeting_held

T, E, C = "thriving", "extra_attention", "concern"

#: The year-old round's joint overall, by child index (youngest first); the wellbeing loader's
#: plan gives the half-year-old round's, so some children move and some stay.
OLDER = [E, C, T, C, E, T, T, E]


def _older_round(world: DemoWorld, unit_key: str, rater: str, coordinator: str) -> None:
    real_opens = world.today - timedelta(days=365)
    evaluation_round = _open(
        world, unit_key, _season(real_opens), world.today - timedelta(days=2), "demo-leder"
    )
    for index, child in enumerate(world.children[unit_key]):
        if add_months(child.birth_date, 10) > real_opens:
            continue  # not yet in the unit a year ago
        overall = OLDER[index % len(OLDER)]
        _mark(world, rater, child, overall, evaluation_round.id)
        world.save_as(coordinator, "wellbeing", child, _joint(child, overall, evaluation_round.id))
        dialogue_meeting_held(
            world.db,
            child_id=child.id,
            unit_id=world.units[unit_key].id,
            held_on=world.today,
            closed_by=world.users[coordinator].id,
        )
    evaluation_round.opens_on = real_opens
    evaluation_round.closes_on = wellbeing.default_closes_on(real_opens, 5)
    world.db.add(evaluation_round)
    world.db.flush()


def load(world: DemoWorld) -> None:
    _older_round(world, "cm", "demo-dagplejer", "demo-dagplejepaedagog")
    _older_round(world, "inst", "demo-paedagog", "demo-paedagog")
