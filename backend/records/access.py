"""Which records a user sees and may change (domain §6–§7), on top of the child policy.

- A professional or leader sees the records written in their own units about children placed
  there now; records stay with the unit that wrote them, so a move does not open them.
- An abuse-path concern note is seen by its author and the unit's leaders only.
- A consented transition description is also seen (read-only) by the receiving unit, from the
  moment the parents consent — before the child starts there.
- Anonymous reflections belong to a unit, without a child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from backend.auth.policy import Scope, child_in_scope, is_id
from backend.db import plain_rows
from backend.people.models import Child, Role, RoleAssignment, User
from backend.records.models import EvaluationRound, Record, RecordVersion


def own_unit_records(scope: Scope) -> ColumnElement[bool]:
    if not scope.unit_ids:
        return false()
    not_abuse = Record.abuse_path.is_(False)
    abuse_allowed = or_(Record.author_id == scope.user_id, Record.unit_id.in_(scope.led_unit_ids or {""}))
    return and_(Record.unit_id.in_(scope.unit_ids), or_(not_abuse, abuse_allowed))


def shared_with(scope: Scope) -> ColumnElement[bool]:
    if not scope.unit_ids:
        return false()
    return Record.shared_with_unit_id.in_(scope.unit_ids)


def holds_role(user: object, unit: object, role: str | None = None) -> ColumnElement[bool]:
    """The user (an id, or a column naming one) has a role — or this role — in the unit (a column)."""
    held = aliased(RoleAssignment)  # never correlated with a roles table of the enclosing query
    condition = exists().where(held.user_id == user, held.unit_id == unit)
    if role:
        condition = condition.where(held.role == role)
    return condition.correlate_except(held)


def record_readable_by(user: object) -> ColumnElement[bool]:
    """`own_unit_records` or `shared_with`, for a user given as an id or a column — so one query
    can answer for many users (the reminder planner): the same rule, read from the roles table."""
    abuse_allowed = or_(
        Record.abuse_path.is_(False), Record.author_id == user, holds_role(user, Record.unit_id, Role.leader)
    )
    own = and_(holds_role(user, Record.unit_id), abuse_allowed)
    return or_(own, holds_role(user, Record.shared_with_unit_id))


def records_of_child(db: Session, scope: Scope, child_id: str, current_unit_id: str) -> list[Record]:
    """The child's records the caller may see, newest first.

    Own records are those of the child's current unit (when the caller works there); records an
    earlier unit wrote stay with it. Descriptions handed over to the caller's units are added —
    as the version the parents consented to (`shared_view`).
    """
    own = false()
    if current_unit_id in scope.unit_ids:
        own = and_(own_unit_records(scope), Record.unit_id == current_unit_id)
    query = select(Record).where(Record.child_id == child_id, or_(own, shared_with(scope)))
    found = []
    for record in db.exec(query.order_by(Record.updated_at.desc())):
        is_own = record.unit_id == current_unit_id and current_unit_id in scope.unit_ids
        view = record if is_own and _own(scope, record) else shared_view(db, record)
        if view is not None:
            found.append(view)
    return sorted(found, key=lambda r: r.updated_at, reverse=True)


def _own(scope: Scope, record: Record) -> bool:
    return record.unit_id in scope.unit_ids and (
        not record.abuse_path or record.author_id == scope.user_id or scope.leads(record.unit_id)
    )


@dataclass
class ChildRecords:
    """The child's records the caller may see (as `records_of_child`), with the names of their
    authors and editors and the evaluation rounds they belong to, in a constant number of queries:
    read-only rows (`db.plain`) for a page to show, never ORM objects to change."""

    records: list[Record]
    names: dict[str, str]
    rounds: dict[str, EvaluationRound]


_AUTHOR, _EDITOR = aliased(User), aliased(User)
_CHILD_RECORDS = (
    select(Record, EvaluationRound, _AUTHOR.display_name, _EDITOR.display_name)
    .outerjoin(_AUTHOR, _AUTHOR.id == Record.author_id)
    .outerjoin(_EDITOR, _EDITOR.id == Record.updated_by_id)
    .outerjoin(EvaluationRound, EvaluationRound.id == Record.round_id)
    .where(Record.child_id == bindparam("child_id"))
    .order_by(Record.updated_at.desc())
)
_SHARED = Record.shared_with_unit_id.in_(bindparam("unit_ids", expanding=True))
_OWN = and_(
    Record.unit_id == bindparam("current_unit_id"),
    or_(
        Record.abuse_path.is_(False),
        Record.author_id == bindparam("user_id"),
        Record.unit_id.in_(bindparam("led_unit_ids", expanding=True)),
    ),
)
#: `records_of_child`'s condition, built once: handed-over records only, or also the own unit's.
_CHILD_RECORDS_SHARED = _CHILD_RECORDS.where(_SHARED)
_CHILD_RECORDS_OWN_OR_SHARED = _CHILD_RECORDS.where(or_(_OWN, _SHARED))


def child_records(db: Session, scope: Scope, child_id: str, current_unit_id: str) -> ChildRecords:
    """`records_of_child` (handed-over descriptions as the consented version) with names and rounds."""
    from backend.people.service import user_names

    result = ChildRecords([], {}, {})
    if not scope.unit_ids:
        return result
    works_there = current_unit_id in scope.unit_ids
    query = _CHILD_RECORDS_OWN_OR_SHARED if works_there else _CHILD_RECORDS_SHARED
    params = {
        "child_id": child_id,
        "unit_ids": sorted(scope.unit_ids),
        "current_unit_id": current_unit_id,
        "user_id": scope.user_id,
        "led_unit_ids": sorted(scope.led_unit_ids) or [""],
    }
    # Read-only rows (`db.plain_rows`), not ORM objects: a page shows them and changes nothing.
    for record, evaluation_round, author_name, editor_name in plain_rows(
        db, query, params, Record, EvaluationRound
    ):
        is_own = works_there and record.unit_id == current_unit_id and _own(scope, record)
        view = record if is_own else shared_view(db, record)
        if view is None:
            continue
        result.records.append(view)
        if author_name is not None:
            result.names[record.author_id] = author_name
        if editor_name is not None and record.updated_by_id:
            result.names[record.updated_by_id] = editor_name
        if evaluation_round.id is not None:  # the outer join found the record's round
            result.rounds[evaluation_round.id] = evaluation_round
    missing = {
        r.updated_by_id for r in result.records if r.updated_by_id and r.updated_by_id not in result.names
    }
    if missing:  # a consented version's author: only for handed-over descriptions
        result.names.update(user_names(db, missing))
    result.records.sort(key=lambda r: r.updated_at, reverse=True)
    return result


def visible_record(db: Session, scope: Scope, record_id: str, on: date) -> Record | None:
    """The record when the caller may see it, else None (→ 404). A receiving unit gets the
    consented version of a handed-over description (`shared_view`), never the current one."""
    if not is_id(record_id):
        return None
    record = db.get(Record, record_id)
    if record is None or not scope.unit_ids:
        return None
    if _own(scope, record):
        if record.child_id is None:
            return record
        found = child_in_scope(db, scope, record.child_id, on)
        if found and found[1].unit_id == record.unit_id:
            return record
    if record.shared_with_unit_id in scope.unit_ids:
        return shared_view(db, record)
    return None


def shared_view(db: Session, record: Record | tuple) -> Record | None:
    """A handed-over description as the receiving unit reads it: the version the parents
    consented to (`Record.shared_version`), as a copy that is never stored. None otherwise."""
    if record.shared_with_unit_id is None or record.shared_version is None:
        return None
    version = db.exec(
        select(RecordVersion).where(
            RecordVersion.record_id == record.id, RecordVersion.version == record.shared_version
        )
    ).first()
    if version is None:
        return None
    view = Record(**(record._asdict() if isinstance(record, tuple) else record.model_dump()))
    view.version, view.status = version.version, version.status
    view.data, view.derived = version.data, version.derived
    view.updated_at, view.updated_by_id = version.saved_at, version.author_id
    view._shared_view = True
    return view


def is_shared_view(record: Record) -> bool:
    return getattr(record, "_shared_view", False)


def visible_versions(db: Session, record: Record) -> list[RecordVersion]:
    """The versions the reader of `record` (as `visible_record` gave it) may see, newest first:
    a receiving unit sees the consented version only."""
    query = select(RecordVersion).where(RecordVersion.record_id == record.id)
    if is_shared_view(record):
        query = query.where(RecordVersion.version == record.version)
    return list(db.exec(query.order_by(RecordVersion.version.desc())))


def can_change(scope: Scope, record: Record) -> bool:
    """Records are changed by their own unit (a receiving unit only reads a handover)."""
    return not is_shared_view(record) and _own(scope, record)


#: `shared_with` for the caller's units, built once (parameter `unit_ids`): the caseload runs it
#: on every request, in the same statement as the children in scope (`children_in_scope_with_units`).
INCOMING_CHILDREN = (
    select(Child)
    .join(Record, Record.child_id == Child.id)
    .where(Record.shared_with_unit_id.in_(bindparam("unit_ids", expanding=True)))
    .distinct()
    .order_by(Child.name)
)


def incoming_children(db: Session, scope: Scope) -> list[Child]:
    """Children with a consented transition description handed over to the caller's units, as
    read-only `plain(Child)` rows (the caseload lists them on every request, in its own statement;
    the sync and the offline list only read their ids)."""
    if not scope.unit_ids:
        return []
    params = {"unit_ids": sorted(scope.unit_ids)}
    return [child for (child,) in plain_rows(db, INCOMING_CHILDREN, params, Child)]


def incoming_child(db: Session, scope: Scope, child_id: str) -> Child | None:
    """A child not (yet) placed in the caller's units whose description was handed over to them."""
    if not scope.unit_ids or not is_id(child_id):
        return None
    query = (
        select(Child)
        .join(Record, Record.child_id == Child.id)
        .where(Child.id == child_id, shared_with(scope))
    )
    return db.exec(query).first()
