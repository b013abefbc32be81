"""ADBB certification (issue 16): the admin records which health visitors have taken the
University of Copenhagen's ADBB training, and when. Only they finalise an ADBB screening
(`backend/records/kinds/adbb.py` asks `is_adbb_certified`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from backend.admin.base import AdminContext, AdminError
from backend.auth.policy import is_id
from backend.domain.dates import today
from backend.people.models import AdbbCertification, Role, RoleAssignment, User


@dataclass(frozen=True)
class CertificationRow:
    user: User
    certified_on: date | None


def certification_overview(ctx: AdminContext) -> list[CertificationRow]:
    """The municipality's health visitors, each with the date of their certification (or None)."""
    municipality_id = ctx.user.municipality_id
    query = (
        select(User, AdbbCertification.certified_on)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(AdbbCertification, AdbbCertification.user_id == User.id)
        .where(User.municipality_id == municipality_id, RoleAssignment.role == Role.health_visitor)
        .order_by(User.display_name)
        .distinct()
    )
    rows = [CertificationRow(user, certified_on) for user, certified_on in ctx.db.exec(query)]
    ctx.audit.add("adbb_certification.list", "user")
    return rows


def _health_visitor(ctx: AdminContext, user_id: str) -> User:
    user = ctx.db.get(User, user_id) if is_id(user_id) else None
    if user is None or user.municipality_id != ctx.user.municipality_id:
        raise AdminError("Vælg en sundhedsplejerske.", "user_id")
    holds = ctx.db.exec(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user.id, RoleAssignment.role == Role.health_visitor
        )
    ).first()
    if holds is None:
        raise AdminError("Kun sundhedsplejersker kan certificeres til ADBB.", "user_id")
    return user


def record_certification(ctx: AdminContext, fields: dict[str, str]) -> User:
    """Record (or correct the date of) a health visitor's certification."""
    user = _health_visitor(ctx, fields.get("user_id", ""))
    text = (fields.get("certified_on") or "").strip()
    try:
        certified_on = date.fromisoformat(text)
    except ValueError:
        raise AdminError("Skriv en gyldig dato for uddannelsen.", "certified_on") from None
    if certified_on > today():
        raise AdminError("Datoen for uddannelsen ligger i fremtiden.", "certified_on")
    if certified_on < date(2000, 1, 1):
        raise AdminError("Datoen for uddannelsen er for langt tilbage.", "certified_on")
    existing = ctx.db.get(AdbbCertification, user.id)
    if existing is None:
        ctx.db.add(AdbbCertification(user_id=user.id, certified_on=certified_on, recorded_by_id=ctx.user.id))
    else:
        existing.certified_on = certified_on
        existing.recorded_by_id = ctx.user.id
        ctx.db.add(existing)
    ctx.audit.add("adbb_certification.recorded", "user", user.id, certified_on=certified_on.isoformat())
    return user


def remove_certification(ctx: AdminContext, fields: dict[str, str]) -> User:
    user = _health_visitor(ctx, fields.get("user_id", ""))
    existing = ctx.db.get(AdbbCertification, user.id)
    if existing is not None:
        ctx.db.delete(existing)
    ctx.audit.add("adbb_certification.removed", "user", user.id)
    return user
