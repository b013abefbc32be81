"""Demo well-being rounds: a past and a current round in the childminding group and the
institution, individual marks by two raters, joint assessments and movement between rounds.

The health-visiting district gets no rounds, so a leader can open one there in a demonstration.
Marks go through the write path, which refuses new marks in a closed round: the past round is
therefore opened around today, marked, and then moved back to its real dates.
"""

from __future__ import annotations

from datetime import date, timedelta

from backend.domain import wellbeing
from backend.domain.dates import add_months
from backend.people.models import Child
from backend.records.demo import DemoWorld
from backend.records.kinds.dialogue_meeting import dialogue_meeting_held
from backend.records.models import EvaluationRound
from backend.records.rounds import RoundInput, create_round

T, E, C = "thriving", "extra_attention", "concern"

#: Per child (by index, youngest first): the past round's joint overall, this round's overall,
#: and whether the two raters disagree this round.
PLAN = [(T, T, False), (E, T, False), (T, E, True), (C, E, False), (T, T, False), (E, C, False)]

SUMMARIES = {
    T: "{name} er glad for at komme, leger gerne med de andre og søger de voksne, når noget er svært.",
    E: "{name} har haft svært ved at falde til ro og trækker sig ofte fra legen. Vi vil gerne tale "
    "med jer om, hvordan vi sammen kan hjælpe {name} til mere ro og glæde i hverdagen.",
    C: "{name} virker ofte bekymret og græder meget ved afleveringen. Vi er optaget af, hvordan "
    "{name} har det, og vil gerne mødes med jer hurtigt for at finde ud af, hvad der kan hjælpe.",
}
DECISIONS = {T: "none", E: "dialogue_meeting", C: "action_plan"}
NOTES = {
    E: "Trækker sig fra legen ved samling; søger meget trøst.",
    C: "Græder længe ved aflevering, spiser lidt, virker anspændt.",
}


def _season(day: date) -> str:
    return f"{'Forår' if day.month < 7 else 'Efterår'} {day.year}"


def _positions(overall: str) -> dict:
    areas = {key: T for key in wellbeing.AREAS}
    if overall != T:
        areas["emotional"] = overall
        areas["social"] = E
    data = {"kind": "individual", "areas": areas, "overall": overall}
    if overall in NOTES:
        data["area_notes"] = {"emotional": NOTES[overall]}
    return data


def _neighbour(position: str) -> str:
    return E if position != E else T


def _joint(child: Child, overall: str, round_id: str) -> dict:
    marks = _positions(overall)
    first_name = child.name.split(" ")[0]
    return {
        **marks,
        "kind": "joint",
        "round_id": round_id,
        "summary": SUMMARIES[overall].format(name=first_name),
        "decision": DECISIONS[overall],
    }


def _open(world: DemoWorld, unit_key: str, name: str, opens_on: date, leader: str) -> EvaluationRound:
    weeks = world.actor(leader).municipal.round_window_weeks
    closes_on = wellbeing.default_closes_on(opens_on, weeks)
    entered = RoundInput(name=name, parsed={"opens_on": opens_on, "closes_on": closes_on})
    return create_round(world.db, world.units[unit_key].id, entered, world.users[leader].id)


def _mark(world: DemoWorld, rater: str, child: Child, overall: str, round_id: str) -> None:
    world.save_as(rater, "wellbeing", child, {**_positions(overall), "round_id": round_id})


def past_round(
    world: DemoWorld,
    unit_key: str,
    raters: list[str],
    coordinator: str,
    *,
    days_ago: int = 182,
    overalls: list[str] | None = None,
    marked_days_ago: int = 1,
) -> None:
    """A closed round that opened `days_ago`, with every rater's marks and a joint assessment per
    child (overall position by child index: `overalls`, else the plan's)."""
    overalls = overalls or [plan[0] for plan in PLAN]
    real_opens = world.today - timedelta(days=days_ago)
    # Opened `marked_days_ago` (the write path refuses marks in a closed round), then moved to its
    # real dates below.
    evaluation_round = _open(
        world, unit_key, _season(real_opens), world.today - timedelta(days=marked_days_ago), "demo-leder"
    )
    for index, child in enumerate(world.children[unit_key]):
        if add_months(child.birth_date, 10) > real_opens:
            continue  # not yet in the unit at the time
        overall = overalls[index % len(overalls)]
        for rater in raters:
            _mark(world, rater, child, overall, evaluation_round.id)
        world.save_as(coordinator, "wellbeing", child, _joint(child, overall, evaluation_round.id))
        # The dialogue meetings of the past round were held (their minutes are not part of this demo).
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


def _current_round(world: DemoWorld, unit_key: str, raters: list[str], coordinator: str) -> None:
    opens_on = world.today - timedelta(days=10)
    evaluation_round = _open(world, unit_key, _season(world.today), opens_on, "demo-leder")
    children = world.children[unit_key]
    for index, child in enumerate(children):
        _past, overall, disagree = PLAN[index % len(PLAN)]
        for number, rater in enumerate(raters):
            if index >= len(children) - 2 - number:
                continue  # not everyone has marked yet
            given = _neighbour(overall) if disagree and number == 1 else overall
            _mark(world, rater, child, given, evaluation_round.id)
        if index in (1, 3, 5):
            world.save_as(coordinator, "wellbeing", child, _joint(child, overall, evaluation_round.id))


def load(world: DemoWorld) -> None:
    childminders = ["demo-dagplejer", "demo-dagplejer-2"]
    past_round(world, "cm", childminders, "demo-dagplejepaedagog")
    _current_round(world, "cm", childminders, "demo-dagplejepaedagog")
    past_round(world, "inst", ["demo-paedagog"], "demo-paedagog")
    _current_round(world, "inst", ["demo-paedagog"], "demo-paedagog")
