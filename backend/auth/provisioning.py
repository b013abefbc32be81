"""Users from single sign-on: found by (issuer, subject), roles from the provider's groups.

- A user is found by the provider's issuer and subject (`sub`) only — never by e-mail or name,
  which a provider may reuse or let people change.
- `OPSPOR_OIDC_ROLE_MAP` maps a group to roles in units: `{"group": [{"role", "unit_id"}]}`. The
  roles a user got from the provider (`source == "oidc"`) are replaced at every sign-in, so a role
  removed at the provider is removed here; roles given locally are left alone. Unknown roles and
  unit ids are ignored (and logged). The admin role is municipality-wide: its `unit_id`, when
  given, only says which municipality.
- The municipality is the one of the mapped units; groups mapping into several municipalities,
  or into another municipality than the user's, give no access.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from backend.auth.oidc import Identity
from backend.auth.sessions import end_user_sessions
from backend.config import Settings
from backend.domain.contact import email_is_valid
from backend.people.models import Municipality, Role, RoleAssignment, Unit, User

log = logging.getLogger("opspor.oidc")

SOURCE = "oidc"
RoleKey = tuple[str, str | None]


class NoAccess(Exception):
    def __init__(self, reason: str, user_id: str | None = None, released: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id
        self.released = released or []  # ids of tasks handed to the units' leaders


@dataclass
class Provisioned:
    user: User
    created: bool = False
    added: list[RoleKey] = field(default_factory=list)
    removed: list[RoleKey] = field(default_factory=list)
    released: list[str] = field(default_factory=list)  # ids of tasks handed to the units' leaders


@dataclass
class _Mapping:
    roles: set[RoleKey] = field(default_factory=set)
    municipality_ids: set[str] = field(default_factory=set)


def mapped_roles(
    db: Session,
    settings: Settings,
    groups: list[str],
    role_map: dict[str, list[dict[str, str]]] | None = None,
) -> _Mapping:
    """The roles the groups (OpenID Connect) or privileges (SAML) map to; the OIDC map by default."""
    mapping = _Mapping()
    for group in groups:
        for entry in (settings.oidc_role_map if role_map is None else role_map).get(group, []):
            _add_entry(db, mapping, entry)
    admin_only = mapping.roles and not mapping.municipality_ids
    if admin_only:
        municipalities = db.exec(select(Municipality.id).limit(2)).all()
        if len(municipalities) == 1:
            mapping.municipality_ids.add(municipalities[0])
        else:
            log.warning("OPSPOR_OIDC_ROLE_MAP: give the admin role a unit_id to name its municipality")
            mapping.roles.clear()
    return mapping


def _add_entry(db: Session, mapping: _Mapping, entry: dict[str, str]) -> None:
    role = entry.get("role", "")
    unit_id = entry.get("unit_id") or None
    if role not in Role.__members__:
        log.warning("OPSPOR_OIDC_ROLE_MAP names an unknown role; ignored")
        return
    if unit_id is not None:
        unit = db.get(Unit, unit_id)
        if unit is None or not unit.active:
            log.warning("OPSPOR_OIDC_ROLE_MAP names an unknown unit; ignored")
            return
        mapping.municipality_ids.add(unit.municipality_id)
    elif role != Role.admin:
        log.warning("OPSPOR_OIDC_ROLE_MAP: role %s needs a unit_id; ignored", role)
        return
    mapping.roles.add((role, None if role == Role.admin else unit_id))


def find_user(db: Session, issuer: str, subject: str) -> User | None:
    query = select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    return db.exec(query).first()


def provision(
    db: Session,
    settings: Settings,
    identity: Identity,
    *,
    groups: list[str] | None = None,
    role_map: dict[str, list[dict[str, str]]] | None = None,
    source: str = SOURCE,
) -> Provisioned:
    """The signed-in user, created or updated; NoAccess when the groups give no role here.

    OpenID Connect passes only the identity (groups from its claim, `OPSPOR_OIDC_ROLE_MAP`); SAML
    passes the privileges as `groups`, `OPSPOR_SAML_ROLE_MAP` and `source="saml"`, so each kind
    of single sign-on replaces only the roles it gave. Changes made before NoAccess (roles
    removed) are meant to be committed.
    """
    user = find_user(db, identity.issuer, identity.subject)
    if groups is None:
        groups = identity.groups(settings.oidc_groups_claim)
    mapping = mapped_roles(db, settings, groups, role_map)
    if user is not None and not user.active:
        raise NoAccess("inactive", user.id)
    reason = _refusal(mapping, user)
    if reason:
        released = []
        if user is not None:
            _replace_roles(db, user, set(), source)
            released = _release_tasks(db, user)
            end_user_sessions(db, user.id)
        raise NoAccess(reason, user.id if user else None, released)
    created = user is None
    if user is None:
        user = _new_user(db, identity, next(iter(mapping.municipality_ids)))
    _update_profile(user, identity)
    db.add(user)
    db.flush()
    added, removed = _replace_roles(db, user, mapping.roles, source)
    released = _release_tasks(db, user) if removed else []
    return Provisioned(user=user, created=created, added=added, removed=removed, released=released)


#: Called with (db, user id) after a person's roles were removed; returns the ids of the tasks it
#: handed to the units' leaders. Registered at start by `backend.startup` (the records' tasks).
RolesRemovedHook = Callable[[Session, str], list[str]]
ROLES_REMOVED_HOOKS: list[RolesRemovedHook] = []


def register_roles_removed_hook(hook: RolesRemovedHook) -> None:
    if hook not in ROLES_REMOVED_HOOKS:
        ROLES_REMOVED_HOOKS.append(hook)


def _release_tasks(db: Session, user: User) -> list[str]:
    """A role removed at the provider leaves the person's tasks in that unit to its leaders."""
    db.flush()
    return [task_id for hook in ROLES_REMOVED_HOOKS for task_id in hook(db, user.id)]


def _refusal(mapping: _Mapping, user: User | None) -> str:
    if len(mapping.municipality_ids) > 1:
        log.warning("OPSPOR_OIDC_ROLE_MAP maps one person's groups into several municipalities")
        return "several_municipalities"
    if not mapping.roles:
        return "no_mapped_role"
    if user is not None and user.municipality_id not in mapping.municipality_ids:
        return "other_municipality"
    return ""


def _replace_roles(
    db: Session, user: User, wanted: set[RoleKey], source: str = SOURCE
) -> tuple[list[RoleKey], list[RoleKey]]:
    rows = list(db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)))
    local = {(row.role, row.unit_id) for row in rows if row.source != source}
    wanted = wanted - local
    removed = []
    for row in rows:
        if row.source == source and (row.role, row.unit_id) not in wanted:
            removed.append((row.role, row.unit_id))
            db.delete(row)
    current = {(row.role, row.unit_id) for row in rows if row.source == source}
    added = sorted(wanted - current, key=str)
    db.flush()
    for role, unit_id in added:
        db.add(RoleAssignment(user_id=user.id, role=role, unit_id=unit_id, source=source))
    return added, sorted(removed, key=str)


def _new_user(db: Session, identity: Identity, municipality_id: str) -> User:
    return User(
        municipality_id=municipality_id,
        username=_free_username(db, identity),
        display_name="",
        oidc_issuer=identity.issuer,
        oidc_subject=identity.subject,
    )


def _free_username(db: Session, identity: Identity) -> str:
    for claim in ("preferred_username", "email"):
        value = identity.claims.get(claim)
        if isinstance(value, str) and 0 < len(value.strip()) <= 150:
            candidate = value.strip().lower()
            if db.exec(select(User.id).where(User.username == candidate)).first() is None:
                return candidate
    digest = hashlib.sha256(f"{identity.issuer}|{identity.subject}".encode()).hexdigest()
    return f"sso-{digest[:16]}"


def _update_profile(user: User, identity: Identity) -> None:
    claims = identity.claims
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    if not name:
        name = user.display_name or user.username
    user.display_name = name.strip()[:200]
    email = claims.get("email")
    if isinstance(email, str) and email_is_valid(email.strip()):
        user.email = email.strip()
