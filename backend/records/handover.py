"""Handing a transition description over to the receiving unit (domain §4.5, §5, §7).

The receiving unit reads a description (`Record.shared_with_unit_id`) only while it is final and
the parents' latest `transition_handover` decision is `given` for that very unit — and then only
the version that consent covers (`Record.shared_version`): never a draft before it, never an edit
after it. A final description changed after consent needs a new consent for the new version. Both the
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
from backend.records.consents import consent_given, latest_decision
from backend.records.models import EvaluationRound, Record, RecordVersion, Task
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
    if record.child_id is None:
        return None
    return latest_decision(db, record.child_id, HANDOVER, record.id)


def covered_version(decision: Record | None) -> int | None:
    """The version of the description a handover consent covers (stored when it was recorded)."""
    if decision is None:
        return None
    version = decision.derived.get("scope_version")
    return version if isinstance(version, int) else None


def shown_version(db: Session, record: Record, covered: int | None) -> RecordVersion | None:
    """The version the receiving unit may read: the consented one when it is final, or the first
    final version with exactly its content (a draft the parents agreed to, finished unchanged).
    None when the consented content never became final (a new consent is needed)."""
    if covered is None:
        return None
    versions = db.exec(
        select(RecordVersion)
        .where(RecordVersion.record_id == record.id, RecordVersion.version >= covered)
        .order_by(RecordVersion.version)
    ).all()
    if not versions or versions[0].version != covered:
        return None
    content = versions[0].data
    return next((v for v in versions if v.status == "final" and v.data == content), None)


def handover_target(db: Session, record: Record) -> tuple[str | None, int | None]:
    """The unit that may read the description now and the version it reads (None, None: nobody
    outside its own unit)."""
    if record.type != "transition" or record.child_id is None:
        return None, None
    decision = handover_decision(db, record)
    given = consent_given(db, record.child_id, HANDOVER, record.id)
    shown = shown_version(db, record, covered_version(decision)) if given else None
    unit = transition.handover_unit(
        record.status == "final" and shown is not None,
        record.data.get("to_unit_id"),
        "given" if given else (decision.data.get("state") if decision else None),
        decision.derived.get("to_unit_id") if decision else None,
    )
    return (unit, shown.version) if unit and shown else (None, None)


def sync_handover(db: Session, record: Record, audit: AuditTrail, on: date) -> None:
    """Share the consented version with the consented receiving unit, or stop sharing it."""
    target, version = handover_target(db, record)
    previous, previous_version = record.shared_with_unit_id, record.shared_version
    record.shared_with_unit_id, record.shared_version = target, version
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
            reopen=previous == target and previous_version not in (None, version),
        )
    if previous != target:
        action = "record.handover" if target else "record.handover_stopped"
        audit.add(
            action, record.type, record.id, record.child_id, unit_id=target or previous, version=version
        )
    elif target and previous_version != version:
        audit.add("record.handover", record.type, record.id, record.child_id, unit_id=target, version=version)


def _open_task(db: Session, *, key: str, reopen: bool = False, **fields: object) -> Task:
    """The task for `key`, opened again if it was cancelled earlier (e.g. consent given anew), or
    when `reopen` (a newly consented version arrived) even if it was done."""
    task = ensure_task(db, key=key, **fields)  # type: ignore[arg-type]
    if task.status == "cancelled" or (reopen and task.status == "done"):
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
