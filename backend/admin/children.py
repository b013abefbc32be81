"""Children, guardians, placements and legal hold, as the admin keeps them true (domain §3, §7).

A move is a new placement that takes effect on its start date; the placement that holds then
ends that day, so the access policy (which reads placements) lets the new unit see the child
from that date — and the old unit no longer. Records stay with the unit that wrote them.
CPR numbers never go into the audit log, a URL or a page: forms only say whether one is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, delete, select

from backend.admin.base import AdminContext, AdminError, clean_line
from backend.auth.policy import is_id, placed_on
from backend.db import utcnow
from backend.domain.contact import EMAIL_INVALID, birth_date_problem, email_is_valid
from backend.domain.cpr import CprError, check_cpr_matches_birth_date, normalise_cpr, redact_cpr
from backend.domain.messages import N_
from backend.domain.placements import PlacementError, Span, check_leaving, check_new_placement
from backend.parents.models import ParentInvitation
from backend.people.models import Caseload, Child, Guardian, Placement, Room, Unit

REASON_MAX = 1000


class FormInvalid(Exception):
    """Field → Danish message, for a form that is shown again with what was typed."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid form")
        self.errors = errors


@dataclass
class GuardianInput:
    id: str = ""
    name: str = ""
    relation: str = ""
    phone: str = ""
    email: str = ""
    remove: bool = False
    #: Typed to record or replace the guardian's CPR number (a parent's MitID sign-in is matched
    #: to it); empty keeps the recorded one. Never shown back in a page.
    cpr: str = ""
    remove_cpr: bool = False

    @property
    def is_blank(self) -> bool:
        return not (self.name or self.relation or self.phone or self.email or self.cpr.strip())


@dataclass
class ChildInput:
    name: str = ""
    birth_date: str = ""
    cpr: str = ""
    remove_cpr: bool = False
    unit_id: str = ""
    room_id: str = ""
    starts_on: str = ""
    reason: str = ""
    guardians: list[GuardianInput] = field(default_factory=list)


@dataclass(frozen=True)
class ChildRow:
    child: Child
    placement: Placement | None
    unit: Unit | None


# --- Reading ----------------------------------------------------------------------------------


def child_of(db: Session, municipality_id: str, child_id: str) -> Child | None:
    if not is_id(child_id):
        return None
    child = db.get(Child, child_id)
    return child if child is not None and child.municipality_id == municipality_id else None


def search_children(
    db: Session, municipality_id: str, on: date, search: str = "", limit: int = 100
) -> list[ChildRow]:
    """Children of the municipality by name, with the placement that holds today (if any)."""
    query = (
        select(Child, Placement, Unit)
        .outerjoin(Placement, (Placement.child_id == Child.id) & placed_on(on))
        .outerjoin(Unit, Unit.id == Placement.unit_id)
        .where(Child.municipality_id == municipality_id)
    )
    term = "".join(ch for ch in search if ch.isprintable()).strip().lower()[:100]
    if term:
        query = query.where(func.lower(Child.name).contains(term, autoescape=True))
    return [ChildRow(c, p, u) for c, p, u in db.exec(query.order_by(Child.name).limit(limit))]


def spans_of(db: Session, child_id: str) -> list[Span]:
    rows = db.exec(
        select(Placement, Unit)
        .join(Unit, Unit.id == Placement.unit_id)
        .where(Placement.child_id == child_id)
        .order_by(Placement.starts_on)
    )
    return [Span(p.unit_id, p.starts_on, p.ends_on, unit.name, p.id) for p, unit in rows]


def guardians_of(db: Session, child_id: str) -> list[Guardian]:
    return list(db.exec(select(Guardian).where(Guardian.child_id == child_id).order_by(Guardian.name)))


def cpr_in_use(db: Session, municipality_id: str, cpr: str, except_child_id: str | None = None) -> bool:
    query = select(Child.id).where(Child.municipality_id == municipality_id, Child.cpr == cpr)
    return any(found != except_child_id for found in db.exec(query))


# --- Validation helpers -----------------------------------------------------------------------


def _parse_day(value: str, field_name: str, label: str, errors: dict[str, str]) -> date | None:
    if not value.strip():
        errors[field_name] = f"Skriv {label}."
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field_name] = N_("Skal være en dato (ÅÅÅÅ-MM-DD).")
        return None


def _name_and_birth_date(form: ChildInput, on: date, errors: dict[str, str]) -> tuple[str, date | None]:
    """The child's name and birth date as typed, checked the one way (the import checks alike)."""
    name = clean_line(form.name, 200)
    if not name:
        errors["name"] = N_("Skriv barnets navn.")
    birth_date = _parse_day(form.birth_date, "birth_date", "fødselsdatoen", errors)
    problem = birth_date_problem(birth_date, on) if birth_date is not None else None
    if problem:
        errors["birth_date"] = problem
    return name, birth_date


def _check_cpr(
    db: Session,
    municipality_id: str,
    raw: str,
    birth_date: date | None,
    errors: dict[str, str],
    child_id=None,
) -> str | None:
    try:
        cpr = normalise_cpr(raw)
        if birth_date is not None:
            check_cpr_matches_birth_date(cpr, birth_date)
    except CprError as error:
        errors["cpr"] = str(error)
        return None
    if cpr_in_use(db, municipality_id, cpr, except_child_id=child_id):
        errors["cpr"] = "Et andet barn i kommunen har allerede dette CPR-nummer."
        return None
    return cpr


def _check_guardians(guardians: list[GuardianInput], errors: dict[str, str]) -> list[GuardianInput]:
    kept = []
    for index, guardian in enumerate(guardians):
        guardian.name = clean_line(guardian.name, 200)
        guardian.relation = clean_line(guardian.relation, 50)
        guardian.phone = clean_line(guardian.phone, 40)
        guardian.email = clean_line(guardian.email, 320)
        if guardian.remove or guardian.is_blank:
            kept.append(guardian)
            continue
        if not guardian.name:
            errors[f"guardian-{index}-name"] = N_("Skriv forælderens navn.")
        if guardian.email and not email_is_valid(guardian.email):
            errors[f"guardian-{index}-email"] = EMAIL_INVALID
        if guardian.cpr.strip():
            try:
                guardian.cpr = normalise_cpr(guardian.cpr)
            except CprError as error:
                errors[f"guardian-{index}-cpr"] = str(error)
        kept.append(guardian)
    return kept


def _reason(value: str, errors: dict[str, str]) -> str:
    reason = redact_cpr(clean_line(value, REASON_MAX))
    if len(reason) < 3:
        errors["reason"] = N_("Skriv en begrundelse.")
    return reason


# --- Register and edit ------------------------------------------------------------------------


def register_child(ctx: AdminContext, municipality_id: str, form: ChildInput, on: date) -> Child:
    errors: dict[str, str] = {}
    name, birth_date = _name_and_birth_date(form, on, errors)
    cpr = _check_cpr(ctx.db, municipality_id, form.cpr, birth_date, errors) if form.cpr.strip() else None
    unit = _unit(ctx.db, municipality_id, form.unit_id, errors)
    room_id = _room(ctx.db, unit, form.room_id, errors)
    starts_on = _parse_day(form.starts_on, "starts_on", "startdatoen", errors)
    if birth_date and starts_on and starts_on < birth_date:
        errors["starts_on"] = N_("Startdatoen ligger før barnets fødselsdato.")
    guardians = _check_guardians(form.guardians, errors)
    if errors:
        raise FormInvalid(errors)
    child = Child(municipality_id=municipality_id, name=name, birth_date=birth_date, cpr=cpr)
    ctx.db.add(child)
    ctx.db.flush()
    ctx.db.add(Placement(child_id=child.id, unit_id=unit.id, room_id=room_id, starts_on=starts_on))
    _save_guardians(ctx.db, child, guardians)
    ctx.audit.add("child.create", "child", child.id, child.id, has_cpr=cpr is not None, unit_id=unit.id)
    return child


def _unit(db: Session, municipality_id: str, unit_id: str, errors: dict[str, str]) -> Unit | None:
    unit = db.get(Unit, unit_id) if is_id(unit_id) else None
    if unit is None or unit.municipality_id != municipality_id:
        errors["unit_id"] = N_("Vælg en enhed.")
        return None
    return unit


def _room(db: Session, unit: Unit | None, room_id: str, errors: dict[str, str]) -> str | None:
    if not room_id or unit is None:
        return None
    room = db.get(Room, room_id) if is_id(room_id) else None
    if room is None or room.unit_id != unit.id:
        errors["room_id"] = N_("Stuen hører ikke til den valgte enhed.")
        return None
    return room.id


def _save_guardians(db: Session, child: Child, guardians: list[GuardianInput]) -> list[str]:
    """Apply the guardian rows; returns what changed ("added", "changed", "removed")."""
    existing = {g.id: g for g in guardians_of(db, child.id)}
    changes = []
    for row in guardians:
        current = existing.get(row.id) if row.id else None
        if current is not None and (row.remove or row.is_blank):
            # Their invitations go with them (what they wrote stays on the records, attributed).
            db.exec(delete(ParentInvitation).where(ParentInvitation.guardian_id == current.id))
            db.delete(current)
            changes.append("removed")
        elif current is not None:
            new_values = {"name": row.name, "relation": row.relation, "phone": row.phone, "email": row.email}
            new_values["cpr"] = None if row.remove_cpr else (row.cpr or current.cpr)
            if any(getattr(current, key) != value for key, value in new_values.items()):
                for key, value in new_values.items():
                    setattr(current, key, value)
                db.add(current)
                changes.append("changed")
        elif not row.remove and not row.is_blank:
            db.add(
                Guardian(
                    child_id=child.id,
                    name=row.name,
                    relation=row.relation,
                    phone=row.phone,
                    email=row.email,
                    cpr=row.cpr or None,
                )
            )
            changes.append("added")
    return changes


def update_child(ctx: AdminContext, child: Child, form: ChildInput, on: date) -> list[str]:
    """Change master data and guardians, with a required reason. Returns the changed fields."""
    errors: dict[str, str] = {}
    name, birth_date = _name_and_birth_date(form, on, errors)
    cpr = child.cpr
    if form.remove_cpr:
        cpr = None
    elif form.cpr.strip():
        cpr = _check_cpr(ctx.db, child.municipality_id, form.cpr, birth_date, errors, child_id=child.id)
    elif cpr and birth_date:
        try:
            check_cpr_matches_birth_date(cpr, birth_date)
        except CprError:
            errors["birth_date"] = N_("Fødselsdatoen passer ikke med det registrerede CPR-nummer.")
    first = min((span.starts_on for span in spans_of(ctx.db, child.id)), default=None)
    if birth_date and first and first < birth_date:
        errors["birth_date"] = N_("Barnet er indskrevet før denne fødselsdato. Ret indskrivningen først.")
    guardians = _check_guardians(form.guardians, errors)
    reason = _reason(form.reason, errors)
    if errors:
        raise FormInvalid(errors)
    changed = [
        key
        for key, value in (("name", name), ("birth_date", birth_date), ("cpr", cpr))
        if getattr(child, key) != value
    ]
    child.name, child.birth_date, child.cpr = name, birth_date, cpr
    child.updated_at = utcnow()
    ctx.db.add(child)
    if _save_guardians(ctx.db, child, guardians):
        changed.append("guardians")
    if changed:
        ctx.audit.add("child.update", "child", child.id, child.id, fields=changed, reason=reason)
    return changed


# --- Placements --------------------------------------------------------------------------------


def move_child(
    ctx: AdminContext, child: Child, unit_id: str, room_id: str, starts_on_text: str, ends_on_text: str = ""
) -> Placement:
    """A new placement from its start date; the placement that holds then ends that day."""
    errors: dict[str, str] = {}
    unit = _unit(ctx.db, child.municipality_id, unit_id, errors)
    room = _room(ctx.db, unit, room_id, errors)
    starts_on = _parse_day(starts_on_text, "starts_on", "startdatoen", errors)
    ends_on = None
    if ends_on_text.strip():
        ends_on = _parse_day(ends_on_text, "ends_on", "slutdatoen", errors)
    if errors:
        raise FormInvalid(errors)
    try:
        return place_child(ctx, child, unit, starts_on, room_id=room, ends_on=ends_on)
    except PlacementError as error:
        raise FormInvalid({"starts_on": str(error)}) from None


def place_child(
    ctx: AdminContext,
    child: Child,
    unit: Unit,
    starts_on: date,
    *,
    room_id: str | None = None,
    ends_on: date | None = None,
    source: str = "admin",
) -> Placement:
    """Place a child in a unit from `starts_on` (a move: the placement holding then ends that day).

    The one way a placement is made — by the admin, the CSV import or (linked by the integrator)
    a transition's start date. Raises PlacementError (Danish message) when the rules refuse it.
    """
    superseded = check_new_placement(
        spans_of(ctx.db, child.id), child.birth_date, unit.id, starts_on, ends_on
    )
    if superseded is not None:
        previous = ctx.db.get(Placement, superseded.id)
        previous.ends_on = starts_on
        ctx.db.add(previous)
    placement = Placement(
        child_id=child.id, unit_id=unit.id, room_id=room_id, starts_on=starts_on, ends_on=ends_on
    )
    ctx.db.add(placement)
    ctx.db.flush()
    ctx.audit.add(
        "placement.create",
        "placement",
        placement.id,
        child.id,
        unit_id=unit.id,
        starts_on=starts_on.isoformat(),
        ended_unit_id=superseded.unit_id if superseded else None,
        source=source,
    )
    return placement


def end_enrolment(ctx: AdminContext, child: Child, leaves_on_text: str) -> None:
    """The child leaves the municipality: the open placement ends on the given day."""
    errors: dict[str, str] = {}
    leaves_on = _parse_day(leaves_on_text, "leaves_on", "datoen", errors)
    if errors:
        raise FormInvalid(errors)
    try:
        span = check_leaving(spans_of(ctx.db, child.id), leaves_on)
    except PlacementError as error:
        raise FormInvalid({"leaves_on": str(error)}) from None
    placement = ctx.db.get(Placement, span.id)
    placement.ends_on = leaves_on
    ctx.db.add(placement)
    ctx.audit.add("placement.end", "placement", placement.id, child.id, ends_on=leaves_on.isoformat())


def undo_future_placement(ctx: AdminContext, child: Child, placement_id: str, on: date) -> None:
    """Take back a move that has not started yet; the placement before it is open again."""
    placement = ctx.db.get(Placement, placement_id) if is_id(placement_id) else None
    if placement is None or placement.child_id != child.id:
        raise AdminError(N_("Indskrivningen findes ikke."))
    if placement.starts_on <= on:
        raise AdminError(N_("Kun en flytning, der ikke er trådt i kraft endnu, kan fortrydes."))
    later = ctx.db.exec(
        select(Placement.id).where(Placement.child_id == child.id, Placement.starts_on > placement.starts_on)
    ).first()
    if later is not None:
        raise AdminError(N_("Fortryd først den seneste flytning."))
    previous = ctx.db.exec(
        select(Placement).where(Placement.child_id == child.id, Placement.ends_on == placement.starts_on)
    ).first()
    if previous is not None and placement.ends_on is None:
        previous.ends_on = None
        ctx.db.add(previous)
    ctx.db.delete(placement)
    ctx.audit.add("placement.delete", "placement", placement.id, child.id, unit_id=placement.unit_id)


# --- Legal hold --------------------------------------------------------------------------------


def set_legal_hold(ctx: AdminContext, child: Child, hold: bool, reason_text: str) -> None:
    errors: dict[str, str] = {}
    reason = _reason(reason_text, errors)
    if errors:
        raise FormInvalid(errors)
    if child.legal_hold == hold:
        raise AdminError(
            N_("Retligt tilbagehold er allerede sat.") if hold else N_("Der er intet retligt tilbagehold.")
        )
    child.legal_hold = hold
    child.legal_hold_reason = reason if hold else ""
    child.legal_hold_since = utcnow() if hold else None
    ctx.db.add(child)
    ctx.audit.add(
        "child.legal_hold_set" if hold else "child.legal_hold_cleared",
        "child",
        child.id,
        child.id,
        reason=reason,
    )


def caseload_of_child(db: Session, child_id: str) -> list[Caseload]:
    return list(db.exec(select(Caseload).where(Caseload.child_id == child_id)))
