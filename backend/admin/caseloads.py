"""Caseloads: which professionals are responsible for which children, and handing a whole
caseload to a colleague in one step (with a preview of what moves)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, delete, select

from backend.admin.base import AdminContext, AdminError
from backend.auth.policy import is_id, placed_on
from backend.domain.messages import N_
from backend.people.models import PROFESSIONAL_ROLES, Caseload, Child, Placement, RoleAssignment, Unit, User


def professionals_of_unit(db: Session, unit_id: str) -> list[User]:
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.unit_id == unit_id, RoleAssignment.role.in_(PROFESSIONAL_ROLES))
        .where(User.active.is_(True))
        .distinct()
        .order_by(User.display_name)
    )
    return list(db.exec(query))


def is_professional_in(db: Session, user_id: str, unit_id: str) -> bool:
    return any(user.id == user_id for user in professionals_of_unit(db, unit_id))


@dataclass
class CaseloadRow:
    child: Child
    placement: Placement
    responsible: list[tuple[Caseload, User]]


def unit_caseloads(db: Session, unit: Unit, on: date) -> list[CaseloadRow]:
    """The children placed in the unit today, each with the professionals responsible."""
    children = list(
        db.exec(
            select(Child, Placement)
            .join(Placement, Placement.child_id == Child.id)
            .where(Placement.unit_id == unit.id, placed_on(on))
            .order_by(Child.name)
        )
    )
    entries = db.exec(
        select(Caseload, User)
        .join(User, User.id == Caseload.user_id)
        .where(Caseload.unit_id == unit.id, Caseload.child_id.in_([c.id for c, _p in children] or [""]))
        .order_by(User.display_name)
    )
    by_child: dict[str, list[tuple[Caseload, User]]] = {}
    for entry, user in entries:
        by_child.setdefault(entry.child_id, []).append((entry, user))
    return [CaseloadRow(child, placement, by_child.get(child.id, [])) for child, placement in children]


def assign(ctx: AdminContext, child: Child, user: User, on: date) -> Caseload:
    placement = ctx.db.exec(select(Placement).where(Placement.child_id == child.id, placed_on(on))).first()
    if placement is None:
        raise AdminError(N_("Barnet er ikke indskrevet i en enhed i dag."))
    if not is_professional_in(ctx.db, user.id, placement.unit_id):
        raise AdminError(N_("Medarbejderen arbejder ikke med børn i barnets enhed."), "user_id")
    existing = ctx.db.exec(
        select(Caseload).where(
            Caseload.user_id == user.id, Caseload.child_id == child.id, Caseload.unit_id == placement.unit_id
        )
    ).first()
    if existing is not None:
        raise AdminError(N_("Medarbejderen har allerede barnet."), "user_id")
    entry = Caseload(user_id=user.id, child_id=child.id, unit_id=placement.unit_id, since=on)
    ctx.db.add(entry)
    ctx.audit.add("caseload.assign", "caseload", None, child.id, user_id=user.id, unit_id=placement.unit_id)
    return entry


def unassign(ctx: AdminContext, entry: Caseload) -> None:
    ctx.db.delete(entry)
    ctx.audit.add("caseload.remove", "caseload", entry.id, entry.child_id, user_id=entry.user_id)


@dataclass
class HandoverItem:
    entry: Caseload
    child: Child
    unit: Unit
    outcome: str  # "moves" | "already" | "not_in_unit" | "left_unit"


OUTCOMES = {
    "moves": N_("Flyttes"),
    "already": N_("Har barnet i forvejen – fjernes kun hos den tidligere"),
    "not_in_unit": N_("Flyttes ikke: modtageren arbejder ikke i enheden"),
    "left_unit": N_("Barnet er ikke længere i enheden – fjernes"),
}


def handover_preview(db: Session, from_user: User, to_user: User, on: date) -> list[HandoverItem]:
    rows = db.exec(
        select(Caseload, Child, Unit)
        .join(Child, Child.id == Caseload.child_id)
        .join(Unit, Unit.id == Caseload.unit_id)
        .where(Caseload.user_id == from_user.id)
        .order_by(Unit.name, Child.name)
    )
    target_has = {
        (c.child_id, c.unit_id) for c in db.exec(select(Caseload).where(Caseload.user_id == to_user.id))
    }
    placed_now = {
        (p.child_id, p.unit_id)
        for p in db.exec(
            select(Placement).where(placed_on(on), Placement.child_id.in_(_child_ids(db, from_user)))
        )
    }
    target_units = {unit_id for unit_id in _professional_units(db, to_user.id)}
    items = []
    for entry, child, unit in rows:
        if (child.id, unit.id) not in placed_now:
            outcome = "left_unit"
        elif (child.id, unit.id) in target_has:
            outcome = "already"
        elif unit.id not in target_units:
            outcome = "not_in_unit"
        else:
            outcome = "moves"
        items.append(HandoverItem(entry, child, unit, outcome))
    return items


def _child_ids(db: Session, user: User) -> list[str]:
    return list(db.exec(select(Caseload.child_id).where(Caseload.user_id == user.id))) or [""]


def _professional_units(db: Session, user_id: str) -> set[str]:
    query = select(RoleAssignment.unit_id).where(
        RoleAssignment.user_id == user_id, RoleAssignment.role.in_(PROFESSIONAL_ROLES)
    )
    return {unit_id for unit_id in db.exec(query) if unit_id}


def hand_over(ctx: AdminContext, from_user: User, to_user: User, on: date) -> dict[str, int]:
    """Apply the preview in one step; returns how many entries had each outcome."""
    if from_user.id == to_user.id:
        raise AdminError(N_("Vælg en anden medarbejder at overdrage til."), "to_user_id")
    if not to_user.active:
        raise AdminError(N_("Modtageren er deaktiveret."), "to_user_id")
    counts = dict.fromkeys(OUTCOMES, 0)
    for item in handover_preview(ctx.db, from_user, to_user, on):
        counts[item.outcome] += 1
        if item.outcome == "not_in_unit":
            continue
        ctx.db.exec(delete(Caseload).where(Caseload.id == item.entry.id))
        if item.outcome == "moves":
            ctx.db.add(Caseload(user_id=to_user.id, child_id=item.child.id, unit_id=item.unit.id, since=on))
        ctx.audit.add(
            "caseload.handover",
            "caseload",
            item.entry.id,
            item.child.id,
            from_user_id=from_user.id,
            to_user_id=to_user.id,
            outcome=item.outcome,
        )
    return counts


def caseload_entry_of(db: Session, municipality_id: str, entry_id: str) -> Caseload | None:
    """A caseload entry about a child of the admin's municipality (None for any other id)."""
    entry = db.get(Caseload, entry_id) if is_id(entry_id) else None
    child = db.get(Child, entry.child_id) if entry else None
    return entry if child is not None and child.municipality_id == municipality_id else None


def caseload_of_child(db: Session, child_id: str) -> list[tuple[Caseload, User]]:
    """Who has the child in their caseload (for the admin's child page)."""
    query = (
        select(Caseload, User).join(User, User.id == Caseload.user_id).where(Caseload.child_id == child_id)
    )
    return list(db.exec(query))
