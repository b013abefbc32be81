"""Hand-made units, children, rounds and joint assessments for the overview tests."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlmodel import Session, select

from backend.domain.dates import today
from backend.domain.wellbeing import AREAS
from backend.people.models import (
    Caseload,
    Child,
    Municipality,
    Placement,
    Role,
    RoleAssignment,
    Room,
    Unit,
    User,
)
from backend.records.models import EvaluationRound, Record, Task
from tests.support import user_named


def add_unit(db: Session, name: str, kind: str = "institution", leader: str = "demo-leder") -> Unit:
    municipality = db.exec(select(Municipality)).first()
    unit = Unit(municipality_id=municipality.id, kind=kind, name=name)
    db.add(unit)
    db.flush()
    db.add(RoleAssignment(user_id=user_named(db, leader).id, role=Role.leader, unit_id=unit.id))
    db.commit()
    return unit


def add_room(db: Session, unit: Unit, name: str) -> Room:
    room = Room(unit_id=unit.id, name=name)
    db.add(room)
    db.commit()
    return room


def add_child(
    db: Session,
    unit: Unit,
    name: str,
    starts_days_ago: int = 800,
    ends_days_ago: int | None = None,
    room: Room | None = None,
    responsible: User | None = None,
    birth: date | None = None,
) -> Child:
    child = Child(
        municipality_id=unit.municipality_id,
        name=name,
        birth_date=birth or today() - timedelta(days=1200),
        cpr="0101204123",
    )
    db.add(child)
    db.flush()
    db.add(
        Placement(
            child_id=child.id,
            unit_id=unit.id,
            room_id=room.id if room else None,
            starts_on=today() - timedelta(days=starts_days_ago),
            ends_on=today() - timedelta(days=ends_days_ago) if ends_days_ago is not None else None,
        )
    )
    if responsible is not None:
        db.add(Caseload(user_id=responsible.id, child_id=child.id, unit_id=unit.id, since=today()))
    db.commit()
    return child


def add_round(
    db: Session, unit: Unit, opens_days_ago: int, closes_days_ago: int, name: str
) -> EvaluationRound:
    evaluation_round = EvaluationRound(
        unit_id=unit.id,
        name=name,
        opens_on=today() - timedelta(days=opens_days_ago),
        closes_on=today() - timedelta(days=closes_days_ago),
        created_by_id=user_named(db, "demo-leder").id,
    )
    db.add(evaluation_round)
    db.commit()
    return evaluation_round


def add_joint(
    db: Session, evaluation_round: EvaluationRound, child: Child, overall: str, **areas: str
) -> Record:
    author = user_named(db, "demo-paedagog").id
    record = Record(
        id=str(uuid.uuid4()),
        type="wellbeing",
        child_id=child.id,
        unit_id=evaluation_round.unit_id,
        author_id=author,
        updated_by_id=author,
        status="final",
        round_id=evaluation_round.id,
        data={
            "kind": "joint",
            "round_id": evaluation_round.id,
            "overall": overall,
            "areas": {key: areas.get(key, overall) for key in AREAS},
            "summary": "Skrevet til forældrene.",
            "decision": "none" if overall == "thriving" else "dialogue_meeting",
        },
    )
    db.add(record)
    db.commit()
    return record


def add_task(
    db: Session,
    unit: Unit,
    kind: str,
    due_days: int,
    child: Child | None = None,
    assignee: User | None = None,
) -> Task:
    task = Task(
        key=f"test:{uuid.uuid4()}",
        kind=kind,
        unit_id=unit.id,
        child_id=child.id if child else None,
        assignee_id=assignee.id if assignee else None,
        due_on=today() + timedelta(days=due_days),
    )
    db.add(task)
    db.commit()
    return task
