"""Reading the organisation and children for pages and the API (scoping is the caller's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam
from sqlmodel import Session, select

from backend.db import plain_rows
from backend.domain.settings import MunicipalSettings, load_settings
from backend.people.models import (
    AdbbCertification,
    Caseload,
    Child,
    Guardian,
    Municipality,
    Placement,
    RoleAssignment,
    Room,
    Unit,
    User,
)


@dataclass(frozen=True)
class PlacementView:
    unit_id: str
    unit_name: str
    unit_kind: str
    room_name: str | None
    starts_on: date
    ends_on: date | None


def unit_names(db: Session, unit_ids: set[str] | frozenset[str]) -> dict[str, Unit]:
    if not unit_ids:
        return {}
    return {unit.id: unit for unit in db.exec(select(Unit).where(Unit.id.in_(unit_ids)))}


_GUARDIANS = select(Guardian).where(Guardian.child_id == bindparam("child_id")).order_by(Guardian.name)
#: Only the columns a `PlacementView` shows (no ORM object per placement, unit and room).
_PLACEMENTS = (
    select(Unit.id, Unit.name, Unit.kind, Room.name, Placement.starts_on, Placement.ends_on)
    .select_from(Placement)
    .join(Unit, Unit.id == Placement.unit_id)
    .outerjoin(Room, Room.id == Placement.room_id)
    .where(Placement.child_id == bindparam("child_id"))
    .order_by(Placement.starts_on.desc())
)


def guardians_of(db: Session, child_id: str) -> list[Guardian]:
    """The child's guardians by name, as read-only rows (`db.plain_rows`: what pages and forms
    show of them; an admin changing them reads `admin.children.guardians_of`)."""
    return [guardian for (guardian,) in plain_rows(db, _GUARDIANS, {"child_id": child_id}, Guardian)]


def placement_history(db: Session, child_id: str) -> list[PlacementView]:
    """The child's enrolment history, newest first (units only; records stay with their unit)."""
    return [PlacementView(*row) for row in db.connection().execute(_PLACEMENTS, {"child_id": child_id})]


def caseload_child_ids(db: Session, user_id: str) -> set[str]:
    return set(db.exec(select(Caseload.child_id).where(Caseload.user_id == user_id)))


def roles_with_units(db: Session, user_id: str) -> list[tuple[RoleAssignment, Unit | None]]:
    return list(
        db.exec(
            select(RoleAssignment, Unit)
            .outerjoin(Unit, Unit.id == RoleAssignment.unit_id)
            .where(RoleAssignment.user_id == user_id)
            .order_by(Unit.name)
        )
    )


def child_summary(child: Child, placement: Placement) -> dict:
    """The contract's list entry for a child: no CPR, ever."""
    return {
        "id": child.id,
        "name": child.name,
        "birth_date": child.birth_date.isoformat(),
        "unit_id": placement.unit_id,
    }


def set_preference(db: Session, user: User, key: str, value: object) -> None:
    """One of the user's own settings (e.g. the language), kept with the account."""
    user.preferences = {**user.preferences, key: value}
    db.add(user)


def child_by_id(db: Session, child_id: str | None) -> Child | None:
    """The child a record is about (None for an anonymous record). Only for records the caller
    may already see (`records.access.visible_record`): this checks no access itself."""
    return db.get(Child, child_id) if child_id else None


def municipal_settings_of(db: Session, municipality_id: str | None) -> MunicipalSettings:
    """A municipality's settings (the defaults when there is none)."""
    municipality = db.get(Municipality, municipality_id) if municipality_id else None
    return load_settings(municipality.settings if municipality else None)


def user_names(db: Session, user_ids: set[str]) -> dict[str, str]:
    """Display names by user id; users the session already holds (the signed-in user) are not
    read again."""
    names: dict[str, str] = {}
    for user_id in user_ids:
        user = db.identity_map.get(Session.identity_key(User, user_id)) if user_id else None
        if user is not None:
            names[user_id] = user.display_name
    missing = {user_id for user_id in user_ids if user_id and user_id not in names}
    if missing:
        rows = db.exec(select(User.id, User.display_name).where(User.id.in_(missing)))
        names.update(rows.all())
    return names


def is_adbb_certified(db: Session, user_id: str) -> bool:
    """Whether the user has a recorded ADBB certification (issue 16)."""
    return db.get(AdbbCertification, user_id) is not None
