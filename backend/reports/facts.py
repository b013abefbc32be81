"""Reading what the overviews need, for any number of units, in a fixed number of queries.

No query runs per child, per round or per unit: every loader takes the whole set of units and
reads with `IN (...)`; grouping happens in Python. The figures are made from these facts by
`backend/reports/overview.py` with the rules in `backend/domain/overview.py`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, select

from backend.domain import overview as rules
from backend.domain.adbb import Screening
from backend.people.models import Caseload, Child, Placement, Room, Unit, User
from backend.records.models import EvaluationRound, Record, RecordVersion, Task

OPEN = ("open", "held")


@dataclass
class ChildFacts:
    id: str
    name: str
    birth_date: date
    stays: dict[str, list[rules.Stay]] = field(default_factory=lambda: defaultdict(list))  # by unit


@dataclass
class TransitionFact:
    id: str
    child_id: str | None
    from_unit_id: str
    to_unit_id: str | None
    starts_on: date
    consent_state: str | None = None
    first_final_on: date | None = None
    evaluated_on: dict[str, date | None] = field(default_factory=dict)  # receiving unit → done on


@dataclass
class Facts:
    children: dict[str, ChildFacts]
    joints: dict[tuple[str, str], dict]  # (round id, child id) → joint assessment data
    rooms: dict[str, str]  # room id → name
    responsible: dict[tuple[str, str], tuple[str, str]]  # (unit id, child id) → (user id, name)
    screenings: dict[tuple[str, str], list[Screening]]  # (unit id, child id) → screenings
    transitions: list[TransitionFact]
    open_tasks: list[tuple[Task, str | None]]  # open or held tasks of the units, with assignee name
    by_unit: dict[str, list[ChildFacts]] = field(default_factory=dict)  # unit id → its children

    def __post_init__(self) -> None:
        by_unit: dict[str, list[ChildFacts]] = defaultdict(list)
        for child in self.children.values():
            for unit_id in child.stays:
                by_unit[unit_id].append(child)
        self.by_unit = by_unit


def unit_rounds(db: Session, unit_ids: set[str]) -> dict[str, list[EvaluationRound]]:
    """Every round of the units, newest first, by unit (one query)."""
    rounds: dict[str, list[EvaluationRound]] = defaultdict(list)
    query = select(EvaluationRound).where(EvaluationRound.unit_id.in_(unit_ids or {""}))
    for evaluation_round in db.exec(query.order_by(EvaluationRound.opens_on.desc())):
        rounds[evaluation_round.unit_id].append(evaluation_round)
    return rounds


def load_facts(
    db: Session,
    units: list[Unit],
    round_ids: set[str],
    first: date,
    last: date,
    *,
    cutoff_by_record: bool = True,
) -> Facts:
    """The facts of `units` for the days `first`..`last` and the rounds `round_ids`."""
    unit_ids = {u.id for u in units} or {""}
    districts = {u.id for u in units if u.kind == "health_visiting"} or {""}
    children = _children(db, unit_ids, first, last)
    return Facts(
        children=children,
        joints=_joints(db, unit_ids, round_ids),
        rooms=dict(db.exec(select(Room.id, Room.name).where(Room.unit_id.in_(unit_ids))).all()),
        responsible=_responsible(db, unit_ids),
        screenings=_screenings(db, districts),
        transitions=_transitions(db, unit_ids),
        open_tasks=_open_tasks(db, unit_ids),
    )


def _children(db: Session, unit_ids: set[str], first: date, last: date) -> dict[str, ChildFacts]:
    query = (
        select(
            Placement.child_id,
            Placement.unit_id,
            Placement.room_id,
            Placement.starts_on,
            Placement.ends_on,
            Child.name,
            Child.birth_date,
        )
        .join(Child, Child.id == Placement.child_id)
        .where(Placement.unit_id.in_(unit_ids), Placement.starts_on <= last)
        .where(or_(Placement.ends_on.is_(None), Placement.ends_on > first))
    )
    children: dict[str, ChildFacts] = {}
    for child_id, unit_id, room_id, starts_on, ends_on, name, birth_date in db.exec(query).all():
        child = children.setdefault(child_id, ChildFacts(child_id, name, birth_date))
        child.stays[unit_id].append(rules.Stay(starts_on, ends_on, room_id))
    return children


def _joints(db: Session, unit_ids: set[str], round_ids: set[str]) -> dict[tuple[str, str], dict]:
    query = select(Record.round_id, Record.child_id, Record.data).where(
        Record.type == "wellbeing",
        Record.status == "final",
        Record.round_id.in_(round_ids or {""}),
        Record.unit_id.in_(unit_ids),
        Record.data["kind"].as_string() == "joint",
    )
    return {(round_id, child_id): data for round_id, child_id, data in db.exec(query).all()}


def _responsible(db: Session, unit_ids: set[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """The child's responsible professional in the unit (the latest responsibility wins)."""
    query = (
        select(Caseload.unit_id, Caseload.child_id, Caseload.user_id, User.display_name)
        .join(User, User.id == Caseload.user_id)
        .where(Caseload.unit_id.in_(unit_ids))
        .order_by(Caseload.since)
    )
    return {(unit, child): (user, name) for unit, child, user, name in db.exec(query).all()}


def _screenings(db: Session, district_ids: set[str]) -> dict[tuple[str, str], list[Screening]]:
    query = select(Record.unit_id, Record.child_id, Record.data, Record.derived).where(
        Record.type == "adbb", Record.status == "final", Record.unit_id.in_(district_ids)
    )
    screenings: dict[tuple[str, str], list[Screening]] = defaultdict(list)
    for unit_id, child_id, data, derived in db.exec(query).all():
        if not data.get("screened_on") or not data.get("occasion"):
            continue
        screenings[(unit_id, child_id)].append(
            Screening(
                data["occasion"], date.fromisoformat(data["screened_on"]), bool(derived.get("above_cutoff"))
            )
        )
    return screenings


def _transitions(db: Session, unit_ids: set[str]) -> list[TransitionFact]:
    """Final transitions sent from or to the units, with consent, first final day, evaluation."""
    query = select(Record.id, Record.child_id, Record.unit_id, Record.data).where(
        Record.type == "transition",
        Record.status == "final",
        or_(Record.unit_id.in_(unit_ids), Record.data["to_unit_id"].as_string().in_(unit_ids)),
    )
    facts = {
        record_id: TransitionFact(
            record_id, child_id, unit_id, data.get("to_unit_id"), date.fromisoformat(data["starts_on"])
        )
        for record_id, child_id, unit_id, data in db.exec(query).all()
        if data.get("starts_on")
    }
    if not facts:
        return []
    ids = set(facts)
    consents = db.exec(
        select(Record.data).where(
            Record.type == "consent",
            Record.status == "final",
            Record.data["kind"].as_string() == "transition_handover",
            Record.data["scope"].as_string().in_(ids),
        )
    ).all()
    latest: dict[str, tuple[str, str]] = {}
    for data in consents:
        scope, decided_at, state = data.get("scope"), data.get("decided_at") or "", data.get("state")
        if scope in facts and (scope not in latest or decided_at > latest[scope][0]):
            latest[scope] = (decided_at, state)
    for scope, (_at, state) in latest.items():
        facts[scope].consent_state = state
    finals = db.exec(
        select(RecordVersion.record_id, func.min(RecordVersion.saved_at))
        .where(RecordVersion.record_id.in_(ids), RecordVersion.status == "final")
        .group_by(RecordVersion.record_id)
    ).all()
    for record_id, saved_at in finals:
        facts[record_id].first_final_on = _local_date(saved_at)
    evaluations = db.exec(
        select(Task.record_id, Task.unit_id, Task.status, Task.closed_at).where(
            Task.kind == "transition_evaluation", Task.record_id.in_(ids)
        )
    ).all()
    for record_id, unit_id, status, closed_at in evaluations:
        facts[record_id].evaluated_on[unit_id] = _local_date(closed_at) if status == "done" else None
    return list(facts.values())


def _open_tasks(db: Session, unit_ids: set[str]) -> list[tuple[Task, str | None]]:
    query = (
        select(Task, User.display_name)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(Task.unit_id.in_(unit_ids), Task.status.in_(OPEN))
        .order_by(Task.due_on)
    )
    return list(db.exec(query).all())


def _local_date(moment) -> date | None:
    from backend.domain.dates import COPENHAGEN

    if moment is None:
        return None
    if isinstance(moment, str):
        from datetime import datetime

        moment = datetime.fromisoformat(moment)
    return moment.astimezone(COPENHAGEN).date() if moment.tzinfo else moment.date()
