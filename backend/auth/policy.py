"""The access policy (domain §7), in one place. Every route that touches a child asks here.

- Professionals and leaders see the children currently placed in their units. A child who moved
  is seen by the new unit, not the old one.
- Of a child, they see the records written in their own units (records stay with their unit),
  plus what crossed with consent (a transition description) — see `records/access.py`.
- The municipal admin administers the register but has no caseload: child pages answer 404 for
  the admin; the right-of-access export is the admin's (audited) way to a child's records.
- A partner (role `partner`, domain §11) has no unit's children: only the named children on the
  agenda of the forum meetings they are invited to, from when the case's preparation is shared
  until the municipality's `forum_access_days` after the meeting — and of such a child only the
  forum case, never the journal (`partner_children`, `partner_child`).
- Anything out of scope is indistinguishable from something that does not exist (404).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    exists,
    false,
    func,
    literal_column,
    null,
    or_,
    table,
    union_all,
)
from sqlmodel import Session, select

from backend.db import JSONType, plain_rows
from backend.domain.consent import ConsentFact, fact_of
from backend.domain.forums import access_from, consent_covers, covered_ids
from backend.domain.settings import load_settings
from backend.people.forum_models import ForumCase, ForumMeeting, ForumMember
from backend.people.models import (
    PROFESSIONAL_ROLES,
    Caseload,
    Child,
    Municipality,
    Placement,
    Role,
    RoleAssignment,
    Unit,
    User,
)


@dataclass(frozen=True)
class Scope:
    user_id: str
    municipality_id: str
    roles_by_unit: Mapping[str, frozenset[str]] = field(default_factory=dict)
    is_admin: bool = False
    #: Holds the partner role: reaches children only through forum agendas (`partner_children`).
    is_partner: bool = False

    @property
    def unit_ids(self) -> frozenset[str]:
        return frozenset(self.roles_by_unit)

    @property
    def led_unit_ids(self) -> frozenset[str]:
        return frozenset(u for u, roles in self.roles_by_unit.items() if Role.leader in roles)

    def leads(self, unit_id: str | None) -> bool:
        return unit_id in self.led_unit_ids

    def works_in(self, unit_id: str | None) -> bool:
        return unit_id in self.roles_by_unit

    def has_role(self, role: str, unit_id: str | None = None) -> bool:
        if unit_id is None:
            return any(role in roles for roles in self.roles_by_unit.values())
        return role in self.roles_by_unit.get(unit_id, frozenset())

    @property
    def is_professional(self) -> bool:
        return any(roles & PROFESSIONAL_ROLES for roles in self.roles_by_unit.values())


_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_id(value: str | None) -> bool:
    """Ids are lower-case UUIDs; anything else cannot name a child or record (→ 404)."""
    return bool(value) and _ID.match(value) is not None


def load_scope(db: Session, user: User) -> Scope:
    return scope_of(user, db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)))


def scope_of(user: User, assignments: Iterable[RoleAssignment]) -> Scope:
    """The scope the user's role assignments give."""
    roles: dict[str, set[str]] = {}
    is_admin = False
    is_partner = False
    for assignment in assignments:
        if assignment.role == Role.admin:
            is_admin = True
        elif assignment.role == Role.partner:
            # Never a unit's children: the unit only says where the partner works.
            is_partner = True
        elif assignment.unit_id:
            roles.setdefault(assignment.unit_id, set()).add(assignment.role)
    return Scope(
        user_id=user.id,
        municipality_id=user.municipality_id,
        roles_by_unit={unit: frozenset(r) for unit, r in roles.items()},
        is_admin=is_admin,
        is_partner=is_partner,
    )


def placed_on(on: date | BindParameter) -> ColumnElement[bool]:
    """The placement that holds on a date."""
    return and_(
        Placement.starts_on <= on,
        or_(Placement.ends_on.is_(None), Placement.ends_on > on),
    )


# The statements every request runs are built once, with parameters (`_scope_params`): building
# and keying a statement costs more CPU than PostgreSQL takes to answer it.
_PLACED_IN_SCOPE = (
    select(Child, Placement)
    .join(Placement, Placement.child_id == Child.id)
    .where(placed_on(bindparam("on")), Placement.unit_id.in_(bindparam("unit_ids", expanding=True)))
    .where(Child.municipality_id == bindparam("municipality_id"))
)
_CHILD_IN_SCOPE = _PLACED_IN_SCOPE.where(Child.id == bindparam("child_id"))
_CHILDREN_IN_SCOPE = _PLACED_IN_SCOPE.where(Child.id.in_(bindparam("child_ids", expanding=True)))
_CHILD_IN_SCOPE_WITH_UNIT = _CHILD_IN_SCOPE.add_columns(Unit).join(Unit, Unit.id == Placement.unit_id)
_MINE = (
    exists()
    .where(Caseload.user_id == bindparam("user_id"), Caseload.child_id == Child.id)
    .correlate(Child)
    .label("mine")
)
_IN_SCOPE_WITH_UNITS = _PLACED_IN_SCOPE.add_columns(Unit, _MINE).join(Unit, Unit.id == Placement.unit_id)
_LIMIT = 500
_IN_SCOPE_WITH_UNITS_BY_NAME = _IN_SCOPE_WITH_UNITS.order_by(Child.name).limit(_LIMIT)


def _scope_params(scope: Scope, on: date, **more: object) -> dict[str, object]:
    return {
        "on": on,
        "unit_ids": sorted(scope.unit_ids),
        "municipality_id": scope.municipality_id,
        "user_id": scope.user_id,
        **more,
    }


def _searched(query: Select, search: str | None) -> Select:
    if search:
        term = "".join(ch for ch in search if ch.isprintable()).strip().lower()[:100]
        query = query.where(func.lower(Child.name).contains(term, autoescape=True))
    return query


def children_in_scope(
    db: Session, scope: Scope, on: date, search: str | None = None, limit: int = _LIMIT
) -> list[tuple[Child, Placement]]:
    """The children placed in the caller's units today, with their placement, by name."""
    if not scope.unit_ids:
        return []
    query = _searched(_PLACED_IN_SCOPE, search).order_by(Child.name).limit(limit)
    return list(db.exec(query, params=_scope_params(scope, on)))


@dataclass
class ScopedChildren:
    """`children_in_scope` with the units they are placed in and which are the caller's own
    caseload (`mine`), from one query; and the children of the `along` statement, read in the
    same round trip."""

    rows: list[tuple[Child, Placement]]
    units: dict[str, Unit]
    mine: set[str]
    along: list[Child] = field(default_factory=list)


@lru_cache(maxsize=8)
def _listed_along(along: Select) -> Select:
    """The children in scope (by name, at most `_LIMIT`; each with its placement, unit and
    `mine`), then the children `along` selects (its own order), in one statement built once per
    `along`: the column `part` tells them apart, the others are NULL for `along`'s rows."""
    placed = _IN_SCOPE_WITH_UNITS_BY_NAME.subquery("placed")
    other = along.subquery("other")
    padding = len(Placement.__table__.columns) + len(Unit.__table__.columns)
    return union_all(
        select(*placed.c, literal_column("0").label("part")),
        select(*other.c, *(null() for _ in range(padding)), false(), literal_column("1")),
    ).order_by(column("part"), column("name"))


def children_in_scope_with_units(
    db: Session,
    scope: Scope,
    on: date,
    search: str | None = None,
    limit: int = _LIMIT,
    along: Select | None = None,
) -> ScopedChildren:
    """`along` (without a search or limit only): a built-once statement of other children (their
    `Child` columns), with the parameter `unit_ids` (the caller's units) — the caseload's incoming
    children (records/access.py) — read in the same statement into `along`, as `plain(Child)`."""
    result = ScopedChildren([], {}, set())
    if not scope.unit_ids:
        return result
    query = _IN_SCOPE_WITH_UNITS_BY_NAME
    if search or limit != _LIMIT:
        query, along = _searched(_IN_SCOPE_WITH_UNITS, search).order_by(Child.name).limit(limit), None
    # Read-only named tuples, not ORM objects: "I dag" and the caseload list up to 500 children.
    statement = query if along is None else _listed_along(along)
    for child, placement, unit, is_mine, *part in plain_rows(
        db, statement, _scope_params(scope, on), Child, Placement, Unit
    ):
        if part and part[0]:
            result.along.append(child)
            continue
        result.rows.append((child, placement))
        result.units[unit.id] = unit
        if is_mine:
            result.mine.add(child.id)
    return result


def child_in_scope(db: Session, scope: Scope, child_id: str, on: date) -> tuple[Child, Placement] | None:
    """The child with its current placement when the caller may see it, else None (→ 404)."""
    if not scope.unit_ids or not is_id(child_id):
        return None
    return db.exec(_CHILD_IN_SCOPE, params=_scope_params(scope, on, child_id=child_id)).first()


def child_in_scope_plain(
    db: Session, scope: Scope, child_id: str, on: date
) -> tuple[Child, Placement] | None:
    """`child_in_scope` as read-only named tuples of the child's and the placement's columns (no
    ORM object, nothing the session holds on to): for a write that only reads them."""
    if not scope.unit_ids or not is_id(child_id):
        return None
    found = list(
        plain_rows(db, _CHILD_IN_SCOPE, _scope_params(scope, on, child_id=child_id), Child, Placement)
    )
    return found[0] if found else None


def children_in_scope_by_id(
    db: Session, scope: Scope, child_ids: Iterable[str], on: date
) -> dict[str, tuple[Child, Placement]]:
    """`child_in_scope` for many children in one query (a batch of writes): each child the caller
    may see, with its current placement; a child not in the answer is not in scope (→ 404)."""
    ids = sorted({child_id for child_id in child_ids if is_id(child_id)})
    if not scope.unit_ids or not ids:
        return {}
    found: dict[str, tuple[Child, Placement]] = {}
    for child, placement in db.exec(_CHILDREN_IN_SCOPE, params=_scope_params(scope, on, child_ids=ids)):
        found.setdefault(child.id, (child, placement))
    return found


def child_in_scope_with_unit(
    db: Session, scope: Scope, child_id: str, on: date
) -> tuple[Child, Placement, Unit] | None:
    """`child_in_scope` with the unit the child is placed in, from the same query."""
    if not scope.unit_ids or not is_id(child_id):
        return None
    # Read-only named tuples (the child's page and JSON only read them): no ORM object each.
    params = _scope_params(scope, on, child_id=child_id)
    found = list(plain_rows(db, _CHILD_IN_SCOPE_WITH_UNIT, params, Child, Placement, Unit))
    return found[0] if found else None


# A partner's children: named, shared cases on the agenda of meetings of the forums they are a
# partner member of, held on or after the earliest date their access still lasts.
_PARTNER_CASES = (
    select(Child, ForumCase, ForumMeeting)
    .join(ForumCase, ForumCase.child_id == Child.id)
    .join(ForumMeeting, ForumMeeting.id == ForumCase.meeting_id)
    .join(ForumMember, ForumMember.forum_id == ForumMeeting.forum_id)
    .where(
        ForumMember.user_id == bindparam("user_id"),
        ForumMember.role == Role.partner,
        ForumCase.shared_at.is_not(None),
        ForumMeeting.status != "cancelled",
        ForumMeeting.held_on >= bindparam("from_on"),
        Child.municipality_id == bindparam("municipality_id"),
    )
    .order_by(ForumMeeting.held_on, Child.name)
)


def forum_access_days(db: Session, municipality_id: str) -> int:
    municipality = db.get(Municipality, municipality_id)
    return load_settings(municipality.settings if municipality else None).forum_access_days


def partner_cases(
    db: Session, scope: Scope, on: date, child_id: str | None = None
) -> list[tuple[Child, ForumCase, ForumMeeting]]:
    """The named cases a partner may read on `on` (all, or one child's), meeting by meeting —
    only while the parents' consent the case rests on holds (a withdrawal ends the access) and
    covers this partner (a partner added to the forum after the parents decided is not among
    the participants they read; a consent recorded by staff keeps no list and covers all)."""
    if not scope.is_partner or (child_id is not None and not is_id(child_id)):
        return []
    query = _PARTNER_CASES
    if child_id is not None:
        query = query.where(Child.id == child_id)
    params = {
        "user_id": scope.user_id,
        "municipality_id": scope.municipality_id,
        "from_on": access_from(on, forum_access_days(db, scope.municipality_id)),
    }
    rows = list(db.exec(query, params=params))
    facts = _consent_facts(db, sorted({child.id for child, _case, _meeting in rows}))
    return [
        (child, case, meeting)
        for child, case, meeting in rows
        if consent_covers(facts.get(child.id, []), meeting.id, meeting.forum_id, scope.user_id)
    ]


# The final consent records of children, read as plain columns of the `record` table: the
# records package asks this policy, so the policy does not import its models.
_RECORD = table(
    "record",
    column("child_id"),
    column("type"),
    column("status"),
    column("data", JSONType),
    column("derived", JSONType),
)


def _consent_facts(db: Session, child_ids: list[str]) -> dict[str, list[ConsentFact]]:
    """Every final consent decision of these children (one query), by child, with the
    participants it covers when it recorded them."""
    facts: dict[str, list[ConsentFact]] = {}
    if not child_ids:
        return facts
    rows = db.exec(
        select(_RECORD.c.child_id, _RECORD.c.data, _RECORD.c.derived).where(
            _RECORD.c.type == "consent", _RECORD.c.status == "final", _RECORD.c.child_id.in_(child_ids)
        )
    )
    for child_id, data, derived in rows:
        fact = fact_of(data)
        if fact is not None:
            fact = replace(fact, covers=covered_ids(derived))
            facts.setdefault(child_id, []).append(fact)
    return facts


def partner_children(db: Session, scope: Scope, on: date) -> list[Child]:
    """The children a partner may see (each once, by name)."""
    children = {child.id: child for child, _case, _meeting in partner_cases(db, scope, on)}
    return sorted(children.values(), key=lambda child: child.name)
