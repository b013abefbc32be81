"""Handing a transition description over to the receiving unit (domain §4.5, §5, §7).

The receiving unit reads a description (`Record.shared_with_unit_id`) only while it is final and
the parents' latest `transition_handover` decision is `given` for that very unit. Both the
transition's and the consent's rules call `sync_handover` after every save, so a refusal, a
withdrawal or a change of receiving unit closes the door at once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.domain import transition
from backend.domain.consent import HANDOVER
from backend.records.models import EvaluationRound, Record, Task
from backend.records.tasks import ensure_task


def latest_joint_assessment(db: Session, child_id: str, unit_id: str) -> Record | None:
    """The child's newest final joint well-being assessment written in the unit."""
    rows = db.exec(
        select(Record, EvaluationRound.opens_on)
        .outerjoin(EvaluationRound, EvaluationRound.id == Record.round_id)
        .where(
            Record.type == "wellbeing",
            Record.child_id == child_id,
            Record.unit_id == unit_id,
            Record.status == "final",
        )
    ).all()
    joint = [(record, opens_on) for record, opens_on in rows if record.data.get("kind") == "joint"]
    if not joint:
        return None
    return max(joint, key=lambda row: (row[1] or date.min, row[0].updated_at))[0]


def handover_decision(db: Session, record: Record) -> Record | None:
    """The parents' latest final decision about handing this description over."""
    from backend.records.kinds.consent import latest_decision

    if record.child_id is None:
        return None
    return latest_decision(db, record.child_id, HANDOVER, record.id)


def handover_target(db: Session, record: Record) -> str | None:
    """The unit that may read the description now (None: nobody outside its own unit)."""
    from backend.records.kinds.consent import consent_given

    if record.type != "transition" or record.child_id is None:
        return None
    decision = handover_decision(db, record)
    given = consent_given(db, record.child_id, HANDOVER, record.id)
    return transition.handover_unit(
        record.status == "final",
        record.data.get("to_unit_id"),
        "given" if given else (decision.data.get("state") if decision else None),
        decision.derived.get("to_unit_id") if decision else None,
    )


def sync_handover(db: Session, record: Record, audit: AuditTrail, on: date) -> None:
    """Share the description with the consented receiving unit, or stop sharing it."""
    target = handover_target(db, record)
    previous = record.shared_with_unit_id
    record.shared_with_unit_id = target
    db.add(record)
    _cancel_other_units(db, record.id, "transition_arrived", keep_unit=target)
    if target is not None:
        _open_task(
            db,
            key=f"transition_arrived:{record.id}:{target}",
            kind="transition_arrived",
            unit_id=target,
            child_id=record.child_id,
            record_id=record.id,
            due_on=on,
        )
    if previous != target:
        action = "record.handover" if target else "record.handover_stopped"
        audit.add(action, record.type, record.id, record.child_id, unit_id=target or previous)


def _open_task(db: Session, *, key: str, **fields: object) -> Task:
    """The task for `key`, opened again if it was cancelled earlier (e.g. consent given anew)."""
    task = ensure_task(db, key=key, **fields)  # type: ignore[arg-type]
    if task.status == "cancelled":
        task.status, task.closed_at, task.closed_by_id = "open", None, None
        db.add(task)
    return task


def _cancel_other_units(db: Session, record_id: str, kind: str, keep_unit: str | None) -> None:
    query = select(Task).where(
        and_(Task.record_id == record_id, Task.kind == kind, Task.status.in_(("open", "held")))
    )
    for task in db.exec(query):
        if task.unit_id != keep_unit:
            task.status = "cancelled"
            db.add(task)


def sync_evaluation_task(db: Session, record: Record) -> None:
    """The receiving unit evaluates the start 3–4 months after it (closed by hand)."""
    data = record.data
    starts_on = date.fromisoformat(data["starts_on"]) if data.get("starts_on") else None
    to_unit = data.get("to_unit_id")
    wanted = record.status == "final" and starts_on is not None and to_unit is not None
    _cancel_other_units(db, record.id, "transition_evaluation", keep_unit=to_unit if wanted else None)
    if wanted:
        _open_task(
            db,
            key=f"transition_evaluation:{record.id}:{to_unit}",
            kind="transition_evaluation",
            unit_id=to_unit,
            child_id=record.child_id,
            record_id=record.id,
            due_on=transition.evaluation_window(starts_on)[1],
            params={"planned_on": record.derived.get("evaluation_due_on")},
        )
