"""Units, rooms, users, roles, one-time password links and deactivation (domain §2–§3)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, delete, select

from backend.admin.base import ROLE_LABELS, AdminContext, AdminError, clean_line
from backend.admin.devices import revoke_all_devices
from backend.auth.passwords import hash_password
from backend.auth.policy import is_id
from backend.auth.sessions import end_user_sessions
from backend.db import utcnow
from backend.domain.contact import EMAIL_INVALID, email_is_valid
from backend.domain.messages import N_
from backend.domain.units import UNIT_KIND_LABELS
from backend.people.models import Child, Placement, Role, RoleAssignment, Room, Unit, User
from backend.records.tasks import release_tasks_left_behind

LINK_VALID = timedelta(days=7)
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,149}$")


# --- Units and rooms ---------------------------------------------------------------------------


def units_of(db: Session, municipality_id: str) -> list[Unit]:
    return list(db.exec(select(Unit).where(Unit.municipality_id == municipality_id).order_by(Unit.name)))


def unit_of(db: Session, municipality_id: str, unit_id: str) -> Unit | None:
    unit = db.get(Unit, unit_id) if unit_id else None
    return unit if unit is not None and unit.municipality_id == municipality_id else None


def rooms_of(db: Session, unit_id: str) -> list[Room]:
    return list(db.exec(select(Room).where(Room.unit_id == unit_id).order_by(Room.name)))


def _unit_fields(kind: str, name: str) -> tuple[str, str]:
    name = clean_line(name, 200)
    if kind not in UNIT_KIND_LABELS:
        raise AdminError(N_("Vælg enhedens type."), "kind")
    if not name:
        raise AdminError(N_("Skriv enhedens navn."), "name")
    return kind, name


def _name_taken(db: Session, municipality_id: str, name: str, except_id: str | None = None) -> bool:
    query = select(Unit.id).where(
        Unit.municipality_id == municipality_id, func.lower(Unit.name) == name.lower()
    )
    return any(found != except_id for found in db.exec(query))


def create_unit(ctx: AdminContext, municipality_id: str, kind: str, name: str) -> Unit:
    kind, name = _unit_fields(kind, name)
    if _name_taken(ctx.db, municipality_id, name):
        raise AdminError(N_("Der findes allerede en enhed med det navn."), "name")
    unit = Unit(municipality_id=municipality_id, kind=kind, name=name)
    ctx.db.add(unit)
    ctx.db.flush()
    ctx.audit.add("unit.create", "unit", unit.id, kind=kind)
    return unit


def update_unit(ctx: AdminContext, unit: Unit, kind: str, name: str) -> None:
    kind, name = _unit_fields(kind, name)
    if _name_taken(ctx.db, unit.municipality_id, name, except_id=unit.id):
        raise AdminError(N_("Der findes allerede en enhed med det navn."), "name")
    changed = [key for key, value in (("kind", kind), ("name", name)) if getattr(unit, key) != value]
    unit.kind, unit.name = kind, name
    ctx.db.add(unit)
    ctx.audit.add("unit.update", "unit", unit.id, fields=changed)


def add_room(ctx: AdminContext, unit: Unit, name: str) -> Room:
    name = clean_line(name, 200)
    if not name:
        raise AdminError(N_("Skriv stuens navn."), "room_name")
    if any(room.name.lower() == name.lower() for room in rooms_of(ctx.db, unit.id)):
        raise AdminError(N_("Enheden har allerede en stue med det navn."), "room_name")
    room = Room(unit_id=unit.id, name=name)
    ctx.db.add(room)
    ctx.db.flush()
    ctx.audit.add("room.create", "room", room.id, unit_id=unit.id)
    return room


def remove_room(ctx: AdminContext, room: Room) -> None:
    used = ctx.db.exec(select(Placement.id).where(Placement.room_id == room.id)).first()
    if used is not None:
        raise AdminError(N_("Stuen kan ikke fjernes: der er børn indskrevet på den (nu eller tidligere)."))
    ctx.db.delete(room)
    ctx.audit.add("room.delete", "room", room.id, unit_id=room.unit_id)


# --- Users and roles ---------------------------------------------------------------------------


def users_of(db: Session, municipality_id: str) -> list[User]:
    query = select(User).where(User.municipality_id == municipality_id)
    return list(db.exec(query.order_by(User.active.desc(), User.display_name)))


def user_of(db: Session, municipality_id: str, user_id: str) -> User | None:
    user = db.get(User, user_id) if user_id else None
    return user if user is not None and user.municipality_id == municipality_id else None


def create_user(
    ctx: AdminContext, municipality_id: str, username: str, display_name: str, email: str
) -> User:
    """A new local user without a password (`backend/admin/duties.py` e-mails the link to set one)."""
    username = username.strip().lower()
    display_name = clean_line(display_name, 200)
    email = clean_line(email, 320)
    if not _USERNAME.match(username):
        raise AdminError(
            N_("Brugernavnet skal være 2–150 tegn: små bogstaver, tal og . _ @ - (ingen mellemrum)."),
            "username",
        )
    if not display_name:
        raise AdminError(N_("Skriv brugerens navn."), "display_name")
    if email and not email_is_valid(email):
        raise AdminError(EMAIL_INVALID, "email")
    if ctx.db.exec(select(User.id).where(User.username == username)).first() is not None:
        raise AdminError(N_("Brugernavnet er optaget."), "username")
    user = User(
        municipality_id=municipality_id, username=username, display_name=display_name, email=email or None
    )
    ctx.db.add(user)
    ctx.db.flush()
    ctx.audit.add("user.create", "user", user.id)
    return user


def issue_password_link(ctx: AdminContext, user: User) -> str:
    """A new one-time token to set the user's password; earlier unused links stop working."""
    from backend.people.models import PasswordToken

    ctx.db.exec(
        delete(PasswordToken).where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
    )
    token = secrets.token_urlsafe(32)
    ctx.db.add(
        PasswordToken(
            id=_token_hash(token),
            user_id=user.id,
            created_by_id=ctx.user.id if ctx.user else None,
            expires_at=utcnow() + LINK_VALID,
        )
    )
    ctx.audit.add("user.password_link", "user", user.id)
    return token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_link(db: Session, token: str):
    from backend.people.models import PasswordToken

    if not token or len(token) > 100:
        return None
    link = db.get(PasswordToken, _token_hash(token))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    user = db.get(User, link.user_id)
    if user is None or not user.active:
        return None
    return link, user


def set_password_with_link(ctx: AdminContext, token: str, password: str, repeated: str) -> User:
    found = user_for_link(ctx.db, token)
    if found is None:
        raise AdminError(N_("Linket er udløbet eller allerede brugt. Bed din administrator om et nyt."))
    link, user = found
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn.", "password")
    if password != repeated:
        raise AdminError(N_("De to adgangskoder er ikke ens."), "repeated")
    user.password_hash = hash_password(password)
    link.used_at = utcnow()
    ctx.db.add_all([user, link])
    end_user_sessions(ctx.db, user.id)
    ctx.audit.actor_id = ctx.audit.actor_id or user.id
    ctx.audit.add("user.password_set", "user", user.id)
    return user


def roles_of(db: Session, user_id: str) -> list[RoleAssignment]:
    return list(db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id)))


def add_role(ctx: AdminContext, user: User, role: str, unit_id: str) -> None:
    from backend.domain.admin_duties import grant_refusal

    if ctx.user is not None and (refusal := grant_refusal(ctx.user.id, user.id)):
        raise AdminError(refusal, "role")  # nobody gives themselves a role (separation of duties)
    if role not in ROLE_LABELS:
        raise AdminError(N_("Vælg en rolle."), "role")
    unit = None
    if role != Role.admin:
        unit = unit_of(ctx.db, user.municipality_id, unit_id)
        if unit is None:
            raise AdminError(N_("Vælg den enhed, rollen gælder."), "unit_id")
    unit_key = unit.id if unit else None
    exists = ctx.db.exec(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.unit_id == unit_key if unit_key else RoleAssignment.unit_id.is_(None),
        )
    ).first()
    if exists is not None:
        raise AdminError(N_("Brugeren har allerede den rolle."), "role")
    ctx.db.add(RoleAssignment(user_id=user.id, role=role, unit_id=unit_key))
    ctx.audit.add("user.role_added", "user", user.id, role=role, unit_id=unit_key)


def remove_role(ctx: AdminContext, user: User, assignment: RoleAssignment) -> None:
    if (
        assignment.role == Role.admin
        and user.active
        and active_admin_count(ctx.db, user.municipality_id) <= 1
    ):
        raise AdminError(
            N_(
                "Du kan ikke fjerne administratorrollen fra den sidste aktive administrator. "
                "Giv først en anden bruger rollen."
            )
        )
    ctx.db.delete(assignment)
    ctx.db.flush()
    ctx.audit.add("user.role_removed", "user", user.id, role=assignment.role, unit_id=assignment.unit_id)
    _release_tasks(ctx, user)


def _release_tasks(ctx: AdminContext, user: User, *, everywhere: bool = False) -> None:
    """Work left in a unit the person no longer works in goes to that unit's leaders."""
    for task in release_tasks_left_behind(ctx.db, user.id, everywhere=everywhere):
        ctx.audit.add(
            "task.reassigned", "task", task.id, task.child_id, unit_id=task.unit_id, from_user=user.id
        )


def active_admin_count(db: Session, municipality_id: str) -> int:
    query = (
        select(func.count(func.distinct(User.id)))
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            User.municipality_id == municipality_id, User.active.is_(True), RoleAssignment.role == Role.admin
        )
    )
    return int(db.exec(query).one())


def is_admin(db: Session, user_id: str) -> bool:
    query = select(RoleAssignment.id).where(
        RoleAssignment.user_id == user_id, RoleAssignment.role == Role.admin
    )
    return db.exec(query).first() is not None


def deactivate_user(ctx: AdminContext, user: User) -> int:
    """Deactivate at once: sessions end and every device is revoked. Returns the devices revoked."""
    if not user.active:
        return 0
    if is_admin(ctx.db, user.id) and active_admin_count(ctx.db, user.municipality_id) <= 1:
        raise AdminError(
            N_(
                "Du kan ikke deaktivere den sidste aktive administrator. Giv først en anden bruger rollen "
                "som kommunal administrator."
            )
        )
    user.active = False
    ctx.db.add(user)
    end_user_sessions(ctx.db, user.id)
    revoked = revoke_all_devices(ctx, user)
    ctx.audit.add("user.deactivate", "user", user.id, devices_revoked=revoked)
    _release_tasks(ctx, user, everywhere=True)
    return revoked


def reactivate_user(ctx: AdminContext, user: User) -> None:
    if user.active:
        return
    user.active = True
    ctx.db.add(user)
    ctx.audit.add("user.reactivate", "user", user.id)


def rooms_by_unit(db: Session, units: list[Unit]) -> dict[str, list[Room]]:
    rooms: dict[str, list[Room]] = {}
    for room in db.exec(select(Room).where(Room.unit_id.in_([u.id for u in units] or [""]))):
        rooms.setdefault(room.unit_id, []).append(room)
    return rooms


def room_in(db: Session, unit: Unit, room_id: str) -> Room | None:
    """One of the unit's rooms (None for any other id)."""
    room = db.get(Room, room_id) if is_id(room_id) else None
    return room if room is not None and room.unit_id == unit.id else None


def roles_by_user(db: Session, users: list[User]) -> dict[str, list[RoleAssignment]]:
    roles: dict[str, list[RoleAssignment]] = {}
    query = select(RoleAssignment).where(RoleAssignment.user_id.in_([u.id for u in users] or [""]))
    for assignment in db.exec(query):
        roles.setdefault(assignment.user_id, []).append(assignment)
    return roles


def municipality_counts(db: Session, municipality_id: str) -> dict[str, int]:
    """For the admin's start page: units, users, children, and children on legal hold."""

    def count(model, *where) -> int:
        query = (
            select(func.count()).select_from(model).where(model.municipality_id == municipality_id, *where)
        )
        return int(db.exec(query).one())

    return {
        "units": count(Unit),
        "users": count(User),
        "children": count(Child),
        "held": count(Child, Child.legal_hold.is_(True)),
    }


def local_users(db: Session, municipality_id: str) -> list[User]:
    """The municipality's accounts with a password (not the demo users), by name: the ones
    whose second factor an admin may reset."""
    query = (
        select(User)
        .where(
            User.municipality_id == municipality_id, User.password_hash.is_not(None), User.is_demo.is_(False)
        )
        .order_by(User.display_name)
    )
    return list(db.exec(query))
