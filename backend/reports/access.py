"""Who reads the reports, audited: the leader overview (a unit's leaders, their own units only)
and the municipality report (admins: counts and shares only). The pages and the JSON/CSV API
both call these, so the rule and the audit events are written once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session, select

from backend.admin.caseloads import unassigned_children
from backend.audit import AuditTrail
from backend.auth.policy import Scope, is_id
from backend.domain.overview import own_unit
from backend.domain.settings import MunicipalSettings
from backend.forums.figures import figures_per_forum
from backend.people.models import Child, Role, Unit
from backend.reports.municipality import Report, build_report
from backend.reports.overview import UnitFigures, unit_overview


class ReportContext(Protocol):
    db: Session
    audit: AuditTrail
    scope: Scope
    municipal: MunicipalSettings


class NotAllowed(PermissionError):
    """Not a leader (the overview) or not an admin (the municipality report): 403."""


class NotFound(LookupError):
    """A unit the caller does not lead, or a round not of that unit: 404."""


@dataclass
class LeaderOverview:
    figures: UnitFigures
    rounds: list
    units: list[Unit]
    unassigned: list[Child]  # placed in the unit today without a responsible professional


def led_units(db: Session, scope: Scope) -> list[Unit]:
    """The units the caller leads, by name (one query)."""
    if not scope.led_unit_ids:
        return []
    return list(db.exec(select(Unit).where(Unit.id.in_(scope.led_unit_ids)).order_by(Unit.name)))


def leader_overview(
    ctx: ReportContext,
    unit_id: str,
    round_id: str,
    age_band: str | None,
    on: date,
    *,
    page: bool = False,
    remembered: str = "",
) -> LeaderOverview:
    """The overview of a unit the caller leads (their own unit when none is named: the one they
    chose last, `remembered`, else one they also work in); the read and every child it names are
    audited. The page (`page`) also lists the unit's children without a responsible professional."""
    units = led_units(ctx.db, ctx.scope)
    if not units:
        raise NotAllowed
    unit = next((u for u in units if u.id == unit_id), None) if unit_id else _own_unit(ctx, units, remembered)
    if unit is None or (round_id and not is_id(round_id)):
        raise NotFound
    figures, rounds = unit_overview(ctx.db, unit, round_id or None, on, ctx.municipal, age_band)
    figures.forums = figures_per_forum(ctx.db, unit.id, on)
    if round_id and figures.round is None:
        raise NotFound
    ctx.audit.add("overview.read", "unit", unit.id, round_id=figures.round.id if figures.round else None)
    unassigned = (
        unassigned_children(ctx.db, ctx.scope.municipality_id, on, {unit.id}).get(unit.id, []) if page else []
    )
    listed = {c.id for c in figures.named} | {s.id for s in figures.adbb_overdue} | {c.id for c in unassigned}
    for child_id in listed:
        ctx.audit.add("overview.child_listed", "child", child_id, child_id, unit_id=unit.id)
    return LeaderOverview(figures, rounds, units, unassigned)


def _own_unit(ctx: ReportContext, units: list[Unit], remembered: str) -> Unit:
    works_in = {u for u, roles in ctx.scope.roles_by_unit.items() if roles - {Role.leader}}
    chosen = own_unit([u.id for u in units], remembered or None, works_in)
    return next(u for u in units if u.id == chosen)


def municipality_report(ctx: ReportContext, age_band: str | None, action: str, on: date) -> Report:
    """The municipality's aggregates for an administrator, audited as `action`."""
    if not ctx.scope.is_admin:
        raise NotAllowed
    report = build_report(ctx.db, ctx.scope.municipality_id, on, ctx.municipal, age_band)
    ctx.audit.add(action, "municipality", ctx.scope.municipality_id, age_band=age_band)
    return report
