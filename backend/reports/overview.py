"""The leader overview of a unit and a round, and the same figures for many units at once.

`unit_figures` turns the facts of one unit into its figures; the unit overview (leaders) shows
them with the named children, the municipality report (admins) shows counts and shares only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from backend.domain import overview as rules
from backend.domain import schedules
from backend.domain.settings import POSITIONS, MunicipalSettings
from backend.domain.wellbeing import AREAS, DECISIONS
from backend.people.models import Unit, UnitKind
from backend.records.models import EvaluationRound, Task
from backend.records.tasks import task_title
from backend.reports.facts import ChildFacts, Facts, load_facts, unit_rounds

NO_ROOM = ""
NO_ONE = ""


@dataclass
class Progress:
    """Children counted and those with a final joint assessment (per room or professional)."""

    children: int = 0
    assessed: int = 0

    @property
    def share(self) -> int | None:
        return rules.share(self.assessed, self.children)


@dataclass(frozen=True)
class NamedChild:
    id: str
    name: str
    position: str
    decision: str
    next_step: str
    next_due_on: date | None
    overdue: bool


@dataclass(frozen=True)
class OverdueScreening:
    id: str
    name: str
    occasion: str
    due_on: date


@dataclass
class PersonFollowUp:
    name: str
    follow_up: rules.FollowUp = field(default_factory=rules.FollowUp)


@dataclass
class UnitFigures:
    unit: Unit
    round: EvaluationRound | None
    previous: EvaluationRound | None
    first: date
    last: date
    progress: Progress = field(default_factory=Progress)
    joined: int = 0
    left_counted: int = 0
    left_uncounted: int = 0
    by_room: dict[str, Progress] = field(default_factory=lambda: defaultdict(Progress))
    by_person: dict[str, Progress] = field(default_factory=lambda: defaultdict(Progress))
    positions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POSITIONS, 0))
    areas: dict[str, dict[str, int]] = field(default_factory=dict)
    movement: dict[str, dict[str, int]] = field(default_factory=dict)
    compared: int = 0  # children with a joint position in both rounds
    named: list[NamedChild] = field(default_factory=list)
    adbb: rules.AdbbFigures = field(default_factory=rules.AdbbFigures)
    adbb_overdue: list[OverdueScreening] = field(default_factory=list)
    transitions: rules.TransitionFigures = field(default_factory=rules.TransitionFigures)
    follow_up: dict[str, PersonFollowUp] = field(default_factory=dict)
    #: Per forum the unit brings cases to: discussed, paths chosen, follow-ups on time.
    forums: list = field(default_factory=list)

    @property
    def is_district(self) -> bool:
        return self.unit.kind == UnitKind.health_visiting

    @property
    def follow_up_total(self) -> rules.FollowUp:
        total = rules.FollowUp()
        for person in self.follow_up.values():
            for kind in rules.FOLLOW_UP_KINDS:
                total.open[kind] += person.follow_up.open[kind]
                total.overdue[kind] += person.follow_up.overdue[kind]
        return total


def select_round(
    rounds: list[EvaluationRound], round_id: str | None, on: date
) -> tuple[EvaluationRound | None, EvaluationRound | None]:
    """The chosen round (default: the newest that has opened) and the one before it."""
    ordered = sorted(rounds, key=lambda r: r.opens_on, reverse=True)
    if round_id:
        chosen = next((r for r in ordered if r.id == round_id), None)
    else:
        chosen = next((r for r in ordered if r.opens_on <= on), None)
    if chosen is None:
        return None, None
    previous = next((r for r in ordered if r.opens_on < chosen.opens_on), None)
    return chosen, previous


def period_end(chosen: EvaluationRound | None, on: date) -> date:
    return rules.reference_day(chosen.opens_on, chosen.closes_on, on) if chosen else on


def unit_figures(
    facts: Facts,
    unit: Unit,
    chosen: EvaluationRound | None,
    previous: EvaluationRound | None,
    on: date,
    settings: MunicipalSettings,
    age_band: str | None = None,
    *,
    named: bool = False,
) -> UnitFigures:
    """Every figure of one unit; `named` adds the children in extra attention or concern and the
    overdue screenings by name (for the unit's leaders only)."""
    last = period_end(chosen, on)
    first = last - rules.LOOK_BACK
    figures = UnitFigures(unit, chosen, previous, first, last)
    children = [c for c in facts.by_unit.get(unit.id, []) if rules.in_age_band(c.birth_date, last, age_band)]
    if chosen is not None:
        _wellbeing(figures, facts, children, chosen, previous, on, named)
    if figures.is_district:
        _adbb(figures, facts, children, on, settings, named)
    _transitions(figures, facts, children, age_band)
    _follow_up(figures, facts, children, on, age_band)
    return figures


def _wellbeing(
    figures: UnitFigures,
    facts: Facts,
    children: list[ChildFacts],
    chosen: EvaluationRound,
    previous: EvaluationRound | None,
    on: date,
    named: bool,
) -> None:
    unit_id = figures.unit.id
    current: dict[str, str] = {}
    joints = []
    for child in children:
        joint = facts.joints.get((chosen.id, child.id))
        member = rules.membership(
            child.stays[unit_id], chosen.opens_on, chosen.closes_on, on, joint is not None
        )
        if not member.in_round:
            continue
        figures.joined += int(member.joined and member.counted)
        if member.left:
            figures.left_counted += int(member.counted)
            figures.left_uncounted += int(not member.counted)
        if not member.counted:
            continue
        responsible = facts.responsible.get((unit_id, child.id), (NO_ONE, NO_ONE))[1]
        room = facts.rooms.get(member.room_id or "", NO_ROOM)
        for progress in (figures.progress, figures.by_room[room], figures.by_person[responsible]):
            progress.children += 1
            progress.assessed += int(joint is not None)
        if joint is None:
            continue
        joints.append(joint)
        if joint.get("overall") in POSITIONS:
            current[child.id] = joint["overall"]
    figures.positions = rules.distribution(current.values())
    figures.areas = rules.area_distributions(joints)
    earlier = (
        {
            c: facts.joints[(previous.id, c)].get("overall")
            for c in current
            if (previous.id, c) in facts.joints
        }
        if previous
        else {}
    )
    figures.movement = rules.movement(earlier, current)
    figures.compared = sum(sum(row.values()) for row in figures.movement.values())
    if named:
        figures.named = _named(facts, children, current, chosen, unit_id, on)


def _named(
    facts: Facts,
    children: list[ChildFacts],
    current: dict[str, str],
    chosen: EvaluationRound,
    unit_id: str,
    on: date,
) -> list[NamedChild]:
    tasks: dict[str, list[Task]] = defaultdict(list)
    for task, _name in facts.open_tasks:
        if task.unit_id == unit_id and task.child_id:
            tasks[task.child_id].append(task)
    rows = []
    for child in children:
        position = current.get(child.id)
        if position not in ("extra_attention", "concern"):
            continue
        joint = facts.joints[(chosen.id, child.id)]
        open_tasks = sorted(tasks.get(child.id, []), key=lambda t: t.due_on)
        nearest = open_tasks[0] if open_tasks else None
        rows.append(
            NamedChild(
                id=child.id,
                name=child.name,
                position=position,
                decision=DECISIONS.get(joint.get("decision") or "", ""),
                next_step=task_title(nearest) if nearest else "",
                next_due_on=nearest.due_on if nearest else None,
                overdue=any(t.due_on < on and t.status == "open" for t in open_tasks),
            )
        )
    severity = {"concern": 0, "extra_attention": 1}
    return sorted(rows, key=lambda r: (severity[r.position], not r.overdue, r.name))


def _adbb(
    figures: UnitFigures,
    facts: Facts,
    children: list[ChildFacts],
    on: date,
    settings: MunicipalSettings,
    named: bool,
) -> None:
    unit_id = figures.unit.id
    for child in children:
        stays = child.stays[unit_id]
        if not any(s.overlaps(figures.first, figures.last) for s in stays):
            continue
        screenings = facts.screenings.get((unit_id, child.id), [])
        figures.adbb.add(
            rules.adbb_figures(child.birth_date, screenings, figures.first, figures.last, settings)
        )
        if named and any(s.holds_on(on) for s in stays):
            for due in schedules.adbb_screenings_due(child.birth_date, on, settings, screenings):
                if due.overdue(on):
                    occasion = due.kind.removeprefix("adbb_")
                    figures.adbb_overdue.append(OverdueScreening(child.id, child.name, occasion, due.due_on))
    figures.adbb_overdue.sort(key=lambda s: (s.due_on, s.name))


def _transitions(
    figures: UnitFigures, facts: Facts, children: list[ChildFacts], age_band: str | None
) -> None:
    """Transitions out of the unit starting in the period or the half-year after it (planned
    moves count: is the description ready?), and evaluations due in the period of children who
    came to the unit."""
    unit_id = figures.unit.id
    allowed = {c.id for c in children} if age_band else None
    for fact in facts.transitions:
        if allowed is not None and fact.child_id not in allowed:
            continue
        if fact.from_unit_id == unit_id and figures.first <= fact.starts_on <= figures.last + rules.LOOK_BACK:
            figures.transitions.add(
                rules.outgoing_figures(fact.starts_on, fact.consent_state, fact.first_final_on)
            )
        if fact.to_unit_id == unit_id and unit_id in fact.evaluated_on:
            evaluated = fact.evaluated_on[unit_id]
            figures.transitions.add(
                rules.evaluation_figures(fact.starts_on, evaluated, figures.first, figures.last)
            )


def _follow_up(
    figures: UnitFigures, facts: Facts, children: list[ChildFacts], on: date, age_band: str | None
) -> None:
    """Open agreements and trial actions per person today (children still in the unit)."""
    unit_id = figures.unit.id
    placed = {c.id for c in children if any(s.holds_on(on) for s in c.stays[unit_id])}
    for task, assignee in facts.open_tasks:
        if task.unit_id != unit_id or task.kind not in rules.FOLLOW_UP_KINDS or task.status != "open":
            continue
        if (task.child_id is None and age_band) or (
            task.child_id is not None and task.child_id not in placed
        ):
            continue
        key = task.assignee_id or NO_ONE
        person = figures.follow_up.setdefault(key, PersonFollowUp(assignee or NO_ONE))
        person.follow_up.count(task.kind, task.due_on, on)


# --- Entry points -------------------------------------------------------------------------------


def unit_overview(
    db: Session, unit: Unit, round_id: str | None, on: date, settings: MunicipalSettings, age_band: str | None
) -> tuple[UnitFigures, list[EvaluationRound]]:
    """The overview of one unit (for its leaders), with its rounds for the round filter."""
    rounds = unit_rounds(db, {unit.id}).get(unit.id, [])
    chosen, previous = select_round(rounds, round_id, on)
    last = period_end(chosen, on)
    first = min([last - rules.LOOK_BACK] + ([chosen.opens_on] if chosen else []))
    round_ids = {r.id for r in (chosen, previous) if r is not None}
    facts = load_facts(db, [unit], round_ids, first, max(last, on))
    return unit_figures(facts, unit, chosen, previous, on, settings, age_band, named=True), rounds


def many_units(
    db: Session, units: list[Unit], on: date, settings: MunicipalSettings, age_band: str | None
) -> list[UnitFigures]:
    """The figures of many units (each at its newest round opened by `on`), without names."""
    return many_units_by_band(db, units, on, settings, (age_band,))[age_band]


def many_units_by_band(
    db: Session, units: list[Unit], on: date, settings: MunicipalSettings, bands: tuple[str | None, ...]
) -> dict[str | None, list[UnitFigures]]:
    """`many_units` for several age bands (None: every age) from one load of the facts."""
    rounds = unit_rounds(db, {u.id for u in units})
    chosen = {u.id: select_round(rounds.get(u.id, []), None, on) for u in units}
    first = on - rules.LOOK_BACK
    round_ids = set()
    for current, previous in chosen.values():
        round_ids.update(r.id for r in (current, previous) if r is not None)
        if current is not None:
            first = min(first, current.opens_on)
    facts = load_facts(db, units, round_ids, first, on)
    return {
        band: [unit_figures(facts, u, *chosen[u.id], on, settings, band) for u in units] for band in bands
    }


AREA_KEYS = tuple(AREAS)
