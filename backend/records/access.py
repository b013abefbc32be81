"""Which records a user sees and may change (domain §6–§7), on top of the child policy.

- A professional or leader sees the records written in their own units about children placed
  there now; records stay with the unit that wrote them, so a move does not open them.
- An abuse-path concern note is seen by its author and the unit's leaders only.
- A consented transition description is also seen (read-only) by the receiving unit, from the
  moment the parents consent — before the child starts there.
- Anonymous reflections belong to a unit, without a child.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import Session, select

from backend.auth.policy import Scope, child_in_scope, is_id
from backend.people.models import Child
from backend.records.models import Record
from backend.records.registry import KINDS


def own_unit_records(scope: Scope) -> ColumnElement[bool]:
    if not scope.unit_ids:
        return false()
    not_abuse = Record.abuse_path.is_(False)
    abuse_allowed = or_(Record.author_id == scope.user_id, Record.unit_id.in_(scope.led_unit_ids or {""}))
    return and_(Record.unit_id.in_(scope.unit_ids), or_(not_abuse, abuse_allowed))


def _shared_condition(scope: Scope) -> ColumnElement[bool]:
    if not scope.unit_ids:
        return false()
    return Record.shared_with_unit_id.in_(scope.unit_ids)


def records_of_child(db: Session, scope: Scope, child_id: str, current_unit_id: str) -> list[Record]:
    """The child's records the caller may see, newest first.

    Own records are those of the child's current unit (when the caller works there); records an
    earlier unit wrote stay with it. Descriptions handed over to the caller's units are added.
    """
    condition = _shared_condition(scope)
    if current_unit_id in scope.unit_ids:
        own = and_(own_unit_records(scope), Record.unit_id == current_unit_id)
        condition = or_(own, condition)
    query = select(Record).where(Record.child_id == child_id, condition)
    return list(db.exec(query.order_by(Record.updated_at.desc())))


def visible_record(db: Session, scope: Scope, record_id: str, on: date) -> Record | None:
    """The record when the caller may see it, else None (→ 404)."""
    if not is_id(record_id):
        return None
    record = db.get(Record, record_id)
    if record is None or not scope.unit_ids:
        return None
    if record.shared_with_unit_id in scope.unit_ids:
        return record
    own = record.unit_id in scope.unit_ids and (
        not record.abuse_path or record.author_id == scope.user_id or scope.leads(record.unit_id)
    )
    if not own:
        return None
    if record.child_id is None:
        return record
    found = child_in_scope(db, scope, record.child_id, on)
    return record if found and found[1].unit_id == record.unit_id else None


def can_change(scope: Scope, record: Record) -> bool:
    """Records are changed by their own unit (a receiving unit only reads a handover)."""
    return record.unit_id in scope.unit_ids and (
        not record.abuse_path or record.author_id == scope.user_id or scope.leads(record.unit_id)
    )


def incoming_children(db: Session, scope: Scope) -> list[Child]:
    """Children with a consented transition description handed over to the caller's units."""
    if not scope.unit_ids:
        return []
    query = (
        select(Child)
        .join(Record, Record.child_id == Child.id)
        .where(_shared_condition(scope))
        .distinct()
        .order_by(Child.name)
    )
    return list(db.exec(query))


def may_start(scope: Scope, record_type: str, unit_id: str) -> bool:
    roles = scope.roles_by_unit.get(unit_id, frozenset())
    entry = KINDS.get(record_type)
    return entry is not None and bool(roles & entry.writers)


def types_for(scope: Scope, unit_id: str) -> list[str]:
    return [t for t in KINDS if may_start(scope, t, unit_id)]


def incoming_child(db: Session, scope: Scope, child_id: str) -> Child | None:
    """A child not (yet) placed in the caller's units whose description was handed over to them."""
    if not scope.unit_ids or not is_id(child_id):
        return None
    query = (
        select(Child)
        .join(Record, Record.child_id == Child.id)
        .where(Child.id == child_id, _shared_condition(scope))
    )
    return db.exec(query).first()
