"""Creating a forum and managing its members (domain §11): a unit's leader for their own units,
the admin municipality-wide. Members are the convener (a leader of one of the forum's units),
internal professionals of its units and partners (role `partner`) of the municipality."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, is_id
from backend.domain import forums as rules
from backend.i18n import gettext as _
from backend.people.forum_models import Forum, ForumMember
from backend.people.models import PROFESSIONAL_ROLES, Role, RoleAssignment, Unit, User


class ManageError(ValueError):
    """A refused change: `message` is Danish and safe to show, `field` names the form field."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def may_create(scope: Scope) -> bool:
    return scope.is_admin or bool(scope.led_unit_ids)


def may_manage(scope: Scope, forum: Forum) -> bool:
    """The admin of the forum's municipality, or a leader of one of its units."""
    if forum.municipality_id != scope.municipality_id:
        return False
    return scope.is_admin or any(scope.leads(unit_id) for unit_id in forum.unit_ids)


def _usable_units(db: Session, scope: Scope) -> dict[str, str]:
    """The units the caller may put in a forum (id → name): all for the admin, else those led."""
    units = db.exec(select(Unit).where(Unit.municipality_id == scope.municipality_id).order_by(Unit.name))
    return {u.id: u.name for u in units if scope.is_admin or scope.leads(u.id)}


def _holders(db: Session, roles: set[str], unit_ids: list[str] | None) -> dict[str, str]:
    """The users (id → name) holding one of `roles` (in one of `unit_ids`, when given)."""
    query = (
        select(User.id, User.display_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role.in_(sorted(roles)))
    )
    if unit_ids is not None:
        if not unit_ids:
            return {}
        query = query.where(RoleAssignment.unit_id.in_(unit_ids))
    return dict(sorted(((uid, name) for uid, name in db.exec(query)), key=lambda row: row[1]))


def _leaders(db: Session, unit_ids: list[str]) -> dict[str, str]:
    return _holders(db, {Role.leader}, unit_ids)


def _partners(db: Session, municipality_id: str) -> dict[str, str]:
    query = (
        select(User.id, User.display_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.partner, User.municipality_id == municipality_id)
    )
    return dict(sorted(((uid, name) for uid, name in db.exec(query)), key=lambda row: row[1]))


@dataclass
class ForumForm:
    """The choices of the create / edit form."""

    units: dict[str, str]
    leaders: dict[str, str]
    forum: Forum | None = None


def new_forum_form(db: Session, scope: Scope) -> ForumForm | None:
    if not may_create(scope):
        return None
    units = _usable_units(db, scope)
    return ForumForm(units, _leaders(db, list(units)))


def _checked(db: Session, scope: Scope, name: str, kind: str, unit_ids: list[str]) -> tuple[str, list[str]]:
    name = " ".join(name.split())[:200]
    if not name:
        raise ManageError(_("Giv forummet et navn."), "name")
    if kind not in rules.KINDS:
        raise ManageError(_("Vælg, hvilken slags forum det er."), "kind")
    usable = _usable_units(db, scope)
    chosen = sorted({unit_id for unit_id in unit_ids if is_id(unit_id)})
    if not chosen:
        raise ManageError(_("Vælg mindst én enhed."), "unit_ids")
    if any(unit_id not in usable for unit_id in chosen):
        raise ManageError(_("Du kan kun vælge enheder, du er leder af."), "unit_ids")
    return name, chosen


def create_forum_from_form(
    db: Session, scope: Scope, audit: AuditTrail, name: str, kind: str, unit_ids: list[str], convener_id: str
) -> Forum:
    """A new forum; its convener is a leader of one of its units (a leader may leave it empty
    and convenes the forum themself)."""
    if not may_create(scope):
        raise ManageError(_("Du kan ikke oprette et forum."), "name")
    name, chosen = _checked(db, scope, name, kind, unit_ids)
    leaders = _leaders(db, chosen)
    convener_id = convener_id or ("" if scope.is_admin else scope.user_id)
    if convener_id not in leaders:
        raise ManageError(_("Vælg mødeindkalderen: en leder af en af forummets enheder."), "convener_id")
    forum = Forum(municipality_id=scope.municipality_id, name=name, kind=kind, unit_ids=chosen)
    db.add(forum)
    db.flush()
    db.add(ForumMember(forum_id=forum.id, user_id=convener_id, role="convener", title="Leder"))
    db.flush()
    audit.add("forum.create", "forum", forum.id)
    return forum


def _managed(db: Session, scope: Scope, forum_id: str) -> Forum | None:
    forum = db.get(Forum, forum_id) if is_id(forum_id) else None
    return forum if forum is not None and may_manage(scope, forum) else None


@dataclass
class MemberRow:
    id: str
    name: str
    role: str
    title: str


@dataclass
class MembersPage:
    forum: Forum
    unit_names: list[str]
    members: list[MemberRow]
    #: Who may be added, per member role (user id → name), members already in left out.
    candidates: dict[str, dict[str, str]]
    form: ForumForm


def members_page(db: Session, scope: Scope, forum_id: str) -> MembersPage | None:
    forum = _managed(db, scope, forum_id)
    if forum is None:
        return None
    rows = db.exec(
        select(ForumMember, User)
        .join(User, User.id == ForumMember.user_id)
        .where(ForumMember.forum_id == forum.id)
    )
    order = list(rules.MEMBER_ROLES)
    members = sorted(
        (MemberRow(member.id, user.display_name, member.role, member.title) for member, user in rows),
        key=lambda m: (order.index(m.role) if m.role in order else 9, m.name),
    )
    in_forum = set(db.exec(select(ForumMember.user_id).where(ForumMember.forum_id == forum.id)))
    candidates = {
        "convener": _leaders(db, list(forum.unit_ids)),
        "internal": _holders(db, set(PROFESSIONAL_ROLES), list(forum.unit_ids)),
        "partner": _partners(db, forum.municipality_id),
    }
    candidates = {
        role: {uid: name for uid, name in people.items() if uid not in in_forum}
        for role, people in candidates.items()
    }
    units = db.exec(select(Unit).where(Unit.id.in_(forum.unit_ids))) if forum.unit_ids else []
    usable = _usable_units(db, scope)
    form = ForumForm(usable | {u.id: u.name for u in units}, {}, forum)
    unit_names = sorted(form.units[u] for u in forum.unit_ids if u in form.units)
    return MembersPage(forum, unit_names, members, candidates, form)


def update_forum(
    db: Session, scope: Scope, audit: AuditTrail, forum_id: str, name: str, kind: str, unit_ids: list[str]
) -> Forum:
    """A new name, kind or units; a leader keeps the units they do not lead and adds only theirs."""
    forum = _managed(db, scope, forum_id)
    if forum is None:
        raise ManageError("", "not_found")
    kept = [u for u in forum.unit_ids if not scope.is_admin and not scope.leads(u)]
    name, chosen = _checked(db, scope, name, kind, [u for u in unit_ids if u not in kept])
    forum.name, forum.kind, forum.unit_ids = name, kind, sorted(set(chosen) | set(kept))
    db.add(forum)
    db.flush()
    audit.add("forum.update", "forum", forum.id)
    return forum


def _fits(db: Session, forum: Forum, user_id: str, role: str) -> bool:
    if role == "convener":
        return user_id in _leaders(db, list(forum.unit_ids))
    if role == "internal":
        return user_id in _holders(db, set(PROFESSIONAL_ROLES), list(forum.unit_ids))
    if role == "partner":
        return user_id in _partners(db, forum.municipality_id)
    return False


def add_member(
    db: Session, scope: Scope, audit: AuditTrail, forum_id: str, user_id: str, role: str, title: str
) -> ForumMember:
    forum = _managed(db, scope, forum_id)
    if forum is None:
        raise ManageError("", "not_found")
    if role not in rules.MEMBER_ROLES:
        raise ManageError(_("Vælg, hvilken rolle personen har i forummet."), "role")
    if not is_id(user_id) or not _fits(db, forum, user_id, role):
        raise ManageError(_("Vælg en person, der kan have den valgte rolle i forummet."), "user_id")
    title = " ".join(title.split())[:200]
    if role == "partner" and not title:
        raise ManageError(_("Skriv samarbejdspartnerens titel, fx PPR-psykolog."), "title")
    taken = db.exec(
        select(ForumMember).where(ForumMember.forum_id == forum.id, ForumMember.user_id == user_id)
    ).first()
    if taken is not None:
        raise ManageError(_("Personen er allerede med i forummet."), "user_id")
    member = ForumMember(forum_id=forum.id, user_id=user_id, role=role, title=title)
    db.add(member)
    db.flush()
    audit.add("forum.member.add", "forum_member", member.id, role=role)
    return member


def remove_member(db: Session, scope: Scope, audit: AuditTrail, forum_id: str, member_id: str) -> None:
    forum = _managed(db, scope, forum_id)
    member = db.get(ForumMember, member_id) if forum is not None and is_id(member_id) else None
    if forum is None or member is None or member.forum_id != forum.id:
        raise ManageError("", "not_found")
    if member.role == "convener":
        conveners = db.exec(
            select(ForumMember.id).where(ForumMember.forum_id == forum.id, ForumMember.role == "convener")
        ).all()
        if len(conveners) <= 1:
            raise ManageError(_("Forummet skal have en mødeindkalder. Tilføj en anden først."), "user_id")
    db.delete(member)
    db.flush()
    audit.add("forum.member.remove", "forum_member", member.id, role=member.role)
