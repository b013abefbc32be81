"""Who reads the reports, audited: the leader overview (a unit's leaders, their own units only)
and the municipality report (admins: counts and shares only). The pages and the JSON/CSV API
both call these, so the rule and the audit events are written once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, is_id
from backend.domain.settings import MunicipalSettings
from backend.forums.figures import figures_per_forum
from backend.people.models import Unit
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


def led_units(db: Session, scope: Scope) -> list[Unit]:
    """The units the caller leads, by name (one query)."""
    if not scope.led_unit_ids:
        return []
    return list(db.exec(select(Unit).where(Unit.id.in_(scope.led_unit_ids)).order_by(Unit.name)))


def leader_overview(
    ctx: ReportContext, unit_id: str, round_id: str, age_band: str | None, on: date
) -> LeaderOverview:
    """The overview of a unit the caller leads (their first unit when none is named); the read
    and every child it names are audited."""
    units = led_units(ctx.db, ctx.scope)
    if not units:
        raise NotAllowed
    unit = next((u for u in units if u.id == unit_id), None) if unit_id else units[0]
    if unit is None or (round_id and not is_id(round_id)):
        raise NotFound
    figures, rounds = unit_overview(ctx.db, unit, round_id or None, on, ctx.municipal, age_band)
    figures.forums = figures_per_forum(ctx.db, unit.id, on)
    if round_id and figures.round is None:
        raise NotFound
    ctx.audit.add("overview.read", "unit", unit.id, round_id=figures.round.id if figures.round else None)
    for child_id in {c.id for c in figures.named} | {s.id for s in figures.adbb_overdue}:
        ctx.audit.add("overview.child_listed", "child", child_id, child_id, unit_id=unit.id)
    return LeaderOverview(figures, rounds, units)


def municipality_report(ctx: ReportContext, age_band: str | None, action: str, on: date) -> Report:
    """The municipality's aggregates for an administrator, audited as `action`."""
    if not ctx.scope.is_admin:
        raise NotAllowed
    report = build_report(ctx.db, ctx.scope.municipality_id, on, ctx.municipal, age_band)
    ctx.audit.add(action, "municipality", ctx.scope.municipality_id, age_band=age_band)
    return report
